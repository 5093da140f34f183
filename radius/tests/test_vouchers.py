"""Voucher batches: N users with random passwords and a profile, passwords shown once."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from radius import services
from radius.models import RadiusUser
from radius.tests.support import stored_text, url
from tenants.context import tenant_context
from tests.factories import api_client

pytestmark = pytest.mark.django_db


def _profile(client, **extra):
    return client.post(url("acme", "profiles/"), {"name": "1 day", "validity": "1 00:00:00", **extra}).json()


def test_api_creates_a_batch_and_returns_the_passwords_once(world):
    client = api_client(world.users.bob)
    profile = _profile(client)
    body = {"name": "Lobby", "profile": profile["id"], "count": 5, "prefix": "lb-", "password_length": 10}
    created = client.post(url("acme", "vouchers/"), body, format="json")
    assert created.status_code == 201, created.content
    cards = created.json()["vouchers"]
    assert len(cards) == 5 and len({c["username"] for c in cards}) == 5
    assert all(c["username"].startswith("lb-") and len(c["password"]) == 10 for c in cards)
    batch_id = created.json()["id"]
    again = client.get(url("acme", f"vouchers/{batch_id}/")).content.decode()
    listing = client.get(url("acme", "users/?batch=" + batch_id)).json()
    assert listing["count"] == 5
    stored = stored_text(world.acme)
    for card in cards:
        assert card["password"] not in again and card["password"] not in stored
    with tenant_context(world.acme.id):
        user = RadiusUser.objects.get(name=cards[0]["username"])
        assert services.open_secret(user, "password").reveal() == cards[0]["password"]
        assert services.user_usage(user).active_profile == "1 day"


def test_voucher_limits_and_roles(world):
    client = api_client(world.users.alice)
    profile = _profile(client)
    too_many = client.post(url("acme", "vouchers/"), {"name": "x", "profile": profile["id"], "count": 5000})
    assert too_many.status_code == 400
    viewer = api_client(world.users.carol)
    assert viewer.post(url("acme", "vouchers/"), {"name": "y", "profile": profile["id"], "count": 1}).status_code == 403


def test_printable_sheet_and_csv(world):
    api = api_client(world.users.alice)
    profile = _profile(api, name_for_users="Day pass")
    client = Client()
    client.force_login(world.users.alice)
    page = "/t/acme/radius/vouchers/"
    form = {"profile": profile["id"], "password_length": 8}
    sheet = client.post(page, {**form, "name": "Print", "count": 3, "output": "sheet"})
    assert sheet.status_code == 200 and sheet["Cache-Control"] == "no-store"
    html = sheet.content.decode()
    assert html.count('class="voucher"') == 3 and "Day pass" in html
    assert "<style" not in html and "style=" not in html and "<script>" not in html
    response = client.post(page, {**form, "name": "Csv", "count": 4, "output": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 4 and all(len(r["password"]) == 8 for r in rows)
    with tenant_context(world.acme.id):
        assert RadiusUser.objects.filter(batch__name="Csv").count() == 4
