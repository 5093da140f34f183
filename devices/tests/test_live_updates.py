# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""Live updates end to end: simulated routers are polled (devices.poll_batch in this process,
as a worker runs it), the writer publishes on Redis when the batch commits, and the SSE stream
`/t/<tenant>/live/` of each member forwards only what that member may see."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from devices import services
from tenants.context import tenant_context

from .poll_support import fleet, poll, sim, sim_device, world  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def short_streams(settings):
    settings.LIVE_STREAM_SECONDS = 4
    settings.LIVE_HEARTBEAT_SECONDS = 1
    settings.LIVE_RETRY_MS = 1500


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


OPEN: list = []


@pytest.fixture(autouse=True)
def close_streams():
    yield
    while OPEN:
        OPEN.pop().close()


class Stream:
    """An open SSE response; the constructor returns once the server has subscribed."""

    def __init__(self, client: Client, url: str):
        self.response = client.get(url)
        OPEN.append(self.response)
        assert self.response.status_code == 200, self.response.status_code
        assert self.response["Content-Type"].startswith("text/event-stream")
        assert "no-cache" in self.response["Cache-Control"]
        self.chunks = iter(self.response.streaming_content)
        self.text = next(self.chunks).decode()  # the first chunk is sent after SUBSCRIBE
        assert self.text.startswith("retry: 1500\n")

    def drain(self) -> str:
        """Everything until the server ends the stream (bounded by LIVE_STREAM_SECONDS)."""
        for chunk in self.chunks:
            self.text += chunk.decode()
        self.response.close()
        return self.text

    def updates(self) -> list[dict]:
        out = []
        for block in self.text.split("\n\n"):
            lines = block.split("\n")
            if "event: devices" in lines:
                data = next(line[len("data: ") :] for line in lines if line.startswith("data: "))
                out.extend(json.loads(data)["devices"])
        return out


def ids(updates: list[dict]) -> set[str]:
    return {u["id"] for u in updates}


def test_each_member_receives_only_the_devices_they_may_see(world, fleet, django_capture_on_commit_callbacks):
    north = sim_device(world.acme, fleet, 0, world.north, name="north-gw")
    south = sim_device(world.acme, fleet, 1, world.south, name="south-gw")
    siteless = sim_device(world.acme, fleet, 2, None, name="lab-gw")
    east = sim_device(world.globex, fleet, 3, world.east, name="east-gw")
    streams = {
        "dave": Stream(client_for(world.users.dave), "/t/acme/live/"),  # viewer, North only
        "alice": Stream(client_for(world.users.alice), "/t/acme/live/"),  # admin, whole tenant
        "carol": Stream(client_for(world.users.carol), "/t/acme/live/"),  # viewer, whole tenant
        "erin": Stream(client_for(world.users.erin), "/t/globex/live/"),  # the other tenant's admin
    }
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert poll([north, south, siteless])["ok"] == 3
        assert poll(east)["ok"] == 1
        with tenant_context(world.acme.id):  # a connectivity check's status change publishes too
            services.record_status(south, "unreachable", "Connection timed out.")
    mine = [c for c in callbacks if c.__qualname__.startswith("publish_on_commit")]
    assert len(mine) == 3, "one publication per committed batch/status change"
    seen = {who: stream.drain() for who, stream in streams.items()}
    updates = {who: streams[who].updates() for who in streams}

    assert ids(updates["dave"]) == {str(north.pk)}
    assert ids(updates["alice"]) == ids(updates["carol"]) == {str(north.pk), str(south.pk), str(siteless.pk)}
    assert ids(updates["erin"]) == {str(east.pk)}

    (first,) = [u for u in updates["dave"]]
    assert first["status"] == "online" and first["changed"] is True
    assert isinstance(first["cpu"], int) and 0 <= first["cpu"] <= 100
    assert first["site"] == str(world.north.pk) and first["last_seen"]
    south_updates = [u for u in updates["alice"] if u["id"] == str(south.pk)]
    assert [u["status"] for u in south_updates] == ["online", "unreachable"]
    assert south_updates[-1]["changed"] is True and south_updates[-1]["cpu"] is None

    # Compact and free of secrets: ids and numbers, no names, hosts or passwords.
    for who, text in seen.items():
        for leak in ("north-gw", "south-gw", "east-gw", "sim-admin", fleet["devices"][0]["address"], "password"):
            assert leak not in text, (who, leak)
        assert str(east.pk) not in text or who == "erin"


def test_stream_is_bounded_with_heartbeats_and_retry(world, settings):
    settings.LIVE_STREAM_SECONDS = 2.5
    settings.LIVE_HEARTBEAT_SECONDS = 0.5
    started = time.monotonic()
    text = Stream(client_for(world.users.carol), "/t/acme/live/").drain()
    elapsed = time.monotonic() - started
    assert 2.0 <= elapsed < 5, elapsed
    assert text.count(": heartbeat\n\n") >= 3
    assert text.endswith("event: bye\ndata: {}\n\n")


def test_who_may_open_the_stream(world):
    anonymous = Client().get("/t/acme/live/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert client_for(world.users.erin).get("/t/acme/live/").status_code == 404  # another tenant's member
    assert client_for(world.users.root).get("/t/acme/live/").status_code == 404  # platform role: no tenant data
    assert client_for(world.users.alice).get("/t/nope/live/").status_code == 404
    assert client_for(world.users.carol).post("/t/acme/live/").status_code in (403, 405)
