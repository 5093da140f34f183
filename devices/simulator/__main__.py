"""`python -m devices.simulator --count N --seed S [--faults SPEC] [--state DIR]`

Runs a fleet until interrupted, printing how to reach it (and a JSON line for scripts).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import signal
import sys
import time

from .fleet import DEFAULT_PORTS, Fleet


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m devices.simulator", description="RouterOS fleet simulator")
    p.add_argument("--count", type=int, default=10)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--faults", default=None, help='e.g. "offline=0.05,slow:300ms=0.1,flapping:10s=@3,4"')
    p.add_argument("--state", default=None, help="directory that keeps device configs across restarts")
    p.add_argument("--protocols", default="api,api-ssl,ssh,rest,snmp")
    for proto, port in DEFAULT_PORTS.items():
        p.add_argument(f"--{proto}-port", type=int, default=port, dest=f"port_{proto.replace('-', '_')}")
    p.add_argument("--latency", default=None, help='per-reply latency: "50ms" or "lognormal:80ms:0.5"')
    p.add_argument("--clock-speed", type=float, default=1.0)
    p.add_argument("--reboot-seconds", type=float, default=20.0)
    p.add_argument("--latest-version", default=None)
    p.add_argument("--admin-password", default="sim-admin")
    p.add_argument("--control-port", type=int, default=0)
    p.add_argument("--base-address", default="127.1.0.0", help="device 0 is this address + 1 (several fleets)")
    p.add_argument("--config-bulk", action="store_true", help="realistic 5-50 KB configs (backup benchmarks)")
    p.add_argument("--mode", choices=("auto", "addresses", "ports"), default="auto")
    p.add_argument("--list", type=int, default=10, help="print this many devices (all with -1)")
    return p.parse_args(argv)


async def run(args: argparse.Namespace) -> None:
    started = time.monotonic()
    ports = {proto: getattr(args, f"port_{proto.replace('-', '_')}") for proto in DEFAULT_PORTS}
    fleet = Fleet(
        count=args.count,
        seed=args.seed,
        faults=args.faults,
        state_dir=args.state,
        ports=ports,
        latency=args.latency,
        clock_speed=args.clock_speed,
        reboot_seconds=args.reboot_seconds,
        latest_version=args.latest_version,
        admin_password=args.admin_password,
        control_port=args.control_port,
        mode=args.mode,
        config_bulk=args.config_bulk,
        base_address=args.base_address,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with fleet.serve(tuple(p for p in args.protocols.split(",") if p)) as info:
        shown = info["devices"] if args.list < 0 else fleet.describe(range(min(args.list, fleet.count)))
        creds = info["credentials"]
        print(
            f"simulating {fleet.count} devices (seed {fleet.seed}, mode {fleet.mode}) "
            f"in {time.monotonic() - started:.2f}s"
        )
        print(f"protocols/ports: {info['ports']}  control: {info['control_url']}  CA: {info['ca_pem_path']}")
        print(
            f"login: {creds['username']}/{creds['password']} (read-only {creds['read_username']}/"
            f"{creds['read_password']})"
        )
        for d in shown:
            print(
                f"  #{d['index']:<5} {d['address']:<15} {d['identity']:<22} {d['board']:<20} {d['version']}"
                + (f"  fault={d['fault']}" if d["fault"] else "")
            )
        summary = {k: v for k, v in info.items() if k not in ("fleet", "devices")}
        print("READY " + json.dumps(summary), flush=True)
        await stop.wait()
    fleet.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Device state is many small acyclic dicts: frequent cyclic-GC passes over them cost ~40% of
    # a lazy state build, so collect less often.
    gc.set_threshold(100_000, 50, 1000)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
