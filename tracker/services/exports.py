"""Exports the office asks for: the status matrix, the status report, the follow-up draft.

A request commits its job row; a worker builds the file (``export_runs``). This module
reads and checks requests, lists and deletes jobs, describes their filters in words and
queues the monthly public snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tracker import policy
from tracker.extensions import db
from tracker.i18n import label
from tracker.ids import parse_id
from tracker.models import (
    Document,
    ImplementationStatus,
    Institution,
    JobState,
    Mechanism,
    ReportFormat,
    ReportJob,
    ReportKind,
    Term,
)
from tracker.services.catalogue import Page
from tracker.services.curation_queries import ReviewFilters
from tracker.services.errors import ServiceError
from tracker.services.notify import enqueue_after_commit
from tracker.services.report_queries import MAX_QUERY_LENGTH
from tracker.services.storage import delete_stored_file

BUILD_TASK = "tracker.tasks.build_export"


@dataclass(frozen=True)
class ExportType:
    """One kind of export in one format, as the request form offers it."""

    code: str
    kind: ReportKind
    format: ReportFormat
    label: str
    description: str
    needs_scope: bool = False   # written for one document or one mechanism
    uses_period: bool = False   # looks back on a period


EXPORT_TYPES: tuple[ExportType, ...] = (
    ExportType("status_matrix.xlsx", ReportKind.STATUS_MATRIX, ReportFormat.XLSX,
               _l("Status matrix (Excel)"),
               _l("One row per recommendation: document, themes, responsible institutions, "
                  "status, last assessment and last approved progress report.")),
    ExportType("status_matrix.csv", ReportKind.STATUS_MATRIX, ReportFormat.CSV,
               _l("Status matrix (CSV)"),
               _l("The same rows as the Excel matrix, as UTF-8 text that any tool can read.")),
    ExportType("status_report.pdf", ReportKind.STATUS_REPORT, ReportFormat.PDF,
               _l("Status report (PDF)"),
               _l("A summary with charts and tables by mechanism, pillar and institution, and "
                  "the office actions of the period."), uses_period=True),
    ExportType("followup_draft.docx", ReportKind.FOLLOWUP_DRAFT, ReportFormat.DOCX,
               _l("Follow-up report draft (Word)"),
               _l("For one document or one mechanism: a section per paragraph with its status "
                  "and the approved progress of each institution, ready to edit."),
               needs_scope=True),
)
_BY_CODE = {t.code: t for t in EXPORT_TYPES}
# What the monthly public snapshot holds, in each language.
SNAPSHOT_TYPES = ("status_matrix.xlsx", "status_matrix.csv", "status_report.pdf")


def export_type(code: str) -> ExportType | None:
    """Return the export type with this code, or None."""
    return _BY_CODE.get(code)


def export_type_of(job: ReportJob) -> ExportType:
    """Return the export type a job builds."""
    return _BY_CODE[f"{job.kind.value}.{job.format.value}"]


@dataclass(frozen=True)
class ExportRequest:
    """A checked request: what to build, over which recommendations, for whom."""

    type: ExportType
    public: bool
    filters: ReviewFilters
    period_start: date | None = None
    period_end: date | None = None

    def as_filters(self) -> dict[str, str]:
        """Return what the job keeps: the list's filters plus the period."""
        args = self.filters.as_args()
        if self.period_start:
            args["period_start"] = self.period_start.isoformat()
        if self.period_end:
            args["period_end"] = self.period_end.isoformat()
        return args


def _refuse(message, field: str):
    raise ServiceError(message, field=field)


def _known_id(form: Mapping[str, str], field: str, model, message) -> int | None:
    raw = (form.get(field) or "").strip()
    if not raw:
        return None
    found = parse_id(raw)
    if found is None or db.session.get(model, found) is None:
        _refuse(message, field)
    return found


def _date(form: Mapping[str, str], field: str) -> date | None:
    raw = (form.get(field) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return _refuse(_l("Give the date as year-month-day, for example 2026-01-31."), field)


def _strict_filters(form: Mapping[str, str]) -> ReviewFilters:
    published = (form.get("published") or "").strip()
    if published not in ("", "yes", "no"):
        _refuse(_l("The publication filter is not one the list offers."), "published")
    status = (form.get("status") or "").strip()
    if status and status not in {s.value for s in ImplementationStatus}:
        _refuse(_l("The status filter is not one the list offers."), "status")
    institution = (form.get("institution") or "").strip()
    q = " ".join((form.get("q") or "").split())
    if len(q) > MAX_QUERY_LENGTH:
        _refuse(_l("The search text is too long."), "q")
    return ReviewFilters(
        published={"yes": True, "no": False}.get(published),
        mechanism_id=_known_id(form, "mechanism", Mechanism,
                               _l("The chosen mechanism does not exist.")),
        document_id=_known_id(form, "document", Document,
                              _l("The chosen document does not exist.")),
        status=ImplementationStatus(status) if status else None,
        institution_id=(None if institution == "none" else _known_id(
            form, "institution", Institution, _l("The chosen institution does not exist."))),
        unassigned=institution == "none",
        term_id=_known_id(form, "term", Term, _l("The chosen term does not exist.")),
        q=q,
    )


def parse_export_request(form: Mapping[str, str]) -> ExportRequest:
    """Read an export request; refuse a malformed type, filter or period with a message."""
    kind = export_type((form.get("type") or "").strip())
    if kind is None:
        _refuse(_l("Choose which export to build."), "type")
    filters = _strict_filters(form)
    public = (form.get("public") or "").strip().lower() in ("y", "yes", "1", "on", "true")
    if public and filters.published is False:
        _refuse(_l("A public version holds only published recommendations: remove the "
                   "“not published” filter or ask for the internal version."), "published")
    if kind.needs_scope and filters.document_id is None and filters.mechanism_id is None:
        _refuse(_l("A follow-up draft is written for one document or one mechanism: filter "
                   "the list by a document or a mechanism first."), "document")
    start, end = _date(form, "period_start"), _date(form, "period_end")
    if start and end and start > end:
        _refuse(_l("The period ends before it starts."), "period_end")
    return ExportRequest(kind, public, filters, start, end)


def request_export(actor, req: ExportRequest) -> ReportJob:
    """Record an export request; the build is enqueued once the request commits."""
    if not policy.can_request_exports(actor):
        raise ServiceError(_l("You may not request exports."), status=403)
    job = ReportJob(kind=req.type.kind, format=req.type.format, filters=req.as_filters(),
                    locale=actor.locale or "es", requested_by_id=actor.id, public=req.public,
                    state=JobState.QUEUED, progress=0, rows=0, attempts=0)
    db.session.add(job)
    db.session.flush()
    enqueue_after_commit(BUILD_TASK, job.id)
    return job


def export_jobs(actor, page: int, per_page: int) -> Page:
    """Return one page of the jobs the actor may see, newest first."""
    query = policy.export_jobs_visible_to(actor, select(ReportJob))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = min(max(page, 1), max(1, -(-total // per_page)))
    items = db.session.scalars(
        query.order_by(ReportJob.created_at.desc(), ReportJob.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all() if total else []
    return Page(items=list(items), total=total, page=page, per_page=per_page)


def find_export(actor, job_id: int) -> ReportJob | None:
    """Return the job when the actor may see it, else None."""
    return db.session.scalar(policy.export_jobs_visible_to(
        actor, select(ReportJob).where(ReportJob.id == job_id)))


def downloadable_export(actor, job_id: int) -> ReportJob | None:
    """Return the job when its file exists and the actor may download it, else None."""
    job = db.session.get(ReportJob, job_id)
    if job is None or not policy.can_download_export(actor, job):
        return None
    return job


def delete_export(actor, job_id: int) -> None:
    """Delete a job and the file it produced."""
    job = find_export(actor, job_id)
    if job is None:
        raise ServiceError(_l("This export does not exist."), status=404)
    if not policy.can_delete_export(actor, job):
        raise ServiceError(_l("You may not delete this export."), status=403)
    stored_id = job.stored_file_id
    db.session.delete(job)
    db.session.flush()
    if stored_id is not None:
        delete_stored_file(stored_id)


def public_exports() -> list[ReportJob]:
    """Return the finished public snapshots, the latest month first."""
    return list(db.session.scalars(
        select(ReportJob).where(ReportJob.public.is_(True), ReportJob.snapshot_key.is_not(None),
                                ReportJob.state == JobState.DONE)
        .order_by(ReportJob.snapshot_key.desc(), ReportJob.id)))


def queue_public_snapshot(month: date, languages: tuple[str, ...] = ("es", "en")) -> list[int]:
    """Queue the month's public snapshot once, in each language; return the new job ids."""
    queued = []
    for code in SNAPSHOT_TYPES:
        kind = _BY_CODE[code]
        for lang in languages:
            key = f"{month:%Y-%m}:{code}:{lang}"
            if db.session.scalar(select(ReportJob.id).where(ReportJob.snapshot_key == key)):
                continue
            try:
                # A second beat may race this one: the unique key keeps one of the two.
                with db.session.begin_nested():
                    job = ReportJob(kind=kind.kind, format=kind.format, filters={}, locale=lang,
                                    public=True, snapshot_key=key, state=JobState.QUEUED,
                                    progress=0, rows=0, attempts=0)
                    db.session.add(job)
                    db.session.flush()
            except IntegrityError:
                continue
            enqueue_after_commit(BUILD_TASK, job.id)
            queued.append(job.id)
    return queued


def _term_name(term_id: int) -> str:
    term = db.session.get(Term, term_id)
    return term.localized("name") if term else str(term_id)


def describe_filters(filters: Mapping[str, str]) -> list[tuple[str, str]]:
    """Say in the current language which recommendations a job covers."""
    described: list[tuple[str, str]] = []
    if (mechanism := parse_id(filters.get("mechanism"))) is not None:
        found = db.session.get(Mechanism, mechanism)
        described.append((_l("Mechanism"), found.localized("name") if found else "?"))
    if (document := parse_id(filters.get("document"))) is not None:
        found = db.session.get(Document, document)
        described.append((_l("Document"), found.symbol if found else "?"))
    if filters.get("status") in {s.value for s in ImplementationStatus}:
        described.append((_l("Status"), label("status", filters["status"])))
    if filters.get("institution") == "none":
        described.append((_l("Institution"), _l("No institution assigned")))
    elif (institution := parse_id(filters.get("institution"))) is not None:
        found = db.session.get(Institution, institution)
        described.append((_l("Institution"), found.localized("name") if found else "?"))
    if (term := parse_id(filters.get("term"))) is not None:
        described.append((_l("Term"), _term_name(term)))
    if filters.get("published") in ("yes", "no"):
        described.append((_l("Publication"), _l("Published") if filters["published"] == "yes"
                          else _l("Not published")))
    if filters.get("q"):
        described.append((_l("Text"), f"“{filters['q']}”"))
    start, end = filters.get("period_start"), filters.get("period_end")
    if start or end:
        shown = [format_date(date.fromisoformat(d), "medium") if d else "…"
                 for d in (start, end)]
        described.append((_l("Period"), " – ".join(shown)))
    return [(str(name), str(value)) for name, value in described]
