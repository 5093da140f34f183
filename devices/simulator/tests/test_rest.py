"""The simulator's REST frontend (RouterOS 7.1+), over real HTTPS with httpx and curl."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from devices.simulator.testing import running_fleet

V6, V7, FAULTY = 0, 2, 3  # seed 1: devices 0-1 run 6.49, devices 2-3 run 7.x


@pytest.fixture(scope="module")
def fleet_info() -> Iterator[dict[str, Any]]:
    with running_fleet(("rest",), count=4, seed=1, control_port=None, reboot_seconds=3.0) as info:
        assert info["fleet"].device(V6).major == 6 and info["fleet"].device(V7).major == 7
        yield info


def base_url(info: dict[str, Any], index: int) -> str:
    return f"https://{info['fleet'].address(index)}:{info['ports']['rest']}/rest"


@pytest.fixture
def rest(fleet_info: dict[str, Any]) -> Iterator[httpx.Client]:
    creds = fleet_info["credentials"]
    with httpx.Client(
        base_url=base_url(fleet_info, V7),
        auth=(creds["username"], creds["password"]),
        verify=fleet_info["fleet"].client_ssl_context(),
        timeout=5,
    ) as client:
        yield client


@pytest.fixture
def device(fleet_info: dict[str, Any]) -> Any:
    return fleet_info["fleet"].device(V7)


def test_get_lists_a_menu_with_every_value_a_string(rest: httpx.Client, device: Any) -> None:
    response = rest.get("/interface")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    rows = response.json()
    assert [row["name"] for row in rows] == [row["name"] for row in device.print("/interface")]
    assert all(isinstance(value, str) for row in rows for value in row.values())


def test_get_of_a_settings_menu_is_one_object(rest: httpx.Client, device: Any) -> None:
    assert rest.get("/system/identity").json() == {"name": device.identity}
    resource = rest.get("/system/resource").json()
    assert resource["version"].startswith(device.version)


def test_get_with_proplist_and_filter(rest: httpx.Client, device: Any) -> None:
    rows = rest.get("/interface", params={"type": "ether", ".proplist": "name,type"}).json()
    expected = device.print("/interface", proplist=["name", "type"], queries=["?type=ether"])
    assert rows == expected and rows
    assert all(set(row) == {"name", "type"} for row in rows)


def test_get_one_item_by_id_or_by_name(rest: httpx.Client, device: Any) -> None:
    first = device.print("/interface")[0]
    by_id = rest.get(f"/interface/{first['.id']}").json()
    by_name = rest.get(f"/interface/{first['name']}").json()
    assert by_id[".id"] == by_name[".id"] == first[".id"]
    assert by_id["name"] == first["name"]


def test_put_patch_delete_round_trip(rest: httpx.Client, device: Any) -> None:
    created = rest.put("/ip/address", json={"address": "10.77.0.1/24", "interface": "ether2"})
    assert created.status_code == 201
    row = created.json()
    assert row["address"] == "10.77.0.1/24" and row[".id"].startswith("*")
    assert row in device.print("/ip/address")

    patched = rest.patch(f"/ip/address/{row['.id']}", json={"comment": "from rest"})
    assert patched.status_code == 200
    assert patched.json()["comment"] == "from rest"
    assert rest.get(f"/ip/address/{row['.id']}").json()["comment"] == "from rest"

    deleted = rest.delete(f"/ip/address/{row['.id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert rest.get(f"/ip/address/{row['.id']}").status_code == 404


def test_post_print_takes_proplist_and_query(rest: httpx.Client, device: Any) -> None:
    body = {".proplist": ["name", "mtu"], ".query": ["type=ether"]}
    rows = rest.post("/interface/print", json=body).json()
    assert rows == device.print("/interface", proplist=["name", "mtu"], queries=["?type=ether"])


def test_post_set_on_a_settings_menu(rest: httpx.Client, device: Any) -> None:
    old = device.identity
    try:
        assert rest.post("/system/identity/set", json={"name": "rest-renamed"}).status_code == 200
        assert device.identity == "rest-renamed"
    finally:
        device.set("/system/identity", None, {"name": old})


def test_post_execute_runs_a_cli_script(rest: httpx.Client, device: Any) -> None:
    response = rest.post("/execute", json={"script": "/system identity print", "as-string": True})
    assert response.json() == {"ret": f"name: {device.identity}\n"}


def test_errors_are_routeros_json(rest: httpx.Client) -> None:
    missing_menu = rest.get("/ip/nonsense")
    assert missing_menu.status_code == 404
    assert missing_menu.json() == {
        "error": 404,
        "message": "Not Found",
        "detail": "no such command or directory (nonsense)",
    }
    missing_item = rest.get("/ip/address/*FFFF")
    assert missing_item.json() == {"error": 404, "message": "Not Found"}
    bad_parameter = rest.put("/ip/address", json={"address": "10.78.0.1/24", "interface": "ether2", "colour": "red"})
    assert bad_parameter.status_code == 400
    assert bad_parameter.json()["message"] == "Bad Request"
    assert "unknown parameter" in bad_parameter.json()["detail"]


def test_wrong_password_is_401(fleet_info: dict[str, Any]) -> None:
    response = httpx.get(
        base_url(fleet_info, V7) + "/system/identity",
        auth=("admin", "wrong"),
        verify=fleet_info["fleet"].client_ssl_context(),
    )
    assert response.status_code == 401
    assert response.json() == {"error": 401, "message": "Unauthorized"}
    assert response.headers["www-authenticate"].startswith("Basic")


def test_read_only_user_may_read_but_not_write(fleet_info: dict[str, Any]) -> None:
    creds = fleet_info["credentials"]
    with httpx.Client(
        base_url=base_url(fleet_info, V7),
        auth=(creds["read_username"], creds["read_password"]),
        verify=fleet_info["fleet"].client_ssl_context(),
    ) as reader:
        assert reader.get("/system/identity").status_code == 200
        denied = reader.put("/ip/address", json={"address": "10.79.0.1/24", "interface": "ether2"})
    assert denied.status_code == 400
    assert "not enough permissions" in denied.json()["detail"]


def test_connection_is_kept_alive(fleet_info: dict[str, Any]) -> None:
    creds = fleet_info["credentials"]
    connection = http.client.HTTPSConnection(
        fleet_info["fleet"].address(V7),
        fleet_info["ports"]["rest"],
        context=fleet_info["fleet"].client_ssl_context(),
        timeout=5,
    )
    auth = httpx.BasicAuth(creds["username"], creds["password"])
    headers = {"Authorization": auth._auth_header}
    try:
        for _ in range(3):
            connection.request("GET", "/rest/system/identity", headers=headers)
            response = connection.getresponse()
            assert response.status == 200
            json.loads(response.read())
    finally:
        connection.close()


def test_routeros6_has_no_rest(fleet_info: dict[str, Any]) -> None:
    with pytest.raises(httpx.TransportError):
        httpx.get(
            base_url(fleet_info, V6) + "/system/identity",
            auth=("admin", fleet_info["credentials"]["password"]),
            verify=fleet_info["fleet"].client_ssl_context(),
        )


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_with_insecure_tls(fleet_info: dict[str, Any], device: Any) -> None:
    creds = fleet_info["credentials"]
    result = subprocess.run(
        [
            "curl",
            "-sk",
            "-u",
            f"{creds['username']}:{creds['password']}",
            base_url(fleet_info, V7) + "/system/identity",
        ],
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert json.loads(result.stdout) == {"name": device.identity}


@pytest.fixture
def faulty(fleet_info: dict[str, Any]) -> Iterator[tuple[Any, httpx.Client]]:
    """Set a fault on a v7 device for one test; yields (set_fault, client for it)."""
    fleet = fleet_info["fleet"]
    creds = fleet_info["credentials"]
    client = httpx.Client(
        base_url=base_url(fleet_info, FAULTY),
        auth=(creds["username"], creds["password"]),
        verify=fleet.client_ssl_context(),
        timeout=1,
    )
    yield (lambda spec: fleet.set_fault(FAULTY, spec)), client
    client.close()
    fleet.set_fault(FAULTY, None)


def test_offline_device_refuses(faulty: tuple[Any, httpx.Client]) -> None:
    set_fault, client = faulty
    set_fault("offline")
    with pytest.raises(httpx.TransportError):
        client.get("/system/identity")


def test_black_holed_device_times_out(faulty: tuple[Any, httpx.Client]) -> None:
    set_fault, client = faulty
    set_fault("blackhole")
    with pytest.raises(httpx.TimeoutException):
        client.get("/system/identity", timeout=0.5)


def test_wrong_credentials_fault_is_401(faulty: tuple[Any, httpx.Client]) -> None:
    set_fault, client = faulty
    set_fault("wrong-credentials")
    assert client.get("/system/identity").status_code == 401


def test_reset_fault_breaks_the_reply(faulty: tuple[Any, httpx.Client]) -> None:
    set_fault, client = faulty
    set_fault("reset")
    with pytest.raises(httpx.TransportError):
        client.get("/interface")


def test_reboot_takes_the_device_away_at_once(fleet_info: dict[str, Any], faulty: tuple[Any, httpx.Client]) -> None:
    _, client = faulty
    with pytest.raises(httpx.TransportError):  # the reboot drops the connection it came on
        client.post("/system/reboot")
    assert fleet_info["fleet"].device(FAULTY).is_rebooting()
    with pytest.raises(httpx.TransportError):
        client.get("/system/identity")


def test_post_runs_menu_commands(rest: httpx.Client, device: Any) -> None:
    added = rest.post("/ip/address/add", json={"address": "10.80.0.1/24", "interface": "ether2"}).json()
    assert set(added) == {"ret"} and added["ret"].startswith("*")
    assert rest.post("/ip/address/disable", json={".id": added["ret"]}).json() == []
    assert rest.get(f"/ip/address/{added['ret']}").json()["disabled"] == "true"
    assert rest.post("/ip/address/remove", json={".id": added["ret"]}).json() == []
    assert rest.get(f"/ip/address/{added['ret']}").status_code == 404
    unknown = rest.post("/ip/address/frobnicate", json={})
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "no such command or directory (frobnicate)"
