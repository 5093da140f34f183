"""A real RadiusServer (event loop in a thread, real PostgreSQL via the app role) and a small
User Manager for two tenants. Data is committed (transactional tests), so the server's own
database connection sees it exactly as in production."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import socket
import subprocess
import threading
import time
from types import SimpleNamespace

import pytest
from django.utils import timezone

from radius import services
from radius.models import Limitation, Profile, ProfileLimitation, RadiusUser, Router, UserProfile
from radius.protocol.client import check_reply
from radius.server.server import RadiusServer
from tenants.context import tenant_context
from tests.factories import make_tenant

SECRET_A = "secret-of-acme-0123456789"
SECRET_B = "secret-of-globex-987654321"
NAS_A = "127.0.0.1"
NAS_B = "127.0.0.2"
STRANGER = "127.0.0.3"


class ServerThread:
    def __init__(self, **options) -> None:
        self.options = {"bind": "0.0.0.0", "auth_port": 0, "acct_port": 0, "flush_interval": 0.05, **options}
        self.ready = threading.Event()
        self.error: BaseException | None = None

    def __enter__(self) -> RadiusServer:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self.ready.wait(30) or self.error is not None:
            raise RuntimeError(f"RADIUS server did not start: {self.error!r}")
        return self.server

    def _run(self) -> None:
        async def main() -> None:
            self.loop = asyncio.get_running_loop()
            self.stopping = asyncio.Event()
            self.server = RadiusServer(**self.options)
            try:
                await self.server.start()
            except BaseException as exc:
                self.error = exc
                self.ready.set()
                raise
            self.ready.set()
            await self.stopping.wait()
            await self.server.stop()

        asyncio.run(main())

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.stopping.set)
        self.thread.join(30)

    def changed(self, before: int, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until the server has received a change notification beyond `before` and loaded
        it (the commit-to-notification delay is PostgreSQL's, typically well under 10 ms)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.notifications >= before + count and self.server.settled():
                return
            time.sleep(0.002)
        raise AssertionError("the change notification never arrived")

    def flush(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.flush(), self.loop).result(10)


def make_router(tenant, name: str, address: str, secret: str, **extra) -> Router:
    with tenant_context(tenant.id):
        router = Router(tenant=tenant, name=name, address=address, **extra)
        services.seal(router, "shared_secret", secret)
        router.save()
    return router


def make_radius_user(tenant, name: str, password: str, profile: Profile | None = None, **extra) -> RadiusUser:
    with tenant_context(tenant.id):
        user = RadiusUser(tenant=tenant, name=name, **extra)
        services.seal(user, "password", password)
        user.save()
        if profile is not None:
            now = timezone.now() - dt.timedelta(minutes=1)
            UserProfile.objects.create(tenant=tenant, user=user, profile=profile, position=1, assigned_at=now)
    return user


def make_profile(tenant, name: str, **limits) -> Profile:
    with tenant_context(tenant.id):
        profile = Profile.objects.create(tenant=tenant, name=name)
        limitation = Limitation.objects.create(tenant=tenant, name=f"{name} limits", **limits)
        ProfileLimitation.objects.create(tenant=tenant, profile=profile, limitation=limitation)
    return profile


@pytest.fixture
def um(transactional_db):
    acme, globex = make_tenant("Acme", slug="acme"), make_tenant("Globex", slug="globex")
    basic = make_profile(acme, "basic", rate_limit_rx=2_000_000, rate_limit_tx=10_000_000)
    capped = make_profile(acme, "capped", transfer_limit=1000)
    globex_profile = make_profile(globex, "standard", rate_limit_rx=1_000_000, rate_limit_tx=1_000_000)
    make_router(acme, "acme-nas", NAS_A, SECRET_A)
    make_router(globex, "globex-nas", NAS_B, SECRET_B)
    users = SimpleNamespace(
        alice=make_radius_user(acme, "alice", "alice-pw", basic),
        capped=make_radius_user(acme, "capped", "capped-pw", capped),
        shared_a=make_radius_user(acme, "shared", "acme-pw", basic),
        shared_b=make_radius_user(globex, "shared", "globex-pw", globex_profile),
        onlyb=make_radius_user(globex, "onlyb", "onlyb-pw", globex_profile),
    )
    return SimpleNamespace(acme=acme, globex=globex, basic=basic, capped=capped, users=users)


@pytest.fixture
def running(um):
    handle = ServerThread()
    with handle as server:
        yield SimpleNamespace(server=server, handle=handle, um=um)


@pytest.fixture(scope="session")
def radclient() -> str:
    path = shutil.which("radclient")
    if path is None:
        apt = shutil.which("apt-get")
        if apt is None or os.geteuid() != 0:
            pytest.skip("radclient missing and apt-get unavailable to install freeradius-utils")
        subprocess.run(
            [apt, "install", "-y", "--no-install-recommends", "freeradius-utils"],
            capture_output=True,
            timeout=600,
            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
        )
        path = shutil.which("radclient")
        if path is None:
            pytest.skip("apt-get install freeradius-utils failed")
    return path


def radclient_run(radclient: str, port: int, kind: str, attributes: str, secret: str = SECRET_A) -> str:
    """One radclient exchange from 127.0.0.1 (the acme NAS); its full debug output."""
    done = subprocess.run(
        [radclient, "-x", "-r", "1", "-t", "2", f"127.0.0.1:{port}", kind, secret],
        input=attributes,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return done.stdout + done.stderr


def exchange(packet, port: int, source: str = NAS_A, timeout: float = 1.0, data: bytes | None = None):
    """Send `packet` (or the exact bytes `data` of it) from `source`; the verified reply or None."""
    data = data if data is not None else packet.encode()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        sock.settimeout(timeout)
        sock.sendto(data, ("127.0.0.1", port))
        try:
            reply, _ = sock.recvfrom(4096)
        except TimeoutError:
            return None
    return check_reply(reply, packet, require_message_authenticator=True)
