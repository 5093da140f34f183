"""RouterOS version strings ordered as RouterOS orders them: "7.16beta2" < "7.16rc1" < "7.16"
< "7.16.1". Pure Python (no Django), so feeds, exposure matching and templates share it."""

from __future__ import annotations

import re
from functools import total_ordering

_VERSION = re.compile(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?(?:(beta|rc)(\d+))?\s*$")
_STAGE = {"beta": 0, "rc": 1, None: 2}


class VersionError(ValueError):
    pass


@total_ordering
class RouterOSVersion:
    __slots__ = ("text", "key")

    def __init__(self, text: str):
        match = _VERSION.match(text or "")
        if not match:
            raise VersionError(f"{text!r} is not a RouterOS version (expected e.g. 7.16.2, 7.17rc3, 6.49.10).")
        major, minor, patch, stage, number = match.groups()
        self.text = text.strip()
        self.key = (int(major), int(minor), _STAGE[stage], int(number or 0), int(patch or 0))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RouterOSVersion) and self.key == other.key

    def __lt__(self, other: RouterOSVersion) -> bool:
        return self.key < other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"RouterOSVersion({self.text!r})"


def parse(text: str) -> RouterOSVersion | None:
    """The version, or None for text that is not one (a device not yet polled: "")."""
    try:
        return RouterOSVersion(text)
    except VersionError:
        return None


def in_range(version: RouterOSVersion, spec: dict) -> bool:
    """`spec` as NVD states an affected range: any of start_including / start_excluding /
    end_including / end_excluding (strings), or `exact`. Missing bounds are open."""
    if spec.get("exact"):
        exact = parse(spec["exact"])
        return exact is not None and version == exact
    checks = (
        ("start_including", lambda bound: version >= bound),
        ("start_excluding", lambda bound: version > bound),
        ("end_including", lambda bound: version <= bound),
        ("end_excluding", lambda bound: version < bound),
    )
    bounded = False
    for key, holds in checks:
        if spec.get(key):
            bound = parse(spec[key])
            if bound is None or not holds(bound):
                return False
            bounded = True
    return bounded
