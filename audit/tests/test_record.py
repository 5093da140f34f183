"""record(): the chain it appends to, what it infers, and the caller's context it leaves alone."""

import datetime
import decimal
import uuid

import pytest
from django.db import connection
from django.test import RequestFactory, override_settings

from audit import chain
from audit.context import PLATFORM_SETTING
from audit.models import AuditEntry
from audit.services import record, verify_chain
from tenants.context import current_tenant_id, database_tenant_setting, tenant_context

pytestmark = pytest.mark.django_db


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(current_setting(%s, true), '')", [name])
        return cursor.fetchone()[0]


def test_entries_chain_per_tenant(world):
    first = record("device.added", tenant=world.acme, target_name="r1")
    second = record("device.added", tenant=world.acme, target_name="r2")
    assert second.seq == first.seq + 1
    assert second.prev_hash == first.row_hash
    assert first.row_hash == chain.row_hash(first)
    assert second.row_hash == chain.row_hash(second) != first.row_hash


def test_tenants_and_platform_have_separate_chains(world):
    a = record("thing.done", tenant=world.acme)
    b = record("thing.done", tenant=world.globex)
    p = record("thing.done")
    assert (a.tenant_id, b.tenant_id, p.tenant_id) == (world.acme.id, world.globex.id, None)
    a2 = record("thing.done", tenant=world.acme)
    assert a2.seq == a.seq + 1 and a2.prev_hash == a.row_hash
    with tenant_context(world.acme.id):
        seqs = list(AuditEntry.objects.filter(tenant=world.acme).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_first_entry_of_a_chain_starts_from_genesis(world):
    from tests.factories import make_tenant

    fresh = make_tenant("Initech", slug="initech")
    entry = record("thing.done", tenant=fresh)
    assert (entry.seq, entry.prev_hash) == (1, chain.GENESIS)


def test_writes_into_another_tenant_and_restores_the_callers_context(world):
    with tenant_context(world.globex.id):
        entry = record("device.added", tenant=world.acme)
        assert entry.tenant_id == world.acme.id
        assert database_tenant_setting() == str(world.globex.id)
        assert current_tenant_id() == world.globex.id
        assert _setting(PLATFORM_SETTING) == ""
        # the caller (globex) cannot read what was written for acme
        assert not AuditEntry.objects.filter(pk=entry.pk).exists()
    with tenant_context(world.acme.id):
        assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_platform_event_from_a_tenant_context_leaves_platform_rows_hidden(world):
    with tenant_context(world.acme.id):
        entry = record("auth.login", user=world.users.alice)
        assert entry.tenant_id is None
        assert _setting(PLATFORM_SETTING) == ""
        assert not AuditEntry.objects.filter(pk=entry.pk).exists()


def test_tenant_and_site_are_taken_from_the_target(world):
    entry = record("site.inspected", target=world.north)
    assert (entry.tenant_id, entry.site_id) == (world.acme.id, world.north.id)
    assert (entry.target_type, entry.target_id, entry.target_name) == ("tenants.site", str(world.north.id), "North")


def test_target_of_another_tenant_is_refused(world):
    with pytest.raises(ValueError, match="another tenant"):
        record("site.inspected", tenant=world.globex, target=world.north)


def test_site_without_tenant_takes_the_sites_tenant(world):
    entry = record("device.added", site=world.east)
    assert (entry.tenant_id, entry.site_id) == (world.globex.id, world.east.id)


@pytest.mark.parametrize("action", ["login", "Auth.Login", "auth.", "auth..login", "auth login", "a." + "x" * 70])
def test_action_must_be_a_dotted_verb(world, action):
    with pytest.raises(ValueError):
        record(action)


def test_actor_username_is_kept_as_it_was(world):
    alice = world.users.alice
    entry = record("device.added", tenant=world.acme, user=alice)
    alice.username = "alice2"
    alice.save()
    with tenant_context(world.acme.id):
        stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.user_id, stored.username) == (alice.id, "alice")


def test_awkward_details_are_stored_so_that_the_chain_still_verifies(world):
    details = {
        "when": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "price": decimal.Decimal("1.10"),
        "huge": 1e300,
        "nan": float("nan"),
        "negative_zero": -0.0,
        "ratio": 0.1 + 0.2,
        "nul": "a\x00b",
        "surrogate": "x\ud800y",
        "tuple": (1, 2),
        "nested": {1: {"deep": [{"x": b"raw"}]}},
    }
    entry = record("thing.done", tenant=world.acme, details=details)
    with tenant_context(world.acme.id):
        stored = AuditEntry.objects.get(pk=entry.pk)
    assert chain.row_hash(stored) == entry.row_hash
    assert stored.details["id"] == "12345678-1234-5678-1234-567812345678"
    assert stored.details["nested"] == {"1": {"deep": [{"x": "<3 bytes>"}]}}
    assert verify_chain(world.acme.id).broken is None


def test_ip_and_user_agent_come_from_the_request(world):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT="curl/8", HTTP_X_FORWARDED_FOR="6.6.6.6"
    )
    entry = record("thing.done", tenant=world.acme, request=request)
    assert (entry.ip, entry.user_agent) == ("198.51.100.4", "curl/8")  # X-Forwarded-For ignored by default


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_forwarded_for_is_read_behind_a_trusted_proxy(world):
    # The client forged the first entry; our proxy appended the address it saw.
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert record("thing.done", request=request).ip == "203.0.113.9"


@override_settings(TRUSTED_PROXY_COUNT=2)
def test_forwarded_for_with_two_proxies(world):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.3", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9, 10.0.0.2")
    assert record("thing.done", request=request).ip == "203.0.113.9"


def test_ipv4_mapped_addresses_are_stored_as_ipv4(world):
    request = RequestFactory().get("/", REMOTE_ADDR="::ffff:192.0.2.1")
    assert record("thing.done", request=request).ip == "192.0.2.1"
