"""The shared cast (tests/conftest.py `world`: acme with admin alice, operator bob, viewer carol,
site-scoped viewer dave; globex with admin erin) for the User Manager's tests."""

from tests.conftest import world  # noqa: F401
