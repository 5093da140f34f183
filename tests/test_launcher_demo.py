"""`make run` registers the demo tenant once the simulator says READY (its layout inside)."""

from __future__ import annotations

import json
import sys
import threading

from mikman.launcher.supervisor import Supervisor, _ready_reader


def test_ready_line_of_a_child_reaches_on_ready_once():
    summary = {"mode": "ports", "count": 3, "seed": 1, "ports": {"api": 20000}}
    script = f"print('booting'); print('READY ' + {json.dumps(json.dumps(summary))}, flush=True); print('done')"
    seen: list[dict] = []
    called = threading.Event()

    def on_ready(info: dict) -> None:
        seen.append(info)
        called.set()

    sup = Supervisor()
    sup.add("fake-sim", [sys.executable, "-c", script], on_line=_ready_reader(on_ready))
    assert called.wait(20), "on_ready was not called"
    sup.procs["fake-sim"].wait(20)
    assert seen == [summary]


def test_garbage_after_ready_is_ignored():
    seen: list = []
    on_line = _ready_reader(seen.append)
    on_line("READY {not json\n")
    on_line("not ready\n")
    assert seen == []
