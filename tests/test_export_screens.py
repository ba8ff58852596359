"""The screens of exports: asking for one from the list, following it, downloading, deleting,
and the public open-data page."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from flask_babel import gettext as babel_gettext
from sqlalchemy import func, select

from tests import factories
from tests.conftest import choose_language, login
from tracker.exports import CSV_TYPE, XLSX_TYPE
from tracker.extensions import db
from tracker.models import (
    ImplementationStatus,
    JobState,
    ReportFormat,
    ReportJob,
    ReportKind,
    Role,
    StoredFile,
    utcnow,
)
from tracker.services.storage import store_stream

WORKBOOK = b"PK\x03\x04" + bytes(range(256)) * 40  # not text: streamed byte for byte


def _text(response) -> str:
    return response.get_data(as_text=True)


def _jobs() -> int:
    return db.session.scalar(select(func.count()).select_from(ReportJob))


def _job(owner, state=JobState.DONE, *, content: bytes | None = None,
         filename: str = "matriz-de-estado-2026-11-30.xlsx", content_type: str = XLSX_TYPE,
         kind=ReportKind.STATUS_MATRIX, fmt=ReportFormat.XLSX, **kw) -> ReportJob:
    """A job as the worker leaves it; a done one gets its file through the storage service."""
    job = ReportJob(kind=kind, format=fmt, filters=kw.pop("filters", {}),
                    locale=kw.pop("locale", "es"),
                    requested_by_id=owner.id if owner else None, state=state,
                    progress=kw.pop("progress", 100 if state == JobState.DONE else 0),
                    rows=kw.pop("rows", 0), attempts=1, **kw)
    if state == JobState.DONE:
        stored = store_stream(io.BytesIO(content if content is not None else WORKBOOK),
                              filename, content_type, owner.id if owner else None)
        job.stored_file_id = stored.id
        job.finished_at = job.finished_at or utcnow()
    db.session.add(job)
    db.session.flush()
    return job


@pytest.fixture
def reviewer(session):
    return factories.user(Role.REVIEWER, name="Rita Revisora")


@pytest.fixture
def signed_in(client, reviewer):
    factories.sign_in(client, reviewer)
    return client


# --- asking for an export --------------------------------------------------------------------

def test_the_list_offers_an_export_with_its_filters(signed_in, session):
    mechanism = factories.mechanism("CAT")
    page = _text(signed_in.get(
        f"/review/recommendations?mechanism={mechanism.id}&status=in_progress&q=tortura"))
    link = re.search(r'href="(/review/exports/new\?[^"]+)"[^>]*>Exportar…</a>', page)
    assert link, "no Export… button on the list"
    form = _text(signed_in.get(link.group(1).replace("&amp;", "&")))
    for name, value in (("mechanism", str(mechanism.id)), ("status", "in_progress"),
                        ("q", "tortura")):
        assert re.search(rf'<input type="hidden" name="{name}" value="{value}">', form), name
    # The filters in words, in the user's language, with a way back to change them.
    assert "Mecanismo" in form and mechanism.name_es in form
    assert "En curso" in form and "“tortura”" in form
    assert "Cambiar los filtros en la lista de recomendaciones" in form
    # Every kind of export is offered, the Word draft with what it needs.
    for code in ("status_matrix.xlsx", "status_matrix.csv", "status_report.pdf",
                 "followup_draft.docx"):
        assert f'value="{code}"' in form
    assert "Versión pública (solo información publicada)" in form


def test_the_word_draft_says_it_needs_one_document_or_mechanism(signed_in, session):
    unscoped = _text(signed_in.get("/review/exports/new"))
    assert "Necesita la lista filtrada por un documento o un mecanismo" in unscoped
    doc = factories.document()
    scoped = _text(signed_in.get(f"/review/exports/new?document={doc.id}"))
    assert "Necesita la lista filtrada" not in scoped
    assert doc.symbol in scoped


def _spanish(message: str) -> str:
    with force_locale("es"):
        return babel_gettext(message)


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"type": "status_matrix.xlsx", "status": "almost_done"}, "status",
     "The status filter is not one the list offers."),
    ({"type": "status_matrix.xlsx", "mechanism": "99999999"}, "mechanism",
     "The chosen mechanism does not exist."),
    ({"type": "status_report.pdf", "period_start": "2024-02-30"}, "period_start",
     "Give the date as year-month-day, for example 2026-01-31."),
    ({"type": "status_report.pdf", "period_start": "2024-06-01", "period_end": "2024-01-01"},
     "period_end", "The period ends before it starts."),
    ({"type": "followup_draft.docx"}, "document",
     "A follow-up draft is written for one document or one mechanism: filter the list by a "
     "document or a mechanism first."),
    ({"type": "spreadsheet.ods"}, "type", "Choose which export to build."),
])
def test_a_malformed_request_is_refused_in_the_users_language(signed_in, session, form, field,
                                                             message):
    before = _jobs()
    response = signed_in.post("/review/exports/new", data=form)
    assert response.status_code == 400
    spanish = _spanish(message)
    assert spanish != message, "the message has no Spanish translation"
    assert spanish.replace("“", "&#8220;") in _text(response) or spanish in _text(response)
    assert _jobs() == before

    choose_language(signed_in, "en")
    response = signed_in.post("/review/exports/new", data=form)
    assert response.status_code == 400 and message in _text(response)
    assert _jobs() == before


def test_a_refused_request_keeps_the_choices_made(signed_in, session):
    doc = factories.document()
    response = signed_in.post("/review/exports/new", data={
        "type": "status_report.pdf", "public": "y", "document": str(doc.id),
        "period_start": "2024-01-01", "period_end": "2023-01-01"})
    page = _text(response)
    assert response.status_code == 400
    assert re.search(r'value="status_report.pdf"\s+aria-describedby="[^"]+" checked', page)
    assert re.search(r'name="public" value="y" id="public"\s+aria-describedby="public-help" '
                     r'checked', page)
    assert 'value="2024-01-01"' in page and 'value="2023-01-01"' in page
    assert f'<input type="hidden" name="document" value="{doc.id}">' in page
    assert 'aria-invalid="true"' in page


def test_a_request_is_queued_and_the_list_shows_it(signed_in, reviewer, session, monkeypatch):
    # The build itself is the worker's business (tested with the builders).
    monkeypatch.setattr("tracker.services.exports.enqueue_after_commit", lambda *a: None)
    doc = factories.document()
    response = signed_in.post("/review/exports/new", data={
        "type": "followup_draft.docx", "document": str(doc.id), "status": "in_progress"})
    assert response.status_code == 302 and response.location.endswith("/review/exports")
    job = db.session.scalars(select(ReportJob).order_by(ReportJob.id.desc())).first()
    assert (job.kind, job.format, job.public) == (ReportKind.FOLLOWUP_DRAFT,
                                                  ReportFormat.DOCX, False)
    assert job.requested_by_id == reviewer.id
    assert job.filters == {"document": str(doc.id), "status": "in_progress"}
    page = _text(signed_in.get(response.location))
    assert "Su exportación está en cola" in page
    assert "En cola" in page and doc.symbol in page and "Rita Revisora" in page
    assert "Interno" in page and "Público" not in page

    signed_in.post("/review/exports/new", data={"type": "status_matrix.csv", "public": "y"})
    public = db.session.scalars(select(ReportJob).order_by(ReportJob.id.desc())).first()
    assert public.id != job.id and public.public is True
    assert "Público" in _text(signed_in.get("/review/exports"))


# --- following, downloading, deleting ------------------------------------------------------

def test_the_list_shows_each_state_and_follows_the_builds(signed_in, reviewer, session):
    _job(reviewer, JobState.QUEUED)
    _job(reviewer, JobState.RUNNING, progress=45)
    _job(reviewer, JobState.DONE, rows=1234, filters={"status": "implemented"})
    _job(reviewer, JobState.FAILED, error="La matriz no cupo en el disco.")
    page = _text(signed_in.get("/review/exports"))
    assert "En cola" in page
    assert "En curso 45\xa0%" in page
    assert re.search(r'role="progressbar"[^>]*aria-valuenow="45"', page)
    assert "Listo" in page and "1.234 recomendaciones" in page
    assert "Estado: Cumplida" in page
    assert "matriz-de-estado-2026-11-30.xlsx" in page
    assert "Error" in page and "La matriz no cupo en el disco." in page
    # While something is being built the list updates itself.
    assert 'data-refresh-seconds="' in page
    assert re.search(r'src="/static/js/exports\.[0-9a-f]+\.js"', page)

    choose_language(signed_in, "en")
    page = _text(signed_in.get("/review/exports"))
    assert "Queued" in page and "Running 45%" in page and "Ready" in page
    assert "1,234 recommendations" in page


def test_a_list_with_nothing_under_way_stays_still(signed_in, reviewer, session):
    _job(reviewer, JobState.DONE)
    page = _text(signed_in.get("/review/exports"))
    assert "data-refresh-seconds" not in page
    empty = factories.user(Role.REVIEWER)
    signed_in.post("/logout")
    factories.sign_in(signed_in, empty)
    assert "Aún no hay ninguna exportación" in _text(signed_in.get("/review/exports"))


def test_the_owner_downloads_a_stream_stored(signed_in, reviewer, session):
    job = _job(reviewer, filename="matriz-de-estado-2026-11-30.xlsx")
    response = signed_in.get(f"/files/exports/{job.id}")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.get_data() == WORKBOOK
    assert response.headers["Content-Type"] == XLSX_TYPE
    assert response.headers["Content-Length"] == str(len(WORKBOOK))
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="matriz-de-estado-2026-11-30.xlsx"')
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"


def test_a_file_name_with_accents_is_kept(signed_in, reviewer, session):
    job = _job(reviewer, filename="matriz-pública-2026.csv", content=b"a;b\r\n",
               content_type=CSV_TYPE, fmt=ReportFormat.CSV)
    response = signed_in.get(f"/files/exports/{job.id}")
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"matriz-publica-2026.csv\"; "
        "filename*=UTF-8''matriz-p%C3%BAblica-2026.csv")
    assert response.headers["Content-Type"] == CSV_TYPE
    assert response.get_data() == b"a;b\r\n"


def test_a_file_is_not_served_before_it_is_ready(signed_in, reviewer, session):
    for state in (JobState.QUEUED, JobState.RUNNING, JobState.FAILED):
        job = _job(reviewer, state)
        assert signed_in.get(f"/files/exports/{job.id}").status_code == 404
    assert signed_in.get("/files/exports/99999999").status_code == 404


def test_another_persons_private_export_is_not_found(client, reviewer, session):
    job = _job(reviewer)
    other = factories.user(Role.REVIEWER, name="Otro Revisor")
    focal = factories.user(Role.FOCAL_POINT)
    for person in (None, focal, other):
        client.post("/logout")
        if person is not None:
            factories.sign_in(client, person)
        assert client.get(f"/files/exports/{job.id}").status_code == 404, person
    # Nor is it on the other reviewer's list, nor can they delete it.
    page = _text(client.get("/review/exports"))
    assert "matriz-de-estado" not in page and "Rita Revisora" not in page
    assert client.post(f"/review/exports/{job.id}/delete").status_code == 404
    assert db.session.get(ReportJob, job.id) is not None


def test_staff_pages_are_for_office_staff(client, session):
    job = _job(factories.user(Role.REVIEWER))
    pages = ("/review/exports", "/review/exports/new")
    for path in pages:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location
    assert client.post(f"/review/exports/{job.id}/delete").status_code == 302
    login(client, factories.user(Role.FOCAL_POINT))
    for path in pages:
        assert client.get(path).status_code == 403
    assert client.post("/review/exports/new",
                       data={"type": "status_matrix.csv"}).status_code == 403
    assert client.post(f"/review/exports/{job.id}/delete").status_code == 403
    assert "Exportar…" not in _text(client.get("/my-institution/"))
    assert db.session.get(ReportJob, job.id) is not None


def test_deleting_removes_the_job_and_its_file(signed_in, reviewer, session):
    job = _job(reviewer)
    stored_id = job.stored_file_id
    page = _text(signed_in.get("/review/exports"))
    assert f'action="/review/exports/{job.id}/delete"' in page
    assert "¿Eliminar esta exportación y su archivo?" in page  # asked before it goes
    response = signed_in.post(f"/review/exports/{job.id}/delete")
    assert response.status_code == 302
    assert db.session.get(ReportJob, job.id) is None
    assert db.session.get(StoredFile, stored_id) is None
    page = _text(signed_in.get(response.location))
    assert "La exportación y su archivo se han eliminado." in page
    assert signed_in.get(f"/files/exports/{job.id}").status_code == 404


def test_deleting_needs_the_csrf_token(signed_in, reviewer, session, csrf_enabled):
    job = _job(reviewer)
    assert signed_in.post(f"/review/exports/{job.id}/delete").status_code == 400
    assert db.session.get(ReportJob, job.id) is not None
    page = _text(signed_in.get("/review/exports"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = signed_in.post(f"/review/exports/{job.id}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    assert db.session.get(ReportJob, job.id) is None


# --- open data -------------------------------------------------------------------------------

def _snapshot(month: str, code: str, lang: str, **kw) -> ReportJob:
    kind, fmt = code.split(".")
    names = {"xlsx": XLSX_TYPE, "csv": CSV_TYPE, "pdf": "application/pdf"}
    return _job(None, kw.pop("state", JobState.DONE), public=True,
                snapshot_key=f"{month}:{code}:{lang}", kind=ReportKind(kind),
                fmt=ReportFormat(fmt), content_type=names[fmt],
                filename=f"{kind}-{lang}-{month}.{fmt}", locale=lang, **kw)


def test_open_data_lists_the_public_files_by_month(client, session):
    now = utcnow()
    november = _snapshot("2026-11", "status_matrix.xlsx", "es", rows=321,
                         created_at=now, content=b"PK-nov-es")
    _snapshot("2026-11", "status_matrix.xlsx", "en", rows=321, created_at=now)
    earlier = _snapshot("2026-10", "status_matrix.csv", "es", rows=300,
                        created_at=now - timedelta(days=40))
    _snapshot("2026-12", "status_report.pdf", "es", state=JobState.RUNNING)
    private = _job(factories.user(Role.REVIEWER))
    page = _text(client.get("/open-data"))
    assert f'/files/exports/{november.id}"' in page and f'/files/exports/{earlier.id}"' in page
    assert f"/files/exports/{private.id}\"" not in page
    assert page.count("/files/exports/") == 3  # the running one is not there yet
    assert "321 recomendaciones" in page and "Español" in page and "Inglés" in page
    # Newest month first.
    assert page.index(f"/files/exports/{november.id}\"") < page.index(
        f"/files/exports/{earlier.id}\"")
    # Anyone downloads them.
    response = client.get(f"/files/exports/{november.id}")
    assert response.status_code == 200 and response.get_data() == b"PK-nov-es"
    assert response.headers["Cache-Control"] == "no-cache"


def test_a_month_built_late_is_listed_under_the_month_it_stands_for(client, session):
    # October's snapshot, built by hand in November (`tracker exports snapshot --month`).
    late = _snapshot("2026-10", "status_matrix.csv", "es", created_at=utcnow())
    november = _snapshot("2026-11", "status_matrix.csv", "es",
                         created_at=utcnow() - timedelta(days=1))
    page = _text(client.get("/open-data"))
    assert (page.index("Noviembre de 2026") < page.index(f"/files/exports/{november.id}\"")
            < page.index("Octubre de 2026") < page.index(f"/files/exports/{late.id}\""))


def test_open_data_says_when_there_is_nothing_yet(client, session):
    page = _text(client.get("/open-data"))
    assert "Datos abiertos" in page
    assert "Todavía no se ha publicado ningún archivo" in page
    choose_language(client, "en")
    assert "No file has been published yet" in _text(client.get("/open-data"))


def test_the_navigation_leads_to_the_new_pages(signed_in, session):
    page = _text(signed_in.get("/review/exports"))
    assert 'href="/open-data"' in page and ">Datos abiertos<" in page
    assert re.search(r'href="/review/exports"\s+aria-current="page">Exportaciones<', page)


def test_from_the_form_to_the_downloaded_file(signed_in, session):
    """The whole way, with the worker's build run as the test app runs tasks (eagerly)."""
    rec = factories.recommendation(text="Tipificar el feminicidio.", is_published=True,
                                   status=ImplementationStatus.IN_PROGRESS)
    response = signed_in.post("/review/exports/new", data={
        "type": "status_matrix.csv", "document": str(rec.document_id)})
    assert response.status_code == 302
    job = db.session.scalars(select(ReportJob).order_by(ReportJob.id.desc())).first()
    assert job.state == JobState.QUEUED, "built before the answer"
    response.close()  # the answer has gone: the embedded worker builds it now
    db.session.expire_all()
    assert job.state == JobState.DONE, job.error
    page = _text(signed_in.get("/review/exports"))
    assert "Listo" in page and "1 recomendación" in page and "data-refresh-seconds" not in page
    download = signed_in.get(f"/files/exports/{job.id}")
    assert download.status_code == 200
    assert download.headers["Content-Type"] == CSV_TYPE
    assert "attachment; filename=" in download.headers["Content-Disposition"]
    assert rec.reference in download.get_data().decode("utf-8-sig")
