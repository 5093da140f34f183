# ruff: noqa: F811  (pytest injects the imported `world` fixture by parameter name)
"""Version and CVE feeds: parsing, offline import, fetching over real HTTP (GET only, nothing
about the fleet sent, failures keep the last data) and per-tenant exposure in the API and UI."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from devices.feeds import services
from devices.feeds.parse import FeedError, nvd_document
from devices.feeds.versions import RouterOSVersion, in_range
from devices.models import Device
from devices.models.feeds import FeedState, RouterOSRelease, Vulnerability
from tenants.context import tenant_context
from tests.conftest import world  # noqa: F401 - the shared cast
from tests.factories import api_client, make_device

DATA = Path(__file__).parent / "data"
NVD = DATA / "nvd-routeros-sample.json"
VERSIONS = DATA / "routeros-versions-sample.json"


def test_routeros_versions_order_like_routeros():
    order = ["6.48.6", "6.49", "6.49.7", "6.49.17", "7.0", "7.16beta2", "7.16rc1", "7.16", "7.16.1", "7.17"]
    parsed = [RouterOSVersion(text) for text in order]
    assert parsed == sorted(reversed(parsed))
    assert RouterOSVersion("7.16") == RouterOSVersion("7.16.0")
    with pytest.raises(ValueError, match="not a RouterOS version"):
        RouterOSVersion("seven")


def test_ranges_follow_nvd_bounds():
    v = RouterOSVersion("6.49.7")
    assert in_range(v, {"end_excluding": "6.49.8"}) and not in_range(v, {"end_excluding": "6.49.7"})
    assert in_range(v, {"start_including": "6.43", "end_including": "6.49.7"})
    assert not in_range(v, {"start_excluding": "6.49.7"})
    assert in_range(v, {"exact": "6.49.7"}) and not in_range(v, {"exact": "6.49.6"})
    assert not in_range(v, {})  # an unbounded spec matches nothing rather than everything


def test_nvd_document_keeps_routeros_cves_with_their_ranges_and_severity():
    rows, total = nvd_document(json.loads(NVD.read_text()))
    assert total == 5
    by_id = {row.cve_id: row for row in rows}
    assert sorted(by_id) == ["CVE-2018-14847", "CVE-2020-20227", "CVE-2023-30799", "CVE-2024-54772"]  # SwOS skipped
    assert by_id["CVE-2024-54772"].ranges == [
        {"start_including": "6.43", "end_including": "6.49.17"},
        {"start_including": "7.0", "end_excluding": "7.17.2"},
    ]
    assert by_id["CVE-2024-54772"].fixed_in == "7.17.2"
    assert (by_id["CVE-2023-30799"].severity, by_id["CVE-2023-30799"].score) == ("critical", 9.1)
    assert by_id["CVE-2020-20227"].severity == "medium" and by_id["CVE-2020-20227"].ranges == [{"exact": "6.47"}]
    assert by_id["CVE-2018-14847"].summary.startswith("Directory traversal")  # the English description


@pytest.mark.parametrize("document", [[], {"vulnerabilities": "x"}, {"vulnerabilities": [{"cve": {}}]}])
def test_malformed_nvd_documents_are_refused_with_a_reason(document):
    with pytest.raises(FeedError):
        nvd_document(document)


@pytest.mark.django_db
def test_import_feed_command_loads_files_and_refuses_bad_ones_without_half_writing(tmp_path):
    call_command("import_feed", "cve", str(NVD))
    call_command("import_feed", "versions", str(VERSIONS))
    assert Vulnerability.objects.count() == 4
    assert RouterOSRelease.objects.get(major=7, channel="stable").version == "7.19.4"
    assert FeedState.objects.get(name="cve").source == "import: nvd-routeros-sample.json"

    broken = json.loads(NVD.read_text())
    broken["vulnerabilities"].append({"cve": {"no": "id"}})  # after four good ones
    Vulnerability.objects.all().delete()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(broken))
    with pytest.raises(CommandError, match="needs a cve object with an id.*Nothing was imported"):
        call_command("import_feed", "cve", str(bad))
    assert Vulnerability.objects.count() == 0
    bad.write_text("{not json")
    with pytest.raises(CommandError, match="is not JSON"):
        call_command("import_feed", "cve", str(bad))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_feed", "versions", str(tmp_path / "missing.json"))
    with pytest.raises(CommandError, match="Give the feed and the file"):
        call_command("import_feed")


class FeedServer:
    """A local HTTP server standing in for upgrade.mikrotik.com and the NVD API; records requests."""

    def __init__(self, nvd_pages: list[dict]):
        self.requests: list[tuple[str, str, bytes]] = []
        self.nvd_pages = nvd_pages
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _record(self):
                length = int(self.headers.get("Content-Length") or 0)
                server.requests.append((self.command, self.path, self.rfile.read(length) if length else b""))

            def do_GET(self):
                self._record()
                if self.path.startswith("/routeros/NEWESTa7.stable"):
                    return self._send(200, b"7.19.4 1753102815\n", "text/plain")
                if self.path.startswith("/routeros/NEWESTa7.long-term"):
                    return self._send(200, b"7.16.2 1732619885\n", "text/plain")
                if self.path.startswith("/routeros/NEWEST6.stable"):
                    return self._send(200, b"6.49.18 1740000000\n", "text/plain")
                if self.path.startswith("/nvd"):
                    start = int(self.path.split("startIndex=")[1].split("&")[0])
                    page = server.nvd_pages[0] if start == 0 else server.nvd_pages[1]
                    return self._send(200, json.dumps(page).encode(), "application/json")
                return self._send(404, b"not here", "text/plain")

            def do_POST(self):
                self._record()
                self._send(405, b"", "text/plain")

            def _send(self, code, body, kind):
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def feed_server():
    document = json.loads(NVD.read_text())
    first = {**document, "vulnerabilities": document["vulnerabilities"][:3], "totalResults": 5}
    second = {**document, "vulnerabilities": document["vulnerabilities"][3:], "startIndex": 3, "totalResults": 5}
    server = FeedServer([first, second])
    yield server
    server.close()


@pytest.mark.django_db
def test_fetch_is_get_only_pages_through_nvd_and_sends_nothing_about_the_fleet(world, settings, feed_server):
    make_device(world.acme, world.north, "edge-secret-name", host="198.51.100.7", ros_version="7.15.3")
    settings.FEED_VERSIONS_URL = f"{feed_server.url}/routeros/"
    settings.FEED_CVE_URL = f"{feed_server.url}/nvd"
    report = services.refresh_feeds()
    assert report.errors == {} and report.fetched == {"versions": 3, "cve": 4}
    assert {r.version for r in RouterOSRelease.objects.all()} == {"7.19.4", "7.16.2", "6.49.18"}
    assert Vulnerability.objects.count() == 4
    assert {method for method, _, _ in feed_server.requests} == {"GET"}
    assert all(body == b"" for _, _, body in feed_server.requests)
    sent = " ".join(path for _, path, _ in feed_server.requests)
    assert "startIndex=3" in sent  # second NVD page fetched
    for private in ("edge-secret-name", "198.51.100.7", "7.15.3", "acme"):
        assert private not in sent


@pytest.mark.django_db
def test_an_unreachable_feed_records_the_error_and_keeps_the_last_data(settings, feed_server):
    call_command("import_feed", "cve", str(NVD))
    feed_server.close()  # nothing listens there any more
    settings.FEED_VERSIONS_URL = ""  # off: skipped, not an error
    settings.FEED_CVE_URL = f"{feed_server.url}/nvd"
    report = services.refresh_feeds()
    assert report.skipped == ["versions"] and "cannot connect" in report.errors["cve"]
    state = FeedState.objects.get(name="cve")
    assert "cannot connect" in state.last_error and state.last_success is not None
    assert Vulnerability.objects.count() == 4  # last known data kept
    with pytest.raises(CommandError, match="cve: cannot connect"):
        call_command("import_feed", "--fetch")


@pytest.fixture
def exposed_fleet(world):
    call_command("import_feed", "cve", str(NVD))
    call_command("import_feed", "versions", str(VERSIONS))
    return {
        "old": make_device(world.acme, world.north, "north-old", ros_version="6.49.6"),  # 30799 + 54772
        "mid": make_device(world.acme, world.south, "south-mid", ros_version="7.15.3"),  # 54772 only
        "new": make_device(world.acme, world.north, "north-new", ros_version="7.19.4"),  # clean
        "unpolled": make_device(world.acme, world.north, "north-unpolled"),  # no version yet
        "foreign": make_device(world.globex, world.east, "globex-old", ros_version="6.40"),  # 14847, not acme's
    }


@pytest.mark.django_db
def test_exposure_api_lists_devices_with_cves_fix_and_summary(world, exposed_fleet):
    response = api_client(world.users.carol).get("/api/v1/tenants/acme/cve-exposure/")  # a viewer
    assert response.status_code == 200, response.content
    rows = {row["name"]: row for row in response.json()["results"]}
    assert set(rows) == {"north-old", "south-mid", "north-new", "north-unpolled"}  # never globex's
    old = rows["north-old"]
    assert [c["cve_id"] for c in old["cves"]] == ["CVE-2023-30799", "CVE-2024-54772"]
    assert old["worst_severity"] == "critical" and old["latest_stable"] == "6.49.18"
    assert old["cves"][0]["fixed_in"] == "6.49.7"
    assert old["cves"][1]["fixed_in"] == ""  # its v6 range ends "including 6.49.17": no stated fix …
    assert old["fix_version"] == ""  # … so no single version can be named for the device
    assert rows["south-mid"]["fix_version"] == "7.17.2" and rows["south-mid"]["latest_stable"] == "7.19.4"
    assert rows["north-new"]["cves"] == [] and rows["north-new"]["worst_severity"] is None
    assert response.json()["summary"] == {
        "devices": 4,
        "exposed": 2,
        "critical": 1,
        "high": 0,
        "medium": 1,
        "low": 0,
        "none": 0,
    }
    only = api_client(world.users.carol).get("/api/v1/tenants/acme/cve-exposure/?exposed=true&min_severity=critical")
    assert [row["name"] for row in only.json()["results"]] == ["north-old"]
    bad = api_client(world.users.carol).get("/api/v1/tenants/acme/cve-exposure/?min_severity=urgent")
    assert bad.status_code == 400 and "min_severity must be one of" in bad.content.decode()


@pytest.mark.django_db
def test_exposure_honours_site_scope_and_writes_are_refused(world, exposed_fleet):
    dave = api_client(world.users.dave)  # viewer scoped to North
    names = {row["name"] for row in dave.get("/api/v1/tenants/acme/cve-exposure/").json()["results"]}
    assert names == {"north-old", "north-new", "north-unpolled"}
    mid = exposed_fleet["mid"]
    assert dave.get(f"/api/v1/tenants/acme/cve-exposure/{mid.pk}/").status_code == 404
    assert dave.post("/api/v1/tenants/acme/cve-exposure/", {}).status_code == 403  # a viewer: no writes
    assert api_client(world.users.alice).post("/api/v1/tenants/acme/cve-exposure/", {}).status_code == 405
    one = api_client(world.users.bob).get(f"/api/v1/tenants/acme/cve-exposure/{mid.pk}/")
    assert one.status_code == 200 and [c["cve_id"] for c in one.json()["cves"]] == ["CVE-2024-54772"]


@pytest.mark.django_db
def test_exposure_page_shows_the_tenants_exposed_devices_only(client, world, exposed_fleet):
    client.force_login(world.users.dave)
    page = client.get("/t/acme/cves/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "north-old" in body and "CVE-2023-30799" in body and "6.49.7" in body
    assert "south-mid" not in body and "globex-old" not in body and "CVE-2018-14847" not in body
    assert 'class="sev-critical"' in body  # the summary bar is drawn
    client.force_login(world.users.erin)
    assert client.get("/t/acme/cves/").status_code == 404


@pytest.mark.django_db
def test_feeds_endpoint_is_platform_data_for_signed_in_users(world, exposed_fleet):
    assert api_client().get("/api/v1/feeds/").status_code in (401, 403)
    data = api_client(world.users.erin).get("/api/v1/feeds/").json()
    assert {f["name"] for f in data["feeds"]} == {"cve", "versions"}
    assert any(r["version"] == "7.19.4" for r in data["releases"]) and len(data["cves"]) == 4
    with tenant_context(world.acme.id):
        assert Device.objects.count() == 4
