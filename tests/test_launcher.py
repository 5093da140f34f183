"""The launcher's failures are one clear message, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_launcher(env_extra: dict, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_URL"))}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "mikman.launcher", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_unreachable_database_url_says_what_to_fix():
    result = run_launcher({"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/mikman"}, "prepare")
    assert result.returncode != 0
    assert "unreachable" in result.stderr and "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_redis_url_says_what_to_fix():
    result = run_launcher({"REDIS_URL": "redis://127.0.0.1:1/0"}, "prepare")
    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_database_url_is_rejected_clearly():
    result = run_launcher({"DATABASE_URL": "mysql://x@y/z"}, "prepare")
    assert result.returncode != 0
    assert "not a PostgreSQL URL" in result.stderr
    assert "Traceback" not in result.stderr
