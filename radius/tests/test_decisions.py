"""The User Manager's rules with exact clock values (radius.decisions: pure, no database)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from radius.decisions import (
    LimitationRule,
    QueuedProfile,
    SessionUsage,
    Window,
    entitlement,
    limitations_in_force,
    profile_queue,
    rate_limit_string,
    remaining_for,
    reset_period,
)

UTC = dt.UTC
T0 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday
DAY = dt.timedelta(days=1)


def q(id, position, *, starts="assigned", validity=DAY, assigned=T0, **extra):
    return QueuedProfile(id, f"p{id}", position, assigned, starts, validity, **extra)


# --- profile queue --------------------------------------------------------------------------------
def test_assigned_profile_runs_from_assignment_and_expires_after_validity():
    view = profile_queue([q(1, 1)], T0 + dt.timedelta(hours=5))
    assert view.active.id == 1 and view.active.state == "running-active"
    assert view.active.started_at == T0 and view.expires_at == T0 + DAY
    after = profile_queue([q(1, 1)], T0 + DAY)
    assert after.active is None and after.profiles[0].state == "used"


def test_unlimited_validity_never_expires():
    view = profile_queue([q(1, 1, validity=None)], T0 + 1000 * DAY)
    assert view.active.id == 1 and view.expires_at is None


def test_first_auth_profile_waits_until_the_user_logs_on():
    entry = q(1, 1, starts="first-auth")
    waiting = profile_queue([entry], T0 + DAY)
    assert waiting.active is None and waiting.profiles[0].state == "waiting"
    assert waiting.changed == frozenset()
    logon = T0 + 3 * DAY
    started = profile_queue([entry], logon, logging_on=True)
    assert started.active.started_at == logon and started.expires_at == logon + DAY
    assert started.changed == {1}


def test_next_profile_takes_over_when_the_first_expires():
    first = q(1, 1, validity=DAY)
    second = q(2, 2, starts="first-auth", validity=7 * DAY)
    during = profile_queue([second, first], T0 + dt.timedelta(hours=1), logging_on=True)
    assert during.active.id == 1
    assert [p.state for p in during.profiles] == ["running-active", "waiting"]
    later = T0 + 2 * DAY
    after = profile_queue([first, second], later, logging_on=True)
    assert after.active.id == 2 and after.active.started_at == later
    assert [p.state for p in after.profiles] == ["used", "running-active"]


def test_queue_advances_when_a_profile_is_marked_used_up():
    first = q(1, 1, validity=None, state="used")
    second = q(2, 2, validity=None, assigned=T0 + dt.timedelta(minutes=1))
    view = profile_queue([first, second], T0 + dt.timedelta(hours=1))
    assert view.active.id == 2


def test_assigned_profile_behind_the_head_loses_validity_while_waiting():
    first = q(1, 1, validity=None)
    second = q(2, 2, validity=DAY)  # starts-when assigned: its day runs from assignment
    view = profile_queue([first, second], T0 + 2 * DAY)
    assert view.active.id == 1
    assert view.profiles[1].state == "used"


def test_a_waiting_first_auth_head_blocks_the_queue_until_logon():
    head = q(1, 1, starts="first-auth")
    behind = q(2, 2, validity=None)
    view = profile_queue([head, behind], T0 + dt.timedelta(hours=1))
    assert view.active is None
    assert [p.state for p in view.profiles] == ["waiting", "running"]


# --- time windows ---------------------------------------------------------------------------------
def test_window_weekdays_and_times():
    office = Window("office", dt.time(8), dt.time(18), ("monday", "tuesday", "wednesday", "thursday", "friday"))
    always = Window("always")
    monday_noon = T0
    saturday_noon = T0 + 5 * DAY
    monday_night = T0.replace(hour=20)
    assert limitations_in_force([office, always], monday_noon) == ["office", "always"]
    assert limitations_in_force([office, always], saturday_noon) == ["always"]
    assert limitations_in_force([office, always], monday_night) == ["always"]
    assert limitations_in_force([always], T0.replace(hour=23, minute=59, second=59, microsecond=500)) == ["always"]


def test_window_across_midnight_belongs_to_the_day_it_opened():
    night = Window("night", dt.time(22), dt.time(6), ("friday",))
    friday_23 = dt.datetime(2026, 3, 6, 23, 0, tzinfo=UTC)
    saturday_3 = dt.datetime(2026, 3, 7, 3, 0, tzinfo=UTC)
    saturday_23 = dt.datetime(2026, 3, 7, 23, 0, tzinfo=UTC)
    friday_3 = dt.datetime(2026, 3, 6, 3, 0, tzinfo=UTC)  # that is Thursday night's window
    assert limitations_in_force([night], friday_23) == ["night"]
    assert limitations_in_force([night], saturday_3) == ["night"]
    assert limitations_in_force([night], saturday_23) == []
    assert limitations_in_force([night], friday_3) == []


def test_windows_are_read_in_the_profiles_time_zone():
    evening = Window("evening", dt.time(18), dt.time(23, 59, 59))
    at = dt.datetime(2026, 3, 2, 17, 30, tzinfo=UTC)  # 18:30 in Vienna (UTC+1 in March)
    assert limitations_in_force([evening], at, "UTC") == []
    assert limitations_in_force([evening], at, "Europe/Vienna") == ["evening"]


# --- reset periods --------------------------------------------------------------------------------
ANCHOR = dt.datetime(2026, 1, 31, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("interval", "at", "start", "end"),
    [
        ("hourly", dt.datetime(2026, 3, 2, 12, 30, tzinfo=UTC), (2026, 3, 2, 12), (2026, 3, 2, 13)),
        ("daily", dt.datetime(2026, 3, 2, 5, 59, tzinfo=UTC), (2026, 3, 1, 6), (2026, 3, 2, 6)),
        ("daily", dt.datetime(2026, 3, 2, 6, 0, tzinfo=UTC), (2026, 3, 2, 6), (2026, 3, 3, 6)),
        ("weekly", dt.datetime(2026, 2, 8, 0, 0, tzinfo=UTC), (2026, 2, 7, 6), (2026, 2, 14, 6)),
        ("monthly", dt.datetime(2026, 2, 15, 0, 0, tzinfo=UTC), (2026, 1, 31, 6), (2026, 2, 28, 6)),
        ("monthly", dt.datetime(2026, 3, 1, 0, 0, tzinfo=UTC), (2026, 2, 28, 6), (2026, 3, 31, 6)),
        ("monthly", dt.datetime(2026, 4, 30, 7, 0, tzinfo=UTC), (2026, 4, 30, 6), (2026, 5, 31, 6)),
    ],
)
def test_reset_periods(interval, at, start, end):
    assert reset_period(interval, ANCHOR, at) == (dt.datetime(*start, tzinfo=UTC), dt.datetime(*end, tzinfo=UTC))


def test_disabled_reset_counts_forever():
    assert reset_period("disabled", ANCHOR, T0) == (None, None)


# --- remaining and the whole decision ---------------------------------------------------------------
GB = 10**9


def test_remaining_counts_only_the_current_period():
    rule = LimitationRule("daily", transfer_limit=10 * GB, reset_counters_interval="daily", reset_counters_start=ANCHOR)
    sessions = [
        SessionUsage(T0 - DAY, download=9 * GB, upload=0, uptime_s=3600),  # yesterday: reset since
        SessionUsage(T0 - dt.timedelta(hours=1), download=3 * GB, upload=1 * GB, uptime_s=600),
    ]
    left = remaining_for(rule, sessions, T0)
    assert left.used.transfer == 4 * GB and left.transfer == 6 * GB
    assert left.download is None and left.uptime_s is None
    assert left.period_end == dt.datetime(2026, 3, 3, 6, tzinfo=UTC)
    assert left.exhausted == ""


def test_entitlement_rejects_without_profile_and_when_a_limit_is_used_up():
    assert entitlement("ann", [], {}, {}, [], T0).reason == "no valid profile found for user <ann>"
    rule = LimitationRule("cap", transfer_limit=GB, uptime_limit=dt.timedelta(hours=2))
    windows = {"p1": [Window("cap")]}
    fine = entitlement("ann", [q(1, 1)], windows, {"cap": rule}, [SessionUsage(T0, 100, 100, 1800)], T0)
    assert fine.allowed and fine.limitation_ids == ("cap",)
    assert fine.remaining.transfer == GB - 200 and fine.session_timeout_s == 5400
    used_up = entitlement("ann", [q(1, 1)], windows, {"cap": rule}, [SessionUsage(T0, GB, 0, 60)], T0)
    assert used_up.reason == "transfer limit reached for user <ann>"


def test_all_limitations_in_force_must_hold_and_validity_caps_the_session():
    loose = LimitationRule("loose", transfer_limit=10 * GB)
    tight = LimitationRule("tight", transfer_limit=GB)
    windows = {"p1": [Window("loose"), Window("tight", dt.time(8), dt.time(18))]}
    rules = {"loose": loose, "tight": tight}
    at_noon = entitlement("ann", [q(1, 1)], windows, rules, [SessionUsage(T0, GB // 2, 0)], T0)
    assert at_noon.remaining.transfer == GB // 2
    evening = T0.replace(hour=20)
    at_night = entitlement("ann", [q(1, 1)], windows, rules, [SessionUsage(evening, GB // 2, 0)], evening)
    assert at_night.remaining.transfer == 10 * GB - GB // 2
    assert at_night.session_timeout_s == int((T0 + DAY - evening).total_seconds())


def test_outside_every_window_is_a_reject():
    windows = {"p1": [Window("office", dt.time(8), dt.time(18))]}
    rules = {"office": LimitationRule("office")}
    ent = entitlement("ann", [q(1, 1)], windows, rules, [], T0.replace(hour=20))
    assert not ent.allowed and "at this time" in ent.reason


def test_rate_limit_string_drops_trailing_defaults():
    base = dict.fromkeys(
        [
            "rate_limit_rx",
            "rate_limit_tx",
            "rate_limit_burst_rx",
            "rate_limit_burst_tx",
            "rate_limit_burst_threshold_rx",
            "rate_limit_burst_threshold_tx",
            "rate_limit_burst_time_rx",
            "rate_limit_burst_time_tx",
            "rate_limit_min_rx",
            "rate_limit_min_tx",
        ],
        0,
    )
    lim = SimpleNamespace(**base, rate_limit_priority=None)
    assert rate_limit_string(lim) == ""
    lim.rate_limit_rx, lim.rate_limit_tx = 512000, 2048000
    assert rate_limit_string(lim) == "512000/2048000"
    lim.rate_limit_burst_rx, lim.rate_limit_burst_tx = 1024000, 4096000
    lim.rate_limit_burst_time_rx = lim.rate_limit_burst_time_tx = 10
    assert rate_limit_string(lim) == "512000/2048000 1024000/4096000 0/0 10/10"
    lim.rate_limit_min_rx = 64000
    assert rate_limit_string(lim) == "512000/2048000 1024000/4096000 0/0 10/10 8 64000/0"
