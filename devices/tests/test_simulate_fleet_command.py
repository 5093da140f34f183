"""`manage.py simulate_fleet` is the simulator: same options, same READY line."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_simulate_fleet_command_starts_a_fleet_and_reports_ready():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mikman.settings.test"}
    cmd = [
        sys.executable,
        "manage.py",
        "simulate_fleet",
        "--count",
        "3",
        "--seed",
        "2",
        "--protocols",
        "api",
        "--api-port",
        "0",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        ready = None
        for line in proc.stdout:
            if line.startswith("READY "):
                ready = json.loads(line[len("READY ") :])
                break
        assert ready is not None, "no READY line"
        assert ready["count"] == 3 and ready["protocols"] == ["api"]
        assert ready["ports"]["api"] > 0
    finally:
        proc.terminate()
        proc.wait(10)
