"""Test bootstrap: the database is prepared (fresh, migrated as the owner) by `make test`."""

import pytest


@pytest.fixture(scope="session")
def django_db_setup():
    """The launcher created and migrated `<name>_test`; the suite connects as the app role."""
    return None
