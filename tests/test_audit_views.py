"""The audit log pages: the tenant's (members with the VIEW action; site-scoped members see their
sites' entries) and the platform's (super admins). Filters, pagination, CSV export."""

import csv
import io

import pytest
from django.test import Client

from audit.services import record
from tenants import services
from tenants.context import tenant_context

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def log(world):
    """A few tenant entries in acme (one per site, one tenant-wide) and one in globex."""
    with tenant_context(world.acme.id):
        record("site.changed", user=world.users.alice, tenant=world.acme, target=world.north, details={"why": "n"})
        record("site.changed", user=world.users.bob, tenant=world.acme, target=world.south, details={"why": "s"})
        record("device.added", user=world.users.alice, tenant=world.acme, target_name="gw-acme")
    with tenant_context(world.globex.id):
        record("site.changed", user=world.users.erin, tenant=world.globex, target=world.east)
    return world


def test_tenant_admin_sees_own_entries_only(log):
    response = client_for(log.users.alice).get("/t/acme/audit/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "North" in body and "South" in body and "gw-acme" in body
    assert "East" not in body and "erin" not in body
    assert "format=csv" in body


def test_site_scoped_member_sees_only_their_sites_entries(log):
    body = client_for(log.users.dave).get("/t/acme/audit/").content.decode()
    assert "North" in body
    assert "South" not in body.split('id="audit-results"')[1]
    assert "gw-acme" not in body


@pytest.mark.parametrize("who", ["root", "erin"])
def test_tenant_audit_is_404_for_platform_role_and_foreigners(log, who):
    response = client_for(getattr(log.users, who)).get("/t/acme/audit/")
    assert response.status_code == 404
    assert "gw-acme" not in response.content.decode()


def test_filters_narrow_the_list(log):
    client = client_for(log.users.alice)
    by_action = client.get("/t/acme/audit/", {"action": "device.*"}).content.decode()
    results = by_action.split('id="audit-results"')[1]
    assert "gw-acme" in results and "North" not in results
    by_user = client.get("/t/acme/audit/", {"user": "bob"}).content.decode().split('id="audit-results"')[1]
    assert "South" in by_user and "North" not in by_user
    by_target = client.get("/t/acme/audit/", {"target": "nort"}).content.decode().split('id="audit-results"')[1]
    assert "North" in by_target and "South" not in by_target
    future = client.get("/t/acme/audit/", {"date_from": "2999-01-01"}).content.decode()
    assert "Nothing matches these filters" in future


def test_bad_filters_are_form_errors_not_500s(log):
    client = client_for(log.users.alice)
    reversed_range = client.get("/t/acme/audit/", {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert reversed_range.status_code == 400
    assert "end date is before the start date" in reversed_range.content.decode()
    not_a_date = client.get("/t/acme/audit/", {"date_from": "yesterday"})
    assert not_a_date.status_code == 400 and "Enter a valid date" in not_a_date.content.decode()
    assert client.get("/t/acme/audit/", {"date_from": "yesterday", "format": "csv"}).status_code == 400


def test_pagination(log):
    with tenant_context(log.acme.id):
        for n in range(55):
            record("device.polled", user=log.users.alice, tenant=log.acme, target_name=f"router-{n:02d}")
    client = client_for(log.users.alice)
    first = client.get("/t/acme/audit/").content.decode()
    assert "router-54" in first and "router-00" not in first and "page=2" in first
    second = client.get("/t/acme/audit/", {"page": "2"}).content.decode()
    assert "router-00" in second
    assert client.get("/t/acme/audit/", {"page": "999"}).status_code == 200  # last page, not a 500


def test_csv_export_is_scoped_and_filtered(log):
    response = client_for(log.users.alice).get("/t/acme/audit/", {"format": "csv", "action": "site.changed"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="audit-acme.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(row["target_name"] for row in rows) == ["North", "South"]
    assert all(row["tenant_id"] == str(log.acme.id) for row in rows)


def test_platform_audit_for_super_admins_only(world):
    services.create_tenant("Initech", "initech", by=world.users.root)
    root = client_for(world.users.root)
    body = root.get("/platform/audit/").content.decode()
    assert "tenant.created" in body and "Initech" in body
    exported = b"".join(root.get("/platform/audit/", {"format": "csv"}).streaming_content).decode()
    assert "tenant.created" in exported
    assert client_for(world.users.alice).get("/platform/audit/").status_code == 404


def test_site_edits_through_the_ui_are_audited(world):
    client = client_for(world.users.alice)
    client.post("/t/acme/sites/new/", {"name": "West", "slug": "west"})
    body = client.get("/t/acme/audit/", {"action": "site.*"}).content.decode()
    assert "site.created" in body and "West" in body
