"""Second factors: a TOTP device whose secret is sealed at rest, and single-use backup codes.

Platform tables (no RLS): they belong to users, not tenants. Only tenants/twofactor.py should use
them; it holds the rules (throttling, single use, audit).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP

from tenants import crypto

TOTP_PURPOSE = "totp-secret"
BACKUP_CODE_PURPOSE = "backup-code"


class EncryptedTOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """An RFC 6238 authenticator (SHA-1, like every phone app) with its secret AES-GCM-sealed.

    The ciphertext is bound to the owning user's id, so copying it to another row does not work.
    Its throttle is the user's: tenants.twofactor counts every failed code (TOTP or backup) here.
    """

    secret_sealed = models.TextField(editable=False)
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1, help_text="Time step of the last accepted code (no replays).")

    class Meta(Device.Meta):
        verbose_name = "TOTP device"

    def _associated(self) -> bytes:
        return f"totp:{self.user_id}".encode()

    def set_secret(self, secret: bytes) -> None:
        self.secret_sealed = crypto.seal(secret, purpose=TOTP_PURPOSE, associated=self._associated())

    def secret(self) -> bytes:
        return crypto.unseal(self.secret_sealed, purpose=TOTP_PURPOSE, associated=self._associated())

    def match_code(self, code: str) -> bool:
        """Whether `code` is valid now and newer than the last accepted one; records it if so.

        No throttling here: the caller decides (tenants.twofactor.verify)."""
        if not (code.isdigit() and len(code) == self.digits):
            return False
        totp = TOTP(self.secret(), self.step, self.t0, self.digits, self.drift)
        totp.time = time.time()
        if not totp.verify(int(code), self.tolerance, self.last_t + 1):
            return False
        self.last_t = totp.t()
        self.drift = totp.drift
        self.set_last_used_timestamp(commit=False)
        self.save(update_fields=["last_t", "drift", "last_used_at"])
        return True

    def verify_token(self, token) -> bool:
        """django-otp's interface (OTPMiddleware, match_token), with the device throttle applied."""
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        if self.match_code(str(token).strip()):
            self.throttle_reset()
            return True
        self.throttle_increment()
        return False

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)


class BackupCode(models.Model):
    """One single-use recovery code; only an HMAC of it (keyed by the master key) is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="backup_codes")
    code_digest = models.CharField(max_length=64, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    used = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "code_digest"], name="tenants_backupcode_unique")]

    def __str__(self) -> str:
        return f"backup code of {self.user_id} ({'used' if self.used else 'unused'})"

    @staticmethod
    def digest(code: str) -> str:
        return crypto.keyed_digest(code, purpose=BACKUP_CODE_PURPOSE)

    @classmethod
    def consume(cls, user, code: str) -> bool:
        """Mark the matching unused code used; True only for the one request that did so."""
        return bool(
            cls.objects.filter(user=user, code_digest=cls.digest(code), used__isnull=True).update(used=timezone.now())
        )
