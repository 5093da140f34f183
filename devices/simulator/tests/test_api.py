"""librouteros (plain and TLS) against the simulator over real loopback sockets."""

from __future__ import annotations

import socket
import time
from typing import Any

import librouteros
import pytest
from librouteros.exceptions import TrapError
from librouteros.query import Key

from devices.simulator.api_protocol import SentenceReader, encode_sentence
from devices.simulator.fleet import Fleet
from devices.simulator.testing import running_fleet

from .conftest import api_connect


def test_each_device_has_its_own_loopback_address(fleet_info: dict[str, Any]) -> None:
    devices = fleet_info["devices"]
    assert len({d["address"] for d in devices}) == len(devices)
    if fleet_info["mode"] == "addresses":
        assert devices[0]["address"] == "127.1.0.1"
        assert len({d["ports"]["api"] for d in devices}) == 1


def test_poll_plain_api(fleet_info: dict[str, Any]) -> None:
    api = api_connect(fleet_info, 0)
    resource = next(iter(api.path("/system/resource")))
    fleet = fleet_info["fleet"]
    dev = fleet.device(0)
    assert resource["board-name"] == dev.board
    assert str(resource["version"]).startswith(dev.version)
    assert next(iter(api.path("/system/identity")))["name"] == dev.identity
    assert next(iter(api.path("/system/routerboard")))["serial-number"] == dev.serial
    interfaces = list(api.path("/interface"))
    assert interfaces and all({"name", "rx-byte", "tx-byte", "running"} <= set(i) for i in interfaces)
    api.close()


def test_tls_with_pinned_ca(fleet_info: dict[str, Any]) -> None:
    api = api_connect(fleet_info, 1, tls=True)
    assert next(iter(api.path("/system/identity")))["name"] == fleet_info["fleet"].device(1).identity
    api.close()


def test_same_device_same_state_over_api_and_api_ssl(fleet_info: dict[str, Any]) -> None:
    plain, secure = api_connect(fleet_info, 2), api_connect(fleet_info, 2, tls=True)
    plain.path("/system/identity").update(name="changed-over-plain")
    assert next(iter(secure.path("/system/identity")))["name"] == "changed-over-plain"


def test_add_set_remove_roundtrip(fleet_info: dict[str, Any]) -> None:
    api = api_connect(fleet_info, 3)
    iface = next(iter(api.path("/interface")))["name"]
    addresses = api.path("/ip/address")
    new_id = addresses.add(address="10.99.0.1/24", interface=iface, comment="test")
    assert new_id.startswith("*")
    row = [r for r in addresses if r[".id"] == new_id][0]
    assert row["network"] == "10.99.0.0" and row["disabled"] is False
    addresses.update(**{".id": new_id, "disabled": True})
    assert [r for r in addresses if r[".id"] == new_id][0]["disabled"] is True
    addresses.remove(new_id)
    assert all(r[".id"] != new_id for r in addresses)
    with pytest.raises(TrapError, match="no such item"):
        addresses.remove(new_id)


def test_radius_client_menus_over_the_api(fleet_info: dict[str, Any]) -> None:
    """The menus router provisioning configures, set over the API as RouterOS 6/7 take them."""
    api = api_connect(fleet_info, 2)
    radius = api.path("/radius")
    new_id = radius.add(
        address="192.0.2.53",
        secret="s3cret-value",
        service="hotspot,ppp,login",
        **{"authentication-port": "11812", "require-message-auth": "yes-for-request-resp", "comment": "t"},
    )
    row = [r for r in radius if r[".id"] == new_id][0]
    assert (row["authentication-port"], row["accounting-port"], row["require-message-auth"]) == (
        11812,
        1813,
        "yes-for-request-resp",
    )
    radius.remove(new_id)
    tuple(api("/ppp/aaa/set", **{"use-radius": "yes", "interim-update": "5m"}))
    aaa = next(iter(api.path("/ppp/aaa")))
    assert (aaa["use-radius"], aaa["accounting"], aaa["interim-update"]) == (True, True, "5m")
    tuple(api("/ppp/aaa/set", **{"use-radius": "no", "interim-update": "0s"}))
    profiles = api.path("/ip/hotspot/profile")
    default = [p for p in profiles if p["name"] == "default"][0]
    profiles.update(**{".id": default[".id"], "use-radius": "yes"})
    assert [p for p in profiles if p["name"] == "default"][0]["use-radius"] is True
    profiles.update(**{".id": default[".id"], "use-radius": "no"})
    api.close()


def test_queries_proplist_and_count_only(fleet_info: dict[str, Any]) -> None:
    api = api_connect(fleet_info, 4)
    name, running = Key("name"), Key("running")
    rows = list(api.path("/interface").select(name, running).where(name == "ether2"))
    assert rows == [{"name": "ether2", "running": rows[0]["running"]}]
    either = list(api.path("/interface").select(name).where(name.In("ether1", "ether2")))
    assert {r["name"] for r in either} <= {"ether1", "ether2"} and len(either) >= 1
    total = len(list(api.path("/interface")))
    assert list(api.path("/interface")("print", **{"count-only": ""})) == [{"ret": total}]


def test_traps_like_routeros(fleet_info: dict[str, Any]) -> None:
    api = api_connect(fleet_info, 5)
    with pytest.raises(TrapError, match="no such command prefix"):
        list(api.path("/ip/nonsense"))
    with pytest.raises(TrapError, match="no such command"):
        list(api.path("/ip/address")("frobnicate"))
    with pytest.raises(TrapError, match="unknown parameter"):
        api.path("/ip/pool").add(name="p1", bogus="1")


def test_wrong_password_is_a_trap(fleet_info: dict[str, Any]) -> None:
    with pytest.raises(TrapError, match="invalid user name or password"):
        api_connect(fleet_info, 0, password="nope")


def test_read_only_user_cannot_write(fleet_info: dict[str, Any]) -> None:
    creds = fleet_info["credentials"]
    api = api_connect(fleet_info, 6, user=creds["read_username"], password=creds["read_password"])
    assert list(api.path("/ip/address"))
    with pytest.raises(TrapError, match=r"not enough permissions \(9\)"):
        api.path("/ip/pool").add(name="nope", ranges="10.0.0.1-10.0.0.9")


def _raw(info: dict[str, Any], index: int) -> socket.socket:
    dev = info["fleet"].describe([index])[0]
    sock = socket.create_connection((dev["address"], dev["ports"]["api"]), timeout=5)
    creds = info["credentials"]
    sock.sendall(encode_sentence(["/login", f"=name={creds['username']}", f"=password={creds['password']}"]))
    assert _read(sock, 1)[0][0] == "!done"
    return sock


def _read(sock: socket.socket, count: int, reader: SentenceReader | None = None) -> list[list[str]]:
    reader = reader or SentenceReader()
    out: list[list[str]] = []
    while len(out) < count:
        data = sock.recv(65536)
        assert data, "connection closed"
        out += reader.feed(data)
    return out


def test_tags_and_concurrent_commands(fleet_info: dict[str, Any]) -> None:
    sock = _raw(fleet_info, 7)
    sock.sendall(
        encode_sentence(["/system/identity/print", ".tag=a"]) + encode_sentence(["/ip/nothing/print", ".tag=b"])
    )
    replies = _read(sock, 4)
    tags = {tuple(s): s[-1] for s in replies}
    assert [s[0] for s in replies] == ["!re", "!done", "!trap", "!done"]
    assert all(t in (".tag=a", ".tag=b") for t in tags.values())
    assert replies[2][-1] == ".tag=b"


def test_log_listen_and_cancel(fleet_info: dict[str, Any]) -> None:
    sock = _raw(fleet_info, 8)
    reader = SentenceReader()
    sock.sendall(encode_sentence(["/log/listen", ".tag=L"]))
    time.sleep(0.1)
    fleet_info["fleet"].device(8).log("system,info", "hello from the test")
    event = _read(sock, 1, reader)[0]
    assert event[0] == "!re" and "=message=hello from the test" in event
    sock.sendall(encode_sentence(["/cancel", "=tag=L", ".tag=C"]))
    rest = _read(sock, 3, reader)
    assert ["!trap", "=category=2", "=message=interrupted", ".tag=L"] in rest
    assert ["!done", ".tag=C"] in rest


def test_monitor_traffic_streams_until_cancel(fleet_info: dict[str, Any]) -> None:
    sock = _raw(fleet_info, 9)
    reader = SentenceReader()
    sock.sendall(encode_sentence(["/interface/monitor-traffic", "=interface=ether1", ".tag=m"]))
    first = _read(sock, 1, reader)[0]
    assert first[0] == "!re" and "=name=ether1" in first and first[-1] == ".tag=m"
    sock.sendall(encode_sentence(["/cancel", "=tag=m", ".tag=c"]))
    replies = _read(sock, 3, reader)
    while ["!done", ".tag=c"] not in replies:
        replies += _read(sock, 1, reader)
    assert any(r[0] == "!trap" and r[-1] == ".tag=m" for r in replies)


def test_monitor_traffic_once(fleet_info: dict[str, Any]) -> None:
    api = api_connect(fleet_info, 9)
    rows = list(api.path("/interface")("monitor-traffic", interface="ether1", once=True))
    assert rows and "rx-bits-per-second" in rows[0]


def test_empty_reply_on_7_18_and_later() -> None:
    fleet = Fleet(count=40, seed=3, ports={"api": 0}, control_port=None)
    target = next(d for d in fleet.devices() if d.version.startswith("7.18") or d.version.startswith("7.19"))
    with running_fleet(count=40, seed=3, protocols=("api",)) as info:
        sock = _raw(info, target.index)
        sock.sendall(encode_sentence(["/ip/address/print", "?address=203.0.113.250/32"]))
        assert [s[0] for s in _read(sock, 2)] == ["!empty", "!done"]
    fleet.close()


def test_firmware_install_reboots_with_new_version(fleet_info: dict[str, Any]) -> None:
    fleet = fleet_info["fleet"]
    dev = fleet.device(10)
    api = api_connect(fleet_info, 10)
    before = dev.version
    update = api.path("/system/package/update")
    status = list(update("check-for-updates"))[0]
    assert status["installed-version"] == before
    if status["status"] != "New version is available":
        pytest.skip("device already on latest")
    uptime_before = dev.uptime()
    list(update("install"))
    with pytest.raises((librouteros.exceptions.ConnectionClosed, ConnectionError, OSError)):
        list(api.path("/system/resource"))
    with pytest.raises((ConnectionError, librouteros.exceptions.ConnectionClosed, OSError)):
        api_connect(fleet_info, 10, timeout=1)
    time.sleep(0.7)
    api = api_connect(fleet_info, 10)
    resource = next(iter(api.path("/system/resource")))
    assert str(resource["version"]).startswith(status["latest-version"])
    assert dev.uptime() < uptime_before


def test_disabling_api_ssl_closes_it_for_that_device(fleet_info: dict[str, Any]) -> None:
    secure = api_connect(fleet_info, 11, tls=True)
    plain = api_connect(fleet_info, 11)
    plain.path("/ip/service").update(**{".id": _service_id(plain, "api-ssl"), "disabled": True})
    with pytest.raises((ConnectionError, OSError, librouteros.exceptions.ConnectionClosed)):
        list(secure.path("/system/identity"))
    with pytest.raises((ConnectionError, OSError)):
        api_connect(fleet_info, 11, tls=True)
    assert list(plain.path("/system/identity"))  # plain API still served
    plain.path("/ip/service").update(**{".id": _service_id(plain, "api-ssl"), "disabled": False})
    assert list(api_connect(fleet_info, 11, tls=True).path("/system/identity"))


def _service_id(api: librouteros.api.Api, name: str) -> str:
    return next(r[".id"] for r in api.path("/ip/service") if r["name"] == name)


@pytest.mark.parametrize("use_uvloop", [False, True])
def test_tls_certificates_cover_every_block_of_devices(use_uvloop: bool) -> None:
    with running_fleet(count=300, seed=2, protocols=("api-ssl",), use_uvloop=use_uvloop) as info:
        for index in (0, 253, 254, 299):  # first and second /24 block
            api = api_connect(info, index, tls=True)
            assert next(iter(api.path("/system/identity")))["name"] == info["fleet"].device(index).identity
            api.close()
