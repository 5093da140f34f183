"""End to end in real headless Chromium against the live app: a tenant admin signs in, enrols
2FA with a code computed from the key the page shows, sees the backup codes, switches tenant with
the header's switcher, signs in again through the 2FA challenge; then a viewer signs in and sees
no edit controls (and the server refuses the form a viewer opens by URL)."""

from __future__ import annotations

import base64
import re
import time

import pytest
from django_otp.oath import TOTP

from tests.factories import PASSWORD, add_member, make_site, make_tenant, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def totp_now(secret_b32: str) -> str:
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    return str(TOTP(key).token()).zfill(6)


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("domcontentloaded")


def test_admin_enrols_2fa_switches_tenant_and_viewer_sees_no_edit_controls(live_server, browser, screenshot):
    started = time.monotonic()
    acme = make_tenant("Acme Networks", slug="acme")
    globex = make_tenant("Globex Corp", slug="globex")
    make_site(acme, "North Office")
    make_site(acme, "South Branch")
    make_site(globex, "East DC")
    alice = make_user("alice", email="alice@example.com", first_name="Alice", last_name="Admin")
    carol = make_user("carol", email="carol@example.com")
    add_member(alice, acme, "admin")
    add_member(alice, globex, "viewer")
    add_member(carol, acme, "viewer")

    base = live_server.url
    context = browser.new_context(viewport={"width": 1366, "height": 820})
    page = context.new_page()
    script_errors: list[str] = []
    failed: list[str] = []
    page.on("pageerror", lambda exc: script_errors.append(str(exc)))
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    screenshot_login = page.goto(f"{base}/login/")
    assert screenshot_login.status == 200
    screenshot(page, "01-login")

    # 1. The tenant admin signs in and lands on her tenants.
    sign_in(page, base, "alice")
    assert page.url == f"{base}/"
    assert page.locator(".tile", has_text="Acme Networks").is_visible()
    screenshot(page, "02-home")

    # 2. Enrol 2FA: the key is printed on the page; an "authenticator" computes the code from it.
    page.goto(f"{base}/account/2fa/")
    page.click("text=Set up two-factor")
    secret = page.locator("[data-testid=totp-secret]").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret)
    assert page.locator(".qr svg").count() == 1
    assert f"secret={secret}" in page.locator("#otpauth-uri").text_content()
    screenshot(page, "03-enrol")
    page.fill("#id_code", totp_now(secret))
    page.click("text=Turn on two-factor")

    # 3. Backup codes, shown once.
    codes = page.locator("#backup-code-list li")
    codes.first.wait_for()
    assert codes.count() == 10
    backup_codes = codes.all_inner_texts()
    assert all(re.fullmatch(r"[a-z0-9]{4}-[a-z0-9]{4}", c) for c in backup_codes)
    screenshot(page, "04-backup-codes")
    page.goto(f"{base}/account/2fa/")
    assert page.locator("#backup-code-list").count() == 0
    assert page.get_by_text("10 unused backup codes left").is_visible()

    # 4. The dashboard of Acme (admin: edit controls), then the switcher moves to Globex.
    page.goto(f"{base}/t/acme/sites/")
    assert page.get_by_role("link", name="Add site").is_visible()
    page.goto(f"{base}/t/acme/")
    assert page.get_by_role("heading", name="Acme Networks").is_visible()
    screenshot(page, "05-dashboard-acme")
    assert page.locator("[data-autosubmit-fallback]").is_hidden()  # the JS took over the Go button
    with page.expect_navigation():
        page.select_option("#tenant-switcher", "globex")
    assert page.url == f"{base}/t/globex/"
    assert page.get_by_role("heading", name="Globex Corp").is_visible()
    assert page.locator(".topbar .badge", has_text="viewer").is_visible()
    assert page.get_by_role("link", name="Add site").count() == 0  # a viewer in Globex
    screenshot(page, "06-switched-to-globex")

    # 5. Signing in again now takes a second step (a backup code here: the TOTP code of this
    #    30-second window was spent on enrolment and replays are refused).
    page.click("text=Log out")
    page.wait_for_url(f"{base}/login/")
    sign_in(page, base, "alice")
    assert page.url == f"{base}/login/verify/"
    screenshot(page, "07-2fa-challenge")
    page.fill("#id_code", backup_codes[0])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    assert page.locator(".user-chip", has_text="Alice Admin").is_visible()

    # 6. Sign out; a viewer signs in and sees no edit controls anywhere.
    page.click("text=Log out")
    page.wait_for_url(f"{base}/login/")
    sign_in(page, base, "carol")
    assert page.url == f"{base}/t/acme/"  # one tenant: straight to its dashboard
    page.goto(f"{base}/t/acme/sites/")
    assert page.get_by_text("North Office").is_visible()
    assert page.get_by_role("link", name="Add site").count() == 0
    assert page.get_by_role("link", name="Edit").count() == 0
    screenshot(page, "08-viewer-sites")
    page.goto(f"{base}/t/acme/members/")
    assert page.get_by_role("link", name="Add member").count() == 0
    assert page.get_by_role("button", name="Remove").count() == 0
    # A viewer's direct visit to the form is refused by the server, not just hidden.
    response = page.goto(f"{base}/t/acme/sites/new/")
    assert response.status == 403
    screenshot(page, "09-viewer-forbidden")

    context.close()
    assert not script_errors, script_errors  # htmx and mikman.js load and run cleanly
    assert failed == [f"403 {base}/t/acme/sites/new/"], failed  # no missing asset, only the refusal
    assert time.monotonic() - started < 60
