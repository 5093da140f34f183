"""The User Manager's tables under row-level security, checked with raw SQL as the app role."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError

from radius.models import RadiusUser, Router
from tenants.context import tenant_context

pytestmark = pytest.mark.django_db


def _names() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM radius_radiususer ORDER BY name")
        return [row[0] for row in cursor.fetchall()]


def test_same_user_name_in_two_tenants_is_isolated(world):
    with tenant_context(world.acme.id):
        RadiusUser.objects.create(tenant=world.acme, name="ann", comment="acme's ann")
    with tenant_context(world.globex.id):
        RadiusUser.objects.create(tenant=world.globex, name="ann", comment="globex's ann")
        RadiusUser.objects.create(tenant=world.globex, name="bob")
    with tenant_context(world.acme.id):
        assert _names() == ["ann"]
        with connection.cursor() as cursor:
            cursor.execute("SELECT comment FROM radius_radiususer WHERE name = 'ann'")
            assert cursor.fetchall() == [("acme's ann",)]
    with tenant_context(world.globex.id):
        assert _names() == ["ann", "bob"]
    with transaction.atomic():
        assert _names() == []  # no tenant set: nothing


def test_writing_another_tenants_row_is_refused(world):
    with tenant_context(world.acme.id), pytest.raises(DatabaseError, match="row-level security"):
        with transaction.atomic():
            RadiusUser.objects.create(tenant=world.globex, name="intruder")


def test_router_address_unique_across_tenants_although_invisible(world):
    with tenant_context(world.acme.id):
        Router.objects.create(tenant=world.acme, name="a", address="192.0.2.50")
    with tenant_context(world.globex.id):
        assert Router.objects.count() == 0
        with pytest.raises(IntegrityError, match="radius_router_unique_address"), transaction.atomic():
            Router.objects.create(tenant=world.globex, name="b", address="192.0.2.50")
