"""The shared cast (tests/conftest.py `world`) and a side connection as the schema owner."""

import psycopg
import pytest
from django.conf import settings

from tests.conftest import world  # noqa: F401 - the shared fixture, re-exported for audit's tests


@pytest.fixture
def owner_db():
    """A connection as the owner role (settings.DB_OWNER), outside the test's transaction."""
    with psycopg.connect(**settings.DB_OWNER.connect_kwargs()) as conn:
        yield conn
