"""The full report of an import run: every row's outcome, kept as a stored JSON file.

A file of 41,000 rows gives a report of a few megabytes: it is stored beside the upload
(``storage.store_stream``), not in the job's row, which keeps only the counts. The
screens read it back and show the rows behind each count a page at a time.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

from tracker.imports.result import ImportResult, Outcome
from tracker.models import StoredFile
from tracker.services.catalogue import Page
from tracker.services.storage import iter_stored_bytes, store_stream

REPORT_VERSION = 1
REPORT_TYPE = "application/json"
# The listings the report page offers besides the outcomes.
WARNINGS, CONFLICTS = "warnings", "conflicts"
VIEWS = (*(outcome.value for outcome in Outcome), WARNINGS, CONFLICTS)


def build_report(result: ImportResult, filename: str) -> dict:
    """Return everything the run found, row by row, as plain data."""
    outcomes = [
        [row, outcome.value, result.references.get(row), result.changed_fields.get(row),
         result.into.get(row)]
        for row, outcome in sorted(result.outcomes.items()) if outcome != Outcome.REFUSED]
    return {
        "version": REPORT_VERSION,
        "file": filename,
        "dry_run": result.dry_run,
        "rows": result.rows,
        "records": result.records,
        "counts": {outcome.value: result.count(outcome) for outcome in Outcome},
        "documents_created": result.documents_created,
        "outcomes": outcomes,
        "errors": [_problem(error) for error in result.errors],
        "warnings": [_problem(warning) for warning in result.warnings],
        "conflicts": [[row, [c.as_dict() for c in found]]
                      for row, found in sorted(result.conflicts.items())],
        "labels": [{"vocabulary": vocabulary, "label": label, "rows": rows}
                   for vocabulary, label, rows in result.labels_waiting],
    }


def _problem(error) -> dict:
    return {"row": error.row, "column": error.column, "message": error.message,
            "file": error.source}


def counts_of(report: dict) -> dict:
    """Return the totals a job keeps for its history line."""
    return {"rows": report["rows"], **report["counts"],
            "conflicts": len(report["conflicts"]), "warnings": len(report["warnings"]),
            "labels": len(report["labels"]), "documents": report["documents_created"]}


def store_report(report: dict, filename: str, owner_id: int | None) -> StoredFile:
    """Store a report as a JSON file; flush and return it."""
    data = json.dumps(report, ensure_ascii=False, separators=(",", ":")).encode()
    return store_stream(io.BytesIO(data), f"{filename}.report.json", REPORT_TYPE, owner_id)


def load_report(stored_file_id: int | None) -> dict | None:
    """Read a stored report back (None when there is none)."""
    if stored_file_id is None:
        return None
    data = b"".join(iter_stored_bytes(stored_file_id))
    return json.loads(data) if data else None


# --- reading it a page at a time -------------------------------------------------------------

@dataclass
class RowLine:
    """One row of the file as the report page lists it."""

    row: int | None
    outcome: str
    reference: str | None = None
    fields: list[str] = field(default_factory=list)
    into: int | None = None
    column: str | None = None
    message: str | None = None


@dataclass
class ConflictLine:
    """A row whose file values differ from what the office curated, field by field."""

    row: int
    reference: str | None
    conflicts: list[dict]

    @property
    def take_file(self) -> bool:
        return any(c.get("overwritten") for c in self.conflicts)


def _page(items: list, page: int, per_page: int) -> Page:
    total = len(items)
    page = min(max(page, 1), max(1, -(-total // per_page)))
    start = (page - 1) * per_page
    return Page(items=items[start:start + per_page], total=total, page=page, per_page=per_page)


def rows_page(report: dict, view: str, page: int, per_page: int) -> Page:
    """Return one page of the rows behind a count (or of the warnings, or conflicts)."""
    if view == CONFLICTS:
        references = {line[0]: line[2] for line in report["outcomes"]}
        lines = [ConflictLine(row, references.get(row), found)
                 for row, found in report["conflicts"]]
        return _page(lines, page, per_page)
    if view in (Outcome.REFUSED.value, WARNINGS):
        source = report["errors"] if view == Outcome.REFUSED.value else report["warnings"]
        lines = [RowLine(p["row"], view, column=p.get("column"), message=p["message"])
                 for p in source]
        return _page(lines, page, per_page)
    lines = [RowLine(row, outcome, reference, fields or [], into)
             for row, outcome, reference, fields, into in report["outcomes"]
             if outcome == view]
    return _page(lines, page, per_page)


def changes_nothing(report: dict) -> bool:
    """Whether the run creates and updates nothing."""
    counts = report["counts"]
    return not (counts.get(Outcome.CREATED.value) or counts.get(Outcome.UPDATED.value))
