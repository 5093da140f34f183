"""HTTP request count and latency by view, method and status (per process; multiprocess-safe)."""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

REQUESTS = Counter(
    "mikman_http_requests",
    "HTTP requests served, by URL pattern name, method and status code.",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "mikman_http_request_duration_seconds",
    "Time from the request entering the middleware stack to the response leaving it.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


def view_label(request) -> str:
    """The URL pattern's name (bounded: never the path, which would carry ids and slugs)."""
    if getattr(request, "metrics_view", None):
        return request.metrics_view
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unnamed"


class RequestMetricsMiddleware:
    """Counts every response, including 404s and the responses other middleware short-cuts."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        status = "500"
        try:
            response = self.get_response(request)
            status = str(response.status_code)
            return response
        finally:
            method = request.method if request.method in METHODS else "other"
            view = view_label(request)
            REQUESTS.labels(view, method, status).inc()
            LATENCY.labels(view, method).observe(time.perf_counter() - started)
