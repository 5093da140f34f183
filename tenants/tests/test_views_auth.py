"""Sign-in pages: password, lockout, the 2FA challenge with a real TOTP code, logout."""

import pytest
from django.test import Client

from tests.factories import PASSWORD, enrol_2fa, fresh_totp_code, make_user

pytestmark = pytest.mark.django_db


def test_login_page_renders_with_csrf_field():
    response = Client().get("/login/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in body
    assert 'name="username"' in body and 'name="password"' in body


def test_anonymous_is_sent_to_login():
    response = Client().get("/t/acme/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/t/acme/")


def test_login_enforces_csrf():
    make_user("alice")
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403


def test_wrong_password_is_a_form_error():
    make_user("alice")
    response = Client().post("/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in response.client.session


def test_password_login_without_2fa_goes_home():
    make_user("alice")
    client = Client()
    response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_login_honours_safe_next_only():
    make_user("alice")
    client = Client()
    ok = client.post("/login/?next=/account/", {"username": "alice", "password": PASSWORD, "next": "/account/"})
    assert ok["Location"] == "/account/"
    client = Client()
    evil = client.post("/login/", {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"})
    assert evil["Location"] == "/"


def test_repeated_failures_show_the_lockout_page():
    make_user("alice")
    client = Client()
    for _ in range(5):
        client.post("/login/", {"username": "alice", "password": "wrong"})
    response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    body = response.content.decode()
    assert "Sign-in temporarily locked" in body
    assert "_auth_user_id" not in client.session


def test_2fa_user_needs_a_code_after_the_password():
    alice = make_user("alice")
    enrol_2fa(alice)
    client = Client()
    response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/login/verify/"
    assert "_auth_user_id" not in client.session  # not signed in yet
    assert client.get("/account/").status_code == 302  # still anonymous

    page = client.get("/login/verify/")
    assert page.status_code == 200 and "Two-factor check" in page.content.decode()

    wrong = client.post("/login/verify/", {"code": "000000"})
    assert wrong.status_code == 200
    assert "not valid" in wrong.content.decode()
    assert "_auth_user_id" not in client.session

    response = client.post("/login/verify/", {"code": fresh_totp_code(alice)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(alice.pk)
    assert client.session.get("otp_device_id")  # django_otp.login: request.user.is_verified()
    assert client.get("/account/").status_code == 200


def test_backup_code_signs_in_once():
    alice = make_user("alice")
    codes = enrol_2fa(alice)
    client = Client()
    client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert client.post("/login/verify/", {"code": codes[0]}).status_code == 302
    client.post("/logout/")
    client.post("/login/", {"username": "alice", "password": PASSWORD})
    reused = client.post("/login/verify/", {"code": codes[0]})
    assert reused.status_code == 200 and "not valid" in reused.content.decode()


def test_verify_step_without_password_step_goes_back_to_login():
    response = Client().get("/login/verify/")
    assert response.status_code == 302 and response["Location"] == "/login/"


def test_malformed_code_is_a_form_error_not_a_500():
    alice = make_user("alice")
    enrol_2fa(alice)
    client = Client()
    client.post("/login/", {"username": "alice", "password": PASSWORD})
    response = client.post("/login/verify/", {"code": "<script>" * 10})
    assert response.status_code == 200
    assert "Enter the 6-digit code or a backup code" in response.content.decode()


def test_unverified_session_of_2fa_user_is_signed_out():
    alice = make_user("alice")
    enrol_2fa(alice)
    client = Client()
    client.force_login(alice)  # a session that skipped the code
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session


def test_logout_is_post_only():
    make_user("alice")
    client = Client()
    client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session
