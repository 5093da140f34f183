# ruff: noqa: F811  (pytest injects the imported fixtures by parameter name)
"""End to end in real headless Chromium: an admin pushes a script to two simulated routers
through the push wizard (choose devices, write, preview, push), a real Celery worker runs the
safe apply over SSH + API, the job page reaches 100 % with both rows succeeded WITHOUT a reload
(htmx polling), and the device's Backups timeline shows the post-push version whose diff holds
the change; each job row links to that diff too ("What changed")."""

from __future__ import annotations

import time

import pytest

from devices.simulator.testing import running_fleet
from devices.tests.inventory_support import worker, world  # noqa: F401 - real worker, shared cast
from devices.tests.jobs_support import sim_devices
from tests.e2e.test_ui_flow import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCRIPT = "/ip firewall address-list add list=e2e-pushed address=192.0.2.55 comment=wizard\n"


@pytest.fixture
def fleet():
    with running_fleet(count=2, seed=29, protocols=("api", "ssh")) as info:
        yield info


def test_admin_pushes_to_two_routers_and_sees_the_diff(live_server, browser, screenshot, world, worker, fleet):
    started = time.monotonic()
    devices = sim_devices(world, fleet, 2, prefix="w")
    base = live_server.url
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    script_errors: list[str] = []
    page.on("pageerror", lambda exc: script_errors.append(str(exc)))
    sign_in(page, base, "alice")  # admin (push_config)

    # 1. The wizard: two devices, a raw script, a short rollback timer, preview.
    page.goto(f"{base}/t/acme/push/")
    page.select_option("#id_devices", [str(d.pk) for d in devices])
    page.select_option("#id_mode", "script")
    page.fill("#id_text", SCRIPT)
    page.fill("#id_rollback_s", "20")
    page.click("button[name=step][value=preview]")
    page.wait_for_selector("#preview")
    previews = page.locator("#preview .push-preview-device")
    assert previews.count() == 2
    assert sorted(previews.locator("h3").all_inner_texts()) == ["w0", "w1"]
    assert "address=192.0.2.55" in previews.first.locator("pre.push-script").first.inner_text()
    screenshot(page, "push-01-preview")

    # 2. Push → the job page; progress arrives live (the page is never reloaded).
    page.click("button[name=step][value=push]")
    page.wait_for_url(f"{base}/t/acme/jobs/*/")
    page.evaluate("window.__notReloaded = true")
    page.wait_for_function(
        "() => /2 of 2 done · 100%/.test(document.querySelector('#job-live .card-header').textContent)",
        timeout=20_000,
    )
    assert page.evaluate("window.__notReloaded === true")
    header = page.locator("#job-live .card-header").inner_text()
    assert "Succeeded" in header, header
    rows = page.locator("#job-live tbody tr")
    assert rows.count() == 2
    for i in range(2):
        row = rows.nth(i)
        assert row.locator("td").nth(1).inner_text().strip() == "Succeeded", row.inner_text()
        assert "rollback timer removed" in row.inner_text()
        assert row.locator("a.push-diff", has_text="What changed").count() == 1
    job_url = page.url
    screenshot(page, "push-02-done")

    # 3. One device's Backups: the newest run is a new version, its diff adds the line.
    page.goto(f"{base}/t/acme/devices/{devices[0].pk}/")
    page.click(f'a[href="/t/acme/devices/{devices[0].pk}/backups/"]')
    newest = page.locator("table.table tbody tr").first
    assert "new version" in newest.inner_text()
    newest.locator("a", has_text="Diff").click()
    page.wait_for_selector(".config-view")
    added = page.locator(".config-view tr.diff-insert, .config-view tr.diff-replace, .config-view tr.diff-add")
    assert any("192.0.2.55" in text for text in added.all_inner_texts()), page.locator(".config-view").inner_text()
    assert page.locator(".diff-added-count").inner_text().strip() == "+1"
    screenshot(page, "push-03-diff")

    # 4. The job page links each device's change straight to the same diff (against the pre-push backup).
    page.goto(job_url)
    page.locator("#job-live tbody tr", has_text="w1").locator("a.push-diff").click()
    page.wait_for_selector(".config-view")
    assert "w1: what changed" in page.locator("h1").inner_text()
    assert page.locator(".diff-added-count").inner_text().strip() == "+1"
    assert "192.0.2.55" in page.locator(".config-view").inner_text()
    assert not script_errors, script_errors
    context.close()
    assert time.monotonic() - started < 30
