"""python -m mikman.launcher run|test|prepare — what `make run` and `make test` call."""

from __future__ import annotations

import argparse
import os
import sys

from mikman import dbconfig
from mikman.secrets_store import data_dir, load_secrets

from . import embedded, provision
from .supervisor import Supervisor, manage


def prepare(test: bool) -> list:
    """Start what is embedded, provision roles and database, migrate as owner. Returns handles."""
    data = data_dir()
    os.environ.setdefault("XDG_RUNTIME_DIR", str(data / "run"))  # pgserver's lock and socket home
    (data / "run").mkdir(mode=0o700, exist_ok=True)
    secrets = load_secrets()
    handles: list = []
    if not os.environ.get("DATABASE_URL") and not os.environ.get("DATABASE_APP_URL"):
        handles.append(embedded.start_postgres(data / "pg"))
    if not os.environ.get("REDIS_URL"):
        handles.append(embedded.start_redis(data, dbconfig.embedded_redis_port()))
    elif not embedded.redis_reachable(dbconfig.redis_url()):
        raise SystemExit(f"Redis at REDIS_URL is unreachable: {dbconfig.redis_url()!r}. Fix it or unset REDIS_URL.")
    owner, app = dbconfig.role_targets(data, secrets, test=test)
    if not (os.environ.get("DATABASE_APP_URL") and os.environ.get("DATABASE_OWNER_URL")):
        provision.provision(dbconfig.admin_target(data), owner, app, fresh=test)
    settings = "mikman.settings.test" if test else os.environ.get("DJANGO_SETTINGS_MODULE", "mikman.settings.dev")
    manage(["migrate", "--noinput", "-v", "0"], settings, role="owner")
    return handles


def demo_setup(info: dict, settings: str, bind: str = "") -> None:
    """Register the simulator's routers for the demo tenant (`manage.py demo_setup`), with the
    layout the simulator reported (address or port mode, its API port)."""
    try:
        manage(
            [
                "demo_setup",
                "--count",
                str(info["count"]),
                "--seed",
                str(info["seed"]),
                "--mode",
                str(info["mode"]),
                "--api-port",
                str(info["ports"]["api"]),
                # the Simulator panel (alerts) and the demo NAS (RADIUS) drive the simulator
                *(["--control-url", info["control_url"]] if info.get("control_url") else []),
                *(["--receiver-url", f"http://{_local(bind)}"] if bind else []),
                *radius_demo_args(),
            ],
            settings,
        )
    except (SystemExit, KeyError) as exc:  # the platform keeps running without the demo
        print(f"demo tenant not set up: {exc}", file=sys.stderr)


def radius_demo_args() -> list[str]:
    """With the RADIUS server on, the demo also makes simulated router #0 its hotspot NAS."""
    if os.environ.get("MIKMAN_RADIUS", "1").strip().lower() in ("0", "false", "no", "off"):
        return ["--no-radius-nas"]
    return [
        "--radius-auth-port",
        os.environ.get("MIKMAN_RADIUS_AUTH_PORT", "11812"),
        "--radius-acct-port",
        os.environ.get("MIKMAN_RADIUS_ACCT_PORT", "11813"),
    ]


def _local(bind: str) -> str:
    """host:port the platform's own processes reach the web server at (0.0.0.0 → 127.0.0.1)."""
    host, _, port = bind.rpartition(":")
    return f"{'127.0.0.1' if host in ('', '0.0.0.0', '::', '[::]') else host}:{port}"  # noqa: S104


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mikman.launcher")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("prepare", help="services, roles, database, migrations")
    run = sub.add_parser("run", help="prepare, then web + worker + beat (+ simulator) in the foreground")
    run.add_argument("--bind", default=os.environ.get("MIKMAN_BIND", "127.0.0.1:8000"))
    run.add_argument("--no-simulator", action="store_true")
    run.add_argument(
        "--no-demo",
        action="store_true",
        default=os.environ.get("MIKMAN_DEMO", "1").strip().lower() in ("0", "false", "no", "off"),
        help="do not register the simulated fleet for the demo tenant (also MIKMAN_DEMO=0)",
    )
    test = sub.add_parser("test", help="prepare a fresh test database, then pytest")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER)
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "test":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")

    handles = prepare(test=args.command == "test")
    settings = os.environ.get("DJANGO_SETTINGS_MODULE", "mikman.settings.dev")
    try:
        if args.command == "prepare":
            return 0
        if args.command == "test":
            env = {"DJANGO_SETTINGS_MODULE": "mikman.settings.test"}
            return Supervisor().run_once([sys.executable, "-m", "pytest", *extra, *args.pytest_args], env)
        manage(["bootstrap_admin"], settings)
        manage(["collectstatic", "--noinput", "-v", "0"], settings)
        sup = Supervisor(env={"DJANGO_SETTINGS_MODULE": settings})
        sup.add("web", [sys.executable, "manage.py", "runserver", "--noreload", args.bind])
        sup.add(
            "worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "mikman",
                "worker",
                "-l",
                "info",
                "-c",
                "2",
                "-Q",
                "poll,jobs,alerts",
            ],
        )
        sup.add(
            "beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "mikman",
                "beat",
                "-l",
                "info",
                "-s",
                str(data_dir() / "celerybeat-schedule"),
            ],
        )
        if os.environ.get("MIKMAN_RADIUS", "1").strip().lower() not in ("0", "false", "no", "off"):
            # the User Manager RADIUS server; high ports by default (1812/1813 need root and may be taken)
            sup.add(
                "radius",
                [
                    sys.executable,
                    "manage.py",
                    "radius_server",
                    "--bind",
                    os.environ.get("MIKMAN_RADIUS_BIND", "0.0.0.0"),
                    "--auth-port",
                    os.environ.get("MIKMAN_RADIUS_AUTH_PORT", "11812"),
                    "--acct-port",
                    os.environ.get("MIKMAN_RADIUS_ACCT_PORT", "11813"),
                ],
            )
        if not args.no_simulator:
            on_ready = None if args.no_demo else lambda info: demo_setup(info, settings, args.bind)
            sup.add_optional_simulator(on_ready=on_ready)
        print(f"\nmikman is up: http://{args.bind}/  (API: /api/v1/, docs: /api/docs/) — Ctrl-C stops everything.\n")
        return sup.wait()
    finally:
        for handle in handles:
            if hasattr(handle, "terminate"):
                handle.terminate()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ValueError as exc:  # malformed configuration: one line, no traceback
        sys.exit(f"Configuration error: {exc}")
