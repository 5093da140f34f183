"""Is a newer RouterOS available for a version? The one place alerting asks (firmware-update
rules); the firmware-upgrade feature (h5a: devices.firmware) is to offer the same answer per device,
and this function is then to call it.

A device's channel is not recorded, so it is guessed from its version: a beta/rc runs "testing",
anything else "stable" (a long-term device is thus told about the newer stable). The newest
version of that channel for the same major line comes from the release feed (RouterOSRelease).
"""

from __future__ import annotations

from devices.feeds.versions import parse


def channel_of(version_text: str) -> str:
    version = parse(version_text)
    return "testing" if version is not None and version.key[2] < 2 else "stable"


def available_update(version_text: str) -> str | None:
    """The newer version of the device's channel, or None (up to date, or unknown)."""
    from devices.models.feeds import RouterOSRelease

    version = parse(version_text)
    if version is None:
        return None
    latest = (
        RouterOSRelease.objects.filter(major=version.key[0], channel=channel_of(version_text))
        .values_list("version", flat=True)
        .first()
    )
    newest = parse(latest or "")
    return newest.text if newest is not None and newest > version else None
