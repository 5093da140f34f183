"""Masking secrets before anything reaches the audit log (or a log line, or a page).

`redact()` walks dicts and lists and masks the value of every key that names a secret: passwords,
secrets, tokens, keys, SNMP communities, one-time passwords, credentials. Inside strings it also
masks `name=value` / `name: value` pairs with such names, the form RouterOS commands and URLs carry
them in (`/user add name=x password=…`, `?token=…`). Over-masking is preferred to a leak: a key
named `key_id` is masked too.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "********"

# Anywhere in a key: these never name anything but a secret.
_SECRET_PARTS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "community",
    "credential",
    "private",
    "cookie",
    "authorization",
    "signature",
)
# Whole words of a key (split on non-alphanumerics and camelCase): too short to match as parts.
_SECRET_WORDS = {"pass", "pwd", "psk", "pin", "otp", "totp", "hotp", "otpauth"}

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")

# The start of a `name=value` / `name: value` pair in free text (JSON-ish quotes allowed). A name
# begins where a run of name characters begins (the lookbehind): scanning stays linear.
_PAIR_START = re.compile(r"""(?<![A-Za-z0-9_.-])(?P<name>[A-Za-z0-9_.-]+)["']?\s*[=:]\s*""")
_PAIR_VALUE = re.compile(r""""[^"]*"|'[^']*'|[^\s&,;"']+""")  # quoted, or up to the next separator


def is_secret_key(name: str) -> bool:
    """Whether a key's value must never be stored: `password`, `snmp_community`, `apiKey`, `wpa2-pre-shared-key`."""
    lowered = _CAMEL.sub("_", str(name)).lower()
    if any(part in lowered for part in _SECRET_PARTS):
        return True
    words = [word for word in _WORD_SPLIT.split(lowered) if word]
    return any(word in _SECRET_WORDS or word.endswith(("key", "keys")) for word in words)


def redact_text(text: str) -> str:
    """Mask `secret=value` pairs inside free text (commands, URLs, messages)."""
    parts, position = [], 0
    for pair in _PAIR_START.finditer(text):
        if pair.start() < position or not is_secret_key(pair["name"]):
            continue
        value = _PAIR_VALUE.match(text, pair.end())
        if value is not None:
            parts += [text[position : pair.end()], MASK]
            position = value.end()
    parts.append(text[position:])
    return "".join(parts)


def redact(value: Any) -> Any:
    """A copy of `value` with every secret masked, recursively (dicts, lists, tuples, strings)."""
    if isinstance(value, dict):
        return {key: MASK if is_secret_key(key) else redact(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
