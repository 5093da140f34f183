# ruff: noqa: F811  (pytest injects the imported `worker` fixture by parameter name)
"""End to end in real headless Chromium: a tenant admin adds a simulated router in the UI; a real
Celery worker runs the connectivity check and then the poll path (devices.poll_tenant → claim →
poll_batch → engine → writer), the page turns "Online" and its CPU number and chart appear
WITHOUT a reload (server-sent events from /t/<tenant>/live/). Then a viewer sees no add button,
and a forged POST to the add form is refused with 403."""

from __future__ import annotations

import time

import pytest

from devices.models import Device
from devices.simulator.testing import running_fleet
from devices.tests.inventory_support import worker  # noqa: F401 - a real Celery worker (fixture)
from tenants.context import tenant_context
from tests.e2e.test_ui_flow import sign_in
from tests.factories import add_member, make_site, make_tenant, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fleet():
    with running_fleet(count=1, seed=11, protocols=("api",)) as info:
        yield info


def canvas_has_ink(page, selector: str) -> bool:
    """Whether any canvas under `selector` has a non-transparent pixel (uPlot drew something)."""
    return page.eval_on_selector_all(
        f"{selector} canvas",
        """canvases => canvases.some(c => {
            const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
            for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
            return false;
        })""",
    )


def test_admin_adds_a_simulated_router_and_watches_it_come_online(
    live_server, browser, screenshot, worker, fleet, settings
):
    from devices.polling.tasks import poll_batch, poll_tenant

    settings.LIVE_STREAM_SECONDS = 20
    started = time.monotonic()
    acme = make_tenant("Acme Networks", slug="acme")
    make_site(acme, "North Office")
    add_member(make_user("alice"), acme, "admin")
    add_member(make_user("carol"), acme, "viewer")
    sim = fleet["devices"][0]

    base = live_server.url
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    script_errors: list[str] = []
    page.on("pageerror", lambda exc: script_errors.append(str(exc)))

    # 1. The admin adds the router through the form.
    sign_in(page, base, "alice")
    page.goto(f"{base}/t/acme/devices/")
    page.click("text=Add device")
    page.fill("#id_name", "edge-sim")
    page.fill("#id_host", sim["address"])
    page.select_option("#id_protocol", "api")
    page.fill("#id_fallback_protocols", "")
    page.fill("#id_api_port", str(sim["ports"]["api"]))
    page.fill("#id_username", "admin")
    page.fill("#id_password", "sim-admin")
    page.click("text=Add and check")
    page.wait_for_url(f"{base}/t/acme/devices/*/")
    assert "added; checking connectivity" in page.content()

    # 2. The page listens to the live stream; the worker's check connects.
    page.wait_for_selector('[data-live-url][data-live-state="live"]', timeout=10_000)
    page.wait_for_selector("#check-status .notice-success", timeout=20_000)
    screenshot(page, "devices-01-checked")

    # 3. The poll path (what beat's tick does): claim the due device, poll, store, publish.
    with tenant_context(acme.id):
        device = Device.objects.get(name="edge-sim")
    poll_tenant.delay(str(acme.id))
    header_badge = page.locator('.page-header [data-live="status"]')
    page.wait_for_function(
        "() => document.querySelector('.page-header [data-live=status]').textContent.trim() === 'Online'",
        timeout=20_000,
    )
    assert "badge-success" in header_badge.get_attribute("class")
    page.wait_for_function(
        "() => /^\\d+ %$/.test(document.querySelector('#device-now [data-live=cpu] .meter-value').textContent.trim())",
        timeout=20_000,
    )
    # A second sample (as at the next interval): the CPU chart draws from the metrics API.
    time.sleep(1.1)
    poll_batch.delay(str(acme.id), [str(device.pk)])
    page.wait_for_selector("#device-charts figure.chart canvas", timeout=20_000)
    assert page.locator("#device-charts .charts-empty").is_hidden()
    assert "CPU" in page.locator("#device-charts figure.chart figcaption").first.inner_text()
    assert canvas_has_ink(page, "#device-charts figure.chart")
    points = page.evaluate(
        """url => fetch(url + "?series=cpu", {credentials: "same-origin"})
            .then(r => r.json()).then(body => body.series.cpu.points.length)""",
        page.get_attribute("#device-charts .device-charts", "data-metrics-url"),
    )
    assert points >= 1  # what the chart drew from
    assert "sampled" in page.locator('#device-now [data-live="sampled"]').inner_text()
    screenshot(page, "devices-02-online")
    with tenant_context(acme.id):
        device.refresh_from_db()
    assert device.status == "online" and device.last_seen is not None

    # 4. The device list shows it online too (rendered, then kept live).
    page.goto(f"{base}/t/acme/devices/")
    row = page.locator(f'tr[data-device-id="{device.pk}"]')
    assert row.locator('[data-live="status"]').inner_text().strip() == "Online"
    assert not script_errors, script_errors
    context.close()

    # 5. A viewer: no add button, and the server refuses the form it is not offered.
    viewer = browser.new_context()
    page = viewer.new_page()
    sign_in(page, base, "carol")
    page.goto(f"{base}/t/acme/devices/")
    assert page.locator(f'tr[data-device-id="{device.pk}"]').count() == 1
    assert page.locator("text=Add device").count() == 0
    assert page.locator('a[href="/t/acme/devices/add/"]').count() == 0
    token = next(c["value"] for c in viewer.cookies() if c["name"] == "csrftoken")
    forged = viewer.request.post(
        f"{base}/t/acme/devices/add/",
        form={"csrfmiddlewaretoken": token, "name": "forged", "host": "192.0.2.66", "protocol": "api"},
        headers={"Referer": f"{base}/t/acme/devices/", "X-CSRFToken": token},
    )
    assert forged.status == 403
    assert viewer.request.get(f"{base}/t/acme/devices/add/").status == 403
    with tenant_context(acme.id):
        assert not Device.objects.filter(name="forged").exists()
    viewer.close()
    assert time.monotonic() - started < 60
