"""The first super admin is created once, with a random password, and never re-created."""

import io

import pytest
from django.core.management import call_command

from tenants.models import User


@pytest.mark.django_db
def test_first_run_creates_one_super_admin_and_prints_the_password_once():
    out = io.StringIO()
    call_command("bootstrap_admin", stdout=out)
    admin = User.objects.get(username="superadmin")
    assert admin.is_super_admin
    password = out.getvalue().split("password:")[1].split()[0]
    assert len(password) >= 16 and password not in ("admin", "superadmin")
    assert admin.check_password(password)
    again = io.StringIO()
    call_command("bootstrap_admin", stdout=again)
    assert again.getvalue() == ""
    assert User.objects.filter(is_super_admin=True).count() == 1


@pytest.mark.django_db
def test_deleted_first_admin_is_not_recreated():
    call_command("bootstrap_admin", stdout=io.StringIO())
    User.objects.filter(username="superadmin").delete()
    call_command("bootstrap_admin", stdout=io.StringIO())
    assert not User.objects.filter(username="superadmin").exists()
