"""The open-data downloads' columns and rows: every published recommendation of a search.

One list of column specifications (``COLUMNS``) drives the CSV and XLSX headers, the
JSON keys and the data dictionary page, so that they cannot drift apart. The columns the
tracker's CSV importer reads keep its names: a downloaded CSV imports back as the same
records. A recommendation is one row per language version of its text (the original
first), since the importer reads one text a row; the JSON nests the versions instead.

Rows are read in batches of ids with a fixed number of queries a batch, through the
status matrix's reference tables (``rows.py``), so no download holds more than a batch.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker.exports import Selection
from tracker.exports.rows import _among, _institutions, _Reference, ordered_ids
from tracker.extensions import db
from tracker.i18n import ENUM_LABELS
from tracker.imports.lookups import IMPORTED_VOCABULARIES
from tracker.models import (
    AssignmentRole,
    Country,
    Document,
    Mechanism,
    Recommendation,
    RecommendationText,
    Vocabulary,
)
from tracker.models.recommendation import (
    recommendation_concerned_state,
    recommendation_state,
    recommendation_term,
)

BATCH_SIZE = 1000
# How a list is written in one CSV or spreadsheet cell (the importer splits on it).
LIST_SEPARATOR = "; "


class ColumnKind(enum.Enum):
    """What a column holds, as the data dictionary names it."""

    INTEGER = "integer"
    TEXT = "text"
    CODE = "code"
    DATE = "date"
    LIST = "list"
    BOOLEAN = "boolean"
    URL = "url"


KIND_LABELS = {
    ColumnKind.INTEGER: _l("Whole number"),
    ColumnKind.TEXT: _l("Text"),
    ColumnKind.CODE: _l("Code from a fixed list"),
    ColumnKind.DATE: _l("Date (year-month-day)"),
    ColumnKind.LIST: _l("List (separated by “; ” in CSV and XLSX, an array in JSON)"),
    ColumnKind.BOOLEAN: _l("Yes or no (true or false)"),
    ColumnKind.URL: _l("Web address"),
}


@dataclass(frozen=True, slots=True)
class Version:
    """One language version of a recommendation's text."""

    language: str
    text: str
    annotation_id: str | None
    original: bool


@dataclass(slots=True)
class OpenRecord:
    """One published recommendation with everything the downloads show of it."""

    id: int
    reference: str
    mechanism: str
    mechanism_name: str
    document_symbol: str
    document_title: str | None
    document_date: date | None
    upr_session: str | None
    upr_cycle: int | None
    paragraph: str | None
    type: str
    upr_position: str | None
    status: str
    status_label: str
    status_assessed_on: date | None
    url: str
    recommending_states: list[str] = field(default_factory=list)
    recommending_states_iso: list[str] = field(default_factory=list)
    states_concerned: list[str] = field(default_factory=list)
    # Term names by vocabulary code (themes, affected_persons, sdg).
    terms: dict[str, list[str]] = field(default_factory=dict)
    lead_institutions: list[str] = field(default_factory=list)
    supporting_institutions: list[str] = field(default_factory=list)
    versions: list[Version] = field(default_factory=list)


Value = str | int | date | bool | list[str] | None


@dataclass(frozen=True)
class OpenColumn:
    """A column of the downloads: its name, what it means, and how to read it from a row."""

    name: str
    kind: ColumnKind
    meaning: object  # a lazy string, read in the reader's language
    example: str
    read: Callable[[OpenRecord, Version], Value]
    # Read by the tracker's CSV importer; the others are for reading only.
    imported: bool = False
    # Belongs to one language version of the text (under "texts" in the JSON).
    per_version: bool = False
    # The group of labels its codes take (``tracker.i18n.ENUM_LABELS``).
    allowed: str | None = None


def _col(name, kind, meaning, example, read, **kw) -> OpenColumn:
    return OpenColumn(name, kind, meaning, example, read, **kw)


K = ColumnKind
COLUMNS: tuple[OpenColumn, ...] = (
    _col("recommendation_id", K.INTEGER,
         _l("The recommendation's number in this tracker; it never changes, so rows of "
            "several downloads can be matched by it."), "1234", lambda r, v: r.id),
    _col("reference", K.TEXT,
         _l("The document symbol and paragraph; a second recommendation of the same "
            "paragraph has an ordinal, “(2)”."), "A/HRC/16/10 ¶81.2",
         lambda r, v: r.reference),
    _col("mechanism", K.CODE,
         _l("The code of the mechanism that issued it (UPR, a treaty body, the IACHR…)."),
         "UPR", lambda r, v: r.mechanism, imported=True),
    _col("mechanism_name", K.TEXT, _l("The mechanism's name in the language of the download."),
         _l("Universal Periodic Review"), lambda r, v: r.mechanism_name),
    _col("document_symbol", K.TEXT, _l("The UN or OAS symbol of the source document."),
         "A/HRC/16/10", lambda r, v: r.document_symbol, imported=True),
    _col("document_title", K.TEXT, _l("The title of the source document."),
         _l("Report of the Working Group on the Universal Periodic Review"),
         lambda r, v: r.document_title, imported=True),
    _col("document_date", K.DATE, _l("The date of the source document."), "2011-01-04",
         lambda r, v: r.document_date, imported=True),
    _col("upr_session", K.TEXT, _l("The UPR Working Group session (UPR only)."), "9",
         lambda r, v: r.upr_session, imported=True),
    _col("upr_cycle", K.INTEGER, _l("The UPR cycle (UPR only)."), "1",
         lambda r, v: r.upr_cycle, imported=True),
    _col("paragraph", K.TEXT, _l("The paragraph of the document, sub-paragraph included."),
         "81.2", lambda r, v: r.paragraph, imported=True),
    _col("type", K.CODE, _l("What kind of text it is."), "recommendation",
         lambda r, v: r.type, imported=True, allowed="type"),
    _col("upr_position", K.CODE, _l("The State's position on a UPR recommendation."),
         "supported", lambda r, v: r.upr_position, imported=True, allowed="upr_position"),
    _col("recommending_states", K.LIST,
         _l("The States that made a UPR recommendation, by their UN names in the language "
            "of the download."), _l("Spain; Norway"),
         lambda r, v: r.recommending_states, imported=True),
    _col("recommending_states_iso", K.LIST,
         _l("The same States by their ISO 3166 two-letter codes."), "ES; NO",
         lambda r, v: r.recommending_states_iso),
    _col("states_concerned", K.LIST,
         _l("The States the recommendation is addressed to; empty means this tracker's "
            "own State."), "Honduras", lambda r, v: r.states_concerned, imported=True),
    _col("themes", K.LIST, _l("Human-rights themes (UHRI's list)."),
         _l("Discrimination against women"), lambda r, v: r.terms.get("themes", []), imported=True),
    _col("affected_persons", K.LIST, _l("Persons or groups affected (UHRI's list)."),
         _l("Women"), lambda r, v: r.terms.get("affected_persons", []),
         imported=True),
    _col("sdgs", K.LIST, _l("Sustainable Development Goals."),
         _l("5. Gender equality"), lambda r, v: r.terms.get("sdg", []), imported=True),
    _col("language", K.CODE, _l("The language of this version of the text (ISO 639-1)."),
         "es", lambda r, v: v.language, imported=True, per_version=True),
    _col("original", K.BOOLEAN,
         _l("Whether this version is the original, as the mechanism adopted the text; the "
            "others are translations."), "true", lambda r, v: v.original, per_version=True),
    _col("text", K.TEXT, _l("The text of the recommendation in this language."),
         _l("Adopt a national action plan on human rights."), lambda r, v: v.text,
         imported=True, per_version=True),
    _col("annotation_id", K.TEXT,
         _l("The Universal Human Rights Index's identifier of this language version, when "
            "it came from there."), "3f2b6c1e-…", lambda r, v: v.annotation_id,
         imported=True, per_version=True),
    _col("status", K.CODE, _l("The implementation status the office last assessed."),
         "in_progress", lambda r, v: r.status, allowed="status"),
    _col("status_label", K.TEXT, _l("The same status in words, in the language of the download."),
         _l("In progress"), lambda r, v: r.status_label),
    _col("status_assessed_on", K.DATE, _l("The date of the last status assessment."),
         "2024-06-30", lambda r, v: r.status_assessed_on),
    _col("lead_institutions", K.LIST,
         _l("The State institutions responsible for it (name and acronym)."),
         _l("Secretariat of State for Human Rights (SEDH)"), lambda r, v: r.lead_institutions),
    _col("supporting_institutions", K.LIST, _l("The institutions that support them."),
         _l("Public Prosecution Service (MP)"), lambda r, v: r.supporting_institutions),
    _col("url", K.URL, _l("The recommendation's public page on this site."),
         "https://…/recommendations/1234", lambda r, v: r.url),
)
HEADER = tuple(column.name for column in COLUMNS)
RECORD_COLUMNS = tuple(c for c in COLUMNS if not c.per_version)
VERSION_COLUMNS = tuple(c for c in COLUMNS if c.per_version)


class _Lookups(_Reference):
    """The matrix's reference tables, plus what only the downloads name."""

    def __init__(self, selection: Selection) -> None:
        super().__init__(selection)
        self.mechanism_codes = dict(db.session.execute(
            select(Mechanism.id, Mechanism.code)).tuples().all())
        self.iso = dict(db.session.execute(select(Country.id, Country.iso2)).tuples().all())
        self.vocabulary_codes = dict(db.session.execute(
            select(Vocabulary.id, Vocabulary.code)
            .where(Vocabulary.code.in_(IMPORTED_VOCABULARIES))).tuples().all())


def _links(table, column: str, ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for rec_id, other in db.session.execute(
            select(table.c.recommendation_id, table.c[column])
            .where(_among(table.c.recommendation_id, ids))):
        found.setdefault(rec_id, []).append(other)
    return found


def _names(ids: list[int], names: dict[int, str]) -> list[str]:
    return sorted((names[i] for i in ids), key=str.casefold)


def _versions(ids: list[int]) -> dict[int, list[tuple[str, str, str | None]]]:
    T = RecommendationText
    found: dict[int, list] = {}
    for rec_id, language, text, annotation in db.session.execute(
            select(T.recommendation_id, T.language, T.text, T.annotation_id)
            .where(_among(T.recommendation_id, ids)).order_by(T.language)):
        found.setdefault(rec_id, []).append((language, text, annotation))
    return found


def _term_lists(ids: list[int], ref: _Lookups) -> dict[int, dict[str, list[str]]]:
    found: dict[int, dict[str, list]] = {}
    for rec_id, term_ids in _links(recommendation_term, "term_id", ids).items():
        for term_id in term_ids:
            term = ref.terms.get(term_id)
            code = ref.vocabulary_codes.get(term[0]) if term else None
            if code is not None:
                found.setdefault(rec_id, {}).setdefault(code, []).append(term)
    return {rec_id: {code: [t[2] for t in sorted(terms, key=lambda t: t[1])]
                     for code, terms in by_code.items()}
            for rec_id, by_code in found.items()}


def _institution_lists(ids: list[int], ref: _Lookups) -> dict[tuple[int, AssignmentRole],
                                                                list[str]]:
    # The matrix's reading (public assignments only), its joined names split back.
    return {key: names.split("; ") for key, names in _institutions(ids, ref).items()}


def _batch(ids: list[int], ref: _Lookups) -> dict[int, OpenRecord]:
    """Load one batch of recommendations with a fixed number of queries."""
    recommending = _links(recommendation_state, "country_id", ids)
    concerned = _links(recommendation_concerned_state, "country_id", ids)
    terms = _term_lists(ids, ref)
    institutions = _institution_lists(ids, ref)
    versions = _versions(ids)
    R, D = Recommendation, Document
    records = {}
    for row in db.session.execute(
            select(R.id, R.reference, R.mechanism_id, R.paragraph, R.type, R.upr_position,
                   R.text, R.language, R.status, R.status_assessed_at, D.symbol, D.title,
                   D.date, D.session, D.upr_cycle)
            .join(D, D.id == R.document_id).where(_among(R.id, ids))):
        states = recommending.get(row.id, [])
        texts = versions.get(row.id) or [(row.language, row.text, None)]
        # The original first: the importer takes the first version it meets as the original.
        texts.sort(key=lambda t: t[0] != row.language)
        records[row.id] = OpenRecord(
            id=row.id, reference=row.reference,
            mechanism=ref.mechanism_codes[row.mechanism_id],
            mechanism_name=ref.mechanisms[row.mechanism_id],
            document_symbol=row.symbol, document_title=row.title, document_date=row.date,
            upr_session=row.session, upr_cycle=row.upr_cycle, paragraph=row.paragraph,
            type=row.type.value, upr_position=row.upr_position.value if row.upr_position
            else None, status=row.status.value, status_label=ref.label("status", row.status),
            status_assessed_on=ref.local_date(row.status_assessed_at), url=ref.url(row.id),
            recommending_states=_names(states, ref.countries),
            recommending_states_iso=sorted(ref.iso[c] for c in states),
            states_concerned=_names(concerned.get(row.id, []), ref.countries),
            terms=terms.get(row.id, {}),
            lead_institutions=institutions.get((row.id, AssignmentRole.LEAD), []),
            supporting_institutions=institutions.get((row.id, AssignmentRole.SUPPORT), []),
            versions=[Version(language, text, annotation, language == row.language)
                      for language, text, annotation in texts],
        )
    return records


class Records:
    """The selection's recommendations in the matrix's order, read a batch at a time.

    Only their ids are held (4 bytes each, see ``ordered_ids``), so the total is known
    before the first row.
    """

    def __init__(self, selection: Selection, batch_size: int = BATCH_SIZE) -> None:
        self.selection = selection
        self.batch_size = batch_size
        self.ids = ordered_ids(selection)

    @property
    def total(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[OpenRecord]:
        if not self.total:
            return
        ref = _Lookups(self.selection)
        for start in range(0, self.total, self.batch_size):
            batch = self.ids[start:start + self.batch_size].tolist()
            records = _batch(batch, ref)
            for rec_id in batch:
                if rec_id in records:  # deleted since the ids were read: left out
                    yield records[rec_id]

    def rows(self) -> Iterator[tuple[OpenRecord, Version]]:
        """Yield (recommendation, language version): one CSV or spreadsheet row each."""
        for record in self:
            for version in record.versions:
                yield record, version


def allowed_values(column: OpenColumn) -> list[tuple[str, str]]:
    """Return (code, label in the reader's language) of the values a coded column takes."""
    if column.allowed is None:
        return []
    return [(code, str(text)) for code, text in ENUM_LABELS[column.allowed].items()]
