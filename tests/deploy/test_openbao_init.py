"""deploy/openbao-init.sh against a stand-in `bao` CLI that keeps the server's state in a file:
first run initialises, unseals and configures; later runs only unseal; nothing is redone."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "openbao-init.sh"

# Answers like `bao` does (text output, exit codes 0/1/2); records every call and stdin.
FAKE_BAO = """\
import json, sys
from pathlib import Path

state_file = Path(__file__).with_name("state.json")
state = json.loads(state_file.read_text())
args = sys.argv[1:]
state["calls"].append(args)
if args[-1:] == ["-"]:
    state["stdin"].append(sys.stdin.read())

def done(code=0, out=""):
    state_file.write_text(json.dumps(state))
    if out:
        print(out)
    sys.exit(code)

if args == ["status"]:
    done(0 if state["initialized"] and not state["sealed"] else 2,
         f"Initialized    {str(state['initialized']).lower()}\\nSealed         {str(state['sealed']).lower()}")
if args[:3] == ["operator", "init", "-status"]:
    done(0 if state["initialized"] else 2)
if args[:2] == ["operator", "init"]:
    state["initialized"] = True
    done(0, "Unseal Key 1: unseal-key-abc\\n\\nInitial Root Token: s.root-token-xyz\\n\\nVault initialized")
if args[:2] == ["operator", "unseal"]:
    if args[2] != "unseal-key-abc":
        done(2, "bad key")
    state["sealed"] = False
    done(0)
if args[:2] == ["secrets", "list"]:
    done(0, "Path  Type\\n----  ----\\n" + "".join(f"{m}/  transit\\n" for m in state["mounts"]))
if args[:2] == ["secrets", "enable"]:
    state["mounts"].append(args[2].split("=", 1)[1])
    done(0)
if args[:2] == ["auth", "list"]:
    done(0, "Path  Type\\n" + "".join(f"{a}/  {a}\\n" for a in state["auths"]))
if args[:2] == ["auth", "enable"]:
    state["auths"].append(args[2])
    done(0)
if args[:2] == ["policy", "write"]:
    done(0)
if args[0] == "read" and "-field=role_id" in args:
    print("role-id-123", end="")
    done(0)
if args[0] == "write" and "-field=secret_id" in args:
    state["secret_ids"] += 1
    print(f"secret-id-{state['secret_ids']}", end="")
    done(0)
if args[0] == "write":
    done(0)
done(1, f"unexpected: {args}")
"""


def policy_paths(policy: str) -> dict[str, list[str]]:
    """{path: capabilities} of an HCL policy."""
    found = re.findall(r'path "([^"]+)"\s*\{\s*capabilities = \[([^]]*)\]', policy)
    return {path: re.findall(r'"([a-z]+)"', capabilities) for path, capabilities in found}


def keyring_policy() -> dict[str, list[str]]:
    """The policy the keyring's Vault backend documents it needs (its module docstring)."""
    import devices.keyring.backends.vault as vault

    return policy_paths(vault.__doc__.replace("<mount>", "mikman-transit"))


KEYRING_POLICY = keyring_policy()


@pytest.fixture
def bao(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "bao"
    # -IS: isolated, no site-packages, a fast start (the script calls `bao` a dozen times).
    fake.write_text(f"#!{sys.executable} -IS\n{FAKE_BAO}")
    fake.chmod(0o755)
    state = bin_dir / "state.json"
    state.write_text(
        json.dumps(
            {"initialized": False, "sealed": True, "mounts": [], "auths": [], "secret_ids": 0, "calls": [], "stdin": []}
        )
    )

    def run() -> tuple[subprocess.CompletedProcess, dict]:
        env = {
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "OPENBAO_KEYS_DIR": str(tmp_path / "keys"),
            "OPENBAO_APPROLE_DIR": str(tmp_path / "approle"),
            "VAULT_TRANSIT_MOUNT": "mikman-transit",
            "MIKMAN_UID": str(os.getuid()),
        }
        result = subprocess.run(["sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
        return result, json.loads(state.read_text())

    def restart() -> None:
        """The openbao container restarted: sealed again, state kept."""
        current = json.loads(state.read_text())
        current |= {"sealed": True, "calls": [], "stdin": []}
        state.write_text(json.dumps(current))

    run.restart = restart
    return run


def test_first_run_initialises_unseals_and_configures(bao, tmp_path):
    result, state = bao()
    assert result.returncode == 0, result.stdout + result.stderr
    assert state["initialized"] and not state["sealed"]
    keys = tmp_path / "keys"
    assert (keys / "unseal-key").read_text().strip() == "unseal-key-abc"
    assert (keys / "root-token").read_text().strip() == "s.root-token-xyz"
    assert not (keys / "init.txt").exists()
    for secret in (keys / "unseal-key", keys / "root-token"):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert state["mounts"] == ["mikman-transit"]
    assert state["auths"] == ["approle"]
    approle = tmp_path / "approle"
    assert (approle / "role-id").read_text() == "role-id-123"
    assert (approle / "secret-id").read_text() == "secret-id-1"
    assert stat.S_IMODE((approle / "secret-id").stat().st_mode) == 0o400
    (policy,) = state["stdin"]
    assert policy_paths(policy) == KEYRING_POLICY
    assert "sudo" not in policy and "root" not in policy
    role = next(c for c in state["calls"] if c[:2] == ["write", "auth/approle/role/mikman"])
    assert "token_policies=mikman" in role


def test_after_a_restart_it_only_unseals(bao, tmp_path):
    bao()
    bao.restart()
    result, state = bao()
    assert result.returncode == 0, result.stdout + result.stderr
    assert not state["sealed"]
    assert not [c for c in state["calls"] if c[:2] == ["operator", "init"] and "-status" not in c]
    assert ["secrets", "enable", "-path=mikman-transit", "transit"] not in state["calls"]
    assert state["secret_ids"] == 1, "the AppRole secret-id is not reissued"
    assert (tmp_path / "approle" / "secret-id").read_text() == "secret-id-1"


def test_without_the_root_token_it_unseals_and_leaves_configuration_alone(bao, tmp_path):
    bao()
    (tmp_path / "keys" / "root-token").unlink()  # moved off the host, as the README says
    bao.restart()
    result, state = bao()
    assert result.returncode == 0, result.stdout + result.stderr
    assert not state["sealed"]
    assert "configuration left as it is" in result.stdout
    assert not [c for c in state["calls"] if c[0] in ("policy", "write", "secrets")]


def test_sealed_without_the_unseal_key_fails_with_instructions(bao, tmp_path):
    bao()
    (tmp_path / "keys" / "unseal-key").unlink()
    bao.restart()
    result, state = bao()
    assert result.returncode == 1
    assert "unseal it by hand" in result.stdout
    assert state["sealed"]
