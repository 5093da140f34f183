"""Mandatory 2FA: a user who must enrol gets no API access by token and, by session, only the
enrolment endpoints; a session of a 2FA user must be OTP-verified."""

import pytest
from django.test import Client

from tenants import twofactor
from tests.factories import add_member, enrol_2fa, fresh_totp_code, make_tenant, make_token, make_user, token_client

pytestmark = pytest.mark.django_db


def test_token_is_refused_until_enrolled():
    acme = make_tenant("Acme", slug="acme", require_2fa=True)
    alice = make_user("alice")
    add_member(alice, acme, "admin")
    raw = make_token(alice)
    response = token_client(raw).get("/api/v1/tenants/acme/sites/")
    assert response.status_code == 401
    assert "two-factor" in response.json()["error"]["message"].lower()
    enrol_2fa(alice)
    assert token_client(raw).get("/api/v1/tenants/acme/sites/").status_code == 200


def test_session_of_user_who_must_enrol_reaches_only_enrolment():
    alice = make_user("alice", require_2fa=True)
    client = Client()
    client.force_login(alice)
    assert client.get("/api/v1/tokens/").status_code == 403
    assert client.get("/api/v1/tenants/").status_code == 403
    assert client.get("/api/v1/me/").status_code == 200
    assert client.get("/api/v1/me/2fa/").json()["required"] is True
    assert client.post("/api/v1/me/2fa/enrol/").status_code == 201


def test_session_of_2fa_user_must_be_otp_verified():
    alice = make_user("alice")
    enrol_2fa(alice)
    client = Client()
    client.force_login(alice)
    refused = client.get("/api/v1/tokens/")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "2fa_required"
    # Verifying through the API marks the session (django_otp.login), like the UI's OTP step.
    from django.test import RequestFactory

    assert client.get("/api/v1/me/").status_code == 200
    request = RequestFactory().get("/")
    request.session = client.session
    request.user = alice
    assert twofactor.verify(alice, fresh_totp_code(alice), request=request)
    request.session.save()
    assert client.get("/api/v1/tokens/").status_code == 200


def test_platform_wide_requirement_applies_to_everyone():
    root = make_user("root", super_admin=True)
    alice = make_user("alice")
    raw = make_token(alice)
    assert token_client(raw).get("/api/v1/tokens/").status_code == 200
    root_client = token_client(make_token(root))
    assert root_client.put("/api/v1/platform/security/", {"require_2fa": True}, format="json").status_code == 200
    assert token_client(raw).get("/api/v1/tokens/").status_code == 401
    # The super admin is bound too: their own token stops working until they enrol.
    assert root_client.get("/api/v1/platform/security/").status_code == 401
