"""What the generated isolation matrix (tests/test_isolation_matrix.py) needs to know per model.

Every model served under /api/v1/tenants/<tenant>/… must be registered here with a factory that
builds one object of a given tenant — attached to the given site when the model is site-scoped.
The matrix test FAILS for a tenant route whose model has no entry, so a new endpoint cannot
ship without being attacked from every role.

Register from your app's side of the tests (keep factories small; they run inside
`tenant_context(tenant.id)`):

    from tests.isolation_registry import register

    @register(Device)
    def make_device(tenant, site):
        return Device.objects.create(tenant=tenant, site=site, name="Canary device", ...)

A route whose URL needs more than `tenant` and the lookup (e.g. a nested
`/devices/<device>/interfaces/<pk>/`) adds `url_kwargs=lambda obj: {"device": obj.device_id}`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Model


@dataclass(frozen=True)
class IsolationCase:
    factory: Callable  # (tenant, site) -> saved object of that tenant (and site, if site-scoped)
    url_kwargs: Callable[[Model], dict] | None = None


OBJECT_FACTORIES: dict[type[Model], IsolationCase] = {}


@dataclass
class MatrixStats:
    routes: set = field(default_factory=set)
    roles: set = field(default_factory=set)
    requests: int = 0


STATS = MatrixStats()

# Detail GET routes that only admins may call on an object every member sees (e.g. a backup run's
# binary file): a site-scoped viewer gets 403 on their own site's object there, not 200.
ADMIN_ONLY_GETS: set[str] = set()


def register(model: type[Model], *, url_kwargs: Callable[[Model], dict] | None = None):
    def decorator(factory: Callable) -> Callable:
        OBJECT_FACTORIES[model] = IsolationCase(factory, url_kwargs)
        return factory

    return decorator


def case_for(model: type[Model]) -> IsolationCase | None:
    for klass in model.__mro__:
        if klass in OBJECT_FACTORIES:
            return OBJECT_FACTORIES[klass]
    return None


# --- tenants -----------------------------------------------------------------------------------


def _register_tenants() -> None:
    from tenants.models import Membership, Site
    from tests.factories import add_member, make_site, make_user

    @register(Site)
    def site_factory(tenant, site):
        return site  # the site itself: its own scope

    @register(Membership)
    def membership_factory(tenant, site):
        user = make_user(f"canary-{tenant.slug}-{site.slug}")
        return add_member(user, tenant, "viewer", sites=[site])

    del site_factory, membership_factory, make_site


_register_tenants()


def _register_audit() -> None:
    from audit.models import AuditEntry
    from audit.services import record

    @register(AuditEntry)
    def audit_entry_factory(tenant, site):
        return record("test.canary", tenant=tenant, site=site, target_name=f"Canary of {site.name}")

    del audit_entry_factory


_register_audit()


# --- inventory (issue 4) -------------------------------------------------------------------------


def _register_devices() -> None:
    from django.utils import timezone

    from devices.models import ConnectivityCheck, CredentialProfile, Device, DeviceEvent
    from devices.services import set_secret

    def canary_device(tenant, site):
        device = Device(tenant=tenant, site=site, name=f"Canary device {site.slug}", host="192.0.2.77")
        set_secret(device, "password", "canary-secret-pw")
        device.save()
        return device

    @register(Device)
    def device_factory(tenant, site):
        return canary_device(tenant, site)

    @register(CredentialProfile)
    def credential_profile_factory(tenant, site):
        profile = CredentialProfile(tenant=tenant, name=f"Canary profile {site.slug}", username="canary-user")
        set_secret(profile, "password", "canary-secret-pw")
        profile.save()
        return profile

    @register(DeviceEvent)
    def device_event_factory(tenant, site):
        device = canary_device(tenant, site)
        return DeviceEvent.objects.create(tenant=tenant, device=device, at=timezone.now(), kind="status", new="online")

    @register(ConnectivityCheck)
    def connectivity_check_factory(tenant, site):
        return ConnectivityCheck.objects.create(tenant=tenant, device=canary_device(tenant, site), message="Canary")

    del device_factory, credential_profile_factory, device_event_factory, connectivity_check_factory


_register_devices()
# --- end inventory ---------------------------------------------------------------------------------


# --- jobs (issue 5): multi-device operations ------------------------------------------------------


def _register_jobs() -> None:
    from devices.models import Device, Job, JobDevice

    def canary_job(tenant, site):
        name = f"Canary job device {site.slug}"
        device = Device.objects.create(tenant=tenant, site=site, name=name, host="192.0.2.78")
        job = Job.objects.create(
            tenant=tenant, kind="command", summary="/system/identity/print", site_ids=[site.id], total=1
        )
        row = JobDevice.objects.create(tenant=tenant, job=job, device=device, device_name=device.name)
        return job, row

    @register(Job)
    def job_factory(tenant, site):
        return canary_job(tenant, site)[0]

    @register(JobDevice)
    def job_device_factory(tenant, site):
        return canary_job(tenant, site)[1]

    del job_factory, job_device_factory


_register_jobs()
# --- end jobs --------------------------------------------------------------------------------------


def load_app_registrations() -> None:
    """Import every app's `tests/isolation.py` (if any), where it registers its models."""
    import importlib
    import importlib.util

    from django.apps import apps

    for config in apps.get_app_configs():
        name = f"{config.name}.tests.isolation"
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            importlib.import_module(name)


# --- alerts (issue 6): rules, alerts, channels, deliveries, maintenance windows --------------------


def _register_alerts() -> None:
    from django.utils import timezone

    from devices.models import Alert, AlertRule, Delivery, Device, MaintenanceWindow, NotificationChannel

    def canary_rule(tenant, site):
        return AlertRule.objects.create(tenant=tenant, name=f"Canary rule {site.slug}", kind="cpu", threshold=50)

    def canary_channel(tenant, site):
        return NotificationChannel.objects.create(
            tenant=tenant, name=f"Canary channel {site.slug}", kind="email", recipients=["canary@example.com"]
        )

    def canary_alert(tenant, site):
        name = f"Canary alert device {site.slug}"
        device = Device.objects.create(tenant=tenant, site=site, name=name, host="192.0.2.79")
        now = timezone.now()
        return Alert.objects.create(
            tenant=tenant,
            rule=canary_rule(tenant, site),
            device=device,
            kind="cpu",
            severity="warning",
            message=f"Canary alert {site.slug}",
            started_at=now,
            last_breach_at=now,
        )

    @register(AlertRule)
    def alert_rule_factory(tenant, site):
        return canary_rule(tenant, site)

    @register(Alert)
    def alert_factory(tenant, site):
        return canary_alert(tenant, site)

    @register(NotificationChannel)
    def channel_factory(tenant, site):
        return canary_channel(tenant, site)

    @register(Delivery)
    def delivery_factory(tenant, site):
        return Delivery.objects.create(tenant=tenant, channel=canary_channel(tenant, site), event="test")

    @register(MaintenanceWindow)
    def window_factory(tenant, site):
        now = timezone.now()
        return MaintenanceWindow.objects.create(
            tenant=tenant, name=f"Canary window {site.slug}", site=site, starts_at=now, ends_at=now
        )

    del alert_rule_factory, alert_factory, channel_factory, delivery_factory, window_factory


_register_alerts()
# --- end alerts ------------------------------------------------------------------------------------


# --- config backups (issue 5, h3): backup runs and the tenant's backup policy ----------------------


def _register_backups() -> None:
    from django.utils import timezone

    from devices.models import BackupPolicy, ConfigBackup, ConfigBlob, Device

    @register(ConfigBackup)
    def config_backup_factory(tenant, site):
        name = f"Canary backup device {site.slug}"
        device = Device.objects.create(tenant=tenant, site=site, name=name, host="192.0.2.79")
        text = f"/system identity\nset name=canary-{site.slug}\n"
        blob, _ = ConfigBlob.objects.get_or_create(
            tenant=tenant, sha256=f"{site.slug:0<64}"[:64], defaults={"size": len(text), "text": text}
        )
        return ConfigBackup.objects.create(
            tenant=tenant,
            device=device,
            taken_at=timezone.now(),
            status="ok",
            blob=blob,
            sha256=blob.sha256,
            size=blob.size,
            changed=True,
        )

    @register(BackupPolicy)
    def backup_policy_factory(tenant, site):
        return BackupPolicy.objects.get_or_create(tenant=tenant)[0]

    del config_backup_factory, backup_policy_factory
    ADMIN_ONLY_GETS.add("api/v1/tenants/<tenant>/backups/<pk>/binary/")  # holds every router secret


_register_backups()
# --- end config backups ----------------------------------------------------------------------------
