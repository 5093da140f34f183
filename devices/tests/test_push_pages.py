# ruff: noqa: F811  (pytest injects the imported `world` fixture by parameter name)
"""The push wizard: devices → script or template → preview → push → the job page; admins only."""

import pytest
from django.test import Client

from devices.models import Job
from devices.tests.inventory_support import world  # noqa: F401
from tenants.context import tenant_context
from tests.factories import make_device

pytestmark = pytest.mark.django_db
URL = "/t/acme/push/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form(device, **extra):
    data = {"devices": [str(device.pk)], "mode": "template", "rollback_s": "60", "ping": ""}
    data.update(extra)
    return data


def test_preview_then_push_starts_a_job(world):
    device = make_device(world.acme, world.north, name="gw-a", identity="gw-a-ident")
    alice = client_for(world.users.alice)
    page = alice.get(f"{URL}?device={device.pk}")
    assert page.status_code == 200
    assert f'value="{device.pk}" selected' in page.content.decode()
    assert "Push config" in alice.get("/t/acme/jobs/").content.decode()

    text = "/system identity set name={{ device.identity }}-{{ suffix }}\n"
    preview = alice.post(URL, form(device, text=text, variables="suffix=x\n", step="preview"))
    assert preview.status_code == 200
    body = preview.content.decode()
    assert "/system identity set name=gw-a-ident-x" in body and "Nothing is simulated" in body
    assert "Push with rollback" in body
    assert not Job.objects.exists()

    pushed = alice.post(URL, form(device, text=text, variables="suffix=x\n", step="push"))
    assert pushed.status_code == 302, pushed.content.decode()[:500]
    with tenant_context(world.acme.id):
        job = Job.objects.get()
    assert job.kind == "push" and job.params["template"] == text and job.params["rollback_s"] == 60
    assert pushed["Location"] == f"/t/acme/jobs/{job.pk}/"
    detail = alice.get(pushed["Location"])
    assert detail.status_code == 200 and "config push (template" in detail.content.decode()


def test_template_error_shows_on_the_form(world):
    device = make_device(world.acme, world.north, name="gw-b")
    response = client_for(world.users.alice).post(URL, form(device, text="ok\n{{ device.__class__ }}", step="preview"))
    assert response.status_code == 200
    assert "line 2" in response.content.decode() and "unsafe" in response.content.decode()


@pytest.mark.parametrize("user", ["bob", "carol"])
def test_only_admins_reach_the_wizard(world, user):
    device = make_device(world.acme, world.north, name="gw-c")
    client = client_for(getattr(world.users, user))
    assert client.get(URL).status_code == 403
    assert client.post(URL, form(device, text="/ip address print", step="push")).status_code == 403
    assert not Job.objects.exists()


def test_restore_page_starts_a_restore_job_after_confirmation(world):
    from django.utils import timezone

    from devices.models import ConfigBackup, ConfigBlob

    device = make_device(world.acme, world.north, name="gw-d")
    with tenant_context(world.acme.id):
        blob = ConfigBlob.objects.create(tenant=world.acme, sha256="b" * 64, size=10, text="/system identity\n")
        backup = ConfigBackup.objects.create(
            tenant=world.acme, device=device, taken_at=timezone.now(), status="ok", blob=blob, sha256="b" * 64
        )
    url = f"/t/acme/push/restore/{backup.pk}/"
    alice = client_for(world.users.alice)
    assert "Restore gw-d" in alice.get(url).content.decode()
    unconfirmed = alice.post(url, {"rollback_s": "60"})
    assert unconfirmed.status_code == 200 and "confirm" in unconfirmed.content.decode()
    done = alice.post(url, {"rollback_s": "60", "confirm": "on"})
    assert done.status_code == 302
    with tenant_context(world.acme.id):
        job = Job.objects.get()
    assert (job.kind, job.params["backup"], job.params["rollback_s"]) == ("restore", str(backup.pk), 60)
    assert client_for(world.users.bob).get(url).status_code == 403
    assert client_for(world.users.erin).get(url).status_code == 404
