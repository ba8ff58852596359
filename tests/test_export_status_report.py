"""The status report (PDF with charts): what a reader finds in it, in both languages."""

from __future__ import annotations

import io
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html import unescape

import pypdf
import pytest
from flask_babel import force_locale
from flask_login import AnonymousUserMixin
from sqlalchemy import event

from tests import factories as f
from tracker.exports import PDF_TYPE, Selection
from tracker.exports import charts as ch
from tracker.exports.statistics import (
    STATUSES,
    change_buckets,
    report_period,
    status_changes,
)
from tracker.exports.status_report import build_status_report_pdf
from tracker.extensions import db
from tracker.models import AssignmentRole, ImplementationStatus, OfficeActionKind, Role
from tracker.services.curation_queries import ReviewFilters, chosen_ids, matching_ids

S = ImplementationStatus
GENERATED = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)
PERIOD = (date(2025, 1, 1), date(2025, 12, 31))
SECTIONS_ES = ["Resumen", "Estado de cumplimiento", "Estado por mecanismo",
               "Estado por pilar temático del ACNUDH", "Estado por institución responsable",
               "Cambios de estado en el período", "Acciones de la oficina en el período"]
SECTIONS_EN = ["Summary", "Implementation status", "Status by mechanism",
               "Status by OHCHR thematic pillar", "Status by lead institution",
               "Status changes in the period", "Office actions in the period"]


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 18, 0, tzinfo=UTC)


@dataclass
class World:
    recs: list
    hidden: object  # the unpublished recommendation
    reviewer: object


@pytest.fixture
def world(session) -> World:
    """Five published recommendations and one unpublished, assessed, assigned and supported."""
    cedaw = f.document("CEDAW/C/SRX/CO/9", mechanism_code="CEDAW")
    ccpr = f.document("CCPR/C/SRX/CO/3", mechanism_code="CCPR")
    r1, r2, r3, r4 = (f.recommendation(cedaw, paragraph=str(n)) for n in (11, 12, 13, 14))
    r5 = f.recommendation(ccpr, paragraph="20")
    hidden = f.recommendation(ccpr, paragraph="21", is_published=False)

    # r2 is first judged "not started" (Q1), then "in progress" (Q2); r1 is judged "in
    # progress" twice, and the second judgement is no change.
    f.assessment(r2, S.NOT_STARTED, assessed_at=at(date(2025, 2, 10)))
    f.assessment(r1, S.IN_PROGRESS, assessed_at=at(date(2025, 5, 5)))
    f.assessment(r2, S.IN_PROGRESS, assessed_at=at(date(2025, 6, 20)))
    f.assessment(r1, S.IN_PROGRESS, assessed_at=at(date(2025, 8, 1)))
    f.assessment(r3, S.IMPLEMENTED, assessed_at=at(date(2025, 11, 3)))
    f.assessment(r5, S.NOT_STARTED, assessed_at=at(date(2023, 3, 3)))  # before the period
    f.assessment(hidden, S.PARTIALLY_IMPLEMENTED, assessed_at=at(date(2025, 9, 9)))

    women = f.institution("SMUJX", name_es="Secretaría de la Mujer X",
                          name_en="Women's Secretariat X")
    police = f.institution("POLX", name_es="Policía X", name_en="Police X")
    f.assignment(r1, women)
    f.assignment(r2, women)
    f.assignment(r3, police)
    f.assignment(r1, police, role=AssignmentRole.SUPPORT)  # support: not counted
    f.assignment(r5, police, active=False)  # ended: not counted

    participation = f.term("pillar", "participation")
    accountability = f.term("pillar", "accountability")
    mechanisms = f.term("pillar", "mechanisms")
    public_action = f.office_action(
        title="Public forum on shelters", kind=OfficeActionKind.DIALOGUE, is_public=True,
        start_date=date(2025, 3, 1), end_date=date(2025, 3, 2))
    public_action.terms = [participation]
    public_action.institutions = [women]
    public_action.recommendations = [r1, r3]
    private_action = f.office_action(
        title="Confidential strategy meeting", is_public=False, start_date=date(2025, 7, 7))
    private_action.terms = [accountability]
    private_action.recommendations = [r2, hidden]
    old_action = f.office_action(title="Old visit", is_public=True,
                                 start_date=date(2019, 4, 4), end_date=date(2019, 4, 5))
    old_action.terms = [mechanisms]
    old_action.recommendations = [r5]
    db.session.flush()
    return World([r1, r2, r3, r4, r5], hidden, f.user(Role.REVIEWER))


def selection(actor, recs, *, public: bool, locale: str, **kw) -> Selection:
    return Selection(ids=chosen_ids(actor, [r.id for r in recs]), public=public, locale=locale,
                     description=kw.pop("description", []), generated_at=GENERATED,
                     period_start=kw.pop("period_start", PERIOD[0]),
                     period_end=kw.pop("period_end", PERIOD[1]), **kw)


@dataclass
class Pdf:
    built: object
    reader: pypdf.PdfReader
    text: str  # all pages, whitespace collapsed
    progress: list


def build(sel: Selection) -> Pdf:
    out, calls = io.BytesIO(), []
    with force_locale(sel.locale):
        built = build_status_report_pdf(sel, out, lambda done, total: calls.append((done, total)))
    reader = pypdf.PdfReader(io.BytesIO(out.getvalue()))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    return Pdf(built, reader, text, calls)


def text_fonts(reader: pypdf.PdfReader) -> set[str]:
    """Return the fonts that the text of the document is drawn in (subset prefix dropped)."""
    fonts: set[str] = set()

    def seen(text, _matrix, _text_matrix, font, _size):
        if text.strip() and font is not None:
            fonts.add(str(font["/BaseFont"]).split("+")[-1])

    for page in reader.pages:
        page.extract_text(visitor_text=seen)
    return fonts


def outline(reader: pypdf.PdfReader) -> list[str]:
    return [item.title for item in reader.outline]


def test_the_internal_report_in_spanish_has_every_section_with_its_figures(world):
    everything = [*world.recs, world.hidden]
    pdf = build(selection(world.reviewer, everything, public=False, locale="es",
                          description=[("Mecanismo", "CEDAW, CCPR")]))

    assert pdf.built.filename == "informe-de-estado-2026-01-15.pdf"
    assert pdf.built.content_type == PDF_TYPE and pdf.built.rows == 6
    assert pdf.reader.metadata.title == "Informe de estado de las recomendaciones"
    assert pdf.reader.metadata.author == "Seguimiento de recomendaciones"
    assert pdf.reader.trailer["/Root"]["/Lang"] == "es"
    assert outline(pdf.reader) == SECTIONS_ES
    # Every piece of text, chart labels included, is set in the embedded Vera fonts.
    assert text_fonts(pdf.reader) == {"BitstreamVeraSans-Roman", "BitstreamVeraSans-Bold",
                                      "BitstreamVeraSans-Oblique"}
    text = pdf.text
    assert "Mecanismo: CEDAW, CCPR" in text and "Versión pública" not in text
    # Five charts, each drawn as vector graphics with its axis named, each followed by
    # its table; six tables with the office actions.
    assert text.count("Número de recomendaciones") == 5
    assert "Gráfico 5. " in text and "Gráfico 6. " not in text and "Tabla 6. " in text
    assert text.count("La tabla siguiente da las mismas cifras.") == 5
    assert "1 de enero de 2025 – 31 de diciembre de 2025" in text
    assert "La selección contiene 6 recomendaciones." in text
    assert "2 recomendaciones están en curso (33,3 %)." in text
    assert "1 recomendación está parcialmente cumplida (16,7 %)." in text
    # The overall table, then a row per mechanism, pillar and lead institution:
    # name, then one count per status in the fixed order, then the total.
    assert "En curso 2 33,3 %" in text and "Total 6 100 %" in text
    assert "(CEDAW) 1 0 2 0 1 0 4" in text
    assert "(CCPR) 0 1 0 1 0 0 2" in text
    assert "Participación 0 0 1 0 1 0 2" in text
    assert "Rendición de cuentas 0 0 1 1 0 0 2" in text  # through the internal action
    assert "Mecanismos 0 1 0 0 0 0 1" in text
    assert "Secretaría de la Mujer X (SMUJX) 0 0 2 0 0 0 2" in text
    assert "Policía X (POLX) 0 0 0 0 1 0 1" in text
    assert "Sin institución responsable 1 1 0 1 0 0 3" in text
    # Status changes per quarter: r2 → not started (Q1); r1, r2 → in progress (Q2);
    # the hidden one → partially implemented (Q3); r3 → implemented (Q4).
    assert "T1 2025 0 1 0 0 0 0 1" in text
    assert "T2 2025 0 0 2 0 0 0 2" in text
    assert "T3 2025 0 0 0 1 0 0 1" in text
    assert "T4 2025 0 0 0 0 1 0 1" in text
    # The office actions of the period, the internal one included, but not the old one.
    assert "Public forum on shelters" in text and "Confidential strategy meeting" in text
    assert "Old visit" not in text
    assert "Diálogo" in text and "1 mar 2025 – 2 mar 2025" in text
    assert pdf.progress[0] == (0, 6) and pdf.progress[-1] == (6, 6)
    assert [done for done, _ in pdf.progress] == sorted(done for done, _ in pdf.progress)


def test_the_public_report_in_english_shows_only_public_information(world):
    anonymous = AnonymousUserMixin()
    everything = [*world.recs, world.hidden]
    pdf = build(selection(anonymous, everything, public=True, locale="en"))

    assert pdf.built.filename == "status-report-public-version-2026-01-15.pdf"
    assert pdf.built.rows == 5  # the unpublished recommendation is left out
    assert pdf.reader.metadata.title == "Recommendation status report"
    assert pdf.reader.trailer["/Root"]["/Lang"] == "en"
    assert outline(pdf.reader) == SECTIONS_EN
    text = pdf.text
    assert "Public version" in text and "Selection: All recommendations" in text
    assert "January 1, 2025 – December 31, 2025" in text
    assert "In progress 2 40%" in text and "Total 5 100%" in text
    assert "Participation 0 0 1 0 1 0 2" in text
    # Accountability is reached only through the internal action: no public pillar row.
    assert "Accountability" not in text
    assert "Public forum on shelters" in text
    assert "Confidential strategy meeting" not in text
    assert "Q3 2025 0 0 0 0 0 0 0" in text  # the unpublished one's change is not counted
    assert "Dialogue" in text and "Mar 1, 2025 – Mar 2, 2025" in text
    assert world.reviewer.email not in text and world.reviewer.name not in text


def test_an_empty_selection_gives_a_valid_pdf_that_says_so(world):
    nothing = matching_ids(world.reviewer, ReviewFilters(q="no recommendation says this"))
    for locale, sentence in (("es", "No hay recomendaciones en esta selección"),
                             ("en", "There are no recommendations in this selection")):
        sel = Selection(ids=nothing, public=False, locale=locale, description=[],
                        generated_at=GENERATED)
        pdf = build(sel)
        assert pdf.built.rows == 0 and len(pdf.reader.pages) == 2
        assert sentence in pdf.text
        assert outline(pdf.reader) == [SECTIONS_ES[0] if locale == "es" else SECTIONS_EN[0]]


def test_without_a_period_the_report_looks_back_twelve_months(world):
    f.office_action(title="Mission of early January", is_public=True,
                    start_date=date(2025, 1, 10), end_date=date(2025, 1, 15))
    f.office_action(title="Mission still under way", is_public=True,
                    start_date=date(2026, 1, 5))
    pdf = build(selection(world.reviewer, world.recs, public=False, locale="en",
                          period_start=None, period_end=None))
    assert "January 16, 2025 – January 15, 2026" in pdf.text
    assert "Mission still under way" in pdf.text and "Public forum on shelters" in pdf.text
    assert "Mission of early January" not in pdf.text


def test_the_period_is_in_the_tracker_s_calendar(app):
    # 03:00 UTC on 1 December is still 30 November in Tegucigalpa (UTC-6).
    late = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    leap = datetime(2028, 2, 29, 18, 0, tzinfo=UTC)
    with app.app_context():
        assert report_period(None, None, late) == (date(2025, 12, 1), date(2026, 11, 30))
        assert report_period(None, None, leap) == (date(2027, 3, 1), date(2028, 2, 29))
        assert report_period(date(2024, 1, 1), date(2024, 3, 31), late) == (
            date(2024, 1, 1), date(2024, 3, 31))


def test_a_long_period_counts_its_changes_per_year(app):
    with app.app_context(), force_locale("en"):
        quarters = change_buckets(date(2025, 2, 15), date(2025, 11, 30))
        years = change_buckets(date(2019, 6, 1), date(2025, 5, 31))
    assert [b.label for b in quarters] == ["Q1 2025", "Q2 2025", "Q3 2025", "Q4 2025"]
    assert (quarters[0].start, quarters[-1].end) == (date(2025, 2, 15), date(2025, 11, 30))
    assert [b.label for b in years] == [str(y) for y in range(2019, 2026)]


def test_a_status_change_is_counted_in_the_quarter_of_the_tracker_s_calendar(world):
    rec = f.recommendation(f.document(), paragraph="1")
    # 31 March 23:30 in Tegucigalpa is already 1 April in UTC: still the first quarter.
    f.assessment(rec, S.IMPLEMENTED, assessed_at=datetime(2025, 4, 1, 5, 30, tzinfo=UTC))
    with force_locale("en"):
        rows = status_changes(chosen_ids(world.reviewer, [rec.id]),
                              change_buckets(*PERIOD))
    assert [(row.label, row.count(S.IMPLEMENTED)) for row in rows] == [
        ("Q1 2025", 1), ("Q2 2025", 0), ("Q3 2025", 0), ("Q4 2025", 0)]


# --- the charts ------------------------------------------------------------------------------


def series() -> list[ch.Series]:
    return [ch.Series(s.value, s.value.replace("_", " ")) for s in STATUSES]


def _bars_by_colour(svg: str) -> dict[str, int]:
    """Count the filled rectangles of the SVG by the status whose colour they have."""
    found: dict[str, int] = {}
    for style in re.findall(r'<rect [^>]*style="([^"]*)"', svg):
        fill = re.search(r"fill: rgb\(([\d.]+)%,([\d.]+)%,([\d.]+)%\)", style)
        if not fill:
            continue
        rgb = [float(v) / 100 for v in fill.groups()]
        for code, colour in ch.STATUS_COLOURS.items():
            if all(abs(a - b) < 0.01 for a, b in zip(rgb, colour.rgb(), strict=True)):
                found[code] = found.get(code, 0) + 1
    return found


def test_the_overall_chart_draws_one_bar_per_status_that_has_recommendations(app):
    counts = [5, 0, 2, 0, 1, 0]
    with app.app_context(), force_locale("en"):
        svg = ch.to_svg(ch.status_overview_chart(series(), counts, axis_label="Recommendations"),
                        "Recommendations by status")
    assert _bars_by_colour(svg) == {"no_information": 1, "in_progress": 1, "implemented": 1}
    assert "<title>Recommendations by status</title>" in svg
    assert 'role="img"' in svg and ">Recommendations<" in svg  # the axis is named


def test_a_stacked_chart_keeps_the_largest_groups_and_sums_up_the_others(app):
    groups = [ch.Bar(f"Institution number {n} with a very long official name",
                     [n, 1, 0, 0, 0, 0]) for n in range(1, 13)]
    with app.app_context(), force_locale("en"):
        svg = ch.to_svg(ch.stacked_bar_chart(series(), groups, axis_label="Recommendations",
                                             max_bars=5), "By institution")
    texts = [unescape(t) for t in re.findall(r"<text [^>]*>([^<]*)</text>", svg)]
    assert "Others" in texts
    labels = [t for t in texts if t.startswith("Institution number")]
    assert len(labels) == 4 and all(t.endswith("…") and len(t) <= 30 for t in labels)
    assert {label.split()[2] for label in labels} == {"12", "11", "10", "9"}
    # The "Others" bar holds the eight smallest: 1+…+8 and one each.
    assert str(sum(range(1, 9)) + 8) in texts
    # Two statuses occur: each of the five bars has a segment of both, and a legend swatch.
    assert _bars_by_colour(svg) == {"no_information": 6, "not_started": 6}


def test_the_quarter_chart_stacks_the_changes_of_each_quarter(app):
    quarters = [ch.Bar("Q1 2025", [0, 1, 0, 0, 0, 0]), ch.Bar("Q2 2025", [0, 0, 2, 0, 0, 0]),
                ch.Bar("Q3 2025", [0, 0, 0, 0, 0, 0])]
    with app.app_context(), force_locale("en"):
        svg = ch.to_svg(ch.stacked_column_chart(series(), quarters, axis_label="Changes"), "Q")
        empty = ch.to_svg(ch.stacked_column_chart(series(), quarters[2:], axis_label="Changes",
                                                  empty_message="No change."), "Q")
    assert _bars_by_colour(svg) == {"not_started": 2, "in_progress": 2}  # a column + a swatch
    assert ">Q3 2025<" in svg
    assert ">No change.<" in empty and not _bars_by_colour(empty)


# --- cost -------------------------------------------------------------------------------------


@contextmanager
def counted_statements():
    statements: list[str] = []
    engine = db.session.get_bind().engine

    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_number_of_queries_does_not_grow_with_the_recommendations(world):
    def statements_for(recs) -> int:
        db.session.flush()
        with counted_statements() as statements:
            build(selection(world.reviewer, recs, public=False, locale="es"))
        return len(statements)

    few = statements_for(world.recs)
    more = list(world.recs)
    for n in range(30):
        doc = f.document(mechanism_code=("CAT", "CRC", "UPR")[n % 3])
        rec = f.recommendation(doc, paragraph=str(n))
        f.assignment(rec, f.institution(f"MANY{n % 7}"))
        f.assessment(rec, (S.IN_PROGRESS, S.IMPLEMENTED)[n % 2],
                     assessed_at=at(date(2025, 1 + n % 12, 3)))
        action = f.office_action(title=f"Action {n}", is_public=bool(n % 2),
                                 start_date=date(2025, 1 + n % 12, 1))
        action.terms = [f.term("pillar", ("development", "peace_security")[n % 2])]
        action.institutions = [f.institution(f"MANY{n % 7}")]
        action.recommendations = [rec]
        more.append(rec)
    assert few > 5 and statements_for(more) == few
