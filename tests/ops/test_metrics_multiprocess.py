"""/metrics under real gunicorn with several worker processes (multiprocess mode): a scrape
sums every worker's counters, and a worker that exits (max_requests recycling, a crash) does
not take its counts with it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def healthz_count(base: str) -> float:
    text = httpx.get(f"{base}/metrics", timeout=30).raise_for_status().text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "mikman_http_requests_total" and sample.labels.get("view") == "healthz"
    )


@pytest.fixture
def gunicorn(transactional_db, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mikman.settings.test",
        "MIKMAN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "3",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"),
    }
    (tmp_path / "prom").mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py", "mikman.wsgi:application"],
        cwd=ROOT,
        env=env,
        stdout=(tmp_path / "access.log").open("w"),
        stderr=(tmp_path / "gunicorn.log").open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120  # 3 Django processes on a shared 2-core machine
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200 and len(children(proc.pid)) == 3:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.time() < deadline, (tmp_path / "gunicorn.log").read_text()[-3000:]
            time.sleep(0.3)
        yield proc, base, tmp_path / "prom"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_scrape_sums_all_gunicorn_workers_and_survives_a_worker_exit(gunicorn):
    master, base, prom_dir = gunicorn
    before = healthz_count(base)
    for _ in range(30):  # a new connection each time: the workers take turns accepting
        httpx.get(f"{base}/healthz", headers={"Connection": "close"}, timeout=10).raise_for_status()
    assert healthz_count(base) == before + 30
    assert len(list(prom_dir.glob("*.db"))) >= 1

    old = children(master.pid)
    os.kill(old[0], signal.SIGTERM)  # one worker exits; the master starts a new one
    deadline = time.time() + 90
    while not (len(now := children(master.pid)) == 3 and old[0] not in now):
        assert time.time() < deadline, "gunicorn did not replace the worker"
        time.sleep(0.2)
    assert healthz_count(base) == before + 30  # the exited worker's counts are still summed


@pytest.mark.django_db(transaction=True)
def test_access_log_lines_carry_the_request_id(gunicorn):
    master, base, prom_dir = gunicorn
    response = httpx.get(f"{base}/healthz", headers={"X-Request-ID": "edge-proxy-0042"}, timeout=10)
    assert response.headers["X-Request-ID"] == "edge-proxy-0042"
    access_log = prom_dir.parent / "access.log"
    deadline = time.time() + 10
    while "rid=edge-proxy-0042" not in access_log.read_text():
        assert time.time() < deadline, access_log.read_text()[-2000:]
        time.sleep(0.2)
