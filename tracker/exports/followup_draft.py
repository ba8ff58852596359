"""The follow-up report draft (DOCX) for one document or one mechanism.

The State edits this draft into its follow-up report to the mechanism: one section per
paragraph, with the recommendation quoted, its current status and the approved progress of
each responsible institution. Recommendations are read in batches with a fixed number of
queries each, and the body is streamed out batch by batch (see ``docx_writing``), so memory
stays flat whatever the number of recommendations.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import BinaryIO

import docx
from babel import Locale, UnknownLocaleError
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from flask_babel import format_date, format_decimal, ngettext, to_user_timezone
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin
from sqlalchemy import case, func, select

from tracker import policy
from tracker.exports import DOCX_TYPE, Built, Progress, Selection, pick_name
from tracker.exports.docx_writing import Run, StreamedBody, markdown_blocks, xml_text
from tracker.exports.rows import last_assessments
from tracker.extensions import db
from tracker.i18n import label
from tracker.models import (
    Assignment,
    AssignmentRole,
    Country,
    Document,
    ImplementationStatus,
    Institution,
    Mechanism,
    ProgressReport,
    Recommendation,
    RecommendationText,
    ReportState,
    ReportVisibility,
)
from tracker.models.followup import report_recommendation
from tracker.models.recommendation import recommendation_state
from tracker.services.catalogue.listing import paragraph_order

BATCH_SIZE = 200
_BLANK_LINE = re.compile(r"\n\s*\n")
SEPARATOR = " · "


# --- what one batch of recommendations needs ---------------------------------------------


@dataclass
class _Report:
    title: str
    description: str
    period_start: date | None
    period_end: date | None
    decided_at: datetime | None
    measure_kind: str
    internal: bool


@dataclass
class _Institution:
    name: str
    role: AssignmentRole | None  # None: it reported, but is no longer assigned
    reports: list[_Report] = field(default_factory=list)


@dataclass
class _Entry:
    """One recommendation as the draft shows it."""

    document_id: int
    document: str
    paragraph: str | None
    reference: str
    text: str
    language: str
    # The version in the draft's language, when the original is in another.
    translation: str | None
    upr_position: str | None
    status: ImplementationStatus
    states: list[str] = field(default_factory=list)
    assessed_at: datetime | None = None
    rationale: str = ""
    institutions: dict[int, _Institution] = field(default_factory=dict)


def _document_line(symbol: str, title: str | None, day: date | None) -> str:
    parts = [symbol, title or "", _long_date(day) if day else ""]
    return " — ".join(part for part in parts if part)


def _load_batch(ids: list[int], selection: Selection) -> dict[int, _Entry]:
    """Load one batch with five queries, whatever the recommendations hold."""
    lang, R, T = selection.locale, Recommendation, RecommendationText
    entries = {
        row.id: _Entry(row.document_id, _document_line(row.symbol, row.title, row.date),
                       row.paragraph, row.reference, row.text, row.language, row.translation,
                       row.upr_position, row.status)
        for row in db.session.execute(
            select(R.id, R.document_id, R.paragraph, R.reference, R.text, R.language,
                   T.text.label("translation"), R.upr_position, R.status, Document.symbol,
                   Document.title, Document.date)
            .join(Document, Document.id == R.document_id)
            .outerjoin(T, (T.recommendation_id == R.id) & (T.language == lang))
            .where(R.id.in_(ids)))
    }
    link = recommendation_state.c
    for rec_id, es, en in db.session.execute(
            select(link.recommendation_id, Country.name_es, Country.name_en)
            .join(Country, Country.id == link.country_id).where(link.recommendation_id.in_(ids))):
        if rec_id in entries:
            entries[rec_id].states.append(pick_name(lang, es, en))
    for rec_id, (assessed_at, rationale) in last_assessments(ids).items():
        if rec_id in entries:
            entries[rec_id].assessed_at, entries[rec_id].rationale = assessed_at, rationale or ""
    assigned = (
        select(Assignment.recommendation_id, Assignment.role, Institution.id,
               Institution.name_es, Institution.name_en, Institution.acronym)
        .join(Institution, Institution.id == Assignment.institution_id)
        .where(Assignment.recommendation_id.in_(ids), Assignment.active.is_(True))
        .order_by(Assignment.recommendation_id,
                  case((Assignment.role == AssignmentRole.LEAD, 0), else_=1), Assignment.id))
    if selection.public:
        assigned = policy.assignments_visible_to(AnonymousUserMixin(), assigned)
    for rec_id, role, institution_id, es, en, acronym in db.session.execute(assigned):
        if rec_id in entries:
            entries[rec_id].institutions[institution_id] = _Institution(
                f"{pick_name(lang, es, en)} ({acronym})", role)
    covers = report_recommendation.c
    reports = (
        select(covers.recommendation_id, ProgressReport.title, ProgressReport.description,
               ProgressReport.period_start, ProgressReport.period_end,
               ProgressReport.decided_at, ProgressReport.measure_kind,
               ProgressReport.visibility, Institution.id, Institution.name_es,
               Institution.name_en, Institution.acronym)
        .join(ProgressReport, ProgressReport.id == covers.report_id)
        .join(Institution, Institution.id == ProgressReport.institution_id)
        .where(covers.recommendation_id.in_(ids), ProgressReport.state == ReportState.APPROVED)
        .order_by(ProgressReport.decided_at, ProgressReport.id))
    if selection.public:
        reports = policy.published_progress_reports(reports)
    for (rec_id, title, description, start, end, decided_at, kind, visibility,
         institution_id, es, en, acronym) in db.session.execute(reports):
        if rec_id not in entries:
            continue
        holder = entries[rec_id].institutions.setdefault(
            institution_id, _Institution(f"{pick_name(lang, es, en)} ({acronym})", None))
        holder.reports.append(_Report(title, description or "", start, end, decided_at,
                                      kind, visibility == ReportVisibility.INTERNAL))
    return entries


def _language_name(code: str | None, lang: str) -> str:
    try:
        return Locale.parse(code).get_display_name(lang) or str(code)
    except (TypeError, ValueError, UnknownLocaleError):
        return str(code or "")


def _long_date(day: date | datetime | None) -> str:
    # A moment is shown as the office's local day (flask_babel converts it).
    return format_date(day, "long") if day else "…"


def _chunks(text: str | None) -> list[str]:
    """Split a text on its blank lines, for one Word paragraph each."""
    return [chunk.strip() for chunk in _BLANK_LINE.split(xml_text(text)) if chunk.strip()]


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:60] or "x"


class _Draft:
    """The python-docx document being written, with the draft's building blocks."""

    def __init__(self, selection: Selection, title: str) -> None:
        self.selection = selection
        self.lang = selection.locale
        # The document's title is the top; a mechanism's draft adds one level per document.
        self.level = 0 if selection.document_id is not None else 1
        self.doc = docx.Document()
        self.style_ids: dict[str, str] = {}
        props = self.doc.core_properties
        props.title, props.language = title, self.lang
        props.author = props.last_modified_by = props.comments = ""
        props.created = props.modified = selection.generated_at.astimezone(UTC).replace(
            tzinfo=None)
        props.revision = 1
        defaults = self.doc.styles.element.find(qn("w:docDefaults"))
        run_defaults = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        language = run_defaults.find(qn("w:lang"))
        if language is None:
            language = OxmlElement("w:lang")
            run_defaults.append(language)
        language.set(qn("w:val"), self.lang)

    def add(self, runs: list[Run] | tuple[Run, ...] | str, style: str | None = None) -> None:
        paragraph = self.doc.add_paragraph()
        if style:
            paragraph._p.style = self._style_id(style)
        for text, bold, italic in ([(runs, False, False)] if isinstance(runs, str) else runs):
            run = paragraph.add_run(xml_text(text))
            if bold:
                run.bold = True
            if italic:
                run.italic = True

    def heading(self, text: str, level: int) -> None:
        self.add(text, f"Heading {level}" if level else "Title")

    def _style_id(self, name: str) -> str:
        # python-docx finds a style by name by reading every style, on every paragraph:
        # look each one up once (it took most of the time of a long draft).
        if name not in self.style_ids:
            self.style_ids[name] = self.doc.styles[name].style_id
        return self.style_ids[name]

    def _text_and_note(self, entry: _Entry) -> tuple[str, str]:
        original = _language_name(entry.language, self.lang)
        if entry.language == self.lang:
            return entry.text, _("Original text (%(language)s).", language=original)
        if entry.translation and entry.translation.strip():
            return entry.translation, _("Version in %(requested)s; the original text is in "
                                        "%(language)s.", language=original,
                                        requested=_language_name(self.lang, self.lang))
        return entry.text, _("Original text in %(language)s; there is no version in "
                             "%(requested)s.", language=original,
                             requested=_language_name(self.lang, self.lang))

    def recommendation(self, entry: _Entry) -> None:
        heading = (_("Paragraph %(paragraph)s", paragraph=entry.paragraph)
                   if entry.paragraph else entry.reference)
        self.heading(heading, self.level + 1)
        facts = [(_("Reference"), entry.reference)]
        if entry.upr_position:
            facts.append((_("Position of the State"), label("upr_position", entry.upr_position)))
        if entry.states:
            facts.append((_("Recommending States"),
                          ", ".join(sorted(entry.states, key=str.casefold))))
        runs: list[Run] = []
        for name, value in facts:
            runs += [(SEPARATOR if runs else "", False, False), (f"{name}: ", True, False),
                     (value, False, False)]
        self.add(runs)
        text, note = self._text_and_note(entry)
        for chunk in _chunks(text):
            self.add(chunk, "Quote")
        self.add([(note, False, True)])
        status = [(_("Implementation status") + ": ", True, False),
                  (label("status", entry.status), False, False)]
        if entry.assessed_at:
            status.append((" (" + _("assessed on %(date)s", date=_long_date(entry.assessed_at))
                           + ")", False, False))
        self.add(status)
        for chunk in _chunks(entry.rationale):
            self.add(chunk)
        if not entry.institutions:
            self.add(_("No institution has been assigned yet."))
            self.add([(_("No approved progress"), False, True)])
        for institution in entry.institutions.values():
            role = label("assignment_role", institution.role) if institution.role else ""
            self.heading(" — ".join(p for p in (institution.name, role) if p), self.level + 2)
            if not institution.reports:
                self.add([(_("No approved progress"), False, True)])
            for report in institution.reports:
                self.report(report)

    def report(self, report: _Report) -> None:
        self.add([(report.title, True, False)])
        facts = []
        if report.period_start or report.period_end:
            facts.append(_("Period: %(start)s – %(end)s",
                           start=_long_date(report.period_start),
                           end=_long_date(report.period_end)))
        if report.decided_at:
            facts.append(_("Approved on %(date)s", date=_long_date(report.decided_at)))
        facts.append(f"{_('Kind of measure')}: {label('measure_kind', report.measure_kind)}")
        if report.internal:
            facts.append(label("visibility", ReportVisibility.INTERNAL))
        self.add([(SEPARATOR.join(facts), False, True)])
        for block in markdown_blocks(xml_text(report.description)):
            self.add(block.runs, block.style)


def _status_summary(scope) -> tuple[int, str]:
    counts = dict(db.session.execute(
        select(Recommendation.status, func.count())
        .where(Recommendation.id.in_(scope)).group_by(Recommendation.status)).all())
    parts = [f"{label('status', status)}: {format_decimal(counts[status])}"
             for status in ImplementationStatus if counts.get(status)]
    return sum(counts.values()), "; ".join(parts)


def _ordered_ids(scope) -> array:
    """Return the ids by document (newest first) and paragraph in natural order."""
    query = (select(Recommendation.id)
             .join(Document, Document.id == Recommendation.document_id)
             .where(Recommendation.id.in_(scope))
             .order_by(Document.date.desc().nulls_last(), Document.symbol, Document.id,
                       *paragraph_order(), Recommendation.id))
    # 8 bytes an id instead of a Python int's 36.
    return array("q", db.session.scalars(query))


def _front_matter(draft: _Draft, mechanism: Mechanism, document: Document | None,
                  total: int, summary: str) -> None:
    selection, lang = draft.selection, draft.lang
    acronym = mechanism.localized("acronym", lang) or mechanism.code
    draft.heading(_("Follow-up report draft"), 0)
    draft.add(f"{mechanism.localized('name', lang)} ({acronym})", "Subtitle")
    if document is not None:
        draft.add([(f"{_('Document')}: ", True, False),
                   (_document_line(document.symbol, document.title, document.date),
                    False, False)])
    draft.add(_("Generated on %(date)s. For each paragraph, this draft brings together the "
                "recommendation, its current implementation status and the progress reported "
                "by the responsible institutions and approved by the office, ready to be "
                "edited into the State's follow-up report.",
                date=format_date(selection.generated_at, "long")))
    if selection.description:
        draft.add(_("Selection: %(filters)s", filters=SEPARATOR.join(
            f"{name}: {value}" for name, value in selection.description)))
    if total:
        draft.add(ngettext("It covers %(count)s recommendation.",
                           "It covers %(count)s recommendations.", total,
                           count=format_decimal(total)) + " "
                  + _("Current status: %(summary)s.", summary=summary))
    else:
        draft.add(_("There are no recommendations in this selection."))
    draft.add(_("Only public information is included.") if selection.public else
              _("Progress reports approved for internal use only are included and marked "
                "as such: check them before the document is shared."))


def build_followup_draft_docx(selection: Selection, out: BinaryIO, progress: Progress) -> Built:
    """Write the follow-up report draft of one document or one mechanism as DOCX."""
    if selection.document_id is None and selection.mechanism_id is None:
        raise ValueError("a follow-up draft is for one document or one mechanism")
    # The list's filters may name a mechanism and one of its documents: the document wins.
    document = None
    if selection.document_id is not None:
        document = db.session.get(Document, selection.document_id)
        if document is None:
            raise LookupError(f"document {selection.document_id} not found")
        mechanism, subject = document.mechanism, document.symbol
        scope = selection.ids.where(Recommendation.document_id == document.id)
    else:
        mechanism = db.session.get(Mechanism, selection.mechanism_id)
        if mechanism is None:
            raise LookupError(f"mechanism {selection.mechanism_id} not found")
        subject = mechanism.localized("acronym", selection.locale) or mechanism.code
        scope = selection.ids.where(Recommendation.mechanism_id == mechanism.id)
    ids = _ordered_ids(scope)
    total, summary = _status_summary(scope)
    draft = _Draft(selection, f"{_('Follow-up report draft')} — {subject}")
    _front_matter(draft, mechanism, document, total, summary)
    # Reporting progress may commit (the runner's heartbeat): no ORM row is read after it.
    document_id = document.id if document is not None else None
    progress(0, len(ids))

    stream = StreamedBody(draft.doc, out)
    current_document, written = None, 0
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start:start + BATCH_SIZE].tolist()
        entries = _load_batch(batch, selection)
        for rec_id in batch:
            entry = entries.get(rec_id)
            if entry is None:  # deleted since the ids were read
                continue
            if document_id is None and entry.document_id != current_document:
                current_document = entry.document_id
                draft.heading(entry.document, 1)
            draft.recommendation(entry)
            written += 1
            # Out of the tree at once: python-docx's appends slow down as the body grows.
            stream.flush()
        progress(min(start + BATCH_SIZE, len(ids)), len(ids))
    stream.close()
    day = to_user_timezone(selection.generated_at).date().isoformat()
    if selection.public:
        filename = _("follow-up-draft-%(subject)s-public-%(date)s", subject=_slug(subject),
                     date=day)
    else:
        filename = _("follow-up-draft-%(subject)s-%(date)s", subject=_slug(subject), date=day)
    return Built(f"{filename}.docx", DOCX_TYPE, written)
