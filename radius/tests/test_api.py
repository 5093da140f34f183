"""User Manager API: CRUD per role, validation as 4xx, secrets write-only, NAS address rules."""

from __future__ import annotations

import pytest

from radius.models import RadiusUser, Router
from radius.tests.support import stored_text, url
from tenants.context import tenant_context
from tests.factories import api_client

pytestmark = pytest.mark.django_db

SAMPLES = {
    "customers/": {"login": "reseller-1", "permissions": "read-write", "access": ["own-users"]},
    "groups/": {"name": "pap-only", "outer_auths": ["pap"]},
    "attributes/": {"name": "Acme-Class", "vendor_id": 0, "type_id": 25, "value_type": "string"},
    "profiles/": {"name": "Monthly 10G", "starts_when": "first-auth", "validity": "30 00:00:00", "price": "9.90"},
    "limitations/": {"name": "10G", "transfer_limit": 10_000_000_000, "rate_limit_rx": 2_000_000},
    "users/": {"name": "ann", "password": "ann-pass-1", "shared_users": 2},
    "routers/": {"name": "hotspot-1", "address": "192.0.2.10", "shared_secret": "a-long-shared-secret-123"},
}
CHANGES = {
    "customers/": {"user_prefix": "r1-"},
    "groups/": {"comment": "PAP only"},
    "attributes/": {"type_id": 26},
    "profiles/": {"price": "12.00"},
    "limitations/": {"uptime_limit": "01:00:00"},
    "users/": {"disabled": True},
    "routers/": {"coa_port": 1700, "radsec_only": True},
}


@pytest.mark.parametrize("path", list(SAMPLES))
def test_operator_creates_changes_and_removes(world, path):
    client = api_client(world.users.bob)
    created = client.post(url("acme", path), SAMPLES[path], format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    changed = client.patch(url("acme", f"{path}{pk}/"), CHANGES[path], format="json")
    assert changed.status_code == 200, changed.content
    for key, value in CHANGES[path].items():
        assert changed.json()[key] == value
    assert client.get(url("acme", path)).json()["count"] == 1
    assert client.delete(url("acme", f"{path}{pk}/")).status_code == 204
    assert client.get(url("acme", path)).json()["count"] == 0


@pytest.mark.parametrize("path", list(SAMPLES))
def test_viewer_reads_but_a_forged_write_is_403(world, path):
    admin = api_client(world.users.alice)
    pk = admin.post(url("acme", path), SAMPLES[path], format="json").json()["id"]
    for who in ("carol", "dave"):
        client = api_client(getattr(world.users, who))
        assert client.get(url("acme", path)).status_code == 200
        assert client.get(url("acme", f"{path}{pk}/")).status_code == 200
        other = {k: (v + "x" if isinstance(v, str) else v) for k, v in SAMPLES[path].items()}
        if path == "routers/":
            other["address"] = "192.0.2.11"
        assert client.post(url("acme", path), other, format="json").status_code == 403
        assert client.patch(url("acme", f"{path}{pk}/"), CHANGES[path], format="json").status_code == 403
        assert client.delete(url("acme", f"{path}{pk}/")).status_code == 403
    assert admin.get(url("acme", path)).json()["count"] == 1


def test_bad_input_is_a_clear_400(world):
    client = api_client(world.users.alice)
    cases = [
        ("users/", {"name": ""}),
        ("users/", {"name": "x", "shared_users": -1}),
        ("users/", {"name": "x", "attributes": ["not", "a", "dict"]}),
        ("users/", {"name": "x", "otp_secret": "not base32!"}),
        ("profiles/", {"name": "p", "validity": "soon"}),
        ("profiles/", {"name": "p", "time_zone": "Mars/Olympus"}),
        ("limitations/", {"name": "l", "rate_limit_priority": 9}),
        ("limitations/", {"name": "l", "on_limit_reached": "throttle"}),
        ("limitations/", {"name": "l", "on_limit_reached": "throttle", "throttle_rate_limit": "fast please"}),
        ("limitations/", {"name": "l", "on_limit_reached": "sometimes"}),
        ("routers/", {"name": "r", "address": "not-an-ip", "shared_secret": "a-long-shared-secret-123"}),
        ("routers/", {"name": "r", "address": "192.0.2.1"}),
        ("routers/", {"name": "r", "address": "192.0.2.1", "shared_secret": "short"}),
        ("vouchers/", {"name": "v", "count": 5}),
    ]
    for path, body in cases:
        response = client.post(url("acme", path), body, format="json")
        assert response.status_code == 400, (path, body, response.content)
        assert response.json()["error"]["code"] == "invalid"
    client.post(url("acme", "users/"), SAMPLES["users/"], format="json")
    dup = client.post(url("acme", "users/"), SAMPLES["users/"], format="json")
    assert dup.status_code == 400 and "name" in dup.json()["error"]["fields"]


def test_passwords_and_secrets_never_leave_the_server(world):
    client = api_client(world.users.alice)
    user = client.post(
        url("acme", "users/"), {"name": "ann", "password": "TopSecretPw1", "otp_secret": "JBSWY3DPEHPK3PXP"}
    ).json()
    assert user["password_set"] is True and user["otp_secret_set"] is True
    assert "password" not in user and "otp_secret" not in user
    client.patch(url("acme", f"users/{user['id']}/"), {"password": "EvenMoreSecret2"}, format="json")
    router = client.post(url("acme", "routers/"), SAMPLES["routers/"], format="json").json()
    assert router["shared_secret_set"] is True and "shared_secret" not in router
    bodies = (
        "".join(client.get(url("acme", path)).content.decode() for path in ("users/", "routers/", "history/"))
        + client.get(url("acme", f"users/{user['id']}/")).content.decode()
    )
    stored = stored_text(world.acme)
    for secret in ("TopSecretPw1", "EvenMoreSecret2", "JBSWY3DPEHPK3PXP", "a-long-shared-secret-123"):
        assert secret not in bodies
        assert secret not in stored
    with tenant_context(world.acme.id):
        from radius import services

        stored_user = RadiusUser.objects.get(pk=user["id"])
        assert services.open_secret(stored_user, "password").reveal() == "EvenMoreSecret2"
        stored_router = Router.objects.get(pk=router["id"])
        assert services.open_secret(stored_router, "shared_secret").reveal() == "a-long-shared-secret-123"


def test_every_change_is_audited(world):
    client = api_client(world.users.bob)
    pk = client.post(url("acme", "profiles/"), SAMPLES["profiles/"], format="json").json()["id"]
    client.patch(url("acme", f"profiles/{pk}/"), {"price": "1.00"}, format="json")
    client.delete(url("acme", f"profiles/{pk}/"))
    from audit.models import AuditEntry

    with tenant_context(world.acme.id):
        entries = AuditEntry.objects.filter(target_id=pk).order_by("created")
        actions = list(entries.values_list("action", "username"))
    assert actions == [
        ("radius.profile.added", "bob"),
        ("radius.profile.changed", "bob"),
        ("radius.profile.removed", "bob"),
    ]


def test_the_same_user_name_lives_in_two_tenants_apart(world):
    acme = api_client(world.users.alice).post(url("acme", "users/"), {"name": "ann", "password": "acme-pw"})
    globex = api_client(world.users.erin).post(url("globex", "users/"), {"name": "ann", "password": "globex-pw"})
    assert acme.status_code == globex.status_code == 201
    listed = api_client(world.users.alice).get(url("acme", "users/")).json()["results"]
    assert [u["id"] for u in listed] == [acme.json()["id"]]


def test_a_router_address_is_unique_across_the_platform(world):
    body = SAMPLES["routers/"]
    assert api_client(world.users.alice).post(url("acme", "routers/"), body, format="json").status_code == 201
    again = api_client(world.users.alice).post(url("acme", "routers/"), {**body, "name": "other"}, format="json")
    assert again.status_code == 400 and "address" in again.json()["error"]["fields"]
    foreign = api_client(world.users.erin).post(url("globex", "routers/"), {**body, "name": "theirs"}, format="json")
    assert foreign.status_code == 400, foreign.content
    assert "another tenant" in foreign.json()["error"]["fields"]["address"][0]
    assert "hotspot-1" not in foreign.content.decode()  # says the address is taken, not by whom


def test_relations_only_accept_the_tenants_own_objects(world):
    theirs = api_client(world.users.erin).post(url("globex", "groups/"), {"name": "theirs"}, format="json").json()
    response = api_client(world.users.alice).post(
        url("acme", "users/"), {"name": "ann", "group": theirs["id"]}, format="json"
    )
    assert response.status_code == 400 and "group" in response.json()["error"]["fields"]


def test_user_usage_and_profile_queue(world):
    client = api_client(world.users.bob)
    user = client.post(url("acme", "users/"), {"name": "ann", "password": "pw-ann-1"}, format="json").json()
    usage = client.get(url("acme", f"users/{user['id']}/usage/")).json()
    assert usage["reason"] == "no valid profile found for user <ann>" and usage["active_profile"] == ""
    profile = client.post(url("acme", "profiles/"), {"name": "day", "validity": "1 00:00:00"}, format="json").json()
    limit = client.post(
        url("acme", "limitations/"), {"name": "1G", "transfer_limit": 10**9, "uptime_limit": "02:00:00"}, format="json"
    ).json()
    pl = client.post(
        url("acme", "profile-limitations/"), {"profile": profile["id"], "limitation": limit["id"]}, format="json"
    )
    assert pl.status_code == 201, pl.content
    assigned = client.post(url("acme", "user-profiles/"), {"user": user["id"], "profile": profile["id"]}, format="json")
    assert assigned.status_code == 201 and assigned.json()["state"] == "running-active"
    assert assigned.json()["ends_at"] is not None
    usage = client.get(url("acme", f"users/{user['id']}/usage/")).json()
    assert usage["reason"] == "" and usage["active_profile"] == "day"
    assert usage["transfer_limit"] == 10**9 and usage["transfer_remaining"] == 10**9
    assert usage["uptime_limit_s"] == 7200 and usage["expires_at"] is not None
    in_use = client.delete(url("acme", f"profiles/{profile['id']}/"))
    assert in_use.status_code == 409 and in_use.json()["error"]["code"] == "in_use"


def test_sessions_and_logs_are_read_only(world):
    client = api_client(world.users.alice)
    for path in ("sessions/", "logs/"):
        assert client.get(url("acme", path)).status_code == 200
        assert client.post(url("acme", path), {}, format="json").status_code == 405
