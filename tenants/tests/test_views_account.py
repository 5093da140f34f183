"""My account: password change and personal API tokens (raw key shown once, revocation)."""

import re

import pytest
from django.test import Client

from tenants.models import APIToken
from tests.factories import PASSWORD, make_token, make_user, token_client

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_account_page_renders():
    body = client_for(make_user("alice", email="alice@example.com")).get("/account/").content.decode()
    assert "alice@example.com" in body and "Change password" in body


def test_password_change_keeps_the_session():
    alice = make_user("alice")
    client = client_for(alice)
    new = "a-much-better-passphrase-42"
    response = client.post("/account/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(new)
    assert client.get("/account/").status_code == 200
    from audit.services import platform_entries

    root = make_user("root", super_admin=True)
    assert platform_entries(root, {"action": "user.password_changed", "user": "alice"}).count() == 1


def test_bad_password_change_is_a_form_error():
    alice = make_user("alice")
    response = client_for(alice).post("/account/", {"old_password": "nope", "new_password1": "x", "new_password2": "y"})
    assert response.status_code == 400
    assert "Your old password was entered incorrectly" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_token_raw_key_is_shown_once_and_works():
    alice = make_user("alice")
    client = client_for(alice)
    response = client.post("/account/tokens/", {"name": "backup script", "days": "30"})
    assert response.status_code == 200
    body = response.content.decode()
    raw = re.search(r'id="new-token" data-testid="new-token">([^<]+)<', body).group(1)
    assert raw.startswith("mkm_")
    assert token_client(raw).get("/api/v1/tenants/").status_code == 200
    listing = client.get("/account/tokens/").content.decode()
    assert "backup script" in listing and raw not in listing
    assert APIToken.objects.get(user=alice).key_prefix in listing


def test_bad_token_input_is_a_form_error():
    client = client_for(make_user("alice"))
    for data in (
        {"name": "", "days": "30"},
        {"name": "x", "days": "0"},
        {"name": "x", "days": "9999"},
        {"name": "x", "days": "abc"},
    ):
        assert client.post("/account/tokens/", data).status_code == 400
    assert not APIToken.objects.exists()


def test_revoke_own_token_but_not_someone_elses():
    alice, bob = make_user("alice"), make_user("bob")
    raw = make_token(alice)
    token = APIToken.objects.get(user=alice)
    assert client_for(bob).post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert client_for(alice).get(f"/account/tokens/{token.pk}/revoke/").status_code == 405
    assert client_for(alice).post(f"/account/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked is not None
    assert token_client(raw).get("/api/v1/tenants/").status_code == 401
