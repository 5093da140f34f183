"""Benchmark the RADIUS server against FreeRADIUS 3.2 + rlm_sql on PostgreSQL (not a unit test).

    export DATABASE_URL=postgresql://postgres@127.0.0.1:5432/mikman_radiusbench REDIS_URL=redis://127.0.0.1:6379/9
    .venv/bin/python -m mikman.launcher prepare                       # once
    .venv/bin/python bench/radius.py [--users 10000] [--nas 100] [--seconds 20] [--workers 2]

Set-up: a tenant "radiusbench" with --users users (random passwords, sealed with the tenant key
like any user), one profile whose limitation sets a 10M/20M rate limit, and --nas routers at
127.0.2.1… (one shared secret). FreeRADIUS gets the same users in radcheck (Cleartext-Password)
and radreply (Mikrotik-Rate-Limit) of its own database on the same PostgreSQL, its stock SQL
queries (check, reply, group membership: three SELECTs per request), its post-auth SQL logging
off, and a private copy of its configuration on free high ports (radius.protocol.tests.freeradius).

Load: PAP Access-Requests for random users from every NAS address (one UDP socket per NAS,
--in-flight outstanding per socket, every reply's authenticators checked), in --load-procs
processes, for --seconds against each server in turn; then Accounting Interim-Updates against our
server for --acct-seconds. Our server runs as `manage.py radius_server --workers N` with its auth
log on (one AuthLog row per request). A lost request is one without a valid reply in 2 s.

Last line:
    RESULT ours_auth_per_s=… freeradius_sql_auth_per_s=… ratio=… p99_ms=… acct_per_s=…
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from _common import ROOT, stop, use_django_settings

# this file is bench/radius.py: its directory goes behind the root or it would shadow the radius
# package (it stays on the path for _common: spawned load workers re-import this file)
BENCH_DIR = os.path.join(ROOT, "bench")
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != BENCH_DIR] + [BENCH_DIR]
use_django_settings()

from radius.protocol.client import _LoadRun, _LoadSocket, access_request, merge_reports  # noqa: E402
from radius.protocol.packet import Code, Packet  # noqa: E402

SECRET = "radius-bench-secret-0123456789abcdef"
RATE = "10M/20M"
TENANT_SLUG = "radiusbench"


def nas_address(i: int) -> str:
    return f"127.0.2.{i + 1}"


# --- load generation (runs in worker processes) ----------------------------------------------------
def pap_factory(users: list[tuple[str, str]], seed: int):
    rng = random.Random(seed)
    secret = SECRET.encode()

    def make(i: int) -> Packet:
        name, password = users[rng.randrange(len(users))]
        return access_request(name, password, secret, NAS_Port_Type="Ethernet")

    return make


def acct_factory(users: list[tuple[str, str]], seed: int):
    rng = random.Random(seed)
    secret = SECRET.encode()

    def make(i: int) -> Packet:
        n = rng.randrange(len(users))
        packet = Packet(Code.ACCOUNTING_REQUEST, secret=secret)
        packet.add("User-Name", users[n][0])
        packet.add("Acct-Status-Type", "Start" if i < len(users) else "Interim-Update")
        packet.add("Acct-Session-Id", f"bench-{seed}-{n}")
        packet.add("Acct-Input-Octets", i * 100 % 2**32)
        packet.add("Acct-Output-Octets", i * 300 % 2**32)
        packet.add("Acct-Session-Time", i % 86400)
        return packet

    return make


async def _load(port: int, sources: list[str], make, seconds: float, in_flight: int, require_ma: bool):
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    run = _LoadRun(make, in_flight, 2.0, None, started + seconds, require_ma)
    for source in sources:
        _, proto = await loop.create_datagram_endpoint(
            lambda: _LoadSocket(run), local_addr=(source, 0), remote_addr=("127.0.0.1", port)
        )
        run.sockets.append(proto)
    try:
        for proto in run.sockets:
            proto.fill()
        while not run.done.is_set():
            try:
                await asyncio.wait_for(run.done.wait(), 0.05)
            except TimeoutError:
                now = time.perf_counter()
                for proto in run.sockets:
                    proto.fill()
                    proto.expire(now)
                run.check_done()
    finally:
        for proto in run.sockets:
            proto.transport.close()
    run.report.duration = time.perf_counter() - started
    return run.report


def _load_worker(args):
    port, sources, kind, users, seed, seconds, in_flight, require_ma = args
    make = (pap_factory if kind == "pap" else acct_factory)(users, seed)
    return asyncio.run(_load(port, sources, make, seconds, in_flight, require_ma))


def drive(port: int, kind: str, users, nas: int, procs: int, seconds: float, in_flight: int, require_ma=True):
    """`require_ma`: insist on Message-Authenticator in Access-* replies (FreeRADIUS 3.2.1, as
    Debian 12 ships it, predates the BlastRADIUS fix and does not send it)."""
    import multiprocessing

    sources = [nas_address(i) for i in range(nas)]
    jobs = [(port, sources[i::procs], kind, users, 1000 + i, seconds, in_flight, require_ma) for i in range(procs)]
    with multiprocessing.get_context("spawn").Pool(procs) as pool:
        return merge_reports(pool.map(_load_worker, jobs))


def wait_for_server(port: int, timeout: float = 120.0) -> None:
    """Until a Status-Server from the first NAS address is answered."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        packet = Packet(Code.STATUS_SERVER, secret=SECRET.encode())
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((nas_address(0), 0))
            sock.settimeout(0.5)
            sock.sendto(packet.encode(), ("127.0.0.1", port))
            with contextlib.suppress(TimeoutError, ConnectionRefusedError):
                sock.recvfrom(4096)
                return
        time.sleep(0.5)
    raise SystemExit(f"server on port {port} never answered Status-Server")


# --- set-up ------------------------------------------------------------------------------------------
def setup_mikman(users: list[tuple[str, str]], nas: int) -> None:
    from django.utils import timezone

    from radius import services
    from radius.models import (
        AuthLog,
        Limitation,
        Profile,
        ProfileLimitation,
        RadiusUser,
        Router,
        Session,
        UserProfile,
    )
    from tenants.context import tenant_context
    from tenants.models import Tenant

    tenant = Tenant.objects.filter(slug=TENANT_SLUG).first() or Tenant.objects.create(
        name="RADIUS bench", slug=TENANT_SLUG
    )
    now = timezone.now()
    with tenant_context(tenant.id):
        # a fresh User Manager in the same tenant (deleting the tenant would need every row's context)
        for model in (Session, AuthLog, UserProfile, RadiusUser, ProfileLimitation, Profile, Limitation, Router):
            model.objects.all().delete()
        profile = Profile.objects.create(tenant=tenant, name="bench")
        limitation = Limitation.objects.create(
            tenant=tenant, name="bench", rate_limit_rx=10_000_000, rate_limit_tx=20_000_000
        )
        ProfileLimitation.objects.create(tenant=tenant, profile=profile, limitation=limitation)
        routers = []
        for i in range(nas):
            router = Router(id=uuid.uuid4(), tenant=tenant, name=f"nas-{i}", address=nas_address(i))
            services.seal(router, "shared_secret", SECRET)
            routers.append(router)
        Router.objects.bulk_create(routers)
        rows, queue = [], []
        for name, password in users:
            user = RadiusUser(id=uuid.uuid4(), tenant=tenant, name=name)
            services.seal(user, "password", password)
            rows.append(user)
            queue.append(UserProfile(tenant=tenant, user=user, profile=profile, position=1, assigned_at=now))
        RadiusUser.objects.bulk_create(rows, batch_size=2000)
        UserProfile.objects.bulk_create(queue, batch_size=2000)


SQL_MODULE = """
sql {{
    dialect = "postgresql"
    driver = "rlm_sql_postgresql"
    postgresql {{
        send_application_name = yes
    }}
    radius_db = "host=127.0.0.1 port=5432 dbname={dbname} user=postgres"
    acct_table1 = "radacct"
    acct_table2 = "radacct"
    postauth_table = "radpostauth"
    authcheck_table = "radcheck"
    groupcheck_table = "radgroupcheck"
    authreply_table = "radreply"
    groupreply_table = "radgroupreply"
    usergroup_table = "radusergroup"
    delete_stale_sessions = yes
    pool {{
        start = 16
        min = 16
        max = 32
        spare = 16
        uses = 0
        retry_delay = 1
        lifetime = 0
        idle_timeout = 0
    }}
    read_clients = no
    client_table = "nas"
    group_attribute = "SQL-Group"
    $INCLUDE ${{modconfdir}}/${{.:name}}/main/${{dialect}}/queries.conf
}}
"""

SQL_SITE = """
server mikman_bench {{
    listen {{
        type = auth
        ipaddr = 127.0.0.1
        port = {port}
        recv_buff = 4194304
    }}
    authorize {{
        sql
        pap
    }}
    authenticate {{
        Auth-Type PAP {{
            pap
        }}
    }}
    post-auth {{
        ok
    }}
}}
"""


def setup_freeradius_db(dbname: str, users: list[tuple[str, str]]) -> None:
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
        conn.execute(f'CREATE DATABASE "{dbname}"')
    schema = Path("/etc/freeradius/3.0/mods-config/sql/main/postgresql/schema.sql").read_text()
    with psycopg.connect(host="127.0.0.1", port=5432, user="postgres", dbname=dbname, autocommit=True) as conn:
        conn.execute(schema)
        with conn.cursor() as cur:
            with cur.copy("COPY radcheck (username, attribute, op, value) FROM STDIN") as copy:
                for name, password in users:
                    copy.write_row((name, "Cleartext-Password", ":=", password))
            with cur.copy("COPY radreply (username, attribute, op, value) FROM STDIN") as copy:
                for name, _ in users:
                    copy.write_row((name, "Mikrotik-Rate-Limit", ":=", RATE))
        conn.execute("ANALYZE")


def ensure_freeradius_sql(find_binary) -> str:
    """FreeRADIUS and its PostgreSQL driver, installed from Debian's packages when missing (as
    root); otherwise a clear error saying what to install."""
    packages = ["freeradius", "freeradius-postgresql"]
    driver = Path("/usr/lib/freeradius/rlm_sql_postgresql.so")
    if find_binary() is None or not driver.exists():
        if shutil.which("apt-get") and os.geteuid() == 0:
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]
            subprocess.run(install, env=env, check=False)
    binary = find_binary()
    if binary is None or not driver.exists():
        raise SystemExit(f"FreeRADIUS with its SQL driver is missing: apt-get install {' '.join(packages)}")
    return binary


@contextlib.contextmanager
def running_freeradius_sql(directory: Path, dbname: str):
    from radius.protocol.tests.freeradius import free_udp_port_pair, freeradius_binary, write_config

    binary = ensure_freeradius_sql(freeradius_binary)
    port = free_udp_port_pair()
    conf = write_config(directory, SECRET, {}, "", port)
    (conf / "sites-enabled" / "mikman_test").unlink()
    (conf / "sites-enabled" / "mikman_bench").write_text(SQL_SITE.format(port=port))
    (conf / "clients.conf").write_text(
        f'client bench {{\n    ipaddr = 127.0.2.0/24\n    secret = "{SECRET}"\n    shortname = bench\n}}\n'
    )
    for name in ("sql",):
        target = conf / "mods-enabled" / name
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        target.write_text(SQL_MODULE.format(dbname=dbname))
    radiusd = (conf / "radiusd.conf").read_text()
    radiusd = re.sub(r"(?m)^(\s*)max_servers = .*$", r"\1max_servers = 32", radiusd)
    (conf / "radiusd.conf").write_text(radiusd)
    log = directory / "radiusd.out"
    with open(log, "wb") as out:
        proc = subprocess.Popen([binary, "-f", "-d", str(conf), "-l", "stdout"], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while b"Ready to process requests" not in log.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"FreeRADIUS did not start: {log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield port
    finally:
        stop(proc, wait=10)


@contextlib.contextmanager
def running_ours(workers: int):
    from radius.protocol.tests.freeradius import free_udp_port_pair

    port = free_udp_port_pair()
    proc = subprocess.Popen(
        [
            sys.executable,
            os.path.join(ROOT, "manage.py"),
            "radius_server",
            "--bind",
            "127.0.0.1",
            "--auth-port",
            str(port),
            "--acct-port",
            str(port + 1),
            "--workers",
            str(workers),
            "--interim-interval",
            "0",
        ],
        cwd=ROOT,
    )
    try:
        wait_for_server(port)
        yield port, proc
    finally:
        stop(proc)


def report_line(label: str, report) -> str:
    return f"{label}: {report.summary()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10000)
    parser.add_argument("--nas", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--acct-seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2, help="our server's worker processes")
    parser.add_argument("--load-procs", type=int, default=2, help="load generator processes")
    parser.add_argument("--in-flight", type=int, default=4, help="outstanding requests per NAS socket")
    parser.add_argument("--skip-freeradius", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile one server worker (workers=1)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    rng = random.Random(7)
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    users = [(f"user{i:05d}", "".join(rng.choice(alphabet) for _ in range(12))) for i in range(args.users)]
    t0 = time.perf_counter()
    setup_mikman(users, args.nas)
    print(f"mikman set-up: {args.users} users, {args.nas} NAS in {time.perf_counter() - t0:.1f}s", flush=True)

    fr_rate = float("nan")
    if not args.skip_freeradius:
        dbname = settings.DATABASES["default"]["NAME"] + "_frsql"
        setup_freeradius_db(dbname, users)
        with (
            tempfile.TemporaryDirectory(prefix="radiusbench-") as tmp,
            running_freeradius_sql(Path(tmp), dbname) as port,
        ):
            drive(port, "pap", users[:50], args.nas, args.load_procs, 2, args.in_flight, False)  # warm-up
            fr = drive(port, "pap", users, args.nas, args.load_procs, args.seconds, args.in_flight, False)
            print(report_line("freeradius+sql auth", fr), flush=True)
            fr_rate = fr.codes.get(Code.ACCESS_ACCEPT, 0) / fr.duration if fr.lost == 0 else fr.rate

    with running_ours(args.workers) as (port, _):
        drive(port, "pap", users[:50], args.nas, args.load_procs, 2, args.in_flight)  # warm-up
        ours = drive(port, "pap", users, args.nas, args.load_procs, args.seconds, args.in_flight)
        print(report_line("ours auth", ours), flush=True)
        acct = drive(port + 1, "acct", users, args.nas, args.load_procs, args.acct_seconds, args.in_flight)
        print(report_line("ours acct", acct), flush=True)
    ours_rate = ours.codes.get(Code.ACCESS_ACCEPT, 0) / ours.duration
    ratio = ours_rate / fr_rate if fr_rate == fr_rate and fr_rate else float("nan")
    lost = ours.lost + acct.lost
    print(
        f"RESULT ours_auth_per_s={ours_rate:.0f} freeradius_sql_auth_per_s={fr_rate:.0f} ratio={ratio:.2f} "
        f"p99_ms={ours.p99_ms:.1f} acct_per_s={acct.rate:.0f} lost={lost} "
        f"rejects={ours.codes.get(Code.ACCESS_REJECT, 0)} "
        f"users={args.users} nas={args.nas} seconds={args.seconds:.0f} workers={args.workers} "
        f"load_avg={os.getloadavg()[0]:.1f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
