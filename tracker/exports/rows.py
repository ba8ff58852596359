"""The status matrix's rows and columns: one row per recommendation, read in batches.

The whole UN index (270,000 recommendations) must go through in constant memory and a
fixed number of queries a batch, so everything here selects plain columns (no ORM
entity piles up in the session's identity map), the small reference tables are read
once, and each batch of ids is loaded with seven queries whatever its content.
"""

from __future__ import annotations

import enum
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from flask import current_app
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin
from sqlalchemy import ARRAY, Integer, any_, func, literal, select

from tracker import policy
from tracker.exports import Progress, Selection, pick_name
from tracker.extensions import db
from tracker.i18n import ENUM_LABELS
from tracker.models import (
    Assignment,
    AssignmentRole,
    Country,
    Document,
    Institution,
    Mechanism,
    ProgressReport,
    Recommendation,
    RecommendationText,
    ReportState,
    StatusAssessment,
    Term,
    Vocabulary,
)
from tracker.models.followup import report_recommendation
from tracker.models.recommendation import recommendation_state, recommendation_term
from tracker.services.catalogue.listing import paragraph_order
from tracker.services.notify import external_url

BATCH_SIZE = 1000
SEPARATOR = "; "
# An id no table will reach, to build the public address once and fill in each row's id.
_URL_PLACEHOLDER_ID = 2_147_000_999
_NEVER = datetime.min.replace(tzinfo=UTC)


class Kind(enum.Enum):
    """How a writer should present a column's values."""

    TEXT = "text"
    WRAPPED = "wrapped"  # long text: wrapped in a wide column
    DATE = "date"


@dataclass(frozen=True, slots=True)
class MatrixRow:
    """One recommendation as the matrix shows it, every label in the selection's language."""

    id: int
    reference: str
    mechanism: str
    document: str
    document_date: date | None
    paragraph: str
    type: str
    upr_position: str
    recommending_states: str
    text: str
    language: str
    # The text in each of the tracker's languages, where it has a version in it.
    versions: dict[str, str]
    # Term names ('; '-joined) by vocabulary id; see matrix_columns().
    terms: dict[int, str]
    lead_institutions: str
    support_institutions: str
    status: str
    assessed_on: date | None
    assessment_rationale: str
    report_title: str
    report_institution: str
    report_approved_on: date | None
    url: str


@dataclass(frozen=True)
class MatrixColumn:
    """A column of the matrix: its heading, how to show it, and how to read it from a row."""

    header: str
    kind: Kind
    width: int  # in characters, for spreadsheets
    value: Callable[[MatrixRow], str | date | None]


def _vocabularies(selection: Selection) -> list[tuple[int, str]]:
    """Return (id, name) of the active vocabularies that classify recommendations, in order."""
    query = (select(Vocabulary.id, Vocabulary.name_es, Vocabulary.name_en)
             .where(Vocabulary.applies_to_recommendations.is_(True),
                    Vocabulary.active.is_(True))
             .order_by(Vocabulary.sort_order, Vocabulary.code))
    return [(vid, pick_name(selection.locale, es, en))
            for vid, es, en in db.session.execute(query)]


def matrix_columns(selection: Selection) -> list[MatrixColumn]:
    """Return the matrix's columns in order, with headings in the selection's language."""
    T, W, D = Kind.TEXT, Kind.WRAPPED, Kind.DATE
    columns = [
        MatrixColumn(_("Reference"), T, 28, lambda r: r.reference),
        MatrixColumn(_("Mechanism"), T, 30, lambda r: r.mechanism),
        MatrixColumn(_("Document"), T, 24, lambda r: r.document),
        MatrixColumn(_("Document date"), D, 12, lambda r: r.document_date),
        MatrixColumn(_("Paragraph"), T, 10, lambda r: r.paragraph),
        MatrixColumn(_("Type"), T, 18, lambda r: r.type),
        MatrixColumn(_("Position of the State"), T, 16, lambda r: r.upr_position),
        MatrixColumn(_("Recommending States"), W, 30, lambda r: r.recommending_states),
        MatrixColumn(_("Text"), W, 80, lambda r: r.text),
        MatrixColumn(_("Language of the text"), T, 12, lambda r: r.language),
        MatrixColumn(_("Text in Spanish"), W, 60, lambda r: r.versions.get("es", "")),
        MatrixColumn(_("Text in English"), W, 60, lambda r: r.versions.get("en", "")),
    ]
    for vocabulary_id, name in _vocabularies(selection):
        columns.append(MatrixColumn(name, W, 40,
                                    lambda r, vid=vocabulary_id: r.terms.get(vid, "")))
    columns += [
        MatrixColumn(_("Lead institutions"), W, 40, lambda r: r.lead_institutions),
        MatrixColumn(_("Supporting institutions"), W, 40,
                     lambda r: r.support_institutions),
        MatrixColumn(_("Implementation status"), T, 22, lambda r: r.status),
        MatrixColumn(_("Assessed on"), D, 12, lambda r: r.assessed_on),
        MatrixColumn(_("Rationale of the assessment"), W, 60,
                     lambda r: r.assessment_rationale),
        MatrixColumn(_("Last approved progress report"), W, 40,
                     lambda r: r.report_title),
        MatrixColumn(_("Institution of the report"), W, 30,
                     lambda r: r.report_institution),
        MatrixColumn(_("Report approved on"), D, 12, lambda r: r.report_approved_on),
        MatrixColumn(_("Public page"), T, 45, lambda r: r.url),
    ]
    return columns


def ordered_ids(selection: Selection) -> array:
    """Return the selection's ids by mechanism, document (newest first), paragraph."""
    query = (
        select(Recommendation.id)
        .join(Document, Document.id == Recommendation.document_id)
        .join(Mechanism, Mechanism.id == Recommendation.mechanism_id)
        .where(Recommendation.id.in_(selection.ids))
        .order_by(Mechanism.sort_order, Mechanism.code, Document.date.desc().nulls_last(),
                  Document.symbol, *paragraph_order(), Recommendation.id)
    )
    # Streamed (a server-side cursor on PostgreSQL), into 4 bytes an id instead of a Python
    # int's 36: fetched at once, 270,000 ids took 60 MB on the way, now about a megabyte.
    return array("i", db.session.scalars(query.execution_options(yield_per=10_000)))


class _Reference:
    """The small tables every row refers to, read once, named in the selection's language."""

    def __init__(self, selection: Selection) -> None:
        lang = selection.locale
        self.lang = lang
        self.public = selection.public
        self.mechanisms = {mid: pick_name(lang, es, en) for mid, es, en in db.session.execute(
            select(Mechanism.id, Mechanism.name_es, Mechanism.name_en))}
        self.countries = {cid: pick_name(lang, es, en) for cid, es, en in db.session.execute(
            select(Country.id, Country.name_es, Country.name_en))}
        self.institutions = {
            iid: f"{pick_name(lang, es, en)} ({acronym})"
            for iid, es, en, acronym in db.session.execute(
                select(Institution.id, Institution.name_es, Institution.name_en,
                       Institution.acronym))}
        vocabulary_ids = [vid for vid, _name in _vocabularies(selection)]
        terms = select(Term.id, Term.vocabulary_id, Term.sort_order, Term.name_es,
                       Term.name_en).where(Term.vocabulary_id.in_(vocabulary_ids))
        if selection.public:
            terms = policy.terms_visible_to(AnonymousUserMixin(), terms)
        self.terms = {}
        for tid, vid, order, es, en in db.session.execute(terms):
            name = pick_name(lang, es, en)
            self.terms[tid] = (vid, (order, name.casefold()), name)
        self.labels = {group: {code: str(text) for code, text in ENUM_LABELS[group].items()}
                       for group in ("status", "type", "upr_position")}
        self.zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "UTC"))
        self._languages: dict[str, str] = {}
        url = external_url("public.recommendation", rec_id=_URL_PLACEHOLDER_ID)
        self.url_parts = url.split(str(_URL_PLACEHOLDER_ID))

    def label(self, group: str, value) -> str:
        if value is None:
            return ""
        code = getattr(value, "value", value)
        return self.labels[group].get(code, code)

    def local_date(self, moment: datetime | None) -> date | None:
        return moment.astimezone(self.zone).date() if moment else None

    def language(self, code: str | None) -> str:
        if not code:
            return ""
        if code not in self._languages:
            try:
                name = Locale.parse(code).get_display_name(self.lang) or code
            except (ValueError, UnknownLocaleError):
                name = code
            self._languages[code] = name[:1].upper() + name[1:]
        return self._languages[code]

    def url(self, rec_id: int) -> str:
        if len(self.url_parts) != 2:  # the base address happened to hold the placeholder
            return external_url("public.recommendation", rec_id=rec_id)
        return f"{self.url_parts[0]}{rec_id}{self.url_parts[1]}"


def _among(column, ids: list[int]):
    """``column IN ids``; on PostgreSQL ``column = ANY(array)``, one parameter, not 1,000.

    With a thousand placeholders the statement is rendered, sent and parsed anew every
    batch: that cost more than the lookups themselves (about 8 ms a query, 270 batches).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(ids, ARRAY(Integer)))
    return column.in_(ids)


def _joined(names) -> str:
    return SEPARATOR.join(sorted(names, key=str.casefold))


def _states(ids: list[int], ref: _Reference) -> dict[int, str]:
    found: dict[int, list[str]] = {}
    for rec_id, country_id in db.session.execute(
            select(recommendation_state.c.recommendation_id, recommendation_state.c.country_id)
            .where(_among(recommendation_state.c.recommendation_id, ids))):
        found.setdefault(rec_id, []).append(ref.countries[country_id])
    return {rec_id: _joined(names) for rec_id, names in found.items()}


def _versions(ids: list[int]) -> dict[int, dict[str, str]]:
    """The Spanish and English versions of each recommendation's text."""
    found: dict[int, dict[str, str]] = {}
    T = RecommendationText
    for rec_id, language, text in db.session.execute(
            select(T.recommendation_id, T.language, T.text)
            .where(_among(T.recommendation_id, ids), T.language.in_(("es", "en")))):
        found.setdefault(rec_id, {})[language] = text
    return found


def _terms(ids: list[int], ref: _Reference) -> dict[int, dict[int, str]]:
    found: dict[int, dict[int, list]] = {}
    for rec_id, term_id in db.session.execute(
            select(recommendation_term.c.recommendation_id, recommendation_term.c.term_id)
            .where(_among(recommendation_term.c.recommendation_id, ids))):
        term = ref.terms.get(term_id)
        if term is not None:  # a vocabulary the matrix does not show
            found.setdefault(rec_id, {}).setdefault(term[0], []).append(term)
    return {rec_id: {vid: SEPARATOR.join(t[2] for t in sorted(terms, key=lambda t: t[1]))
                     for vid, terms in by_vocabulary.items()}
            for rec_id, by_vocabulary in found.items()}


def _institutions(ids: list[int], ref: _Reference) -> dict[tuple[int, AssignmentRole], str]:
    query = (select(Assignment.recommendation_id, Assignment.role, Assignment.institution_id)
             .where(_among(Assignment.recommendation_id, ids), Assignment.active.is_(True)))
    if ref.public:
        query = policy.assignments_visible_to(AnonymousUserMixin(), query)
    found: dict[tuple[int, AssignmentRole], list[str]] = {}
    for rec_id, role, institution_id in db.session.execute(query):
        found.setdefault((rec_id, role), []).append(ref.institutions[institution_id])
    return {key: _joined(names) for key, names in found.items()}


def last_assessments(ids: list[int]) -> dict[int, tuple[datetime, str]]:
    """Return the date and rationale of each recommendation's latest assessment."""
    ranked = select(
        StatusAssessment.recommendation_id, StatusAssessment.assessed_at,
        StatusAssessment.rationale,
        func.row_number().over(
            partition_by=StatusAssessment.recommendation_id,
            order_by=(StatusAssessment.assessed_at.desc(), StatusAssessment.id.desc()),
        ).label("rank"),
    ).where(_among(StatusAssessment.recommendation_id, ids)).subquery()
    return {rec_id: (at, rationale) for rec_id, at, rationale in db.session.execute(
        select(ranked.c.recommendation_id, ranked.c.assessed_at, ranked.c.rationale)
        .where(ranked.c.rank == 1))}


def _last_reports(ids: list[int], ref: _Reference) -> dict[int, tuple[str, int, datetime]]:
    # Links first, then the reports by primary key: joined in one query, SQLite (without
    # statistics) walked every approved report for each batch, seconds per 1,000 rows.
    links = db.session.execute(
        select(report_recommendation.c.recommendation_id, report_recommendation.c.report_id)
        .where(_among(report_recommendation.c.recommendation_id, ids))).all()
    if not links:
        return {}
    query = (select(ProgressReport.id, ProgressReport.title, ProgressReport.institution_id,
                    ProgressReport.decided_at)
             .where(_among(ProgressReport.id, sorted({report_id for _rec, report_id in links})),
                    ProgressReport.state == ReportState.APPROVED))
    if ref.public:
        query = policy.published_progress_reports(query)
    reports = {row.id: row for row in db.session.execute(query)}
    latest: dict[int, tuple] = {}
    for rec_id, report_id in links:
        report = reports.get(report_id)
        if report is None:
            continue
        key = (report.decided_at or _NEVER, report.id)
        if rec_id not in latest or key > latest[rec_id][0]:
            latest[rec_id] = (key, report)
    return {rec_id: (report.title, report.institution_id, report.decided_at)
            for rec_id, (_key, report) in latest.items()}


def _batch_rows(ids: list[int], ref: _Reference) -> dict[int, MatrixRow]:
    """Load one batch of recommendations with a fixed number of queries."""
    states = _states(ids, ref)
    terms = _terms(ids, ref)
    institutions = _institutions(ids, ref)
    assessments = last_assessments(ids)
    reports = _last_reports(ids, ref)
    versions = _versions(ids)
    rows = {}
    R = Recommendation
    for (rec_id, reference, mechanism_id, paragraph, rec_type, position, text, language,
         status, symbol, doc_date) in db.session.execute(
            select(R.id, R.reference, R.mechanism_id, R.paragraph, R.type, R.upr_position,
                   R.text, R.language, R.status, Document.symbol, Document.date)
            .join(Document, Document.id == R.document_id)
            .where(_among(R.id, ids))):
        assessed_at, rationale = assessments.get(rec_id, (None, ""))
        report_title, report_institution, decided_at = reports.get(rec_id, ("", None, None))
        rows[rec_id] = MatrixRow(
            id=rec_id, reference=reference, mechanism=ref.mechanisms[mechanism_id],
            document=symbol, document_date=doc_date, paragraph=paragraph or "",
            type=ref.label("type", rec_type), upr_position=ref.label("upr_position", position),
            recommending_states=states.get(rec_id, ""), text=text,
            language=ref.language(language), versions=versions.get(rec_id, {}),
            terms=terms.get(rec_id, {}),
            lead_institutions=institutions.get((rec_id, AssignmentRole.LEAD), ""),
            support_institutions=institutions.get((rec_id, AssignmentRole.SUPPORT), ""),
            status=ref.label("status", status), assessed_on=ref.local_date(assessed_at),
            assessment_rationale=rationale or "", report_title=report_title,
            report_institution=(ref.institutions[report_institution]
                                if report_institution is not None else ""),
            report_approved_on=ref.local_date(decided_at), url=ref.url(rec_id),
        )
    return rows


def iter_matrix_rows(selection: Selection, progress: Progress,
                     batch_size: int = BATCH_SIZE) -> Iterator[MatrixRow]:
    """Yield the selection's recommendations in matrix order, reporting progress per batch."""
    ids = ordered_ids(selection)
    total = len(ids)
    progress(0, total)
    if not total:
        return
    ref = _Reference(selection)
    for start in range(0, total, batch_size):
        batch = ids[start:start + batch_size].tolist()
        rows = _batch_rows(batch, ref)
        for rec_id in batch:
            # A row deleted since the ids were read is simply left out.
            if rec_id in rows:
                yield rows[rec_id]
        progress(min(start + batch_size, total), total)
