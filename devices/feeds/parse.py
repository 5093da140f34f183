"""Turn feed documents into rows: MikroTik's `NEWEST<major>.<channel>` files and NVD CVE API
2.0 JSON (the same shape whether fetched or imported from a file). Raises FeedError with a
message that says what is wrong with the document; nothing is half-written (callers store all
rows of a document in one transaction)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from .versions import parse as parse_version

CPE_PREFIX = "cpe:2.3:o:mikrotik:routeros:"
SEVERITIES = ("none", "low", "medium", "high", "critical")
CHANNELS = ("stable", "long-term", "testing", "development")


class FeedError(ValueError):
    pass


@dataclass
class ReleaseRow:
    major: int
    channel: str
    version: str
    released: datetime | None


@dataclass
class CveRow:
    cve_id: str
    published: datetime | None
    severity: str
    score: float | None
    summary: str
    ranges: list[dict] = field(default_factory=list)

    @property
    def fixed_in(self) -> str:
        """The highest `end_excluding` bound: on or above it no stated range applies."""
        bounds = [parse_version(r["end_excluding"]) for r in self.ranges if r.get("end_excluding")]
        bounds = [b for b in bounds if b is not None]
        return max(bounds).text if bounds else ""


def newest_line(text: str, major: int, channel: str) -> ReleaseRow:
    """`7.16.2 1732619885` (version, release time as epoch seconds) → a release row."""
    parts = text.strip().split()
    if not parts or parse_version(parts[0]) is None:
        raise FeedError(f"NEWEST{major}.{channel}: expected '<version> <epoch seconds>', got {text[:60]!r}.")
    released = None
    if len(parts) > 1 and parts[1].isdigit():
        released = datetime.fromtimestamp(int(parts[1]), UTC)
    return ReleaseRow(major, channel, parts[0], released)


def releases_document(data: object) -> list[ReleaseRow]:
    """The offline import format: `{"7": {"stable": "7.19.4", "long-term": "7.16.2"}, "6": {…}}`;
    a value may also be `{"version": "7.19.4", "released": "2025-07-21T13:00:15Z"}`."""
    if not isinstance(data, dict) or not data:
        raise FeedError('A versions file is a JSON object like {"7": {"stable": "7.19.4"}}.')
    rows = []
    for major, channels in data.items():
        if not str(major).isdigit() or not isinstance(channels, dict):
            raise FeedError(f'Versions file: key {major!r} must be a major version ("6", "7") with channels.')
        for channel, value in channels.items():
            if channel not in CHANNELS:
                raise FeedError(f"Versions file: unknown channel {channel!r} ({', '.join(CHANNELS)}).")
            version, released = value, None
            if isinstance(value, dict):
                version, released = value.get("version"), value.get("released")
            if not isinstance(version, str) or parse_version(version) is None:
                raise FeedError(f"Versions file: {major}/{channel}: {version!r} is not a RouterOS version.")
            rows.append(ReleaseRow(int(major), channel, version, _timestamp(released)))
    return rows


def nvd_document(data: object) -> tuple[list[CveRow], int]:
    """NVD CVE API 2.0 (`{"totalResults": …, "vulnerabilities": [{"cve": {…}}]}`) → rows of the
    CVEs that name RouterOS, and the document's totalResults (for paging)."""
    if not isinstance(data, dict) or not isinstance(data.get("vulnerabilities"), list):
        raise FeedError('Not an NVD CVE API 2.0 document: expected an object with a "vulnerabilities" list.')
    rows = []
    for item in data["vulnerabilities"]:
        cve = item.get("cve") if isinstance(item, dict) else None
        if not isinstance(cve, dict) or not isinstance(cve.get("id"), str):
            raise FeedError("NVD document: every vulnerabilities[] entry needs a cve object with an id.")
        ranges = _routeros_ranges(cve)
        if not ranges:
            continue
        severity, score = _severity(cve.get("metrics") or {})
        summary = next((d.get("value", "") for d in cve.get("descriptions", []) if d.get("lang") == "en"), "")
        rows.append(CveRow(cve["id"], _timestamp(cve.get("published")), severity, score, summary[:4000], ranges))
    total = data.get("totalResults", len(data["vulnerabilities"]))
    return rows, total if isinstance(total, int) else len(data["vulnerabilities"])


def _routeros_ranges(cve: dict) -> list[dict]:
    ranges = []
    for config in cve.get("configurations") or []:
        for node in config.get("nodes") or []:
            for match in node.get("cpeMatch") or []:
                criteria = match.get("criteria", "")
                if not match.get("vulnerable", True) or not criteria.startswith(CPE_PREFIX):
                    continue
                spec = {
                    key: match[nvd]
                    for key, nvd in (
                        ("start_including", "versionStartIncluding"),
                        ("start_excluding", "versionStartExcluding"),
                        ("end_including", "versionEndIncluding"),
                        ("end_excluding", "versionEndExcluding"),
                    )
                    if match.get(nvd)
                }
                exact = criteria[len(CPE_PREFIX) :].split(":", 1)[0]
                if exact not in ("*", "-", ""):
                    spec = {"exact": exact}
                if spec and spec not in ranges:
                    ranges.append(spec)
    return ranges


def _severity(metrics: dict) -> tuple[str, float | None]:
    """The newest CVSS version present (4.0, 3.1, 3.0, then 2), NVD's primary entry first."""
    for key in ("cvssMetricV40", "cvssMetricV31", "cvssMetricV30", "cvssMetricV2"):
        entries = metrics.get(key) or []
        entries = sorted(entries, key=lambda e: e.get("type") != "Primary")
        for entry in entries:
            data = entry.get("cvssData") or {}
            severity = (data.get("baseSeverity") or entry.get("baseSeverity") or "").lower()
            score = data.get("baseScore")
            if severity in SEVERITIES:
                return severity, float(score) if isinstance(score, int | float) else None
    return "none", None


def _timestamp(value) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FeedError(f"{value!r} is not an ISO 8601 time.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
