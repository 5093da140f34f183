"""Optional per-tenant git mirror of config versions: data/backups-git/<tenant-slug>/.

Why the plain `git` CLI (subprocess) and not dulwich: git is on every machine that wants a git
mirror (the people asking for it browse it with git), it adds no Python dependency, and a
commit per new version is rare (only changed configs), so process start-up cost does not matter.

One file per device (`<device name>.rsc`, the normalised export) and one commit per batch of new
versions. Sensitive versions are never mirrored: they would sit on disk in plain text.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from pathlib import Path

from django.conf import settings

_lock = threading.Lock()  # one writer per process; git's own index.lock guards across processes
SAFE_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")


class MirrorError(Exception):
    pass


def mirror_root() -> Path:
    return Path(getattr(settings, "BACKUP_GIT_DIR", "") or Path(settings.DATA_DIR) / "backups-git")


def repo_path(tenant_slug: str) -> Path:
    return mirror_root() / SAFE_NAME_RE.sub("_", tenant_slug)


def file_name(device_name: str) -> str:
    return SAFE_NAME_RE.sub("_", device_name).strip("._") + ".rsc"


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "mikman",
        "GIT_AUTHOR_EMAIL": "mikman@localhost",
        "GIT_COMMITTER_NAME": "mikman",
        "GIT_COMMITTER_EMAIL": "mikman@localhost",
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(repo),
    }
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, timeout=60)
    if done.returncode != 0:
        raise MirrorError(f"git {args[0]} failed: {done.stderr.strip()[:300]}")
    return done.stdout


def commit_versions(tenant_slug: str, items: list) -> str | None:
    """Write each (backup, text) to its device's file and commit; returns the commit id or None
    when nothing changed on disk."""
    repo = repo_path(tenant_slug)
    with _lock:
        if not (repo / ".git").exists():
            repo.mkdir(parents=True, exist_ok=True)
            _git(repo, "init", "-q", "-b", "main")
        names = []
        for backup, text in items:
            name = file_name(backup.device.name)
            (repo / name).write_text(text)
            names.append(name)
        _git(repo, "add", "--", *names)
        if not _git(repo, "status", "--porcelain"):
            return None
        when = max(b.taken_at for b, _ in items).isoformat()
        devices = ", ".join(sorted({b.device.name for b, _ in items}))[:200]
        _git(repo, "commit", "-q", "-m", f"config backup {when}: {devices}", "--date", when)
        return _git(repo, "rev-parse", "HEAD").strip()
