"""Schemathesis against the live OpenAPI schema, in-process (WSGI), as every role.

For every operation and every role (tokens of alice/bob/carol/dave/root): no 5xx, and every
documented response matches its schema. Tenant path parameters point at the cast's tenant so the
requests reach real code instead of stopping at a 404. Bounded: a few examples per operation.
"""

from __future__ import annotations

import contextlib
import json

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.factories import make_token

ROLES = ["alice", "bob", "carol", "dave", "root"]


@contextlib.contextmanager
def keep_test_connection():
    """Like Django's test client: the request cycle must not close the test's connection (and
    with it the transaction that isolates the test)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def generated_schema() -> dict:
    """What /api/schema/ serves, generated without a request: serving it opens a transaction
    (ATOMIC_REQUESTS) and the database is off-limits while pytest collects.
    `test_served_schema_is_the_one_tested` proves the two are the same document."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


SCHEMA_DICT = generated_schema()
schema = schemathesis.openapi.from_dict(SCHEMA_DICT)
schema.app = get_wsgi_application()


@pytest.mark.django_db
def test_served_schema_is_the_one_tested(client):
    response = client.get("/api/schema/?format=json", HTTP_HOST="localhost")
    assert response.status_code == 200
    assert json.loads(response.content) == SCHEMA_DICT


@pytest.fixture
def tokens(world):
    with keep_test_connection():
        yield {name: make_token(getattr(world.users, name), f"schemathesis-{name}") for name in ROLES}


@schema.parametrize()
@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    database=None,  # no .hypothesis/ example store in the checkout
    phases=[Phase.generate],  # no explicit phase: schemathesis seeds it with dozens of cases per operation
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_api_conforms_to_its_schema_for_every_role(case, tokens):
    if "tenant" in (case.path_parameters or {}):
        case.path_parameters["tenant"] = "acme"
    for name in ROLES:
        case.call_and_validate(
            headers={"Authorization": f"Bearer {tokens[name]}"},
            checks=[not_a_server_error, response_schema_conformance],
        )
