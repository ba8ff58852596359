"""Builders of output documents: the status matrix, the status report, the follow-up draft.

Named "exports" so that they are never confused with the progress reports that ministry
staff write (the code calls those "reports"). Each builder reads a ``Selection`` and writes
one file to a binary stream; ``tracker.services.exports`` runs them inside a worker, stores
the file and records the job's progress.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import BinaryIO

from sqlalchemy import Select


@dataclass(frozen=True)
class Selection:
    """Which recommendations an export covers, for whom, and how to describe them."""

    # SELECT Recommendation.id of every row in scope: filters and visibility already applied.
    ids: Select
    # Only public information: published recommendations, public progress and office actions.
    public: bool
    locale: str
    # The filters in words, for a cover or a heading ("Mecanismo: EPU · Estado: en curso").
    description: list[tuple[str, str]]
    generated_at: datetime
    # The period a status report looks back on (office actions, status changes); inclusive.
    period_start: date | None = None
    period_end: date | None = None
    # The one document or mechanism a follow-up draft is written for.
    document_id: int | None = None
    mechanism_id: int | None = None
    filters: dict[str, str] = field(default_factory=dict)


# Called with (rows done, rows in all) as a builder goes; the runner records it on the job.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Built:
    """What a builder produced: the file's name and type, and how many recommendations."""

    filename: str
    content_type: str
    rows: int


Builder = Callable[[Selection, BinaryIO, Progress], Built]


def pick_name(locale: str, es: str | None, en: str | None) -> str:
    """Return a name in the language asked for, else in the other one (read as columns)."""
    first, second = (es, en) if locale == "es" else (en, es)
    return first or second or ""

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
