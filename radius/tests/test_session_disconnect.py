"""The Disconnect button and API action: the web process sends a Disconnect-Request to the
session's NAS and records the answer; tested against a real UDP peer built with radius.protocol."""

from __future__ import annotations

import socket
import threading

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from radius import services
from radius.models import Router, Session
from radius.protocol.packet import Code, decode_packet
from radius.tests.support import url
from tenants.context import tenant_context
from tests.factories import api_client

pytestmark = pytest.mark.django_db
SECRET = "coa-shared-secret-0123456789"


class CoaPeer:
    """A NAS's CoA listener on 127.0.0.1: verifies each request (Message-Authenticator required)
    and answers `answer` (None: stays silent)."""

    def __init__(self, answer: int | None) -> None:
        self.answer = answer
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.received: list[tuple] = []
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                data, addr = self.sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            request = decode_packet(data, SECRET.encode())
            request.verify_request(require_message_authenticator=True)
            self.received.append((request.code, request.get("User-Name"), request.get("Acct-Session-Id")))
            if self.answer is not None:
                self.sock.sendto(request.reply(self.answer).encode(), addr)

    def close(self) -> None:
        self.running = False
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def peer(request):
    answer = getattr(request, "param", Code.DISCONNECT_ACK)
    nas = CoaPeer(answer)
    yield nas
    nas.close()


def open_session(world, port: int) -> Session:
    now = timezone.now()
    with tenant_context(world.acme.id):
        router = Router.objects.create(tenant=world.acme, name="coa-nas", address="127.0.0.1", coa_port=port)
        services.seal(router, "shared_secret", SECRET)
        router.save()
        return Session.objects.create(
            tenant=world.acme,
            username="ann",
            nas=router,
            acct_session_id="81a00001",
            framed_ip="10.5.0.7",
            started_at=now,
            updated_at=now,
        )


def reread(world, session) -> Session:
    with tenant_context(world.acme.id):
        return Session.objects.get(pk=session.pk)


def test_operator_disconnects_over_the_api_and_the_ack_is_recorded(world, peer):
    session = open_session(world, peer.port)
    response = api_client(world.users.bob).post(url("acme", f"sessions/{session.pk}/disconnect/"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["result"] == "ack" and body["session"]["terminate_cause"] == "admin-reset"
    assert peer.received == [(Code.DISCONNECT_REQUEST, "ann", "81a00001")]
    stored = reread(world, session)
    assert (stored.disconnect_result, stored.terminate_cause) == ("ack", "admin-reset")
    with tenant_context(world.acme.id):
        entry = AuditEntry.objects.get(action="radius.session.disconnected")
    assert entry.details["result"] == "ack" and entry.details["cause"] == "admin-reset"
    assert SECRET not in response.content.decode() and SECRET not in str(entry.details)


@pytest.mark.parametrize("peer", [Code.DISCONNECT_NAK], indirect=True)
def test_a_nak_is_recorded_without_a_terminate_cause(world, peer):
    session = open_session(world, peer.port)
    client = api_client(world.users.alice)
    client.force_login(world.users.alice)
    response = client.post(f"/t/acme/radius/sessions/{session.pk}/disconnect/", follow=True)
    assert response.status_code == 200
    assert "Disconnect-NAK" in response.content.decode()
    stored = reread(world, session)
    assert (stored.disconnect_result, stored.terminate_cause) == ("nak", "")


@pytest.mark.parametrize("peer", [None], indirect=True)
def test_a_silent_router_is_a_clear_timeout_message(world, peer, settings):
    settings.RADIUS_DISCONNECT_TIMEOUT_S = 0.1
    session = open_session(world, peer.port)
    response = api_client(world.users.bob).post(url("acme", f"sessions/{session.pk}/disconnect/"))
    assert response.status_code == 200, response.content
    assert response.json()["result"] == "timeout"
    assert f"did not answer the Disconnect-Request on its CoA port {peer.port}" in response.json()["message"]
    assert len(peer.received) == 3  # the request and two retries
    assert reread(world, session).disconnect_result == "timeout"


def test_viewers_may_not_disconnect_and_ended_sessions_are_a_400(world, peer):
    session = open_session(world, peer.port)
    viewer = api_client(world.users.carol)
    assert viewer.post(url("acme", f"sessions/{session.pk}/disconnect/")).status_code == 403
    viewer.force_login(world.users.carol)
    assert viewer.post(f"/t/acme/radius/sessions/{session.pk}/disconnect/").status_code == 403
    assert api_client(world.users.erin).post(url("acme", f"sessions/{session.pk}/disconnect/")).status_code == 404
    assert peer.received == []
    with tenant_context(world.acme.id):
        Session.objects.filter(pk=session.pk).update(status="closed")
    response = api_client(world.users.bob).post(url("acme", f"sessions/{session.pk}/disconnect/"))
    assert response.status_code == 400 and "already ended" in response.content.decode()


def test_the_button_shows_for_operators_on_active_sessions_only(world, peer):
    session = open_session(world, peer.port)
    button = f"/t/acme/radius/sessions/{session.pk}/disconnect/"
    operator = api_client(world.users.bob)
    operator.force_login(world.users.bob)
    assert button in operator.get("/t/acme/radius/sessions/").content.decode()
    viewer = api_client(world.users.carol)
    viewer.force_login(world.users.carol)
    assert button not in viewer.get("/t/acme/radius/sessions/").content.decode()
