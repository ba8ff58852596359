"""Exports travel through a real Redis broker to a real Celery worker, and survive an outage.

Each format is requested as the office asks for it, built by the worker, stored, announced
by e-mail through a real SMTP server, and opened with the library that reads it.
"""

from __future__ import annotations

import csv
import io
import os
import time
from datetime import date, timedelta

import docx
import openpyxl
import pypdf
import pytest
from celery.contrib.testing.worker import start_worker
from sqlalchemy import select, update

from tests import factories as f
from tests.conftest import another_app, free_port, removing_committed_rows
from tracker.extensions import db
from tracker.models import (
    AssignmentRole,
    ImplementationStatus,
    JobState,
    ReportJob,
    ReportState,
    ReportVisibility,
    Role,
    Term,
    User,
    Vocabulary,
    utcnow,
)
from tracker.services import exports, storage
from tracker.web.transaction import commit

REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL")
OWNER = "exports@worker.example"


def _app(app, database_url: str, broker: str):
    return another_app(app, {
        "SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": "tracker.test",
        "CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": broker,
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": app.config["MAIL_PORT"],
    })


@pytest.fixture
def worker_app(app, database_url, mailbox):
    if not REDIS_URL:
        pytest.skip("TRACKER_TEST_REDIS_URL is not set")
    with removing_committed_rows(app), _app(app, database_url, REDIS_URL) as built:
        yield built


def _follow_up_data() -> dict:
    """A document with three paragraphs, an institution, progress and an office action."""
    doc = f.document(symbol="CCPR/C/EXW/CO/1", mechanism_code="CCPR", date=date(2024, 3, 1))
    inst = f.institution(name_es="Secretaría de Pruebas", name_en="Testing Secretariat")
    partner = f.institution(name_es="Fiscalía de Pruebas", name_en="Testing Prosecutor")
    recs = [
        f.recommendation(doc, paragraph=p, reference=f"EXW ¶{p}", text=text)
        for p, text in (("10", "Protect human rights defenders."),
                        ("9", "Adopt a law on torture."),
                        ("26(a)", "Guarantee access to justice."))
    ]
    f.assessment(recs[0], ImplementationStatus.IN_PROGRESS, rationale="A bill is in Congress.")
    f.assessment(recs[1], ImplementationStatus.IMPLEMENTED, rationale="The law was adopted.")
    for rec in recs:
        f.assignment(rec, inst)
    f.assignment(recs[0], partner, role=AssignmentRole.SUPPORT)
    f.report_in_state(inst, [recs[0]], title="Protection programme launched",
                      description="The **programme** covers 40 defenders.",
                      visibility=ReportVisibility.PUBLIC)
    f.report_in_state(inst, [recs[0]], ReportState.DRAFT, title="Draft not to be shown")
    action = f.office_action(title="Workshop with defenders", is_public=True,
                             start_date=utcnow().date() - timedelta(days=30))
    action.terms = [db.session.scalars(select(Term).join(Vocabulary).where(
        Vocabulary.code == "pillar").order_by(Term.sort_order, Term.id)).first()]
    action.recommendations = [recs[0]]
    owner = f.user(Role.REVIEWER, email=OWNER, locale="en")
    return {"owner_id": owner.id, "document_id": doc.id}


def _request_all(data: dict) -> list[int]:
    """Ask, as the export form does, for every format over the test document."""
    owner = db.session.get(User, data["owner_id"])
    ids = []
    for export in exports.EXPORT_TYPES:
        request = exports.parse_export_request({
            "type": export.code, "document": str(data["document_id"]),
        })
        ids.append(exports.request_export(owner, request).id)
    return ids


def _to(mailbox, address: str) -> list:
    return [m for m in mailbox.messages if m["To"] == address]


def _wait_until_finished(built, job_ids: list[int], timeout: float = 90.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        with built.app_context():
            jobs = {j.id: (j.state, j.error, j.rows, j.stored_file_id) for j in db.session.scalars(
                select(ReportJob).where(ReportJob.id.in_(job_ids)))}
            db.session.remove()
        if all(state in (JobState.DONE, JobState.FAILED) for state, *_ in jobs.values()):
            return jobs
        if time.monotonic() > deadline:
            return jobs
        time.sleep(0.3)


def _file(built, stored_file_id: int) -> bytes:
    with built.app_context():
        data = b"".join(storage.iter_stored_bytes(stored_file_id))
        db.session.remove()
    return data


@pytest.mark.redis
def test_each_format_is_built_by_the_worker_and_opens_with_its_reader(worker_app, mailbox):
    celery = worker_app.extensions["celery"]
    celery.set_current()
    assert not celery.conf.task_always_eager
    with worker_app.app_context():
        data = _follow_up_data()
        job_ids = _request_all(data)
        commit()  # the request's commit: the builds are enqueued only now
        db.session.remove()
    with start_worker(celery, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        jobs = _wait_until_finished(worker_app, job_ids)
        # Each "ready" mail is a task of its own, queued as its build finishes.
        deadline = time.monotonic() + 30
        while len(_to(mailbox, OWNER)) < 4 and time.monotonic() < deadline:
            time.sleep(0.2)

    assert [state for state, *_ in jobs.values()] == [JobState.DONE] * 4, jobs
    xlsx_id, csv_id, pdf_id, docx_id = (jobs[i][3] for i in job_ids)
    assert [jobs[i][2] for i in job_ids] == [3, 3, 3, 3]

    sheet = openpyxl.load_workbook(io.BytesIO(_file(worker_app, xlsx_id))).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["EXW ¶9", "EXW ¶10", "EXW ¶26(a)"]
    assert "Protection programme launched" in " ".join(str(c) for c in rows[2] if c)
    assert "Draft not to be shown" not in " ".join(str(c) for r in rows for c in r if c)

    text = _file(worker_app, csv_id).decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text[1:])))
    assert len(table) == 4 and [r[0] for r in table[1:]] == ["EXW ¶9", "EXW ¶10", "EXW ¶26(a)"]

    pdf = pypdf.PdfReader(io.BytesIO(_file(worker_app, pdf_id)))
    pdf_text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    assert "Recommendation status report" in pdf_text
    assert "Workshop with defenders" in pdf_text
    assert "Implemented" in pdf_text and "In progress" in pdf_text

    document = docx.Document(io.BytesIO(_file(worker_app, docx_id)))
    words = "\n".join(p.text for p in document.paragraphs)
    assert words.index("Adopt a law on torture.") < words.index("Protect human rights defenders.")
    assert "Protection programme launched" in words and "Draft not to be shown" not in words

    # Each ready export is announced once to the person who asked, in their language.
    ready = _to(mailbox, OWNER)
    assert len(ready) == 4
    assert all(m["Subject"].startswith("Your export is ready") for m in ready)


@pytest.mark.redis
def test_an_export_asked_for_during_a_broker_outage_is_built_after_the_sweep(
        app, database_url, mailbox):
    if not REDIS_URL:
        pytest.skip("TRACKER_TEST_REDIS_URL is not set")
    with removing_committed_rows(app):
        with _app(app, database_url, f"redis://127.0.0.1:{free_port()}/0") as outage_app:
            outage_app.extensions["celery"].set_current()
            with outage_app.app_context():
                data = _follow_up_data()
                request = exports.parse_export_request({
                    "type": "status_matrix.csv", "document": str(data["document_id"])})
                job_id = exports.request_export(db.session.get(User, data["owner_id"]),
                                                request).id
                commit()  # cannot enqueue: the request still ends, the job stays queued
                job = db.session.get(ReportJob, job_id)
                assert (job.state, job.attempts) == (JobState.QUEUED, 0)
                # Five minutes later the sweep takes it.
                db.session.execute(update(ReportJob).where(ReportJob.id == job_id)
                                   .values(created_at=utcnow() - timedelta(minutes=10)))
                db.session.commit()
                db.session.remove()

        with _app(app, database_url, REDIS_URL) as worker_app:
            celery = worker_app.extensions["celery"]
            celery.set_current()
            with start_worker(celery, pool="solo", perform_ping_check=False,
                              shutdown_timeout=10):
                celery.send_task("tracker.tasks.sweep_queued_jobs")  # what beat sends
                jobs = _wait_until_finished(worker_app, [job_id])
            state, error, rows, stored_id = jobs[job_id]
            assert (state, error, rows) == (JobState.DONE, None, 3)
            assert _file(worker_app, stored_id).decode("utf-8").count("EXW ¶") == 3
    assert [m["To"] for m in mailbox.messages] == [OWNER]
