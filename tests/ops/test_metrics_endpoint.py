"""GET /metrics: valid exposition, counters that move, access rules, platform metrics."""

import pytest
from celery.contrib.testing.worker import start_worker
from django.test import override_settings
from prometheus_client.parser import text_string_to_metric_families

from mikman.celery import app
from mikman.metrics import celery_stats
from tenants.tasks import tenant_probe
from tests.factories import make_device


def scrape(client, **headers) -> dict:
    """{sample name: [(labels, value), ...]} of one scrape (the parser rejects malformed text)."""
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples: dict = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def value(samples: dict, name: str, **labels) -> float:
    return sum(v for got, v in samples.get(name, []) if all(got.get(k) == want for k, want in labels.items()))


@pytest.mark.django_db
def test_scrape_is_valid_exposition_and_request_counter_grows(client):
    before = scrape(client)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    client.get("/no-such-page-anywhere")
    after = scrape(client)
    key = {"view": "healthz", "method": "GET", "status": "200"}
    assert value(after, "mikman_http_requests_total", **key) == value(before, "mikman_http_requests_total", **key) + 3
    assert value(after, "mikman_http_request_duration_seconds_count", view="healthz", method="GET") >= 3
    # a 404 is counted under a bounded label, never under its path
    assert value(after, "mikman_http_requests_total", view="unmatched", status="404") >= 1
    assert not any("no-such-page" in str(labels) for labels, _ in after["mikman_http_requests_total"])
    assert value(after, "mikman_up", component="database") == 1
    assert value(after, "mikman_up", component="redis") == 1


@pytest.mark.django_db
@override_settings(METRICS_TOKEN="scrape-token-123", METRICS_ALLOWED_NETWORKS=[])
def test_token_is_required_when_configured(client):
    missing = client.get("/metrics")
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert b"scrape-token-123" not in missing.content
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-token").status_code == 401
    samples = scrape(client, HTTP_AUTHORIZATION="Bearer scrape-token-123")
    assert "mikman_http_requests_total" in samples


@pytest.mark.django_db
@override_settings(METRICS_TOKEN="", METRICS_ALLOWED_NETWORKS=["10.0.0.0/8"])
def test_address_outside_allowed_networks_is_refused(client):
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 403
    # X-Forwarded-For is never believed here: a client could forge it
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_FOR="10.1.1.1").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.2.3.4").status_code == 200


@pytest.mark.django_db
def test_devices_by_status_per_tenant_by_id_without_names(client, world):
    make_device(world.acme, world.north)
    make_device(world.acme, world.south)
    make_device(world.globex, world.east, status="offline")
    samples = scrape(client)
    assert value(samples, "mikman_devices", tenant=str(world.acme.id), status="unknown") == 2
    assert value(samples, "mikman_devices", tenant=str(world.globex.id), status="offline") == 1
    assert not any("tenant_slug" in labels for labels, _ in samples["mikman_devices"])
    with override_settings(METRICS_TENANT_NAMES=True):
        named = scrape(client)
    assert value(named, "mikman_devices", tenant_slug="globex", status="offline") == 1


@pytest.mark.django_db(transaction=True)
def test_celery_task_counts_durations_and_queue_depth(client, world):
    celery_stats.redis_client().delete(celery_stats.KEY)
    queue = app.conf.task_default_queue
    app.control.purge()  # messages earlier tests left in this run's queue (alert evaluations, live events …)
    # nothing consumes yet: the message waits in the queue
    pending = tenant_probe.delay(str(world.acme.id))
    waiting = scrape(client)
    assert value(waiting, "mikman_celery_queue_length", queue=queue) >= 1
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", queues=[queue]):
        pending.get(timeout=30)
        with pytest.raises(ValueError):
            tenant_probe.delay("").get(timeout=30)  # a failing task
    samples = scrape(client)
    name = "tenants.tenant_probe"
    assert value(samples, "mikman_celery_tasks_total", task=name, outcome="succeeded") == 1
    assert value(samples, "mikman_celery_tasks_total", task=name, outcome="failed") == 1
    assert value(samples, "mikman_celery_task_duration_seconds_count", task=name) == 2
    assert value(samples, "mikman_celery_task_duration_seconds_bucket", task=name, le="+Inf") == 2
    assert value(samples, "mikman_celery_queue_length", queue=queue) == 0


@pytest.mark.django_db
def test_poll_statistics_from_redis(client):
    from devices.polling import stats
    from devices.polling.lock import client as redis_client

    conn = redis_client()
    conn.delete(stats.COUNT_KEY, stats.LAG_KEY, stats.BATCH_DELAY_KEY)
    conn.hset(stats.COUNT_KEY, mapping={"online": 40, "offline": 2, "skipped_locked": 1})
    conn.rpush(stats.LAG_KEY, *range(0, 1000, 10))  # 0 … 990 ms
    try:
        samples = scrape(client)
    finally:
        conn.delete(stats.COUNT_KEY, stats.LAG_KEY)
    assert value(samples, "mikman_polls_total", result="online") == 40
    assert value(samples, "mikman_polls_total", result="offline") == 2
    assert value(samples, "mikman_poll_lag_seconds", quantile="1.0") == pytest.approx(0.99)
    assert 0.4 < value(samples, "mikman_poll_lag_seconds", quantile="0.5") < 0.6


@pytest.mark.django_db
def test_scrape_by_pod_ip_needs_no_allowed_host(client):
    """Prometheus scrapes pods by address; the endpoint answers before the Host check."""
    assert client.get("/metrics", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 400  # everything else: checked
    assert client.post("/metrics").status_code == 405


def test_a_malformed_allowed_network_is_a_clear_start_error():
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    with override_settings(METRICS_ALLOWED_NETWORKS=["10.0.0.0/8", "not-a-net"]):
        with pytest.raises(SystemCheckError, match="METRICS_ALLOWED_NETWORKS: 'not-a-net'"):
            call_command("check")


@pytest.mark.django_db
def test_grafana_dashboard_queries_only_metrics_that_exist(client):
    """deploy/grafana/mikman-dashboard.json names no metric /metrics does not serve."""
    import json
    import re
    from pathlib import Path

    served = set()  # every sample name each declared family can have, even with no sample yet
    for family in text_string_to_metric_families(client.get("/metrics").content.decode()):
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}.get(family.type, [""])
        served |= {family.name + suffix for suffix in suffixes}
    dashboard = json.loads((Path(__file__).resolve().parents[2] / "deploy/grafana/mikman-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len(exprs) >= 8
    for expr in exprs:
        names = set(re.findall(r"\bmikman_[a-z_]+", expr))
        assert names and names <= served, (expr, names - served)
