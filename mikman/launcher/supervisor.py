"""Runs the platform's processes in the foreground with prefixed logs; Ctrl-C stops all of them."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def manage(args: list[str], settings: str, role: str = "app") -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings, "MIKMAN_DB_ROLE": role}
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env)
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed (exit {result.returncode}).")


class Supervisor:
    def __init__(self, env: dict | None = None):
        self.env = {**os.environ, **(env or {})}
        self.procs: dict[str, subprocess.Popen] = {}

    def add(self, name: str, cmd: list[str], on_line=None) -> None:
        """Start `cmd`; `on_line(line)` (optional) sees each line of its output as well."""
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        self.procs[name] = proc
        threading.Thread(target=self._pump, args=(name, proc, on_line), daemon=True).start()

    def add_optional_simulator(self, on_ready=None) -> None:
        """The demo fleet; `on_ready(info)` gets the simulator's READY summary (mode, ports,
        count, seed) once it listens — `make run` registers the demo tenant from it."""
        if importlib.util.find_spec("devices.simulator.__main__") is None:
            return
        count = os.environ.get("MIKMAN_DEMO_DEVICES", "20")
        from devices.demo import simulator_mode

        # Without root the simulator gives every router its own port on 127.0.0.1: the standard
        # ports (22, 161, 443 are privileged; 8728+i overlaps 8729) cannot work, so let it pick
        # free port blocks — the READY line reports them to `on_ready`.
        ports = (
            []
            if simulator_mode() == "addresses"
            else [f"--{p}-port=0" for p in ("api", "api-ssl", "ssh", "rest", "snmp")]
        )
        self.add(
            "simulator",
            [
                sys.executable,
                "-m",
                "devices.simulator",
                "--count",
                count,
                "--seed",
                "1",
                "--state",
                str(ROOT / "data" / "simulator"),
                *ports,
            ],
            on_line=_ready_reader(on_ready) if on_ready else None,
        )

    @staticmethod
    def _pump(name: str, proc: subprocess.Popen, on_line=None) -> None:
        for line in proc.stdout:
            sys.stdout.write(f"{name:>9} | {line}")
            if on_line is not None:
                on_line(line)
        sys.stdout.flush()

    def run_once(self, cmd: list[str], env: dict) -> int:
        return subprocess.run(cmd, cwd=ROOT, env={**self.env, **env}).returncode

    def wait(self) -> int:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.is_set():
                for name, proc in self.procs.items():
                    if proc.poll() is not None:
                        print(f"{name} exited with {proc.returncode}; stopping the rest.", file=sys.stderr)
                        stop.set()
                        break
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        self.stop()
        return 0

    def stop(self) -> None:
        """TERM every child's process group, KILL what is left after 10 s. A second Ctrl-C (or
        TERM) meanwhile is ignored: it must not end the launcher before its children."""
        with contextlib.suppress(ValueError):  # only the main thread may set handlers
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.time() + 10
        for proc in self.procs.values():
            try:
                proc.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def _ready_reader(on_ready):
    """A line callback that calls `on_ready(summary)` once, in its own thread, for the
    simulator's `READY {json}` line (devices/simulator/__main__.py)."""
    import json

    def on_line(line: str) -> None:
        if line.startswith("READY "):
            try:
                info = json.loads(line[len("READY ") :])
            except ValueError:
                return
            threading.Thread(target=on_ready, args=(info,), daemon=True, name="demo-setup").start()

    return on_line
