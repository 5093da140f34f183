"""POST /api/v1/auth/token/: password (+ 2FA code) → token; django-axes locks out repeated failures."""

import pytest
from django.conf import settings

from tenants.models import APIToken
from tests.factories import PASSWORD, enrol_2fa, fresh_totp_code, make_user, token_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/auth/token/"


def post(client, **data):
    return client.post(URL, data, format="json")


def test_password_gives_a_working_token(client):
    make_user("alice")
    response = post(client, username="alice", password=PASSWORD, name="laptop")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "laptop" and body["active"] is True
    assert token_client(body["key"]).get("/api/v1/me/").status_code == 200
    assert PASSWORD not in response.content.decode()


def test_wrong_password_is_401_json(client):
    make_user("alice")
    response = post(client, username="alice", password="wrong")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"
    assert not APIToken.objects.exists()


def test_missing_fields_are_400(client):
    response = post(client, username="alice")
    assert response.status_code == 400
    assert "password" in response.json()["error"]["fields"]


def test_lockout_after_repeated_failures_is_429_even_with_the_right_password(client):
    make_user("alice")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert post(client, username="alice", password="wrong").status_code == 401
    locked = post(client, username="alice", password="wrong")
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "locked_out"
    response = post(client, username="alice", password=PASSWORD)
    assert response.status_code == 429
    assert not APIToken.objects.exists()


def test_lockout_is_per_username(client):
    make_user("alice")
    make_user("bob")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post(client, username="alice", password="wrong")
    assert post(client, username="bob", password=PASSWORD).status_code == 201


def test_success_resets_the_failure_count(client):
    make_user("alice")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        post(client, username="alice", password="wrong")
    assert post(client, username="alice", password=PASSWORD).status_code == 201
    assert post(client, username="alice", password="wrong").status_code == 401


def test_2fa_user_needs_the_code(client):
    alice = make_user("alice")
    enrol_2fa(alice)
    missing = post(client, username="alice", password=PASSWORD)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "otp_required"
    wrong = post(client, username="alice", password=PASSWORD, otp="12345x")
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_code"
    ok = post(client, username="alice", password=PASSWORD, otp=fresh_totp_code(alice))
    assert ok.status_code == 201, ok.content


def test_2fa_user_can_sign_in_with_a_backup_code(client):
    alice = make_user("alice")
    codes = enrol_2fa(alice)
    assert post(client, username="alice", password=PASSWORD, otp=codes[0]).status_code == 201


def test_wrong_2fa_codes_count_towards_the_lockout(client):
    alice = make_user("alice")
    enrol_2fa(alice)
    statuses = [
        post(client, username="alice", password=PASSWORD, otp="000000x").status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses[-1] == 429
    assert post(client, username="alice", password=PASSWORD, otp=fresh_totp_code(alice)).status_code == 429


def test_user_who_must_enrol_gets_no_token(client):
    make_user("alice", require_2fa=True)
    response = post(client, username="alice", password=PASSWORD)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "2fa_enrolment_required"
    assert not APIToken.objects.exists()


def test_inactive_user_gets_no_token(client):
    make_user("alice", is_active=False)
    assert post(client, username="alice", password=PASSWORD).status_code == 401


def test_failed_attempts_store_no_password_or_code(client):
    from axes.models import AccessAttempt

    alice = make_user("alice")
    enrol_2fa(alice)
    client.post(URL, {"username": "alice", "password": "wrong-secret-pw"})
    client.post(URL, {"username": "alice", "password": PASSWORD, "otp": "918273"})
    stored = " ".join(f"{a.get_data} {a.post_data}" for a in AccessAttempt.objects.all())
    assert AccessAttempt.objects.exists()
    assert "wrong-secret-pw" not in stored and PASSWORD not in stored and "918273" not in stored
