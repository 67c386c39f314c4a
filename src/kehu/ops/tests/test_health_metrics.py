"""/healthz for load balancers, /metrics for Prometheus, heartbeats and JSON logs."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from kehu.conftest import DepartmentFactory, make_user
from kehu.core.logs import JsonFormatter
from kehu.mail.models import Mailbox
from kehu.notify.models import EmailState, Event, Notification
from kehu.ops import heartbeat, metrics, tasks
from kehu.ops.models import Heartbeat
from kehu.ops.queue import queue_states

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
pytestmark = pytest.mark.django_db


def _health(client: Client | None = None):
    response = (client or Client()).get("/healthz")
    return response.status_code, response.json()


def _all_beating() -> None:
    heartbeat.beat(Heartbeat.Kind.SCHEDULER)
    tasks.beat.call()


def test_a_working_installation_is_ok():
    _all_beating()
    status, body = _health()
    assert status == 200
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "cache": "ok",
        "worker": "ok",
        "scheduler": "ok",
        "queue": "ok",
        "mail": "ok",
    }


def test_a_silent_worker_degrades_but_keeps_the_web_worker_in_rotation():
    heartbeat.beat(Heartbeat.Kind.SCHEDULER)  # no worker ever ran the beat task
    status, body = _health()
    assert status == 200
    assert body["status"] == "degraded"
    assert body["checks"]["worker"] == {"status": "degraded", "age_seconds": None}
    Heartbeat.objects.create(
        kind=Heartbeat.Kind.WORKER, process="old:1", beat_at=timezone.now() - timedelta(hours=1)
    )
    assert _health()[1]["checks"]["worker"]["status"] == "degraded"
    tasks.beat.call()
    assert _health()[1]["checks"]["worker"]["status"] == "ok"


def test_the_beat_task_forgets_processes_gone_for_a_day():
    Heartbeat.objects.create(
        kind=Heartbeat.Kind.WORKER, process="gone:1", beat_at=timezone.now() - timedelta(days=2)
    )
    assert tasks.beat.call() == {"pruned": 1}
    assert list(Heartbeat.objects.values_list("process", flat=True)) == [heartbeat.process_name()]


def test_queue_lag_of_the_database_backend(settings):
    settings.TASKS = DATABASE_QUEUE
    _all_beating()
    now = timezone.now()
    for minutes in (1, 90):
        row = DBTaskResult.objects.create(
            args_kwargs={"args": [], "kwargs": {}},
            task_path="kehu.ops.tasks.beat",
            backend_name="default",
            run_after=get_date_max(),
        )
        DBTaskResult.objects.filter(pk=row.pk).update(enqueued_at=now - timedelta(minutes=minutes))
    # Scheduled for later: not ready, not lagging.
    DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="kehu.ops.tasks.beat",
        backend_name="default",
        run_after=now + timedelta(hours=1),
    )
    status, body = _health()
    assert status == 200
    assert body["status"] == "degraded"
    assert body["checks"]["queue"]["status"] == "degraded"
    assert body["checks"]["queue"]["depth"] == 2
    assert body["checks"]["queue"]["lag_seconds"] >= 90 * 60


def test_a_mailbox_not_polled_for_long_degrades():
    _all_beating()
    box = Mailbox.objects.create(
        address="help@example.com",
        department=DepartmentFactory(),
        imap_host="imap.example.com",
        imap_user="help",
        imap_password="secret-password",
        last_polled_at=timezone.now() - timedelta(hours=2),
    )
    status, body = _health()
    assert (status, body["checks"]["mail"]["status"]) == (200, "degraded")
    box.last_polled_at = timezone.now()
    box.last_poll_error = "LOGIN failed for help@example.com at imap.example.com"
    box.save()
    body = _health()[1]
    assert (body["checks"]["mail"]["status"], body["checks"]["mail"]["errors"]) == ("degraded", 1)
    text = json.dumps(body)
    assert "example.com" not in text and "LOGIN" not in text and "secret" not in text


def test_database_down_answers_503_and_says_nothing_more(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("could not connect to server at 10.0.0.5 password=hunter2")

    monkeypatch.setattr("kehu.ops.health.connection.cursor", refuse)
    status, body = _health()
    assert status == 503
    assert body == {
        "status": "fail",
        "checks": {"database": {"status": "fail"}, "cache": {"status": "ok"}},
    }


def test_cache_down_answers_503(monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionError("redis at 10.0.0.6 refused")

    monkeypatch.setattr("kehu.ops.health.cache.set", refuse)
    status, body = _health()
    assert status == 503
    assert body["checks"]["cache"] == {"status": "fail"}
    assert "10.0.0.6" not in json.dumps(body)


def test_metrics_are_off_unless_enabled():
    assert Client().get("/metrics").status_code == 404


def test_metrics_need_the_token_or_an_allowed_network(settings):
    settings.KEHU_METRICS = True
    assert Client().get("/metrics").status_code == 403  # neither configured: nobody
    settings.KEHU_METRICS_TOKEN = "scrape-token-1"
    assert Client().get("/metrics").status_code == 403
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-1").status_code == 200
    settings.KEHU_METRICS_TOKEN = ""
    settings.KEHU_METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert Client().get("/metrics").status_code == 403  # the test client is 127.0.0.1
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200


def _samples(text: str) -> dict[str, float]:
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def test_metrics_count_the_installation_from_the_database(settings):
    settings.KEHU_METRICS = True
    settings.KEHU_METRICS_TOKEN = "t"
    settings.TASKS = DATABASE_QUEUE
    user = make_user("watcher")
    for state in (EmailState.PENDING, EmailState.PENDING, EmailState.SENT):
        Notification.objects.create(
            recipient=user, event=Event.CREATED, title="x", email_state=state
        )
    DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="kehu.ops.tasks.beat",
        backend_name="default",
        run_after=get_date_max(),
    )
    _all_beating()
    Client().get("/healthz")
    response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer t")
    assert response["Content-Type"].startswith("text/plain")
    values = _samples(response.content.decode())
    assert values['kehu_notifications_pending{channel="email"}'] == 2
    assert values['kehu_notifications_pending{channel="webhook"}'] == 0
    assert values['kehu_task_queue_depth{queue="default"}'] == 1
    assert values['kehu_sla_events_total{kind="warning"}'] == 0
    assert values['kehu_mail_ingested_total{outcome="ticket_created"}'] == 0
    assert values["kehu_mail_failed_total"] == 0
    assert values["kehu_database_up"] == 1
    assert 'kehu_heartbeat_age_seconds{kind="worker"}' in values
    # Latency by route pattern, never by the path a client typed.
    assert (
        values[
            'kehu_http_request_duration_seconds_count{method="GET",route="healthz",status="2xx"}'
        ]
        >= 1
    )
    Client().get("/no/such/page/12345")
    text = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    routes = set(re.findall(r'route="([^"]*)"', text))
    assert "<unmatched>" in routes and not any("12345" in route for route in routes)


def test_several_worker_processes_are_added_up(tmp_path: Path, monkeypatch):
    """Each gunicorn worker writes its samples to PROMETHEUS_MULTIPROC_DIR; one scrape adds
    the samples of all of them, whichever worker answers it."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    script = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='kehu.test_settings';"
        "django.setup(); from kehu.ops.metrics import REQUEST_LATENCY as h;"
        "h.labels('api/desk/tickets', 'POST', '2xx').observe(0.2)"
    )
    for _worker in range(2):
        subprocess.run([sys.executable, "-c", script], env=env, check=True)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    values = _samples(metrics.exposition().decode())
    key = 'kehu_http_request_duration_seconds_count{method="POST",route="api/desk/tickets",status="2xx"}'
    assert values[key] == 2
    assert values["kehu_database_up"] == 1


def test_json_log_lines_carry_their_fields():
    record = logging.LogRecord(
        "kehu.request", logging.INFO, __file__, 1, "request %s", ("x",), None
    )
    record.route = "healthz"
    record.status = 200
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "request x"
    assert line["level"] == "INFO"
    assert (line["route"], line["status"]) == ("healthz", 200)


def test_json_request_log(settings, caplog):
    settings.KEHU_LOG_FORMAT = "json"
    with caplog.at_level(logging.INFO, logger="kehu.request"):
        Client().get("/healthz")
    (record,) = [r for r in caplog.records if r.name == "kehu.request"]
    assert (record.route, record.status, record.method) == ("healthz", 200, "GET")


def test_queue_depth_and_age_of_the_redis_backend(settings):
    import redis
    from django_rq import get_queue

    url = "redis://127.0.0.1:6379/15"  # `quickstart.py test` starts Redis when none answers
    redis.Redis.from_url(url).ping()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": url, "DEFAULT_TIMEOUT": 60}}
    queue = get_queue("default", autocommit=True)  # not held until a commit the test never makes
    queue.empty()
    try:
        queue.enqueue("kehu.ops.heartbeat.prune")
        queue.enqueue("kehu.ops.heartbeat.prune")
        (state,) = queue_states()
        assert (state.queue, state.depth) == ("default", 2)
        assert state.oldest_age >= 0
    finally:
        queue.empty()
