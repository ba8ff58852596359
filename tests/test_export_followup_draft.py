"""The follow-up report draft (DOCX): what a State's editor finds in the file."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import docx
import pytest
from flask_babel import force_locale
from flask_login import AnonymousUserMixin
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests import factories as f
from tracker.exports import DOCX_TYPE, Selection, followup_draft
from tracker.exports.docx_writing import markdown_blocks
from tracker.exports.followup_draft import build_followup_draft_docx
from tracker.models import (
    AssignmentRole,
    ImplementationStatus,
    ReportState,
    ReportVisibility,
    Role,
)
from tracker.services.curation_queries import ReviewFilters, matching_ids

GENERATED = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def build(*, document=None, mechanism=None, locale="es", public=False, description=()):
    """Build the draft as the job runner does; return (Built, python-docx Document, progress)."""
    actor = AnonymousUserMixin() if public else f.user(Role.REVIEWER)
    filters = ReviewFilters(document_id=document.id if document else None,
                            mechanism_id=mechanism.id if mechanism else None)
    selection = Selection(
        ids=matching_ids(actor, filters), public=public, locale=locale,
        description=list(description), generated_at=GENERATED,
        document_id=document.id if document else None,
        mechanism_id=mechanism.id if mechanism else None,
    )
    calls: list[tuple[int, int]] = []
    out = io.BytesIO()
    with force_locale(locale):
        built = build_followup_draft_docx(selection, out, lambda done, total:
                                          calls.append((done, total)))
    out.seek(0)
    return built, docx.Document(out), calls


def blocks(doc) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in doc.paragraphs]


def headings(doc, level: int) -> list[str]:
    return [text for style, text in blocks(doc) if style == f"Heading {level}"]


def under(doc, heading_start: str) -> list[tuple[str, str]]:
    """The paragraphs below the heading that starts so, up to the next heading as high."""
    items = blocks(doc)
    start = next(i for i, (style, text) in enumerate(items)
                 if style.startswith("Heading") and text.startswith(heading_start))
    level = items[start][0]
    found = []
    for style, text in items[start + 1:]:
        if style.startswith("Heading") and style <= level:
            break
        found.append((style, text))
    return found


def all_text(doc) -> str:
    return "\n".join(text for _style, text in blocks(doc))


@pytest.fixture
def institutions(_db):
    lead = f.institution("SDH-T", name_es="Secretaría de Derechos Humanos",
                         name_en="Human Rights Secretariat")
    support = f.institution("MP-T", name_es="Ministerio Público", name_en="Public Prosecutor")
    return lead, support


def test_one_section_per_paragraph_in_natural_order(_db):
    doc = f.document("CAT/C/TST/CO/2", "CAT", title="Observaciones finales",
                     date=date(2016, 8, 26))
    for paragraph in ("26(a)", "10", "9", "26(b)"):
        f.recommendation(doc, paragraph=paragraph)
    built, result, calls = build(document=doc)
    assert headings(result, 1) == ["Párrafo 9", "Párrafo 10", "Párrafo 26(a)", "Párrafo 26(b)"]
    assert built.rows == 4
    assert built.content_type == DOCX_TYPE
    assert calls[0] == (0, 4) and calls[-1] == (4, 4)
    assert "26 de agosto de 2016" in all_text(result)


def test_section_quotes_the_recommendation_and_gives_its_status(_db):
    doc = f.document("A/HRC/46/12", "UPR", title="Informe del Grupo de Trabajo")
    rec = f.recommendation(doc, paragraph="74.3", reference="A/HRC/46/12 ¶74.3",
                           text="Adopt a law on human rights defenders.", language="en")
    rec.recommending_states = [f.country("BR"), f.country("CL")]
    f.assessment(rec, ImplementationStatus.IN_PROGRESS,
                 rationale="The bill passed its first reading.",
                 assessed_at=datetime(2025, 3, 3, 18, tzinfo=UTC))

    _built, english, _calls = build(document=doc, locale="en")
    section = under(english, "Paragraph 74.3")
    assert ("Quote", "Adopt a law on human rights defenders.") in section
    assert any("Reference: A/HRC/46/12 ¶74.3" in text
               and "Recommending States: Brazil, Chile" in text for _s, text in section)
    assert ("Normal", "Implementation status: In progress (assessed on March 3, 2025)") in section
    assert ("Normal", "The bill passed its first reading.") in section

    _built, spanish, _calls = build(document=doc, locale="es")
    section = under(spanish, "Párrafo 74.3")
    assert ("Normal", "Estado de cumplimiento: En curso (valorado el 3 de marzo de 2025)"
            ) in section
    assert any("Estados recomendantes: Brasil, Chile" in text for _s, text in section)


def test_text_in_the_requesters_language_when_translated(_db):
    doc = f.document()
    translated = f.recommendation(doc, paragraph="1", language="en",
                                  text="The State should ratify the Protocol.",
                                  versions={"es": "El Estado debería ratificar el Protocolo."})
    f.recommendation(doc, paragraph="2", language="en", text="Train the police.")
    _built, spanish, _calls = build(document=doc, locale="es")
    first, second = under(spanish, "Párrafo 1"), under(spanish, "Párrafo 2")
    assert ("Quote", translated.text_in("es").text) in first
    assert ("Normal", "Versión en español; el texto original está en inglés.") in first
    assert ("Quote", "Train the police.") in second
    assert ("Normal", "Texto original en inglés; no hay versión en español.") in second
    _built, english, _calls = build(document=doc, locale="en")
    assert ("Quote", translated.text) in under(english, "Paragraph 1")
    assert ("Normal", "Original text (English).") in under(english, "Paragraph 1")


def test_approved_progress_under_each_institution_lead_first(_db, institutions):
    lead, support = institutions
    doc = f.document()
    rec = f.recommendation(doc, paragraph="15")
    f.assignment(rec, support, role=AssignmentRole.SUPPORT)
    f.assignment(rec, lead, role=AssignmentRole.LEAD)
    f.report_in_state(lead, [rec], title="Ley contra la violencia",
                      description="Capacitamos a **120** jueces.\n\n"
                                  "- Tegucigalpa\n- San Pedro Sula",
                      period_start=date(2024, 1, 1), period_end=date(2024, 6, 30),
                      decided_at=datetime(2024, 7, 3, 16, tzinfo=UTC))
    _built, result, _calls = build(document=doc)

    institution_headings = headings(result, 2)
    assert institution_headings == [
        "Secretaría de Derechos Humanos (SDH-T) — Responsable principal",
        "Ministerio Público (MP-T) — Apoyo",
    ]
    led = under(result, "Secretaría de Derechos Humanos")
    assert led[0] == ("Normal", "Ley contra la violencia")
    assert "Período: 1 de enero de 2024 – 30 de junio de 2024" in led[1][1]
    assert "Aprobado el 3 de julio de 2024" in led[1][1]
    assert ("Normal", "Capacitamos a 120 jueces.") in led
    assert ("List Bullet", "Tegucigalpa") in led and ("List Bullet", "San Pedro Sula") in led
    description = next(p for p in result.paragraphs if p.text == "Capacitamos a 120 jueces.")
    assert [run.text for run in description.runs if run.bold] == ["120"]
    assert under(result, "Ministerio Público") == [
        ("Normal", "Sin información de avance aprobada")]


def test_unapproved_reports_never_appear_and_public_shows_only_public(_db, institutions):
    lead, _support = institutions
    doc = f.document()
    rec = f.recommendation(doc, paragraph="3")
    hidden = f.recommendation(doc, paragraph="4", is_published=False)
    f.assignment(rec, lead)
    author = f.user(Role.FOCAL_POINT, lead, name="Zacarías Escondido",
                    email="zacarias@example.org")
    for state in (ReportState.DRAFT, ReportState.SUBMITTED, ReportState.RETURNED):
        f.report_in_state(lead, [rec], state=state, title=f"Borrador {state.value}")
    f.report_in_state(lead, [rec], title="Informe interno", author_id=author.id,
                      visibility=ReportVisibility.INTERNAL)
    f.report_in_state(lead, [rec], title="Informe público", author_id=author.id)

    _built, internal, _calls = build(document=doc)
    text = all_text(internal)
    assert "Borrador" not in text
    assert "Informe interno" in text and "Informe público" in text
    assert any("Interno" in t for _s, t in under(internal, "Secretaría de Derechos Humanos"))
    assert "Párrafo 4" in headings(internal, 1)

    built, public, _calls = build(document=doc, public=True)
    text = all_text(public)
    assert "Informe público" in text
    assert "Informe interno" not in text and "Borrador" not in text
    assert headings(public, 1) == ["Párrafo 3"]
    assert hidden.text not in text
    assert "Zacarías" not in text and "zacarias@" not in text
    assert public.core_properties.author == ""
    assert "Solo se incluye información pública." in text
    assert built.filename == "proyecto-de-informe-de-seguimiento-cedaw-c-tst-co-" \
        f"{doc.symbol.rsplit('/', 1)[1]}-version-publica-2026-11-30.docx"


def test_spanish_and_english_labels_and_properties(_db):
    doc = f.document("CEDAW/C/HND/CO/7-8", title="Concluding observations")
    f.recommendation(doc, paragraph="9")
    built, spanish, _calls = build(document=doc, locale="es")
    assert blocks(spanish)[0] == ("Title", "Proyecto de informe de seguimiento")
    assert built.filename == (
        "proyecto-de-informe-de-seguimiento-cedaw-c-hnd-co-7-8-2026-11-30.docx")
    assert "Se refiere a 1 recomendación." in all_text(spanish)
    assert spanish.core_properties.language == "es"
    assert spanish.core_properties.title == (
        "Proyecto de informe de seguimiento — CEDAW/C/HND/CO/7-8")
    assert spanish.core_properties.created.replace(tzinfo=UTC) == GENERATED

    built, english, _calls = build(document=doc, locale="en")
    assert blocks(english)[0] == ("Title", "Follow-up report draft")
    assert built.filename == "follow-up-draft-cedaw-c-hnd-co-7-8-2026-11-30.docx"
    assert "It covers 1 recommendation. Current status: No information: 1." in all_text(english)
    assert english.core_properties.language == "en"
    assert "Sin información" not in all_text(english)


def test_document_chosen_within_its_mechanism_gives_the_document_draft(_db):
    # The list's filters, which the job keeps, may name the mechanism and the document.
    doc = f.document("CAT/C/HND/CO/3", "CAT", date=date(2024, 5, 1))
    f.recommendation(doc, paragraph="7")
    f.recommendation(f.document("CAT/C/HND/CO/4", "CAT"), paragraph="8")
    actor = f.user(Role.REVIEWER)
    filters = ReviewFilters(mechanism_id=doc.mechanism_id, document_id=doc.id)
    selection = Selection(ids=matching_ids(actor, filters), public=False, locale="en",
                          description=[], generated_at=GENERATED, document_id=doc.id,
                          mechanism_id=doc.mechanism_id)
    out = io.BytesIO()
    with force_locale("en"):
        built = build_followup_draft_docx(selection, out, lambda done, total: None)
    result = docx.Document(io.BytesIO(out.getvalue()))
    assert headings(result, 1) == ["Paragraph 7"]
    assert built.filename == "follow-up-draft-cat-c-hnd-co-3-2026-11-30.docx"


def test_empty_selection_gives_a_document_that_says_so(_db):
    doc = f.document()
    built, result, calls = build(document=doc, locale="es")
    assert built.rows == 0
    assert calls == [(0, 0)]
    assert "No hay recomendaciones en esta selección." in all_text(result)
    assert headings(result, 1) == []


def test_mechanism_draft_groups_by_document_newest_first(_db, monkeypatch):
    # Batches of two: a document's paragraphs run over several batches.
    monkeypatch.setattr(followup_draft, "BATCH_SIZE", 2)
    older = f.document("CAT/C/HND/CO/1", "CAT", title="First", date=date(2009, 6, 23))
    newer = f.document("CAT/C/HND/CO/2", "CAT", title="Second", date=date(2016, 8, 26))
    for paragraph in ("12", "8"):
        f.recommendation(older, paragraph=paragraph)
    for paragraph in ("30", "4", "26(a)"):
        f.recommendation(newer, paragraph=paragraph)
    other = f.document("CEDAW/C/HND/CO/9")
    f.recommendation(other, paragraph="1")

    built, result, calls = build(mechanism=f.mechanism("CAT"), locale="en")
    assert headings(result, 1) == ["CAT/C/HND/CO/2 — Second — August 26, 2016",
                                   "CAT/C/HND/CO/1 — First — June 23, 2009"]
    assert headings(result, 2) == ["Paragraph 4", "Paragraph 26(a)", "Paragraph 30",
                                   "Paragraph 8", "Paragraph 12"]
    assert [t for s, t in blocks(result) if s.startswith("Heading")][:3] == [
        "CAT/C/HND/CO/2 — Second — August 26, 2016", "Paragraph 4", "Paragraph 26(a)"]
    assert built.rows == 5
    assert calls == [(0, 5), (2, 5), (4, 5), (5, 5)]
    assert built.filename == "follow-up-draft-cat-2026-11-30.docx"


def _statements(run) -> int:
    count = 0

    def counter(*_args, **_kwargs):
        nonlocal count
        count += 1

    event.listen(Engine, "before_cursor_execute", counter)
    try:
        run()
    finally:
        event.remove(Engine, "before_cursor_execute", counter)
    return count


def _document_with(recommendations: int, lead) -> object:
    doc = f.document()
    for n in range(recommendations):
        rec = f.recommendation(doc, paragraph=str(n + 1), language="en")
        rec.recommending_states = [f.country("BR"), f.country("CL")]
        f.assignment(rec, lead)
        f.assessment(rec, ImplementationStatus.IN_PROGRESS, rationale=f"Because {n}")
        f.report_in_state(lead, [rec], title=f"Report {n}", description="- one\n- two")
    return doc


def test_statement_count_does_not_grow_with_the_recommendations(_db, institutions):
    lead, _support = institutions
    small, large = _document_with(2, lead), _document_with(12, lead)
    f.user(Role.REVIEWER)  # build() adds one; count only the builder's work

    def statements(doc):
        actor = f.user(Role.REVIEWER)
        selection = Selection(ids=matching_ids(actor, ReviewFilters(document_id=doc.id)),
                              public=False, locale="en", description=[],
                              generated_at=GENERATED, document_id=doc.id)
        _db.session.flush()
        with force_locale("en"):
            return _statements(lambda: build_followup_draft_docx(
                selection, io.BytesIO(), lambda done, total: None))

    assert statements(large) == statements(small)
    _built, result, _calls = build(document=large, locale="en")
    assert len(headings(result, 1)) == 12
    assert "Report 11" in all_text(result)


def test_text_a_docx_cannot_hold_is_left_out(_db, institutions):
    lead, _support = institutions
    doc = f.document()
    rec = f.recommendation(doc, paragraph="5", text="Bell\x07 and text")
    f.assignment(rec, lead)
    f.report_in_state(lead, [rec], title="Title\x0b with a tab", description="Step\x1f one")
    _built, result, _calls = build(document=doc, locale="en")
    text = all_text(result)
    assert "Bell and text" in text
    assert "Title with a tab" in text and "Step one" in text


def test_selection_in_words_is_repeated_in_the_introduction(_db):
    doc = f.document()
    f.recommendation(doc, paragraph="1", status=ImplementationStatus.IMPLEMENTED)
    _built, result, _calls = build(document=doc, locale="es",
                                   description=[("Estado", "Cumplida")])
    text = all_text(result)
    assert "Selección: Estado: Cumplida" in text
    assert "Estado actual: Cumplida: 1." in text


def test_markdown_description_becomes_plain_paragraphs():
    blocks = markdown_blocks(
        "## Results\n\n"
        "See [the decree](https://example.org/decree) and <b>this</b>.\n\n"
        "1. Draft the bill\n2. Consult\n   - indigenous peoples\n\n"
        "| Region | People |\n|---|---|\n| Norte | 40 |\n")
    assert [("".join(run[0] for run in b.runs), b.style) for b in blocks] == [
        ("Results", None),
        ("See the decree (https://example.org/decree) and <b>this</b>.", None),
        ("1. Draft the bill", "List Continue"),
        ("2. Consult", "List Continue"),
        ("indigenous peoples", "List Bullet 2"),
        ("Region | People", None),
        ("Norte | 40", None),
    ]
    assert all(run[1] for run in blocks[0].runs)  # a heading stays visible as bold
