"""A known password never shows up in logs, output, the database row, errors or reports."""

import base64
import logging

import pytest

from devices.keyring import (
    KeyringError,
    decrypt_secret,
    encrypt_secret,
    rotate_tenant_key,
)

pytestmark = pytest.mark.django_db


def _forms(password: str) -> list[str]:
    raw = password.encode()
    return [password, base64.b64encode(raw).decode(), raw.hex()]


def test_full_lifecycle_leaves_no_trace(tenants, backend, credentials, known_password, caplog, capfd):
    caplog.set_level(logging.DEBUG)  # hvac, urllib3, django.db.backends included
    row = credentials.store(tenants.acme)
    secret = decrypt_secret(tenants.acme.id, "device-password", row.pk, credentials.reload(row).password)
    logging.getLogger("devices.test").info("using %s for %s", secret, row.pk)
    report = rotate_tenant_key(tenants.acme.id)
    decrypt_secret(tenants.acme.id, "device-password", row.pk, credentials.reload(row).password)
    try:
        decrypt_secret(tenants.globex.id, "device-password", row.pk, row.password)
    except KeyringError as exc:
        logging.getLogger("devices.test").exception("expected failure: %s", exc)
    out, err = capfd.readouterr()
    haystacks = {
        "logs": caplog.text,
        "stdout": out,
        "stderr": err,
        "database row": repr(credentials.raw_row(row)),
        "report": repr(report.as_dict()) + str(report),
        "envelope": repr(row.password) + repr(row.password.as_dict()),
    }
    assert "secret sealed" in caplog.text and "tenant key rotated" in caplog.text  # the logs were captured
    for where, text in haystacks.items():
        for form in _forms(known_password):
            assert form not in text, f"the password leaked into the {where}"


def test_sql_parameters_never_carry_the_plaintext(tenants, backend, credentials, known_password, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        credentials.store(tenants.acme)
    assert queries.captured_queries
    assert all(known_password not in q["sql"] for q in queries.captured_queries)


def test_errors_do_not_carry_the_plaintext(tenants, backend, known_password):
    stored = encrypt_secret(tenants.acme.id, "device-password", "rec-1", known_password)
    with pytest.raises(KeyringError) as caught:
        decrypt_secret(tenants.acme.id, "device-password", "rec-2", stored)
    assert known_password not in str(caught.value) and known_password not in repr(caught.value)
