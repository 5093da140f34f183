"""Prometheus metrics of the platform, served at /metrics (see mikman/metrics/views.py).

Two kinds, chosen by where the numbers live:
- per-process HTTP metrics (http.py): counted in the gunicorn worker that served the request with
  prometheus-client; with several workers, PROMETHEUS_MULTIPROC_DIR makes every worker write its
  values to a shared directory and a scrape sums them (the entrypoint sets it for `web`).
- platform-wide metrics (platform.py): Celery task counts/durations (the workers write them to
  Redis, celery_stats.py), queue depth, poll statistics, devices by status per tenant, database and
  Redis health — read from Redis and PostgreSQL at scrape time, so they are the same from every
  web pod (aggregate them with max(), not sum()).
"""
