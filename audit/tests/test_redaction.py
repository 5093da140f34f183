"""Secrets never reach the audit table."""

import pytest
from django.contrib.auth import authenticate
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.test import RequestFactory

from audit.context import AuditContext, apply
from audit.redaction import MASK, is_secret_key, redact, redact_text
from audit.services import record
from tests.factories import PASSWORD

KNOWN = "Sup3r-Secret-Known-Value"


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "new_password",
        "Password",
        "passwd",
        "secret",
        "client_secret",
        "token",
        "apiToken",
        "key",
        "api_key",
        "apiKey",
        "ssh-key",
        "private_key",
        "wpa2-pre-shared-key",
        "snmp_community",
        "community",
        "otp",
        "otp_code",
        "totp",
        "psk",
        "pin",
        "credentials",
        "authorization",
        "session_cookie",
    ],
)
def test_secret_keys(key):
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["name", "username", "keyboard", "keepalive", "hotspot", "address", "site", "action"])
def test_ordinary_keys(key):
    assert not is_secret_key(key)


def test_redact_masks_recursively_and_leaves_the_rest():
    value = {
        "name": "r1",
        "password": KNOWN,
        "snmp": {"community": KNOWN, "version": 2},
        "users": [{"name": "admin", "secret": {"nested": KNOWN}}],
        "tuple": ({"token": KNOWN},),
    }
    assert redact(value) == {
        "name": "r1",
        "password": MASK,
        "snmp": {"community": MASK, "version": 2},
        "users": [{"name": "admin", "secret": MASK}],
        "tuple": [{"token": MASK}],
    }
    assert value["password"] == KNOWN  # the caller's data is not modified


@pytest.mark.parametrize(
    "text, expected",
    [
        (f"/user add name=bob password={KNOWN} group=full", f"/user add name=bob password={MASK} group=full"),
        (f'/snmp community set public name="{KNOWN}"', f'/snmp community set public name="{KNOWN}"'),
        (f'set wpa2-pre-shared-key="{KNOWN}" mode=ap', f"set wpa2-pre-shared-key={MASK} mode=ap"),
        (f"https://x/cb?token={KNOWN}&page=2", f"https://x/cb?token={MASK}&page=2"),
        (f'{{"password": "{KNOWN}", "name": "x"}}', f'{{"password": {MASK}, "name": "x"}}'),
        ("interface=ether1 keepalive=10s", "interface=ether1 keepalive=10s"),
    ],
)
def test_redact_text(text, expected):
    assert redact_text(text) == expected


def test_long_text_is_redacted_quickly():
    import time

    text = "a-" * 50_000
    started = time.monotonic()
    assert redact_text(text) == text
    assert time.monotonic() - started < 1


def _every_entry_as_text(world) -> list[str]:
    rows = []
    for tenant_id in (None, world.acme.id, world.globex.id):
        with transaction.atomic(), connection.cursor() as cursor:
            apply(AuditContext.for_chain(tenant_id))
            cursor.execute("SELECT e::text FROM audit_auditentry AS e")
            rows += [row[0] for row in cursor.fetchall()]
    return rows


@pytest.mark.django_db
def test_a_known_password_never_reaches_the_table(world):
    alice = world.users.alice
    request = RequestFactory().post("/login/", REMOTE_ADDR="198.51.100.7")
    request.session = SessionStore()
    assert authenticate(request, username="alice", password=KNOWN) is None  # failed login
    alice.set_password(KNOWN)
    alice.save()  # user.password_changed
    assert authenticate(request, username="alice", password=KNOWN) == alice
    record(
        "device.added",
        tenant=world.acme,
        site=world.north,
        details={
            "credentials": {"username": "admin", "password": KNOWN},
            "snmp_community": KNOWN,
            "steps": [{"command": f"/user add name=ops password={KNOWN}"}],
        },
    )
    rows = _every_entry_as_text(world)
    assert any("auth.login_failed" in row for row in rows)
    assert any("user.password_changed" in row for row in rows)
    assert any("device.added" in row for row in rows)
    assert not [row for row in rows if KNOWN in row or PASSWORD in row or alice.password in row]
