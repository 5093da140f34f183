"""The User Manager's rules as pure functions of plain data and a clock value.

No database access here: the RADIUS server calls these with cached rows (and tests with exact
clock values), the API and UI with freshly loaded ones, so all three agree. The rules follow the
RouterOS User Manager manual:

- Profile queue: one profile of a user is in force at a time (`running-active`). A profile that
  starts when *assigned* counts its validity from assignment, wherever it waits in the queue; one
  that starts at *first authentication* starts when it reaches the head and the user logs on.
  When the profile in force ends (validity over, or marked used because its limits are used up
  for good), the next one takes over — a first-auth one at the user's next logon.
- Profile limitations apply in their time window on their weekdays (in the profile's zone); all
  that apply at a moment must hold.
- Usage counts within the limitation's current reset period (hourly/daily/weekly/monthly from its
  start anchor, or forever when disabled).
"""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from radius.choices import ResetInterval, StartsWhen, UserProfileState, Weekday

WEEKDAYS = [d.value for d in Weekday]  # index = date.weekday()


# --- the profile queue ----------------------------------------------------------------------------
@dataclass(frozen=True)
class QueuedProfile:
    """One UserProfile row, as the rules need it."""

    id: object
    profile_id: object
    position: int
    assigned_at: dt.datetime
    starts_when: str
    validity: dt.timedelta | None
    state: str = UserProfileState.WAITING
    started_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None


@dataclass(frozen=True)
class QueueView:
    """The queue at one moment: `active` is the profile in force (None: no valid profile);
    `profiles` every entry with its state, start and end brought up to date; `changed` the ids
    whose state/started_at/ends_at differ from what was passed in (what to save)."""

    active: QueuedProfile | None
    profiles: tuple[QueuedProfile, ...]
    changed: frozenset = frozenset()

    @property
    def expires_at(self) -> dt.datetime | None:
        return self.active.ends_at if self.active else None


def _started(entry: QueuedProfile) -> QueuedProfile:
    if entry.starts_when == StartsWhen.ASSIGNED and entry.started_at is None:
        entry = replace(entry, started_at=entry.assigned_at)
    if entry.started_at is not None and entry.validity is not None:
        entry = replace(entry, ends_at=entry.started_at + entry.validity)
    return entry


def profile_queue(entries: Iterable[QueuedProfile], now: dt.datetime, *, logging_on: bool = False) -> QueueView:
    """Bring the queue up to date at `now`. With `logging_on` (an Access-Request is being
    decided) a first-auth profile at the head starts now; otherwise it stays waiting, and the
    user has no profile in force until they log on."""
    ordered = sorted(entries, key=lambda e: (e.position, e.assigned_at))
    result: list[QueuedProfile] = []
    active: QueuedProfile | None = None
    for original in ordered:
        entry = _started(original)
        expired = entry.ends_at is not None and entry.ends_at <= now
        if entry.state == UserProfileState.USED or expired:
            entry = replace(entry, state=UserProfileState.USED)
        elif active is None and entry.assigned_at <= now:
            if entry.started_at is None and logging_on:
                entry = _started(replace(entry, started_at=now))
            if entry.started_at is not None:
                entry = replace(entry, state=UserProfileState.RUNNING_ACTIVE)
                active = entry
            else:
                entry = replace(entry, state=UserProfileState.WAITING)
                if not logging_on:
                    # The head waits for the user's first logon: nothing is in force yet, and
                    # nothing behind it may jump the queue.
                    active = None
                    result.append(entry)
                    result.extend(_rest(ordered[len(result) :], now))
                    return _view(None, ordered, result)
        else:
            state = UserProfileState.RUNNING if entry.started_at is not None else UserProfileState.WAITING
            entry = replace(entry, state=state)
        result.append(entry)
    return _view(active, ordered, result)


def _rest(entries: Sequence[QueuedProfile], now: dt.datetime) -> list[QueuedProfile]:
    out = []
    for original in entries:
        entry = _started(original)
        if entry.state == UserProfileState.USED or (entry.ends_at is not None and entry.ends_at <= now):
            out.append(replace(entry, state=UserProfileState.USED))
        else:
            out.append(replace(entry, state=UserProfileState.RUNNING if entry.started_at else UserProfileState.WAITING))
    return out


def _view(active, originals, result) -> QueueView:
    before = {e.id: (e.state, e.started_at, e.ends_at) for e in originals}
    changed = frozenset(e.id for e in result if before[e.id] != (e.state, e.started_at, e.ends_at))
    return QueueView(active, tuple(result), changed)


# --- limitation windows ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    """One ProfileLimitation: `limitation_id` applies from–till on `weekdays`."""

    limitation_id: object
    from_time: dt.time = dt.time(0, 0)
    till_time: dt.time = dt.time(23, 59, 59)
    weekdays: tuple[str, ...] = tuple(WEEKDAYS)


def window_applies(window: Window, local: dt.datetime) -> bool:
    """Whether `window` covers the local wall-clock time `local`. till < from spans midnight; the
    hours after midnight belong to the weekday on which the window opened. till is inclusive to
    the second (23:59:59 covers the whole day)."""
    t = local.time().replace(microsecond=0)
    day = WEEKDAYS[local.weekday()]
    if window.from_time <= window.till_time:
        return day in window.weekdays and window.from_time <= t <= window.till_time
    if t >= window.from_time:
        return day in window.weekdays
    previous = WEEKDAYS[(local.weekday() - 1) % 7]
    return t <= window.till_time and previous in window.weekdays


def limitations_in_force(windows: Iterable[Window], at: dt.datetime, time_zone: str = "UTC") -> list:
    """Limitation ids whose window covers `at` (an aware datetime), in the given order, once each."""
    local = at.astimezone(zoneinfo.ZoneInfo(time_zone))
    seen: list = []
    for window in windows:
        if window.limitation_id not in seen and window_applies(window, local):
            seen.append(window.limitation_id)
    return seen


# --- reset periods --------------------------------------------------------------------------------
def _add_months(moment: dt.datetime, months: int) -> dt.datetime:
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def reset_period(interval: str, anchor: dt.datetime, at: dt.datetime) -> tuple[dt.datetime | None, dt.datetime | None]:
    """[start, end) of the counter period containing `at`. Periods repeat from `anchor` (their
    phase: a daily reset at 06:00 has an anchor at 06:00 of any day). Disabled: (None, None) —
    counters never reset. Monthly periods keep the anchor's day (clamped to short months)."""
    if interval == ResetInterval.DISABLED:
        return None, None
    fixed = {
        ResetInterval.HOURLY: dt.timedelta(hours=1),
        ResetInterval.DAILY: dt.timedelta(days=1),
        ResetInterval.WEEKLY: dt.timedelta(weeks=1),
    }
    if interval in fixed:
        step = fixed[interval]
        start = anchor + ((at - anchor) // step) * step
        return start, start + step
    if interval != ResetInterval.MONTHLY:
        raise ValueError(f"unknown reset interval {interval!r}")
    months = (at.year - anchor.year) * 12 + (at.month - anchor.month)
    start = _add_months(anchor, months)
    if start > at:
        months -= 1
    elif _add_months(anchor, months + 1) <= at:
        months += 1
    return _add_months(anchor, months), _add_months(anchor, months + 1)


# --- usage and what remains -----------------------------------------------------------------------
@dataclass(frozen=True)
class SessionUsage:
    """One session's totals. Attributed to the period containing `updated_at` (the last interim
    update): a session open across a reset counts in the new period."""

    updated_at: dt.datetime
    download: int = 0
    upload: int = 0
    uptime_s: int = 0


@dataclass(frozen=True)
class Usage:
    download: int = 0
    upload: int = 0
    uptime_s: int = 0

    @property
    def transfer(self) -> int:
        return self.download + self.upload


def usage_between(sessions: Iterable[SessionUsage], start: dt.datetime | None, end: dt.datetime | None) -> Usage:
    down = up = uptime = 0
    for s in sessions:
        if (start is None or s.updated_at >= start) and (end is None or s.updated_at < end):
            down, up, uptime = down + s.download, up + s.upload, uptime + s.uptime_s
    return Usage(down, up, uptime)


@dataclass(frozen=True)
class LimitationRule:
    """A Limitation's counters (0 / None = unlimited) and its reset schedule."""

    id: object
    name: str = ""
    download_limit: int = 0
    upload_limit: int = 0
    transfer_limit: int = 0
    uptime_limit: dt.timedelta | None = None
    reset_counters_interval: str = ResetInterval.DISABLED
    reset_counters_start: dt.datetime = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Remaining:
    """What is left (None: unlimited) and what was used in the current period."""

    used: Usage = field(default_factory=Usage)
    download: int | None = None
    upload: int | None = None
    transfer: int | None = None
    uptime_s: int | None = None
    period_start: dt.datetime | None = None
    period_end: dt.datetime | None = None

    @property
    def exhausted(self) -> str:
        """ "" while something is left; otherwise which limit ran out."""
        for name in ("download", "upload", "transfer", "uptime_s"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                return name.replace("_s", "")
        return ""


def _left(limit: int, used: int) -> int | None:
    return None if not limit else max(0, limit - used)


def remaining_for(rule: LimitationRule, sessions: Sequence[SessionUsage], at: dt.datetime) -> Remaining:
    """What `rule` still allows at `at`, counting usage inside its current reset period."""
    start, end = reset_period(rule.reset_counters_interval, rule.reset_counters_start, at)
    used = usage_between(sessions, start, end)
    uptime_limit = int(rule.uptime_limit.total_seconds()) if rule.uptime_limit else 0
    return Remaining(
        used=used,
        download=_left(rule.download_limit, used.download),
        upload=_left(rule.upload_limit, used.upload),
        transfer=_left(rule.transfer_limit, used.transfer),
        uptime_s=_left(uptime_limit, used.uptime_s),
        period_start=start,
        period_end=end,
    )


def _min(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def combine(remainders: Iterable[Remaining]) -> Remaining:
    """All limitations must hold: the tightest of each counter wins."""
    out = Remaining()
    for r in remainders:
        out = Remaining(
            used=r.used if out.used == Usage() else out.used,
            download=_min(out.download, r.download),
            upload=_min(out.upload, r.upload),
            transfer=_min(out.transfer, r.transfer),
            uptime_s=_min(out.uptime_s, r.uptime_s),
            period_start=out.period_start or r.period_start,
            period_end=out.period_end or r.period_end,
        )
    return out


# --- the whole decision ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Entitlement:
    """What a user may do at one moment. `reason` is "" when allowed, else the logged reason."""

    queue: QueueView
    limitation_ids: tuple = ()
    remaining: Remaining = field(default_factory=Remaining)
    reason: str = ""

    @property
    def allowed(self) -> bool:
        return not self.reason

    @property
    def session_timeout_s(self) -> int | None:
        """Seconds until the uptime limit or the validity ends, whichever is first (None: no end)."""
        return self.remaining.uptime_s


def entitlement(
    username: str,
    queue: Iterable[QueuedProfile],
    windows_by_profile: dict,
    rules: dict,
    sessions: Sequence[SessionUsage],
    now: dt.datetime,
    *,
    time_zones: dict | None = None,
    logging_on: bool = False,
) -> Entitlement:
    """The decision helpers together: active profile, limitations in force, what remains."""
    view = profile_queue(queue, now, logging_on=logging_on)
    if view.active is None:
        return Entitlement(view, reason=f"no valid profile found for user <{username}>")
    profile_id = view.active.profile_id
    windows = windows_by_profile.get(profile_id, [])
    zone = (time_zones or {}).get(profile_id, "UTC")
    in_force = limitations_in_force(windows, now, zone)
    if windows and not in_force:
        return Entitlement(view, reason=f"no limitation of profile allows user <{username}> at this time")
    remaining = combine(remaining_for(rules[i], sessions, now) for i in in_force if i in rules)
    if remaining.exhausted:
        reason = f"{remaining.exhausted} limit reached for user <{username}>"
        return Entitlement(view, tuple(in_force), remaining, reason)
    if view.active.ends_at is not None:
        left = int((view.active.ends_at - now).total_seconds())
        uptime = remaining.uptime_s
        remaining = replace(remaining, uptime_s=left if uptime is None else min(uptime, left))
    return Entitlement(view, tuple(in_force), remaining)


# --- reply helpers --------------------------------------------------------------------------------
def _pair(rx: int, tx: int) -> str:
    return f"{rx}/{tx}"


def rate_limit_string(lim) -> str:
    """Mikrotik-Rate-Limit for a Limitation (or any object with its rate fields): `rx/tx
    [burst-rx/tx [threshold-rx/tx [burst-time-rx/tx [priority [min-rx/tx]]]]]`; rx is the
    client's upload as the router sees it. "" when no rate is set."""
    if not (lim.rate_limit_rx or lim.rate_limit_tx):
        return ""
    parts = [_pair(lim.rate_limit_rx, lim.rate_limit_tx)]
    optional = [
        _pair(lim.rate_limit_burst_rx, lim.rate_limit_burst_tx),
        _pair(lim.rate_limit_burst_threshold_rx, lim.rate_limit_burst_threshold_tx),
        _pair(lim.rate_limit_burst_time_rx, lim.rate_limit_burst_time_tx),
        str(lim.rate_limit_priority or 8),
        _pair(lim.rate_limit_min_rx, lim.rate_limit_min_tx),
    ]
    defaults = ["0/0", "0/0", "0/0", "8", "0/0"]
    last = max((i for i, (v, d) in enumerate(zip(optional, defaults, strict=True)) if v != d), default=-1)
    return " ".join(parts + optional[: last + 1])
