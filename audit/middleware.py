"""The request being served, for audit records made where no request is passed (model signals)."""

from __future__ import annotations

import contextvars

from django.db import connection

from audit.context import PLATFORM_SETTING

_current_request: contextvars.ContextVar = contextvars.ContextVar("audit_request", default=None)


def current_request():
    """The HttpRequest of the current thread/task, or None outside requests (tasks, commands)."""
    return _current_request.get()


class AuditRequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)
            _close_platform_audit()


def _close_platform_audit() -> None:
    # With ATOMIC_REQUESTS the view's transaction, and the switch with it, has already ended; a
    # transaction that outlives the request (a test's) must not keep platform rows visible.
    if connection.in_atomic_block and not connection.needs_rollback:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, '', true)", [PLATFORM_SETTING])
