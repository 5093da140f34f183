"""2FA settings pages with a real authenticator code computed from the secret the page shows,
backup codes shown once, disable/regenerate, and forced enrolment."""

import base64
import re

import pytest
from django.test import Client
from django_otp.oath import TOTP

from tenants import twofactor
from tests.factories import add_member, enrol_2fa, fresh_totp_code, make_tenant, make_user

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def code_from_page(body: str) -> str:
    """What an authenticator app shows for the key printed on the enrolment page."""
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', body).group(1)
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return str(TOTP(key).token()).zfill(6)


def test_enrol_confirm_and_see_backup_codes_once():
    alice = make_user("alice")
    client = client_for(alice)
    page = client.get("/account/2fa/").content.decode()
    assert "Set up two-factor" in page
    started = client.post("/account/2fa/start/")
    body = started.content.decode()
    assert started.status_code == 200 and "<svg" in body and "otpauth://totp/" in body

    confirmed = client.post("/account/2fa/confirm/", {"code": code_from_page(body)})
    assert confirmed.status_code == 200
    codes_html = confirmed.content.decode()
    codes = re.findall(r"<li>([a-z0-9]{4}-[a-z0-9]{4})</li>", codes_html)
    assert len(codes) == 10
    assert twofactor.has_2fa(alice)
    # The session was OTP-verified by the enrolment, so the user stays signed in …
    later = client.get("/account/2fa/").content.decode()
    assert "Two-factor authentication" in later and "10 unused backup codes" in later
    # … and the codes are never shown again.
    assert codes[0] not in later


def test_wrong_or_malformed_confirmation_code_is_a_form_error():
    alice = make_user("alice")
    client = client_for(alice)
    client.post("/account/2fa/start/")
    malformed = client.post("/account/2fa/confirm/", {"code": "12ab"})
    assert malformed.status_code == 400 and "Enter the 6 digits" in malformed.content.decode()
    wrong = client.post("/account/2fa/confirm/", {"code": "000000"})
    assert wrong.status_code == 400 and "not valid" in wrong.content.decode()
    assert "<svg" in wrong.content.decode()  # the QR code stays on the page for another try
    assert not twofactor.has_2fa(alice)


def test_unfinished_enrolment_shows_the_pending_key_again():
    alice = make_user("alice")
    client = client_for(alice)
    first = client.post("/account/2fa/start/").content.decode()
    again = client.get("/account/2fa/").content.decode()
    assert code_from_page(first) == code_from_page(again)


def test_start_when_enrolled_is_refused_politely():
    alice = make_user("alice")
    client = client_for(alice)
    client.post("/account/2fa/start/")
    from tests.factories import totp_code

    client.post("/account/2fa/confirm/", {"code": totp_code(alice)})
    response = client.post("/account/2fa/start/", follow=True)
    assert response.status_code == 200 and "already enabled" in response.content.decode()


def _verified_client(user) -> Client:
    client = Client()
    from tests.factories import PASSWORD

    client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert client.post("/login/verify/", {"code": fresh_totp_code(user)}).status_code == 302
    return client


def test_regenerate_and_disable_need_a_valid_code():
    alice = make_user("alice")
    old_codes = enrol_2fa(alice)
    client = _verified_client(alice)
    bad = client.post("/account/2fa/backup-codes/", {"regenerate-code": "123456"})
    assert bad.status_code == 400 and "not valid" in bad.content.decode()
    fresh = client.post("/account/2fa/backup-codes/", {"regenerate-code": fresh_totp_code(alice)})
    new_codes = re.findall(r"<li>([a-z0-9]{4}-[a-z0-9]{4})</li>", fresh.content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)

    assert client.post("/account/2fa/disable/", {"disable-code": "nonsense!"}).status_code == 400
    assert twofactor.has_2fa(alice)
    assert client.post("/account/2fa/disable/", {"disable-code": new_codes[0]}).status_code == 302
    assert not twofactor.has_2fa(alice)


def test_required_2fa_cannot_be_disabled():
    alice = make_user("alice", require_2fa=True)
    codes = enrol_2fa(alice)
    client = _verified_client(alice)
    page = client.get("/account/2fa/").content.decode()
    assert "cannot be switched off" in page and "Turn off two-factor" not in page
    client.post("/account/2fa/disable/", {"disable-code": codes[0]})
    assert twofactor.has_2fa(alice)


def test_forced_enrolment_redirects_everything_but_enrolment_and_logout():
    acme = make_tenant("Acme", slug="acme", require_2fa=True)
    alice = make_user("alice")
    add_member(alice, acme, "admin")
    client = client_for(alice)
    for path in ("/", "/t/acme/", "/account/", "/account/tokens/", "/platform/tenants/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/account/2fa/", path
    page = client.get("/account/2fa/")
    assert page.status_code == 200 and "required for your account" in page.content.decode()
    assert client.get("/static/css/mikman.css").status_code in (200, 404)  # never redirected
    assert client.post("/logout/").status_code == 302

    client = client_for(alice)
    body = client.post("/account/2fa/start/").content.decode()
    assert client.post("/account/2fa/confirm/", {"code": code_from_page(body)}).status_code == 200
    assert client.get("/t/acme/").status_code == 200  # enrolled and verified: free to go
