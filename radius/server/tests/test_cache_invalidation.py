"""The cache follows every committed change: once the change's notification has reached the
server (PostgreSQL delivers it at commit; `changed()` waits for that, not for any timer), the very
next request is decided on the new data — no polling interval, no TTL."""

from __future__ import annotations

import contextlib

from radius import services
from radius.models import AuthLog, RadiusUser, Router
from radius.protocol.client import access_request
from radius.protocol.packet import Code
from radius.server.tests.conftest import NAS_B, SECRET_A, STRANGER, exchange, make_radius_user, make_router
from tenants.context import tenant_context


def _auth(port, user, password, source="127.0.0.1", secret=SECRET_A):
    reply = exchange(access_request(user, password, secret.encode()), port, source)
    return reply.code if reply is not None else None


@contextlib.contextmanager
def change(running, count: int = 1):
    """Wait for `count` change notifications (one per row written) to be loaded."""
    before = running.server.notifications
    yield
    running.handle.changed(before, count)


def test_password_change_applies_to_the_next_request(running):
    port, acme = running.server.auth_port, running.um.acme
    assert _auth(port, "alice", "alice-pw") == Code.ACCESS_ACCEPT
    with change(running), tenant_context(acme.id):
        user = RadiusUser.objects.get(name="alice")
        services.seal(user, "password", "new-pw")
        user.save()
    assert _auth(port, "alice", "alice-pw") == Code.ACCESS_REJECT
    assert _auth(port, "alice", "new-pw") == Code.ACCESS_ACCEPT


def test_disabling_a_user_applies_to_the_next_request(running):
    port, acme = running.server.auth_port, running.um.acme
    assert _auth(port, "alice", "alice-pw") == Code.ACCESS_ACCEPT
    with change(running), tenant_context(acme.id):
        RadiusUser.objects.filter(name="alice").update(disabled=True)
    assert _auth(port, "alice", "alice-pw") == Code.ACCESS_REJECT
    running.handle.flush()
    with tenant_context(acme.id):
        assert AuthLog.objects.filter(username="alice", reason="user <alice> is disabled").exists()


def test_new_user_and_removed_user(running):
    port, acme = running.server.auth_port, running.um.acme
    assert _auth(port, "newbie", "pw-1") == Code.ACCESS_REJECT
    with change(running, 2):  # the user and its profile queue
        make_radius_user(acme, "newbie", "pw-1", running.um.basic)
    assert _auth(port, "newbie", "pw-1") == Code.ACCESS_ACCEPT
    with change(running, 2), tenant_context(acme.id):
        RadiusUser.objects.filter(name="newbie").delete()
    assert _auth(port, "newbie", "pw-1") == Code.ACCESS_REJECT


def test_new_and_disabled_nas(running):
    port, acme = running.server.auth_port, running.um.acme
    assert _auth(port, "alice", "alice-pw", STRANGER, "third-secret-123") is None
    with change(running):
        router = make_router(acme, "third", STRANGER, "third-secret-123")
    assert _auth(port, "alice", "alice-pw", STRANGER, "third-secret-123") == Code.ACCESS_ACCEPT
    with change(running), tenant_context(acme.id):
        Router.objects.filter(pk=router.pk).update(disabled=True)
    assert _auth(port, "alice", "alice-pw", STRANGER, "third-secret-123") is None
    # the other tenant's NAS was never affected
    assert _auth(port, "onlyb", "onlyb-pw", NAS_B, "secret-of-globex-987654321") == Code.ACCESS_ACCEPT


def test_removing_the_profile_leaves_no_valid_profile(running):
    port, acme = running.server.auth_port, running.um.acme
    with change(running), tenant_context(acme.id):
        RadiusUser.objects.get(name="alice").user_profiles.all().delete()
    assert _auth(port, "alice", "alice-pw") == Code.ACCESS_REJECT
    running.handle.flush()
    with tenant_context(acme.id):
        assert AuthLog.objects.filter(reason="no valid profile found for user <alice>").exists()
