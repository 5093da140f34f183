# ruff: noqa: F811  (pytest injects the imported `world` fixture by parameter name)
"""Jobs pages: list, detail with the live progress fragment, the "Run command" form reached from
the device list's selection and the device page; roles enforced on the server."""

import pytest
from django.test import Client

from devices.models import Job
from devices.tests.inventory_support import world  # noqa: F401
from tenants.context import tenant_context
from tests.factories import make_device

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_run_command_from_the_device_selection_creates_a_job_and_shows_its_progress(world):
    a = make_device(world.acme, world.north, name="gw-a")
    b = make_device(world.acme, world.south, name="gw-b")
    bob = client_for(world.users.bob)
    assert "Run command on selected" in bob.get("/t/acme/devices/").content.decode()
    # the list's bulk form posts the selected devices: the form comes back with them chosen
    form = bob.post("/t/acme/jobs/run-command/", {"device": [str(a.pk), str(b.pk)]})
    assert form.status_code == 200
    page = form.content.decode()
    assert f'value="{a.pk}" selected' in page and f'value="{b.pk}" selected' in page
    response = bob.post(
        "/t/acme/jobs/run-command/", {"devices": [str(a.pk), str(b.pk)], "command": "/system/identity/print"}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    with tenant_context(world.acme.id):
        job = Job.objects.get()
    assert response["Location"] == f"/t/acme/jobs/{job.pk}/"
    detail = bob.get(response["Location"]).content.decode()
    assert "/system/identity/print" in detail and "gw-a" in detail and "gw-b" in detail
    assert "<progress" in detail and 'hx-trigger="every 1500ms"' in detail  # live while it runs
    assert 'style="' not in detail and "<script>" not in detail  # CSP: no inline style or script
    fragment = bob.get(f"/t/acme/jobs/{job.pk}/progress/").content.decode()
    assert fragment.startswith('<section class="card" id="job-live"') and "gw-a" in fragment
    listing = bob.get("/t/acme/jobs/").content.decode()
    assert str(job.pk) in listing and "Run command" in listing
    # cancel from the page: finished, so the fragment stops polling
    assert bob.post(f"/t/acme/jobs/{job.pk}/cancel/").status_code == 302
    fragment = bob.get(f"/t/acme/jobs/{job.pk}/progress/").content.decode()
    assert "hx-trigger" not in fragment and "Cancelled" in fragment


def test_device_page_links_to_run_command_with_the_device_preselected(world):
    device = make_device(world.acme, world.north, name="gw-a")
    bob = client_for(world.users.bob)
    assert f"/t/acme/jobs/run-command/?device={device.pk}" in bob.get(f"/t/acme/devices/{device.pk}/").content.decode()
    page = bob.get(f"/t/acme/jobs/run-command/?device={device.pk}").content.decode()
    assert f'value="{device.pk}" selected' in page


def test_viewer_sees_jobs_but_gets_403_on_the_form_and_forged_posts(world):
    device = make_device(world.acme, world.north, name="gw-a")
    bob = client_for(world.users.bob)
    bob.post("/t/acme/jobs/run-command/", {"devices": [str(device.pk)], "command": "/system/identity/print"})
    with tenant_context(world.acme.id):
        job = Job.objects.get()
    carol = client_for(world.users.carol)
    assert carol.get("/t/acme/jobs/").status_code == 200
    assert carol.get(f"/t/acme/jobs/{job.pk}/").status_code == 200
    assert carol.get("/t/acme/jobs/run-command/").status_code == 403
    forged = carol.post("/t/acme/jobs/run-command/", {"devices": [str(device.pk)], "command": "/system/reboot"})
    assert forged.status_code == 403
    assert carol.post(f"/t/acme/jobs/{job.pk}/cancel/").status_code == 403
    assert "Run command on selected" not in carol.get("/t/acme/devices/").content.decode()


def test_dangerous_command_in_the_form_needs_admin_and_the_confirmation(world):
    device = make_device(world.acme, world.north, name="gw-a")
    data = {"devices": [str(device.pk)], "command": "/system/reboot"}
    as_operator = client_for(world.users.bob).post("/t/acme/jobs/run-command/", data)
    assert as_operator.status_code == 403
    assert "only a tenant admin may run it" in as_operator.content.decode()
    alice = client_for(world.users.alice)
    unconfirmed = alice.post("/t/acme/jobs/run-command/", data)
    assert unconfirmed.status_code == 200
    body = unconfirmed.content.decode()
    assert "Dangerous command" in body and "reboots the device" in body
    with tenant_context(world.acme.id):
        assert not Job.objects.exists()
    confirmed = alice.post("/t/acme/jobs/run-command/", {**data, "confirm": "on", "via": "ssh"})
    assert confirmed.status_code == 302
    with tenant_context(world.acme.id):
        job = Job.objects.get()
    assert job.params == {"command": "/system/reboot", "via": "ssh", "dangerous": True}
    assert job.summary == "/system reboot (ssh)"


def test_site_scoped_member_does_not_see_a_job_spanning_another_site(world):
    a = make_device(world.acme, world.north, name="gw-a")
    b = make_device(world.acme, world.south, name="gw-b")
    client_for(world.users.bob).post(
        "/t/acme/jobs/run-command/", {"devices": [str(a.pk), str(b.pk)], "command": "/system/identity/print"}
    )
    with tenant_context(world.acme.id):
        job = Job.objects.get()
    dave = client_for(world.users.dave)  # viewer scoped to North
    assert dave.get(f"/t/acme/jobs/{job.pk}/").status_code == 404
    assert str(job.pk) not in dave.get("/t/acme/jobs/").content.decode()
