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


SECOND_CTRL_C = """
import os, signal, sys, threading, time
from mikman.launcher.supervisor import Supervisor

sup = Supervisor()
child = "import signal, time; signal.signal(signal.SIGTERM, lambda *a: (time.sleep(1.5), exit(0))); time.sleep(60)"
sup.add("child", [sys.executable, "-c", child])
print(sup.procs["child"].pid, flush=True)

def interrupts():
    time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C: the child takes 1.5 s to stop
    time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGINT)  # impatient second Ctrl-C while it stops

threading.Thread(target=interrupts, daemon=True).start()
sup.wait()
print("stopped", flush=True)
"""


def test_a_second_ctrl_c_while_stopping_leaves_no_child_behind():
    done = subprocess.run([sys.executable, "-c", SECOND_CTRL_C], cwd=ROOT, capture_output=True, text=True, timeout=60)
    child_pid, *rest = done.stdout.split()
    assert rest == ["stopped"], done.stderr
    assert not Path(f"/proc/{child_pid}").exists()  # waited for (reaped), not orphaned
