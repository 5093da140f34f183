"""deploy/entrypoint.sh run directly on this machine, as the image runs it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """A production-like environment with nothing inherited from the developer's shell."""
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHON": sys.executable,
        "DJANGO_SETTINGS_MODULE": "mikman.settings.prod",
        "MIKMAN_DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "entrypoint-test-secret-key-0123456789abcdefghij",
        "MIKMAN_MASTER_KEY": "ZW50cnlwb2ludC10ZXN0LW1hc3Rlci1rZXktMzJieXQ=",
        # localhost: the health check's Host, as Compose and the chart configure it.
        "ALLOWED_HOSTS": "mikman.example.com,localhost",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }


def run(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(ENTRYPOINT), *args], env=env, capture_output=True, text=True, timeout=timeout)


def test_manage_check_runs_with_production_settings(env, tmp_path):
    # A checkout's own data/static is a real directory: the image's static link never replaces it.
    real = tmp_path / "data" / "static"
    real.mkdir(parents=True)
    (real / "keep.txt").write_text("mine")
    env["MIKMAN_STATIC_SOURCE"] = str(tmp_path)
    result = run(["manage", "check"], env)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert real.is_dir() and not real.is_symlink()
    assert (real / "keep.txt").read_text() == "mine"


def test_a_bad_setting_stops_manage_check(env):
    env["MIKMAN_MASTER_KEY"] = "not-base64-of-32-bytes"
    result = run(["manage", "check"], env)
    assert result.returncode != 0
    assert "MIKMAN_MASTER_KEY" in result.stderr


def test_unknown_command_prints_usage_and_exits_2(env):
    result = run(["frobnicate"], env)
    assert result.returncode == 2
    assert "unknown command: frobnicate" in result.stderr
    assert "usage: entrypoint.sh" in result.stderr
    assert not Path(env["MIKMAN_DATA_DIR"]).exists(), "nothing done before the command is known"


def test_no_command_prints_usage_and_exits_2(env):
    result = run([], env)
    assert result.returncode == 2
    assert "usage: entrypoint.sh" in result.stderr


def test_help_lists_every_command(env):
    result = run(["help"], env)
    assert result.returncode == 0
    for command in ("web", "worker", "beat", "radius", "migrate", "provision", "simulator", "manage", "probe"):
        assert f"\n  {command} " in result.stdout, command


def test_secret_files_are_read_and_the_app_role_is_the_default(env, tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("from-a-file-secret-key-0123456789abcdefghijklmnop\n")
    del env["SECRET_KEY"]
    env["SECRET_KEY_FILE"] = str(key_file)
    env["DATABASE_APP_URL"] = "postgresql://mikman_app:a@db.invalid:5432/mikman"
    env["DATABASE_OWNER_URL"] = "postgresql://mikman_owner:o@db.invalid:5432/mikman"
    show = "from django.conf import settings as s; print(s.SECRET_KEY, s.DATABASES['default']['USER'])"
    result = run(["manage", "shell", "-c", show], env)
    assert result.returncode == 0, result.stderr
    secret_key, user = result.stdout.strip().splitlines()[-1].split()
    # The trailing newline of the file is gone; every process but `migrate` is the app role.
    assert secret_key == "from-a-file-secret-key-0123456789abcdefghijklmnop"
    assert user == "mikman_app"


def test_a_secret_given_twice_is_refused(env, tmp_path):
    (tmp_path / "key").write_text("x")
    env["SECRET_KEY_FILE"] = str(tmp_path / "key")
    result = run(["manage", "check"], env)
    assert result.returncode == 2
    assert "both SECRET_KEY and SECRET_KEY_FILE" in result.stderr


def test_worker_requires_its_queues(env):
    result = run(["worker"], env)
    assert result.returncode != 0
    assert "MIKMAN_WORKER_QUEUES is required" in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_web_serves_healthz_through_gunicorn_and_the_healthcheck_passes(env, tmp_path):
    pytest.importorskip("gunicorn", reason="gunicorn is not in the requirements yet")
    port = free_port()
    env |= {"MIKMAN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"}
    # The image's collected static files stand in as a folder: the entrypoint links it.
    static = tmp_path / "image-static"
    static.mkdir()
    env["MIKMAN_STATIC_SOURCE"] = str(static)
    server = subprocess.Popen(
        [str(ENTRYPOINT), "web"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        healthcheck = [sys.executable, str(ROOT / "deploy" / "healthcheck.py")]
        deadline = time.monotonic() + 30
        while True:
            result = subprocess.run(healthcheck, env=env, capture_output=True, text=True)
            if result.returncode == 0 or time.monotonic() > deadline or server.poll() is not None:
                break
            time.sleep(0.3)
        if result.returncode != 0:
            server.terminate()
            pytest.fail(f"{result.stderr}\n{server.communicate(timeout=30)[0]}")
        assert (tmp_path / "data" / "static").resolve() == static.resolve()
        probe = subprocess.run([str(ENTRYPOINT), "probe", "web"], env=env, capture_output=True, text=True, timeout=30)
        assert probe.returncode == 0, probe.stderr
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    # gunicorn was PID of the exec'd entrypoint: SIGTERM reached it and it shut down cleanly.
    assert server.returncode == 0, output
    assert "Shutting down: Master" in output


def test_healthcheck_fails_when_nothing_listens(env):
    env["MIKMAN_BIND"] = f"127.0.0.1:{free_port()}"
    env["MIKMAN_PROBE_TIMEOUT"] = "2"
    result = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "healthcheck.py")], env=env, capture_output=True, text=True
    )
    assert result.returncode == 1


@pytest.mark.skipif(os.name != "posix", reason="POSIX shell script")
def test_entrypoint_is_executable():
    assert os.access(ENTRYPOINT, os.X_OK)


def test_worker_starts_on_its_queues_and_answers_the_probe(env):
    import secrets

    from mikman.dbconfig import redis_url

    # The Redis the test launcher prepared; a queue of its own, so no task of anyone else's runs.
    env |= {
        "REDIS_URL": redis_url(),
        "MIKMAN_WORKER_QUEUES": f"deploytest-{secrets.token_hex(4)},deploytest-b",
        "MIKMAN_WORKER_CONCURRENCY": "1",
        "MIKMAN_PROBE_TIMEOUT": "5",
    }
    worker = subprocess.Popen(
        [str(ENTRYPOINT), "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    try:
        # Celery logs "<node> ready." once it consumes; probe then (each probe is a new process).
        for line in worker.stdout:
            lines.append(line)
            if line.rstrip().endswith("ready."):
                break
        probe = subprocess.run(
            [str(ENTRYPOINT), "probe", "worker"], env=env, capture_output=True, text=True, timeout=60
        )
        assert probe.returncode == 0, probe.stdout + probe.stderr + "".join(lines)
        assert "pong" in probe.stdout
    finally:
        worker.terminate()
        rest, _ = worker.communicate(timeout=60)
    output = "".join(lines) + rest
    assert env["MIKMAN_WORKER_QUEUES"].split(",")[0] in output
    assert worker.returncode == 0, output


@pytest.mark.parametrize(
    ("args", "extra_env", "expected", "role"),
    [
        (["web"], {}, ["-m", "gunicorn", "--config", "{app}/deploy/gunicorn.conf.py", "mikman.wsgi:application"], None),
        (
            ["worker"],
            {"MIKMAN_WORKER_QUEUES": "jobs,celery", "MIKMAN_WORKER_CONCURRENCY": "3", "HOSTNAME": "pod-1"},
            [
                "-m",
                "celery",
                "-A",
                "mikman",
                "worker",
                "--loglevel",
                "INFO",
                "--queues",
                "jobs,celery",
                "--hostname",
                "jobs-celery@pod-1",
                "--concurrency",
                "3",
            ],
            None,
        ),
        (
            ["beat"],
            {},
            ["-m", "celery", "-A", "mikman", "beat", "--loglevel", "INFO", "--schedule", "{data}/celerybeat-schedule"],
            None,
        ),
        (["radius"], {}, ["{app}/manage.py", "radius_server"], None),
        (["migrate"], {}, ["{app}/manage.py", "migrate", "--noinput"], "owner"),
        (["provision"], {}, ["-m", "mikman.launcher", "prepare"], None),
        (["simulator", "--count", "5"], {}, ["-m", "devices.simulator", "--count", "5"], None),
        (["manage", "createsuperuser", "--noinput"], {}, ["{app}/manage.py", "createsuperuser", "--noinput"], None),
    ],
    ids=["web", "worker", "beat", "radius", "migrate", "provision", "simulator", "manage"],
)
def test_each_command_execs_the_right_process(env, tmp_path, args, extra_env, expected, role):
    """PYTHON points at a stand-in that records how it was called instead of running anything.
    Only `migrate` connects as the owner role; everything else as the app role."""
    record = tmp_path / "argv.json"
    fake = tmp_path / "fake-python"
    fake.write_text(
        f"#!{sys.executable} -IS\n"
        "import json, os, sys\n"
        f"open({str(record)!r}, 'w').write(json.dumps({{'argv': sys.argv[1:], "
        "'role': os.environ.get('MIKMAN_DB_ROLE')}))\n"
    )
    fake.chmod(0o755)
    env |= {"PYTHON": str(fake), **extra_env}
    result = run(args, env)
    assert result.returncode == 0, result.stderr
    called = json.loads(record.read_text())
    paths = {"{app}": str(ROOT), "{data}": env["MIKMAN_DATA_DIR"]}
    for placeholder, value in paths.items():
        expected = [part.replace(placeholder, value) for part in expected]
    assert called["argv"] == expected
    assert called["role"] == role
