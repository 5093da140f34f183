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
