"""deploy/docker-compose.yml and deploy/.env.example, checked offline (Docker cannot run here)."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from mikman.dbconfig import parse_pg_url

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
RADSEC = DEPLOY / "docker-compose.radsec.yml"  # opt-in override: RadSec on the radius service
ENV_EXAMPLE = DEPLOY / ".env.example"
MIKMAN_SERVICES = {"migrate", "web", "worker-poll", "worker-jobs", "worker-alerts", "beat", "radius"}
# $$ is an escaped dollar; ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, $NAME.
VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value
    return values


def strings(node) -> list[str]:
    """Every string of the parsed file (keys and values): comments are not interpolated."""
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in strings(key) + strings(value)]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return [node] if isinstance(node, str) else []


def used_variables(text: str) -> set[str]:
    found = set()
    for value in strings(yaml.safe_load(text)):
        found |= {m.group(1) or m.group(4) for m in VARIABLE.finditer(value) if m.group(0) != "$$"}
    return found


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's interpolation rules, enough for this file."""

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(4)
        op, arg = match.group(2), match.group(3)
        value = env.get(name)
        if op in (":?", "?") and (value is None or (op == ":?" and value == "")):
            raise ValueError(arg)
        if op == ":-" and not value:
            return arg
        if op == "-" and value is None:
            return arg
        return value or ""

    return VARIABLE.sub(replace, text)


@pytest.fixture(scope="module")
def generated_env(tmp_path_factory) -> dict[str, str]:
    """deploy/make-env.sh's output, as an operator's first step produces it."""
    target = tmp_path_factory.mktemp("env") / ".env"
    subprocess.run([str(DEPLOY / "make-env.sh"), str(target)], check=True, capture_output=True)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    return {
        name: value
        for name, _, value in (line.partition("=") for line in target.read_text().splitlines())
        if name and not name.startswith("#")
    }


def all_used_variables() -> set[str]:
    return used_variables(COMPOSE.read_text()) | used_variables(RADSEC.read_text())


def test_every_variable_used_is_in_env_example():
    assert all_used_variables() - set(env_example()) == set()


def test_env_example_documents_every_variable_and_has_no_unused_one():
    lines = ENV_EXAMPLE.read_text().splitlines()
    for number, line in enumerate(lines):
        if line and not line.startswith("#"):
            assert lines[number - 1].startswith("#"), f"no comment above {line!r}"
    assert set(env_example()) - all_used_variables() == set()


def test_env_example_holds_no_secret():
    values = env_example()
    for name in ("SECRET_KEY", "MIKMAN_MASTER_KEY", "POSTGRES_PASSWORD", "DB_OWNER_PASSWORD", "DB_APP_PASSWORD"):
        assert values[name] == "", name
    assert values["REDIS_PASSWORD"] == ""


def test_secrets_are_required_not_defaulted():
    text = COMPOSE.read_text()
    for name in ("SECRET_KEY", "MIKMAN_MASTER_KEY", "POSTGRES_PASSWORD", "DB_OWNER_PASSWORD", "DB_APP_PASSWORD"):
        assert re.search(r"\$\{" + name + r":\?", text), name
        assert not re.search(r"\$\{" + name + r":-", text), name
    with pytest.raises(ValueError, match="is not set"):
        interpolate(text, env_example())


def test_references_are_defined(compose):
    services, volumes, networks = compose["services"], compose["volumes"], compose["networks"]
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, (name, dependency)
            assert dependency != name
        for network in service.get("networks", []):
            assert network in networks, (name, network)
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0]
            if source.startswith((".", "/")):
                assert (DEPLOY / source).exists(), (name, source)
            else:
                assert source in volumes, (name, source)
        for condition in service.get("depends_on", {}).values():
            assert condition["condition"] in {"service_started", "service_healthy", "service_completed_successfully"}
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            if condition["condition"] == "service_healthy":
                assert "test" in services[dependency].get("healthcheck", {}), (name, dependency)


def test_one_shot_steps_run_before_the_platform(compose):
    services = compose["services"]
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["restart"] == "no"
    assert services["openbao-init"]["restart"] == "no"
    for name in MIKMAN_SERVICES - {"migrate"}:
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["openbao-init"]["condition"] == "service_completed_successfully", name
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}


def test_images_are_pinned_and_services_are_hardened(compose):
    services = compose["services"]
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    for name, service in services.items():
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), name
    for name in MIKMAN_SERVICES:
        service = services[name]
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert "mikman-data:/var/lib/mikman" in service["volumes"], name
        assert service["environment"]["DJANGO_SETTINGS_MODULE"] == "mikman.settings.prod"


def test_workers_one_service_per_queue_and_a_single_beat(compose):
    services = compose["services"]
    queues = {
        name: services[name]["environment"]["MIKMAN_WORKER_QUEUES"] for name in services if name.startswith("worker-")
    }
    assert queues == {"worker-poll": "poll", "worker-jobs": "jobs,celery", "worker-alerts": "alerts"}
    assert services["beat"]["command"] == ["beat"]
    assert "deploy" not in services["beat"] and "scale" not in services["beat"]


def test_web_is_behind_the_tls_proxy_only(compose):
    services = compose["services"]
    assert "ports" not in services["web"]
    assert services["web"]["healthcheck"]["test"][-1].endswith("healthcheck.py")
    caddy = services["caddy"]
    assert {p.rsplit(":", 1)[-1] for p in caddy["ports"]} == {"80", "443", "443/udp"}
    assert set(caddy["networks"]) & set(services["web"]["networks"])
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    assert "reverse_proxy web:8000" in caddyfile
    assert "tls {$CADDY_TLS}" in caddyfile


def test_backend_network_is_internal_and_only_workers_and_radius_reach_out(compose):
    assert compose["networks"]["backend"]["internal"] is True
    reaching_out = {n for n, s in compose["services"].items() if "egress" in s.get("networks", [])}
    assert reaching_out == {"worker-poll", "worker-jobs", "worker-alerts", "radius"}
    for name in ("postgres", "redis", "openbao", "openbao-init", "migrate", "beat"):
        assert compose["services"][name]["networks"] == ["backend"], name


def test_radius_is_an_opt_in_profile_publishing_udp(compose):
    radius = compose["services"]["radius"]
    assert radius["profiles"] == ["radius"]
    assert radius["command"] == ["radius"]
    assert sorted(p.rsplit(":", 1)[-1] for p in radius["ports"]) == ["1812/udp", "1813/udp"]
    # RadSec is off by default: no TCP port, no certificate mount, no MIKMAN_RADSEC_* in the base file
    assert not [s for s in strings(compose) if "RADSEC" in s.upper()]


def test_radsec_override_publishes_tcp_2083_mounts_the_files_read_only_and_sets_the_env(compose):
    override = yaml.safe_load(RADSEC.read_text())
    assert set(override["services"]) == {"radius"}  # touches nothing else
    radius = override["services"]["radius"]
    assert [p.rsplit(":", 1)[-1] for p in radius["ports"]] == ["2083/tcp"]
    assert interpolate(radius["ports"][0], {}) == "2083:2083/tcp"
    (mount,) = radius["volumes"]
    source, target, mode = interpolate(mount, env_example()).split(":")
    assert (source, target, mode) == ("./radsec", "/etc/mikman/radsec", "ro")
    env = radius["environment"]
    assert env["MIKMAN_RADSEC_PORT"] == "2083"
    for name, file in (("CERT", "server.crt"), ("KEY", "server.key"), ("CA", "ca.crt")):
        assert env[f"MIKMAN_RADSEC_{name}"] == f"{target}/{file}"
    assert (DEPLOY / "radsec" / "README.md").is_file()  # the default folder exists in a checkout


def test_openbao_data_and_secrets_persist_in_volumes(compose):
    services = compose["services"]
    assert "openbao-data:/openbao/file" in services["openbao"]["volumes"]
    init_volumes = services["openbao-init"]["volumes"]
    assert "openbao-keys:/openbao/keys" in init_volumes
    assert "openbao-approle:/openbao/approle" in init_volumes
    # The app sees the AppRole read-only, and never the unseal key or root token.
    for name in MIKMAN_SERVICES:
        mounts = services[name]["volumes"]
        assert "openbao-approle:/run/openbao:ro" in mounts
        assert not [m for m in mounts if m.startswith("openbao-keys")]
    config = (DEPLOY / "openbao" / "openbao.hcl").read_text()
    assert 'path    = "/openbao/file"' in config
    policy = (DEPLOY / "openbao-init.sh").read_text()
    paths = re.findall(r'^path "([^"]+)"', policy, re.MULTILINE)
    assert paths and all(re.fullmatch(r"\$\{mount\}/[a-z/]+mikman-tenant-\*(/[a-z]+)?", p) for p in paths), paths


def test_postgres_init_script_is_mounted_and_executable(compose):
    mounts = compose["services"]["postgres"]["volumes"]
    assert "./postgres/10-mikman-roles.sh:/docker-entrypoint-initdb.d/10-mikman-roles.sh:ro" in mounts
    for script in ("postgres/10-mikman-roles.sh", "openbao-init.sh", "entrypoint.sh", "make-env.sh"):
        assert os.access(DEPLOY / script, os.X_OK), script


def test_interpolated_urls_connect_as_the_two_roles(compose, generated_env):
    resolved = yaml.safe_load(interpolate(COMPOSE.read_text(), generated_env))
    env = resolved["services"]["web"]["environment"]
    app, owner = parse_pg_url(env["DATABASE_APP_URL"]), parse_pg_url(env["DATABASE_OWNER_URL"])
    assert (app.user, app.host, app.port, app.name) == ("mikman_app", "postgres", 5432, "mikman")
    assert (owner.user, owner.name) == ("mikman_owner", "mikman")
    assert app.password == generated_env["DB_APP_PASSWORD"]
    assert env["REDIS_URL"] == f"redis://:{generated_env['REDIS_PASSWORD']}@redis:6379/0"
    assert env["ALLOWED_HOSTS"] == "mikman.example.com,localhost"
    # The worker environments are the shared one plus their queue.
    worker = resolved["services"]["worker-poll"]["environment"]
    assert worker["DATABASE_APP_URL"] == env["DATABASE_APP_URL"]
    assert worker["MIKMAN_WORKER_QUEUES"] == "poll"


def test_make_env_fills_every_secret_and_never_overwrites(generated_env, tmp_path):
    import base64

    for name in ("SECRET_KEY", "POSTGRES_PASSWORD", "DB_OWNER_PASSWORD", "DB_APP_PASSWORD", "REDIS_PASSWORD"):
        assert re.fullmatch(r"[0-9a-f]{48,}", generated_env[name]), name
    assert len(base64.b64decode(generated_env["MIKMAN_MASTER_KEY"], validate=True)) == 32
    assert len({generated_env[n] for n in ("DB_OWNER_PASSWORD", "DB_APP_PASSWORD", "REDIS_PASSWORD")}) == 3
    existing = tmp_path / ".env"
    existing.write_text("keep me\n")
    result = subprocess.run([str(DEPLOY / "make-env.sh"), str(existing)], capture_output=True, text=True)
    assert result.returncode == 1
    assert existing.read_text() == "keep me\n"


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="no docker-compose binary on PATH")
def test_docker_compose_config_accepts_the_file(tmp_path):
    env_file = tmp_path / ".env"
    subprocess.run([str(DEPLOY / "make-env.sh"), str(env_file)], check=True, capture_output=True)
    for extra in ([], ["--profile", "radius"], ["-f", str(RADSEC), "--profile", "radius"]):
        subprocess.run(
            ["docker-compose", "-f", str(COMPOSE), *extra, "--env-file", str(env_file), "config", "-q"],
            check=True,
        )
