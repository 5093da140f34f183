"""History with undo/redo for add/set/remove of users, profiles and limitations."""

from __future__ import annotations

import pytest

from radius import services
from radius.models import History, RadiusUser
from radius.tests.support import stored_text, url
from tenants.context import tenant_context
from tests.factories import api_client

pytestmark = pytest.mark.django_db


def _history(client) -> list[dict]:
    return client.get(url("acme", "history/")).json()["results"]


def _undo(client, entry_id, verb="undo"):
    return client.post(url("acme", f"history/{entry_id}/{verb}/"))


def test_undo_and_redo_a_change(world):
    client = api_client(world.users.bob)
    lim = client.post(url("acme", "limitations/"), {"name": "slow", "rate_limit_rx": 1000}, format="json").json()
    client.patch(url("acme", f"limitations/{lim['id']}/"), {"rate_limit_rx": 5000}, format="json")
    changed, added = _history(client)[:2]
    assert (changed["action"], added["action"]) == ("set", "add")
    assert changed["before"]["rate_limit_rx"] == 1000 and changed["after"]["rate_limit_rx"] == 5000

    undone = _undo(client, changed["id"])
    assert undone.status_code == 200 and undone.json()["undone"] is True
    assert client.get(url("acme", f"limitations/{lim['id']}/")).json()["rate_limit_rx"] == 1000
    assert _undo(client, changed["id"]).status_code == 409  # already undone
    assert _undo(client, changed["id"], "redo").status_code == 200
    assert client.get(url("acme", f"limitations/{lim['id']}/")).json()["rate_limit_rx"] == 5000


def test_undo_add_removes_and_redo_brings_back(world):
    client = api_client(world.users.alice)
    profile = client.post(url("acme", "profiles/"), {"name": "week", "validity": "7 00:00:00"}, format="json").json()
    added = _history(client)[0]
    assert _undo(client, added["id"]).status_code == 200
    assert client.get(url("acme", f"profiles/{profile['id']}/")).status_code == 404
    assert _undo(client, added["id"], "redo").status_code == 200
    again = client.get(url("acme", f"profiles/{profile['id']}/")).json()
    assert again["name"] == "week" and again["validity"] == "7 00:00:00"


def test_undo_remove_brings_a_user_back_with_password_and_queue(world):
    client = api_client(world.users.alice)
    user = client.post(url("acme", "users/"), {"name": "ann", "password": "Secret-Ann-9"}, format="json").json()
    profile = client.post(url("acme", "profiles/"), {"name": "forever"}, format="json").json()
    client.post(url("acme", "user-profiles/"), {"user": user["id"], "profile": profile["id"]}, format="json")
    assert client.delete(url("acme", f"users/{user['id']}/")).status_code == 204
    removed = _history(client)[0]
    assert removed["action"] == "remove" and removed["model"] == "user"
    assert _undo(client, removed["id"]).status_code == 200
    back = client.get(url("acme", f"users/{user['id']}/")).json()
    assert back["name"] == "ann" and back["password_set"] is True
    with tenant_context(world.acme.id):
        restored = RadiusUser.objects.get(pk=user["id"])
        assert services.open_secret(restored, "password").reveal() == "Secret-Ann-9"
        assert list(restored.user_profiles.values_list("profile__name", flat=True)) == ["forever"]
    assert "Secret-Ann-9" not in stored_text(world.acme)
    assert "Secret-Ann-9" not in client.get(url("acme", "history/")).content.decode()


def test_undo_is_refused_when_the_object_changed_since(world):
    client = api_client(world.users.alice)
    lim = client.post(url("acme", "limitations/"), {"name": "a"}, format="json").json()
    client.patch(url("acme", f"limitations/{lim['id']}/"), {"transfer_limit": 1}, format="json")
    client.patch(url("acme", f"limitations/{lim['id']}/"), {"transfer_limit": 2}, format="json")
    second, first = _history(client)[:2]
    refused = _undo(client, first["id"])
    assert refused.status_code == 409 and "changed since" in refused.json()["error"]["message"]
    assert _undo(client, second["id"]).status_code == 200
    assert _undo(client, first["id"]).status_code == 200
    assert client.get(url("acme", f"limitations/{lim['id']}/")).json()["transfer_limit"] == 0


def test_viewer_cannot_undo(world):
    client = api_client(world.users.alice)
    client.post(url("acme", "limitations/"), {"name": "a"}, format="json")
    entry = _history(client)[0]
    assert _undo(api_client(world.users.carol), entry["id"]).status_code == 403
    with tenant_context(world.acme.id):
        assert History.objects.get(pk=entry["id"]).undone is False


def test_changes_to_untracked_models_make_no_history(world):
    client = api_client(world.users.alice)
    client.post(url("acme", "groups/"), {"name": "g"}, format="json")
    assert _history(client) == []
