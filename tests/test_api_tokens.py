"""Personal API tokens: hashed at rest, shown once, expiring, revocable, mine only."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tenants.models import APIToken
from tenants.models.user import hash_token
from tests.factories import api_client, make_token, make_user, token_client

pytestmark = pytest.mark.django_db


def test_created_token_is_shown_once_and_works():
    alice = make_user("alice")
    response = api_client(alice).post("/api/v1/tokens/", {"name": "ci"}, format="json")
    assert response.status_code == 201, response.content
    raw = response.json()["key"]
    assert raw.startswith("mkm_")
    assert token_client(raw).get("/api/v1/me/").json()["username"] == "alice"
    listing = api_client(alice).get("/api/v1/tokens/").content.decode()
    detail = api_client(alice).get(f"/api/v1/tokens/{response.json()['id']}/").content.decode()
    assert raw not in listing and raw not in detail
    assert '"key"' not in listing


def test_token_is_stored_only_as_its_sha256():
    raw = make_token(make_user("alice"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT key_hash, key_prefix FROM tenants_apitoken")
        key_hash, prefix = cursor.fetchone()
    assert key_hash == hash_token(raw) and raw not in key_hash
    assert raw.startswith(prefix) and len(prefix) < len(raw) // 3


def test_expired_token_is_refused():
    raw = make_token(make_user("alice"))
    APIToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = token_client(raw).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_revoked_token_is_refused():
    alice = make_user("alice")
    raw = make_token(alice)
    token = APIToken.objects.get()
    assert token_client(raw).delete(f"/api/v1/tokens/{token.id}/").status_code == 204
    token.refresh_from_db()
    assert token.revoked is not None, "revocation keeps the row for the record"
    assert token_client(raw).get("/api/v1/me/").status_code == 401


def test_token_of_deactivated_user_is_refused():
    alice = make_user("alice")
    raw = make_token(alice)
    alice.is_active = False
    alice.save()
    assert token_client(raw).get("/api/v1/me/").status_code == 401


def test_unknown_and_malformed_tokens_are_401_not_500():
    for header in ("Bearer mkm_nope", "Bearer ", "Bearer \u00e9\u00e9", "Bearer " + "x" * 5000):
        client = token_client("")
        client.credentials(HTTP_AUTHORIZATION=header)
        assert client.get("/api/v1/me/").status_code == 401, header


def test_i_cannot_see_or_revoke_someone_elses_token():
    alice, bob = make_user("alice"), make_user("bob")
    make_token(bob, "bob's")
    bob_token = APIToken.objects.get(user=bob)
    client = api_client(alice)
    assert client.get("/api/v1/tokens/").json()["results"] == []
    assert client.get(f"/api/v1/tokens/{bob_token.id}/").status_code == 404
    assert client.delete(f"/api/v1/tokens/{bob_token.id}/").status_code == 404
    bob_token.refresh_from_db()
    assert bob_token.revoked is None


@pytest.mark.parametrize(
    "expires,field_error",
    [
        (lambda: (timezone.now() - timedelta(days=1)).isoformat(), True),
        (lambda: (timezone.now() + timedelta(days=400)).isoformat(), True),
        (lambda: "not a date", True),
        (lambda: (timezone.now() + timedelta(days=7)).isoformat(), False),
    ],
)
def test_expiry_is_validated(expires, field_error):
    response = api_client(make_user("alice")).post(
        "/api/v1/tokens/", {"name": "t", "expires": expires()}, format="json"
    )
    if field_error:
        assert response.status_code == 400
        assert "expires" in response.json()["error"]["fields"]
    else:
        assert response.status_code == 201


def test_default_expiry_is_the_configured_number_of_days(settings):
    response = api_client(make_user("alice")).post("/api/v1/tokens/", {"name": "t"}, format="json")
    token = APIToken.objects.get(id=response.json()["id"])
    expected = timezone.now() + timedelta(days=settings.API_TOKEN_DEFAULT_DAYS)
    assert abs((token.expires - expected).total_seconds()) < 60


def test_active_filter():
    alice = make_user("alice")
    make_token(alice, "live")
    make_token(alice, "dead")
    APIToken.objects.filter(name="dead").update(revoked=timezone.now())
    client = api_client(alice)
    assert [t["name"] for t in client.get("/api/v1/tokens/?active=true").json()["results"]] == ["live"]
    assert [t["name"] for t in client.get("/api/v1/tokens/?active=false").json()["results"]] == ["dead"]


def test_expiry_with_an_offset_postgresql_cannot_store_is_accepted_in_utc():
    expires = (timezone.now() + timedelta(days=3)).astimezone(timezone.get_fixed_timezone(-(19 * 60 + 46)))
    response = api_client(make_user("alice")).post(
        "/api/v1/tokens/", {"name": "t", "expires": expires.isoformat()}, format="json"
    )
    assert response.status_code == 201, response.content
    assert abs((APIToken.objects.get().expires - expires).total_seconds()) < 1
