# ruff: noqa: F811  (pytest injects the imported `world` fixture by parameter name)
"""Who may start which job on which devices: roles, dangerous commands, site scope, bad input,
secrets in commands, audit. (No worker: jobs stay queued; running them is test_jobs_run.py.)"""

import pytest

from audit.models import AuditEntry
from devices.models import Job
from devices.tests.inventory_support import world  # noqa: F401
from tenants.context import tenant_context
from tests.factories import add_member, api_client, make_device, make_user

pytestmark = pytest.mark.django_db
JOBS = "/api/v1/tenants/acme/jobs/"


def post(user, body):
    return api_client(user).post(JOBS, body, format="json")


def command(devices, text, **extra):
    return {"kind": "command", "devices": [str(d.pk) for d in devices], "params": {"command": text}, **extra}


def error_text(response) -> str:
    return str(response.json()["error"])


def test_operator_starts_a_command_and_it_is_audited_without_secrets(world):
    devices = [make_device(world.acme, world.north, name=f"gw{i}") for i in range(2)]
    response = post(world.users.bob, command(devices, "/system/identity/print"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "queued" and body["total"] == 2 and body["created_by"] == "bob"
    assert [r["device_name"] for r in body["devices"]] == ["gw0", "gw1"]
    assert all(r["state"] == "queued" for r in body["devices"])
    with tenant_context(world.acme.id):
        entry = AuditEntry.objects.get(action="job.started")
    assert entry.details["summary"] == "/system/identity/print"
    assert entry.details["devices"] == ["gw0", "gw1"] and entry.details["device_count"] == 2
    assert entry.site_id == world.north.id  # one site: site-scoped members see it


def test_viewer_may_read_jobs_but_not_start_cancel_or_retry(world):
    device = make_device(world.acme, world.north, name="gw")
    job_id = post(world.users.bob, command([device], "/system/identity/print")).json()["id"]
    carol = api_client(world.users.carol)
    assert carol.get(JOBS).status_code == 200
    assert carol.get(f"{JOBS}{job_id}/").status_code == 200
    assert carol.post(JOBS, command([device], "/system/identity/print"), format="json").status_code == 403
    assert carol.post(f"{JOBS}{job_id}/cancel/", format="json").status_code == 403
    assert carol.post(f"{JOBS}{job_id}/retry-failed/", format="json").status_code == 403


@pytest.mark.parametrize(
    "text",
    [
        "/system/reboot",
        "/system reset-configuration",
        "/user/add name=eve group=full",
        "/ip service set api disabled=yes",
    ],
)
def test_dangerous_command_needs_an_admin_and_a_confirmation(world, text):
    device = make_device(world.acme, world.north, name="gw")
    as_operator = post(world.users.bob, command([device], text, confirm=True))
    assert as_operator.status_code == 403, as_operator.content
    assert "only a tenant admin" in error_text(as_operator)
    unconfirmed = post(world.users.alice, command([device], text))
    assert unconfirmed.status_code == 400
    assert "confirm" in unconfirmed.json()["error"]["fields"]
    confirmed = post(world.users.alice, command([device], text, confirm=True))
    assert confirmed.status_code == 201, confirmed.content
    assert confirmed.json()["params"]["dangerous"] is True
    with tenant_context(world.acme.id):
        assert Job.objects.count() == 1
        entry = AuditEntry.objects.get(action="job.started")
        assert entry.details["dangerous"] is True and entry.details["confirmed"] is True


def test_reading_users_is_not_dangerous(world):
    device = make_device(world.acme, world.north, name="gw")
    assert post(world.users.bob, command([device], "/user/print")).status_code == 201


def test_site_scoped_operator_cannot_include_another_sites_device(world):
    olga = make_user("olga")
    add_member(olga, world.acme, "operator", sites=[world.north])
    mine = make_device(world.acme, world.north, name="north-gw")
    theirs = make_device(world.acme, world.south, name="south-gw")
    refused = post(olga, command([mine, theirs], "/system/identity/print"))
    assert refused.status_code == 400
    assert "Unknown devices" in error_text(refused) and "south-gw" not in error_text(refused)
    assert (
        post(
            olga, {"kind": "command", "site": str(world.south.id), "params": {"command": "/system/identity/print"}}
        ).status_code
        == 400
    )
    everything = post(olga, {"kind": "command", "all": True, "params": {"command": "/system/identity/print"}})
    assert everything.status_code == 201
    assert [r["device_name"] for r in everything.json()["devices"]] == ["north-gw"]
    # a job over both sites (started by an unscoped operator) is invisible to her
    both = post(world.users.bob, command([mine, theirs], "/system/identity/print")).json()["id"]
    olga_client = api_client(olga)
    assert olga_client.get(f"{JOBS}{both}/").status_code == 404
    assert olga_client.post(f"{JOBS}{both}/cancel/", format="json").status_code == 404
    assert both not in olga_client.get(JOBS).content.decode()


@pytest.mark.parametrize(
    "body, field, text",
    [
        ({"kind": "command", "params": {"command": "/system/identity/print"}}, "devices", "Choose the devices"),
        ({"kind": "nope", "all": True, "params": {}}, "kind", "Unknown kind"),
        (
            {"kind": "command", "devices": ["not-a-uuid"], "params": {"command": "/x/print"}},
            "devices",
            "not a device id",
        ),
        ({"kind": "command", "all": True, "params": {"command": "system print"}}, None, "starts with its menu path"),
        (
            {"kind": "command", "all": True, "params": {"command": "/ip/address/print [find]"}},
            None,
            "no API equivalent",
        ),
        (
            {"kind": "command", "all": True, "params": {"command": "/ppp/secret/add name=x password=hunter2"}},
            None,
            "secret",
        ),
        ({"kind": "command", "all": True, "params": {"cmd": "/x/print"}}, "params", "Unknown parameters"),
        (
            {"kind": "command", "all": True, "params": {"command": "/system/identity/print"}, "concurrency": 0},
            "concurrency",
            "",
        ),
    ],
)
def test_bad_requests_are_400_with_a_clear_message(world, body, field, text):
    make_device(world.acme, world.north, name="gw")
    response = post(world.users.bob, body)
    assert response.status_code == 400, response.content
    assert text in error_text(response)
    if field:
        assert field in response.json()["error"]["fields"]
    assert "hunter2" not in response.content.decode()
    with tenant_context(world.acme.id):
        assert not Job.objects.exists()


def test_cancel_of_a_queued_job_cancels_every_device(world):
    devices = [make_device(world.acme, world.north, name=f"gw{i}") for i in range(3)]
    job_id = post(world.users.bob, command(devices, "/system/identity/print")).json()["id"]
    response = api_client(world.users.bob).post(f"{JOBS}{job_id}/cancel/", format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "cancelled" and body["cancelled"] == 3 and body["progress_percent"] == 100
    assert {r["state"] for r in body["devices"]} == {"cancelled"}
    with tenant_context(world.acme.id):
        assert AuditEntry.objects.filter(action="job.cancelled").count() == 1
    retry = api_client(world.users.bob).post(f"{JOBS}{job_id}/retry-failed/", format="json")
    assert retry.status_code == 400 and "nothing to retry" in error_text(retry)


def test_backup_kind_is_registered_when_the_backups_app_is_installed(world):
    from devices.jobs.kinds import kind_names

    assert "backup" in kind_names()
    device = make_device(world.acme, world.north, name="gw")
    response = post(world.users.bob, {"kind": "backup", "devices": [str(device.pk)]})
    assert response.status_code == 201, response.content
    assert response.json()["summary"] == "config backup"
