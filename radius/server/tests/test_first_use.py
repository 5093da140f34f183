"""What a first logon writes back: the caller-id binding (audited) and a first-auth profile's start."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from audit.models import AuditEntry
from radius.models import Profile, RadiusUser, UserProfile
from radius.protocol.client import access_request
from radius.protocol.packet import Code
from radius.server.tests.conftest import SECRET_A, exchange, make_radius_user
from tenants.context import tenant_context


def _auth(port, user, password, calling):
    packet = access_request(user, password, SECRET_A.encode(), Calling_Station_Id=calling)
    return exchange(packet, port).code


def test_bind_on_first_use_then_other_devices_are_refused(um, running):
    before = running.server.notifications
    make_radius_user(um.acme, "binder", "binder-pw", um.basic, bind_on_first_use=True)
    running.handle.changed(before, 2)  # the user and its profile queue
    port = running.server.auth_port
    assert _auth(port, "binder", "binder-pw", "AA:AA:AA:AA:AA:01") == Code.ACCESS_ACCEPT
    assert _auth(port, "binder", "binder-pw", "AA:AA:AA:AA:AA:02") == Code.ACCESS_REJECT
    running.handle.flush()
    with tenant_context(um.acme.id):
        assert RadiusUser.objects.get(name="binder").caller_id == "AA:AA:AA:AA:AA:01"
        assert AuditEntry.objects.filter(action="radius.user.caller_id_bound", target_name="binder").exists()


def test_first_auth_profile_starts_at_the_first_logon(um, running):
    seen = running.server.notifications
    with tenant_context(um.acme.id):
        profile = Profile.objects.create(
            tenant=um.acme, name="day pass", starts_when="first-auth", validity=dt.timedelta(days=1)
        )
    make_radius_user(um.acme, "tourist", "tourist-pw", profile)
    running.handle.changed(seen, 3)  # profile, user, queue entry
    before = timezone.now()
    reply = exchange(access_request("tourist", "tourist-pw", SECRET_A.encode()), running.server.auth_port)
    assert reply.code == Code.ACCESS_ACCEPT
    assert 86000 < reply.get("Session-Timeout") <= 86400
    running.handle.flush()
    with tenant_context(um.acme.id):
        up = UserProfile.objects.get(user__name="tourist")
    assert up.started_at >= before - dt.timedelta(seconds=1)
    assert up.ends_at == up.started_at + dt.timedelta(days=1)
