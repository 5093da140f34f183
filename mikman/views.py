"""Liveness and readiness probes."""

from django.db import connection, transaction
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from mikman.dbconfig import redis_url


@never_cache
@transaction.non_atomic_requests
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@transaction.non_atomic_requests
def readyz(request):
    import redis

    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - report, never raise, from a probe
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        redis.Redis.from_url(redis_url(), socket_connect_timeout=2).ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)
