"""What the audit trail calls each kind of record, its fields, and where its page is.

One entry per audited table: a new table gets its words here, in one place. Labels of
the records an audit page mentions are loaded in one query per kind of record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, Enum, and_, inspect, or_, select
from sqlalchemy.orm import joinedload

from tracker import policy
from tracker.extensions import db
from tracker.models import (
    ApiToken,
    AssessmentSource,
    Assignment,
    AssignmentRole,
    AuditEvent,
    Country,
    Document,
    Evidence,
    ImplementationStatus,
    Institution,
    InstitutionBranch,
    MeasureKind,
    Mechanism,
    MechanismFamily,
    OfficeAction,
    OfficeActionKind,
    PendingLabel,
    ProgressReport,
    Recommendation,
    RecommendationText,
    RecommendationType,
    ReportState,
    ReportTransition,
    ReportVisibility,
    Role,
    StatusAssessment,
    StoredFile,
    Term,
    TermAlias,
    TextSource,
    UprPosition,
    User,
    Vocabulary,
)
from tracker.models.base import UTCDateTime


@dataclass(frozen=True)
class Link:
    """A record's page: the endpoint, its id argument, and who may open it."""

    endpoint: str
    argument: str
    allowed: Callable[[object], bool]
    # Some records have no page of their own and show on another record's page.
    target_id: Callable[[object], int] | None = None


@dataclass(frozen=True)
class Kind:
    model: type
    noun: object  # for menus: "Recommendation"
    phrase: object  # in sentences, with its article: "the recommendation %(label)s"
    label: Callable[[object], str]
    fields: dict[str, object] = field(default_factory=dict)
    link: Link | None = None
    load: tuple = ()  # loader options the label needs


def _assignment_label(a: Assignment) -> str:
    return f"{a.recommendation.reference} → {a.institution.acronym}"


def _evidence_label(e: Evidence) -> str:
    if e.label:
        return e.label
    return e.url or (e.stored_file.filename if e.stored_file else f"#{e.id}")


_REPORT_PAGE = Link("review.report", "report_id", policy.can_review_reports,
                    lambda row: row.report_id)

KINDS: dict[str, Kind] = {
    "app_user": Kind(
        User, _l("User account"), _l("the account of %(label)s"), lambda u: u.name,
        {"email": _l("E-mail"), "name": _l("Name"), "password_hash": _l("Password"),
         "role": _l("Role"), "institution_id": _l("Institution"), "locale": _l("Language"),
         "digest_opt_out": _l("No reminder digest"), "session_token": _l("Sign-in sessions"),
         "last_login_at": _l("Last sign-in"), "is_demo": _l("Demo account")},
        Link("admin.edit_user", "user_id", policy.can_view_users)),
    # Told by its own events (creation, revocation, use), never as a row change.
    "api_token": Kind(
        ApiToken, _l("API token"), _l("the API token %(label)s"),
        lambda t: f"{t.name} (trk_{t.prefix})", {},
        Link("admin.edit_user", "user_id", policy.is_admin, lambda t: t.user_id)),
    "institution": Kind(
        Institution, _l("Institution"), _l("the institution %(label)s"), lambda i: i.acronym,
        {"acronym": _l("Acronym"), "branch": _l("Branch"), "parent_id": _l("Part of")},
        Link("admin.edit_institution", "institution_id", policy.can_edit_reference_data)),
    "mechanism": Kind(
        Mechanism, _l("Mechanism"), _l("the mechanism %(label)s"), lambda m: m.acronym,
        {"family": _l("Family"), "acronym_es": _l("Acronym in Spanish"),
         "acronym_en": _l("Acronym in English")},
        Link("admin.edit_mechanism", "mechanism_id", policy.can_edit_reference_data)),
    "vocabulary": Kind(
        Vocabulary, _l("Vocabulary"), _l("the vocabulary %(label)s"), lambda v: v.name,
        {"applies_to_recommendations": _l("Classifies recommendations"),
         "applies_to_actions": _l("Classifies office actions")},
        Link("admin.vocabulary", "vocabulary_id", policy.can_view_reference_data)),
    "term": Kind(
        Term, _l("Term"), _l("the term %(label)s"), lambda t: t.name,
        {"vocabulary_id": _l("Vocabulary"), "parent_id": _l("Broader term"),
         "merged_into_id": _l("Merged into")},
        Link("admin.edit_term", "term_id", policy.can_edit_reference_data)),
    "term_alias": Kind(
        TermAlias, _l("Label mapping"), _l("the label %(label)s"), lambda a: a.label,
        {"vocabulary_id": _l("Vocabulary"), "key": _l("Label as compared"),
         "label": _l("Label as written"), "term_id": _l("Term it means"),
         "recommendations": _l("Recommendations linked"),
         "recommendation_count": _l("Number of recommendations linked")}),
    "pending_label": Kind(
        PendingLabel, _l("Label to map"), _l("the label to map %(label)s"), lambda p: p.label,
        {"vocabulary_id": _l("Vocabulary"), "key": _l("Label as compared"),
         "label": _l("Label as written"), "first_seen_at": _l("First seen"),
         "first_source": _l("First seen in"), "first_seen_by_id": _l("First seen by")},
        Link("review.label", "label_id", policy.can_curate)),
    "country": Kind(
        Country, _l("Country"), _l("the country %(label)s"), lambda c: c.name,
        {"iso2": _l("ISO code (2 letters)"), "iso3": _l("ISO code (3 letters)")}),
    "document": Kind(
        Document, _l("Document"), _l("the document %(label)s"), lambda d: d.symbol,
        {"mechanism_id": _l("Mechanism"), "symbol": _l("Symbol"), "date": _l("Date"),
         "upr_cycle": _l("UPR cycle"), "session": _l("Session"), "url": _l("Web address")},
        Link("review.edit_document", "document_id", policy.can_curate)),
    "recommendation": Kind(
        Recommendation, _l("Recommendation"), _l("the recommendation %(label)s"),
        lambda r: r.reference,
        {"document_id": _l("Document"), "mechanism_id": _l("Mechanism"),
         "paragraph": _l("Paragraph"), "reference": _l("Reference"),
         "text": _l("Text in its original language"), "language": _l("Language of the text"),
         "text_es": _l("Text in Spanish"), "text_en": _l("Text in English"),
         "text_fr": _l("Text in French"), "text_pt": _l("Text in Portuguese"),
         "type": _l("Type"), "upr_position": _l("UPR position"),
         "follow_up": _l("Follow-up paragraph"), "follow_up_due": _l("Follow-up due date"),
         "is_published": _l("Published"), "uhri_annotation": _l("UHRI annotation"),
         "status": _l("Implementation status"), "status_assessed_at": _l("Assessed on"),
         "recommending_states": _l("Recommending States"), "terms": _l("Classification"),
         "states_concerned": _l("States concerned"),
         "curated_fields": _l("Fields curated by the office")},
        Link("review.recommendation_detail", "rec_id", policy.can_curate)),
    "recommendation_text": Kind(
        RecommendationText, _l("Language version"), _l("a language version of %(label)s"),
        lambda t: f"{t.recommendation.reference} ({t.language})",
        {"recommendation_id": _l("Recommendation"), "language": _l("Language"),
         "text": _l("Text"), "source": _l("Source"), "annotation_id": _l("UHRI annotation"),
         "source_file": _l("File"), "source_row": _l("Row of the file")},
        Link("review.recommendation_detail", "rec_id", policy.can_curate,
             lambda t: t.recommendation_id),
        (joinedload(RecommendationText.recommendation),)),
    "assignment": Kind(
        Assignment, _l("Assignment"), _l("the assignment %(label)s"), _assignment_label,
        {"recommendation_id": _l("Recommendation"), "institution_id": _l("Institution"),
         "role": _l("Role"), "rhythm_months": _l("Reports every (months)"),
         "next_due": _l("Next report due"), "ended_at": _l("Ended on"),
         "created_by_id": _l("Assigned by")},
        Link("review.edit_assignment", "assignment_id", policy.can_assign),
        (joinedload(Assignment.recommendation), joinedload(Assignment.institution))),
    "status_assessment": Kind(
        StatusAssessment, _l("Status assessment"), _l("the assessment of %(label)s"),
        lambda a: a.recommendation.reference,
        {"recommendation_id": _l("Recommendation"), "status": _l("Implementation status"),
         "rationale": _l("Reasons"), "source": _l("Source"),
         "mechanism_grade": _l("Grade given by the mechanism"),
         "source_document": _l("Source document"), "assessed_by_id": _l("Assessed by"),
         "assessed_at": _l("Assessed on"), "reports": _l("Progress reports it rests on")},
        Link("review.recommendation_detail", "rec_id", policy.can_assess,
             lambda row: row.recommendation_id),
        (joinedload(StatusAssessment.recommendation),)),
    "progress_report": Kind(
        ProgressReport, _l("Progress report"), _l("the progress report %(label)s"),
        lambda r: r.title,
        {"institution_id": _l("Institution"), "author_id": _l("Author"),
         "period_start": _l("Period from"), "period_end": _l("Period to"),
         "measure_kind": _l("Kind of measure"), "state": _l("State"),
         "visibility": _l("Who may see it"), "submitted_at": _l("Submitted on"),
         "decided_at": _l("Decided on"), "recommendations": _l("Recommendations")},
        Link("review.report", "report_id", policy.can_review_reports)),
    "report_transition": Kind(
        ReportTransition, _l("Step of a progress report"),
        _l("a step of the progress report %(label)s"), lambda t: t.report.title,
        {"report_id": _l("Progress report"), "from_state": _l("From"), "to_state": _l("To"),
         "actor_id": _l("By"), "at": _l("When"), "comment": _l("Comment"),
         "snapshot": _l("The report as it stood")},
        _REPORT_PAGE, (joinedload(ReportTransition.report),)),
    "evidence": Kind(
        Evidence, _l("Evidence"), _l("the evidence %(label)s"), _evidence_label,
        {"report_id": _l("Progress report"), "kind": _l("Kind"), "label": _l("Label"),
         "url": _l("Web address"), "stored_file_id": _l("File"), "is_public": _l("Public")},
        _REPORT_PAGE, (joinedload(Evidence.stored_file),)),
    "stored_file": Kind(
        StoredFile, _l("Stored file"), _l("the file %(label)s"), lambda f: f.filename,
        {"filename": _l("File name"), "content_type": _l("Type of file"), "size": _l("Size"),
         "sha256": _l("Checksum"), "data": _l("Contents"), "created_by_id": _l("Uploaded by")}),
    "office_action": Kind(
        OfficeAction, _l("Office action"), _l("the office action %(label)s"),
        lambda a: a.title,
        {"kind": _l("Kind of action"), "start_date": _l("Start date"),
         "end_date": _l("End date"), "is_public": _l("Public"),
         "created_by_id": _l("Recorded by"), "terms": _l("Pillars and focus areas"),
         "institutions": _l("Institutions"), "recommendations": _l("Recommendations")},
        Link("review.action_detail", "action_id", policy.can_manage_office_actions)),
}

# Fields several kinds share, labelled once.
COMMON_FIELDS = {
    "name_es": _l("Name in Spanish"), "name_en": _l("Name in English"),
    "description_es": _l("Description in Spanish"),
    "description_en": _l("Description in English"),
    "description": _l("Description"), "title": _l("Title"), "code": _l("Code"),
    "active": _l("Active"), "sort_order": _l("Order in lists"),
}
# Never shown as a change: the key and the stamps of every row (the event has its time).
UNLISTED_FIELDS = {"id", "created_at", "updated_at", "version"}
# Language codes, shown by the language's name.
LANGUAGE_FIELDS = {"locale", "language"}

# Which labels of tracker.i18n.ENUM_LABELS name the values of each enumeration.
ENUM_GROUPS = {
    ImplementationStatus: "status", RecommendationType: "type", UprPosition: "upr_position",
    MechanismFamily: "family", InstitutionBranch: "branch", Role: "role",
    AssignmentRole: "assignment_role", ReportState: "report_state",
    ReportVisibility: "visibility", MeasureKind: "measure_kind",
    OfficeActionKind: "action_kind", AssessmentSource: "source", TextSource: "text_source",
}


def noun(entity_type: str) -> str:
    """Return the name of a kind of record in the reader's language."""
    kind = KINDS.get(entity_type)
    return str(kind.noun) if kind else entity_type


def field_label(entity_type: str, name: str) -> str:
    """Return the reader's-language label of a field of a kind of record."""
    kind = KINDS.get(entity_type)
    found = (kind.fields.get(name) if kind else None) or COMMON_FIELDS.get(name)
    return str(found) if found is not None else name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class FieldType:
    """How the values of one field read: a link to another record, an enum, a date..."""

    refers_to: str | None = None  # table of the record an id names
    enum_group: str | None = None
    kind: str = "text"  # text, bool, date, datetime, language, links


def field_type(entity_type: str, name: str) -> FieldType:
    """Return how the values of a field are shown, read from the model's column."""
    kind = KINDS.get(entity_type)
    if kind is None:
        return FieldType()
    if name in LANGUAGE_FIELDS:
        return FieldType(kind="language")
    table = kind.model.__table__
    if name in table.columns:
        column = table.columns[name]
        for key in column.foreign_keys:
            return FieldType(refers_to=key.column.table.name)
        if isinstance(column.type, Enum) and column.type.enum_class is not None:
            return FieldType(enum_group=ENUM_GROUPS.get(column.type.enum_class))
        if isinstance(column.type, Boolean):
            return FieldType(kind="bool")
        if isinstance(column.type, UTCDateTime):
            return FieldType(kind="datetime")
        if isinstance(column.type, Date):
            return FieldType(kind="date")
        return FieldType()
    relationship = inspect(kind.model).relationships.get(name)
    if relationship is not None:
        return FieldType(refers_to=relationship.mapper.local_table.name, kind="links")
    return FieldType()


@dataclass(frozen=True)
class Record:
    """A record an event mentions, as the trail shows it."""

    entity_type: str
    key: str | None
    label: str
    exists: bool
    page_id: int | None = None  # the id its page takes, when it has one


def _as_int(value) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    # Ids are 64-bit: anything larger names no row and must not reach the database.
    return number if 0 < number < 2**63 else None


def _label_from_values(values: dict) -> str | None:
    # A deleted row is named by what its last event kept of it.
    for name in ("reference", "title", "acronym", "symbol", "name", "label", "filename",
                 "name_en", "name_es", "code", "email"):
        value = values.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _deleted_labels(missing: dict[str, set[int]]) -> dict[tuple[str, int], str]:
    conditions = [and_(AuditEvent.entity_type == entity_type,
                       AuditEvent.entity_id.in_([str(i) for i in ids]))
                  for entity_type, ids in missing.items() if ids]
    if not conditions:
        return {}
    rows = db.session.execute(
        select(AuditEvent.entity_type, AuditEvent.entity_id, AuditEvent.changes)
        .where(AuditEvent.action.in_(("delete", "create")), or_(*conditions))
        .order_by(AuditEvent.id)).all()
    found = {}
    for entity_type, entity_id, changes in rows:
        values = {k: v.get("before", v.get("after")) for k, v in (changes or {}).items()
                  if isinstance(v, dict)}
        label = _label_from_values(values)
        if label:
            found[(entity_type, int(entity_id))] = label
    return found


def load_records(refs: Iterable[tuple[str, object]]) -> dict[tuple[str, str], Record]:
    """Return the records named by (entity type, id) pairs, one query per kind of record."""
    wanted: dict[str, set[int]] = {}
    for entity_type, key in refs:
        number = _as_int(key)
        if entity_type in KINDS and number is not None:
            wanted.setdefault(entity_type, set()).add(number)
    records: dict[tuple[str, str], Record] = {}
    missing: dict[str, set[int]] = {}
    for entity_type, ids in wanted.items():
        kind = KINDS[entity_type]
        rows = db.session.execute(
            select(kind.model).where(kind.model.id.in_(ids)).options(*kind.load)
        ).unique().scalars()
        for row in rows:
            page_id = None
            if kind.link is not None:
                page_id = kind.link.target_id(row) if kind.link.target_id else row.id
            records[(entity_type, str(row.id))] = Record(
                entity_type, str(row.id), kind.label(row) or f"#{row.id}", True, page_id)
        missing[entity_type] = {i for i in ids if (entity_type, str(i)) not in records}
    for (entity_type, number), label in _deleted_labels(missing).items():
        records[(entity_type, str(number))] = Record(entity_type, str(number), label, False)
    return records


def record_for(records: dict[tuple[str, str], Record], entity_type: str, key) -> Record:
    """Return a loaded record, or a stand-in naming it by its number."""
    if key is None:
        return Record(entity_type, None, "", False)
    found = records.get((entity_type, str(key)))
    return found or Record(entity_type, str(key), f"#{key}", False)
