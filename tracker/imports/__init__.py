"""Readers that turn source files into neutral recommendation records.

Each reader checks the file's shape at once (raising ImportFileError, which names
the file and what was expected) and then streams RecommendationRecord objects,
with a RowError in their place for a row it cannot read.
"""

from __future__ import annotations

import csv
import io

from tracker.imports.records import (
    ImportFileError,
    Item,
    RecommendationRecord,
    RecordStream,
    RowError,
)
from tracker.imports.tracker_csv import read_tracker_csv
from tracker.imports.uhri_json import read_uhri_json
from tracker.imports.uhri_xlsx import read_uhri_xlsx
from tracker.imports.upr_info import is_upr_info_header, read_upr_info
from tracker.models import ImportFormat

READERS = {
    ImportFormat.UHRI_XLSX: read_uhri_xlsx,
    ImportFormat.UHRI_JSON: read_uhri_json,
    ImportFormat.CSV: read_tracker_csv,
    ImportFormat.UPR_INFO_CSV: read_upr_info,
}

__all__ = [
    "READERS",
    "ImportFileError",
    "Item",
    "RecommendationRecord",
    "RecordStream",
    "RowError",
    "guess_format",
    "open_records",
    "read_head",
    "read_tracker_csv",
    "read_uhri_json",
    "read_uhri_xlsx",
    "read_upr_info",
]


def open_records(fmt: ImportFormat | str, source, name: str | None = None) -> RecordStream:
    """Open a source with the reader of its format."""
    return READERS[ImportFormat(fmt)](source, name)


def guess_format(filename: str, head: bytes | None = None) -> ImportFormat | None:
    """Guess the format from the file name, and for a plain CSV from its header."""
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        return ImportFormat.UHRI_XLSX
    if lower.endswith(".json"):
        return ImportFormat.UHRI_JSON
    if lower.endswith(".gz"):
        return ImportFormat.UPR_INFO_CSV
    if lower.endswith(".csv"):
        if head is not None:
            first_line = head.decode("utf-8-sig", "replace").splitlines()[:1]
            header = next(csv.reader(io.StringIO(first_line[0] if first_line else "")), [])
            if is_upr_info_header(header):
                return ImportFormat.UPR_INFO_CSV
        return ImportFormat.CSV
    return None


def read_head(source, size: int = 4096) -> bytes:
    """Return the first bytes of a path or of bytes (for format guessing)."""
    if isinstance(source, bytes | bytearray):
        return bytes(source[:size])
    with open(source, "rb") as fh:
        return fh.read(size)
