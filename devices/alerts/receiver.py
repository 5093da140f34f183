"""POST /alerts/demo-receiver/<tenant slug>/: the platform's own webhook receiver for the demo
(devices/alerts/demo.py). No session: the HMAC signature is the authentication."""

from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@csrf_exempt
@require_POST
def demo_receiver(request, slug: str):
    from .demo import receive

    status, message = receive(slug, request.headers, request.body)
    return HttpResponse(message, status=status, content_type="text/plain")
