"""Deciding an Access-Request from the cached directory: User Manager's rules, no database.

`authorize()` is pure apart from the clock it is given: it returns a `Decision` saying accept or
reject, the reply attributes, the logged reason, and the writes the decision implies (a profile
that starts at first authentication, a caller-id bound on first use), which the caller applies to
the cache at once and queues for the database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from radius import decisions
from radius.protocol.accounting import split_gigawords
from radius.protocol.auth import authenticate
from radius.protocol.packet import Packet
from radius.server.directory import Nas, TenantDirectory, UserEntry

CALLING_STATION_ID = (0, 31)
USER_NAME = (0, 1)


@dataclass(slots=True)
class Decision:
    accepted: bool
    username: str
    reason: str = ""
    method: str = ""
    calling_station_id: str = ""
    user: UserEntry | None = None
    reply: list[tuple[str, object]] = field(default_factory=list)
    queue_changes: list[decisions.QueuedProfile] = field(default_factory=list)
    bind_caller_id: str = ""
    # shared-users overflow with "disconnect-oldest": the open sessions to end for this login
    evict: list = field(default_factory=list)


def _text(raw: bytes | None) -> str:
    return raw.decode("utf-8", "replace") if raw else ""


def _limit_pair(reply: list, name: str, value: int | None) -> None:
    if value is None:
        return
    gigawords, octets = split_gigawords(min(value, 2**64 - 1))
    reply.append((name, octets))
    if gigawords:
        reply.append((name + "-Gigawords", gigawords))


def authorize(
    directory: TenantDirectory, nas: Nas, request: Packet, now: dt.datetime, *, interim_interval: int = 0
) -> Decision:
    username = _text(request.find(*USER_NAME))
    calling = _text(request.find(*CALLING_STATION_ID))
    if not username:
        return Decision(False, username, "no User-Name in the request", calling_station_id=calling)
    user = directory.users.get(username)
    if user is None:
        return Decision(False, username, f"user <{username}> not found", calling_station_id=calling)
    allowed = None
    group_attributes: dict = {}
    if user.group_id is not None:
        group = directory.groups.get(user.group_id)
        if group is not None:
            allowed, group_attributes = group
    checked = authenticate(request, user.password, otp_secret=user.otp_secret, allowed=allowed)
    method = checked.method or ""
    if user.disabled:
        return Decision(False, username, f"user <{username}> is disabled", method, calling, user)
    if not user.password:
        return Decision(False, username, f"user <{username}> has no password", method, calling, user)
    if not checked.accepted:
        reason = f"{checked.reason or 'authentication failed'} for user <{username}>"
        return Decision(False, username, reason, method, calling, user, reply=list(checked.reply))
    bind = ""
    if user.caller_id:
        if calling != user.caller_id:
            return Decision(False, username, f"caller-id mismatch for user <{username}>", method, calling, user)
    elif user.bind_on_first_use and calling:
        bind = calling

    ent = entitlement(directory, user, now)
    changes = _started_now(user.queue, ent.queue)
    throttled = ""
    if not ent.allowed:
        throttled = throttle_rate(directory, user, ent, now)
        if not throttled:
            return Decision(False, username, ent.reason, method, calling, user, queue_changes=changes)
    profile = directory.profiles.get(ent.queue.active.profile_id)
    shared = user.shared_users
    if profile is not None and profile.override_shared_users is not None:
        shared = profile.override_shared_users
    evict: list = []
    if shared and user.active_sessions() >= shared:
        if profile is None or profile.shared_users_overflow != "disconnect-oldest":
            reason = f"shared-users limit ({shared}) reached for user <{username}>"
            return Decision(False, username, reason, method, calling, user, queue_changes=changes)
        open_sessions = sorted((s for s in user.sessions.values() if s.active), key=lambda s: s.started_at)
        evict = open_sessions[: len(open_sessions) - shared + 1]

    reply: list[tuple[str, object]] = list(checked.reply)
    rate = group_name = address_list = pool = ""
    for limitation_id in ent.limitation_ids:
        lim = directory.limits.get(limitation_id)
        if lim is None:
            continue
        rate = rate or lim.rate_limit
        group_name = group_name or lim.group_name
        address_list = address_list or lim.address_list
        pool = pool or lim.ip_pool
    if throttled:
        rate = throttled
    if rate:
        reply.append(("Mikrotik-Rate-Limit", rate))
    if group_name:
        reply.append(("Mikrotik-Group", group_name))
    if address_list:
        reply.append(("Mikrotik-Address-List", address_list))
    remaining = ent.remaining
    if not throttled:  # a throttled user has used the bytes up: no byte limit, only the lower rate
        # rx is what the router receives from the user: the user's upload
        _limit_pair(reply, "Mikrotik-Recv-Limit", remaining.upload)
        _limit_pair(reply, "Mikrotik-Xmit-Limit", remaining.download)
        _limit_pair(reply, "Mikrotik-Total-Limit", remaining.transfer)
    if user.ip_address:
        reply.append(("Framed-IP-Address", user.ip_address))
    elif pool:
        reply.append(("Framed-Pool", pool))
    session_timeout = ent.session_timeout_s
    if throttled and ent.queue.active.ends_at is not None:
        left = int((ent.queue.active.ends_at - now).total_seconds())
        session_timeout = left if session_timeout is None else min(session_timeout, left)
    if session_timeout is not None:
        reply.append(("Session-Timeout", max(1, session_timeout)))
    if interim_interval:
        reply.append(("Acct-Interim-Interval", interim_interval))
    # extra attributes: the group's, then the user's (the user's win on the same name)
    extra = {**group_attributes, **user.attributes}
    names = {name.lower() for name, _ in reply}
    for name, value in extra.items():
        if name.lower() not in names:
            reply.append((name, value))
    reason = f"throttled to {throttled}: {ent.reason}" if throttled else ""
    return Decision(True, username, reason, method, calling, user, reply, changes, bind, evict)


_BYTE_LIMITS = ("download", "upload", "transfer")


def throttle_rate(directory: TenantDirectory, user: UserEntry, ent: decisions.Entitlement, now: dt.datetime) -> str:
    """The lower rate a user whose byte limit is used up continues at, or "" (disconnect / reject).

    Only when every limitation in force that ran out ran out of bytes (not uptime) and is set to
    throttle; the first such limitation's rate wins. Validity and uptime always end the session."""
    if ent.allowed or not ent.limitation_ids or ent.remaining.exhausted not in _BYTE_LIMITS:
        return ""
    sessions = user.usage()
    rate = ""
    for limitation_id in ent.limitation_ids:
        lim, rule = directory.limits.get(limitation_id), directory.rules.get(limitation_id)
        if lim is None or rule is None:
            continue
        left = decisions.remaining_for(rule, sessions, now)
        if not left.exhausted:
            continue
        out_of_time = left.uptime_s is not None and left.uptime_s <= 0
        if out_of_time or lim.on_limit_reached != "throttle" or not lim.throttle_rate_limit:
            return ""
        rate = rate or lim.throttle_rate_limit
    return rate


FOREVER = dt.datetime.max.replace(tzinfo=dt.UTC)


def queue_view(user: UserEntry, now: dt.datetime) -> decisions.QueueView:
    """decisions.profile_queue(logging_on=True), remembered until the next moment it can change
    (an entry's end or a future assignment) unless this logon starts a first-auth profile."""
    cached = user.view_cache
    if cached is not None and now < cached[1]:
        return cached[0]
    view = decisions.profile_queue(user.queue, now, logging_on=True)
    if not _started_now(user.queue, view):
        moments = [q.ends_at for q in view.profiles if q.ends_at is not None and q.ends_at > now]
        moments += [q.assigned_at for q in view.profiles if q.assigned_at > now]
        user.view_cache = (view, min(moments, default=FOREVER))
    return view


def entitlement(directory: TenantDirectory, user: UserEntry, now: dt.datetime) -> decisions.Entitlement:
    """decisions.entitlement() for a cached user — the same rules in the same order (a test
    compares the two), with the queue view remembered and the catalog's indexes prebuilt."""
    view = queue_view(user, now)
    if view.active is None:
        return decisions.Entitlement(view, reason=f"no valid profile found for user <{user.name}>")
    profile_id = view.active.profile_id
    windows = directory.windows.get(profile_id, [])
    in_force = decisions.limitations_in_force(windows, now, directory.time_zones.get(profile_id, "UTC"))
    if windows and not in_force:
        return decisions.Entitlement(view, reason=f"no limitation of profile allows user <{user.name}> at this time")
    rules = directory.rules
    sessions = user.usage()
    each = [decisions.remaining_for(rules[i], sessions, now) for i in in_force if i in rules]
    # combine() of one is that one (the common case: one limitation in force)
    remaining = each[0] if len(each) == 1 else decisions.combine(each)
    if remaining.exhausted:
        reason = f"{remaining.exhausted} limit reached for user <{user.name}>"
        return decisions.Entitlement(view, tuple(in_force), remaining, reason)
    if view.active.ends_at is not None:
        left = int((view.active.ends_at - now).total_seconds())
        uptime = remaining.uptime_s
        remaining = dataclasses.replace(remaining, uptime_s=left if uptime is None else min(uptime, left))
    return decisions.Entitlement(view, tuple(in_force), remaining)


def _started_now(before: list[decisions.QueuedProfile], view: decisions.QueueView) -> list:
    """The entries this logon started (a first-auth profile's validity begins now): the one
    queue change that must be written. Everything else the view brings up to date (assigned
    profiles' start, used-up states) follows from stored data and is recomputed every time, so
    the hot path does not write once per user."""
    if not view.changed:
        return []
    started = {q.id for q in before if q.started_at is None}
    return [
        q
        for q in view.profiles
        if q.id in view.changed and q.id in started and q.started_at is not None and q.starts_when == "first-auth"
    ]


def apply_to_cache(decision: Decision) -> None:
    """Make the cache reflect the decision's writes before the next request (same process)."""
    user = decision.user
    if user is None:
        return
    if decision.queue_changes:
        by_id = {q.id: q for q in decision.queue_changes}
        user.queue = [by_id.get(q.id, q) for q in user.queue]
        user.view_cache = None
    if decision.bind_caller_id:
        user.caller_id = decision.bind_caller_id
