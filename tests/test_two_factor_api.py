"""/api/v1/me/2fa/: status, enrol, confirm, disable, regenerate backup codes."""

import pytest

from tenants import twofactor
from tenants.models import EncryptedTOTPDevice
from tests.factories import api_client, enrol_2fa, fresh_totp_code, make_user, totp_code

pytestmark = pytest.mark.django_db


def test_full_enrolment_over_the_api():
    alice = make_user("alice")
    client = api_client(alice)
    assert client.get("/api/v1/me/2fa/").json() == {"enabled": False, "required": False, "backup_codes_remaining": 0}
    started = client.post("/api/v1/me/2fa/enrol/")
    assert started.status_code == 201
    assert started.json()["otpauth_uri"].startswith("otpauth://totp/")
    assert "<svg" in started.json()["qr_svg"]
    confirmed = client.post("/api/v1/me/2fa/confirm/", {"code": totp_code(alice)}, format="json")
    assert confirmed.status_code == 200, confirmed.content
    assert len(confirmed.json()["backup_codes"]) == 10
    assert client.get("/api/v1/me/2fa/").json() == {"enabled": True, "required": False, "backup_codes_remaining": 10}


def test_wrong_confirmation_code_is_400_and_the_failure_is_kept():
    alice = make_user("alice")
    client = api_client(alice)
    client.post("/api/v1/me/2fa/enrol/")
    response = client.post("/api/v1/me/2fa/confirm/", {"code": "12345"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_code"
    # Returned, not raised: the request's transaction committed the throttle increment.
    assert EncryptedTOTPDevice.objects.get(user=alice).throttling_failure_count == 1


def test_confirm_without_enrolment_is_409():
    response = api_client(make_user("alice")).post("/api/v1/me/2fa/confirm/", {"code": "123456"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "no_enrolment"


def test_missing_code_is_400():
    response = api_client(make_user("alice")).post("/api/v1/me/2fa/confirm/", {}, format="json")
    assert response.status_code == 400
    assert "code" in response.json()["error"]["fields"]


def test_enrol_again_while_enabled_is_409():
    alice = make_user("alice")
    enrol_2fa(alice)
    assert api_client(alice).post("/api/v1/me/2fa/enrol/").status_code == 409


def test_disable_and_regenerate_need_a_valid_code():
    alice = make_user("alice")
    enrol_2fa(alice)
    client = api_client(alice)
    assert client.post("/api/v1/me/2fa/backup-codes/", {"code": "00000a"}, format="json").status_code == 400
    regenerated = client.post("/api/v1/me/2fa/backup-codes/", {"code": fresh_totp_code(alice)}, format="json")
    assert regenerated.status_code == 200 and len(regenerated.json()["backup_codes"]) == 10
    assert client.post("/api/v1/me/2fa/disable/", {"code": fresh_totp_code(alice)}, format="json").status_code == 204
    assert not twofactor.has_2fa(alice)


def test_throttled_attempt_is_429():
    alice = make_user("alice")
    enrol_2fa(alice)
    client = api_client(alice)
    client.post("/api/v1/me/2fa/disable/", {"code": "bad"}, format="json")
    response = client.post("/api/v1/me/2fa/disable/", {"code": totp_code(alice, steps_ahead=1)}, format="json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert twofactor.has_2fa(alice)


def test_secret_only_appears_in_the_enrolment_response():
    alice = make_user("alice")
    client = api_client(alice)
    client.post("/api/v1/me/2fa/enrol/")
    device = EncryptedTOTPDevice.objects.get(user=alice)
    import base64

    b32 = base64.b32encode(device.secret()).decode().rstrip("=")
    for url in ("/api/v1/me/", "/api/v1/me/2fa/"):
        assert b32 not in client.get(url).content.decode()
    assert b32 not in client.post("/api/v1/me/2fa/confirm/", {"code": totp_code(alice)}, format="json").content.decode()
