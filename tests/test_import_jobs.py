"""Imports from the screen, service by service: an upload is kept and previewed (a dry run
that saves nothing), labels are mapped and conflicts decided on the preview, and only the
confirmed import writes; refused files, redelivered tasks and lost workers included."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select, update

from tests import factories
from tracker.audit import acting_as
from tracker.extensions import db
from tracker.imports import open_records
from tracker.models import (
    AuditEvent,
    Document,
    ImportFormat,
    ImportJob,
    ImportPhase,
    JobState,
    PendingLabel,
    Recommendation,
    Role,
    StoredFile,
    Term,
    TermAlias,
    utcnow,
)
from tracker.services import import_jobs, import_messages, import_runs
from tracker.services.errors import ServiceError
from tracker.services.import_reports import load_report
from tracker.services.imports import import_records
from tracker.services.jobs import requeue_stale_jobs
from tracker.services.notify import discard_outbox

HEADER = "mechanism,document_symbol,paragraph,text,themes\n"
ROWS = ("CAT,CAT/C/IMP/CO/1,1,Tipificar la tortura en el Código Penal.,{theme}\n"
        "CAT,CAT/C/IMP/CO/1,2,Crear el mecanismo nacional de prevención.,{theme}\n")
UNKNOWN = "Etiqueta inventada de la prueba"


def _csv(theme: str = "", rows: str = ROWS) -> bytes:
    return (HEADER + rows.format(theme=theme)).encode()


@pytest.fixture
def reviewer(session):
    return factories.user(Role.REVIEWER, name="Rosa Revisora")


def _upload(actor, data: bytes, name: str = "oficina.csv", **kw) -> ImportJob:
    job = import_jobs.start_import(actor, import_jobs.Upload(name, io.BytesIO(data), **kw))
    discard_outbox()  # the test runs the worker's part itself
    return job


def _work(job: ImportJob) -> str:
    """The worker's turn: run what the job waits for (its preview, or its import)."""
    state = import_runs.run_import_job(job.id)
    db.session.expire(job)
    return state


def _preview(actor, data: bytes, **kw) -> ImportJob:
    job = _upload(actor, data, **kw)
    assert _work(job) == "done"
    assert job.phase == ImportPhase.PREVIEW_READY
    return job


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _recs() -> dict[str, Recommendation]:
    return {rec.paragraph: rec for rec in db.session.scalars(select(Recommendation))}


def _theme() -> Term:
    return db.session.scalars(select(Term).where(Term.code == "discrimination_against_women")).one()


# --- the preview -------------------------------------------------------------------------------

def test_the_upload_is_kept_and_its_preview_saves_nothing(reviewer):
    before = (_count(Recommendation), _count(Document), _count(AuditEvent))

    job = _upload(reviewer, _csv(), publish=True)

    assert (job.phase, job.filename, job.source_format) == (
        ImportPhase.PREVIEWING, "oficina.csv", ImportFormat.CSV)
    assert job.stored_file.size == len(_csv()) and job.publish
    kept_events = _count(AuditEvent)  # the stored file's own event
    assert _work(job) == "done"

    assert job.phase == ImportPhase.PREVIEW_READY
    assert (_count(Recommendation), _count(Document)) == before[:2]
    assert _count(AuditEvent) - kept_events <= 2  # the report's file, nothing of the data
    report = load_report(job.report_file_id)
    assert report["dry_run"] and report["rows"] == 2
    assert report["counts"]["created"] == 2
    assert [line[:3] for line in report["outcomes"]] == [
        [2, "created", "CAT/C/IMP/CO/1 ¶1"], [3, "created", "CAT/C/IMP/CO/1 ¶2"]]
    assert job.counts["created"] == 2 and job.counts["rows"] == 2


def test_confirming_imports_with_the_options_of_the_preview(reviewer):
    job = _preview(reviewer, _csv(), publish=True)

    import_jobs.confirm(reviewer, job.id)
    assert job.phase == ImportPhase.IMPORTING and job.confirmed_by_id == reviewer.id
    assert _count(Recommendation) == 0, "imported before the worker ran"
    assert _work(job) == "done"

    assert job.phase == ImportPhase.DONE and job.progress == 100
    recs = _recs()
    assert sorted(recs) == ["1", "2"] and all(r.is_published for r in recs.values())
    report = load_report(job.report_file_id)
    assert not report["dry_run"] and report["counts"]["created"] == 2
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import")).one()
    assert event.actor_id == reviewer.id and event.changes["sources"] == ["oficina.csv"]


def test_a_preview_is_confirmed_once_only(reviewer):
    job = _preview(reviewer, _csv())
    import_jobs.confirm(reviewer, job.id)

    with pytest.raises(ServiceError) as refused:
        import_jobs.confirm(reviewer, job.id)
    assert refused.value.status == 409
    _work(job)
    with pytest.raises(ServiceError):
        import_jobs.confirm(reviewer, job.id)
    with pytest.raises(ServiceError):
        import_jobs.change_options(reviewer, job.id, publish=True, keep_other_states=False)
    with pytest.raises(ServiceError):
        import_jobs.discard(reviewer, job.id)


def test_a_preview_not_ready_cannot_be_confirmed(reviewer):
    job = _upload(reviewer, _csv())

    with pytest.raises(ServiceError) as refused:
        import_jobs.confirm(reviewer, job.id)

    assert refused.value.status == 409 and "no está lista" in str(refused.value)


def test_a_discarded_preview_imports_nothing_and_cannot_be_confirmed(reviewer):
    job = _preview(reviewer, _csv())

    import_jobs.discard(reviewer, job.id)

    assert job.phase == ImportPhase.DISCARDED
    with pytest.raises(ServiceError):
        import_jobs.confirm(reviewer, job.id)
    with pytest.raises(ServiceError):
        import_jobs.change_options(reviewer, job.id, publish=True, keep_other_states=True)
    assert _work(job) == "discarded"
    assert _count(Recommendation) == 0
    assert job.stored_file is not None, "the file stays in the history"


def test_changing_the_options_builds_the_preview_again(reviewer):
    other = ("CAT,CAT/C/ARG/CO/1,1,Texto para Argentina.,\n")
    data = (HEADER.replace("themes", "states_concerned") + other.replace(",\n", ",AR\n")).encode()
    job = _preview(reviewer, data)
    assert job.counts["not_for_state"] == 1

    import_jobs.change_options(reviewer, job.id, publish=False, keep_other_states=True)

    assert job.phase == ImportPhase.PREVIEWING
    assert _work(job) == "done"
    assert job.counts["created"] == 1 and job.counts["not_for_state"] == 0


# --- labels the file has and no term knows -----------------------------------------------------

def test_mapping_a_label_in_the_preview_imports_its_rows_with_the_term(reviewer):
    job = _preview(reviewer, _csv(UNKNOWN))
    report = load_report(job.report_file_id)
    assert report["labels"] == [{"vocabulary": "themes", "label": UNKNOWN, "rows": [2, 3]}]
    assert _count(PendingLabel) == 0, "the preview queued nothing"

    with acting_as(reviewer.id, reviewer.email):  # as a request of the reviewer's does
        outcome = import_jobs.map_label(reviewer, job.id, "themes", UNKNOWN, _theme().id)

    assert outcome.term == _theme()
    assert job.phase == ImportPhase.PREVIEWING, "the preview is built again"
    assert _work(job) == "done"
    assert load_report(job.report_file_id)["labels"] == []
    import_jobs.confirm(reviewer, job.id)
    assert _work(job) == "done"
    assert all(rec.terms == [_theme()] for rec in _recs().values())
    assert _count(PendingLabel) == 0
    alias = db.session.scalars(select(TermAlias).where(TermAlias.label == UNKNOWN)).one()
    assert alias.term_id == _theme().id
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "map_label")).one()
    assert event.actor_id == reviewer.id and event.changes["label"] == {"after": UNKNOWN}


def test_a_label_already_waiting_in_the_queue_is_mapped_with_its_records(reviewer):
    import_records(open_records(
        ImportFormat.CSV, _csv(UNKNOWN, ROWS.splitlines(keepends=True)[0]), "antes.csv"))
    [waiting] = db.session.scalars(select(PendingLabel)).all()
    job = _preview(reviewer, _csv(UNKNOWN))

    import_jobs.map_label(reviewer, job.id, "themes", UNKNOWN, _theme().id)

    assert db.session.get(PendingLabel, waiting.id) is None
    assert _recs()["1"].terms == [_theme()], "the record of the earlier import is linked"


def test_a_new_term_with_both_names_can_be_added_from_the_preview(reviewer):
    job = _preview(reviewer, _csv(UNKNOWN))

    outcome = import_jobs.add_term_for_label(reviewer, job.id, "themes", UNKNOWN,
                                             "Tema nuevo de prueba", "New test theme")

    assert (outcome.term.name_es, outcome.term.name_en) == (
        "Tema nuevo de prueba", "New test theme")
    assert outcome.term.vocabulary.code == "themes"
    _work(job)
    import_jobs.confirm(reviewer, job.id)
    _work(job)
    assert all(rec.terms == [outcome.term] for rec in _recs().values())


def test_only_labels_the_preview_waits_for_can_be_mapped_there(reviewer):
    job = _preview(reviewer, _csv(UNKNOWN))

    for vocabulary, label in (("themes", "Otra etiqueta"), ("sdg", UNKNOWN),
                              ("nada", UNKNOWN)):
        with pytest.raises(ServiceError) as refused:
            import_jobs.map_label(reviewer, job.id, vocabulary, label, _theme().id)
        assert refused.value.status == 409
    with pytest.raises(ServiceError) as refused:
        import_jobs.map_label(reviewer, job.id, "themes", UNKNOWN, None)
    assert refused.value.field == "term_id"
    assert _count(TermAlias) == db.session.scalar(
        select(func.count()).select_from(TermAlias).where(TermAlias.label != UNKNOWN))


# --- conflicts with the office's curated values ------------------------------------------------

def _edit(actor, rec: Recommendation, text: str) -> None:
    factories.curate(rec, actor, text=text)


def test_the_chosen_conflicts_are_honoured_row_by_row(reviewer):
    import_records(open_records(ImportFormat.CSV, _csv(), "primera.csv"))
    for paragraph, rec in _recs().items():
        _edit(reviewer, rec, f"Texto de la oficina {paragraph}.")
    db.session.flush()
    job = _preview(reviewer, _csv())
    report = load_report(job.report_file_id)
    assert [row for row, _found in report["conflicts"]] == [2, 3]
    assert report["conflicts"][0][1] == [{
        "field": "text", "file": "Tipificar la tortura en el Código Penal.",
        "office": "Texto de la oficina 1.", "overwritten": False}]

    import_jobs.decide_conflicts(reviewer, job.id, shown=[2, 3], take_file=[2])
    assert job.overwrite_rows == [2]
    _work(job)
    assert [found[0]["overwritten"] for _row, found in
            load_report(job.report_file_id)["conflicts"]] == [True, False]
    import_jobs.confirm(reviewer, job.id)
    _work(job)

    recs = _recs()
    db.session.refresh(recs["1"])
    db.session.refresh(recs["2"])
    assert recs["1"].text == "Tipificar la tortura en el Código Penal."
    assert recs["2"].text == "Texto de la oficina 2."
    assert "text" not in recs["1"].curated_fields and "text" in recs["2"].curated_fields


def test_conflicts_decided_for_every_row_at_once(reviewer):
    import_records(open_records(ImportFormat.CSV, _csv(), "primera.csv"))
    for paragraph, rec in _recs().items():
        _edit(reviewer, rec, f"Texto de la oficina {paragraph}.")
    job = _preview(reviewer, _csv())

    import_jobs.decide_all_conflicts(reviewer, job.id, take_file=True)
    assert job.overwrite_rows == [2, 3]
    import_jobs.decide_all_conflicts(reviewer, job.id, take_file=False)
    assert job.overwrite_rows == []
    with pytest.raises(ServiceError):
        import_jobs.decide_conflicts(reviewer, job.id, shown=[2], take_file=[3])


# --- files that cannot be imported, and files that change nothing ------------------------------

@pytest.mark.parametrize(("name", "data", "fmt", "reason"), [
    ("vacio.csv", b"", None, "the file is empty"),
    ("cabecera.csv", HEADER.encode(), None, "the file holds no rows to import"),
    ("libro.xlsx", b"not a workbook", None, "not an Excel workbook (.xlsx)"),
    ("notas.json", b"{not json", None, "not a UHRI JSON export (invalid JSON"),
    ("otra.csv", b"name,value\nx,1\n", None, "missing column(s) mechanism, document_symbol"),
    ("latin1.csv", HEADER.encode() + "CAT,X/1,1,Año,\n".encode("latin-1"), ImportFormat.CSV,
     "not a UTF-8 text file: row 2 holds the byte 0xf1"),
    ("enorme.csv", (HEADER + 'CAT,X/1,1,"' + "x" * 140_000 + '",\n').encode(), None,
     "the file cannot be read in the format chosen (field larger than field limit"),
])
def test_a_file_that_cannot_be_read_is_refused_naming_it_and_only_the_refusal_kept(
        reviewer, name, data, fmt, reason):
    files = _count(StoredFile)

    job = _upload(reviewer, data, name, format=fmt.value if fmt else None)

    assert job.phase == ImportPhase.FAILED and job.stored_file_id is None
    assert job.filename == name and job.requested_by_id == reviewer.id
    message = job.errors[-1]["message"]
    assert message.startswith(f"{name}: ") and reason in message
    assert _count(StoredFile) == files
    assert _work(job) == "failed", "a refused file gives the worker nothing to do"


def test_a_refusal_is_said_in_the_reader_s_language_naming_the_file(reviewer):
    job = _upload(reviewer, b"", "vacio.csv")

    with force_locale("es"):
        spanish = import_messages.file_problem(job.errors[-1]["message"], job.filename)
    with force_locale("en"):
        english = import_messages.file_problem(job.errors[-1]["message"], job.filename)

    assert spanish == "vacio.csv: el archivo está vacío"
    assert english == "vacio.csv: the file is empty"


def test_a_file_over_the_limit_is_refused(app, reviewer, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 50)

    job = _upload(reviewer, _csv())

    assert job.phase == ImportPhase.FAILED and job.stored_file_id is None
    with force_locale("en"):
        assert import_messages.file_problem(job.errors[-1]["message"], job.filename) == (
            "oficina.csv: the file is larger than the limit for imports, 0.1 kB")


def test_a_file_whose_format_cannot_be_told_is_sent_back_and_nothing_kept(reviewer):
    jobs = _count(ImportJob)

    with pytest.raises(ServiceError) as refused:
        _upload(reviewer, b"%PDF-1.4\n", "acta.pdf")

    assert refused.value.field == "format" and "acta.pdf" in str(refused.value)
    with pytest.raises(ServiceError) as refused:
        _upload(reviewer, _csv(), "oficina.csv", format="pdf")
    assert refused.value.field == "format"
    with pytest.raises(ServiceError) as refused:
        import_jobs.start_import(reviewer, import_jobs.Upload("", None))
    assert refused.value.field == "file"
    assert _count(ImportJob) == jobs


def test_a_file_that_changes_nothing_says_so_and_is_not_imported_again(reviewer):
    first = _preview(reviewer, _csv())
    import_jobs.confirm(reviewer, first.id)
    _work(first)

    again = _preview(reviewer, _csv())

    assert again.counts["unchanged"] == 2 and not again.counts["created"]
    with pytest.raises(ServiceError) as refused:
        import_jobs.confirm(reviewer, again.id)
    assert refused.value.status == 409 and "no cambia nada" in str(refused.value)


# --- the worker: redelivered, lost, superseded -------------------------------------------------

def test_a_redelivered_task_does_not_import_twice(reviewer):
    job = _preview(reviewer, _csv())
    import_jobs.confirm(reviewer, job.id)
    assert _work(job) == "done"
    events = _count(AuditEvent)

    assert _work(job) == "done"

    assert _count(Recommendation) == 2 and _count(AuditEvent) == events


def test_a_run_under_way_elsewhere_is_left_to_it(reviewer):
    job = _upload(reviewer, _csv())
    db.session.execute(update(ImportJob).where(ImportJob.id == job.id).values(
        state=JobState.RUNNING, claim_token="elsewhere", heartbeat_at=utcnow()))

    assert _work(job) == "busy"
    assert job.state == JobState.RUNNING and job.report_file_id is None


def test_a_run_gone_silent_is_taken_over_and_given_up_after_three(reviewer):
    job = _upload(reviewer, _csv())
    silent = utcnow() - timedelta(minutes=5)
    db.session.execute(update(ImportJob).where(ImportJob.id == job.id).values(
        state=JobState.RUNNING, claim_token="lost", heartbeat_at=silent, attempts=1))
    assert import_runs.stale_import_job_ids() == [job.id]

    assert _work(job) == "done"
    assert job.attempts == 2

    db.session.execute(update(ImportJob).where(ImportJob.id == job.id).values(
        state=JobState.RUNNING, claim_token="lost", heartbeat_at=silent, attempts=3))
    assert _work(job) == "failed"
    assert "3" in job.errors[-1]["message"]


def test_the_sweep_hands_on_silent_and_forgotten_jobs_not_discarded_ones(reviewer):
    old = utcnow() - timedelta(minutes=10)
    forgotten = _upload(reviewer, _csv())
    silent = _upload(reviewer, _csv())
    fresh = _upload(reviewer, _csv())
    discarded = _upload(reviewer, _csv())
    db.session.execute(update(ImportJob).where(ImportJob.id == forgotten.id)
                       .values(created_at=old))
    db.session.execute(update(ImportJob).where(ImportJob.id == silent.id).values(
        state=JobState.RUNNING, heartbeat_at=old, claim_token="lost"))
    db.session.execute(update(ImportJob).where(ImportJob.id == discarded.id)
                       .values(created_at=old, discarded_at=old))

    assert import_runs.stale_import_job_ids() == [forgotten.id, silent.id]
    assert requeue_stale_jobs() >= 2  # without a broker the sweep runs them here
    for job in (forgotten, silent):
        db.session.expire(job)
        assert job.phase == ImportPhase.PREVIEW_READY
    assert fresh.phase == ImportPhase.PREVIEWING


def test_a_long_preview_beats_aside_and_an_import_commits_each_batch(reviewer, monkeypatch):
    from tracker.services import imports

    monkeypatch.setattr(imports, "BATCH_SIZE", 1)
    monkeypatch.setattr(import_runs, "BEAT_EVERY_S", 0)
    beats = []
    real_beat = import_runs._beat_aside
    monkeypatch.setattr(import_runs, "_beat_aside",
                        lambda *args: (beats.append(args[2]), real_beat(*args)))

    job = _preview(reviewer, _csv())

    # On PostgreSQL each beat is written by a connection of its own; SQLite has one writer.
    assert beats == [99, 99]  # a batch a row: rows 2 and 3 of a file of two data rows
    assert _count(Recommendation) == 0
    import_jobs.confirm(reviewer, job.id)
    commits = []
    real_commit = db.session.commit
    monkeypatch.setattr(db.session, "commit",
                        lambda: (commits.append(job.progress), real_commit()))
    assert _work(job) == "done"
    assert commits[2:] == [99, 99, 100]  # claimed, row total known, two batches, done


def test_a_preview_asked_for_again_meanwhile_leaves_the_older_run_unsaved(reviewer,
                                                                            monkeypatch):
    job = _upload(reviewer, _csv())
    real = import_runs.import_records

    def meanwhile(*args, **kwargs):
        # The reviewer changes an option while the worker builds the preview.
        import_jobs.change_options(reviewer, job.id, publish=True, keep_other_states=False)
        db.session.commit()
        discard_outbox()
        return real(*args, **kwargs)

    monkeypatch.setattr(import_runs, "import_records", meanwhile)
    assert _work(job) == "gone"
    assert job.state == JobState.QUEUED and job.report_file_id is None
    monkeypatch.setattr(import_runs, "import_records", real)
    assert _work(job) == "done" and job.publish


def test_a_transient_failure_gives_the_job_back_to_the_queue(reviewer, monkeypatch):
    job = _upload(reviewer, _csv())

    def broker_gone(*_args, **_kwargs):
        raise ConnectionError("the broker went away")

    monkeypatch.setattr(import_runs, "import_records", broker_gone)
    with pytest.raises(ConnectionError):
        import_runs.run_import_job(job.id)
    db.session.expire(job)
    assert job.state == JobState.QUEUED and job.claim_token is None


def test_an_unexpected_error_is_recorded_without_its_details(reviewer, monkeypatch):
    job = _upload(reviewer, _csv())

    def broken(*_args, **_kwargs):
        raise RuntimeError("password=secret in the database's words")

    monkeypatch.setattr(import_runs, "import_records", broken)
    assert _work(job) == "failed"
    assert job.errors[-1]["message"] == import_messages.UNEXPECTED.format(error="RuntimeError")


# --- who may -----------------------------------------------------------------------------------

def test_only_the_office_imports(session):
    focal = factories.user(Role.FOCAL_POINT, factories.institution("IMP-F"))
    reviewer = factories.user(Role.REVIEWER)
    job = _preview(reviewer, _csv())

    with pytest.raises(ServiceError) as refused:
        _upload(focal, _csv())
    assert refused.value.status == 403
    for change in (import_jobs.confirm, import_jobs.discard):
        with pytest.raises(ServiceError) as refused:
            change(focal, job.id)
        assert refused.value.status == 403
    assert import_jobs.find_import(focal, job.id) is None
    assert import_jobs.downloadable_upload(focal, job.id) is None
    assert import_jobs.find_import(factories.user(Role.ADMIN), job.id) == job
    assert import_jobs.import_history(focal, 1, 25).total == 0


def test_an_import_taken_over_meanwhile_stops_and_leaves_the_job_to_its_new_holder(
        reviewer, monkeypatch):
    from tracker.services import imports

    job = _preview(reviewer, _csv())
    import_jobs.confirm(reviewer, job.id)
    monkeypatch.setattr(imports, "BATCH_SIZE", 1)
    real = import_runs.import_records

    def taken_over(*args, **kwargs):
        # A redelivery took the job over while this run thought its worker was lost.
        db.session.execute(update(ImportJob).where(ImportJob.id == job.id)
                           .values(claim_token="another"))
        db.session.commit()  # the other run's own transaction
        return real(*args, **kwargs)

    monkeypatch.setattr(import_runs, "import_records", taken_over)
    assert _work(job) == "gone"
    assert job.claim_token == "another" and job.state == JobState.RUNNING


def test_changing_an_import_that_does_not_exist_or_whose_file_was_refused(reviewer):
    refused = _upload(reviewer, b"", "vacio.csv")

    with pytest.raises(ServiceError) as missing:
        import_jobs.confirm(reviewer, 10 ** 9)
    assert missing.value.status == 404
    with pytest.raises(ServiceError) as nothing:
        import_jobs.change_options(reviewer, refused.id, publish=True, keep_other_states=False)
    assert nothing.value.status == 409
    with pytest.raises(ServiceError):
        import_jobs.confirm(reviewer, refused.id)
    assert import_jobs.discard(reviewer, refused.id).phase == ImportPhase.DISCARDED
    assert import_jobs.discard(reviewer, refused.id).phase == ImportPhase.DISCARDED
