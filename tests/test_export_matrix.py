"""The status matrix: a row per recommendation in scope, as Excel and CSV, in both languages."""

from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
from flask_babel import force_locale
from flask_login import AnonymousUserMixin
from sqlalchemy import event, select

from tests import factories
from tracker.exports import CSV_TYPE, XLSX_TYPE, Selection
from tracker.exports.matrix import build_status_matrix_csv, build_status_matrix_xlsx
from tracker.exports.rows import iter_matrix_rows
from tracker.extensions import db
from tracker.models import (
    AssignmentRole,
    ImplementationStatus,
    Recommendation,
    ReportState,
    ReportVisibility,
    Role,
    Term,
    UprPosition,
    Vocabulary,
)
from tracker.services.curation_queries import ReviewFilters, matching_ids

GENERATED = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
BOM = b"\xef\xbb\xbf"


def selection(filters: ReviewFilters, *, public: bool = False, locale: str = "es",
              description=()) -> Selection:
    actor = AnonymousUserMixin() if public else factories.user(Role.REVIEWER)
    return Selection(ids=matching_ids(actor, filters), public=public, locale=locale,
                     description=list(description), generated_at=GENERATED)


@dataclass
class Output:
    built: object
    data: bytes
    progress: list[tuple[int, int]]


def build(builder, chosen: Selection) -> Output:
    """Run a builder as the job runner does: app context, the requester's language, a temp file."""
    calls: list[tuple[int, int]] = []
    with force_locale(chosen.locale), tempfile.TemporaryFile() as out:
        built = builder(chosen, out, lambda done, total: calls.append((done, total)))
        assert not out.closed
        out.seek(0)
        return Output(built, out.read(), calls)


def workbook(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def sheet_rows(sheet) -> list[dict]:
    values = list(sheet.iter_rows(values_only=True))
    header = values[0]
    return [dict(zip(header, row, strict=True)) for row in values[1:]]


def csv_rows(data: bytes) -> tuple[list[str], list[dict]]:
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    header = next(reader)
    return header, [dict(zip(header, row, strict=True)) for row in reader]


@dataclass
class World:
    doc: object
    first: object  # ¶9: lead and support institutions, assessed, reports in every state
    second: object  # ¶10: nothing yet
    hidden: object  # ¶11: not published
    author: object
    lead: object
    support: object


@pytest.fixture
def world(session) -> World:
    doc = factories.document("CEDAW/C/MTX/CO/9", date=date(2016, 11, 25))
    lead = factories.institution("MTX-SEDH", name_es="Secretaría de Derechos Humanos",
                                 name_en="Human Rights Secretariat")
    support = factories.institution("MTX-MP", name_es="Ministerio Público",
                                    name_en="Public Prosecutor's Office")
    # Created out of paragraph order: the matrix sorts 9 before 10 before 11.
    second = factories.recommendation(doc, paragraph="10", text="Ratify the Optional Protocol.")
    first = factories.recommendation(
        doc, paragraph="9", text="Adopt a comprehensive law on violence against women.",
        upr_position=UprPosition.SUPPORTED)
    hidden = factories.recommendation(doc, paragraph="11", text="Draft not yet published.",
                                      is_published=False)
    first.recommending_states = [factories.country("ES"), factories.country("MX")]
    first.terms = [db.session.scalar(
        select(Term).join(Vocabulary).where(Vocabulary.code == "themes",
                                            Term.name_en == "Discrimination against women"))]
    factories.assignment(first, lead)
    factories.assignment(first, support, role=AssignmentRole.SUPPORT)
    factories.assignment(first, factories.institution("MTX-OLD"), active=False)
    factories.assessment(first, ImplementationStatus.IN_PROGRESS,
                         rationale="A bill is before Congress.",
                         assessed_at=datetime(2025, 3, 4, 18, 0, tzinfo=UTC))
    factories.assessment(first, ImplementationStatus.PARTIALLY_IMPLEMENTED,
                         rationale="The law passed; regulations are pending.",
                         assessed_at=datetime(2025, 9, 10, 18, 0, tzinfo=UTC))
    author = factories.user(Role.FOCAL_POINT, lead, name="Ana Enlace",
                            email="ana.enlace@example.org")
    factories.report_in_state(lead, [first], title="Law on violence passed",
                              author_id=author.id,
                              decided_at=datetime(2025, 6, 1, 12, 0, tzinfo=UTC))
    factories.report_in_state(lead, [first], title="Internal budget note", author_id=author.id,
                              visibility=ReportVisibility.INTERNAL,
                              decided_at=datetime(2025, 8, 1, 12, 0, tzinfo=UTC))
    factories.report_in_state(lead, [first], ReportState.DRAFT, title="Draft: regulations",
                              author_id=author.id)
    factories.report_in_state(lead, [first], ReportState.SUBMITTED, title="Submitted: training",
                              author_id=author.id)
    db.session.flush()
    return World(doc, first, second, hidden, author, lead, support)


SPANISH_HEADER_START = ["Referencia", "Mecanismo", "Documento", "Fecha del documento", "Párrafo",
                        "Tipo", "Posición del Estado", "Estados recomendantes", "Texto",
                        "Idioma del texto", "Texto en español", "Texto en inglés"]
SPANISH_HEADER_END = ["Instituciones responsables principales", "Instituciones de apoyo",
                      "Estado de cumplimiento", "Fecha de la valoración",
                      "Justificación de la valoración", "Último informe de avance aprobado",
                      "Institución del informe", "Fecha de aprobación del informe",
                      "Página pública"]
ENGLISH_HEADER_START = ["Reference", "Mechanism", "Document", "Document date", "Paragraph",
                        "Type", "Position of the State", "Recommending States", "Text",
                        "Language of the text", "Text in Spanish", "Text in English"]
ENGLISH_HEADER_END = ["Lead institutions", "Supporting institutions", "Implementation status",
                      "Assessed on", "Rationale of the assessment",
                      "Last approved progress report", "Institution of the report",
                      "Report approved on", "Public page"]


def test_spanish_workbook_has_one_row_per_recommendation_with_its_follow_up(world):
    out = build(build_status_matrix_xlsx, selection(ReviewFilters(document_id=world.doc.id)))

    assert out.built.filename == "matriz-de-estado-2026-11-30.xlsx"
    assert out.built.content_type == XLSX_TYPE
    assert out.built.rows == 3
    book = workbook(out.data)
    assert book.sheetnames == ["Matriz de estado", "Acerca de"]
    data = book["Matriz de estado"]
    header = [cell.value for cell in data[1]]
    assert header[:12] == SPANISH_HEADER_START
    assert header[-9:] == SPANISH_HEADER_END
    # One column per vocabulary that classifies recommendations, between text and institutions.
    assert header[12:-9] == ["Temas de derechos humanos", "Personas afectadas",
                             "Objetivos de Desarrollo Sostenible"]
    rows = sheet_rows(data)
    assert [r["Párrafo"] for r in rows] == ["9", "10", "11"]
    first = rows[0]
    assert first["Referencia"] == world.first.reference
    assert first["Mecanismo"] == ("Comité para la Eliminación de la Discriminación contra la "
                                  "Mujer")
    assert first["Documento"] == "CEDAW/C/MTX/CO/9"
    assert first["Fecha del documento"] == datetime(2016, 11, 25)
    assert first["Tipo"] == "Recomendación"
    assert first["Posición del Estado"] == "Aceptada"
    assert first["Estados recomendantes"] == "España; México"
    assert first["Idioma del texto"] == "Inglés"
    # Each language version in its own column: this one exists in English only.
    assert first["Texto en inglés"] == first["Texto"]
    assert first["Texto en español"] is None
    assert first["Temas de derechos humanos"] == "Discriminación contra la mujer"
    assert first["Instituciones responsables principales"] == (
        "Secretaría de Derechos Humanos (MTX-SEDH)")
    assert first["Instituciones de apoyo"] == "Ministerio Público (MTX-MP)"
    assert first["Estado de cumplimiento"] == "Parcialmente cumplida"
    assert first["Fecha de la valoración"] == datetime(2025, 9, 10)
    assert first["Justificación de la valoración"] == "The law passed; regulations are pending."
    # Staff see the newest approved report, internal ones included; never a draft.
    assert first["Último informe de avance aprobado"] == "Internal budget note"
    assert first["Institución del informe"] == "Secretaría de Derechos Humanos (MTX-SEDH)"
    assert first["Fecha de aprobación del informe"] == datetime(2025, 8, 1)
    assert first["Página pública"] == f"http://tracker.test/recommendations/{world.first.id}"
    second = rows[1]
    assert second["Estado de cumplimiento"] == "Sin información"
    assert second["Instituciones responsables principales"] is None
    assert second["Último informe de avance aprobado"] is None
    assert out.progress[0] == (0, 3) and out.progress[-1] == (3, 3)


def test_english_workbook_speaks_english(world):
    out = build(build_status_matrix_xlsx,
                selection(ReviewFilters(document_id=world.doc.id), locale="en"))

    assert out.built.filename == "status-matrix-2026-11-30.xlsx"
    book = workbook(out.data)
    assert book.sheetnames == ["Status matrix", "About"]
    header = [cell.value for cell in book["Status matrix"][1]]
    assert header[:12] == ENGLISH_HEADER_START
    assert header[-9:] == ENGLISH_HEADER_END
    first = sheet_rows(book["Status matrix"])[0]
    assert first["Mechanism"] == "Committee on the Elimination of Discrimination against Women"
    assert first["Implementation status"] == "Partially implemented"
    assert first["Position of the State"] == "Supported"
    assert first["Recommending States"] == "Mexico; Spain"
    assert first["Lead institutions"] == "Human Rights Secretariat (MTX-SEDH)"
    assert first["Supporting institutions"] == "Public Prosecutor's Office (MTX-MP)"
    assert first["Language of the text"] == "English"


def test_terms_fill_one_column_per_vocabulary(world):
    themes = factories.vocabulary(name_es="Ejes del plan", name_en="Plan axes")
    factories.vocabulary(name_es="Solo para acciones", name_en="Actions only",
                         applies_to_recommendations=False)
    world.first.terms = [factories.make_term(themes, name_es="Justicia", name_en="Justice",
                                             sort_order=2),
                         factories.make_term(themes, name_es="Educación", name_en="Education",
                                             sort_order=1)]
    db.session.flush()

    out = build(build_status_matrix_xlsx, selection(ReviewFilters(document_id=world.doc.id)))

    data = workbook(out.data)["Matriz de estado"]
    header = [cell.value for cell in data[1]]
    assert "Ejes del plan" in header and "Solo para acciones" not in header
    rows = sheet_rows(data)
    assert rows[0]["Ejes del plan"] == "Educación; Justicia"
    assert rows[1]["Ejes del plan"] is None


def test_workbook_has_a_frozen_header_a_filter_and_real_dates(world):
    out = build(build_status_matrix_xlsx, selection(ReviewFilters(document_id=world.doc.id)))

    data = workbook(out.data)["Matriz de estado"]
    assert data.freeze_panes == "A2"
    assert data.auto_filter.ref == f"A1:{data.cell(1, data.max_column).column_letter}4"
    assert data["A1"].font.b
    date_cell = data.cell(2, 4)
    assert date_cell.is_date and date_cell.number_format == "dd/mm/yyyy"
    text_cell = data.cell(2, 9)
    assert text_cell.alignment.wrap_text


def test_about_sheet_describes_the_selection(world):
    chosen = selection(ReviewFilters(document_id=world.doc.id), locale="en",
                       description=[("Document", "CEDAW/C/MTX/CO/9")])
    about = workbook(build(build_status_matrix_xlsx, chosen).data)["About"]

    told = {row[0]: row[1] for row in about.iter_rows(values_only=True) if row[0]}
    assert told["Recommendations"] == 3
    assert told["Variant"] == "Internal: for office staff"
    assert told["Filters"] == "Document: CEDAW/C/MTX/CO/9"
    assert "2026" in told["Generated on"]
    assert about["A1"].value == "Status matrix of the recommendations"


def test_public_matrix_shows_only_published_rows_and_public_progress(world):
    out = build(build_status_matrix_xlsx,
                selection(ReviewFilters(document_id=world.doc.id), public=True))

    assert out.built.filename == "matriz-de-estado-publica-2026-11-30.xlsx"
    book = workbook(out.data)
    rows = sheet_rows(book["Matriz de estado"])
    assert [r["Referencia"] for r in rows] == [world.first.reference, world.second.reference]
    first = rows[0]
    assert first["Último informe de avance aprobado"] == "Law on violence passed"
    assert first["Fecha de aprobación del informe"] == datetime(2025, 6, 1)
    # Assessments are public on the recommendation's page already.
    assert first["Justificación de la valoración"] == "The law passed; regulations are pending."
    every_text = " ".join(str(value) for sheet in book for row in sheet.iter_rows(values_only=True)
                          for value in row if value is not None)
    for secret in ("Internal budget note", "Draft: regulations", "Submitted: training",
                   "Draft not yet published", "Ana Enlace", "ana.enlace@example.org"):
        assert secret not in every_text
    about = {row[0]: row[1] for row in book["Acerca de"].iter_rows(values_only=True) if row[0]}
    assert about["Versión"] == "Pública: solo información publicada"
    assert about["Recomendaciones"] == 2


def test_public_csv_leaves_out_unpublished_recommendations(world):
    world.second.is_published = False
    db.session.flush()

    out = build(build_status_matrix_csv,
                selection(ReviewFilters(document_id=world.doc.id), public=True, locale="en"))

    assert out.built.filename == "status-matrix-public-2026-11-30.csv"
    _header, rows = csv_rows(out.data)
    assert [r["Reference"] for r in rows] == [world.first.reference]
    assert out.built.rows == 1
    assert b"Ratify the Optional Protocol" not in out.data


def test_csv_has_a_bom_the_same_columns_and_iso_dates(world):
    out = build(build_status_matrix_csv, selection(ReviewFilters(document_id=world.doc.id)))

    assert out.built.content_type == CSV_TYPE
    assert out.built.filename == "matriz-de-estado-2026-11-30.csv"
    assert out.data.startswith(BOM)
    header, rows = csv_rows(out.data)
    assert header[:12] == SPANISH_HEADER_START and header[-9:] == SPANISH_HEADER_END
    assert len(rows) == out.built.rows == 3
    first = rows[0]
    assert first["Fecha del documento"] == "2016-11-25"
    assert first["Fecha de la valoración"] == "2025-09-10"
    assert first["Estado de cumplimiento"] == "Parcialmente cumplida"
    assert first["Instituciones de apoyo"] == "Ministerio Público (MTX-MP)"
    assert first["Último informe de avance aprobado"] == "Internal budget note"
    assert rows[1]["Fecha de la valoración"] == ""


def test_formula_like_text_stays_text(world):
    world.second.text = '=HYPERLINK("http://evil.example","click")'
    world.first.set_text("es", "@SUM(1+1)")
    db.session.flush()
    chosen = selection(ReviewFilters(document_id=world.doc.id))

    data = workbook(build(build_status_matrix_xlsx, chosen).data)["Matriz de estado"]
    cell = data.cell(3, 9)
    assert cell.value == '=HYPERLINK("http://evil.example","click")'
    assert cell.data_type == "s"
    _header, rows = csv_rows(build(build_status_matrix_csv, chosen).data)
    assert rows[1]["Texto"] == '\'=HYPERLINK("http://evil.example","click")'
    assert rows[0]["Texto en español"] == "'@SUM(1+1)"
    assert rows[0]["Texto"] == "Adopt a comprehensive law on violence against women."


def test_text_longer_than_an_excel_cell_is_cut_with_an_ellipsis(world):
    world.first.text = "x" * 40_000
    db.session.flush()
    chosen = selection(ReviewFilters(document_id=world.doc.id))

    cell = workbook(build(build_status_matrix_xlsx, chosen).data)["Matriz de estado"].cell(2, 9)
    assert len(cell.value) == 32_767 and cell.value.endswith("…")
    _header, rows = csv_rows(build(build_status_matrix_csv, chosen).data)
    assert rows[0]["Texto"] == "x" * 40_000


def test_empty_selection_gives_headers_and_says_so(session):
    chosen = selection(ReviewFilters(q="no recommendation says this"), locale="en")

    out = build(build_status_matrix_xlsx, chosen)
    assert out.built.rows == 0
    book = workbook(out.data)
    data = book["Status matrix"]
    assert data.max_row == 1
    assert [cell.value for cell in data[1]][:12] == ENGLISH_HEADER_START
    about = [row for row in book["About"].iter_rows(values_only=True) if row[0]]
    assert ("Recommendations", 0) in about
    assert ("No recommendation matches this selection.", None) in about
    assert out.progress == [(0, 0)]

    csv_out = build(build_status_matrix_csv, chosen)
    header, rows = csv_rows(csv_out.data)
    assert header[:12] == ENGLISH_HEADER_START and rows == []
    assert csv_out.built.rows == 0


def _statements_for(count: int) -> int:
    doc = factories.document()
    inst = factories.institution()
    theme = factories.make_term(factories.vocabulary())
    for n in range(count):
        rec = factories.recommendation(doc, paragraph=str(n + 1))
        rec.recommending_states = [factories.country("ES")]
        rec.terms = [theme]
        factories.assignment(rec, inst)
        factories.assessment(rec, ImplementationStatus.IN_PROGRESS, rationale=f"Step {n}",
                             assessed_at=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=n))
        factories.report_in_state(inst, [rec])
    chosen = selection(ReviewFilters(document_id=doc.id))
    statements = []
    engine = db.session.get_bind()

    def count_statement(*args):
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count_statement)
    try:
        with force_locale("es"):
            rows = list(iter_matrix_rows(chosen, lambda done, total: None))
    finally:
        event.remove(engine, "before_cursor_execute", count_statement)
    assert len(rows) == count
    assert all(row.lead_institutions and row.assessment_rationale and row.report_title
               for row in rows)
    return len(statements)


def test_number_of_queries_does_not_grow_with_the_rows(session):
    few = _statements_for(5)
    many = _statements_for(50)
    assert few == many, (few, many)
    assert many <= 15


def test_rows_come_in_batches_with_progress_after_each(world):
    chosen = selection(ReviewFilters(document_id=world.doc.id))
    calls = []
    with force_locale("es"):
        rows = list(iter_matrix_rows(chosen, lambda done, total: calls.append((done, total)),
                                     batch_size=2))
    assert [r.paragraph for r in rows] == ["9", "10", "11"]
    assert calls == [(0, 3), (2, 3), (3, 3)]


def test_rows_go_by_mechanism_then_newest_document_then_paragraph(session):
    old = factories.document(date=date(2012, 3, 1))
    new = factories.document(date=date(2020, 3, 1))
    upr = factories.document(mechanism_code="UPR", date=date(2015, 1, 1))
    made = [factories.recommendation(old, paragraph="4"),
            factories.recommendation(new, paragraph="82.106"),
            factories.recommendation(new, paragraph="26(a)"),
            factories.recommendation(new, paragraph="82.99"),
            factories.recommendation(new, paragraph="9"),
            factories.recommendation(upr, paragraph="1")]
    chosen = Selection(ids=select(Recommendation.id).where(
        Recommendation.id.in_([rec.id for rec in made])), public=False, locale="en",
        description=[], generated_at=GENERATED)

    with force_locale("en"):
        rows = list(iter_matrix_rows(chosen, lambda done, total: None))

    assert [(row.document, row.paragraph) for row in rows] == [
        (upr.symbol, "1"), (new.symbol, "9"), (new.symbol, "26(a)"), (new.symbol, "82.99"),
        (new.symbol, "82.106"), (old.symbol, "4")]
