"""Fixtures of the alerting tests: a real Celery worker, a simulated fleet, a local webhook
receiver (threaded http.server) and a local SMTP server (aiosmtpd). Import fixtures by name."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from celery.contrib.testing.worker import start_worker

from devices.simulator.testing import running_fleet
from mikman.celery import app
from tenants.access import load_site_scope, resolve_access
from tenants.context import tenant_context
from tests.conftest import world  # noqa: F401
from tests.factories import make_device, sim_device_fields

SIM_PASSWORD = "sim-admin"
SIGNING_SECRET = "whsec-test-0123456789"


@pytest.fixture
def worker(transactional_db, settings):
    settings.ALERTS_RETRY_BASE_S = 0.2
    with start_worker(
        app, pool="solo", perform_ping_check=False, loglevel="WARNING", queues=[app.conf.task_default_queue]
    ):
        yield


@pytest.fixture(scope="module")
def sim():
    with running_fleet(count=4, seed=11, protocols=("api",)) as info:
        yield info


@pytest.fixture
def fleet(sim):
    indices = [d["index"] for d in sim["devices"]]
    sim["fleet"].set_fault(indices, None)
    yield sim
    sim["fleet"].set_fault(indices, None)


def sim_device(tenant, fleet, index: int, site=None, **extra):
    fields = sim_device_fields(
        fleet["devices"][index], protocol="api", fallback_protocols=[], username="admin", **extra
    )
    return make_device(tenant, site, password=SIM_PASSWORD, **fields)


def poll(*devices) -> dict:
    """devices.poll_batch in this process, exactly as the poll worker runs it (it commits, so
    the evaluation is sent to the worker)."""
    from devices.polling.tasks import poll_batch

    ids = [str(d.pk) for d in devices]
    return poll_batch(str(devices[0].tenant_id), ids, [time.time()] * len(ids))


def access_of(user, tenant):
    with tenant_context(tenant.id):
        return load_site_scope(resolve_access(user, tenant))


class Receiver:
    """A local HTTP endpoint that records what it receives; `fail_with` answers the first
    requests with these status codes (then 200)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.fail_with: list[int] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                code = receiver.fail_with.pop(0) if receiver.fail_with else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"ok")
                with receiver.arrived:
                    receiver.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "body": body,
                            "code": code,
                            "at": time.time(),
                        }
                    )
                    receiver.arrived.notify_all()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, predicate, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                for request in self.requests:
                    if predicate(request):
                        return request
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"nothing matching arrived within {timeout}s (got {len(self.requests)})")
                self.arrived.wait(left)

    def events(self) -> list[str]:
        return [json.loads(r["body"])["event"] for r in self.requests if r["code"] == 200]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def valid_signature(request: dict, secret: str = SIGNING_SECRET) -> bool:
    headers = {k.lower(): v for k, v in request["headers"].items()}
    timestamp = headers["x-mikman-timestamp"]
    expected = (
        "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256).hexdigest()
    )
    return (
        hmac.compare_digest(expected, headers.get("x-mikman-signature", "")) and abs(time.time() - int(timestamp)) < 300
    )


def wait_until(check, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} not reached within {timeout}s")
