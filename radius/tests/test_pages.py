"""User Manager pages: every member reads, operators change through forms, viewers' forged
POSTs get 403, and no secret is ever rendered."""

from __future__ import annotations

import pytest
from django.test import Client

from radius.models import History, Limitation, Profile, RadiusUser
from tenants.context import tenant_context

pytestmark = pytest.mark.django_db

PAGES = [
    "radius/",
    "radius/users/add/",
    "radius/customers/",
    "radius/profiles/",
    "radius/limitations/",
    "radius/routers/",
    "radius/sessions/",
    "radius/sessions/?status=all",
    "radius/logs/",
    "radius/history/",
    "radius/vouchers/",
]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["alice", "bob", "carol", "dave"])
def test_pages_render_for_every_member(world, who):
    client = client_for(getattr(world.users, who))
    for page in PAGES:
        response = client.get(f"/t/acme/{page}")
        expected = 403 if page.endswith("/add/") and who in ("carol", "dave") else 200
        assert response.status_code == expected, (page, response.status_code)
    assert client_for(world.users.erin).get("/t/acme/radius/").status_code == 404


def test_operator_manages_through_the_forms_and_sees_usage(world):
    client = client_for(world.users.bob)
    response = client.post(
        "/t/acme/radius/profiles/add/",
        {"name": "day", "starts_when": "assigned", "validity": "1 00:00:00", "price": "1", "time_zone": "UTC"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    limit = {
        "name": "1G",
        "transfer_limit": "1000000000",
        "reset_counters_interval": "daily",
        "reset_counters_start": "2026-01-01 00:00",
    }
    for field in (
        "download_limit",
        "upload_limit",
        "rate_limit_rx",
        "rate_limit_tx",
        "rate_limit_min_rx",
        "rate_limit_min_tx",
        "rate_limit_burst_rx",
        "rate_limit_burst_tx",
        "rate_limit_burst_threshold_rx",
        "rate_limit_burst_threshold_tx",
        "rate_limit_burst_time_rx",
        "rate_limit_burst_time_tx",
    ):
        limit.setdefault(field, "0")
    assert client.post("/t/acme/radius/limitations/add/", limit).status_code == 302
    with tenant_context(world.acme.id):
        profile, limitation = Profile.objects.get(name="day"), Limitation.objects.get(name="1G")
    pl = client.post(
        f"/t/acme/radius/profiles/{profile.pk}/limitations/",
        {
            "limitation": limitation.pk,
            "from_time": "00:00",
            "till_time": "23:59:59",
            "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
        },
    )
    assert pl.status_code == 302
    user = {"name": "ann", "password": "Page-Secret-1", "shared_users": "1"}
    assert client.post("/t/acme/radius/users/add/", user).status_code == 302
    with tenant_context(world.acme.id):
        ann = RadiusUser.objects.get(name="ann")
    assert client.post(f"/t/acme/radius/users/{ann.pk}/profiles/", {"profile": profile.pk}).status_code == 302
    detail = client.get(f"/t/acme/radius/users/{ann.pk}/").content.decode()
    assert "running-active" in detail and "<meter" in detail and "Page-Secret-1" not in detail
    listing = client.get("/t/acme/radius/").content.decode()
    assert "ann" in listing and "allowed" in listing
    edit = client.get(f"/t/acme/radius/users/{ann.pk}/edit/").content.decode()
    assert "Page-Secret-1" not in edit
    # Editing without typing a password keeps it.
    assert (
        client.post(f"/t/acme/radius/users/{ann.pk}/edit/", {**user, "password": "", "comment": "x"}).status_code == 302
    )
    with tenant_context(world.acme.id):
        ann.refresh_from_db()
        assert ann.password is not None and ann.comment == "x"
        entry = History.objects.filter(model="user").order_by("-at").first()
    assert client.post(f"/t/acme/radius/history/{entry.pk}/undo/").status_code == 302
    with tenant_context(world.acme.id):
        ann.refresh_from_db()
        assert ann.comment == ""


def test_viewer_forged_posts_are_403(world):
    with tenant_context(world.acme.id):
        user = RadiusUser.objects.create(tenant=world.acme, name="ann")
    for who in ("carol", "dave"):
        client = client_for(getattr(world.users, who))
        assert client.post("/t/acme/radius/users/add/", {"name": "x"}).status_code == 403
        assert client.post(f"/t/acme/radius/users/{user.pk}/delete/").status_code == 403
        assert client.post("/t/acme/radius/vouchers/", {"name": "v"}).status_code == 403
    with tenant_context(world.acme.id):
        assert RadiusUser.objects.count() == 1
