"""API authentication: bearer tokens and browser sessions, both subject to the 2FA rules.

Bearer: `Authorization: Bearer mkm_…`, looked up by SHA-256; expiry, revocation and the user's
active flag honoured. A user who must use 2FA but has not enrolled gets no API access by token.
Session (the browsable API): a user who must enrol reaches only views marked
`allow_without_2fa`; a user with 2FA whose session was not OTP-verified likewise.
"""

from django.utils import timezone
from rest_framework import authentication, exceptions

from tenants import twofactor
from tenants.models import APIToken
from tenants.models.user import hash_token

ENROL_FIRST = "Two-factor authentication is required for this account: enrol first."


class TwoFactorRequired(exceptions.PermissionDenied):
    default_code = "2fa_required"


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace")
        if not header.startswith(self.keyword + " "):
            return None
        raw = header[len(self.keyword) + 1 :].strip()
        token = APIToken.objects.select_related("user").filter(key_hash=hash_token(raw)).first()
        if token is None or not token.is_active or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        if twofactor.must_enrol(token.user):
            raise exceptions.AuthenticationFailed(ENROL_FIRST)
        now = timezone.now()
        if token.last_used is None or (now - token.last_used).total_seconds() > 60:
            APIToken.objects.filter(pk=token.pk).update(last_used=now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class TwoFactorSessionAuthentication(authentication.SessionAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if getattr(view, "allow_without_2fa", False):
            return result
        if twofactor.must_enrol(user):
            raise TwoFactorRequired(ENROL_FIRST)
        is_verified = getattr(user, "is_verified", None)  # set by django_otp's OTPMiddleware
        if is_verified is not None and not is_verified() and twofactor.has_2fa(user):
            raise TwoFactorRequired("This session has not been verified with a second factor.")
        return result
