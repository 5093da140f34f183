"""Fetching, importing and matching the feeds. Called by the beat task, `manage.py import_feed`,
the CVE page and the API; nothing here reads another tenant's devices (exposure runs under the
caller's tenant context and access)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from django.conf import settings
from django.db import transaction

from devices.alerts import services as alerts
from devices.models.feeds import SEVERITY_RANK, FeedState, RouterOSRelease, Vulnerability

from .parse import FeedError, newest_line, nvd_document, releases_document
from .versions import in_range
from .versions import parse as parse_version

log = logging.getLogger(__name__)

CHANNELS = {7: ("stable", "long-term", "testing", "development"), 6: ("stable", "long-term", "testing")}
NVD_PAGE = 2000  # NVD's maximum resultsPerPage
USER_AGENT = "mikman-feeds"  # nothing about the installation or the fleet


# --- storing ----------------------------------------------------------------------------------


def store_releases(rows, source: str) -> int:
    with transaction.atomic():
        for row in rows:
            RouterOSRelease.objects.update_or_create(
                major=row.major, channel=row.channel, defaults={"version": row.version, "released": row.released}
            )
        _succeeded("versions", source, len(rows))
        alerts.feeds_changed()  # firmware-update rules judged again, once this commits
    return len(rows)


def store_cves(rows, source: str) -> int:
    with transaction.atomic():
        for row in rows:
            Vulnerability.objects.update_or_create(
                cve_id=row.cve_id,
                defaults={
                    "published": row.published,
                    "severity": row.severity,
                    "score": row.score,
                    "summary": row.summary,
                    "ranges": row.ranges,
                    "fixed_in": row.fixed_in,
                },
            )
        _succeeded("cve", source, Vulnerability.objects.count())
        alerts.feeds_changed()  # CVE rules judged again, once this commits
    return len(rows)


def _succeeded(name: str, source: str, items: int) -> None:
    now = datetime.now(UTC)
    FeedState.objects.update_or_create(
        name=name,
        defaults={"source": source[:300], "last_attempt": now, "last_success": now, "last_error": "", "items": items},
    )


def _failed(name: str, source: str, error: str) -> None:
    state, _ = FeedState.objects.get_or_create(name=name)
    state.source, state.last_attempt, state.last_error = source[:300], datetime.now(UTC), error[:500]
    state.save(update_fields=["source", "last_attempt", "last_error"])


# --- importing (air-gapped sites) --------------------------------------------------------------


def import_file(kind: str, path: str | Path) -> int:
    """`kind` "versions" or "cve"; raises FeedError (bad kind, unreadable or malformed file)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FeedError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(f"{path} is not JSON: {exc}.") from None
    source = f"import: {path.name}"
    if kind == "versions":
        return store_releases(releases_document(data), source)
    if kind == "cve":
        rows, _ = nvd_document(data)
        return store_cves(rows, source)
    raise FeedError(f"Unknown feed {kind!r}: use 'versions' or 'cve'.")


# --- fetching ----------------------------------------------------------------------------------


@dataclass
class FetchReport:
    fetched: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def refresh_feeds() -> FetchReport:
    """Fetch every enabled feed; a failure is recorded on the feed's state (last data kept)."""
    report = FetchReport()
    for name, url, fetch in (
        ("versions", settings.FEED_VERSIONS_URL, _fetch_versions),
        ("cve", settings.FEED_CVE_URL, _fetch_cves),
    ):
        if not url:
            report.skipped.append(name)
            continue
        try:
            with httpx.Client(timeout=settings.FEED_TIMEOUT_S, headers={"User-Agent": USER_AGENT}) as client:
                report.fetched[name] = fetch(client, url)
        except (httpx.HTTPError, FeedError, ValueError) as exc:
            message = _describe(exc)
            report.errors[name] = message
            _failed(name, url, message)
            log.warning("feed %s not refreshed: %s", name, message)
    return report


def _fetch_versions(client: httpx.Client, base: str) -> int:
    base = base if base.endswith("/") else base + "/"
    rows = []
    for major, channels in CHANNELS.items():
        prefix = "NEWESTa7" if major == 7 else "NEWEST6"
        for channel in channels:
            response = client.get(f"{base}{prefix}.{channel}")
            if response.status_code == 404:
                continue  # a channel the server does not publish (e.g. v6 development)
            response.raise_for_status()
            rows.append(newest_line(response.text, major, channel))
    if not rows:
        raise FeedError(f"{base} published no RouterOS channel.")
    return store_releases(rows, base)


def _fetch_cves(client: httpx.Client, url: str) -> int:
    """All RouterOS CVEs, page by page; stored only once every page arrived."""
    rows, start = [], 0
    while True:
        response = client.get(
            url,
            params={
                "virtualMatchString": "cpe:2.3:o:mikrotik:routeros",
                "resultsPerPage": NVD_PAGE,
                "startIndex": start,
            },
        )
        response.raise_for_status()
        try:
            data = response.json()
        except ValueError:
            raise FeedError(f"{url} did not answer JSON.") from None
        page, total = nvd_document(data)
        rows.extend(page)
        start += len(data["vulnerabilities"])
        if not data["vulnerabilities"] or start >= total:
            break
    return store_cves(rows, url)


def _describe(exc: Exception) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code} from {exc.request.url}"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({exc})"[:300]
    return str(exc)[:300]


# --- matching ----------------------------------------------------------------------------------


@dataclass
class Match:
    cve: Vulnerability
    fixed_in: str  # the end_excluding of the range the version falls in ("" = not stated)


def cves_for_version(version_text: str, vulnerabilities: list[Vulnerability] | None = None) -> list[Match]:
    """CVEs whose ranges contain this version, most severe first."""
    version = parse_version(version_text)
    if version is None:
        return []
    matches = []
    for cve in vulnerabilities if vulnerabilities is not None else Vulnerability.objects.all():
        for spec in cve.ranges:
            if in_range(version, spec):
                matches.append(Match(cve, spec.get("end_excluding", "")))
                break
    matches.sort(key=lambda m: (-SEVERITY_RANK.get(m.cve.severity, 0), -(m.cve.score or 0), m.cve.cve_id))
    return matches


@dataclass
class ExposedDevice:
    device: object
    matches: list[Match]
    latest_stable: str = ""

    @property
    def worst_severity(self) -> str | None:
        return self.matches[0].cve.severity if self.matches else None

    @property
    def fix_version(self) -> str:
        """The lowest version that leaves every matched range ("" if none applies or a range
        states no fix)."""
        fixes = [parse_version(m.fixed_in) for m in self.matches]
        if not fixes or any(f is None for f in fixes):
            return ""
        return max(fixes).text


def severity_threshold(name: str) -> int:
    """Raises ValueError for an unknown severity name (the API turns it into a 400)."""
    if name not in SEVERITY_RANK:
        raise ValueError(f"min_severity must be one of {', '.join(SEVERITY_RANK)}.")
    return SEVERITY_RANK[name]


def matches_by_version(devices, min_severity: str = "none") -> dict[str, list[Match]]:
    """For each distinct RouterOS version among `devices` (a queryset the caller already
    restricted to what the user may see), the CVEs of `min_severity` or worse that apply: one pass
    over the CVEs per version, not per device."""
    threshold = severity_threshold(min_severity)
    vulnerabilities = [v for v in Vulnerability.objects.all() if SEVERITY_RANK.get(v.severity, 0) >= threshold]
    versions = devices.exclude(ros_version="").values_list("ros_version", flat=True).distinct()
    return {text: cves_for_version(text, vulnerabilities) for text in versions}


def describe(devices, by_version: dict[str, list[Match]]) -> list[ExposedDevice]:
    """Wrap devices with their matches and the newer stable release, if any."""
    releases = {r.major: r.version for r in RouterOSRelease.objects.filter(channel="stable")}
    rows = []
    for device in devices:
        version = parse_version(device.ros_version)
        newest = parse_version(releases.get(version.key[0], "")) if version else None
        latest = newest.text if newest and version and newest > version else ""
        rows.append(ExposedDevice(device, by_version.get(device.ros_version, []), latest))
    return rows


def exposure(devices, min_severity: str = "none") -> list[ExposedDevice]:
    """The exposed devices among `devices`, most severe first."""
    by_version = {text: found for text, found in matches_by_version(devices, min_severity).items() if found}
    exposed = describe(devices.filter(ros_version__in=list(by_version)).order_by("name"), by_version)
    exposed.sort(key=lambda e: -SEVERITY_RANK.get(e.worst_severity or "none", 0))
    return exposed


def summary(exposed: list[ExposedDevice]) -> dict[str, int]:
    """Exposed devices by their worst severity (critical … low, none)."""
    counts = {name: 0 for name in ("critical", "high", "medium", "low", "none")}
    for item in exposed:
        counts[item.worst_severity] = counts.get(item.worst_severity, 0) + 1
    return counts
