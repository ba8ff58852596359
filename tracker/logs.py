"""Logs: one JSON object per line (or plain text), each carrying the request's id.

The request id comes from a sane ``X-Request-ID`` or is made here; it goes back in the
response and travels in the headers of every task sent during the request, so that the
worker's lines about that task carry it too. Lines name the user by id only.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from celery import signals
from flask import Flask

REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
# Fields a line may carry besides the message (given as ``extra=``).
EXTRA_FIELDS = ("method", "path", "status", "duration_ms", "endpoint")

NO_REQUEST = "-"  # in text lines written outside any request or task sent by one
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id: ContextVar[int | None] = ContextVar("user_id", default=None)


def request_id_from(header: str | None) -> str:
    """Return the caller's request id when it is a sane token, else a new one."""
    if header and SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class ContextFilter(logging.Filter):
    """Give every record the request id and user id of the code that logs it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or NO_REQUEST
        record.user_id = user_id.get()
        return True


def request_id_of(record: logging.LogRecord) -> str | None:
    rid = getattr(record, "request_id", None)
    return None if rid == NO_REQUEST else rid


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_of(record),
            "user_id": getattr(record, "user_id", None),
        }
        line.update({k: getattr(record, k) for k in EXTRA_FIELDS if hasattr(record, k)})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler):
    """Write to whatever sys.stderr is at the time (a test's capture, say)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def configure_logging(app: Flask) -> None:
    """Install (once per process) the root handler, in the format the settings ask for."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, StderrHandler)), None)
    if handler is None:
        handler = StderrHandler()
        handler.addFilter(ContextFilter())
        root.addHandler(handler)
    if app.config["LOG_FORMAT"] == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root.setLevel(logging.INFO)


def install_slow_query_log(app: Flask) -> None:
    """Log, at WARNING, each statement slower than SLOW_QUERY_MS, without its parameters."""
    threshold = app.config.get("SLOW_QUERY_MS") or 0
    if threshold <= 0:
        return
    from sqlalchemy import event

    from tracker.extensions import db

    log = logging.getLogger("tracker.slow_query")
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn, _cursor, _statement, _params, _context, _many):
        conn.info.setdefault("query_start", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _end(conn, _cursor, statement, _params, _context, _many):
        elapsed = (time.perf_counter() - conn.info["query_start"].pop()) * 1000
        if elapsed >= threshold:
            # The parameters stay out: they may hold names, e-mails, report texts.
            log.warning("slow query (%.0f ms): %s", elapsed, statement[:2000],
                        extra={"duration_ms": round(elapsed, 1)})


# Carry the request id from the sending process into the task's log lines.
@signals.before_task_publish.connect
def _add_request_id(headers=None, **_kwargs):
    current = request_id.get()
    if current and headers is not None:
        headers.setdefault("request_id", current)


@signals.task_prerun.connect
def _take_request_id(task=None, **_kwargs):
    sent_with = getattr(task.request, "request_id", None) if task else None
    if sent_with:
        # An eager task runs in the sender's context, which already holds its id.
        task.request.previous_request_id = request_id.set(sent_with)


@signals.task_postrun.connect
def _drop_request_id(task=None, **_kwargs):
    token = getattr(task.request, "previous_request_id", None) if task else None
    if token is not None:
        request_id.reset(token)
