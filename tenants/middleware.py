"""Forced two-factor enrolment for the web UI.

A signed-in user for whom 2FA is mandatory (their flag, the platform setting or a tenant that
requires it) but who has no authenticator yet may only reach the enrolment page, logout and
static files: every other page redirects to enrolment. A user who has 2FA but whose session was
not OTP-verified (signed in some other way than our two-step login) is signed out.

The API is not handled here: a Bearer token is authenticated by DRF after middleware runs, so the
API's own authentication refuses such users (tenants.twofactor.must_enrol).
"""

from __future__ import annotations

from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

from tenants import twofactor

EXEMPT_PREFIXES = ("/static/", "/api/", "/healthz", "/readyz", "/logout/", "/login/", "/account/2fa/")


class ForceTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(EXEMPT_PREFIXES):
            if twofactor.has_2fa(user):
                if not user.is_verified():
                    logout(request)
                    return redirect(f"{reverse('login')}?next={request.path}")
            elif twofactor.requires_2fa(user):
                return redirect("account-2fa")
        return self.get_response(request)
