"""Tests run as the app role against a separate `<name>_test` database migrated by the owner."""

from mikman import dbconfig

from .base import *  # noqa: F403
from .base import DATA_DIR, SECRETS, database_settings

TESTING = True
DB_OWNER, DB_APP = dbconfig.role_targets(DATA_DIR, SECRETS, test=True)
DATABASES = database_settings(DB_OWNER, DB_APP)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; argon2 tested apart
INSTALLED_APPS = [*INSTALLED_APPS, "tests.support"]  # noqa: F405
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "100000/min", "user": "100000/min"}}  # noqa: F405
AXES_FAILURE_LIMIT = 5

# Each test database gets its own queue so concurrent runs never take each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = f"mikman-{DB_APP.name}"
CELERY_TASK_ROUTES: dict = {}

# Tests never reach the internet: feed tests point these at a local HTTP server.
FEED_VERSIONS_URL = ""
FEED_CVE_URL = ""
