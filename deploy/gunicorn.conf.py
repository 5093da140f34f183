"""gunicorn settings for `entrypoint.sh web`; each can be overridden by env or GUNICORN_CMD_ARGS."""

import os

bind = os.environ.get("MIKMAN_BIND", "0.0.0.0:8000")
# WEB_CONCURRENCY is gunicorn's own variable; 2-4 sync workers per CPU is the usual range.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# Threaded workers: the pages' live-update stream (/t/<tenant>/live/, server-sent events) keeps
# a request open for up to LIVE_STREAM_SECONDS (55 s); with sync workers three open dashboards
# would block the site. gthread serves the streams on threads of their own.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
# Heartbeat files in memory: works with a read-only root filesystem and avoids disk stalls.
SHM = "/dev/shm"  # noqa: S108 - gunicorn's documented choice; a per-container tmpfs
worker_tmp_dir = SHM if os.path.isdir(SHM) else None
accesslog = "-"
# The request id (mikman.request_id) in each access line, to join it with the app's log lines.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(L)ss rid=%({x-request-id}o)s'
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The reverse proxy (Caddy, the ingress controller) terminates TLS; Django reads
# X-Forwarded-Proto itself (SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def child_exit(server, worker):
    """A worker that exits leaves its metric files behind: mark them dead so that its live
    gauges drop out while its counters stay summed (prometheus-client multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
