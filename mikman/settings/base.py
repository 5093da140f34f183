"""Settings shared by every environment; dev/test/prod override a few names."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from mikman import dbconfig
from mikman.secrets_store import data_dir, load_secrets

from .env import envbool, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = data_dir()
SECRETS = load_secrets()
TESTING = False

SECRET_KEY = SECRETS["SECRET_KEY"]
MIKMAN_MASTER_KEY = SECRETS["MIKMAN_MASTER_KEY"]
DEBUG = envbool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "guardian",
    "axes",
    "csp",  # ops (issue 8): its system checks and the csp template tags
    "tenants",
    "audit",
    "devices",
    "radius",
    "mikman",
]

MIDDLEWARE = [
    # --- ops (issue 8): request id first (every later log line carries it), then metrics ---
    "mikman.request_id.RequestIdMiddleware",
    "mikman.metrics.http.RequestMetricsMiddleware",
    "mikman.metrics.views.MetricsEndpointMiddleware",  # GET /metrics, before the Host check
    # --- end ops ---
    "mikman.middleware.TenantContextResetMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # ops (issue 8): Content-Security-Policy on every response
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # --- audit (issue 2): the request being served, for audit entries recorded from signals ---
    "audit.middleware.AuditRequestMiddleware",
    # --- end audit ---
    "django.contrib.messages.middleware.MessageMiddleware",
    # --- web UI (ui engineer): forced 2FA enrolment; needs OTPMiddleware above ---
    "tenants.middleware.ForceTwoFactorMiddleware",
    # --- end web UI ---
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mikman.urls"
WSGI_APPLICATION = "mikman.wsgi.application"
ASGI_APPLICATION = "mikman.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.tenancy",
            ],
        },
    }
]

# --- Database: the app role by default; MIKMAN_DB_ROLE=owner only for `migrate` -----------------
DB_OWNER, DB_APP = dbconfig.role_targets(DATA_DIR, SECRETS, test=False)


def database_settings(owner: dbconfig.PgTarget | None, app: dbconfig.PgTarget) -> dict:
    role = os.environ.get("MIKMAN_DB_ROLE", "app")
    if role not in ("app", "owner"):
        raise ImproperlyConfigured(f"MIKMAN_DB_ROLE={role!r}: use 'app' (default) or 'owner'.")
    if role == "owner" and owner is None:
        raise ImproperlyConfigured("Migrations run as the owner role: set DATABASE_OWNER_URL.")
    target = owner if role == "owner" else app
    return {
        "default": target.django()
        | {
            "ATOMIC_REQUESTS": True,
            "CONN_MAX_AGE": envint("DB_CONN_MAX_AGE", 60, minimum=0),
            "CONN_HEALTH_CHECKS": True,
            "TEST": {"NAME": target.name},
        }
    }


DATABASES = database_settings(DB_OWNER, DB_APP)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "tenants.User"

REDIS_URL = dbconfig.redis_url()
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

# --- Auth --------------------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = envint("LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_CALLABLE = "tenants.auth.lockout_response"
# --- auth engineer (issue 2): axes stores failed logins' form data; mask 2FA codes as well ---
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password", "otp", "code", "token"]
# --- end auth engineer ---
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# --- audit (issue 2): reverse proxies in front of the platform; 0: X-Forwarded-For is ignored ---
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0, minimum=0)
# --- end audit ---
API_TOKEN_DEFAULT_DAYS = envint("API_TOKEN_DEFAULT_DAYS", 90, minimum=1)
OTP_TOTP_ISSUER = "mikman"

# --- REST API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # --- auth engineer (issue 2): session auth that enforces the 2FA rules ---
        "tenants.api.authentication.BearerTokenAuthentication",
        "tenants.api.authentication.TwoFactorSessionAuthentication",
        # --- end auth engineer ---
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "mikman.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": envstr("API_THROTTLE_ANON", "60/min"),
        "user": envstr("API_THROTTLE_USER", "6000/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "mikman API",
    "DESCRIPTION": "Tenant-scoped API of the mikman RouterOS fleet platform.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # ops (issue 8): one stable name per choice set; without these, fields named `state`/`status`
    # of different models collide, drf-spectacular warns, and `check --deploy` is not clean
    # (tests/ops/test_security_headers.py). A new choice set on an API field: add it here.
    "ENUM_NAME_OVERRIDES": {
        "ProtocolEnum": "devices.models.device.Protocol",
        "DeviceStatusEnum": "devices.models.device.DeviceStatus",
        "CheckStateEnum": "devices.models.device.CheckState",
        "JobStateEnum": "devices.models.jobs.JobState",
        "JobDeviceStateEnum": "devices.models.jobs.JobDeviceState",
        "AlertStateEnum": "devices.models.alerts.AlertState",
        "DeliveryStateEnum": "devices.models.alerts.DeliveryState",
        "AlertSeverityEnum": "devices.models.alerts.Severity",
        "BackupStatusEnum": "devices.models.backups.BackupStatus",
        "BackupTriggerEnum": "devices.models.backups.BackupTrigger",
        "RuleKindEnum": "devices.models.alerts.RuleKind",
        "ChannelKindEnum": "devices.models.alerts.ChannelKind",
        "WindowKindEnum": "devices.models.alerts.WindowKind",
        "DeliveryEventEnum": "devices.models.alerts.DeliveryEvent",
        "TLSModeEnum": "devices.models.device.TLSMode",
        "SNMPVersionEnum": "devices.models.device.SNMPVersion",
        "UserProfileStateEnum": "radius.choices.UserProfileState",
        "SessionStatusEnum": "radius.choices.SessionStatus",
        "AuthResultEnum": "radius.choices.AuthResult",
        "HistoryActionEnum": "radius.choices.HistoryAction",
    },
}

# --- Celery ------------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE: dict = {}
# Three queues so polling, jobs and alerting scale independently (Helm: one Deployment each);
# `make run` runs one worker on all of them.
CELERY_TASK_DEFAULT_QUEUE = "jobs"
CELERY_TASK_ROUTES = {"devices.poll*": {"queue": "poll"}, "alerts.*": {"queue": "alerts"}}

# --- polling engine and metrics (issue 4, polling engineer) — BEGIN -----------------------------
# devices/polling/: beat runs `devices.poll_schedule` every POLL_SCHEDULE_EVERY_S; per tenant,
# `devices.poll_tenant` claims the devices due before the next tick and sends batches of
# POLL_BATCH_SIZE to `devices.poll_batch` (queue `poll`; run that worker with `--pool threads -c 4`).
POLL_SCHEDULE_EVERY_S = envint("POLL_SCHEDULE_EVERY_S", 10, minimum=1)
POLL_BATCH_SIZE = envint("POLL_BATCH_SIZE", 250, minimum=1)
POLL_LEAD_S = envint("POLL_LEAD_S", 2, minimum=0)  # batches reach the worker this long before they are due
POLL_STORE_THREADS = envint("POLL_STORE_THREADS", 2, minimum=1)  # per worker process, one DB connection each
# a batch is stored (and its alerts evaluated) in runs of due times this long, each when its own
# devices have answered: a failure is seen ~this long after its poll, not a whole tick later
POLL_STORE_WINDOW_S = envint("POLL_STORE_WINDOW_S", 1, minimum=0)
POLL_CONCURRENCY = envint("POLL_CONCURRENCY", 200, minimum=1)  # conversations in flight per worker process
POLL_CONNECT_TIMEOUT_S = envint("POLL_CONNECT_TIMEOUT_S", 10, minimum=1)
POLL_COMMAND_TIMEOUT_S = envint("POLL_COMMAND_TIMEOUT_S", 30, minimum=1)
POLL_IDLE_CLOSE_S = envint("POLL_IDLE_CLOSE_S", 300, minimum=10)  # open API connections unused this long close
POLL_FACTS_EVERY_S = envint("POLL_FACTS_EVERY_S", 900, minimum=0)  # identity/routerboard/license re-read
POLL_JITTER_PERCENT = envint("POLL_JITTER_PERCENT", 5, minimum=0)  # next poll = due + interval ± this % of it
POLL_BREAKER_FAILURES = envint("POLL_BREAKER_FAILURES", 5, minimum=1)  # failures before backing off
POLL_BACKOFF_MIN_S = envint("POLL_BACKOFF_MIN_S", 30, minimum=1)
POLL_BACKOFF_MAX_S = envint("POLL_BACKOFF_MAX_S", 900, minimum=1)
METRICS_RAW_RETENTION_DAYS = envint("METRICS_RAW_RETENTION_DAYS", 7, minimum=1)
METRICS_5M_RETENTION_DAYS = envint("METRICS_5M_RETENTION_DAYS", 30, minimum=1)
METRICS_1H_RETENTION_DAYS = envint("METRICS_1H_RETENTION_DAYS", 365, minimum=1)  # sizing: devices/METRICS.md
METRICS_PARTITIONS_AHEAD_DAYS = envint("METRICS_PARTITIONS_AHEAD_DAYS", 3, minimum=1)
CELERY_BEAT_SCHEDULE.update(
    {
        "devices-poll-schedule": {"task": "devices.poll_schedule", "schedule": float(POLL_SCHEDULE_EVERY_S)},
        "devices-poll-rollup": {"task": "devices.poll_rollup", "schedule": 300.0},
        "devices-poll-maintain-partitions": {"task": "devices.poll_maintain_partitions", "schedule": 3600.0},
    }
)
# --- polling engine and metrics — END -----------------------------------------------------------

# --- Version and CVE feeds (devices/feeds) — BEGIN ----------------------------------------------
# GET-only, nothing about the fleet is sent. Empty URL = feed off (air-gapped sites import files
# with `manage.py import_feed`); an unreachable URL leaves the last known data in place.
FEED_VERSIONS_URL = envstr("FEED_VERSIONS_URL", "https://upgrade.mikrotik.com/routeros/") or ""
FEED_CVE_URL = envstr("FEED_CVE_URL", "https://services.nvd.nist.gov/rest/json/cves/2.0") or ""
FEED_TIMEOUT_S = envint("FEED_TIMEOUT_S", 20, minimum=1)
FEED_REFRESH_EVERY_S = envint("FEED_REFRESH_EVERY_S", 6 * 3600, minimum=60)
CELERY_BEAT_SCHEDULE["devices-refresh-feeds"] = {
    "task": "devices.refresh_feeds",
    "schedule": float(FEED_REFRESH_EVERY_S),
}
# --- Version and CVE feeds — END ----------------------------------------------------------------

# --- Jobs: multi-device operations (devices/jobs) — BEGIN -----------------------------
# A job's devices go to `devices.jobs_run_batch` (queue `jobs`) in batches of JOBS_BATCH_SIZE; a
# task works on at most the job's concurrency (default JOBS_DEVICE_CONCURRENCY) devices at once,
# and all the jobs of one tenant on at most JOBS_TENANT_CONCURRENCY devices at once. A device's
# claim (lease) lasts JOBS_LEASE_S: `devices.jobs_recover` (beat, every JOBS_RECOVER_EVERY_S)
# re-queues or fails rows whose worker died (README.md, "Jobs and commands").
JOBS_BATCH_SIZE = envint("JOBS_BATCH_SIZE", 100, minimum=1)
JOBS_DEVICE_CONCURRENCY = envint("JOBS_DEVICE_CONCURRENCY", 100, minimum=1)
JOBS_TENANT_CONCURRENCY = envint("JOBS_TENANT_CONCURRENCY", 400, minimum=1)
JOBS_MAX_DEVICES = envint("JOBS_MAX_DEVICES", 10000, minimum=1)
JOBS_LEASE_S = envint("JOBS_LEASE_S", 600, minimum=10)
JOBS_STEP_TIMEOUT_S = envint("JOBS_STEP_TIMEOUT_S", 60, minimum=1)
JOBS_OUTPUT_MAX_CHARS = envint("JOBS_OUTPUT_MAX_CHARS", 65536, minimum=256)
JOBS_RECOVER_EVERY_S = envint("JOBS_RECOVER_EVERY_S", 60, minimum=5)
CELERY_BEAT_SCHEDULE["devices-jobs-recover"] = {"task": "devices.jobs_recover", "schedule": float(JOBS_RECOVER_EVERY_S)}
# Config push (issue 5): how long after its rollback time a device may take to restore, reboot
# and answer again before the push is reported "unreachable, cannot confirm".
PUSH_REBOOT_GRACE_S = envint("PUSH_REBOOT_GRACE_S", 180, minimum=5)
# Firmware upgrades (issue 5): how long a device may stay away after installing a RouterOS
# (or RouterBOARD firmware) upgrade before its row fails "did not come back".
UPGRADE_REBOOT_TIMEOUT_S = envint("UPGRADE_REBOOT_TIMEOUT_S", 600, minimum=5)
# A held upgrade (start time, maintenance window) re-checks at most this far ahead per Celery eta:
# the Redis broker re-delivers etas beyond its visibility timeout (1 h).
UPGRADE_RECHECK_HOP_S = envint("UPGRADE_RECHECK_HOP_S", 1800, minimum=1)
# --- Jobs — END ---------------------------------------------------------------------------------

# --- Config backups (devices/backups) — BEGIN ------------------------------------------
# Beat sends `devices.backup_schedule` every BACKUP_SCHEDULE_EVERY_S; per tenant the devices whose
# backup is due (BackupPolicy.interval_hours, default 6 h) go out in batches of BACKUP_BATCH_SIZE;
# each batch task holds at most BACKUP_CONCURRENCY SSH sessions at once. Retention runs daily.
BACKUP_SCHEDULE_EVERY_S = envint("BACKUP_SCHEDULE_EVERY_S", 60, minimum=5)
BACKUP_BATCH_SIZE = envint("BACKUP_BATCH_SIZE", 100, minimum=1)
BACKUP_CONCURRENCY = envint("BACKUP_CONCURRENCY", 8, minimum=1)
BACKUP_CONNECT_TIMEOUT_S = envint("BACKUP_CONNECT_TIMEOUT_S", 10, minimum=1)
BACKUP_EXPORT_TIMEOUT_S = envint("BACKUP_EXPORT_TIMEOUT_S", 120, minimum=1)
BACKUP_GIT_DIR = envstr("BACKUP_GIT_DIR", "") or ""  # default: <MIKMAN_DATA_DIR>/backups-git
CELERY_BEAT_SCHEDULE.update(
    {
        "devices-backup-schedule": {"task": "devices.backup_schedule", "schedule": float(BACKUP_SCHEDULE_EVERY_S)},
        "devices-backup-retention": {"task": "devices.backup_retention", "schedule": 86400.0},
    }
)
# --- Config backups — END -------------------------------------------------------------------------

# --- Credential encryption (devices.keyring) — BEGIN: owned by devices/keyring ------------------
# Per-tenant envelope encryption of device credentials, RADIUS and alert-channel secrets. With no
# Vault configured the embedded keyring (tenant keys wrapped by MIKMAN_MASTER_KEY) is the default.
VAULT_ADDR = envstr("VAULT_ADDR", "") or ""
MIKMAN_KEY_BACKEND = (envstr("MIKMAN_KEY_BACKEND", "") or ("vault" if VAULT_ADDR else "local")).strip().lower()
if MIKMAN_KEY_BACKEND not in ("local", "vault"):
    raise ImproperlyConfigured(f"MIKMAN_KEY_BACKEND={MIKMAN_KEY_BACKEND!r}: use 'local' or 'vault'.")
VAULT_TOKEN = envstr("VAULT_TOKEN", "") or ""
VAULT_ROLE_ID = envstr("VAULT_ROLE_ID", "") or ""
VAULT_SECRET_ID = envstr("VAULT_SECRET_ID", "") or ""
VAULT_APPROLE_MOUNT = envstr("VAULT_APPROLE_MOUNT", "approle") or "approle"
VAULT_CACERT = envstr("VAULT_CACERT", "") or ""
VAULT_TRANSIT_MOUNT = envstr("VAULT_TRANSIT_MOUNT", "transit") or "transit"
VAULT_NAMESPACE = envstr("VAULT_NAMESPACE", "") or ""
VAULT_TIMEOUT = envint("VAULT_TIMEOUT", 5, minimum=1)  # seconds per request
MIKMAN_SECRET_CACHE_SIZE = envint("MIKMAN_SECRET_CACHE_SIZE", 1024, minimum=0)  # decrypted secrets per process
MIKMAN_SECRET_CACHE_TTL = envint("MIKMAN_SECRET_CACHE_TTL", 300, minimum=0)  # seconds; 0 disables the cache
# --- Credential encryption (devices.keyring) — END ----------------------------------------------

# --- alerts and notifications (issue 6, devices/alerts) — BEGIN ---------------------------------
# Platform SMTP server of the e-mail channels (Django's SMTP backend; recipients per channel).
EMAIL_HOST = envstr("EMAIL_HOST", "localhost") or "localhost"
EMAIL_PORT = envint("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "") or ""
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "mikman@localhost") or "mikman@localhost"
ALERTS_DELIVERY_ATTEMPTS = envint("ALERTS_DELIVERY_ATTEMPTS", 5, minimum=1)  # per notification and channel
ALERTS_RETRY_BASE_S = float(envint("ALERTS_RETRY_BASE_S", 5, minimum=0))  # backoff: base, 2×base, 4×base…
ALERTS_HTTP_TIMEOUT_S = envint("ALERTS_HTTP_TIMEOUT_S", 10, minimum=1)
ALERTS_FLAP_WINDOW_S = envint("ALERTS_FLAP_WINDOW_S", 600, minimum=0)  # a return this soon reopens the alert
ALERTS_FLAP_NOTIFY_LIMIT = envint("ALERTS_FLAP_NOTIFY_LIMIT", 3, minimum=0)  # reopenings notified before damping
# --- alerts and notifications — END ----------------------------------------------------------------

# --- Static, i18n ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(envstr("MIKMAN_STATIC_ROOT", "") or DATA_DIR / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- ops (issue 8): metrics, Content-Security-Policy, request ids — BEGIN ---------------------
# /metrics (mikman/metrics/views.py): a bearer token, and/or the client address in these CIDRs.
# Unset networks: loopback only without a token, any address with one.
METRICS_TOKEN = envstr("METRICS_TOKEN", "") or ""
METRICS_ALLOWED_NETWORKS = envlist("METRICS_ALLOWED_NETWORKS", [] if METRICS_TOKEN else ["127.0.0.0/8", "::1/128"])
# Tenant slugs as metric labels (ids always): off, so a shared Grafana does not list the MSP's clients.
METRICS_TENANT_NAMES = envbool("METRICS_TENANT_NAMES", False)
METRICS_EXTRA_QUEUES = envlist("METRICS_EXTRA_QUEUES", [])  # queues beyond the routed ones to report
# django-csp 4 (Django 5.2 has no CSP of its own): only our own static files run or style the
# UI (htmx 4 adds its indicator CSS as a constructable stylesheet, which CSP allows; uPlot styles
# through the CSSOM). The API docs pages relax it for themselves (mikman/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# --- ops (issue 8) — END ----------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"ids": {"()": "mikman.request_id.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "mikman.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if envbool("LOG_JSON", False) else "plain",
            "filters": ["ids"],  # ops (issue 8): request/task/tenant ids on every record
        }
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"librouteros": {"level": "WARNING"}, "paramiko": {"level": "WARNING"}},
}

# --- RADIUS router provisioning and Disconnect (issue 7) — BEGIN --------------------------------
# Provisioning tells a router to send RADIUS to RADIUS_PUBLIC_ADDRESS (default: the server's bind
# address, MIKMAN_RADIUS_BIND; an unspecified 0.0.0.0 must be replaced by a real one) on the server's
# ports, with accounting interim updates every RADIUS_INTERIM_UPDATE_S. A Disconnect-Request sent
# from the web process waits RADIUS_DISCONNECT_TIMEOUT_S per try (3 tries).
RADIUS_PUBLIC_ADDRESS = envstr("RADIUS_PUBLIC_ADDRESS") or envstr("MIKMAN_RADIUS_BIND", "0.0.0.0")
RADIUS_AUTH_PORT = envint("MIKMAN_RADIUS_AUTH_PORT", 11812, minimum=1)
RADIUS_ACCT_PORT = envint("MIKMAN_RADIUS_ACCT_PORT", 11813, minimum=1)
RADIUS_INTERIM_UPDATE_S = envint("RADIUS_INTERIM_UPDATE_S", 300, minimum=0)
RADIUS_DISCONNECT_TIMEOUT_S = float(envint("RADIUS_DISCONNECT_TIMEOUT_MS", 1000, minimum=10)) / 1000
# --- RADIUS provisioning — END ------------------------------------------------------------------------
