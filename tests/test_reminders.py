"""Status reminders: the focal points' daily digest and the reviewers' weekly escalation."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from tests import factories as f
from tests.conftest import another_app, removing_committed_rows
from tracker.extensions import db
from tracker.models import (
    Notification,
    NotificationKind,
    NotificationStatus,
    ReportState,
    Role,
)
from tracker.services.reminders import queue_reminders

TODAY = date(2026, 3, 10)  # a Tuesday, in ISO week 11


def _body(message) -> str:
    return message.get_payload(decode=True).decode()


def _to(mailbox, address: str) -> list:
    return [m for m in mailbox.messages if m["To"] == address]


@pytest.fixture
def institution_work(session):
    inst = f.institution()
    other = f.institution()
    recs = {name: f.recommendation(reference=f"TST/{name}") for name in
            ("overdue", "soon", "later", "ended", "hidden", "elsewhere")}
    recs["hidden"].is_published = False
    f.assignment(recs["overdue"], inst, next_due=date(2026, 3, 1))
    f.assignment(recs["soon"], inst, next_due=date(2026, 3, 20))
    f.assignment(recs["later"], inst, next_due=date(2026, 5, 1))
    f.assignment(recs["ended"], inst, next_due=date(2026, 3, 1), active=False)
    f.assignment(recs["hidden"], inst, next_due=date(2026, 3, 1))
    f.assignment(recs["elsewhere"], other, next_due=date(2026, 3, 2))
    people = {
        "es": f.user(Role.FOCAL_POINT, inst, email="ana@inst.example", locale="es"),
        "en": f.user(Role.FOCAL_POINT, inst, email="bob@inst.example", locale="en"),
        "opted_out": f.user(Role.FOCAL_POINT, inst, email="out@inst.example",
                            digest_opt_out=True),
        "gone": f.user(Role.FOCAL_POINT, inst, email="gone@inst.example", active=False),
        "other": f.user(Role.FOCAL_POINT, other, email="eve@other.example", locale="en"),
    }
    return inst, recs, people


def test_each_focal_point_gets_their_institutions_due_work_in_their_language(
        runner, mailbox, institution_work):
    _inst, recs, _people = institution_work
    result = runner.invoke(args=["reminders", "run", "--date", TODAY.isoformat(),
                                 "--kind", "digest"])
    assert result.exit_code == 0, result.output

    received = {m["To"] for m in mailbox.messages}
    assert {"ana@inst.example", "bob@inst.example", "eve@other.example"} <= received
    assert not received & {"out@inst.example", "gone@inst.example"}

    spanish, english = mailbox.last_to("ana@inst.example"), mailbox.last_to("bob@inst.example")
    assert spanish["Subject"] == "2 recomendaciones sobre las que informar"
    assert english["Subject"] == "2 recommendations to report on"
    es_body, en_body = _body(spanish), _body(english)
    assert "Vencidas:" in es_body and "vence el 1 de marzo de 2026" in es_body
    assert "Overdue:" in en_body and "due March 1, 2026" in en_body
    assert "Due within 14 days:" in en_body and "No information" in en_body
    for body in (es_body, en_body):
        assert "TST/overdue" in body and "TST/soon" in body
        assert f"/reports/new?rec={recs['overdue'].id}" in body
        for absent in ("TST/later", "TST/ended", "TST/hidden", "TST/elsewhere"):
            assert absent not in body
    # The overdue item comes before the one merely due soon.
    assert en_body.index("TST/overdue") < en_body.index("TST/soon")

    other_body = _body(mailbox.last_to("eve@other.example"))
    assert "TST/elsewhere" in other_body and "TST/overdue" not in other_body


def test_a_second_pass_the_same_day_sends_nothing(runner, mailbox, institution_work):
    for _ in range(2):
        result = runner.invoke(args=["reminders", "run", "--date", TODAY.isoformat(),
                                     "--kind", "digest"])
        assert result.exit_code == 0, result.output
    assert "sent 0 message(s)" in result.output
    assert len(_to(mailbox, "ana@inst.example")) == 1
    # The next day is another digest.
    runner.invoke(args=["reminders", "run", "--date", "2026-03-11", "--kind", "digest"])
    assert len(_to(mailbox, "ana@inst.example")) == 2


def test_nothing_due_sends_nothing(runner, mailbox, session):
    inst = f.institution()
    f.user(Role.FOCAL_POINT, inst, email="calm@inst.example")
    f.assignment(f.recommendation(), inst, next_due=date(2026, 9, 1))
    runner.invoke(args=["reminders", "run", "--date", TODAY.isoformat(), "--kind", "digest"])
    assert _to(mailbox, "calm@inst.example") == []


def test_the_dry_run_prints_who_would_get_what_and_writes_nothing(
        runner, mailbox, institution_work):
    before = db.session.scalar(select(func.count(Notification.id)))
    result = runner.invoke(args=["reminders", "run", "--dry-run", "--date", TODAY.isoformat(),
                                 "--kind", "digest"])
    assert result.exit_code == 0, result.output
    assert "<ana@inst.example>, 2 item(s)" in result.output
    assert "<eve@other.example>, 1 item(s)" in result.output
    assert "out@inst.example" not in result.output
    assert db.session.scalar(select(func.count(Notification.id))) == before
    assert mailbox.messages == []
    # The real run afterwards still sends.
    runner.invoke(args=["reminders", "run", "--date", TODAY.isoformat(), "--kind", "digest"])
    assert len(_to(mailbox, "ana@inst.example")) == 1


def _submitted(inst, days_ago: int, title: str):
    report = f.report_in_state(inst, [f.recommendation()], ReportState.SUBMITTED, title=title)
    report.submitted_at = datetime(2026, 3, 10, 12, tzinfo=UTC) - timedelta(
        days=days_ago)
    return report


def test_the_weekly_escalation_lists_long_overdue_work_and_waiting_reports(
        runner, mailbox, session):
    late, waiting, fine = (f.institution(acronym=a) for a in ("AAA-LATE", "BBB-WAIT", "CCC-OK"))
    f.assignment(f.recommendation(reference="TST/feb"), late, next_due=date(2026, 2, 1))
    f.assignment(f.recommendation(reference="TST/jan"), late, next_due=date(2026, 1, 1))
    f.assignment(f.recommendation(reference="TST/recent"), late, next_due=date(2026, 3, 1))
    f.assignment(f.recommendation(reference="TST/gone"), fine, next_due=date(2026, 1, 1),
                 active=False)
    _submitted(waiting, 10, "Old report waiting")
    _submitted(fine, 2, "Fresh report")
    f.user(Role.REVIEWER, email="rev@office.example", locale="en")
    f.user(Role.ADMIN, email="boss@office.example", locale="es")
    f.user(Role.REVIEWER, email="former@office.example", active=False)
    f.user(Role.FOCAL_POINT, late, email="focal@late.example")

    result = runner.invoke(args=["reminders", "run", "--date", TODAY.isoformat(),
                                 "--kind", "escalation"])
    assert result.exit_code == 0, result.output
    received = {m["To"] for m in mailbox.messages}
    assert {"rev@office.example", "boss@office.example"} <= received
    assert not received & {"former@office.example", "focal@late.example"}

    body = _body(mailbox.last_to("rev@office.example"))
    assert "Overdue by more than 30 days:" in body
    assert "Waiting for review for more than 7 days:" in body
    # Per institution, the oldest first; what is recent, ended or fresh is left out.
    assert body.index("AAA-LATE") < body.index("TST/jan") < body.index("TST/feb")
    assert body.index("BBB-WAIT") < body.index("Old report waiting")
    for absent in ("TST/recent", "TST/gone", "Fresh report", "CCC-OK"):
        assert absent not in body
    assert "Seguimiento semanal" in mailbox.last_to("boss@office.example")["Subject"]

    # The same ISO week sends nothing again; the next week does.
    runner.invoke(args=["reminders", "run", "--date", "2026-03-12", "--kind", "escalation"])
    assert len(_to(mailbox, "rev@office.example")) == 1
    runner.invoke(args=["reminders", "run", "--date", "2026-03-16", "--kind", "escalation"])
    assert len(_to(mailbox, "rev@office.example")) == 2


def test_no_escalation_when_nothing_qualifies(runner, mailbox, session):
    f.user(Role.REVIEWER, email="quiet@office.example")
    inst = f.institution()
    f.assignment(f.recommendation(), inst, next_due=date(2026, 3, 1))
    runner.invoke(args=["reminders", "run", "--date", TODAY.isoformat(), "--kind", "escalation"])
    assert _to(mailbox, "quiet@office.example") == []


def test_a_key_queued_by_another_pass_is_skipped_not_an_error(session):
    inst = f.institution()
    person = f.user(Role.FOCAL_POINT, inst, email="race@inst.example")
    f.assignment(f.recommendation(), inst, next_due=date(2026, 3, 1))
    # Another pass committed the same key between our check and our insert.
    from tracker.services import reminders

    planned = [p for p in reminders.plan_pass(TODAY, "digest") if p.person.id == person.id]
    assert len(planned) == 1
    db.session.add(Notification(recipient_id=person.id, recipient_email=person.email,
                                kind=NotificationKind.REMINDER_DIGEST,
                                dedupe_key=planned[0].dedupe_key))
    db.session.flush()
    queued = queue_reminders(TODAY, "digest")
    assert person.id not in {m.person.id for m in queued}
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.recipient_id == person.id)) == 1


def _count_queries(work) -> int:
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        work()
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    return len(seen)


def test_the_queries_of_a_pass_do_not_grow_with_the_assignments(session):
    inst = f.institution()
    f.user(Role.FOCAL_POINT, inst)
    f.user(Role.REVIEWER)

    def add(n: int) -> None:
        for _ in range(n):
            f.assignment(f.recommendation(), inst, next_due=date(2026, 1, 1))

    add(5)
    few = _count_queries(lambda: queue_reminders(TODAY, "all"))
    add(45)
    # A week later: new keys for both kinds, ten times the assignments.
    many = _count_queries(lambda: queue_reminders(TODAY + timedelta(days=7), "all"))
    assert few > 0
    assert many == few


# --- through a real broker to a real worker ----------------------------------------------------

REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL")
WORKER_ADDRESS = "beat@reminder.example"
SPANISH_ADDRESS = "beat-es@reminder.example"
IDLE_ADDRESS = "idle@reminder.example"


@pytest.fixture
def worker_app(app, database_url, mailbox):
    """An app bound to the real Redis broker; its committed rows are removed afterwards."""
    if not REDIS_URL:
        pytest.skip("TRACKER_TEST_REDIS_URL is not set")
    with removing_committed_rows(app), another_app(app, {
        "SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": "tracker.test",
        "CELERY_BROKER_URL": REDIS_URL, "CELERY_RESULT_BACKEND": REDIS_URL,
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": app.config["MAIL_PORT"],
    }) as built:
        yield built


@pytest.mark.redis
def test_the_beat_task_sent_twice_through_the_broker_delivers_one_digest(worker_app, mailbox):
    from tracker.services.report_queries import local_today

    with worker_app.app_context():
        inst = f.institution()
        person = f.user(Role.FOCAL_POINT, inst, email=WORKER_ADDRESS, locale="en")
        f.user(Role.FOCAL_POINT, inst, email=SPANISH_ADDRESS, locale="es")
        f.user(Role.FOCAL_POINT, email=IDLE_ADDRESS)  # another institution, nothing due
        f.assignment(f.recommendation(reference="TST/beat"), inst,
                     next_due=local_today() - timedelta(days=3))
        db.session.commit()
        person_id = person.id
        db.session.remove()

    celery = worker_app.extensions["celery"]
    celery.set_current()
    assert not celery.conf.task_always_eager
    with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        # What beat sends: the task's name, no arguments; twice, as two beats would.
        first = celery.send_task("tracker.tasks.send_reminder_digests")
        second = celery.send_task("tracker.tasks.send_reminder_digests")
        counts = sorted([first.get(timeout=30), second.get(timeout=30)])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with worker_app.app_context():
                states = db.session.scalars(select(Notification.status).where(
                    Notification.recipient_id == person_id)).all()
                db.session.remove()
            if states and all(s != NotificationStatus.PENDING for s in states):
                break
            time.sleep(0.2)

    assert counts[0] == 0 and counts[1] >= 2
    assert states == [NotificationStatus.SENT]
    # One digest each, in each person's language, with the overdue item; none for the idle.
    (english,) = _to(mailbox, WORKER_ADDRESS)
    (spanish,) = _to(mailbox, SPANISH_ADDRESS)
    assert _to(mailbox, IDLE_ADDRESS) == []
    assert "Overdue:" in _body(english) and "TST/beat" in _body(english)
    assert "Vencidas:" in _body(spanish) and "TST/beat" in _body(spanish)


def test_the_escalation_lists_the_oldest_of_each_institution_and_counts_the_rest(
        runner, mailbox, session, monkeypatch):
    from tracker.services import reminders

    monkeypatch.setattr(reminders, "ESCALATION_ITEMS_PER_INSTITUTION", 2)
    busy, quiet = f.institution(acronym="AAA-BUSY"), f.institution(acronym="BBB-ONE")
    for day in (5, 1, 3, 4, 2):
        f.assignment(f.recommendation(reference=f"TST/busy-{day}"), busy,
                     next_due=date(2026, 1, day))
    f.assignment(f.recommendation(reference="TST/one"), quiet, next_due=date(2026, 1, 9))
    f.user(Role.REVIEWER, email="cap@office.example", locale="en")

    runner.invoke(args=["reminders", "run", "--date", TODAY.isoformat(), "--kind", "escalation"])
    body = _body(mailbox.last_to("cap@office.example"))
    assert body.index("TST/busy-1") < body.index("TST/busy-2")
    for later in ("TST/busy-3", "TST/busy-4", "TST/busy-5"):
        assert later not in body
    assert "… and 3 more overdue items." in body
    assert f"/review/recommendations?institution={busy.id}" in body
    assert "TST/one" in body and body.count("more overdue") == 1
