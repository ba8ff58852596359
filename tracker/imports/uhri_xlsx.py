"""Read the Excel sheet the Universal Human Rights Index exports (16 columns)."""

from __future__ import annotations

import io
import os
import warnings
import zipfile
from collections.abc import Iterator

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from tracker.imports.countries import default_resolver
from tracker.imports.records import (
    ImportFileError,
    Item,
    RecommendationRecord,
    RecordStream,
    RowError,
    clean_text,
    detect_language,
    parse_date,
    parse_position,
    parse_type,
    read_bytes,
    single,
    source_name,
    split_list,
    split_paragraph,
    trailing_states,
    upr_cycle_for_session,
)

# Header spelling is OHCHR's own ("Reccomending").
COLUMNS = (
    "Text",
    "Countries Concerned",
    "Reccomending Body",
    "Document Symbol",
    "Themes",
    "Affected Persons",
    "Sdgs",
    "Document Publication Date",
    "UPR Reccomending States",
    "UPR Position",
    "Type",
    "OHCHR Annotation Id",
    "UPR Session",
    "Regions Concerned",
    "Recommending Regions",
    "Date of publication on UHRI",
)
REQUIRED = ("Text", "Reccomending Body", "Document Symbol")


def read_uhri_xlsx(source, name: str | None = None) -> RecordStream:
    """Open a UHRI Excel export and return its records; raise ImportFileError if it is not one."""
    name = source_name(source, name)
    data = source if isinstance(source, str | os.PathLike) else io.BytesIO(read_bytes(source))
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles it ignores; they say nothing about the data.
            warnings.simplefilter("ignore", UserWarning)
            workbook = load_workbook(data, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ImportFileError(
            f"{name}: not an Excel workbook (.xlsx) as exported by UHRI ({exc})"
        ) from None
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    positions = {str(cell).strip(): i for i, cell in enumerate(header) if cell is not None}
    missing = [column for column in REQUIRED if column not in positions]
    if missing:
        workbook.close()
        raise ImportFileError(
            f"{name}: missing column(s) {', '.join(missing)}; a UHRI export has the columns "
            + ", ".join(COLUMNS)
        )
    total = (sheet.max_row - 1) if sheet.max_row else None
    return RecordStream(name, _records(workbook, rows, positions, name), total)


def _records(workbook, rows, positions: dict[str, int], name: str) -> Iterator[Item]:
    try:
        for number, values in enumerate(rows, start=2):
            if not any(v not in (None, "") for v in values):
                continue
            row = {col: values[i] if i < len(values) else None for col, i in positions.items()}
            try:
                yield uhri_record(row, name, number)
            except ValueError as exc:
                yield RowError(name, number, str(exc))
    finally:
        workbook.close()


def uhri_record(row: dict, name: str, number: int) -> RecommendationRecord:
    """Build a record from one UHRI row keyed by the export's column names."""
    raw_text = clean_text(row.get("Text"))
    if not raw_text:
        raise ValueError("'Text' is empty")
    body = single(row.get("Reccomending Body"))
    if not body:
        raise ValueError("'Reccomending Body' is empty")
    symbol = single(row.get("Document Symbol"))
    if not symbol:
        raise ValueError("'Document Symbol' is empty")
    paragraph, text = split_paragraph(raw_text)
    resolver = default_resolver()
    states = split_list(row.get("UPR Reccomending States"))
    if not states and body.upper() == "UPR":
        states = resolver.split_joined(trailing_states(text))
    session = single(row.get("UPR Session")) or None
    record = RecommendationRecord(
        source=name,
        row=number,
        mechanism=body,
        document_symbol=symbol,
        text=text,
        paragraph=paragraph,
        document_date=parse_date(row.get("Document Publication Date")),
        upr_session=session,
        upr_cycle=upr_cycle_for_session(session) if body.upper() == "UPR" else None,
        language=detect_language(text),
        type=parse_type(row.get("Type")),
        recommending_states=[s.rstrip("*").strip() for s in states],
        themes=split_list(row.get("Themes")),
        affected_persons=split_list(row.get("Affected Persons")),
        sdgs=split_list(row.get("Sdgs")),
        annotation_id=single(row.get("OHCHR Annotation Id")) or None,
        countries_concerned=split_list(row.get("Countries Concerned")),
    )
    try:
        record.upr_position = parse_position(row.get("UPR Position"))
    except ValueError as exc:
        record.warnings.append(str(exc))
    return record
