"""One JSON error shape for the whole API: {"error": {"status", "code", "message", "fields"?}}."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, Http404):
        code = "not_found"
    elif isinstance(exc, PermissionDenied):
        code = "permission_denied"
    body = {"status": response.status_code, "code": code}
    if isinstance(exc, exceptions.ValidationError):
        body["message"] = "Invalid input."
        body["fields"] = response.data
    else:
        detail = response.data.get("detail") if isinstance(response.data, dict) else response.data
        body["message"] = str(detail) if detail else status.HTTP_400_BAD_REQUEST
    response.data = {"error": body}
    return response
