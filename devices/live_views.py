"""`GET /t/<tenant>/live/`: the server-sent-event stream behind the dashboard's, the device
list's and the device page's live updates (static/js/live.js).

Who may listen, and what they receive, is decided here on the server: the stream exists for
members who may read device data (others get the usual 404; anonymous users the login
redirect), and each published batch is cut down to the devices of the member's sites
(`devices.live.visible_to`) before it is sent. The stream is bounded (LIVE_STREAM_SECONDS, then
the browser's EventSource reconnects after `retry:`) so a web thread is never held for ever,
and it sends a comment line every LIVE_HEARTBEAT_SECONDS to keep proxies from timing it out.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import StreamingHttpResponse
from django.views.generic import View

from devices import live
from tenants.roles import Action
from tenants.views_base import TenantViewMixin


class LiveUpdatesView(TenantViewMixin, View):
    view_action = Action.VIEW
    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        events = live.stream(
            self.tenant.id,
            self.access.site_ids,
            seconds=getattr(settings, "LIVE_STREAM_SECONDS", 55),
            heartbeat=getattr(settings, "LIVE_HEARTBEAT_SECONDS", 15),
            retry_ms=getattr(settings, "LIVE_RETRY_MS", 3000),
        )
        response = StreamingHttpResponse(_without_database(events), content_type="text/event-stream")
        response["Cache-Control"] = "no-cache, no-store"
        response["X-Accel-Buffering"] = "no"  # nginx-style proxies: do not buffer the stream
        return response


def _without_database(events):
    """The stream needs no database: give this thread's connection back before a minute of
    waiting (the request's transaction has committed by the time the body is sent). Inside a
    test's wrapping transaction the connection is left alone."""
    if not connection.in_atomic_block:
        connection.close()
    yield from events
