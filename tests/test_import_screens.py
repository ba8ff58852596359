"""The import screens: upload, the preview with the rows behind each count, labels mapped and
conflicts decided inline, confirmation, the job's status and report, the history and the
kept file; every format through the screen once, and refusals in the reader's language."""

from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from tests import factories
from tests.conftest import choose_language
from tracker.extensions import db
from tracker.imports.uhri_xlsx import COLUMNS
from tracker.models import ImportJob, ImportPhase, Recommendation, Role, Term

DATA = Path(__file__).parent / "data"
HEADER = "mechanism,document_symbol,paragraph,text,themes\n"
UNKNOWN = "Tema que ningún término conoce"


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _csv(rows: int = 3, theme: str = "") -> bytes:
    lines = [f"CAT,CAT/C/SCR/CO/1,{n},Recomendación número {n} del Comité.,{theme}\n"
             for n in range(1, rows + 1)]
    return (HEADER + "".join(lines)).encode()


@pytest.fixture
def reviewer(session):
    return factories.user(Role.REVIEWER, name="Rita Revisora")


@pytest.fixture
def signed_in(client, reviewer):
    factories.sign_in(client, reviewer)
    return client


def _latest() -> ImportJob:
    return db.session.scalars(select(ImportJob).order_by(ImportJob.id.desc())).first()


def _send(client, data: bytes, name: str, **fields):
    """Upload as the form does; the preview is built once the answer has gone."""
    response = client.post("/review/imports/new", data={
        "file": (io.BytesIO(data), name), **fields}, content_type="multipart/form-data")
    body = _text(response)
    _after_the_answer(response)
    return response, body


def _after_the_answer(response) -> None:
    """Let the embedded worker run what the request asked for, as after a real answer."""
    # A server ends the request's session with the request; the test's outlives it, and
    # rolling it back later must not undo what the worker committed after the answer.
    db.session.commit()
    response.close()  # the answer has gone: the worker runs now
    db.session.expire_all()


def _post(client, path: str, **data):
    response = client.post(path, data=data)
    _after_the_answer(response)
    return response


def _rec_count() -> int:
    return db.session.scalar(select(func.count(Recommendation.id)))


def _term() -> Term:
    return db.session.scalars(select(Term).where(
        Term.code == "discrimination_against_women")).one()


# --- upload and preview ------------------------------------------------------------------------

def test_upload_preview_confirm_and_report(signed_in, session):
    response, _body = _send(signed_in, _csv(3), "comite.csv", publish="y")
    job = _latest()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/review/imports/{job.id}")
    assert job.phase == ImportPhase.PREVIEW_READY and _rec_count() == 0

    page = _text(signed_in.get(f"/review/imports/{job.id}"))
    assert "Importación de comite.csv" in page
    assert "Vista previa lista: espera confirmación" in page
    assert "Lo que haría la importación" in page
    assert re.search(r'id="count-created">.*?>Creadas</a></th>\s*<td class="text-end">3<',
                     page, re.S)
    assert "CAT/C/SCR/CO/1 ¶2" in page  # the rows behind the first count
    assert "Confirmar e importar" in page

    _post(signed_in, f"/review/imports/{job.id}/confirm")
    assert job.phase == ImportPhase.DONE and _rec_count() == 3
    page = _text(signed_in.get(f"/review/imports/{job.id}"))
    assert "Lo que hizo la importación" in page and "Confirmar e importar" not in page
    assert "Confirmada por" in page and "Rita Revisora" in page
    assert all(rec.is_published for rec in db.session.scalars(select(Recommendation)))


def test_the_rows_behind_each_count_page_by_page(app, signed_in, session, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    _send(signed_in, _csv(5), "cinco.csv")
    job = _latest()

    first = _text(signed_in.get(f"/review/imports/{job.id}?outcome=created"))
    second = _text(signed_in.get(f"/review/imports/{job.id}?outcome=created&page=2"))

    assert "filas 1–2 de 5" in first and "CAT/C/SCR/CO/1 ¶1" in first
    assert "CAT/C/SCR/CO/1 ¶3" not in first
    assert "filas 3–4 de 5" in second and "CAT/C/SCR/CO/1 ¶3" in second
    assert f'href="/review/imports/{job.id}?outcome=created&amp;page=3#rows"' in (
        signed_in.get(f"/review/imports/{job.id}?outcome=created&page=2").get_data(
            as_text=True))


def test_refused_rows_name_file_row_column_and_reason_in_the_reader_s_language(
        client, signed_in, session):
    _send(signed_in, (DATA / "tracker_small.csv").read_bytes(), "tracker_small.csv")
    job = _latest()

    page = _text(signed_in.get(f"/review/imports/{job.id}?outcome=refused"))
    assert "Rechazadas, en tracker_small.csv: filas 1–3 de 3" in page
    assert re.search(r">4</th>\s*<td>type</td>\s*<td>tipo desconocido “verdict” "
                     r"\(se esperaba recomendación o preocupación\)</td>", page)
    assert re.search(r">6</th>\s*<td>—</td>\s*<td>mecanismo desconocido “Nowhere Body”", page)
    assert re.search(r">7</th>\s*<td>text</td>\s*<td>la celda está vacía", page)

    choose_language(client, "en")
    page = _text(signed_in.get(f"/review/imports/{job.id}?outcome=refused"))
    assert "Refused, in tracker_small.csv: rows 1–3 of 3" in page
    assert "unknown type “verdict” (expected recommendation or concern)" in page


def test_a_file_that_changes_nothing_says_so(signed_in, session):
    _send(signed_in, _csv(2), "una.csv")
    _post(signed_in, f"/review/imports/{_latest().id}/confirm")

    _send(signed_in, _csv(2), "otra-vez.csv")
    job = _latest()
    page = _text(signed_in.get(f"/review/imports/{job.id}"))

    assert "Este archivo no cambia nada" in page
    assert "Confirmar e importar" not in page and "No hay nada que importar" in page
    assert _post(signed_in, f"/review/imports/{job.id}/confirm").status_code == 302
    assert job.phase == ImportPhase.PREVIEW_READY


def test_a_refused_upload_says_why_in_the_reader_s_language_and_is_in_the_history(
        client, signed_in, session):
    response, body = _send(signed_in, b"", "vacio.csv")

    assert response.status_code == 400
    assert "El archivo fue rechazado y no se guardó nada de él." in body
    assert "vacio.csv: el archivo está vacío" in body
    job = _latest()
    assert job.phase == ImportPhase.FAILED and job.stored_file_id is None
    history = _text(signed_in.get("/review/imports"))
    assert "vacio.csv" in history and "Fallida" in history

    choose_language(client, "en")
    _response, body = _send(signed_in, b"name,value\nx,1\n", "otra.csv")
    assert "otra.csv: missing column(s) mechanism, document_symbol, text; the tracker's CSV " \
           "has the columns" in body


def test_an_upload_without_a_file_or_with_an_unknown_format_is_sent_back(signed_in, session):
    jobs = db.session.scalar(select(func.count(ImportJob.id)))
    response = signed_in.post("/review/imports/new", data={"format": ""},
                              content_type="multipart/form-data")
    assert response.status_code == 400 and "Elija el archivo que va a importar." in _text(
        response)
    response, body = _send(signed_in, b"%PDF-1.4", "acta.pdf")
    assert response.status_code == 400
    assert "acta.pdf: el formato no se deduce del nombre del archivo" in body
    response, body = _send(signed_in, _csv(1), "bien.csv", format="pdf")
    assert response.status_code == 400 and "Elija uno de los formatos ofrecidos." in body
    assert db.session.scalar(select(func.count(ImportJob.id))) == jobs


def test_a_body_over_the_request_limit_is_answered_with_the_form(app, signed_in, session,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 100)

    response, body = _send(signed_in, _csv(5), "grande.csv")

    assert response.status_code == 413
    assert "El archivo supera el límite de las importaciones" in body


# --- labels and conflicts, inline ------------------------------------------------------------

def test_an_unknown_label_is_mapped_inline_and_the_preview_is_built_again(signed_in,
                                                                          session):
    _send(signed_in, _csv(2, UNKNOWN), "etiquetas.csv")
    job = _latest()
    page = _text(signed_in.get(f"/review/imports/{job.id}"))
    assert "Etiquetas por vincular" in page and f"“{UNKNOWN}”" in page
    assert "Las filas 2, 3 la llevan." in page
    assert f'<option value="{_term().id}">' in page

    response = _post(signed_in, f"/review/imports/{job.id}/labels/map", vocabulary="themes",
                     label=UNKNOWN, term_id=str(_term().id))

    assert response.status_code == 302
    assert job.phase == ImportPhase.PREVIEW_READY, "built again after the answer"
    page = _text(signed_in.get(f"/review/imports/{job.id}"))
    assert f"“{UNKNOWN}” ahora significa “Discriminación contra la mujer”" in page
    assert f"“{UNKNOWN}”" not in page.split("ahora significa")[1]
    _post(signed_in, f"/review/imports/{job.id}/confirm")
    assert {tuple(rec.terms) for rec in db.session.scalars(select(Recommendation))} == {
        (_term(),)}


def test_a_new_term_is_added_inline_and_a_refused_one_says_why(signed_in, session):
    _send(signed_in, _csv(1, UNKNOWN), "etiquetas.csv")
    job = _latest()

    _post(signed_in, f"/review/imports/{job.id}/labels/term", vocabulary="themes",
          label=UNKNOWN, name_es="Tema nuevo", name_en="")
    page = _text(signed_in.get(f"/review/imports/{job.id}"))
    assert "La etiqueta no se vinculó: Indique el nombre del término en español y en " \
           "inglés." in page
    _post(signed_in, f"/review/imports/{job.id}/labels/term", vocabulary="themes",
          label=UNKNOWN, name_es="Tema nuevo", name_en="New theme")
    term = db.session.scalars(select(Term).where(Term.name_en == "New theme")).one()
    assert term.name_es == "Tema nuevo" and term.vocabulary.code == "themes"
    assert load_labels(job) == []


def load_labels(job) -> list:
    from tracker.services.import_reports import load_report

    return load_report(job.report_file_id)["labels"]


def _curated_pair(reviewer) -> None:
    """Two recommendations imported, whose texts the office then changed on the web."""
    from tracker.imports import read_tracker_csv
    from tracker.services.imports import import_records

    import_records(read_tracker_csv(_csv(2), "antes.csv"))
    for rec in db.session.scalars(select(Recommendation)):
        factories.curate(rec, reviewer, text=f"Texto de la oficina {rec.paragraph}.",
                         state_ids=[], term_ids=[])
    db.session.commit()


def test_conflicts_are_shown_and_decided_row_by_row(signed_in, reviewer, session):
    _curated_pair(reviewer)
    _send(signed_in, _csv(2), "corregido.csv")
    job = _latest()
    page = _text(signed_in.get(f"/review/imports/{job.id}"))
    assert "Valores que la oficina corrigió" in page
    assert re.search(r"Texto en su idioma original</td>\s*<td[^>]*>“Recomendación número 1 "
                     r"del Comité.”</td>\s*<td[^>]*>“Texto de la oficina 1.”</td>", page)
    assert 'name="choice-2" id="office-2" value="office" checked' in page

    _post(signed_in, f"/review/imports/{job.id}/conflicts", shown=["2", "3"],
          **{"choice-2": "file", "choice-3": "office"})

    assert job.overwrite_rows == [2]
    page = _text(signed_in.get(f"/review/imports/{job.id}"))
    assert 'name="choice-2" id="file-2" value="file" checked' in page
    _post(signed_in, f"/review/imports/{job.id}/confirm")
    texts = sorted(rec.text for rec in db.session.scalars(select(Recommendation)))
    assert texts == ["Recomendación número 1 del Comité.", "Texto de la oficina 2."]
    page = _text(signed_in.get(f"/review/imports/{job.id}"))
    assert "El valor del archivo reemplazó al de la oficina" in page
    assert "Se mantuvo el de la oficina" in page


def test_options_change_and_discard(signed_in, session):
    _send(signed_in, _csv(1), "opciones.csv")
    job = _latest()

    _post(signed_in, f"/review/imports/{job.id}/options", publish="y")
    assert job.publish and job.phase == ImportPhase.PREVIEW_READY
    _post(signed_in, f"/review/imports/{job.id}/discard")
    assert job.phase == ImportPhase.DISCARDED
    page = _text(signed_in.get(f"/review/imports/{job.id}"))
    assert "Esta vista previa se descartó: no se importó nada del archivo." in page
    _post(signed_in, f"/review/imports/{job.id}/confirm")
    page = _text(signed_in.get(f"/review/imports/{job.id}"))
    assert "Esta importación se descartó." in page
    assert _rec_count() == 0


# --- status, history, file ---------------------------------------------------------------------

def test_the_status_answers_in_json_for_the_page_s_script(signed_in, session):
    _send(signed_in, _csv(1), "estado.csv")
    job = _latest()

    status = signed_in.get(f"/review/imports/{job.id}/status").get_json()

    assert status == {"phase": "preview_ready", "label": "Vista previa lista: espera "
                      "confirmación", "progress": 100, "percent": "100\xa0%", "working": False,
                      "rows": 1}
    assert signed_in.get("/review/imports/999999/status").status_code == 404


def test_a_job_being_worked_on_is_followed_by_the_script_or_the_page(signed_in, reviewer,
                                                                     session):
    job = factories.import_job(reviewer, preview=False, progress=40)

    page = signed_in.get(f"/review/imports/{job.id}").get_data(as_text=True)

    assert f'data-status-url="/review/imports/{job.id}/status"' in page
    assert 'data-phase="previewing"' in page and 'aria-valuenow="40"' in page
    assert '<noscript><meta http-equiv="refresh"' in page
    assert re.search(r'src="/static/js/imports\.[0-9a-f]+\.js"', page)
    assert 'aria-live="polite"' in page
    history = signed_in.get("/review/imports").get_data(as_text=True)
    assert f'data-status-url="/review/imports/{job.id}/status"' in history


def test_the_history_lists_who_when_the_file_and_what_it_did(signed_in, reviewer, session):
    _send(signed_in, _csv(2), "historial.csv")
    job = _latest()

    page = _text(signed_in.get("/review/imports"))

    assert re.search(rf'href="/review/imports/{job.id}">historial.csv</a>', page)
    assert f'href="/files/imports/{job.id}"' in page and "Rita Revisora" in page
    assert "CSV del sistema" in page and "2 filas · Creadas: 2 · Actualizadas: 0" in page
    assert 'aria-current="page">Importaciones' in page


def test_the_kept_file_is_downloaded_by_the_office_only(app, signed_in, session):
    _send(signed_in, _csv(2), "importación/../oficina.csv")
    job = _latest()
    assert job.filename == "oficina.csv"
    _send(signed_in, _csv(2), "descarga de la sesión.csv")
    job = _latest()

    download = signed_in.get(f"/files/imports/{job.id}")
    content = download.get_data()
    download.close()  # streamed from the database: the answer ends when it is closed
    assert download.status_code == 200 and content == _csv(2)
    assert download.headers["Content-Disposition"] == (
        'attachment; filename="descarga de la sesion.csv"; '
        "filename*=UTF-8''descarga%20de%20la%20sesi%C3%B3n.csv")
    assert download.headers["Cache-Control"] == "private, no-store"

    report = signed_in.get(f"/files/imports/{job.id}/report")
    content = report.get_data()
    report.close()
    assert report.headers["Content-Type"] == "application/json"
    assert json.loads(content)["counts"]["created"] == 2
    assert 'filename="descarga de la sesion.csv.report.json"' in (
        report.headers["Content-Disposition"])

    other = app.test_client()
    assert other.get(f"/files/imports/{job.id}").status_code == 404
    assert other.get(f"/files/imports/{job.id}/report").status_code == 404
    assert "/login" in other.get("/review/imports").headers["Location"]
    factories.sign_in(other, factories.user(Role.FOCAL_POINT, factories.institution("IMP-S")))
    assert other.get(f"/files/imports/{job.id}").status_code == 404
    assert other.get(f"/review/imports/{job.id}").status_code == 403
    assert other.get(f"/files/imports/{job.id}/report").status_code == 404
    assert other.get("/review/imports/new").status_code == 403


# --- every format through the screen ---------------------------------------------------------

def _workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(COLUMNS))
    row = dict.fromkeys(COLUMNS, None)
    row.update({"Text": "12. The State party should adopt a law on torture.",
                "Countries Concerned": "Honduras", "Reccomending Body": "CAT",
                "Document Symbol": "CAT/C/HND/CO/XL", "Themes": f"- {UNKNOWN}",
                "Type": "Recommendation", "OHCHR Annotation Id": "xl-1"})
    sheet.append([row[c] for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(("name", "data", "created", "fmt"), [
    ("uhri.xlsx", _workbook(), 1, "uhri_xlsx"),
    ("uhri_small.json", (DATA / "uhri_small.json").read_bytes(), None, "uhri_json"),
    ("upr_info_small.csv", (DATA / "upr_info_small.csv").read_bytes(), None, "upr_info_csv"),
    ("tracker_small.csv", (DATA / "tracker_small.csv").read_bytes(), 3, "csv"),
])
def test_each_format_goes_through_the_screen(signed_in, session, name, data, created, fmt):
    _send(signed_in, data, name)
    job = _latest()
    assert job.source_format.value == fmt and job.phase == ImportPhase.PREVIEW_READY, (
        job.errors)
    created = created if created is not None else job.counts["created"]
    assert created > 0

    _post(signed_in, f"/review/imports/{job.id}/confirm")

    assert job.phase == ImportPhase.DONE, job.errors
    assert _rec_count() == created
    report = signed_in.get(f"/review/imports/{job.id}").get_data(as_text=True)
    assert 'id="count-created">' in report and "Lo que hizo la importación" in report
    assert json.loads(b"".join(
        _stored(job.report_file_id)))["counts"]["created"] == created


def _stored(file_id: int):
    from tracker.services.storage import iter_stored_bytes

    return iter_stored_bytes(file_id)
