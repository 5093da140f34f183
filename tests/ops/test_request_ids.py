"""Request ids (X-Request-ID in and out, on every log line) and task/tenant ids in task logs."""

import contextlib
import io
import json
import logging

import pytest
from celery.contrib.testing.worker import start_worker

from mikman.celery import app
from mikman.logging import JsonFormatter
from mikman.request_id import RequestIdLogFilter


@contextlib.contextmanager
def captured_json_lines():
    """Every record of the root logger, formatted as production's LOG_JSON=true would."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdLogFilter())
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


@pytest.fixture
def json_lines():
    with captured_json_lines() as lines:
        yield lines


def test_each_response_carries_a_fresh_request_id(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert len(first["X-Request-ID"]) == 32 and first["X-Request-ID"] != second["X-Request-ID"]


def test_a_sane_incoming_request_id_is_kept_and_an_insane_one_replaced(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a9c21.0001").headers["X-Request-ID"] == "lb-7f3a9c21.0001"
    forged = client.get("/healthz", HTTP_X_REQUEST_ID='x"\n{"level": "CRITICAL"}').headers["X-Request-ID"]
    assert len(forged) == 32 and "CRITICAL" not in forged
    assert len(client.get("/healthz", HTTP_X_REQUEST_ID="a" * 500).headers["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_log_lines_during_a_request_carry_its_id(client, json_lines):
    response = client.get("/no-such-page-h8", HTTP_X_REQUEST_ID="req-id-for-log-test")
    assert response.status_code == 404
    lines = [line for line in json_lines() if "no-such-page-h8" in line["msg"]]
    assert lines, json_lines()  # django.request logs "Not Found: /no-such-page-h8"
    assert all(line["request_id"] == "req-id-for-log-test" for line in lines)
    # and nothing is left behind for the code that runs after the request
    logging.getLogger("mikman.tests").warning("after the request")
    assert "request_id" not in json_lines()[-1]


@pytest.mark.django_db(transaction=True)
def test_task_logs_carry_task_id_tenant_id_and_the_sending_request_id(world):
    from mikman.request_id import request_id_var
    from tests.support.tasks import log_probe

    queue = app.conf.task_default_queue
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", queues=[queue]):
        # attached after the worker set up its logging (it takes over the root logger)
        with captured_json_lines() as json_lines:
            token = request_id_var.set("sent-from-request-42")  # as if a view sent the task
            try:
                result = log_probe.delay(str(world.acme.id), "probe line from a task")
            finally:
                request_id_var.reset(token)
            task_id = result.get(timeout=30)
    lines = [line for line in json_lines() if line["msg"] == "probe line from a task"]
    assert len(lines) == 1, json_lines()
    assert lines[0]["task_id"] == task_id
    assert lines[0]["task"] == "tests.log_probe"
    assert lines[0]["tenant"] == str(world.acme.id)
    assert lines[0]["request_id"] == "sent-from-request-42"
