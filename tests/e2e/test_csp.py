"""The UI under the Content-Security-Policy, in real Chromium: every page a tenant admin opens
(dashboard, devices with charts, 2FA enrolment with its QR code, the API docs) renders and runs
its scripts with no CSP violation reported by the browser and no script error."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD, add_member, make_device, make_site, make_tenant, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_pages_run_under_the_csp_without_violations(live_server, browser):
    acme = make_tenant("Acme Networks", slug="acme")
    north = make_site(acme, "North Office")
    device = make_device(acme, north, "core-router")
    alice = make_user("alice")
    add_member(alice, acme, "admin")

    base = live_server.url
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    violations: list[str] = []
    errors: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    response = page.goto(f"{base}/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")

    for path in (
        "/",
        "/t/acme/",
        "/t/acme/devices/",
        f"/t/acme/devices/{device.pk}/",
        "/t/acme/devices/add/",
        "/t/acme/sites/",
        "/t/acme/members/",
        "/t/acme/audit/",
        "/account/",
    ):
        assert page.goto(f"{base}{path}").status == 200, path
        page.wait_for_load_state("networkidle")
    # the device page's charts script ran (it draws into its chart containers)
    page.goto(f"{base}/t/acme/devices/{device.pk}/")
    page.wait_for_load_state("networkidle")

    # 2FA enrolment: the QR code is inline SVG
    page.goto(f"{base}/account/2fa/")
    page.locator("form[action$='/account/2fa/start/'] button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".qr svg").count() == 1

    # the API docs: Swagger UI's init script comes from a URL, and it renders the operations
    page.goto(f"{base}/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30000)

    assert violations == [], violations
    assert errors == [], errors

    # and the listener does see a violation: an inline script is refused
    inject = "() => { const s = document.createElement('script'); s.text = 'window.x = 1'; document.body.append(s); }"
    page.evaluate(inject)
    page.wait_for_timeout(300)
    assert len(violations) == 1 and "script-src" in violations[0]
    assert page.evaluate("() => window.x") is None
