"""Read the Excel sheet the Universal Human Rights Index exports (16 columns)."""

from __future__ import annotations

import io
import os
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

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
    single,
    source_name,
    split_list,
    split_paragraph,
    trailing_states,
    upr_cycle_for_session,
)
from tracker.models import TextSource

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
                yield row_error(name, number, exc)
    finally:
        workbook.close()


@dataclass(frozen=True)
class UhriLayout:
    """Where one UHRI export layout keeps each field (the Excel columns, the JSON keys)."""

    text: str
    body: str
    symbol: str
    date: str
    session: str
    type: str
    states: str
    themes: str
    affected_persons: str
    sdgs: str
    annotation_id: str
    countries: str
    position: str
    cycle: str | None = None
    # JSON exports star some country names ("State of Palestine*") in both lists.
    starred_countries: bool = False


SHEET_LAYOUT = UhriLayout(
    text="Text", body="Reccomending Body", symbol="Document Symbol",
    date="Document Publication Date", session="UPR Session", type="Type",
    states="UPR Reccomending States", themes="Themes", affected_persons="Affected Persons",
    sdgs="Sdgs", annotation_id="OHCHR Annotation Id", countries="Countries Concerned",
    position="UPR Position",
)


def strip_stars(values: list[str]) -> list[str]:
    """Drop the star real exports put after some names; codes stay as they are."""
    return [v.rstrip("*").strip() for v in values if v.rstrip("*").strip()]


def _required(row: dict, key: str, clean=single) -> str:
    value = clean(row.get(key))
    if not value:
        raise CellError(key, "the cell is empty")
    return value


def _cell(row: dict, key: str, parse):
    """Parse one cell; a value it cannot read refuses the row naming the column."""
    try:
        return parse(row.get(key))
    except ValueError as exc:
        raise CellError(key, str(exc)) from None


def uhri_record(row: dict, name: str, number: int,
                layout: UhriLayout = SHEET_LAYOUT) -> RecommendationRecord:
    """Build a record from one UHRI row or object, read through its layout."""
    cleaned = clean_cells(row)
    raw_text = _required(row, layout.text, clean_text)
    body = _required(row, layout.body)
    symbol = _required(row, layout.symbol)
    paragraph, text = split_paragraph(raw_text)
    is_upr = body.upper() == "UPR"
    states = split_list(row.get(layout.states))
    if not states and is_upr:
        states = default_resolver().split_joined(trailing_states(text))
    session = single(row.get(layout.session)) or None
    cycle = parse_int(single(row.get(layout.cycle))) if layout.cycle else None
    countries = split_list(row.get(layout.countries))
    record = RecommendationRecord(
        source=name,
        row=number,
        mechanism=body,
        document_symbol=symbol,
        text=text,
        paragraph=paragraph,
        document_date=_cell(row, layout.date, parse_date),
        upr_session=session,
        upr_cycle=cycle or (upr_cycle_for_session(session) if is_upr else None),
        language=detect_language(text),
        type=_cell(row, layout.type, parse_type),
        recommending_states=strip_stars(states),
        themes=split_list(row.get(layout.themes)),
        affected_persons=split_list(row.get(layout.affected_persons)),
        sdgs=split_list(row.get(layout.sdgs)),
        annotation_id=single(row.get(layout.annotation_id)) or None,
        text_source=TextSource.UHRI,
        countries_concerned=strip_stars(countries) if layout.starred_countries else countries,
    )
    if cleaned:
        record.warnings.append(controls_warning(cleaned))
    try:
        record.upr_position = parse_position(row.get(layout.position))
    except ValueError as exc:
        record.warnings.append(str(exc))
    return record
