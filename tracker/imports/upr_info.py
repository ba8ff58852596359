"""Read the UPR Info database export: one row per recommending State.

A joint recommendation appears once per State that made it; rows with the same
State under review, session and text are one recommendation. The export is
grouped by State under review and session, so the reader holds one such block at
a time and streams the rest (a 270,000-row file never sits in memory whole).
"""

from __future__ import annotations

import csv
import gzip
import html
import io
import os
from collections.abc import Iterator

from tracker.imports.countries import alpha3, default_resolver
from tracker.imports.records import (
    ImportFileError,
    Item,
    RecommendationRecord,
    RecordStream,
    RowError,
    clean_text,
    read_bytes,
    source_name,
    upr_cycle_for_session,
)
from tracker.models import UprPosition

REQUIRED = ("To", "Text", "From", "Response", "Issue", "Session")
COLUMNS = ("To", "To-Rgrp", "To-Org", "Text", "From", "From-Rgrp", "From-Org", "Response",
           "Action", "Issue", "Session")
RESPONSES = {
    "accepted": UprPosition.SUPPORTED,
    "supported": UprPosition.SUPPORTED,
    "noted": UprPosition.NOTED,
    "pending": UprPosition.PENDING,
}
SYMBOL_PREFIX = "UPR Info"


def read_upr_info(source, name: str | None = None) -> RecordStream:
    """Open a UPR Info CSV (gzipped or not); return one record per joint recommendation."""
    name = source_name(source, name)
    opener = _opener(source, name)
    try:
        with opener() as fh:
            header = next(csv.reader(fh), [])
            # Counting rows streams the file once more; it gives the job its progress bar.
            total = sum(1 for _ in csv.reader(fh))
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"{name}: not a UTF-8 CSV file, plain or gzipped ({exc})") from None
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise ImportFileError(
            f"{name}: missing column(s) {', '.join(missing)}; a UPR Info export has the "
            "columns " + ", ".join(COLUMNS)
        )
    return RecordStream(name, _records(opener, name), total)


def _opener(source, name: str):
    """Return a function opening the source as text again each time, gunzipping if needed."""
    if isinstance(source, str | os.PathLike):
        path = source

        def open_path():
            with open(path, "rb") as probe:
                gzipped = probe.read(2) == b"\x1f\x8b"
            if gzipped:
                return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
            return open(path, encoding="utf-8-sig", newline="")

        return open_path
    raw = read_bytes(source)

    def open_bytes():
        stream = io.BytesIO(raw)
        if raw[:2] == b"\x1f\x8b":
            stream = gzip.GzipFile(fileobj=stream)
        return io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")

    return open_bytes


def is_upr_info_header(header: list[str]) -> bool:
    """Whether a CSV header is the UPR Info layout (used to guess the format)."""
    return all(column in header for column in ("To", "From", "Response", "Session"))


def _records(opener, name: str) -> Iterator[Item]:
    with opener() as fh:
        rows = csv.DictReader(fh)
        block_key = None
        block: dict[str, tuple[RecommendationRecord, set]] = {}
        errors: list[RowError] = []
        for number, row in enumerate(rows, start=2):
            key = (row.get("To") or "", row.get("Session") or "")
            if key != block_key:
                yield from _finish(block, errors)
                block, errors, block_key = {}, [], key
            _add_row(block, errors, row, name, number)
        yield from _finish(block, errors)


def _finish(block: dict[str, tuple[RecommendationRecord, set]],
            errors: list[RowError]) -> Iterator[Item]:
    yield from errors
    for record, positions in block.values():
        # States answered one joint recommendation differently only by mistake; say both.
        if len(positions) > 1:
            record.upr_position = UprPosition.SUPPORTED_NOTED
        elif positions:
            record.upr_position = next(iter(positions))
        yield record


def _add_row(block, errors, row: dict, name: str, number: int) -> None:
    text = clean_text(row.get("Text"))
    under_review = (row.get("To") or "").strip()
    session = (row.get("Session") or "").strip()
    if not text:
        errors.append(RowError(name, number, "'Text' is empty"))
        return
    if not session:
        errors.append(RowError(name, number, "'Session' is empty"))
        return
    code = default_resolver().resolve(under_review)
    if code is None:
        errors.append(RowError(name, number, f"unknown State under review '{under_review}'"))
        return
    state = html.unescape((row.get("From") or "").strip())
    response = (row.get("Response") or "").strip()
    position = RESPONSES.get(response.lower())
    if text not in block:
        record = RecommendationRecord(
            source=name,
            row=number,
            mechanism="UPR",
            document_symbol=f"{SYMBOL_PREFIX}/{alpha3(code)}/{session}",
            document_title=f"Universal Periodic Review of {under_review}, session {session} "
            "(UPR Info database)",
            upr_session=session,
            upr_cycle=upr_cycle_for_session(session),
            text=text,
            language="en",
            themes=[t.strip() for t in (row.get("Issue") or "").split(",") if t.strip()],
            countries_concerned=[under_review],
        )
        block[text] = (record, set())
    record, positions = block[text]
    if response and position is None:
        record.warnings.append(f"row {number}: unknown response '{response}'")
    if position:
        positions.add(position)
    if state and state not in record.recommending_states:
        record.recommending_states.append(state)
