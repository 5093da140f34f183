# ruff: noqa: F811  (pytest injects the imported `world` fixture by parameter name)
"""Config push rules at the API: who may push, what a template may do, what is refused (400/403)
before any job exists."""

import pytest

from devices.models import Job
from tests.conftest import world  # noqa: F401 - the shared cast
from tests.factories import api_client, make_device

JOBS = "/api/v1/tenants/acme/jobs/"


@pytest.fixture
def device(world):
    return make_device(world.acme, world.north, name="edge-1", host="192.0.2.10", protocol="api")


def post(client, device, **params):
    body = {"kind": "push", "devices": [str(device.pk)], "params": params}
    return client.post(JOBS, body, format="json")


@pytest.mark.django_db
@pytest.mark.parametrize("user", ["carol", "bob"])
def test_viewers_and_operators_may_not_push(world, device, user):
    response = post(api_client(getattr(world.users, user)), device, script="/system identity set name=x")
    assert response.status_code == 403, response.content
    assert "may not" in response.json()["error"]["message"]
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_template_syntax_error_is_a_400_with_the_line(world, device):
    response = post(api_client(world.users.alice), device, template="/system identity\nset name={% if %}\n")
    assert response.status_code == 400, response.content
    assert "line 2" in str(response.json()["error"])


@pytest.mark.django_db
def test_undefined_variable_is_a_400_with_the_line(world, device):
    response = post(api_client(world.users.alice), device, template="# hi\n\n/system identity set name={{ nope }}\n")
    assert response.status_code == 400, response.content
    assert "line 3" in str(response.json()["error"]) and "nope" in str(response.json()["error"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "template",
    [
        "{{ device.__class__ }}",
        "{{ device.name.__class__.__mro__[1].__subclasses__() }}",
        "{{ vars.__init__.__globals__ }}",
    ],
)
def test_the_sandbox_refuses_internals(world, device, template):
    response = post(api_client(world.users.alice), device, template=template)
    assert response.status_code == 400, response.content
    assert "unsafe" in str(response.json()["error"])


@pytest.mark.django_db
def test_template_renders_device_facts_and_variables(world, device):
    from devices.push.script import render

    device.identity, device.ros_version, device.tags = "edge-one", "7.16.2", ["core", "dc1"]
    text = render(
        '/system identity set name="{{ device.site }}-{{ device.name }}"\n'
        "{% for t in device.tags %}# tag {{ t }}\n{% endfor %}"
        "/snmp set contact={{ contact }} # {{ device.version }}\n",
        device,
        {"contact": "noc"},
    )
    assert text == '/system identity set name="North-edge-1"\n# tag core\n# tag dc1\n/snmp set contact=noc # 7.16.2\n'


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"script": "/user set admin password=hunter2"}, "secret"),
        ({"script": "/system scheduler remove mikman-rollback-x"}, "reserved"),
        ({"script": "/ip address print", "rollback_s": 1}, "Between"),
        ({"script": "/ip address print", "ping": ["not-an-ip"]}, "not an IP"),
        ({"script": "x", "template": "y"}, "either"),
        ({"script": "/ip address print", "variables": {"a": "b"}}, "templates"),
        ({"template": "{{ a }}", "variables": {"device": "x"}}, "variable name"),
    ],
)
def test_bad_parameters_are_400(world, device, params, fragment):
    response = post(api_client(world.users.alice), device, **params)
    assert response.status_code == 400, response.content
    assert fragment in str(response.json()["error"])


@pytest.mark.django_db
def test_dangerous_script_needs_confirmation(world, device):
    client = api_client(world.users.alice)
    response = post(client, device, script="/ip service\nset telnet disabled=yes\n")
    assert response.status_code == 400, response.content
    assert "confirm" in str(response.json()["error"])
    body = {
        "kind": "push",
        "devices": [str(device.pk)],
        "params": {"script": "/ip service\nset telnet disabled=yes\n"},
        "confirm": True,
    }
    created = client.post(JOBS, body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["params"]["dangerous"] is True


PREVIEW = "/api/v1/tenants/acme/push-preview/"
EXPORT = """# 2026-11-23 10:00:00 by RouterOS 7.16.2
/ip firewall address-list
add address=10.0.0.0/8 list=mgmt
/system identity
set name=edge-1
"""


def stored_backup(world, device):
    from django.utils import timezone

    from devices.models import ConfigBackup, ConfigBlob
    from tenants.context import tenant_context

    with tenant_context(world.acme.id):
        blob = ConfigBlob.objects.create(tenant=world.acme, sha256="a" * 64, size=len(EXPORT), text=EXPORT)
        return ConfigBackup.objects.create(
            tenant=world.acme, device=device, taken_at=timezone.now(), status="ok", blob=blob, sha256="a" * 64
        )


@pytest.mark.django_db
def test_preview_renders_per_device_next_to_the_current_sections(world, device):
    backup = stored_backup(world, device)
    body = {
        "devices": [str(device.pk)],
        "params": {
            "template": "/ip firewall address-list add list=mgmt address={{ net }}\n",
            "variables": {"net": "192.0.2.0/24"},
        },
    }
    response = api_client(world.users.alice).post(PREVIEW, body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["total_devices"] == 1 and "Nothing is simulated" in data["note"]
    (item,) = data["devices"]
    assert item["script"] == "/ip firewall address-list add list=mgmt address=192.0.2.0/24\n"
    assert item["backup_id"] == str(backup.pk)
    assert item["sections"] == [{"menu": "/ip firewall address-list", "current": "add address=10.0.0.0/8 list=mgmt"}]
    assert not Job.objects.exists()  # a preview sends nothing


@pytest.mark.django_db
def test_preview_rules(world, device):
    body = {"devices": [str(device.pk)], "params": {"template": "a\n{{ x.__class__ }}"}}
    response = api_client(world.users.alice).post(PREVIEW, body, format="json")
    assert response.status_code == 400 and "line 2" in str(response.json()["error"]), response.content
    for user in (world.users.bob, world.users.carol):
        assert api_client(user).post(PREVIEW, body, format="json").status_code == 403


@pytest.mark.django_db
def test_a_push_row_left_by_a_dead_worker_is_requeued_to_reconcile(world, device):
    from datetime import timedelta

    from django.utils import timezone

    from devices.jobs import runner
    from devices.jobs.recovery import recover_tenant
    from devices.models import JobDevice
    from tenants.access import resolve_access
    from tenants.context import tenant_context

    with tenant_context(world.acme.id):
        access = resolve_access(world.users.alice, world.acme)
        job = runner.start_job(access, "push", devices=[str(device.pk)], params={"script": "/ip address print"})
        JobDevice.objects.filter(job=job).update(state="running", lease_until=timezone.now() - timedelta(seconds=1))
    assert recover_tenant(str(world.acme.id)) == {"requeued": 1, "failed": 0}
    with tenant_context(world.acme.id):
        assert JobDevice.objects.get(job=job).state == "queued"


@pytest.mark.django_db
def test_operators_may_not_retry_a_failed_push(world, device):
    from devices.jobs.runner import refresh
    from devices.models import JobDevice
    from tenants.context import tenant_context

    created = post(api_client(world.users.alice), device, script="/ip address print")
    assert created.status_code == 201 and created.json()["params"]["dangerous_content"] == ""
    job_id = created.json()["id"]
    with tenant_context(world.acme.id):
        JobDevice.objects.filter(job_id=job_id).update(state="failed", reason="x")
        refresh(job_id)
    response = api_client(world.users.bob).post(f"{JOBS}{job_id}/retry-failed/")
    assert response.status_code == 403, response.content
    assert api_client(world.users.alice).post(f"{JOBS}{job_id}/retry-failed/").status_code == 202


def test_restore_drops_a_stale_rollback_timer_from_the_version():
    from devices.jobs.push_kind import without_rollback_timers

    export = (
        "/system scheduler\nadd interval=1d name=daily on-event=x\n"
        'add interval=0s name=mikman-rollback-ab-1 \\\n    on-event="/system backup load"\n'
        "/system identity\nset name=x\n"
    )
    assert without_rollback_timers(export) == (
        "/system scheduler\nadd interval=1d name=daily on-event=x\n/system identity\nset name=x\n"
    )
