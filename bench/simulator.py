"""Benchmark the RouterOS fleet simulator (not a unit test).

    .venv/bin/python bench/simulator.py --devices 10000 [--seconds 10] [--concurrency 64]

Starts `python -m devices.simulator` as a subprocess pinned to CPU 0 (API only), measures
startup until it prints READY, then polls devices from a client process pinned to CPU 1 with a
fast raw API client (whole-read parsing, so the client is not the bottleneck).  A poll is a new
connection, `/login` and 4 print commands (~150-250 words, by board); api_cmds_per_s counts
every command sentence answered, login included.  A cold pass first polls every device once
(each poll builds that device's state lazily); the steady pass then cycles over all devices
for --seconds.  rss_mb is the simulator's resident memory after both passes (all devices built).
Last line:

With --tls every poll is a new API-SSL connection (TLS handshake included).

    RESULT startup_s=... rss_mb=... api_cmds_per_s=... polls_per_s=... cold_api_cmds_per_s=...
           api_cmds_per_sim_cpu_s=...  (commands per CPU-second the simulator used: its capacity
           on one dedicated core, meaningful when other load shares the machine)
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import ssl
import subprocess
import sys
import time

from _common import ROOT, proc_cpu_s, proc_rss_mb, read_ready, simulator_command, stop

from devices.simulator.api_protocol import SentenceReader, encode_sentence
from devices.simulator.fleet import address_of

IFACE_PROPS = (
    ".id,name,type,mtu,mac-address,running,disabled,comment,link-downs,last-link-up-time,"
    "rx-byte,tx-byte,rx-packet,tx-packet,rx-error,tx-error,rx-drop,tx-drop"
)
POLL = (
    ("/system/resource/print",),
    ("/system/identity/print",),
    ("/system/routerboard/print",),
    ("/interface/print", "=.proplist=" + IFACE_PROPS),
)


class _PollProtocol(asyncio.Protocol):
    """One poll as a callback state machine (much cheaper than asyncio streams, so the client
    is not the bottleneck): login, then each POLL command after the previous `!done`."""

    def __init__(self, login: bytes, done: asyncio.Future) -> None:
        self.sentences = [login] + [encode_sentence(list(c)) for c in POLL]
        self.step = 0
        self.words = 0
        self.parser = SentenceReader()
        self.done = done
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.sentences[0])  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        for sentence in self.parser.feed(data):
            self.words += len(sentence)
            if sentence[0] == "!fatal" or sentence[0] == "!trap":
                self._finish(ConnectionError(" ".join(sentence)))
                return
            if sentence[0] == "!done":
                self.step += 1
                if self.step == len(self.sentences):
                    self._finish(None)
                    return
                self.transport.write(self.sentences[self.step])  # type: ignore[union-attr]

    def connection_lost(self, exc: Exception | None) -> None:
        self._finish(ConnectionError("closed"))

    def _finish(self, error: Exception | None) -> None:
        if not self.done.done():
            if error is None:
                self.done.set_result((self.step, self.words))
            else:
                self.done.set_exception(error)
        if self.transport is not None:
            self.transport.close()


async def _poll(address: str, port: int, user: str, password: str, tls: ssl.SSLContext | None) -> tuple[int, int]:
    """One poll (a new connection; TLS with the fleet CA pinned if `tls`); (commands, words)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future = loop.create_future()
    login = encode_sentence(["/login", f"=name={user}", f"=password={password}"])
    extra = {"ssl": tls, "server_hostname": address} if tls is not None else {}
    await loop.create_connection(lambda: _PollProtocol(login, done), address, port, **extra)
    return await done


async def _client(
    port: int, devices: int, seconds: float, concurrency: int, user: str, password: str, ca: str | None = None
) -> dict:
    """Poll devices round-robin for `seconds` (or, with seconds <= 0, each device exactly once)."""
    counter = {"cmds": 0, "polls": 0, "words": 0, "errors": 0}
    tls = ssl.create_default_context(cafile=ca) if ca else None
    next_device = 0
    once = seconds <= 0
    deadline = time.monotonic() + (seconds if not once else 1e9)

    async def worker() -> None:
        nonlocal next_device
        while time.monotonic() < deadline and not (once and next_device >= devices):
            index = next_device % devices
            next_device += 1
            try:
                cmds, words = await _poll(address_of(index), port, user, password, tls)
                counter["cmds"] += cmds
                counter["polls"] += 1
                counter["words"] += words
            except (OSError, ConnectionError, ssl.SSLError):
                counter["errors"] += 1

    start = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    counter["elapsed"] = time.monotonic() - start
    return counter


def _client_process(
    port: int, devices: int, seconds: float, concurrency: int, user: str, password: str, ca: str | None, out: mp.Queue
) -> None:
    if hasattr(os, "sched_setaffinity") and os.cpu_count() and os.cpu_count() > 1:
        os.sched_setaffinity(0, {1})
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    cpu0 = time.process_time()
    result = asyncio.run(_client(port, devices, seconds, concurrency, user, password, ca))
    result["cpu"] = time.process_time() - cpu0
    out.put(result)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--devices", type=int, default=10000)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument(
        "--cold",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="first poll every device once (lazy state builds), reported as cold_api_cmds_per_s",
    )
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--port", type=int, default=28728)
    p.add_argument("--tls", action="store_true", help="poll over API-SSL (a TLS handshake per poll)")
    args = p.parse_args()
    cmd = simulator_command(
        args.devices, args.port, protocol="api-ssl" if args.tls else "api", extra=("--control-port", "0")
    )
    started = time.monotonic()
    sim = subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=(lambda: os.sched_setaffinity(0, {0})) if os.cpu_count() > 1 else None,
    )
    info = read_ready(sim)
    startup = time.monotonic() - started
    if info is None:
        print("simulator did not start", file=sys.stderr)
        return 1
    creds = info["credentials"]
    try:
        queue: mp.Queue = mp.Queue()
        login = (creds["username"], creds["password"])
        ca = info["ca_pem_path"] if args.tls else None

        def run_client(seconds: float) -> dict:
            proc = mp.Process(
                target=_client_process,
                args=(args.port, args.devices, seconds, args.concurrency, *login, ca, queue),
            )
            proc.start()
            result = queue.get()
            proc.join()
            return result

        cold = run_client(0) if args.cold else None
        cpu_before = proc_cpu_s(sim.pid)
        result = run_client(args.seconds)
        sim_cpu = proc_cpu_s(sim.pid) - cpu_before
        rss = proc_rss_mb(sim.pid)
    finally:
        stop(sim, wait=10)
    elapsed = result["elapsed"]
    polls = result["polls"]
    if cold:
        print(
            f"cold pass: every device once ({cold['polls']} polls, state built lazily) in {cold['elapsed']:.1f}s, "
            f"errors={cold['errors']}"
        )
    print(
        f"steady: devices={args.devices} polls={polls} errors={result['errors']} "
        f"words_per_poll={result['words'] / max(1, polls):.0f} elapsed={elapsed:.1f}s"
    )
    cold_rate = f" cold_api_cmds_per_s={cold['cmds'] / cold['elapsed']:.0f}" if cold else ""
    # Commands per CPU-second of the simulator: its one-core capacity even on a busy machine.
    cold_rate += f" api_cmds_per_sim_cpu_s={result['cmds'] / max(sim_cpu, 1e-9):.0f}"
    print(f"CPU during the steady pass: simulator {sim_cpu:.1f}s, client {result['cpu']:.1f}s, of {elapsed:.1f}s")
    print(
        f"RESULT startup_s={startup:.2f} rss_mb={rss:.0f} api_cmds_per_s={result['cmds'] / elapsed:.0f} "
        f"polls_per_s={polls / elapsed:.0f}{cold_rate}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
