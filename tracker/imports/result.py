"""What an import did with every row of its file, in the words a reviewer uses.

Each row of the file ends in exactly one outcome, so the counts add up to the file's
rows: a recommendation created or updated (with the fields that changed), unchanged,
merged into the recommendation another row made (a co-sponsor's row of a joint UPR
recommendation, the same paragraph met again), replaced by a later row with the same
annotation id (last one wins), not for this State, or refused (row, column, reason).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from tracker.imports.records import RowError


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    MERGED = "merged"
    REPLACED = "replaced"
    # Left out because the record concerns another State: counted here once the tracker
    # knows its State (issue 9, point 4); nothing sets it yet.
    NOT_FOR_STATE = "not_for_state"
    REFUSED = "refused"


# The order the summary tells them in, with the words it uses.
SUMMARY_WORDS = (
    (Outcome.CREATED, "created"),
    (Outcome.UPDATED, "updated"),
    (Outcome.UNCHANGED, "unchanged"),
    (Outcome.MERGED, "merged into another row's recommendation"),
    (Outcome.REPLACED, "replaced by a later row"),
    (Outcome.NOT_FOR_STATE, "not for this State"),
    (Outcome.REFUSED, "refused"),
)


@dataclass
class Conflict:
    """A field the office curated that the file would change: the file says X, the office Y."""

    field: str
    file_value: object
    office_value: object
    # Replaced anyway, because the person importing asked to overwrite curated values.
    overwritten: bool = False

    def as_dict(self) -> dict:
        return {"field": self.field, "file": self.file_value, "office": self.office_value,
                "overwritten": self.overwritten}


@dataclass
class ImportResult:
    """Every row of one import and what became of it."""

    dry_run: bool = False
    # Rows of the file that hold data (a joint UPR Info recommendation's rows are all
    # counted), and the records the reader made of them.
    rows: int = 0
    records: int = 0
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    # Updated rows: the fields the import changed on their recommendation.
    changed_fields: dict[int, list[str]] = field(default_factory=dict)
    # Merged and replaced rows: the row whose recommendation they joined or that replaced
    # them.
    into: dict[int, int] = field(default_factory=dict)
    # Created and updated rows: the reference of their recommendation.
    references: dict[int, str] = field(default_factory=dict)
    documents_created: int = 0
    # Labels no term knew, queued for the office to map ("vocabulary: label").
    labels_queued: list[str] = field(default_factory=list)
    # Every label no term knows, new or already waiting, with the rows that carry it:
    # (vocabulary, label, rows).
    labels_waiting: list[tuple[str, str, list[int]]] = field(default_factory=list)
    # Rows whose file values differ from what the office curated, field by field.
    conflicts: dict[int, list[Conflict]] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    last_row: int = 0
    # Rows read without a row number (records built by hand): numbered after the file.
    _anonymous: int = 0

    # -- recording ---------------------------------------------------------------------

    def key(self, row: int | None) -> int:
        """Return the row number to account a row under (a made-up one if it has none)."""
        if row is not None:
            return row
        self._anonymous -= 1
        return self._anonymous

    def set(self, row: int, outcome: Outcome, *, into: int | None = None,
            fields: list[str] | None = None, reference: str | None = None) -> None:
        """Record (or correct) what became of one row."""
        self.outcomes[row] = outcome
        self.changed_fields.pop(row, None)
        self.into.pop(row, None)
        if outcome == Outcome.UPDATED:
            self.changed_fields[row] = sorted(fields or [])
        if into is not None:
            self.into[row] = into
        if outcome == Outcome.REPLACED:
            self.conflicts.pop(row, None)  # the later row's own conflicts are the ones
        if reference is not None:
            self.references[row] = reference

    def refuse(self, error: RowError) -> None:
        """Record a row the import refused, with its reason."""
        self.errors.append(error)
        self.outcomes[self.key(error.row)] = Outcome.REFUSED

    # -- reading -----------------------------------------------------------------------

    def rows_with(self, outcome: Outcome) -> list[int]:
        """Return the rows (file order) that ended in this outcome."""
        return sorted(row for row, found in self.outcomes.items() if found == outcome)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for found in self.outcomes.values() if found == outcome)

    @property
    def created(self) -> int:
        return self.count(Outcome.CREATED)

    @property
    def updated(self) -> int:
        return self.count(Outcome.UPDATED)

    @property
    def unchanged(self) -> int:
        return self.count(Outcome.UNCHANGED)

    @property
    def merged(self) -> int:
        return self.count(Outcome.MERGED)

    @property
    def replaced(self) -> int:
        return self.count(Outcome.REPLACED)

    @property
    def not_for_state(self) -> int:
        return self.count(Outcome.NOT_FOR_STATE)

    @property
    def refused(self) -> int:
        return self.count(Outcome.REFUSED)

    @property
    def skipped(self) -> int:
        """Rows that neither created nor updated a recommendation (the job's third count)."""
        return self.rows - self.created - self.updated

    @property
    def changed_nothing(self) -> bool:
        return not (self.created or self.updated)

    def summary(self) -> str:
        """Say what became of the file's rows: '41,066 rows: 39,889 created, ...'."""
        parts = [f"{self.count(outcome):,} {words}" for outcome, words in SUMMARY_WORDS
                 if self.count(outcome) or outcome in (Outcome.CREATED, Outcome.UPDATED)]
        if self.dry_run:
            parts[0] = f"{self.created:,} would be created"
        text = f"{self.rows:,} {'row' if self.rows == 1 else 'rows'}: {', '.join(parts)}"
        if self.dry_run:
            text = f"dry run, nothing saved; {text}"
        elif self.changed_nothing:
            text += " (nothing changed)"
        if self.conflicts:
            count = len(self.conflicts)
            kept = "replaced" if all(c.overwritten for found in self.conflicts.values()
                                     for c in found) else "kept"
            text += (f"; {count:,} {'row differs' if count == 1 else 'rows differ'} from "
                     f"values the office curated ({kept})")
        if self.warnings:
            count = len(self.warnings)
            text += f"; {count:,} {'warning' if count == 1 else 'warnings'}"
        return text

    def report(self) -> dict:
        """Return the whole outcome as plain data (kept with an import job)."""
        return {
            "rows": self.rows,
            "records": self.records,
            "counts": {outcome.value: self.count(outcome) for outcome in Outcome},
            "rows_by_outcome": {outcome.value: self.rows_with(outcome) for outcome in Outcome
                                if outcome != Outcome.REFUSED},
            "changed_fields": {str(row): fields for row, fields in self.changed_fields.items()},
            "into": {str(row): other for row, other in self.into.items()},
            "conflicts": {str(row): [c.as_dict() for c in found]
                          for row, found in sorted(self.conflicts.items())},
        }


@dataclass
class Account:
    """The row that answers for a recommendation in this run, and what it did to it."""

    row: int
    outcome: Outcome
    fields: set[str]


class Ledger:
    """The recommendations one run wrote, each with the row that answers for it."""

    def __init__(self, result: ImportResult) -> None:
        self.result = result
        self.accounts: dict[int, Account] = {}

    def __contains__(self, rec_id: int | None) -> bool:
        return rec_id in self.accounts

    def row_of(self, rec_id: int) -> int:
        return self.accounts[rec_id].row

    def created(self, rec_id: int, row: int, reference: str) -> None:
        self.accounts[rec_id] = Account(row, Outcome.CREATED, set())
        self.result.set(row, Outcome.CREATED, reference=reference)

    def written(self, rec_id: int, row: int, fields: set[str], reference: str, *,
                merge: bool = False, replaces: int | None = None) -> None:
        """Record what a row did to a stored recommendation (and to earlier rows)."""
        account = self.accounts.get(rec_id)
        if merge and account is not None:
            # Another row's recommendation: this row joins it, and may change it.
            self.result.set(row, Outcome.MERGED, into=account.row)
            if fields and account.outcome != Outcome.CREATED:
                account.outcome, account.fields = Outcome.UPDATED, account.fields | fields
                self.result.set(account.row, Outcome.UPDATED, fields=sorted(account.fields))
            return
        outcome = Outcome.UPDATED if fields else Outcome.UNCHANGED
        if replaces is not None and account is not None:
            # Last one wins: the earlier row's changes are this row's now.
            self.result.set(replaces, Outcome.REPLACED, into=row)
            fields = fields | account.fields
            outcome = (Outcome.CREATED if account.outcome == Outcome.CREATED
                       else Outcome.UPDATED if fields else Outcome.UNCHANGED)
        self.accounts[rec_id] = Account(row, outcome, fields)
        self.result.set(row, outcome, fields=sorted(fields), reference=reference)
