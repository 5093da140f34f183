"""Beat task: refresh the version and CVE feeds (platform data, no tenant context needed)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="devices.refresh_feeds", ignore_result=True, soft_time_limit=600, time_limit=660)
def refresh_feeds_task() -> dict:
    from .services import refresh_feeds

    report = refresh_feeds()
    return {"fetched": report.fetched, "errors": report.errors, "skipped": report.skipped}
