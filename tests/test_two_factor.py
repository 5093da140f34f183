"""TOTP 2FA as a service: enrolment, verification with real codes, backup codes, secrets at rest."""

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection

from tenants import twofactor
from tenants.models import BackupCode, EncryptedTOTPDevice, PlatformSetting
from tests.factories import add_member, enrol_2fa, fresh_totp_code, make_tenant, make_user, totp_code

pytestmark = pytest.mark.django_db


def test_enrolment_gives_an_otpauth_uri_and_an_svg_qr_code():
    user = make_user("alice")
    device, uri, svg = twofactor.start_enrolment(user)
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth" and parts.netloc == "totp"
    secret = parse_qs(parts.query)["secret"][0]
    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.secret()
    assert svg.lstrip().startswith("<?xml") or svg.lstrip().startswith("<svg")
    assert "<svg" in svg and "path" in svg
    assert not twofactor.has_2fa(user), "unconfirmed until a code proves the app works"


def test_confirming_with_a_real_code_enables_2fa_and_returns_ten_backup_codes():
    user = make_user("alice")
    twofactor.start_enrolment(user)
    codes = twofactor.confirm_enrolment(user, totp_code(user))
    assert twofactor.has_2fa(user)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert twofactor.backup_codes_remaining(user) == 10


def test_confirming_with_a_wrong_code_fails_and_leaves_2fa_off():
    user = make_user("alice")
    twofactor.start_enrolment(user)
    wrong = str((int(totp_code(user)) + 1) % 1_000_000).zfill(6)
    with pytest.raises(twofactor.TwoFactorError) as excinfo:
        twofactor.confirm_enrolment(user, wrong)
    assert excinfo.value.code == "invalid_code"
    assert not twofactor.has_2fa(user)


def test_verify_accepts_the_current_code_and_rejects_others():
    user = make_user("alice")
    enrol_2fa(user)
    assert twofactor.verify(user, fresh_totp_code(user))
    assert not twofactor.verify(user, "000000" if totp_code(user) != "000000" else "111111")
    assert not twofactor.verify(user, "not a code")


def test_a_code_cannot_be_replayed():
    user = make_user("alice")
    enrol_2fa(user)
    code = fresh_totp_code(user)
    assert twofactor.verify(user, code)
    assert not twofactor.verify(user, code)


def test_failures_are_throttled_even_for_a_correct_code():
    user = make_user("alice")
    enrol_2fa(user)
    fresh_totp_code(user)
    assert not twofactor.verify(user, "abcdefgh")
    assert not twofactor.verify(user, totp_code(user)), "right code inside the back-off window is refused"
    assert EncryptedTOTPDevice.objects.get(user=user).throttling_failure_count >= 1


def test_backup_code_works_once():
    user = make_user("alice")
    codes = enrol_2fa(user)
    assert twofactor.verify(user, codes[0])
    assert twofactor.backup_codes_remaining(user) == 9
    fresh_totp_code(user)  # clear the throttle so the refusal below is about single use
    assert not twofactor.verify(user, codes[0])


def test_backup_codes_are_accepted_without_dash_and_in_upper_case():
    user = make_user("alice")
    codes = enrol_2fa(user)
    assert twofactor.verify(user, codes[3].replace("-", "").upper())


def test_backup_codes_are_stored_hashed():
    user = make_user("alice")
    codes = enrol_2fa(user)
    stored = set(BackupCode.objects.filter(user=user).values_list("code_digest", flat=True))
    assert len(stored) == 10
    for code in codes:
        plain = code.replace("-", "")
        assert plain not in stored and code not in stored
        assert all(plain not in digest for digest in stored)


def test_totp_secret_is_encrypted_in_the_database_column():
    user = make_user("alice")
    device, uri, _svg = twofactor.start_enrolment(user)
    secret = device.secret()
    b32 = base64.b32encode(secret).decode().rstrip("=")
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_sealed FROM tenants_encryptedtotpdevice WHERE id = %s", [device.id])
        (column,) = cursor.fetchone()
    assert column.startswith("v1:")
    for encoding in (secret.hex(), b32, b32.lower(), base64.b64encode(secret).decode()):
        assert encoding not in column
    assert secret not in base64.b64decode(column[3:])


def test_sealed_secret_does_not_open_for_another_user():
    alice, bob = make_user("alice"), make_user("bob")
    device, _, _ = twofactor.start_enrolment(alice)
    stolen = EncryptedTOTPDevice(user=bob, name="x", secret_sealed=device.secret_sealed)
    from tenants.crypto import SealError

    with pytest.raises(SealError):
        stolen.secret()


def test_disable_needs_a_valid_code_then_removes_device_and_codes():
    user = make_user("alice")
    enrol_2fa(user)
    with pytest.raises(twofactor.TwoFactorError):
        twofactor.disable(user, "999999" if totp_code(user) != "999999" else "888888")
    assert twofactor.has_2fa(user)
    twofactor.disable(user, fresh_totp_code(user))
    assert not twofactor.has_2fa(user)
    assert not BackupCode.objects.filter(user=user).exists()


def test_disable_is_refused_when_2fa_is_mandatory():
    user = make_user("alice", require_2fa=True)
    enrol_2fa(user)
    with pytest.raises(twofactor.TwoFactorError) as excinfo:
        twofactor.disable(user, fresh_totp_code(user))
    assert excinfo.value.code == "required"
    assert twofactor.has_2fa(user)


def test_regenerating_backup_codes_invalidates_the_old_ones():
    user = make_user("alice")
    old = enrol_2fa(user)
    new = twofactor.regenerate_backup_codes(user, fresh_totp_code(user))
    assert len(new) == 10 and not set(new) & set(old)
    fresh_totp_code(user)
    assert not twofactor.verify(user, old[1])
    fresh_totp_code(user)
    assert twofactor.verify(user, new[1])


def test_enrolment_is_refused_while_2fa_is_on():
    user = make_user("alice")
    enrol_2fa(user)
    with pytest.raises(twofactor.TwoFactorError) as excinfo:
        twofactor.start_enrolment(user)
    assert excinfo.value.code == "already_enabled"


@pytest.mark.parametrize("source", ["user", "tenant", "inactive_tenant", "platform", "none"])
def test_requires_2fa_sources(source):
    user = make_user("alice", require_2fa=source == "user")
    tenant = make_tenant(
        "Acme", require_2fa=source in ("tenant", "inactive_tenant"), active=source != "inactive_tenant"
    )
    add_member(user, tenant, "viewer")
    if source == "platform":
        PlatformSetting.put(twofactor.PLATFORM_REQUIRE_2FA, True)
    assert twofactor.requires_2fa(user) is (source in ("user", "tenant", "platform"))
    assert twofactor.must_enrol(user) is (source in ("user", "tenant", "platform"))
    if twofactor.requires_2fa(user):
        enrol_2fa(user)
        assert not twofactor.must_enrol(user)
