"""Prometheus metrics at ``/metrics`` (off unless ``KEHU_METRICS=true``).

Several gunicorn workers answer requests, and a scrape reaches one of them, so two kinds of
numbers are kept apart:

* **Per-request numbers** (request latency by route) live in each worker process. With
  ``PROMETHEUS_MULTIPROC_DIR`` set (``kehu serve`` sets it to a fresh directory when
  ``KEHU_METRICS`` is on), every process
  writes its samples to memory-mapped files there and a scrape adds up all of them
  (prometheus-client's multiprocess mode); without it (one process) the process's own registry
  is read.
* **State of the installation** (task queue, SLA, mail, notifications, heartbeats) is counted
  from the database at scrape time, so every worker gives the same answer and nothing is lost
  when a process restarts. These are a handful of aggregate queries on indexed columns.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from kehu.core.clients import client_address

log = logging.getLogger(__name__)
request_log = logging.getLogger("kehu.request")

REQUEST_LATENCY = Histogram(
    "kehu_http_request_duration_seconds",
    "Time to answer a request, by route pattern, method and status class.",
    ["route", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
UNMATCHED = "<unmatched>"  # 404s of unknown paths share one label: no label per typed URL


def route_of(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return (match.route or UNMATCHED) if match is not None else UNMATCHED


class RequestMetricsMiddleware:
    """Times every request; in JSON log mode also writes one structured line per request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        route = route_of(request)
        REQUEST_LATENCY.labels(
            route, request.method or "", f"{response.status_code // 100}xx"
        ).observe(elapsed)
        if settings.KEHU_LOG_FORMAT == "json":
            request_log.info(
                "request",
                extra={
                    "method": request.method,
                    "route": route,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 1),
                    "client": client_address(request),
                },
            )
        return response


def _database_metrics() -> Iterator[Metric]:
    """The installation's state, counted from the database."""
    from kehu.desk.models import SlaClock, SlaEvent
    from kehu.mail.models import InboundMail, Mailbox, OutboundMail
    from kehu.notify.models import DeliveryStatus, EmailState, Notification, WebhookDelivery
    from kehu.ops import heartbeat
    from kehu.ops.queue import queue_states

    depth = GaugeMetricFamily(
        "kehu_task_queue_depth", "Tasks ready to run and not yet taken.", labels=["queue"]
    )
    age = GaugeMetricFamily(
        "kehu_task_queue_oldest_age_seconds",
        "How long the oldest ready task has waited.",
        labels=["queue"],
    )
    for state in queue_states():
        depth.add_metric([state.queue], state.depth)
        age.add_metric([state.queue], state.oldest_age)
    yield depth
    yield age

    events = dict(SlaEvent.objects.values_list("kind").annotate(n=Count("id")))
    sla = CounterMetricFamily(
        "kehu_sla_events", "SLA early warnings and escalations fired.", labels=["kind"]
    )
    for kind in SlaEvent.Kind.values:
        sla.add_metric([kind], events.get(kind, 0))
    yield sla
    yield GaugeMetricFamily(
        "kehu_sla_breached_open_clocks",
        "Running SLA clocks (first response, next response, resolution) past their due time.",
        value=SlaClock.objects.filter(stopped_at__isnull=True, breached=True).count(),
    )

    outcomes = dict(InboundMail.objects.values_list("outcome").annotate(n=Count("id")))
    received = CounterMetricFamily(
        "kehu_mail_ingested",
        "Received messages stored, by what was done with them.",
        labels=["outcome"],
    )
    for outcome in InboundMail.Outcome.values:
        received.add_metric([outcome], outcomes.get(outcome, 0))
    yield received
    yield CounterMetricFamily(
        "kehu_mail_failed",
        "Received messages that could not be used (stored as rejected).",
        value=outcomes.get(InboundMail.Outcome.REJECTED, 0),
    )
    yield GaugeMetricFamily(
        "kehu_mail_poll_errors",
        "Active IMAP mailboxes whose last poll failed.",
        value=Mailbox.objects.filter(is_active=True)
        .exclude(imap_host="")
        .exclude(last_poll_error="")
        .count(),
    )
    yield GaugeMetricFamily(
        "kehu_mail_outbound_pending",
        "Email replies not yet sent (new or waiting for a retry).",
        value=OutboundMail.objects.filter(sent_at__isnull=True).count(),
    )

    pending = GaugeMetricFamily(
        "kehu_notifications_pending", "Notifications waiting to go out.", labels=["channel"]
    )
    pending.add_metric(
        ["email"],
        Notification.objects.filter(
            Q(email_state=EmailState.PENDING) | Q(email_state=EmailState.SENDING)
        ).count(),
    )
    pending.add_metric(
        ["webhook"],
        WebhookDelivery.objects.filter(
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
        ).count(),
    )
    yield pending

    beats = GaugeMetricFamily(
        "kehu_heartbeat_age_seconds",
        "Seconds since the last sign of life of any worker or scheduler (absent: never).",
        labels=["kind"],
    )
    for kind, seconds in heartbeat.latest().items():
        if seconds is not None:
            beats.add_metric([kind], seconds)
    yield beats


class DatabaseCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        try:
            metrics = list(_database_metrics())
        except DatabaseError:
            log.exception("metrics: the database does not answer")
            metrics = []
        yield GaugeMetricFamily(
            "kehu_database_up",
            "1 when the database answered this scrape.",
            value=1 if metrics else 0,
        )
        yield from metrics


class _ProcessCollector(Collector):
    """The metrics of this process's own default registry (single-process mode)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def exposition() -> bytes:
    registry = CollectorRegistry()
    if multiprocess():
        MultiProcessCollector(registry)
    else:
        registry.register(_ProcessCollector())
    registry.register(DatabaseCollector())
    return generate_latest(registry)


def scrape_allowed(request: HttpRequest) -> bool:
    """A scraper shows the bearer token, or comes from an allowed network; with neither
    configured nobody may scrape (``kehu check --deploy`` says so)."""
    token: str = settings.KEHU_METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        if given.startswith("Bearer ") and secrets.compare_digest(
            given.removeprefix("Bearer ").strip().encode(), token.encode()
        ):
            return True
    networks: list[Any] = [ipaddress.ip_network(n) for n in settings.KEHU_METRICS_ALLOWED_NETWORKS]
    if networks:
        try:
            address = ipaddress.ip_address(client_address(request))
        except ValueError:
            return False
        return any(address in network for network in networks)
    return False


CONTENT_TYPE = CONTENT_TYPE_LATEST
