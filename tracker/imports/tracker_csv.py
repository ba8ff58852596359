"""Read the tracker's own CSV: one recommendation a row, for mechanisms UHRI does not hold."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from tracker.imports.countries import default_resolver
from tracker.imports.records import (
    CellError,
    ImportFileError,
    Item,
    RecommendationRecord,
    RecordStream,
    clean_cells,
    clean_text,
    controls_warning,
    detect_language,
    parse_date,
    parse_int,
    parse_position,
    parse_type,
    read_bytes,
    row_error,
    source_name,
    split_list,
    split_paragraph,
    strip_numbering,
    upr_cycle_for_session,
)

REQUIRED = ("mechanism", "document_symbol", "text")
COLUMNS = REQUIRED + (
    "document_title",
    "document_date",
    "paragraph",
    "type",
    "language",
    "themes",
    "affected_persons",
    "sdgs",
    "upr_position",
    "recommending_states",
    "upr_session",
    "upr_cycle",
    "annotation_id",
    "states_concerned",
)
LIST_SEPARATORS = ";\n"
# The tracker's own CSV exports put a ' before a cell a spreadsheet would take for a
# formula (see ``tracker.exports.matrix``); reading one back drops it.
_QUOTED_FORMULA = ("'=", "'+", "'-", "'@", "'\t", "'\r")


def decode_text(raw: bytes, name: str) -> str:
    """Decode UTF-8 (with or without BOM); refuse anything else naming the first bad row."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # The rows before the bad byte read well: counting them names its row.
        before = raw[:exc.start].decode("utf-8-sig")
        row = sum(1 for _ in csv.reader(io.StringIO(before, newline=""))) or 1
        if before and before[-1] in "\r\n":
            row += 1
        raise ImportFileError(
            f"{name}: not a UTF-8 text file: row {row} holds the byte "
            f"0x{raw[exc.start]:02x}, which UTF-8 does not allow (save the CSV as UTF-8)"
        ) from None


def sniff_delimiter(text: str) -> str:
    """Comma, unless the header has more semicolons (Excel's CSV in Spanish locales)."""
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def read_tracker_csv(source, name: str | None = None) -> RecordStream:
    """Open a tracker CSV and return its records; raise ImportFileError if columns are missing."""
    name = source_name(source, name)
    text = decode_text(read_bytes(source), name)
    if not text.strip():
        raise ImportFileError(f"{name}: the file is empty")
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise ImportFileError(
            f"{name}: missing column(s) {', '.join(missing)}; the tracker CSV has the columns "
            + ", ".join(COLUMNS)
        )
    reader.fieldnames = header
    # Rows, not lines: a quoted cell may hold line breaks.
    total = max(sum(1 for _ in csv.reader(io.StringIO(text, newline=""))) - 1, 0)
    return RecordStream(name, _records(reader, name), total)


def _records(reader: csv.DictReader, name: str) -> Iterator[Item]:
    for number, row in enumerate(reader, start=2):
        values = {k: _unquoted((v or "").strip()) for k, v in row.items() if k}
        if not any(values.values()):
            continue
        cleaned = clean_cells(values)
        try:
            record = csv_record(values, name, number)
        except ValueError as exc:
            yield row_error(name, number, exc)
            continue
        if cleaned:
            record.warnings.append(controls_warning(cleaned))
        yield record


def _unquoted(value: str) -> str:
    return value[1:] if value.startswith(_QUOTED_FORMULA) else value


def _labels(value: str) -> list[str]:
    return [strip_numbering(v) for v in split_list(value, LIST_SEPARATORS) if strip_numbering(v)]


def _cell(row: dict[str, str], column: str, parse):
    """Parse one cell; a value it cannot read refuses the row naming the column."""
    try:
        return parse(row.get(column))
    except ValueError as exc:
        raise CellError(column, str(exc)) from None


def csv_record(row: dict[str, str], name: str, number: int) -> RecommendationRecord:
    """Build a record from one row of the tracker CSV."""
    for column in REQUIRED:
        if not row.get(column):
            raise CellError(column, "the cell is empty")
    text = clean_text(row["text"])
    paragraph = row.get("paragraph") or None
    leading, rest = split_paragraph(text)
    if leading and (paragraph is None or leading == paragraph):
        # The number was typed both in its column and at the start of the text.
        paragraph, text = leading, rest
    language = (row.get("language") or "").lower()[:2]
    if language not in ("es", "en"):
        language = detect_language(text)
    session = row.get("upr_session") or None
    is_upr = row["mechanism"].upper() == "UPR"
    states = split_list(row.get("recommending_states"), LIST_SEPARATORS)
    record = RecommendationRecord(
        source=name,
        row=number,
        mechanism=row["mechanism"],
        document_symbol=row["document_symbol"],
        document_title=row.get("document_title") or None,
        document_date=_cell(row, "document_date", parse_date),
        paragraph=paragraph,
        text=text,
        language=language,
        type=_cell(row, "type", parse_type),
        upr_session=session,
        upr_cycle=parse_int(row.get("upr_cycle"))
        or (upr_cycle_for_session(session) if is_upr else None),
        recommending_states=default_resolver().split_joined(states),
        themes=_labels(row.get("themes", "")),
        affected_persons=_labels(row.get("affected_persons", "")),
        sdgs=split_list(row.get("sdgs"), LIST_SEPARATORS),
        annotation_id=row.get("annotation_id") or None,
        # Empty means the tracker's own State; several are separated like the other lists.
        countries_concerned=split_list(row.get("states_concerned"), LIST_SEPARATORS),
    )
    try:
        record.upr_position = parse_position(row.get("upr_position"))
    except ValueError as exc:
        record.warnings.append(str(exc))
    return record
