"""The Celery application; tasks that touch tenant data subclass tenants.tasks.TenantTask."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mikman.settings.dev")

app = Celery("mikman")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
