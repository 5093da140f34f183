"""Two-factor authentication: the verbs the UI and the API both call.

One confirmed TOTP device per user plus ten single-use backup codes. Every failed code (TOTP or
backup) counts against the device's exponential throttle (django-otp's ThrottlingMixin), so a
wrong guess is recorded in the database: callers must let the transaction commit after a failed
`verify()` (return a response; do not raise out of an ATOMIC_REQUESTS view), or the failure —
and the throttle — is rolled back.

Secrets never leave this module except once: the otpauth URI / QR code of `start_enrolment`,
shown to the user enrolling. Backup codes are returned once and only their HMACs are stored.
"""

from __future__ import annotations

import base64
import io
import secrets
from urllib.parse import quote, urlencode

import django_otp
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from audit import services as audit
from tenants.models import BackupCode, EncryptedTOTPDevice, Membership, PlatformSetting, User

BACKUP_CODE_COUNT = 10
# No 0/o, 1/l/i: codes are typed from paper.
BACKUP_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
PLATFORM_REQUIRE_2FA = "require_2fa"
SECRET_BYTES = 20  # RFC 4226's recommended length for SHA-1


class TwoFactorError(ValueError):
    """A refused 2FA operation; `code` is machine-readable, str() is safe to show the user."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


# --- State -------------------------------------------------------------------------------------


def confirmed_device(user: User, *, for_update: bool = False) -> EncryptedTOTPDevice | None:
    qs = EncryptedTOTPDevice.objects.filter(user=user, confirmed=True)
    if for_update:
        qs = qs.select_for_update()
    return qs.first()


def has_2fa(user: User) -> bool:
    """The user has a confirmed authenticator."""
    return bool(user.is_authenticated) and EncryptedTOTPDevice.objects.filter(user=user, confirmed=True).exists()


def platform_requires_2fa() -> bool:
    return PlatformSetting.get(PLATFORM_REQUIRE_2FA, False) is True


def requires_2fa(user: User) -> bool:
    """2FA is mandatory for this user: their own flag, the platform setting, or any active tenant
    they belong to. Such a user without 2FA may only reach enrolment."""
    if not user.is_authenticated:
        return False
    if user.require_2fa or platform_requires_2fa():
        return True
    return Membership.objects.filter(user=user, tenant__require_2fa=True, tenant__active=True).exists()


def must_enrol(user: User) -> bool:
    """Required but missing: the UI sends such a user to enrolment, the API refuses their token."""
    return requires_2fa(user) and not has_2fa(user)


def backup_codes_remaining(user: User) -> int:
    return BackupCode.objects.filter(user=user, used__isnull=True).count()


# --- Enrolment ---------------------------------------------------------------------------------


def otpauth_uri(device: EncryptedTOTPDevice) -> str:
    """The Key URI Format string authenticator apps read (it contains the secret)."""
    issuer = getattr(settings, "OTP_TOTP_ISSUER", "mikman").replace(":", "")
    label = quote(f"{issuer}:{device.user.get_username()}")
    params = {
        "secret": base64.b32encode(device.secret()).decode().rstrip("="),
        "issuer": issuer,
        "algorithm": "SHA1",
        "digits": device.digits,
        "period": device.step,
    }
    return f"otpauth://totp/{label}?{urlencode(params, quote_via=quote)}"


def qr_svg(data: str) -> str:
    """An inline SVG QR code (no image files, no external service)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


@transaction.atomic
def start_enrolment(user: User) -> tuple[EncryptedTOTPDevice, str, str]:
    """A fresh unconfirmed device: (device, otpauth URI, QR code SVG). Replaces an earlier
    unfinished enrolment. Refused while 2FA is already on (disable first)."""
    if has_2fa(user):
        raise TwoFactorError("already_enabled", _("Two-factor authentication is already enabled."))
    EncryptedTOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = EncryptedTOTPDevice(user=user, name="Authenticator app", confirmed=False)
    device.set_secret(secrets.token_bytes(SECRET_BYTES))
    device.save()
    uri = otpauth_uri(device)
    return device, uri, qr_svg(uri)


def confirm_enrolment(user: User, code: str, *, request=None) -> list[str]:
    """Switch 2FA on once the user proves their app works; returns the backup codes (shown once).

    Raises TwoFactorError("no_enrolment" | "throttled" | "invalid_code"); a wrong code counts
    against the throttle (let the transaction commit)."""
    with transaction.atomic():
        device = (
            EncryptedTOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-id").first()
        )
        if device is None or has_2fa(user):
            raise TwoFactorError("no_enrolment", _("Start enrolment first."))
        _check_throttle(device)
        if not device.match_code(_normalise(code)):
            device.throttle_increment()
            failed = True
        else:
            device.confirmed = True
            device.throttle_reset(commit=False)
            device.save()
            codes = _replace_backup_codes(user)
            failed = False
    if failed:
        audit.two_factor_failed(user, request=request)
        raise TwoFactorError("invalid_code", _("That code is not valid. Check your device's clock and try again."))
    audit.two_factor_enabled(user, request=request)
    if request is not None:
        django_otp.login(request, device)
    return codes


# --- Verification ------------------------------------------------------------------------------


def _normalise(code) -> str:
    return "".join(str(code or "").split()).replace("-", "").lower()


def _check_throttle(device: EncryptedTOTPDevice) -> None:
    allowed, _info = device.verify_is_allowed()
    if not allowed:
        raise TwoFactorError("throttled", _("Too many wrong codes; wait a little and try again."))


def _match(user: User, device: EncryptedTOTPDevice, code: str) -> str | None:
    """Which factor accepted `code` ("totp" | "backup_code"), or None. Throttle updated."""
    normalised = _normalise(code)
    if normalised.isdigit() and device.match_code(normalised):
        device.throttle_reset()
        return "totp"
    if len(normalised) == 8 and BackupCode.consume(user, normalised):
        device.throttle_reset()
        return "backup_code"
    device.throttle_increment()
    return None


def verify(user: User, code: str, *, request=None) -> bool:
    """Whether `code` is the user's current TOTP code or one of their unused backup codes
    (which is then spent). False when throttled. With `request`, a success also marks the
    session as OTP-verified (django_otp.login), which the API requires of 2FA users' sessions."""
    try:
        _verified_factor(user, code, request=request)
    except TwoFactorError:
        return False
    return True


def _verified_factor(user: User, code: str, *, request=None) -> str:
    with transaction.atomic():
        device = confirmed_device(user, for_update=True)
        if device is None:
            raise TwoFactorError("not_enabled", _("Two-factor authentication is not enabled."))
        try:
            _check_throttle(device)
        except TwoFactorError:
            factor = None
            reason = "throttled"
        else:
            factor = _match(user, device, code)
            reason = "invalid_code"
    if factor is None:
        audit.two_factor_failed(user, request=request)
        if reason == "throttled":
            raise TwoFactorError("throttled", _("Too many wrong codes; wait a little and try again."))
        raise TwoFactorError("invalid_code", _("That code is not valid."))
    if factor == "backup_code":
        audit.recovery_code_used(user, request=request)
    if request is not None:
        django_otp.login(request, device)
    return factor


def require_code(user: User, code: str, *, request=None) -> None:
    """Like verify() but raises TwoFactorError with the reason (for the disable/regenerate forms)."""
    _verified_factor(user, code, request=request)


# --- Changes that need a current code ----------------------------------------------------------


def disable(user: User, code: str, *, request=None) -> None:
    """Switch 2FA off (device and backup codes deleted) after proving possession once more.
    Refused ("required") for a user who must use 2FA; they replace their device by enrolling
    again after an administrator resets it."""
    if requires_2fa(user):
        raise TwoFactorError("required", _("Two-factor authentication is mandatory for your account."))
    require_code(user, code, request=request)
    with transaction.atomic():
        EncryptedTOTPDevice.objects.filter(user=user).delete()
        BackupCode.objects.filter(user=user).delete()
    audit.two_factor_disabled(user, request=request)


def regenerate_backup_codes(user: User, code: str, *, request=None) -> list[str]:
    """New ten codes (the old ones stop working); returned once."""
    require_code(user, code, request=request)
    with transaction.atomic():
        codes = _replace_backup_codes(user)
    audit.record("auth.2fa_backup_codes_regenerated", user=user, target=user, request=request)
    return codes


def _replace_backup_codes(user: User) -> list[str]:
    BackupCode.objects.filter(user=user).delete()
    codes = ["".join(secrets.choice(BACKUP_CODE_ALPHABET) for _ in range(8)) for _ in range(BACKUP_CODE_COUNT)]
    BackupCode.objects.bulk_create(BackupCode(user=user, code_digest=BackupCode.digest(c)) for c in codes)
    return [f"{c[:4]}-{c[4:]}" for c in codes]
