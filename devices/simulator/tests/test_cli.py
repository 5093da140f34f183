"""The RouterOS CLI interpreter (used by SSH, /import, scripts and the scheduler)."""

from __future__ import annotations

import pytest

from devices.simulator.cli import tokenize
from devices.simulator.device import DeviceContext, SimDevice


@pytest.fixture
def dev() -> SimDevice:
    return SimDevice(2, "127.1.0.3", DeviceContext(seed=1))


def test_space_and_slash_forms(dev: SimDevice) -> None:
    assert dev.cli("/ip address add address=10.1.1.1/24 interface=ether2") == ""
    assert dev.cli("/ip/address/add address=10.1.2.1/24 interface=ether2") == ""
    assert dev.cli("/ip address print count-only where interface=ether2").strip() == "2"


def test_find_get_and_put(dev: SimDevice) -> None:
    out = dev.cli(
        '/interface ethernet set [find default-name=ether2] comment="uplink 2"\n:put [/interface get ether2 comment]'
    )
    assert out == "uplink 2\n"
    assert dev.cli(":put [/system identity get name]").strip() == dev.identity


def test_menu_context_lines_like_an_export(dev: SimDevice) -> None:
    script = (
        '/ip firewall address-list\nadd list=x address=192.0.2.1\nadd list=x address=192.0.2.2 comment="two words"\n'
    )
    assert dev.cli_result(script).ok
    assert dev.cli('/ip firewall address-list print count-only where list="x"').strip() == "2"
    dev.cli('/ip firewall address-list remove [find where list=x and comment~"two"]')
    assert dev.cli("/ip firewall address-list print count-only where list=x").strip() == "1"


def test_enable_disable_and_where_booleans(dev: SimDevice) -> None:
    dev.cli("/ip firewall filter disable [find where chain=forward]")
    disabled = int(dev.cli("/ip firewall filter print count-only where disabled").strip())
    forward = int(dev.cli("/ip firewall filter print count-only where chain=forward").strip())
    assert disabled >= forward > 0
    dev.cli("/ip firewall filter enable [find]")
    assert dev.cli("/ip firewall filter print count-only where disabled").strip() == "0"


def test_errors_like_routeros(dev: SimDevice) -> None:
    assert dev.cli("/ip nothing print").startswith("bad command name nothing (line 1 column")
    assert dev.cli("/ip address frob").startswith("bad command name frob")
    assert dev.cli("/ip address add address=1.1.1.1/24 interface=ether2 bogus=1").startswith(
        "expected end of command (line 1 column"
    )
    result = dev.cli_result("/ip pool add name=a\n/ip pool add name=a\n/ip pool add name=b")
    assert result.error is not None and "already have" in result.error.message
    assert dev.cli("/ip pool print count-only where name=b").strip() == "0"  # script stopped


def test_read_only_user_gets_permission_error(dev: SimDevice) -> None:
    reader = dev.user("monitor")
    assert reader is not None
    assert "not enough permissions" in dev.cli("/ip pool add name=x ranges=10.0.0.1-10.0.0.2", reader)
    assert "name:" in dev.cli("/system identity print", reader)


def test_export_to_file_and_import(dev: SimDevice) -> None:
    dev.cli("/export file=snap")
    assert dev.cli(":put [/file get snap.rsc type]").strip() == "script"
    dev.cli('/file add name=change.rsc contents="/system identity set name=from-file"')
    out = dev.cli("/import file-name=change.rsc")
    assert dev.identity == "from-file"
    assert "Script file loaded and executed successfully" in out or dev.major == 6


def test_scripts_locals_delay_and_log(dev: SimDevice) -> None:
    dev.cli('/system script add name=hello source=":local who \\"world\\"\\n:log info \\"hello \\$who\\"\\n:delay 1ms"')
    dev.cli("/system script run hello")
    assert any(r["message"] == "hello world" for r in dev.print("/log"))


def test_line_continuations_and_comments() -> None:
    statements = tokenize('# comment\n/ip address add \\\n    address=10.0.0.1/24 comment="a \\"b\\"" ; :put x\n')
    assert [[t.value for t in s.tokens] for s in statements] == [
        ["/ip", "address", "add", "10.0.0.1/24", 'a "b"'],
        [":put", "x"],
    ]


def test_settings_print_and_reboot(dev: SimDevice) -> None:
    assert "board-name: " in dev.cli("/system resource print")
    dev.cli("/system reboot")
    assert dev.is_rebooting()


def test_move_rule_to_the_top(dev: SimDevice) -> None:
    dev.cli("/ip firewall filter add chain=input action=drop comment=LAST")
    dev.cli("/ip firewall filter move [find comment=LAST] destination=0")
    assert dev.print("/ip/firewall/filter")[0]["comment"] == "LAST"


def test_if_foreach_and_ping(dev: SimDevice) -> None:
    assert dev.cli(":if ([/ping 10.0.0.1 count=3] = 3) do={:put up} else={:put down}") == "up\n"
    assert dev.cli(":if ([/ping 203.0.113.9 count=2] = 0) do={ :put down }") == "down\n"
    assert dev.cli(':local n [/ip address print count-only]; :put ("addresses: " . $n)') == (
        f"addresses: {len(dev.print('/ip/address'))}\n"
    )
    dev.cli(":foreach i in=[/ip firewall filter find where chain=forward] do={ /ip firewall filter disable $i }")
    forward = [r for r in dev.print("/ip/firewall/filter") if r["chain"] == "forward"]
    assert forward and all(r["disabled"] == "true" for r in forward)


def test_every_menu_prints_on_every_board_and_major() -> None:
    from devices.simulator.fleet import Fleet
    from devices.simulator.menus import MENUS, menu_for

    fleet = Fleet(count=60, seed=4, control_port=None)
    seen = set()
    for device in fleet.devices():
        key = (device.board, device.major)
        if key in seen:
            continue
        seen.add(key)
        for path in MENUS:
            if menu_for(path, device.major) is None:
                continue
            assert isinstance(device.print(path), list)
            result = device.cli_result(f"{path} print")
            assert result.ok, (path, result.text)
        assert device.snmp_view()["interfaces"]
    assert len(seen) >= 6


def test_radius_client_provisioning_script_is_idempotent(dev: SimDevice) -> None:
    """What mikman's router provisioning sends: run twice, one /radius entry, updated in place."""
    tag = 'comment="mikman-user-manager-1"'
    script = (
        "/radius\n"
        f":if ([:len [find where {tag}]] = 0) do={{ add {tag} address=192.0.2.9 }}\n"
        f'set [find where {tag}] address=192.0.2.53 secret="a\\$b?c" service=hotspot,ppp,login '
        "authentication-port=11812 accounting-port=11813 require-message-auth=yes-for-request-resp\n"
        "/radius incoming set accept=yes port=3799\n"
        "/ppp aaa set use-radius=yes accounting=yes interim-update=300s\n"
        "/ip hotspot profile set [find] use-radius=yes\n"
    )
    for _ in range(2):
        assert dev.cli_result(script).ok
    assert dev.cli(f"/radius print count-only where {tag}").strip() == "1"
    assert dev.cli(f"/radius get [find where {tag}] address").strip() == "192.0.2.53"
    assert dev.cli(f"/radius get [find where {tag}] secret").strip() == "a$b?c"
    assert "set [ find name=default ] use-radius=yes" in dev.cli("/ip hotspot profile export")
    assert dev.cli(':put [:len "four"]') == "4\n"
    assert "/ppp aaa\nset interim-update=300s use-radius=yes" in dev.cli("/ppp aaa export")
