"""My account: password, two-factor authentication and personal API tokens.

Secrets (the TOTP enrolment key, backup codes, a new token's raw key) are rendered in the response
to the POST that created them and never stored in a form that could show them again.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from tenants import services, twofactor
from tenants.forms import CodeForm, TokenForm, TOTPCodeForm, apply_errors
from tenants.models import APIToken, EncryptedTOTPDevice


def _account_context(request, **extra) -> dict:
    return {"section": "account", **extra}


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@login_required
def account(request):
    """Overview and password change."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)  # stay signed in on this device
        messages.success(request, "Your password was changed.")
        return redirect("account")
    context = _account_context(
        request,
        title="My account",
        form=form,
        has_2fa=twofactor.has_2fa(request.user),
        requires_2fa=twofactor.requires_2fa(request.user),
        active_tokens=APIToken.objects.filter(
            user=request.user, revoked__isnull=True, expires__gt=timezone.now()
        ).count(),
    )
    return render(request, "account/account.html", context, status=400 if form.errors else 200)


def _pending_device(user) -> EncryptedTOTPDevice | None:
    return EncryptedTOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def _render_twofactor(request, *, status=200, **extra):
    user = request.user
    enrolled = twofactor.has_2fa(user)
    context = _account_context(
        request,
        title="Two-factor authentication",
        enrolled=enrolled,
        required=twofactor.requires_2fa(user),
        remaining=twofactor.backup_codes_remaining(user) if enrolled else 0,
        **extra,
    )
    context.setdefault("regenerate_form", CodeForm(prefix="regenerate"))
    context.setdefault("disable_form", CodeForm(prefix="disable"))
    if not enrolled and "enrolment" not in context:
        device = _pending_device(user)
        if device is not None:  # an unfinished enrolment: its key is not active yet, so show it again
            context["enrolment"] = _enrolment(device)
            context.setdefault("confirm_form", TOTPCodeForm())
    return render(request, "account/twofactor.html", context, status=status)


def _enrolment(device) -> dict:
    uri = twofactor.otpauth_uri(device)
    return _enrolment_context(uri, twofactor.qr_svg(uri))


def _enrolment_context(uri: str, svg: str) -> dict:
    """What the enrolment card shows: the QR code (inline SVG, its XML declaration dropped), the
    base32 key for typing by hand, and the full URI."""
    secret = uri.split("secret=", 1)[1].split("&", 1)[0]
    return {"uri": uri, "qr_svg": svg[svg.find("<svg") :], "secret": secret}


@login_required
def twofactor_settings(request):
    return _render_twofactor(request)


@require_POST
@login_required
def twofactor_start(request):
    try:
        device, uri, qr = twofactor.start_enrolment(request.user)
    except twofactor.TwoFactorError as exc:
        messages.error(request, str(exc))
        return redirect("account-2fa")
    return _render_twofactor(request, enrolment=_enrolment_context(uri, qr), confirm_form=TOTPCodeForm())


@sensitive_post_parameters("code")
@require_POST
@login_required
def twofactor_confirm(request):
    form = TOTPCodeForm(request.POST)
    if form.is_valid():
        try:
            codes = twofactor.confirm_enrolment(request.user, form.cleaned_data["code"], request=request)
        except twofactor.TwoFactorError as exc:
            if exc.code == "no_enrolment":
                messages.error(request, str(exc))
                return redirect("account-2fa")
            form.add_error("code", str(exc))
        else:
            messages.success(request, "Two-factor authentication is on.")
            return _render_twofactor(request, backup_codes=codes)
    return _render_twofactor(request, confirm_form=form, status=400)


@sensitive_post_parameters("code")
@require_POST
@login_required
def twofactor_disable(request):
    form = CodeForm(request.POST, prefix="disable")
    if form.is_valid():
        if twofactor.requires_2fa(request.user):
            messages.error(
                request, "Two-factor authentication is required for your account; it cannot be switched off."
            )
            return redirect("account-2fa")
        try:
            twofactor.disable(request.user, form.cleaned_data["code"], request=request)
        except twofactor.TwoFactorError as exc:
            form.add_error("code", str(exc))
        else:
            messages.success(request, "Two-factor authentication is off.")
            return redirect("account-2fa")
    return _render_twofactor(request, disable_form=form, status=400)


@sensitive_post_parameters("code")
@require_POST
@login_required
def twofactor_regenerate(request):
    form = CodeForm(request.POST, prefix="regenerate")
    if form.is_valid():
        try:
            codes = twofactor.regenerate_backup_codes(request.user, form.cleaned_data["code"], request=request)
        except twofactor.TwoFactorError as exc:
            form.add_error("code", str(exc))
        else:
            messages.success(request, "New backup codes were made; the old ones no longer work.")
            return _render_twofactor(request, backup_codes=codes)
    return _render_twofactor(request, regenerate_form=form, status=400)


@login_required
def tokens(request):
    """List and create personal API tokens; a new token's key is in this response only."""
    form = TokenForm(request.POST or None, initial={"days": settings.API_TOKEN_DEFAULT_DAYS})
    new_key = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            expires = timezone.now() + timedelta(days=form.cleaned_data["days"])
            try:
                token, new_key = services.issue_token(
                    request.user, form.cleaned_data["name"], expires=expires, request=request
                )
            except ValidationError as exc:
                apply_errors(form, exc)
                status = 400
            else:
                messages.success(request, f"Token “{token.name}” created. Copy it now: it will not be shown again.")
                form = TokenForm(initial={"days": settings.API_TOKEN_DEFAULT_DAYS})
        else:
            status = 400
    context = _account_context(
        request,
        title="API tokens",
        form=form,
        new_key=new_key,
        tokens=APIToken.objects.filter(user=request.user).order_by("-created"),
        now=timezone.now(),
        default_days=settings.API_TOKEN_DEFAULT_DAYS,
    )
    return render(request, "account/tokens.html", context, status=status)


@require_POST
@login_required
def token_revoke(request, token_id):
    token = get_object_or_404(APIToken, pk=token_id, user=request.user)  # another user's token: 404
    if token.revoked is None:
        services.revoke_token(token, by=request.user, request=request)
        messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("account-tokens")
