from django.apps import AppConfig


class MikmanConfig(AppConfig):
    name = "mikman"
    verbose_name = "mikman platform"

    def ready(self):
        from mikman import checks  # noqa: F401 - registers the settings checks
        from mikman.metrics import celery_stats
        from mikman.request_id import connect_celery_signals, connect_request_signals

        # ops (issue 8): task ids in log lines, task counts/durations in Redis for /metrics
        connect_request_signals()
        connect_celery_signals()
        celery_stats.connect_signals()
