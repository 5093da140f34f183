"""Tokens, 2FA and memberships leave audit entries — and never a secret in them."""

import pytest
from django.db import transaction

from audit.services import entries_for, platform_entries
from tenants import services, twofactor
from tenants.access import load_site_scope, resolve_access
from tenants.context import tenant_context
from tests.factories import api_client, fresh_totp_code, make_user

pytestmark = pytest.mark.django_db


def platform_actions(root) -> list[str]:
    with transaction.atomic():
        return [e.action for e in platform_entries(root)]


def platform_text(root) -> str:
    with transaction.atomic():
        return " ".join(f"{e.action} {e.target_name} {e.details}" for e in platform_entries(root))


def test_token_created_and_revoked_are_recorded_without_the_key(world):
    alice = world.users.alice
    response = api_client(alice).post("/api/v1/tokens/", {"name": "ci"}, format="json")
    raw = response.json()["key"]
    api_client(alice).delete(f"/api/v1/tokens/{response.json()['id']}/")
    actions = platform_actions(world.users.root)
    assert "token.created" in actions and "token.revoked" in actions
    assert raw not in platform_text(world.users.root)
    assert raw[10:] not in platform_text(world.users.root)


def test_2fa_lifecycle_is_recorded_without_secrets(world):
    alice = world.users.alice
    device, uri, _ = twofactor.start_enrolment(alice)
    codes = twofactor.confirm_enrolment(alice, fresh_totp_code(alice))
    assert not twofactor.verify(alice, "bad")
    fresh_totp_code(alice)
    assert twofactor.verify(alice, codes[0])
    twofactor.regenerate_backup_codes(alice, fresh_totp_code(alice))
    twofactor.disable(alice, fresh_totp_code(alice))
    actions = platform_actions(world.users.root)
    for action in (
        "auth.2fa_enabled",
        "auth.2fa_failed",
        "auth.2fa_recovery_code_used",
        "auth.2fa_backup_codes_regenerated",
        "auth.2fa_disabled",
    ):
        assert action in actions, (action, actions)
    text = platform_text(world.users.root)
    assert device.secret().hex() not in text and uri.split("secret=")[1][:16] not in text
    assert not any(code in text or code.replace("-", "") in text for code in codes)


def test_membership_changes_are_recorded_in_the_tenants_log(world):
    alice = world.users.alice
    frank = make_user("frank")
    services.set_membership(world.acme, frank, "viewer", [world.north.id], by=alice)
    services.set_membership(world.acme, frank, "operator", [], by=alice)
    services.remove_membership(world.acme, frank, by=alice)
    access = resolve_access(alice, world.acme)
    with tenant_context(world.acme.id):
        actions = [e.action for e in entries_for(load_site_scope(access))]
    for action in ("membership.created", "membership.site_added", "membership.changed", "membership.deleted"):
        assert action in actions, (action, actions)


def test_generated_passwords_are_not_recorded(world):
    membership, password = services.invite_or_create_user(world.acme, "grace", "viewer", by=world.users.alice)
    assert password
    assert password not in platform_text(world.users.root)


def test_platform_2fa_switch_is_recorded(world):
    services.set_platform_require_2fa(True, by=world.users.root)
    assert "platform.require_2fa_changed" in platform_actions(world.users.root)
