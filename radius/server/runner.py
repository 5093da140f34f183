"""Running the server: one process, or N worker processes sharing the ports (SO_REUSEPORT).

SIGTERM and SIGINT stop it cleanly: the ports close, pending accounting and auth-log writes are
flushed, the database connections close. With workers the parent forwards the signal and waits.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal

from django.db import connections

from radius.server.server import RadiusServer

log = logging.getLogger("radius.server")


async def _serve(options: dict, ready=None) -> None:
    server = RadiusServer(**options)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    if ready is not None:
        ready.set()
    try:
        await stop.wait()
    finally:
        await server.stop()


def _event_loop():
    try:
        import uvloop

        return uvloop.new_event_loop()
    except ImportError:  # pragma: no cover - uvloop is in requirements.txt
        return asyncio.new_event_loop()


def _worker(options: dict, ready) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent's Ctrl-C arrives as SIGTERM from it
    with asyncio.Runner(loop_factory=_event_loop) as runner:
        runner.run(_serve(options, ready))


def serve(options: dict, workers: int = 1) -> None:
    """Block serving until SIGTERM/SIGINT."""
    if workers <= 1:
        with asyncio.Runner(loop_factory=_event_loop) as runner:
            runner.run(_serve(options))
        return
    connections.close_all()  # a forked child must not share the parent's database socket
    ctx = multiprocessing.get_context("fork")
    options = {**options, "reuse_port": True}
    children = []
    for _ in range(workers):
        ready = ctx.Event()
        proc = ctx.Process(target=_worker, args=(options, ready), daemon=False)
        proc.start()
        children.append((proc, ready))
    stopping = False

    def stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True
        for proc, _ in children:
            if proc.is_alive():
                os.kill(proc.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for proc, ready in children:
        while not ready.wait(0.5):
            if not proc.is_alive():
                stop(None, None)
                break
    log.info("radius: %d workers running", workers)
    for proc, _ in children:
        proc.join()
    if not stopping:
        raise SystemExit("a RADIUS worker exited")
