"""The tenancy and auth endpoints are in the OpenAPI schema with their real request/response types."""

import json

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/?format=json", HTTP_HOST="localhost")
    assert response.status_code == 200
    return json.loads(response.content)


def ref(operation, status="200"):
    content = operation["responses"][status]["content"]["application/json"]["schema"]
    return content.get("$ref", "").rsplit("/", 1)[-1]


def test_every_auth_endpoint_is_documented(schema):
    paths = schema["paths"]
    expected = {
        "/api/v1/auth/token/": {"post"},
        "/api/v1/me/": {"get"},
        "/api/v1/me/2fa/": {"get"},
        "/api/v1/me/2fa/enrol/": {"post"},
        "/api/v1/me/2fa/confirm/": {"post"},
        "/api/v1/me/2fa/disable/": {"post"},
        "/api/v1/me/2fa/backup-codes/": {"post"},
        "/api/v1/tokens/": {"get", "post"},
        "/api/v1/tokens/{id}/": {"get", "delete"},
        "/api/v1/users/": {"get", "post"},
        "/api/v1/users/{id}/": {"get", "put", "patch"},
        "/api/v1/users/{id}/reset-2fa/": {"post"},
        "/api/v1/tenants/": {"get", "post"},
        "/api/v1/tenants/{slug}/": {"get", "put", "patch"},
        "/api/v1/tenants/{tenant}/members/": {"get", "post"},
        "/api/v1/tenants/{tenant}/members/{id}/": {"get", "put", "patch", "delete"},
        "/api/v1/platform/security/": {"get", "put"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))


def test_secrets_shown_once_are_in_the_creation_responses_only(schema):
    paths, components = schema["paths"], schema["components"]["schemas"]
    assert ref(paths["/api/v1/tokens/"]["post"], "201") == "NewAPIToken"
    assert "key" in components["NewAPIToken"]["properties"]
    assert "key" not in components["APIToken"]["properties"]
    assert ref(paths["/api/v1/users/"]["post"], "201") == "NewUser"
    assert "password" not in components["User"]["properties"]
    assert ref(paths["/api/v1/tenants/{tenant}/members/"]["post"], "201") == "NewMember"
    assert ref(paths["/api/v1/me/2fa/confirm/"]["post"]) == "BackupCodes"


def test_requests_are_typed(schema):
    paths = schema["paths"]
    body = paths["/api/v1/tenants/{tenant}/members/"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/MemberCreateRequest")
    body = paths["/api/v1/auth/token/"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/ObtainTokenRequest")
    # Signing in needs no credentials: no security requirement, and none inherited globally.
    assert paths["/api/v1/auth/token/"]["post"].get("security", []) in ([], [{}])
    assert "security" not in schema


def test_bearer_scheme_is_declared_and_used(schema):
    scheme = schema["components"]["securitySchemes"]["BearerToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert {"BearerToken": []} in schema["paths"]["/api/v1/tokens/"]["get"]["security"]
