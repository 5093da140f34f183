#!/usr/bin/env bash
# One image, several processes: the first argument says which one runs (see usage below).
#
# Works in the container (/app, the venv on PATH) and straight from a checkout:
#   DJANGO_SETTINGS_MODULE=mikman.settings.prod PYTHON=.venv/bin/python deploy/entrypoint.sh manage check
# Every process is exec'd, so it receives SIGTERM from Docker/Kubernetes directly.
set -euo pipefail

APP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-mikman.settings.prod}"

usage() {
    cat <<'EOF'
usage: entrypoint.sh COMMAND [ARGS...]

  web          gunicorn serving mikman.wsgi on $MIKMAN_BIND (default 0.0.0.0:8000)
  worker       celery worker for the queues in $MIKMAN_WORKER_QUEUES (e.g. poll, jobs, alerts)
  beat         celery beat (run exactly one)
  radius       the RADIUS server (python manage.py radius_server)
  migrate      python manage.py migrate, connected as the owner role (MIKMAN_DB_ROLE=owner)
  provision    python -m mikman.launcher prepare: create roles + database from a superuser
               DATABASE_URL, then migrate (for servers without pre-created roles)
  simulator    the RouterOS fleet simulator (python -m devices.simulator ARGS)
  manage       any manage.py command, e.g. `manage createsuperuser`
  probe KIND   health check for KIND = web (GET /healthz) or worker (celery ping of this node)

Secrets may be given as files: for NAME in the list below, NAME_FILE=/path sets NAME from the
file's content (Docker/Kubernetes secrets): SECRET_KEY MIKMAN_MASTER_KEY DATABASE_URL
DATABASE_APP_URL DATABASE_OWNER_URL REDIS_URL VAULT_TOKEN VAULT_ROLE_ID VAULT_SECRET_ID METRICS_TOKEN
EOF
}

# NAME_FILE -> NAME, for the secrets only (a fixed list: no surprise for unrelated *_FILE names).
load_file_secrets() {
    local name file
    for name in SECRET_KEY MIKMAN_MASTER_KEY DATABASE_URL DATABASE_APP_URL DATABASE_OWNER_URL \
        REDIS_URL VAULT_TOKEN VAULT_ROLE_ID VAULT_SECRET_ID METRICS_TOKEN; do
        file="${name}_FILE"
        if [[ -n "${!file:-}" ]]; then
            if [[ -n "${!name:-}" ]]; then
                echo "entrypoint: both $name and $file are set; use one." >&2
                exit 2
            fi
            if [[ ! -r "${!file}" ]]; then
                echo "entrypoint: $file=${!file} is not readable." >&2
                exit 2
            fi
            # $(<file) drops the trailing newline that editors and `echo` leave behind.
            export "$name=$(<"${!file}")"
            unset "$file"
        fi
    done
}

# Static files are collected into the image at build time (MIKMAN_STATIC_SOURCE). The settings
# serve them from $MIKMAN_DATA_DIR/static, and the data dir is a volume, so point that path at
# the image's copy. Never touches a real directory (a checkout's data/static stays as it is).
link_static() {
    local source="${MIKMAN_STATIC_SOURCE:-}" data="${MIKMAN_DATA_DIR:-$APP_DIR/data}"
    [[ -n "$source" && -d "$source" ]] || return 0
    mkdir -p "$data"
    if [[ -L "$data/static" || ! -e "$data/static" ]]; then
        ln -sfn "$source" "$data/static"
    fi
}

# /metrics sums the HTTP counters of every gunicorn worker through prometheus-client's
# multiprocess mode: each worker writes its values to files in this directory. Emptied at start
# (values of a previous container's processes must not be added to this one's).
metrics_dir() {
    export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-${TMPDIR:-/tmp}/mikman-metrics}"
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -name '*.db' -type f -delete
}

manage() {
    exec "$PYTHON" "$APP_DIR/manage.py" "$@"
}

# Celery node name: the queues joined by '-', so `inspect ping` can find this node again.
worker_node() {
    local queues="${MIKMAN_WORKER_QUEUES:?MIKMAN_WORKER_QUEUES is required, e.g. poll or jobs,celery}"
    echo "${queues//,/-}@${HOSTNAME:-$(uname -n)}"
}

probe() {
    case "${1:-}" in
        web)
            exec "$PYTHON" "$APP_DIR/deploy/healthcheck.py"
            ;;
        worker)
            exec "$PYTHON" -m celery -A mikman inspect ping --timeout "${MIKMAN_PROBE_TIMEOUT:-10}" \
                -d "$(worker_node)"
            ;;
        *)
            echo "entrypoint: probe web|worker" >&2
            exit 2
            ;;
    esac
}

main() {
    if [[ $# -eq 0 ]]; then
        usage >&2
        exit 2
    fi
    local command="$1"
    shift
    case "$command" in
        web | worker | beat | radius | migrate | provision | simulator | manage | probe) ;;
        help | -h | --help)
            usage
            exit 0
            ;;
        *)
            echo "entrypoint: unknown command: $command" >&2
            usage >&2
            exit 2
            ;;
    esac
    load_file_secrets
    link_static
    cd "$APP_DIR"
    case "$command" in
        web)
            metrics_dir
            exec "$PYTHON" -m gunicorn --config "$APP_DIR/deploy/gunicorn.conf.py" "$@" mikman.wsgi:application
            ;;
        worker)
            local node
            node="$(worker_node)"
            exec "$PYTHON" -m celery -A mikman worker --loglevel "${LOG_LEVEL:-INFO}" \
                --queues "$MIKMAN_WORKER_QUEUES" --hostname "$node" \
                --concurrency "${MIKMAN_WORKER_CONCURRENCY:-2}" "$@"
            ;;
        beat)
            local data="${MIKMAN_DATA_DIR:-$APP_DIR/data}"
            mkdir -p "$data"
            exec "$PYTHON" -m celery -A mikman beat --loglevel "${LOG_LEVEL:-INFO}" \
                --schedule "$data/celerybeat-schedule" "$@"
            ;;
        radius)
            manage radius_server "$@"
            ;;
        migrate)
            export MIKMAN_DB_ROLE=owner
            manage migrate --noinput "$@"
            ;;
        provision)
            exec "$PYTHON" -m mikman.launcher prepare "$@"
            ;;
        simulator)
            exec "$PYTHON" -m devices.simulator "$@"
            ;;
        manage)
            manage "$@"
            ;;
        probe)
            probe "$@"
            ;;
    esac
}

main "$@"
