"""What the import pages show: the counts, the rows behind one of them a page at a time,
the labels to map with the terms offered, the conflicts to decide, and the job's status."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import format_percent
from sqlalchemy import select

from tracker.extensions import db
from tracker.i18n import label as enum_label
from tracker.imports.result import SUMMARY_WORDS
from tracker.models import ImportJob, Term, Vocabulary
from tracker.services import labels as label_service
from tracker.services.catalogue import Page
from tracker.services.import_reports import (
    CONFLICTS,
    VIEWS,
    changes_nothing,
    load_report,
    rows_page,
)

OUTCOMES = tuple(outcome.value for outcome, _words in SUMMARY_WORDS)
# Labels offered with a form each on the preview; the next ones come once these are mapped.
LABELS_SHOWN = 15


@dataclass
class LabelToMap:
    """A label of the file no term knows, the rows that carry it, and the terms offered."""

    vocabulary: Vocabulary
    label: str
    rows: list[int]
    groups: list[tuple[Vocabulary, list[Term]]]


@dataclass
class ImportPage:
    """Everything the page of one import shows beside the job itself."""

    report: dict | None = None
    counts: list[tuple[str, int]] = field(default_factory=list)
    view: str | None = None
    listing: Page | None = None
    labels: list[LabelToMap] = field(default_factory=list)
    labels_more: int = 0
    conflicts: Page | None = None
    changes_nothing: bool = False


def _default_view(report: dict) -> str | None:
    return next((name for name in OUTCOMES if report["counts"].get(name)), None)


def _labels(report: dict) -> tuple[list[LabelToMap], int]:
    wanted = report["labels"][:LABELS_SHOWN]
    codes = {item["vocabulary"] for item in wanted}
    vocabularies = {v.code: v for v in db.session.scalars(
        select(Vocabulary).where(Vocabulary.code.in_(codes)))} if codes else {}
    groups: dict[int, list] = {}
    found = []
    for item in wanted:
        vocabulary = vocabularies.get(item["vocabulary"])
        if vocabulary is None:
            continue
        if vocabulary.id not in groups:
            groups[vocabulary.id] = label_service.term_choices(vocabulary.id)
        found.append(LabelToMap(vocabulary, item["label"], item["rows"], groups[vocabulary.id]))
    return found, max(0, len(report["labels"]) - LABELS_SHOWN)


def import_page(job: ImportJob, view: str | None, page: int, conflicts_page: int,
                per_page: int) -> ImportPage:
    """Read the job's last report and pick what the page shows of it."""
    report = load_report(job.report_file_id)
    if report is None:
        return ImportPage()
    view = view if view in VIEWS and view != CONFLICTS else _default_view(report)
    labels, more = _labels(report)
    return ImportPage(
        report=report,
        counts=[(name, report["counts"].get(name, 0)) for name in OUTCOMES],
        view=view,
        listing=rows_page(report, view, page, per_page) if view else None,
        labels=labels, labels_more=more,
        conflicts=rows_page(report, CONFLICTS, conflicts_page, per_page)
        if report["conflicts"] else None,
        changes_nothing=changes_nothing(report))


def status_of(job: ImportJob) -> dict:
    """The job's state as the page's script follows it."""
    return {"phase": job.phase.value, "label": enum_label("import_phase", job.phase),
            "progress": job.progress, "percent": format_percent(job.progress / 100),
            "working": job.working, "rows": job.total_rows}
