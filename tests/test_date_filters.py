"""Every list filter that takes a time accepts any ISO 8601 offset.

PostgreSQL rejects offsets beyond ±15:59 that Python parses happily; the filters convert to UTC
first (audit.filtersets.UTCDateTimeFilter), so such a query is answered, never a 500.
"""

import pytest

from tests.factories import api_client

pytestmark = pytest.mark.django_db

ODD_OFFSET = "1586-06-22T11:45:45-20:53"


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/api/v1/tenants/acme/jobs/", "created_after"),
        ("/api/v1/tenants/acme/backups/", "since"),
        ("/api/v1/tenants/acme/device-events/", "since"),
        ("/api/v1/tenants/acme/radius/logs/", "since"),
        ("/api/v1/tenants/acme/audit/", "since"),
    ],
)
def test_time_filters_accept_any_iso_offset(world, path, param):
    response = api_client(world.users.alice).get(path, {param: ODD_OFFSET})
    assert response.status_code == 200, response.content
