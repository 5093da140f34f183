"""gunicorn settings for `entrypoint.sh web`; each can be overridden by env or GUNICORN_CMD_ARGS."""

import os

bind = os.environ.get("MIKMAN_BIND", "0.0.0.0:8000")
# WEB_CONCURRENCY is gunicorn's own variable; 2-4 sync workers per CPU is the usual range.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
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
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The reverse proxy (Caddy, the ingress controller) terminates TLS; Django reads
# X-Forwarded-Proto itself (SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
