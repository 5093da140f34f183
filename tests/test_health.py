import pytest
from django.core.management import call_command
from django.test import override_settings


def test_healthz_is_alive(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_and_redis(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


@pytest.mark.django_db
def test_readyz_reports_unreachable_redis(client, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("error")


def test_malformed_master_key_is_a_clear_error():
    from django.core.management.base import SystemCheckError

    with override_settings(MIKMAN_MASTER_KEY="not-base64!"), pytest.raises(SystemCheckError, match="MIKMAN_MASTER_KEY"):
        call_command("check")
