"""Error responses returned (not raised) where the failure itself must be committed.

Raising from an ATOMIC_REQUESTS view makes DRF roll the request's transaction back, which would
erase exactly what a failed login or code must leave behind: the django-axes attempt, the TOTP
throttle increment, the audit record. Same body shape as mikman.api's exception handler.
"""

from rest_framework.response import Response


def error_response(status: int, code: str, message: str, fields: dict | None = None) -> Response:
    body = {"status": status, "code": code, "message": message}
    if fields:
        body["fields"] = fields
    return Response({"error": body}, status=status)
