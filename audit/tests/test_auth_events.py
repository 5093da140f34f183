"""Logins, failures, logouts and 2FA events are recorded as platform events with IP and agent."""

import pytest
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from django.test import RequestFactory

from audit import services
from audit.context import activate_platform_audit
from audit.models import AuditEntry
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _request(ip="198.51.100.7", agent="Mozilla/5.0 (test)"):
    request = RequestFactory().post("/login/", REMOTE_ADDR=ip, HTTP_USER_AGENT=agent)
    request.session = SessionStore()
    request.user = AnonymousUser()
    return request


def _platform_entries(action):
    with transaction.atomic():
        activate_platform_audit()
        return list(AuditEntry.objects.filter(action=action).order_by("seq"))


def test_successful_login_is_recorded_with_ip_and_agent(world):
    request = _request()
    user = authenticate(request, username="alice", password=PASSWORD)
    login(request, user)
    [entry] = _platform_entries("auth.login")
    assert (entry.user_id, entry.username, entry.tenant_id) == (world.users.alice.id, "alice", None)
    assert (entry.ip, entry.user_agent) == ("198.51.100.7", "Mozilla/5.0 (test)")


def test_failed_login_is_recorded_without_the_password(world):
    assert authenticate(_request(ip="203.0.113.50"), username="alice", password="wrong-guess-123") is None
    [entry] = _platform_entries("auth.login_failed")
    assert entry.user_id is None and entry.username == ""
    assert entry.ip == "203.0.113.50"
    assert entry.details == {"username": "alice"}
    assert "wrong-guess-123" not in str(entry.details)


def test_login_as_an_unknown_user_is_recorded(world):
    authenticate(_request(), username="mallory", password="x")
    [entry] = _platform_entries("auth.login_failed")
    assert entry.details == {"username": "mallory"}


def test_logout_is_recorded(world):
    request = _request()
    login(request, world.users.bob, backend="django.contrib.auth.backends.ModelBackend")
    logout(request)
    [entry] = _platform_entries("auth.logout")
    assert entry.username == "bob"


def test_last_login_update_records_no_user_change(world):
    request = _request()
    login(request, world.users.bob, backend="django.contrib.auth.backends.ModelBackend")
    assert _platform_entries("user.changed") == []


@pytest.mark.parametrize(
    "hook, action",
    [
        (services.two_factor_enabled, "auth.2fa_enabled"),
        (services.two_factor_disabled, "auth.2fa_disabled"),
        (services.two_factor_verified, "auth.2fa_verified"),
        (services.two_factor_failed, "auth.2fa_failed"),
        (services.recovery_code_used, "auth.2fa_recovery_code_used"),
    ],
)
def test_two_factor_hooks(world, hook, action):
    hook(world.users.carol, request=_request(ip="192.0.2.8"))
    [entry] = _platform_entries(action)
    assert (entry.username, entry.target_id, entry.ip) == ("carol", str(world.users.carol.id), "192.0.2.8")


def test_2fa_disabled_by_a_super_admin_names_both(world):
    services.two_factor_disabled(world.users.carol, by=world.users.root)
    [entry] = _platform_entries("auth.2fa_disabled")
    assert (entry.username, entry.target_name) == ("root", "carol")


def test_django_otp_verification_failure_is_recorded(world):
    from django_otp.forms import otp_verification_failed

    otp_verification_failed.send(sender=object, user=world.users.dave)
    [entry] = _platform_entries("auth.2fa_failed")
    assert entry.username == "dave"
