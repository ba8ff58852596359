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
    clean_cells,
    clean_text,
    controls_warning,
    read_bytes,
    source_name,
    upr_cycle_for_session,
)
from tracker.models import TextSource, UprPosition

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
            rows = csv.reader(_lines(fh, name))
            header = next(rows, [])
            # Counting rows streams the file once more; it gives the job its progress bar.
            total = sum(1 for row in rows if row)
    except (OSError, EOFError) as exc:
        raise ImportFileError(f"{name}: not a UTF-8 CSV file, plain or gzipped ({exc})") from None
    if not header:
        raise ImportFileError(f"{name}: the file is empty")
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise ImportFileError(
            f"{name}: missing column(s) {', '.join(missing)}; a UPR Info export has the "
            "columns " + ", ".join(COLUMNS)
        )
    return RecordStream(name, _records(opener, name), total)


def _opener(source, name: str):
    """Return a function opening the source as bytes again each time, gunzipping if needed."""
    if isinstance(source, str | os.PathLike):
        path = source

        def open_path():
            with open(path, "rb") as probe:
                gzipped = probe.read(2) == b"\x1f\x8b"
            return gzip.open(path, "rb") if gzipped else open(path, "rb")

        return open_path
    raw = read_bytes(source)

    def open_bytes():
        stream = io.BytesIO(raw)
        return gzip.GzipFile(fileobj=stream) if raw[:2] == b"\x1f\x8b" else stream

    return open_bytes


def _lines(binary, name: str) -> Iterator[str]:
    """Decode the file line by line, so that a byte UTF-8 does not allow names its row."""
    row = 1  # the header is row 1; a quoted cell may span lines, so rows are counted apart
    quoted = False
    for number, line in enumerate(binary):
        try:
            text = line.decode("utf-8-sig" if number == 0 else "utf-8")
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                f"{name}: not a UTF-8 CSV file: row {row} holds the byte "
                f"0x{line[exc.start]:02x}, which UTF-8 does not allow (save the file as UTF-8)"
            ) from None
        # An odd number of quotes opens or closes a quoted cell that goes on to the next line.
        if text.count('"') % 2:
            quoted = not quoted
        if not quoted:
            row += 1
        yield text


def is_upr_info_header(header: list[str]) -> bool:
    """Whether a CSV header is the UPR Info layout (used to guess the format)."""
    return all(column in header for column in ("To", "From", "Response", "Session"))


def _records(opener, name: str) -> Iterator[Item]:
    with opener() as fh:
        rows = csv.DictReader(_lines(fh, name))
        block_key = None
        block: dict[str, tuple[RecommendationRecord, set]] = {}
        errors: list[RowError] = []
        number = 1
        for row in rows:
            number += 1  # as a spreadsheet numbers them: the header is row 1
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
    cleaned = clean_cells(row)
    text = clean_text(row.get("Text"))
    under_review = (row.get("To") or "").strip()
    session = (row.get("Session") or "").strip()
    if not text:
        errors.append(RowError(name, number, "the cell is empty", column="Text"))
        return
    if not session:
        errors.append(RowError(name, number, "the cell is empty", column="Session"))
        return
    code = default_resolver().resolve(under_review)
    if code is None:
        errors.append(RowError(name, number, f"unknown State under review '{under_review}'",
                               column="To"))
        return
    state = html.unescape((row.get("From") or "").strip())
    response = (row.get("Response") or "").strip()
    position = RESPONSES.get(response.lower())
    themes = [t.strip() for t in (row.get("Issue") or "").split(",") if t.strip()]
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
            text_source=TextSource.UPR_INFO,
            countries_concerned=[under_review],
        )
        block[text] = (record, set())
    else:
        block[text][0].merged_rows.append(number)
    record, positions = block[text]
    # A co-sponsor's row may name issues the first row did not: the recommendation has all.
    record.themes += [theme for theme in themes if theme not in record.themes]
    if cleaned:
        record.warnings.append(f"row {number}: {controls_warning(cleaned)}")
    if response and position is None:
        record.warnings.append(f"row {number}: unknown response '{response}'")
    if position:
        positions.add(position)
    if state and state not in record.recommending_states:
        record.recommending_states.append(state)
