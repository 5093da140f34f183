"""Request and task ids: one id per HTTP request or Celery task, carried by every log line.

A ContextVar holds the ids for the code running on behalf of one request or task (threads and
asyncio tasks each see their own), `RequestIdLogFilter` copies them onto every LogRecord, and
the JSON formatter prints them. An incoming `X-Request-ID` is kept when it is sane (a proxy or
the caller can then follow one request across systems); anything else gets a fresh id, so a
client can never inject log lines or huge values through the header.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

REQUEST_HEADER = "X-Request-ID"
_SANE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
task_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("task_id", default=None)
task_name_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("task_name", default=None)


def sane_request_id(value: str | None) -> str | None:
    """The caller's id if it is 8-128 characters of [A-Za-z0-9._:-], else None."""
    if value and _SANE.match(value):
        return value
    return None


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()


class RequestIdMiddleware:
    """Outermost middleware: sets the id before anything logs, answers it in `X-Request-ID`.

    The id stays set until Django's request_finished signal (connect_request_signals), not just
    until this middleware returns: Django logs 4xx/5xx responses ("Not Found: /x") after the
    middleware chain, and those lines belong to the request too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = sane_request_id(request.headers.get(REQUEST_HEADER)) or new_request_id()
        request.request_id = rid
        request_id_var.set(rid)
        response = self.get_response(request)
        response[REQUEST_HEADER] = rid
        return response


def _forget_request_id(**kwargs) -> None:
    request_id_var.set(None)


def connect_request_signals() -> None:
    """A request's id is cleared when it starts (nothing stale) and when it has finished."""
    from django.core.signals import request_finished, request_started

    request_started.connect(_forget_request_id, weak=False, dispatch_uid="mikman.request_id.started")
    request_finished.connect(_forget_request_id, weak=False, dispatch_uid="mikman.request_id.finished")


class RequestIdLogFilter(logging.Filter):
    """Adds `request_id`, `task_id`, `task_name` and `tenant_id` to every record (None if unset)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from tenants.context import current_tenant_id

        record.request_id = getattr(record, "request_id", None) or request_id_var.get()
        record.task_id = getattr(record, "task_id", None) or task_id_var.get()
        record.task_name = getattr(record, "task_name", None) or task_name_var.get()
        tenant = current_tenant_id()
        record.tenant_id = str(tenant) if tenant else None
        return True


# --- Celery: task ids, and the request id of the request that sent the task -------------------
TASK_HEADER = "mikman_request_id"


def _before_publish(headers=None, **kwargs) -> None:
    rid = request_id_var.get()
    if rid and headers is not None:
        headers.setdefault(TASK_HEADER, rid)


_task_tokens: dict[str, tuple] = {}  # task id -> ContextVar tokens, restored when it ends


def _task_prerun(task_id=None, task=None, **kwargs) -> None:
    request = getattr(task, "request", None)
    sent_by = getattr(request, TASK_HEADER, None) or (getattr(request, "headers", None) or {}).get(TASK_HEADER)
    _task_tokens[task_id] = (
        task_id_var.set(task_id),
        task_name_var.set(getattr(task, "name", None)),
        # a task sent during a request carries its id; otherwise keep the caller's (eager .apply())
        request_id_var.set(sane_request_id(sent_by) or request_id_var.get()),
    )


def _task_postrun(task_id=None, **kwargs) -> None:
    tokens = _task_tokens.pop(task_id, None)
    if tokens is None:
        return
    for var, token in zip((task_id_var, task_name_var, request_id_var), tokens, strict=True):
        try:
            var.reset(token)
        except (ValueError, RuntimeError):  # another context or already reset: just clear it
            var.set(None)


def connect_celery_signals() -> None:
    """Called once from MikmanConfig.ready(); weak=False keeps the module-level receivers."""
    from celery import signals

    signals.before_task_publish.connect(_before_publish, weak=False, dispatch_uid="mikman.request_id.publish")
    signals.task_prerun.connect(_task_prerun, weak=False, dispatch_uid="mikman.request_id.prerun")
    signals.task_postrun.connect(_task_postrun, weak=False, dispatch_uid="mikman.request_id.postrun")
