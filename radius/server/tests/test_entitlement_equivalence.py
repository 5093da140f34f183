"""The server's cached entitlement gives exactly what radius.decisions.entitlement gives."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from radius import decisions
from radius.server.authorize import entitlement
from radius.server.directory import Limit, ProfileInfo, SessionState, TenantDirectory, UserEntry

T0 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)  # a Monday


def _directory(rule_kwargs: dict, window: decisions.Window | None, validity=None, starts_when="assigned"):
    d = TenantDirectory(uuid.uuid4())
    pid, lid = uuid.uuid4(), uuid.uuid4()
    windows = [decisions.Window(lid, *window)] if window else []
    d.profiles[pid] = ProfileInfo(pid, "p", starts_when, validity, None, "Europe/Vienna", windows)
    d.limits[lid] = Limit(decisions.LimitationRule(lid, "l", **rule_kwargs), "", "", "", "")
    user = UserEntry(uuid.uuid4(), "u", "pw", None, None, 1, "", False, None, {}, False)
    user.queue = [decisions.QueuedProfile(uuid.uuid4(), pid, 1, T0 - dt.timedelta(hours=2), starts_when, validity)]
    d.put_user(user, user.id)
    d.index()
    return d, user


CASES = [
    ({}, None, None, "assigned"),
    ({"transfer_limit": 1000}, None, None, "assigned"),
    ({"transfer_limit": 10}, None, None, "assigned"),
    (
        {"uptime_limit": dt.timedelta(hours=1), "reset_counters_interval": "daily"},
        None,
        dt.timedelta(hours=3),
        "assigned",
    ),
    ({}, (dt.time(8), dt.time(17), ("monday",)), None, "assigned"),
    ({}, (dt.time(20), dt.time(6), ("monday",)), None, "assigned"),
    ({}, None, dt.timedelta(hours=1), "assigned"),  # expired two hours after assignment
    ({}, None, dt.timedelta(days=1), "first-auth"),
]


@pytest.mark.parametrize(("rule", "window", "validity", "starts_when"), CASES)
def test_same_decision_as_radius_decisions(rule, window, validity, starts_when):
    d, user = _directory(rule, window, validity, starts_when)
    key = (uuid.uuid4(), "s")
    user.sessions[key] = SessionState(key, "u", user.id, T0 - dt.timedelta(minutes=30), T0, 20, 30, 600, False)
    for offset in (dt.timedelta(0), dt.timedelta(minutes=1), dt.timedelta(hours=9)):
        now = T0 + offset
        ours = entitlement(d, user, now)
        theirs = decisions.entitlement(
            "u", user.queue, d.windows, d.rules, user.usage(), now, time_zones=d.time_zones, logging_on=True
        )
        assert (ours.reason, ours.limitation_ids, ours.remaining, ours.queue.active) == (
            theirs.reason,
            theirs.limitation_ids,
            theirs.remaining,
            theirs.queue.active,
        )
