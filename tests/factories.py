"""Builders for test data. Tenant-scoped rows are created inside the tenant's context (RLS)."""

from __future__ import annotations

import itertools

from rest_framework.test import APIClient

from tenants.context import tenant_context
from tenants.models import Membership, MembershipSite, Site, Tenant, User

PASSWORD = "correct-horse-battery-staple"
_seq = itertools.count(1)


def make_tenant(name: str | None = None, **extra) -> Tenant:
    n = next(_seq)
    name = name or f"Tenant {n}"
    slug = extra.pop("slug", None) or name.lower().replace(" ", "-")
    return Tenant.objects.create(name=name, slug=slug, **extra)


def make_site(tenant: Tenant, name: str | None = None) -> Site:
    name = name or f"Site {next(_seq)}"
    with tenant_context(tenant.id):
        return Site.objects.create(tenant=tenant, name=name, slug=name.lower().replace(" ", "-"))


def make_user(username: str | None = None, *, super_admin: bool = False, **extra) -> User:
    username = username or f"user{next(_seq)}"
    return User.objects.create_user(username=username, password=PASSWORD, is_super_admin=super_admin, **extra)


def add_member(user: User, tenant: Tenant, role: str, sites: list[Site] | None = None) -> Membership:
    membership = Membership.objects.create(user=user, tenant=tenant, role=role)
    if sites:
        with tenant_context(tenant.id):
            for site in sites:
                MembershipSite.objects.create(tenant=tenant, membership=membership, site=site)
    return membership


def api_client(user: User | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client
