"""Applying an Accounting-Request to the cached sessions (the database follows in batches).

Counters in Accounting-Requests are totals for the session, so an update sets them rather than
adding: a retransmitted Start/Interim/Stop leaves the session as it was, and an interim that
arrives after the Stop is ignored (a closed session stays closed).
"""

from __future__ import annotations

import datetime as dt

from radius.protocol.accounting import usage
from radius.protocol.packet import Packet
from radius.server.directory import Nas, SessionState, TenantDirectory

NAS_REBOOT = "nas-reboot"


def _text(request: Packet, code: int) -> str:
    raw = request.find(0, code)
    return raw.decode("utf-8", "replace") if raw else ""


def _terminate_cause(request: Packet, number: int | None) -> str:
    if number is None:
        return ""
    name = request.dictionary["Acct-Terminate-Cause"].value_name(number)
    return (name or str(number)).lower()


def account(directory: TenantDirectory, nas: Nas, request: Packet, now: dt.datetime) -> SessionState | str | None:
    """Update the cache from one Accounting-Request. Returns the changed session (to write), the
    string NAS_REBOOT for Accounting-On/Off (close the NAS's open sessions), or None when there is
    nothing to write. PacketError for a malformed counter."""
    u = usage(request)
    if u.status in ("accounting-on", "accounting-off"):
        for user in directory.users.values():
            for state in user.sessions.values():
                if state.active and state.key[0] == nas.id:
                    state.active, state.ended_at, state.terminate_cause = False, now, NAS_REBOOT
        return NAS_REBOOT
    if u.status not in ("start", "interim", "stop") or not u.session_id:
        return None
    username = _text(request, 1)
    key = (nas.id, u.session_id)
    user = directory.users.get(username)
    sessions = user.sessions if user is not None else directory.orphan_sessions
    state = sessions.get(key)
    if state is not None and not state.active:
        return None  # already closed: a late or repeated packet
    if state is None:
        state = SessionState(
            key=key,
            username=username,
            user_id=user.id if user is not None else None,
            started_at=now - dt.timedelta(seconds=u.session_time),
            updated_at=now,
        )
        sessions[key] = state
    state.updated_at = now
    state.download = max(state.download, u.output_octets)
    state.upload = max(state.upload, u.input_octets)
    state.uptime_s = max(state.uptime_s, u.session_time)
    state.calling_station_id = state.calling_station_id or _text(request, 31)
    state.nas_port_id = state.nas_port_id or _text(request, 87)
    framed = request.get("Framed-IP-Address")
    if framed:
        state.framed_ip = str(framed)
    if u.status == "stop":
        state.active = False
        state.ended_at = now
        # a cause we set when we asked the NAS to disconnect (um-limits-reached, …) is kept
        state.terminate_cause = state.terminate_cause or _terminate_cause(request, u.terminate_cause)
        if user is None:
            sessions.pop(key, None)  # nobody's usage depends on it; the database keeps it closed
    return state
