"""Two reminder passes at the same moment (two beats, a beat and a hand run) send one digest.

Both passes plan before either has committed, so each believes every message is still to
be sent; the unique key per (person, kind, period) lets one pass queue each message and
the other skip it. Each pass runs in its own thread with its own connection, as two
processes would.
"""

from __future__ import annotations

import threading
from datetime import date

from sqlalchemy import select

from tests import factories as f
from tests.conftest import removing_committed_rows
from tracker.extensions import db
from tracker.models import Notification, NotificationStatus, Role
from tracker.services import reminders

TODAY = date(2026, 3, 10)
PEOPLE = ("race-a@inst.example", "race-b@inst.example", "race-c@inst.example")


def test_two_passes_at_once_queue_and_send_each_digest_once(app, mailbox, monkeypatch):
    planned_by_both = threading.Barrier(2, timeout=30)
    plan = reminders.plan_pass

    def plan_then_wait(today, kind="all"):
        found = plan(today, kind)
        planned_by_both.wait()  # neither pass has queued anything yet
        return found

    monkeypatch.setattr(reminders, "plan_pass", plan_then_wait)
    with removing_committed_rows(app):
        with app.app_context():
            inst = f.institution()
            for address in PEOPLE:
                f.user(Role.FOCAL_POINT, inst, email=address)
            f.assignment(f.recommendation(reference="TST/race"), inst, next_due=date(2026, 3, 1))
            db.session.commit()
            db.session.remove()

        from tracker.tasks import _reminder_pass

        counts, errors = [], []

        def one_pass():
            try:
                with app.app_context():
                    counts.append(_reminder_pass("digest", TODAY.isoformat()))
                    db.session.remove()
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        passes = [threading.Thread(target=one_pass) for _ in range(2)]
        for thread in passes:
            thread.start()
        for thread in passes:
            thread.join(60)

        with app.app_context():
            states = db.session.execute(
                select(Notification.recipient_email, Notification.status)
                .where(Notification.recipient_email.in_(PEOPLE))).all()
            db.session.remove()

    assert errors == []
    # Between them the two passes queued the three digests once; each went out once.
    assert sum(counts) == 3
    assert sorted(states) == [(p, NotificationStatus.SENT) for p in PEOPLE]
    assert sorted(m["To"] for m in mailbox.messages) == list(PEOPLE)
