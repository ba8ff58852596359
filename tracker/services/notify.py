"""Notifications: one row per message, sent after the transaction that caused it commits."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import (
    after_this_request,
    current_app,
    has_request_context,
    render_template,
    url_for,
)
from flask_babel import force_locale

from tracker.extensions import db
from tracker.models import Notification, NotificationKind, NotificationStatus, User, utcnow

log = logging.getLogger(__name__)
OUTBOX = "notification_outbox"
TASKS = "tasks_after_commit"
MAX_ATTEMPTS = 5


def queue_notification(recipient: User, kind: NotificationKind, dedupe_key: str,
                       template: str, **context) -> Notification | None:
    """Render a message in the recipient's language and keep it for sending after commit.

    Returns None when a message with the same dedupe key exists: nothing is sent twice.
    """
    existing = db.session.execute(
        db.select(Notification.id).where(Notification.dedupe_key == dedupe_key)
    ).scalar_one_or_none()
    if existing is not None:
        return None
    with force_locale(recipient.locale or "es"):
        subject = render_template(f"emails/{template}.subject.txt", user=recipient,
                                  **context).strip()
        body = render_template(f"emails/{template}.txt", user=recipient, **context)
    note = Notification(recipient_id=recipient.id, recipient_email=recipient.email, kind=kind,
                        dedupe_key=dedupe_key, subject=subject, body=body)
    db.session.add(note)
    db.session.flush()
    db.session.info.setdefault(OUTBOX, []).append(note.id)
    return note


@contextmanager
def absolute_addresses() -> Iterator[None]:
    """Let ``url_for(..., _external=True)`` work also outside a request (a task, a command):
    on BASE_URL."""
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        yield
        return
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        yield


def external_url(endpoint: str, **values) -> str:
    """Return an absolute address, also outside a request (a task, a command): on BASE_URL."""
    with absolute_addresses():
        return url_for(endpoint, _external=True, **values)


def send_after_response(task_name: str, *args) -> None:
    """Enqueue a task by name once the transaction commits, never running it in the request.

    For work whose duration must not tell the requester anything: with a broker the
    request only publishes it; without one (tasks run in-process) it runs once the answer
    has been sent.
    """
    db.session.info.setdefault(TASKS, []).append((task_name, args, True))


def enqueue_after_commit(task_name: str, *args) -> None:
    """Enqueue a task by name once the transaction commits, for work a job row records.

    With a broker that cannot be reached the job stays queued and the periodic sweep sends
    it again; it is never run in a web process. Without any broker (the embedded default)
    it runs in-process once the answer has been sent.
    """
    db.session.info.setdefault(TASKS, []).append((task_name, args, False))


def _run_after_response(task_name: str, args: tuple) -> None:
    app = current_app._get_current_object()
    celery = app.extensions["celery"]
    # The request's context variables (its id, for the task's log lines) outlive it here.
    context = contextvars.copy_context()

    def run() -> None:
        with app.app_context():
            try:
                celery.tasks[task_name].apply(args=args)
            except Exception:  # noqa: BLE001 - the answer has gone; only the log can tell
                log.exception("task %s failed after the response", task_name)

    @after_this_request
    def _later(response):
        response.call_on_close(lambda: context.run(run))
        return response


def _dispatch_tasks() -> None:
    celery = current_app.extensions["celery"]
    for task_name, args, here_on_failure in db.session.info.pop(TASKS, []):
        if celery.conf.task_always_eager:
            _run_here(task_name, args)
            continue
        try:
            celery.send_task(task_name, args=list(args))
        except Exception:  # noqa: BLE001 - done here or by the sweep: nothing asked is lost
            if not here_on_failure:
                log.warning("could not enqueue task %s; the sweep will send it", task_name,
                            exc_info=True)
                continue
            log.warning("could not enqueue task %s; running it here", task_name, exc_info=True)
            _run_here(task_name, args)


def _run_here(task_name: str, args: tuple) -> None:
    # In a request, still after the answer has gone: the work must not show in its timing.
    if has_request_context():
        _run_after_response(task_name, args)
    else:
        current_app.extensions["celery"].tasks[task_name].apply(args=args)


def dispatch_outbox() -> None:
    """Enqueue the messages and tasks queued in the transaction just committed.

    A broker that cannot be reached leaves the messages pending for the periodic sweep.
    """
    from tracker.tasks import send_notification

    _dispatch_tasks()
    ids = db.session.info.pop(OUTBOX, [])
    for note_id in ids:
        try:
            send_notification.delay(note_id)
        except Exception:  # noqa: BLE001 - the sweep sends it later
            log.warning("could not enqueue notification %s; the sweep will retry", note_id,
                        exc_info=True)


def discard_outbox() -> None:
    db.session.info.pop(OUTBOX, None)
    db.session.info.pop(TASKS, None)


def deliver_notification(note_id: int) -> NotificationStatus:
    """Send one pending notification and record the outcome (safe to call twice)."""
    from tracker.mail import send_message

    note = db.session.get(Notification, note_id, with_for_update=True)
    if note is None or note.status in (NotificationStatus.SENT, NotificationStatus.SKIPPED):
        return note.status if note else NotificationStatus.SKIPPED
    note.attempts += 1
    try:
        send_message(note.recipient_email, note.subject, note.body)
    except Exception as exc:  # noqa: BLE001 - recorded, retried by the sweep
        note.error = str(exc)[:2000]
        if note.attempts >= MAX_ATTEMPTS:
            note.status = NotificationStatus.FAILED
        db.session.flush()
        raise
    note.status = NotificationStatus.SENT
    note.sent_at = utcnow()
    note.error = None
    db.session.flush()
    return note.status


def pending_notification_ids(older_than: timedelta = timedelta(minutes=5)) -> list[int]:
    """Return pending notifications left behind (broker down, worker lost)."""
    cutoff = utcnow() - older_than
    return list(db.session.execute(
        db.select(Notification.id).where(
            Notification.status == NotificationStatus.PENDING,
            Notification.created_at < cutoff,
            Notification.attempts < MAX_ATTEMPTS,
        )
    ).scalars())
