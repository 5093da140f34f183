"""/api/v1/tenants/{tenant}/audit/ and /api/v1/platform/audit/: who sees what, filters, CSV."""

import csv
import io

import pytest
from django.db import transaction

from audit.context import activate_platform_audit
from audit.export import COLUMNS
from audit.models import AuditEntry
from audit.services import record
from tests.factories import api_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/tenants/acme/audit/"
PLATFORM_URL = "/api/v1/platform/audit/"


@pytest.fixture
def entries(world):
    u = world.users
    return {
        "north": record("device.added", tenant=world.acme, site=world.north, user=u.alice, target_name="n1"),
        "south": record("device.added", tenant=world.acme, site=world.south, user=u.bob, target_name="s1"),
        "wide": record("alert_rule.changed", tenant=world.acme, user=u.alice, target_name="cpu"),
        "pushed": record(
            "config.pushed",
            tenant=world.acme,
            site=world.north,
            user=u.bob,
            target_type="devices.device",
            target_id="7",
        ),
        "globex": record("device.added", tenant=world.globex, site=world.east, user=u.erin, target_name="g1"),
    }


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


# --- tenant log: who ---------------------------------------------------------------------------


@pytest.mark.parametrize("member", ["alice", "bob", "carol"])
def test_members_with_view_see_the_tenant_log_newest_first(world, entries, member):
    response = api_client(getattr(world.users, member)).get(URL, {"limit": 500})
    rows = response.json()["results"]
    seqs = [row["seq"] for row in rows]
    assert seqs == sorted(seqs, reverse=True)
    assert {row["tenant"] for row in rows} == {str(world.acme.id)}
    assert str(entries["globex"].id) not in response.content.decode()
    assert rows[0]["id"] == str(entries["pushed"].id)


@pytest.mark.parametrize("outsider", ["erin", "root"])
def test_non_members_and_the_platform_role_get_404(world, entries, outsider):
    client = api_client(getattr(world.users, outsider))
    for url in (URL, f"{URL}{entries['north'].id}/", f"{URL}export.csv"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "n1" not in response.content.decode()
    assert client.get(URL, {"format": "csv"}).status_code == 404


def test_anonymous_is_refused(world, entries):
    assert api_client().get(URL).status_code in (401, 403)


def test_site_scoped_member_sees_only_their_sites(world, entries):
    client = api_client(world.users.dave)
    rows = client.get(URL, {"limit": 500}).json()["results"]
    assert {row["site"] for row in rows} == {str(world.north.id)}  # no other site, nothing tenant-wide
    assert {str(entries["north"].id), str(entries["pushed"].id)} <= {row["id"] for row in rows}
    assert client.get(f"{URL}{entries['south'].id}/").status_code == 404
    assert client.get(f"{URL}{entries['wide'].id}/").status_code == 404
    exported = _csv(client.get(f"{URL}export.csv"))
    assert [row["id"] for row in exported] == [row["id"] for row in rows]


def test_detail(world, entries):
    response = api_client(world.users.carol).get(f"{URL}{entries['pushed'].id}/")
    assert response.status_code == 200
    body = response.json()
    assert body["action"] == "config.pushed"
    assert body["row_hash"] == entries["pushed"].row_hash
    assert body["site"] == str(world.north.id)


def test_another_tenants_entry_under_my_tenant_is_404(world, entries):
    assert api_client(world.users.alice).get(f"{URL}{entries['globex'].id}/").status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_log_is_read_only(world, entries, method):
    client = api_client(world.users.alice)
    assert getattr(client, method)(URL, {}).status_code == 405
    assert getattr(client, method)(f"{URL}{entries['north'].id}/", {}).status_code == 405
    assert getattr(api_client(world.users.root), method)(PLATFORM_URL, {}).status_code == 405


def test_options_lists_read_methods_only(world):
    allow = api_client(world.users.alice).options(URL)["Allow"]
    assert set(allow.replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}


def test_schema_lists_no_write_operations():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    audit_paths = {path: ops for path, ops in paths.items() if "/audit/" in path}
    assert audit_paths
    assert {method for ops in audit_paths.values() for method in ops} == {"get"}


# --- tenant log: filters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"action": "device.added"}, ["north", "south"]),
        ({"action": "device.*"}, ["north", "south"]),
        ({"action": "config.*"}, ["pushed"]),
        ({"user": "bob"}, ["south", "pushed"]),
        ({"username": "alice", "action": "alert_rule.changed"}, ["wide"]),
        ({"target_type": "devices.device", "target_id": "7"}, ["pushed"]),
        ({"target": "cpu"}, ["wide"]),
        ({"site": "SOUTH", "action": "device.*"}, ["south"]),
    ],
)
def test_filters(world, entries, params, expected):
    params = {key: (str(world.south.id) if value == "SOUTH" else value) for key, value in params.items()}
    found = _ids(api_client(world.users.alice).get(URL, params))
    assert sorted(found) == sorted(str(entries[name].id) for name in expected)


def test_filter_by_user_id(world, entries):
    found = _ids(api_client(world.users.alice).get(URL, {"user": world.users.bob.id}))
    assert sorted(found) == sorted([str(entries["south"].id), str(entries["pushed"].id)])


def test_date_range(world, entries):
    client = api_client(world.users.alice)
    wide = entries["wide"]
    since = _ids(client.get(URL, {"since": wide.created.isoformat(), "action": "*"}))
    assert since == [str(entries["pushed"].id), str(wide.id)]
    until = _ids(client.get(URL, {"until": wide.created.isoformat(), "action": "device.*"}))
    assert sorted(until) == sorted([str(entries["north"].id), str(entries["south"].id)])
    today = wide.created.date().isoformat()
    assert len(_ids(client.get(URL, {"date_from": today, "date_to": today, "action": "device.*"}))) == 2
    assert _ids(client.get(URL, {"date_to": "2000-01-01"})) == []


def test_invalid_filter_is_a_400(world, entries):
    response = api_client(world.users.alice).get(URL, {"since": "yesterday-ish"})
    assert response.status_code == 400
    assert api_client(world.users.alice).get(URL, {"ip": "not-an-ip"}).status_code == 400


# --- CSV ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["format", "export"])
def test_csv_export_streams_the_filtered_log(world, entries, how):
    client = api_client(world.users.alice)
    response = (
        client.get(URL, {"format": "csv", "action": "device.*"})
        if how == "format"
        else (client.get(f"{URL}export.csv", {"action": "device.*"}))
    )
    rows = _csv(response)
    assert list(rows[0].keys()) == COLUMNS
    assert [row["id"] for row in rows] == [str(entries["south"].id), str(entries["north"].id)]
    assert rows[0]["username"] == "bob" and rows[0]["site_id"] == str(world.south.id)


def test_csv_neutralises_spreadsheet_formulas(world):
    record("device.added", tenant=world.acme, target_name='=HYPERLINK("http://evil")', details={"a": 1})
    [row] = _csv(api_client(world.users.alice).get(f"{URL}export.csv", {"action": "device.added"}))
    assert row["target_name"] == '\'=HYPERLINK("http://evil")'
    assert row["details"] == '{"a": 1}'


def test_export_is_itself_recorded(world, entries):
    b"".join(api_client(world.users.carol).get(f"{URL}export.csv", {"action": "device.*"}).streaming_content)
    [entry] = _ids(api_client(world.users.alice).get(URL, {"action": "audit.exported"}))
    stored = api_client(world.users.alice).get(f"{URL}{entry}/").json()
    assert stored["username"] == "carol"
    assert stored["details"] == {"filters": {"action": ["device.*"]}}


# --- platform log ------------------------------------------------------------------------------


def _platform_ids() -> set[str]:
    with transaction.atomic():
        activate_platform_audit()
        return {str(pk) for pk in AuditEntry.objects.values_list("id", flat=True)}


def test_super_admin_sees_platform_events_only(world, entries):
    login = record("auth.login", user=world.users.alice)
    response = api_client(world.users.root).get(PLATFORM_URL, {"limit": 500})
    ids = _ids(response)
    assert ids[0] == str(login.id)
    assert set(ids) == _platform_ids()
    assert {row["tenant"] for row in response.json()["results"]} == {None}
    assert str(entries["north"].id) not in ids
    assert api_client(world.users.root).get(f"{PLATFORM_URL}{entries['north'].id}/").status_code == 404
    assert api_client(world.users.root).get(f"{PLATFORM_URL}{login.id}/").json()["action"] == "auth.login"


@pytest.mark.parametrize("user", ["alice", "carol", "erin"])
def test_platform_log_is_404_for_everyone_else(world, entries, user):
    client = api_client(getattr(world.users, user))
    login = record("auth.login", user=world.users.alice)
    for url in (PLATFORM_URL, f"{PLATFORM_URL}{login.id}/", f"{PLATFORM_URL}export.csv"):
        assert client.get(url).status_code == 404, url


def test_platform_log_needs_authentication(world):
    assert api_client().get(PLATFORM_URL).status_code in (401, 403)


def test_platform_filters_and_csv(world):
    record("auth.login", user=world.users.alice)
    record("auth.login_failed", details={"username": "=cmd|' /C calc'!A0"})
    client = api_client(world.users.root)
    assert len(_ids(client.get(PLATFORM_URL, {"action": "auth.login"}))) == 1
    rows = _csv(client.get(PLATFORM_URL, {"format": "csv", "action": "auth.*"}))
    assert [row["action"] for row in rows] == ["auth.login_failed", "auth.login"]
    assert rows[0]["details"] == '{"username": "=cmd|\' /C calc\'!A0"}'


def test_platform_switch_does_not_outlive_the_request(world):
    record("auth.login", user=world.users.alice)
    assert api_client(world.users.root).get(PLATFORM_URL).status_code == 200
    assert not AuditEntry.objects.filter(tenant__isnull=True).exists()


def test_csv_errors_are_csv_too(world, entries):
    response = api_client(world.users.erin).get(URL, {"format": "csv"})
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[0] == "status,code,message"
