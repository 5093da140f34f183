"""The polling engine alone (no database): pipelined polls, kept connections, failures as results."""

import time

import pytest

from devices.keyring import Secret
from devices.polling.collect import DeviceMemory, commands_for, parse_replies, uptime_seconds
from devices.polling.engine import Endpoint, PollEngine, PollTarget
from devices.protocols.routeros_api import TrapError, open_api
from devices.simulator.testing import running_fleet


@pytest.fixture(scope="module")
def sim():
    with running_fleet(count=6, seed=5, protocols=("api",)) as info:
        yield info


@pytest.fixture
def engine():
    eng = PollEngine(connect_timeout=3, command_timeout=5, use_uvloop=True)
    yield eng
    eng.stop()


def _target(sim, index, password="sim-admin", fingerprint="v1"):
    dev = sim["devices"][index]
    return PollTarget(
        str(index), "tenant", dev["address"], [Endpoint("api", dev["ports"]["api"])], "admin", Secret(password),
        fingerprint, time.time(),
    )  # fmt: skip


class Logins:
    def __init__(self, sim, index):
        self.ok = self.failed = 0
        self._stop = sim["fleet"].device(index).add_log_listener(self._line)

    def _line(self, row):
        message = row.get("message", "")
        self.ok += "logged in" in message
        self.failed += "login failure" in message


def test_connection_is_kept_between_polls_and_replaced_when_settings_change(sim, engine):
    logins = Logins(sim, 0)
    first = engine.poll([_target(sim, 0)])[0]
    second = engine.poll([_target(sim, 0)])[0]
    assert first.status == second.status == "online"
    assert first.new_connection and not second.new_connection
    assert logins.ok == 1, "the second poll reused the open connection"
    assert first.sample.facts["identity"] == sim["devices"][0]["identity"]
    assert "identity" not in second.sample.facts, "facts are re-read only every POLL_FACTS_EVERY_S"
    third = engine.poll([_target(sim, 0, fingerprint="v2")])[0]  # e.g. credentials changed
    assert third.new_connection and logins.ok == 2


def test_faults_are_statuses_not_exceptions(sim, engine):
    sim["fleet"].set_fault(1, "offline")
    sim["fleet"].set_fault(2, "blackhole")
    try:
        engine.connect_timeout = 1
        results = engine.poll([_target(sim, 1), _target(sim, 2), _target(sim, 3, password="wrong")])
    finally:
        sim["fleet"].set_fault([1, 2], None)
    assert [r.status for r in results] == ["offline", "unreachable", "auth_failed"]
    assert "sim-admin" not in repr(results) and "wrong" not in " ".join(r.reason for r in results)
    assert engine.open_connections == 0


def test_a_stale_pooled_connection_is_replaced_within_the_same_poll(sim, engine):
    assert engine.poll([_target(sim, 4)])[0].status == "online"
    sim["fleet"].set_fault(4, "offline")  # drops the open connection
    sim["fleet"].set_fault(4, None)
    result = engine.poll([_target(sim, 4)])[0]
    assert result.status == "online" and result.new_connection


def test_polls_start_at_their_due_time(sim, engine):
    target = _target(sim, 5)
    target.due = time.time() + 0.5
    result = engine.poll([target])[0]
    assert result.started >= target.due and result.started - target.due < 0.3


def test_pipelined_commands_each_get_their_reply_or_trap(sim):
    import asyncio

    dev = sim["devices"][0]

    async def go():
        api = await open_api(dev["address"], dev["ports"]["api"], "admin", "sim-admin")
        try:
            return await api.call_many([("/system/identity/print",), ("/no/such/print",), ("/interface/print",)])
        finally:
            await api.close()

    identity, trap, interfaces = asyncio.run(go())
    assert identity == [{"name": dev["identity"]}]
    assert isinstance(trap, TrapError) and len(interfaces) >= 1


def test_parsing_v6_and_v7_replies():
    memory = DeviceMemory()
    commands = commands_for(memory, facts_due=False)
    replies = {
        "/system/resource/print": [
            {
                "cpu-load": "7",
                "total-memory": "1000",
                "free-memory": "250",
                "uptime": "1w2d3h4m5s",
                "version": "7.16 (stable)",
            }
        ],
        "/system/health/print": [{"name": "voltage", "value": "24.1"}, {"name": "cpu-temperature", "value": "51"}],
        "/interface/print": [
            {"name": "ether1", "type": "ether", "running": "true", "rx-byte": "10", "tx-byte": "20"},
            {"name": "wifi1", "type": "wifi", "running": "true", "rx-byte": "1", "tx-byte": "2"},
            {"name": "ether9", "type": "ether", "running": "false", "disabled": "true"},
        ],
        "/interface/wifi/registration-table/print": [{"signal": "-60"}, {"signal": "-70"}],
        "/interface/wireless/registration-table/print": TrapError(message="no such command prefix"),
    }
    sample, problems = parse_replies(commands, [replies[c[0]] for c in commands], memory)
    assert problems == [] and memory.major == 7 and memory.has_wireless
    assert (sample.cpu, sample.mem_used, sample.mem_total) == (7, 750, 1000)
    assert sample.uptime_s == 7 * 86400 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5
    assert (sample.temperature, sample.voltage) == (51.0, 24.1)
    assert sample.interfaces == [("ether1", True, 10, 20), ("wifi1", True, 1, 2)]
    assert sample.wireless == (2, -65.0, -70)
    assert WIRELESS_V6_ONLY(DeviceMemory(major=6, has_wireless=True))
    assert uptime_seconds("1d02:03:04") == 93784


def WIRELESS_V6_ONLY(memory):  # noqa: N802 - reads as a predicate in the assertion
    names = [c[0] for c in commands_for(memory, facts_due=False)]
    return "/interface/wireless/registration-table/print" in names and not any("wifi" in n for n in names)
