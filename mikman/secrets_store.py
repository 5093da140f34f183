"""Platform secrets: taken from the environment, else generated once into data/secrets.json (0600).

Losing the file loses the local master key, so credentials encrypted with the embedded keyring
become unreadable (see README, "Secrets").
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

GENERATED = {
    "SECRET_KEY": lambda: secrets.token_urlsafe(50),
    "MIKMAN_MASTER_KEY": lambda: base64.b64encode(secrets.token_bytes(32)).decode(),
    "DB_OWNER_PASSWORD": lambda: secrets.token_urlsafe(24),
    "DB_APP_PASSWORD": lambda: secrets.token_urlsafe(24),
}


def data_dir() -> Path:
    base = Path(__file__).resolve().parent.parent
    path = Path(os.environ.get("MIKMAN_DATA_DIR", base / "data"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def load_secrets() -> dict[str, str]:
    """Environment first; missing values generated and persisted atomically with mode 0600."""
    path = data_dir() / "secrets.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    changed = False
    for name, make in GENERATED.items():
        if name not in stored:
            stored[name] = make()
            changed = True
    if changed:
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(stored, fh, indent=2)
        os.replace(tmp, path)
    os.chmod(path, 0o600)
    return {name: os.environ.get(name) or stored[name] for name in GENERATED}
