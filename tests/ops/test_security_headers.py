"""Production settings pass `check --deploy`; the CSP is on every page and the pages still render."""

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def prod_env(tmp_path) -> dict:
    """The variables a production deployment must set (deploy/.env.example), nothing from this run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "MIKMAN_", "REDIS_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="mikman.settings.prod",
        MIKMAN_DATA_DIR=str(tmp_path / "data"),
        SECRET_KEY=base64.urlsafe_b64encode(os.urandom(48)).decode(),
        MIKMAN_MASTER_KEY=base64.b64encode(os.urandom(32)).decode(),
        ALLOWED_HOSTS="mikman.example.com",
        CSRF_TRUSTED_ORIGINS="https://mikman.example.com",
        DATABASE_APP_URL="postgresql://mikman_app:app-pass@db.invalid:5432/mikman",
        DATABASE_OWNER_URL="postgresql://mikman_owner:owner-pass@db.invalid:5432/mikman",
        REDIS_URL="redis://redis.invalid:6379/0",
    )
    return env


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=prod_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_cannot_run_with_debug(tmp_path):
    env = prod_env(tmp_path) | {"DJANGO_DEBUG": "true"}
    assert settings_seen(env) == ["False", "True"]
    # behind a proxy that redirects itself, the redirect can be switched off
    env["SECURE_SSL_REDIRECT"] = "false"
    assert settings_seen(env) == ["False", "False"]


def settings_seen(env: dict) -> list[str]:
    """DEBUG and SECURE_SSL_REDIRECT as a fresh process with these variables sees them."""
    code = "import django; django.setup(); from django.conf import settings as s; print(s.DEBUG, s.SECURE_SSL_REDIRECT)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=99)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[-2:]


def csp(response) -> dict:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
def test_login_page_renders_under_a_strict_csp(client):
    response = client.get("/login/")
    assert response.status_code == 200
    policy = csp(response)
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    html = response.content.decode()
    assert "<form" in html and "<script>" not in html and "style=" not in html


@pytest.mark.django_db
def test_tenant_pages_render_under_the_csp_without_inline_code(client, world):
    client.force_login(world.users.alice)
    for path in ("/t/acme/", "/t/acme/devices/", "/t/acme/sites/", "/t/acme/audit/"):
        response = client.get(path, follow=True)
        assert response.status_code == 200, path
        assert "Content-Security-Policy" in response, path
        html = response.content.decode()
        assert "<script>" not in html and "<style" not in html and " style=" not in html, path


@pytest.mark.django_db
def test_api_docs_pages_load_their_code_from_urls(client, world):
    client.force_login(world.users.alice)
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "<script>" not in docs.content.decode() and "<style>" not in docs.content.decode()
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.content
    redoc = client.get("/api/redoc/")
    assert redoc.status_code == 200 and "<script>" not in redoc.content.decode()
    assert "'unsafe-inline'" in csp(redoc)["style-src"] and "'unsafe-inline'" not in csp(redoc)["script-src"]
