# ruff: noqa: F811  (pytest injects the imported `world` fixture by parameter name)
"""CSV import is all or nothing: every row valid → every device created in one transaction;
any row invalid → nothing created and each bad row's errors returned. Passwords are sealed on
import and never echoed back."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEntry
from devices.models import Device
from devices.tests.inventory_support import api_url, world  # noqa: F401
from tenants.context import tenant_context
from tests.factories import api_client, make_credential_profile, make_device

pytestmark = pytest.mark.django_db

CSV_PW = "Csv-Imp0rted-known-pw"
GOOD = (
    "name,host,site,protocol,api_port,credential_profile,username,password,tags\n"
    "r1,192.0.2.1,north,api-ssl,8728,Routers,,,core;edge\n"
    f"r2,r2.example.net,south,api,18728,,admin,{CSV_PW},branch\n"
    "r3,2001:db8::3,,api-ssl,,Routers,,,\n"
)


def devices_of(world) -> dict:
    with tenant_context(world.acme.id):
        return {d.name: d for d in Device.objects.filter(tenant=world.acme)}


def test_all_valid_rows_are_imported_with_sealed_passwords(world):
    make_credential_profile(world.acme, "Routers")
    client = api_client(world.users.alice)
    upload = SimpleUploadedFile("devices.csv", GOOD.encode(), content_type="text/csv")
    response = client.post(api_url("acme", "devices/import/"), {"file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["created"] == 3
    assert CSV_PW not in response.content.decode()
    devices = devices_of(world)
    assert set(devices) == {"r1", "r2", "r3"}
    assert devices["r1"].tags == ["core", "edge"] and devices["r1"].site_id == world.north.id
    assert devices["r2"].protocol == "api" and devices["r2"].api_port == 18728 and devices["r2"].password is not None
    assert devices["r3"].host == "2001:db8::3" and devices["r3"].site_id is None and devices["r3"].api_ssl_port == 8729
    assert CSV_PW not in str(devices["r2"].password.as_dict())
    with tenant_context(world.acme.id):
        assert AuditEntry.objects.filter(tenant=world.acme, action="device.imported").count() == 1
        assert AuditEntry.objects.filter(tenant=world.acme, action="device.added").count() == 3


def test_one_bad_row_imports_nothing_and_every_error_is_listed(world):
    make_credential_profile(world.acme, "Routers")
    make_device(world.acme, None, name="existing")
    text = (
        "name,host,site,protocol,credential_profile,username,password,api_port\n"
        "ok1,192.0.2.1,north,api-ssl,Routers,,,\n"  # line 2: fine
        "existing,192.0.2.2,,api,Routers,,,\n"  # line 3: name taken
        f"bad-host,not a host!,east,telnet,Nope,,{CSV_PW},99999\n"  # line 4: many problems
        "ok1,192.0.2.4,,api,Routers,,,\n"  # line 5: duplicate of line 2
        "nologin,192.0.2.5,,,,,,\n"  # line 6: no credentials
    )
    response = api_client(world.users.alice).post(api_url("acme", "devices/import/"), {"csv": text}, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert "nothing was imported" in error["message"]
    rows = {r["row"]: r["errors"] for r in error["fields"]["rows"]}
    assert sorted(rows) == [3, 4, 5, 6]
    assert "name" in rows[3]
    assert {"host", "site", "protocol", "credential_profile", "api_port"} <= set(rows[4])
    assert "row 2" in rows[5]["name"][0]
    assert "__all__" in rows[6]
    assert CSV_PW not in response.content.decode()
    assert set(devices_of(world)) == {"existing"}  # nothing half-imported


@pytest.mark.parametrize(
    "payload, message",
    [
        ("", "empty"),
        ("name,host,colour\nx,192.0.2.1,red\n", "Unknown column"),
        ("host\n192.0.2.1\n", "Missing required column"),
        ("name,host\n", "no rows"),
        (b"\xff\xfe\x00n\x00a", "UTF-8"),
    ],
)
def test_unusable_files_are_a_clear_400(world, payload, message):
    client = api_client(world.users.alice)
    raw = payload if isinstance(payload, bytes) else payload.encode()
    upload = SimpleUploadedFile("x.csv", raw, content_type="text/csv")
    response = client.post(api_url("acme", "devices/import/"), {"file": upload}, format="multipart")
    assert response.status_code == 400, response.content
    assert message in response.content.decode()
    assert devices_of(world) == {}


def test_site_scoped_admin_imports_only_into_own_sites(world):
    from tests.factories import add_member, make_user

    sam = make_user("sam")
    add_member(sam, world.acme, "admin", sites=[world.north])
    text = (
        "name,host,site,username,password\n"
        "a,192.0.2.1,north,admin,pw\n"
        "b,192.0.2.2,south,admin,pw\n"
        "c,192.0.2.3,,admin,pw\n"
    )
    response = api_client(sam).post(api_url("acme", "devices/import/"), {"csv": text}, format="json")
    assert response.status_code == 400
    rows = {r["row"]: r["errors"] for r in response.json()["error"]["fields"]["rows"]}
    assert sorted(rows) == [3, 4] and "site" in rows[3] and "site" in rows[4]
    assert devices_of(world) == {}
