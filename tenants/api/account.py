"""The caller's own account over the API: who am I, 2FA, personal tokens, and signing in for one.

Failed logins and codes are answered with a returned (not raised) error response, so the request's
transaction commits what the failure must leave behind (axes attempt, TOTP throttle, audit).
"""

from __future__ import annotations

from django.contrib.auth import authenticate, user_logged_in, user_login_failed
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants import services, twofactor
from tenants.api.responses import error_response
from tenants.api.serializers import (
    APITokenSerializer,
    BackupCodesSerializer,
    CodeSerializer,
    EnrolmentSerializer,
    ErrorSerializer,
    MeSerializer,
    NewAPITokenSerializer,
    ObtainTokenSerializer,
    TwoFactorStatusSerializer,
)
from tenants.auth import lockout_response
from tenants.filtersets import APITokenFilterSet
from tenants.models import APIToken

CODE_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Missing or wrong code (`invalid_code`)."),
    409: OpenApiResponse(ErrorSerializer, description="Not possible in the current 2FA state."),
    429: OpenApiResponse(ErrorSerializer, description="Too many wrong codes (`throttled`)."),
}
TWO_FACTOR_HTTP = {"throttled": 429, "no_enrolment": 409, "already_enabled": 409, "not_enabled": 409, "required": 409}


def _twofactor_error(exc: twofactor.TwoFactorError) -> Response:
    return error_response(TWO_FACTOR_HTTP.get(exc.code, 400), exc.code, str(exc))


def _code(request) -> str:
    serializer = CodeSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data["code"]


class AccountView(APIView):
    # Reachable by a session that still has to enrol or verify: these are the way out.
    allow_without_2fa = True


class MeView(AccountView):
    """The caller: profile, tenants with the role in each, and 2FA status."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class TwoFactorStatusView(AccountView):
    @extend_schema(responses=TwoFactorStatusSerializer, summary="2FA status")
    def get(self, request):
        return Response(TwoFactorStatusSerializer.of(request.user))


class TwoFactorEnrolView(AccountView):
    @extend_schema(
        request=None, responses={201: EnrolmentSerializer, 409: CODE_ERRORS[409]}, summary="Start 2FA enrolment"
    )
    def post(self, request):
        """A new authenticator secret as an otpauth URI and QR code; confirm it with a code."""
        try:
            _device, uri, svg = twofactor.start_enrolment(request.user)
        except twofactor.TwoFactorError as exc:
            return _twofactor_error(exc)
        return Response({"otpauth_uri": uri, "qr_svg": svg}, status=status.HTTP_201_CREATED)


class TwoFactorConfirmView(AccountView):
    @extend_schema(
        request=CodeSerializer, responses={200: BackupCodesSerializer, **CODE_ERRORS}, summary="Confirm 2FA enrolment"
    )
    def post(self, request):
        """Switch 2FA on with a code from the app; returns ten backup codes, shown once."""
        code = _code(request)
        try:
            codes = twofactor.confirm_enrolment(request.user, code, request=request._request)
        except twofactor.TwoFactorError as exc:
            return _twofactor_error(exc)
        return Response({"backup_codes": codes})


class TwoFactorDisableView(AccountView):
    @extend_schema(request=CodeSerializer, responses={204: None, **CODE_ERRORS}, summary="Disable 2FA")
    def post(self, request):
        code = _code(request)
        try:
            twofactor.disable(request.user, code, request=request._request)
        except twofactor.TwoFactorError as exc:
            return _twofactor_error(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BackupCodesView(AccountView):
    @extend_schema(
        request=CodeSerializer,
        responses={200: BackupCodesSerializer, **CODE_ERRORS},
        summary="Regenerate backup codes",
    )
    def post(self, request):
        """Ten new backup codes (the old ones stop working), shown once."""
        code = _code(request)
        try:
            codes = twofactor.regenerate_backup_codes(request.user, code, request=request._request)
        except twofactor.TwoFactorError as exc:
            return _twofactor_error(exc)
        return Response({"backup_codes": codes})


@extend_schema_view(
    create=extend_schema(request=APITokenSerializer, responses={201: NewAPITokenSerializer}),
    destroy=extend_schema(summary="Revoke a token", responses={204: None}),
)
class APITokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """My API tokens. The key is returned once, at creation; DELETE revokes (the row stays)."""

    serializer_class = APITokenSerializer
    queryset = APIToken.objects.none()
    lookup_value_regex = "[0-9a-fA-F-]{36}"
    filterset_class = APITokenFilterSet
    ordering_fields = ["created", "expires", "name", "last_used"]
    search_fields = ["name"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return APIToken.objects.none()
        return APIToken.objects.filter(user=self.request.user).order_by("-created")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, raw = services.issue_token(
            request.user,
            serializer.validated_data["name"],
            expires=serializer.validated_data.get("expires"),
            request=request._request,
        )
        body = NewAPITokenSerializer(token).data
        body["key"] = raw
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.revoke_token(instance, by=self.request.user, request=self.request._request)


@method_decorator(sensitive_post_parameters("password", "otp"), name="dispatch")
class ObtainTokenView(APIView):
    """Exchange username + password (+ a 2FA code) for a new API token.

    Failures count towards django-axes' lockout (per username and IP); once locked out the
    answer is 429 until the cool-off passes, whatever the credentials."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        request=ObtainTokenSerializer,
        responses={
            201: NewAPITokenSerializer,
            401: OpenApiResponse(
                ErrorSerializer, description="Wrong credentials or 2FA code (`otp_required` when missing)."
            ),
            403: OpenApiResponse(ErrorSerializer, description="2FA is mandatory for this account and not set up yet."),
            429: OpenApiResponse(ErrorSerializer, description="Locked out after repeated failures."),
        },
        auth=[],
        summary="Sign in for an API token",
    )
    def post(self, request):
        serializer = ObtainTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        django_request = request._request
        user = authenticate(django_request, username=data["username"], password=data["password"])
        if getattr(django_request, "axes_locked_out", False):
            return lockout_response(django_request)
        if user is None:
            return error_response(401, "invalid_credentials", "Invalid username or password.")
        if twofactor.must_enrol(user):
            return error_response(403, "2fa_enrolment_required", "Set up two-factor authentication first.")
        if twofactor.has_2fa(user):
            if not data.get("otp"):
                return error_response(401, "otp_required", "This account needs a two-factor code (otp).")
            try:
                twofactor.require_code(user, data["otp"])
            except twofactor.TwoFactorError as exc:
                # A wrong second factor is a failed login too: it counts towards the lockout.
                user_login_failed.send(
                    sender=__name__, credentials={"username": data["username"]}, request=django_request
                )
                if getattr(django_request, "axes_locked_out", False):
                    return lockout_response(django_request)
                return error_response(429 if exc.code == "throttled" else 401, exc.code, str(exc))
        token, raw = services.issue_token(user, data["name"], request=django_request)
        # Resets axes' failure count and records last_login, as a UI sign-in does.
        user_logged_in.send(sender=user.__class__, request=django_request, user=user)
        body = NewAPITokenSerializer(token).data
        body["key"] = raw
        return Response(body, status=status.HTTP_201_CREATED)
