"""Platform-wide metrics computed at scrape time from Redis and PostgreSQL (one Collector).

Everything here is the same whichever web process answers the scrape. Each source is read in
its own try block: a broken Redis still lets the database metrics through and vice versa, and
`mikman_up{component=…}` says which part failed instead of the scrape failing.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection, transaction
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from mikman.metrics import celery_stats

# kombu's Redis transport keeps each priority level of a queue in its own list.
PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
LAG_SAMPLE = 5000  # most recent polls looked at for the lag quantiles
QUANTILES = (0.5, 0.95, 0.99)


def celery_queues() -> list[str]:
    """The queues the settings route to (default + every route's queue), sorted."""
    names = {settings.CELERY_TASK_DEFAULT_QUEUE}
    for route in (getattr(settings, "CELERY_TASK_ROUTES", None) or {}).values():
        if isinstance(route, dict) and route.get("queue"):
            names.add(route["queue"])
    return sorted(names | set(getattr(settings, "METRICS_EXTRA_QUEUES", [])))


def quantile(sorted_values: list[int], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, int(round(q * (len(sorted_values) - 1))))
    return float(sorted_values[index])


class PlatformCollector(Collector):
    def collect(self):
        up = GaugeMetricFamily("mikman_up", "1 when the component answered this scrape.", labels=["component"])
        yield from self._database(up)
        yield from self._redis(up)
        yield up

    # --- PostgreSQL ---------------------------------------------------------------------------
    def _database(self, up: GaugeMetricFamily):
        check = GaugeMetricFamily("mikman_database_check_seconds", "Time a `SELECT 1` took at this scrape.")
        try:
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            check.add_metric([], time.perf_counter() - started)
            devices = self._devices_by_status()
        except Exception:  # noqa: BLE001 - a scrape reports, never raises
            up.add_metric(["database"], 0)
            return
        up.add_metric(["database"], 1)
        yield check
        yield devices

    def _devices_by_status(self) -> GaugeMetricFamily:
        """Per tenant: devices are under RLS, so count inside each tenant's context in one
        transaction. Tenants are labelled by id; slugs only with METRICS_TENANT_NAMES (an MSP's
        monitoring may be shared with people who must not learn the client list)."""
        from devices.models import Device
        from tenants.context import activate_tenant, deactivate_tenant
        from tenants.models import Tenant

        with_names = settings.METRICS_TENANT_NAMES
        labels = ["tenant", "status"] + (["tenant_slug"] if with_names else [])
        family = GaugeMetricFamily("mikman_devices", "Devices by status, per tenant.", labels=labels)
        from django.db.models import Count

        with transaction.atomic():
            for tenant_id, slug in Tenant.objects.order_by("id").values_list("id", "slug"):
                token = activate_tenant(tenant_id)
                try:
                    counts = dict(Device.objects.values_list("status").annotate(n=Count("id")).order_by())
                finally:
                    deactivate_tenant(token)
                for status in sorted(counts):
                    family.add_metric([str(tenant_id), status] + ([slug] if with_names else []), counts[status])
        return family

    # --- Redis: Celery, queues, polling --------------------------------------------------------
    def _redis(self, up: GaugeMetricFamily):
        try:
            conn = celery_stats.redis_client()
            queues = celery_queues()
            pipe = conn.pipeline(transaction=False)
            for queue in queues:
                for suffix in PRIORITY_SUFFIXES:
                    pipe.llen(queue + suffix)
            lengths = pipe.execute()
            tasks = celery_stats.read()
            polls = self._poll_stats(conn)
            radius = self._radius_stats(conn)
        except Exception:  # noqa: BLE001
            up.add_metric(["redis"], 0)
            return
        up.add_metric(["redis"], 1)

        depth = GaugeMetricFamily("mikman_celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"])
        per = len(PRIORITY_SUFFIXES)
        for i, queue in enumerate(queues):
            depth.add_metric([queue], sum(lengths[i * per : (i + 1) * per]))
        yield depth

        total = CounterMetricFamily(
            "mikman_celery_tasks", "Celery tasks finished, by task and outcome.", labels=["task", "outcome"]
        )
        duration = HistogramMetricFamily(
            "mikman_celery_task_duration_seconds", "Run time of Celery tasks.", labels=["task"]
        )
        for name in sorted(tasks):
            entry = tasks[name]
            for outcome in sorted(entry["counts"]):
                total.add_metric([name, outcome], entry["counts"][outcome])
            cumulative, buckets = 0, []
            for bound in celery_stats.BUCKETS:
                cumulative += entry["buckets"].get(str(bound), 0)
                buckets.append((str(bound), cumulative))
            cumulative += entry["buckets"].get("+Inf", 0)
            buckets.append(("+Inf", cumulative))
            duration.add_metric([name], buckets, sum_value=entry["sum"])
        yield total
        yield duration
        yield from polls
        yield from radius

    def _radius_stats(self, conn) -> list:
        """Packets and auth latency of every radius_server process (they flush to Redis)."""
        from radius.server import metrics as radius_metrics

        stats = radius_metrics.read(conn)
        packets = CounterMetricFamily(
            "mikman_radius_packets",
            "RADIUS packets by type (access, accounting, status_server, disconnect; auth/acct for "
            "packets dropped before decoding) and result (accept, reject, start, interim, stop, "
            "ack, nak, timeout, duplicate, dropped_unknown_nas, dropped_bad_authenticator, …), "
            "summed over every radius_server process; transport udp or radsec (RADIUS over TLS).",
            labels=["type", "result", "transport"],
        )
        for (packet_type, result, transport), n in sorted(stats["packets"].items()):
            packets.add_metric([packet_type, result, transport], n)
        latency = HistogramMetricFamily(
            "mikman_radius_auth_duration_seconds", "Time to decide and answer an Access-Request."
        )
        cumulative, buckets = 0, []
        for bound in radius_metrics.LATENCY_BUCKETS:
            cumulative += stats["buckets"].get(str(bound), 0)
            buckets.append((str(bound), cumulative))
        buckets.append(("+Inf", cumulative + stats["buckets"].get("+Inf", 0)))
        latency.add_metric([], buckets, sum_value=stats["sum"])
        return [packets, latency]

    def _poll_stats(self, conn) -> list:
        from devices.polling import stats

        pipe = conn.pipeline(transaction=False)
        pipe.hgetall(stats.COUNT_KEY)
        pipe.lrange(stats.LAG_KEY, -LAG_SAMPLE, -1)
        pipe.lrange(stats.BATCH_DELAY_KEY, -LAG_SAMPLE, -1)
        counts, lags, delays = pipe.execute()
        polls = CounterMetricFamily(
            "mikman_polls",
            "Device polls by result (online, degraded, offline, unreachable, auth_failed; skipped_locked: "
            "a batch found the device locked by another worker). rate() gives polls/s.",
            labels=["result"],
        )
        for result, n in sorted((k.decode(), int(v)) for k, v in counts.items()):
            polls.add_metric([result], n)
        lag = GaugeMetricFamily(
            "mikman_poll_lag_seconds",
            f"How late polls started against their schedule, over the last {LAG_SAMPLE} polls.",
            labels=["quantile"],
        )
        delay = GaugeMetricFamily(
            "mikman_poll_batch_delay_seconds",
            f"How late poll batch tasks started (queueing), over the last {LAG_SAMPLE} batches.",
            labels=["quantile"],
        )
        for family, raw in ((lag, lags), (delay, delays)):
            values = sorted(int(x) for x in raw)
            for q in QUANTILES:
                family.add_metric([str(q)], quantile(values, q) / 1000)
            family.add_metric(["1.0"], (values[-1] if values else 0) / 1000)
        return [polls, lag, delay]
