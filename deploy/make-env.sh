#!/usr/bin/env bash
# Writes deploy/.env from deploy/.env.example with every empty secret filled with a fresh random
# value; mode 0600. Refuses to overwrite an existing file (its secrets guard existing data).
#   deploy/make-env.sh [TARGET]      (default: deploy/.env next to this script)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target="${1:-$here/.env}"
if [[ -e "$target" ]]; then
    echo "make-env: $target exists; not overwritten." >&2
    exit 1
fi

hex() { head -c "$1" /dev/urandom | od -An -v -tx1 | tr -d ' \n'; }
b64() { head -c "$1" /dev/urandom | base64 | tr -d '\n'; }

umask 077
tmp="$(mktemp "$target.XXXXXX")"
while IFS= read -r line || [[ -n "$line" ]]; do
    case "$line" in
        SECRET_KEY=) line="SECRET_KEY=$(hex 40)" ;;
        MIKMAN_MASTER_KEY=) line="MIKMAN_MASTER_KEY=$(b64 32)" ;;
        POSTGRES_PASSWORD= | DB_OWNER_PASSWORD= | DB_APP_PASSWORD= | REDIS_PASSWORD= | METRICS_TOKEN=)
            line="${line}$(hex 24)"
            ;;
    esac
    printf '%s\n' "$line"
done <"$here/.env.example" >"$tmp"
chmod 600 "$tmp"
mv "$tmp" "$target"
echo "make-env: wrote $target (mode 0600). Now set MIKMAN_DOMAIN and CSRF_TRUSTED_ORIGINS in it."
