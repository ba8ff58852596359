"""Event mails: reviewers hear of submissions in an hourly digest, focal points of assignments.

Every message goes through a real SMTP server on localhost; one test runs the digest
through a real Celery worker on the real Redis broker.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from celery.contrib.testing.worker import start_worker
from sqlalchemy import delete, func, select, update

from tests import factories
from tests.conftest import another_app
from tracker.extensions import db
from tracker.models import (
    Assignment,
    AuditEvent,
    Document,
    Institution,
    Notification,
    ProgressReport,
    Recommendation,
    ReportTransition,
    Role,
    User,
    utcnow,
)
from tracker.services import assignments, reports
from tracker.services.event_mails import queue_submission_digests
from tracker.web.transaction import commit

REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL")


@pytest.fixture
def office(session):
    inst = factories.institution("EVT-A", name_es="Secretaría de Prueba",
                                 name_en="Ministry of Testing")
    other = factories.institution("EVT-B")
    recs = [factories.recommendation() for _ in range(3)]
    for rec in recs:
        factories.assignment(rec, inst)
    return {
        "inst": inst, "other": other, "recs": recs,
        "ana": factories.user(Role.FOCAL_POINT, inst, name="Ana", locale="es",
                              email="ana@evt-a.example"),
        "carl": factories.user(Role.FOCAL_POINT, inst, name="Carl", locale="en",
                               email="carl@evt-a.example"),
        "gone": factories.user(Role.FOCAL_POINT, inst, active=False,
                               email="gone@evt-a.example"),
        "beto": factories.user(Role.FOCAL_POINT, other, name="Beto", locale="en",
                               email="beto@evt-b.example"),
        "rita": factories.user(Role.REVIEWER, name="Rita", locale="es",
                               email="rita@office.example"),
        "rob": factories.user(Role.REVIEWER, name="Rob", locale="en", email="rob@office.example"),
        "boss": factories.user(Role.ADMIN, name="Boss", locale="en", email="boss@office.example"),
        "retired": factories.user(Role.REVIEWER, active=False, email="retired@office.example"),
    }


def _to(mailbox, address: str) -> list:
    return [m for m in mailbox.messages if m["To"] == address]


def _body(message) -> str:
    return message.get_payload(decode=True).decode()


def _subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _submit(office, rec, title: str, at) -> ProgressReport:
    """Submit a report as Ana, as if she had done it at ``at``."""
    report = factories.progress_report(office["ana"], [rec], title=title)
    reports.submit_report(office["ana"], report.id, report.version)
    _stamp(report, at)
    return report


def _stamp(report: ProgressReport, at) -> None:
    last = db.session.scalars(select(ReportTransition).where(
        ReportTransition.report_id == report.id).order_by(ReportTransition.id.desc())).first()
    last.at = at
    report.submitted_at = at
    db.session.flush()


def _digest_pass(now) -> int:
    queued = queue_submission_digests(now)
    commit()  # the pass's commit: the mails leave after it
    return queued


def test_three_submissions_in_an_hour_make_one_mail_per_reviewer(office, mailbox):
    start = utcnow()
    titles = ["Shelter opened", "Judges trained", "Law adopted"]
    made = [_submit(office, rec, title, start - timedelta(minutes=50 - 10 * n))
            for n, (rec, title) in enumerate(zip(office["recs"], titles, strict=True))]
    commit()

    assert _digest_pass(start) == 3  # two reviewers and the admin

    for address in ("rob@office.example", "boss@office.example"):
        (mail,) = _to(mailbox, address)
        assert _subject(mail) == "3 progress reports submitted for review"
        body = _body(mail)
        for title, report in zip(titles, made, strict=True):
            assert title in body
            assert f"http://tracker.test/review/reports/{report.id}" in body
        assert "EVT-A" in body
    (spanish,) = _to(mailbox, "rita@office.example")
    assert _subject(spanish) == "3 informes de avance enviados para revisión"
    assert "Shelter opened" in _body(spanish)
    assert not _to(mailbox, "retired@office.example")
    assert not [m for m in mailbox.messages if m["To"].endswith("evt-a.example")]

    # A second pass in the same hour sends nothing.
    assert _digest_pass(start + timedelta(minutes=5)) == 0
    assert len(_to(mailbox, "rob@office.example")) == 1


def test_a_later_submission_waits_an_hour_and_none_is_left_out(office, mailbox):
    start = utcnow()
    _submit(office, office["recs"][0], "First report", start - timedelta(minutes=30))
    # Stamped before the pass but possibly not yet committed when it ran: the pass
    # leaves the last minute to the next digest.
    _submit(office, office["recs"][1], "Just in time", start - timedelta(seconds=20))
    commit()
    _digest_pass(start)
    (first,) = _to(mailbox, "rob@office.example")
    assert _subject(first) == "1 progress report submitted for review"
    assert "First report" in _body(first) and "Just in time" not in _body(first)

    _submit(office, office["recs"][2], "After the digest", start + timedelta(minutes=10))
    commit()
    assert _digest_pass(start + timedelta(minutes=30)) == 0
    assert _digest_pass(start + timedelta(minutes=55)) == 0
    assert len(_to(mailbox, "rob@office.example")) == 1

    assert _digest_pass(start + timedelta(minutes=61)) == 3
    first, second = _to(mailbox, "rob@office.example")
    assert _subject(second) == "2 progress reports submitted for review"
    body = _body(second)
    assert "Just in time" in body and "After the digest" in body
    assert "First report" not in body


def test_a_resubmission_is_in_the_next_digest(office, mailbox):
    start = utcnow()
    report = _submit(office, office["recs"][0], "Protocol adopted",
                     start - timedelta(minutes=30))
    commit()
    _digest_pass(start)
    reports.return_report(office["rob"], report.id, report.version,
                          comment="Add the protocol's text.")
    reports.submit_report(office["ana"], report.id, report.version)
    _stamp(report, start + timedelta(minutes=20))
    commit()

    _digest_pass(start + timedelta(hours=1))
    first, second = _to(mailbox, "rob@office.example")
    assert "Protocol adopted" in _body(second)
    assert "Submitted again after changes" in _body(second)
    assert "Submitted on" in _body(first)
    assert "Enviado de nuevo tras los cambios" in _body(_to(mailbox, "rita@office.example")[1])


def test_a_bulk_assignment_is_one_mail_per_focal_point_in_their_language(office, mailbox):
    recs = [factories.recommendation() for _ in range(30)]
    held = recs[0]
    factories.assignment(held, office["inst"])  # already EVT-A's: not news to it
    selection = select(Recommendation.id).where(Recommendation.id.in_([r.id for r in recs]))
    assignments.bulk_assign(office["boss"], selection, [office["inst"].id, office["other"].id],
                            assignments.AssignmentTerms())
    commit()

    (ana,) = _to(mailbox, "ana@evt-a.example")
    assert _subject(ana) == "29 recomendaciones asignadas a EVT-A"
    body = _body(ana)
    assert "La oficina asignó 29 recomendaciones a Secretaría de Prueba:" in body
    assert recs[1].reference in body and recs[20].reference in body
    assert recs[21].reference not in body and held.reference not in body
    assert "…y 9 más." in body
    assert "http://tracker.test/my-institution/" in body
    (carl,) = _to(mailbox, "carl@evt-a.example")
    assert _subject(carl) == "29 recommendations assigned to EVT-A"
    assert "The office assigned 29 recommendations to Ministry of Testing:" in _body(carl)
    (beto,) = _to(mailbox, "beto@evt-b.example")
    assert _subject(beto) == "30 recommendations assigned to EVT-B"
    assert "…and 10 more." in _body(beto)
    assert not _to(mailbox, "gone@evt-a.example")
    assert len(mailbox.messages) == 3

    # The same assignment again gives the institutions nothing new: no mail.
    assignments.bulk_assign(office["boss"], selection, [office["inst"].id],
                            assignments.AssignmentTerms())
    commit()
    assert len(mailbox.messages) == 3


def test_assigning_one_recommendation_tells_the_focal_points(office, mailbox):
    rec = factories.recommendation()
    assignments.assign(office["rob"], rec.id, [office["other"].id], assignments.AssignmentTerms())
    commit()
    (beto,) = _to(mailbox, "beto@evt-b.example")
    assert _subject(beto) == "1 recommendation assigned to EVT-B"
    assert rec.reference in _body(beto)
    assert len(mailbox.messages) == 1
    # Changing the terms of what EVT-B already holds is not a new assignment.
    assignments.assign(office["rob"], rec.id, [office["other"].id],
                       assignments.AssignmentTerms(rhythm_months=3))
    commit()
    assert len(mailbox.messages) == 1


# --- through the real broker and worker --------------------------------------------------------


@pytest.fixture
def committed_submission(app, database_url):
    """A submitted report committed for real (the worker reads on its own connection)."""
    if not REDIS_URL:
        pytest.skip("TRACKER_TEST_REDIS_URL is not set")
    with app.app_context():
        first_event = db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))
        inst = factories.institution("EVT-W")
        rec = factories.recommendation()
        factories.assignment(rec, inst)
        author = factories.user(Role.FOCAL_POINT, inst, email="author@evt-w.example")
        reviewer = factories.user(Role.REVIEWER, locale="en", email="reviewer@evt-w.example")
        report = factories.progress_report(author, [rec], title="Worker-borne report")
        reports.submit_report(author, report.id, report.version)
        db.session.execute(update(ReportTransition).where(
            ReportTransition.report_id == report.id).values(at=utcnow() - timedelta(minutes=5)))
        db.session.commit()
        ids = {"inst": inst.id, "rec": rec.id, "report": report.id,
               "users": [author.id, reviewer.id]}
        db.session.remove()
    yield ids
    with app.app_context():
        db.session.execute(delete(Notification).where(Notification.recipient_id.in_(ids["users"])))
        db.session.execute(delete(ReportTransition).where(
            ReportTransition.report_id == ids["report"]))
        db.session.execute(delete(ProgressReport).where(ProgressReport.id == ids["report"]))
        db.session.execute(delete(Assignment).where(Assignment.recommendation_id == ids["rec"]))
        db.session.execute(delete(User).where(User.id.in_(ids["users"])))
        rec = db.session.get(Recommendation, ids["rec"])
        document_id = rec.document_id
        db.session.delete(rec)
        db.session.flush()
        db.session.execute(delete(Document).where(Document.id == document_id))
        db.session.execute(delete(Institution).where(Institution.id == ids["inst"]))
        db.session.execute(delete(AuditEvent).where(AuditEvent.id > first_event))
        db.session.commit()
        db.session.remove()


@pytest.fixture
def worker_app(app, database_url):
    with another_app(app, {
        "SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": "tracker.test",
        "CELERY_BROKER_URL": REDIS_URL, "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": app.config["MAIL_PORT"],
    }) as built:
        yield built


@pytest.mark.redis
def test_the_beat_task_through_the_broker_mails_the_reviewer(app, mailbox, committed_submission,
                                                             worker_app):
    celery = worker_app.extensions["celery"]
    celery.set_current()
    assert not celery.conf.task_always_eager
    assert "tracker.tasks.send_submission_digests" in {
        entry["task"] for entry in celery.conf.beat_schedule.values()}
    with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        celery.send_task("tracker.tasks.send_submission_digests")
        deadline = time.monotonic() + 30
        while not _to(mailbox, "reviewer@evt-w.example") and time.monotonic() < deadline:
            time.sleep(0.2)
    (mail,) = _to(mailbox, "reviewer@evt-w.example")
    assert _subject(mail) == "1 progress report submitted for review"
    assert "Worker-borne report" in _body(mail)
    assert f"http://tracker.test/review/reports/{committed_submission['report']}" in _body(mail)
