"""GET /metrics: the Prometheus exposition, for a bearer token or an allowed network only.

METRICS_TOKEN set → `Authorization: Bearer <token>` is required (401 otherwise, compared in
constant time, never logged). METRICS_ALLOWED_NETWORKS (CIDRs) restricts the client address;
unset it is loopback only without a token and any address with one. The address is REMOTE_ADDR,
never X-Forwarded-For, which a client could forge: behind a reverse proxy, block /metrics there
(deploy/Caddyfile does) and scrape the web processes directly. Served by a middleware
(MetricsEndpointMiddleware, before the Host check), so no URL pattern is needed.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from mikman.metrics.platform import PlatformCollector


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def address_allowed(address: str, cidrs: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _networks(tuple(cidrs)))


def _refusal(request) -> HttpResponse | None:
    token = settings.METRICS_TOKEN
    if token:
        header = request.headers.get("Authorization", "")
        given = header[7:].strip() if header[:7].lower() == "bearer " else ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            response = HttpResponse(
                "metrics: a valid bearer token is required\n", status=401, content_type="text/plain"
            )
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    networks = settings.METRICS_ALLOWED_NETWORKS
    if networks and not address_allowed(request.META.get("REMOTE_ADDR", ""), networks):
        return HttpResponse("metrics: not allowed from this address\n", status=403, content_type="text/plain")
    return None


def scrape_registry() -> CollectorRegistry:
    """This process's metrics, or every gunicorn worker's summed (multiprocess mode), plus the
    platform collector."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessMetrics())
    registry.register(PlatformCollector())
    return registry


class _ProcessMetrics:
    """The default registry's samples (the HTTP metrics, process and GC stats) via a registry."""

    def collect(self):
        return REGISTRY.collect()


@never_cache
@transaction.non_atomic_requests
def metrics(request):
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)


class MetricsEndpointMiddleware:
    """Answers GET /metrics before CommonMiddleware validates the Host header: Prometheus
    scrapes pods by IP address (Host: 10.1.2.3:8000), which ALLOWED_HOSTS rightly does not list.
    The endpoint has its own access rule (token / networks) instead."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/metrics":
            request.metrics_view = "metrics"
            if request.method not in ("GET", "HEAD"):
                return HttpResponse("metrics: GET only\n", status=405, content_type="text/plain")
            return metrics(request)
        return self.get_response(request)
