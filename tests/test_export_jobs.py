"""Export jobs: a request is a committed job; a build claims it, stores the file, says so.

These tests reach the services directly; the screens have their own tests, and the real
worker and broker tests are in test_export_worker.py.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from tests import factories as f
from tracker.exports import CSV_TYPE, Built
from tracker.extensions import db
from tracker.models import (
    ImplementationStatus,
    JobState,
    Notification,
    NotificationKind,
    ReportJob,
    Role,
    StoredFile,
    StoredFileChunk,
    utcnow,
)
from tracker.services import export_runs, exports, storage
from tracker.services.errors import ServiceError


def _build_ids_csv(selection, out, progress):
    """A builder that writes the ids in scope: enough to test the machinery around it."""
    ids = db.session.scalars(selection.ids.order_by(None)).all()
    progress(len(ids), len(ids))
    out.write(("\n".join(str(i) for i in sorted(ids))).encode())
    return Built(filename="ids.csv", content_type=CSV_TYPE, rows=len(ids))


def _explode(selection, out, progress):
    raise RuntimeError("the disk is full")


@pytest.fixture
def stub_builders(monkeypatch):
    monkeypatch.setattr(export_runs, "_builder", lambda job: _build_ids_csv)


def _request(user, **form):
    form.setdefault("type", "status_matrix.csv")
    return exports.request_export(user, exports.parse_export_request(form))


def test_a_request_is_a_queued_job_of_the_person_who_asked(session):
    reviewer = f.user(Role.REVIEWER, locale="en")
    job = _request(reviewer, status="in_progress", period_start="2026-01-01")
    assert (job.state, job.requested_by_id, job.locale, job.public) == (
        JobState.QUEUED, reviewer.id, "en", False)
    assert job.filters == {"status": "in_progress", "period_start": "2026-01-01"}


@pytest.mark.parametrize(("form", "field"), [
    ({"type": "status_matrix.ods"}, "type"),
    ({"status": "finished"}, "status"),
    ({"mechanism": "abc"}, "mechanism"),
    ({"mechanism": "999999"}, "mechanism"),
    ({"published": "maybe"}, "published"),
    ({"period_start": "31/01/2026"}, "period_start"),
    ({"period_start": "2026-05-01", "period_end": "2026-01-01"}, "period_end"),
    ({"type": "followup_draft.docx"}, "document"),
    ({"public": "y", "published": "no"}, "published"),
    ({"q": "x" * 201}, "q"),
])
def test_a_malformed_request_is_refused_naming_the_field(session, form, field):
    form.setdefault("type", "status_matrix.xlsx")
    with pytest.raises(ServiceError) as refused:
        exports.parse_export_request(form)
    assert refused.value.field == field
    assert str(refused.value)


def test_only_office_staff_may_ask(session):
    focal = f.user(Role.FOCAL_POINT, institution_obj=f.institution())
    with pytest.raises(ServiceError) as refused:
        _request(focal)
    assert refused.value.status == 403


def test_a_build_stores_the_file_and_tells_the_person_who_asked(session, stub_builders):
    reviewer = f.user(Role.REVIEWER)
    recs = [f.recommendation(status=ImplementationStatus.IN_PROGRESS) for _ in range(3)]
    f.recommendation(status=ImplementationStatus.IMPLEMENTED)
    job = _request(reviewer, status="in_progress")
    session.commit()

    assert export_runs.run_export_job(job.id) == "done"
    job = session.get(ReportJob, job.id)
    assert (job.state, job.progress, job.rows, job.attempts) == (JobState.DONE, 100, 3, 1)
    data = b"".join(storage.iter_stored_bytes(job.stored_file_id))
    assert data.decode().split("\n") == [str(r.id) for r in recs]
    assert job.stored_file.size == len(data)
    note = session.scalars(select(Notification).where(
        Notification.kind == NotificationKind.REPORT_READY)).one()
    assert note.recipient_id == reviewer.id and "/review/exports" in note.body
    # Delivered again (a redelivery, the sweep): nothing is built twice.
    assert export_runs.run_export_job(job.id) == export_runs.GONE
    assert session.scalar(select(func.count()).select_from(StoredFile)) == 1


def test_a_failed_build_keeps_its_error_for_the_person_who_asked(session, monkeypatch):
    monkeypatch.setattr(export_runs, "_builder", lambda job: _explode)
    job = _request(f.user(Role.REVIEWER, locale="en"))
    session.commit()
    assert export_runs.run_export_job(job.id) == "failed"
    job = session.get(ReportJob, job.id)
    assert job.state == JobState.FAILED
    assert job.error == ("An unexpected error (RuntimeError) stopped the build. "
                         "The details are in the worker's log.")
    assert job.stored_file_id is None and job.claim_token is None


def test_a_build_whose_owner_lost_the_right_fails_with_a_reason(session, stub_builders):
    reviewer = f.user(Role.REVIEWER)
    job = _request(reviewer)
    reviewer.institution = f.institution()
    reviewer.role = Role.FOCAL_POINT
    session.commit()
    assert export_runs.run_export_job(job.id) == "failed"
    # In the language of the person who asked (Spanish by default).
    assert "ya no puede pedir exportaciones" in session.get(ReportJob, job.id).error


def test_a_live_build_is_left_alone_and_a_silent_one_is_taken_over(session, stub_builders):
    job = _request(f.user(Role.REVIEWER))
    session.commit()
    outcome, token = export_runs.claim(job.id)
    assert outcome == export_runs.CLAIMED
    # A second delivery while the first build still beats: it leaves the job to it.
    assert export_runs.run_export_job(job.id) == export_runs.BUSY
    assert export_runs.stale_export_job_ids() == []
    # The first worker died: its heartbeat goes silent; the sweep and the next build take over.
    session.execute(update(ReportJob).where(ReportJob.id == job.id).values(
        heartbeat_at=utcnow() - export_runs.HEARTBEAT_STALE - timedelta(seconds=1)))
    session.commit()
    assert export_runs.stale_export_job_ids() == [job.id]
    assert export_runs.run_export_job(job.id) == "done"
    job = session.get(ReportJob, job.id)
    assert (job.state, job.attempts) == (JobState.DONE, 2)


def test_a_job_that_keeps_dying_ends_failed_not_running(session, stub_builders):
    job = _request(f.user(Role.REVIEWER))
    session.execute(update(ReportJob).where(ReportJob.id == job.id).values(
        state=JobState.RUNNING, attempts=export_runs.MAX_ATTEMPTS, heartbeat_at=None))
    session.commit()
    assert export_runs.run_export_job(job.id) == "failed"
    job = session.get(ReportJob, job.id)
    assert job.state == JobState.FAILED and "3 veces" in job.error


def test_a_job_never_enqueued_is_found_by_the_sweep_after_a_while(session):
    job = _request(f.user(Role.REVIEWER))
    session.commit()
    assert job.id not in export_runs.stale_export_job_ids()
    session.execute(update(ReportJob).where(ReportJob.id == job.id).values(
        created_at=utcnow() - timedelta(minutes=6)))
    assert job.id in export_runs.stale_export_job_ids()


def test_the_monthly_snapshot_is_queued_once_in_each_language(session):
    first = exports.queue_public_snapshot(date(2026, 11, 1))
    again = exports.queue_public_snapshot(date(2026, 11, 15))
    assert len(first) == 6 and again == []
    jobs = session.scalars(select(ReportJob).where(ReportJob.id.in_(first))).all()
    assert {(j.public, j.requested_by_id) for j in jobs} == {(True, None)}
    assert {j.locale for j in jobs} == {"es", "en"}
    assert {exports.export_type_of(j).code for j in jobs} == set(exports.SNAPSHOT_TYPES)


def test_a_public_build_holds_only_published_recommendations(session, stub_builders):
    shown = f.recommendation(is_published=True)
    f.recommendation(is_published=False)
    job = _request(f.user(Role.REVIEWER), public="y")
    session.commit()
    export_runs.run_export_job(job.id)
    data = b"".join(storage.iter_stored_bytes(session.get(ReportJob, job.id).stored_file_id))
    assert data.decode() == str(shown.id)


def test_deleting_an_export_removes_its_file(session, stub_builders):
    reviewer, colleague = f.user(Role.REVIEWER), f.user(Role.REVIEWER)
    job = _request(reviewer)
    session.commit()
    export_runs.run_export_job(job.id)
    stored_id = session.get(ReportJob, job.id).stored_file_id
    with pytest.raises(ServiceError) as refused:
        exports.delete_export(colleague, job.id)
    assert refused.value.status == 404  # another person's private export does not exist
    exports.delete_export(reviewer, job.id)
    assert session.get(ReportJob, job.id) is None
    assert session.get(StoredFile, stored_id) is None
    assert session.scalar(select(func.count()).select_from(StoredFileChunk).where(
        StoredFileChunk.stored_file_id == stored_id)) == 0


def test_a_large_file_is_stored_and_read_back_in_chunks(session, monkeypatch):
    import io

    monkeypatch.setattr(storage, "CHUNK_SIZE", 1000)
    data = bytes(range(256)) * 30
    stored = storage.store_stream(io.BytesIO(data), "x.bin", "application/octet-stream")
    assert session.scalar(select(func.count()).select_from(StoredFileChunk).where(
        StoredFileChunk.stored_file_id == stored.id)) == 8
    parts = list(storage.iter_stored_bytes(stored.id))
    assert b"".join(parts) == data and max(len(p) for p in parts) == 1000
    import hashlib

    assert stored.sha256 == hashlib.sha256(data).hexdigest()


def test_the_snapshot_command_queues_and_builds_a_month_once(runner, session, stub_builders):
    f.recommendation(is_published=True)
    first = runner.invoke(args=["exports", "snapshot", "--month", "2026-10"])
    assert first.exit_code == 0, first.output
    assert "2026-10: queued 6 export(s)." in first.output
    jobs = session.scalars(select(ReportJob).where(
        ReportJob.snapshot_key.like("2026-10:%"))).all()
    # Without a broker the command builds them itself; they are then public downloads.
    assert {j.state for j in jobs} == {JobState.DONE}
    assert {j.id for j in exports.public_exports()} >= {j.id for j in jobs}
    again = runner.invoke(args=["exports", "snapshot", "--month", "2026-10"])
    assert "2026-10: queued 0 export(s)." in again.output


def test_beat_asks_for_the_public_snapshot_on_the_first_of_each_month(app):
    (entry,) = [e for e in app.extensions["celery"].conf.beat_schedule.values()
                if e["task"] == "tracker.tasks.build_public_snapshot"]
    hour, minute = (int(x) for x in app.config["REMINDER_TIME"].split(":"))
    schedule = entry["schedule"]
    assert (schedule.day_of_month, schedule.hour, schedule.minute) == ({1}, {hour}, {minute})


def test_the_snapshot_command_also_builds_what_was_left_unfinished(runner, session,
                                                                   stub_builders):
    # No scheduler runs in the embedded default: a build that stopped would wait forever.
    left = _request(f.user(Role.REVIEWER))
    session.commit()
    result = runner.invoke(args=["exports", "snapshot", "--month", "2026-09"])
    assert result.exit_code == 0, result.output
    assert "sent again 1 unfinished export(s)." in result.output
    assert session.get(ReportJob, left.id).state == JobState.DONE
