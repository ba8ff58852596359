"""Prometheus metrics: requests, latencies, jobs, sign-in failures, queue and outbox sizes.

Counters and histograms live in each process. Under gunicorn's several workers, set
PROMETHEUS_MULTIPROC_DIR (an empty folder, before the processes start): each process
then writes its values there and a scrape, answered by any one of them, adds them up.
The queue lengths and the notifications by state are read when scraped.
"""

from __future__ import annotations

import logging
import os
import socket
import time

from celery import signals
from flask import current_app
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Containers sharing the folder (web and worker) number their processes alike: the
    # host's name in each file's name keeps their counts apart.
    values.ValueClass = values.MultiProcessValue(
        lambda: f"{socket.gethostname()}-{os.getpid()}")

# Not registered anywhere: each scrape builds its registry (see registry_for_scrape).
REQUESTS = Counter("tracker_http_requests", "HTTP requests answered, by Flask endpoint "
                   "and status.", ["endpoint", "method", "status"], registry=None)
REQUEST_SECONDS = Histogram("tracker_http_request_duration_seconds",
                            "Time to answer a request, by Flask endpoint.", ["endpoint"],
                            registry=None)
TASK_SECONDS = Histogram("tracker_task_duration_seconds", "Time a background task ran.",
                         ["task"], buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
                         registry=None)
TASK_FAILURES = Counter("tracker_task_failures", "Background tasks that raised.", ["task"],
                        registry=None)
SIGN_IN_FAILURES = Counter("tracker_sign_in_failures", "Sign-ins refused for a wrong "
                           "e-mail or password.", registry=None)
PROCESS_METRICS = (REQUESTS, REQUEST_SECONDS, TASK_SECONDS, TASK_FAILURES, SIGN_IN_FAILURES)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def observe_request(endpoint: str | None, method: str, status: int, seconds: float) -> None:
    """Count one answered request under its endpoint's name (never its raw path)."""
    name = endpoint or "unmatched"
    REQUESTS.labels(name, method, str(status)).inc()
    REQUEST_SECONDS.labels(name).observe(seconds)


@signals.task_prerun.connect
def _task_started(task=None, **_kwargs):
    if task is not None:
        task.request.metrics_started = time.perf_counter()


@signals.task_postrun.connect
def _task_finished(task=None, **_kwargs):
    started = getattr(task.request, "metrics_started", None) if task else None
    if started is not None:
        TASK_SECONDS.labels(task.name).observe(time.perf_counter() - started)


@signals.task_failure.connect
def _task_failed(sender=None, **_kwargs):
    TASK_FAILURES.labels(getattr(sender, "name", "unknown")).inc()


class LiveCollector:
    """Read, at scrape time, the broker's queue lengths and the notifications by state."""

    def collect(self):
        yield self._queue_lengths()
        yield self._notifications()

    def _queue_lengths(self) -> GaugeMetricFamily:
        from tracker.health import broker_url, redis_client

        gauge = GaugeMetricFamily("tracker_queue_length", "Tasks waiting in the broker's "
                                  "queue.", labels=["queue"])
        url = broker_url()
        if url is None:
            return gauge
        celery = current_app.extensions["celery"]
        names = {q.name for q in celery.conf.task_queues or ()} or {
            celery.conf.task_default_queue}
        client = redis_client(url)
        try:
            for name in sorted(names):
                gauge.add_metric([name], client.llen(name))
        except RedisError:
            # The broker being down is /readyz's to say; the other metrics still count.
            log.warning("metrics: the broker's queues could not be read", exc_info=True)
        return gauge

    def _notifications(self) -> GaugeMetricFamily:
        from sqlalchemy import func, select

        from tracker.extensions import db
        from tracker.models import Notification, NotificationStatus

        gauge = GaugeMetricFamily("tracker_notifications", "Notifications by status.",
                                  labels=["status"])
        try:
            counts = dict(db.session.execute(select(Notification.status, func.count())
                                             .group_by(Notification.status)).all())
        except SQLAlchemyError:
            db.session.rollback()
            log.warning("metrics: the notifications could not be counted", exc_info=True)
            return gauge
        for status in NotificationStatus:
            gauge.add_metric([status.value], counts.get(status, 0))
        return gauge


def scrape() -> bytes:
    """Return every metric in Prometheus's text format, added up over the processes."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        for metric in PROCESS_METRICS:
            registry.register(metric)
    registry.register(LiveCollector())
    return generate_latest(registry)
