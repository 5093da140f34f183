"""shared-users overflow set to "disconnect-oldest" on the profile: a login beyond the limit is
accepted and the user's oldest open session is ended with a Disconnect-Request (cause
um-shared-users). The default (reject the new login) is test_accounting_and_limits'."""

from __future__ import annotations

import time

from radius.models import AuthLog, Profile, Session
from radius.protocol.client import access_request
from radius.protocol.packet import Code
from radius.server.tests.conftest import SECRET_A, exchange
from radius.server.tests.test_accounting_and_limits import accounting_request
from radius.server.tests.test_disconnect import coa  # noqa: F401  (the acme NAS's CoA listener)
from tenants.context import tenant_context


def test_disconnect_oldest_accepts_the_new_login_and_ends_the_oldest(coa, running):  # noqa: F811
    auth, acct = running.server.auth_port, running.server.acct_port
    before = running.server.notifications
    with tenant_context(running.um.acme.id):
        Profile.objects.filter(name="basic").update(shared_users_overflow="disconnect-oldest")
    running.handle.changed(before)

    assert exchange(access_request("alice", "alice-pw", SECRET_A.encode()), auth).code == Code.ACCESS_ACCEPT
    assert exchange(accounting_request("Start", "old-1"), acct).code == Code.ACCOUNTING_RESPONSE
    assert coa.received == []
    # shared-users is 1 and one session is open: the second login is accepted, the first ended
    assert exchange(access_request("alice", "alice-pw", SECRET_A.encode()), auth).code == Code.ACCESS_ACCEPT
    assert coa.wait() == [(Code.DISCONNECT_REQUEST, "alice", "old-1")]
    deadline = time.monotonic() + 5
    while running.server.stats.disconnect_ack < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    running.handle.flush()
    with tenant_context(running.um.acme.id):
        assert Session.objects.get(acct_session_id="old-1").terminate_cause == "um-shared-users"
        assert not AuthLog.objects.filter(reason__startswith="shared-users limit").exists()
