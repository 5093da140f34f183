"""Sign-in: password (django-axes counts failures), then the second factor when the user has one.

After a correct password a 2FA user is NOT logged in: the session only remembers who passed the
first step (and when), and `login_verify` completes the login once a TOTP or backup code matches.
"""

from __future__ import annotations

import time

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from tenants import twofactor
from tenants.forms import CodeForm, LoginForm
from tenants.models import User

PENDING = "mikman_2fa_pending"  # {"user": pk, "backend": path, "at": epoch, "next": url}
PENDING_MAX_AGE = 300  # seconds between password and code


def _safe_next(request, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if twofactor.has_2fa(user):
            self.request.session.cycle_key()
            self.request.session[PENDING] = {
                "user": user.pk,
                "backend": user.backend,
                "at": int(time.time()),
                "next": self.get_redirect_url(),
            }
            return redirect("login-verify")
        return super().form_valid(form)


def _pending_user(request) -> tuple[User | None, dict]:
    pending = request.session.get(PENDING) or {}
    if not pending or time.time() - pending.get("at", 0) > PENDING_MAX_AGE:
        return None, {}
    user = User.objects.filter(pk=pending.get("user"), is_active=True).first()
    return user, pending


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def login_verify(request):
    """Second step: the authenticator code (or a backup code) of the user who passed the password."""
    user, pending = _pending_user(request)
    if user is None:
        request.session.pop(PENDING, None)
        messages.info(request, "Please sign in again.")
        return redirect("login")
    form = CodeForm(request.POST or None)
    form.fields["code"].widget.attrs["autofocus"] = True
    if request.method == "POST" and form.is_valid():
        # A failed verify() is recorded (throttle, audit): answer normally so the transaction commits.
        if twofactor.verify(user, form.cleaned_data["code"]):
            request.session.pop(PENDING, None)
            auth_login(request, user, backend=pending["backend"])
            django_otp.login(request, twofactor.confirmed_device(user))
            return redirect(_safe_next(request, pending.get("next")))
        form.add_error("code", "That code is not valid (or too many attempts: wait a little).")
    return render(request, "registration/login_verify.html", {"form": form, "pending_user": user, "title": "Verify"})


class LogoutView(auth_views.LogoutView):
    """POST only (Django's rule): a link cannot log anyone out."""
