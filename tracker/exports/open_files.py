"""The open-data downloads written as CSV, JSON and XLSX, a batch of rows at a time."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from typing import BinaryIO

import xlsxwriter

from tracker.exports.matrix import _csv_cell, _xlsx_text
from tracker.exports.open_data import (
    COLUMNS,
    HEADER,
    LIST_SEPARATOR,
    RECORD_COLUMNS,
    VERSION_COLUMNS,
    ColumnKind,
    OpenRecord,
    Records,
    Value,
    Version,
)

# Rows gathered before a piece of the answer goes out: large enough that the web server
# writes few pieces, small enough that the piece stays a few hundred kilobytes.
ROWS_PER_CHUNK = 200


def _cell(value: Value) -> str | date | None:
    """One value as a CSV or spreadsheet cell: lists joined, booleans spelled out."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return LIST_SEPARATOR.join(value)
    if isinstance(value, int):
        return str(value)
    return value


def csv_chunks(records: Records) -> Iterator[bytes]:
    """Yield the records as UTF-8 CSV with a byte-order mark (Excel reads the accents)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for rows, (record, version) in enumerate(records.rows(), start=1):
        writer.writerow([_csv_cell(_cell(column.read(record, version))) for column in COLUMNS])
        if rows % ROWS_PER_CHUNK == 0:
            yield _take(buffer)
    yield _take(buffer)


def _take(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8")


def _json_value(value: Value):
    return value.isoformat() if isinstance(value, date) else value


def _json_item(record: OpenRecord) -> dict:
    first = record.versions[0]
    item = {column.name: _json_value(column.read(record, first)) for column in RECORD_COLUMNS}
    item["texts"] = [{column.name: _json_value(column.read(record, version))
                      for column in VERSION_COLUMNS} for version in record.versions]
    return item


def json_chunks(records: Records, about: dict) -> Iterator[bytes]:
    """Yield ``{...about, "count": n, "items": [...]}``, one recommendation an item."""
    head = json.dumps({**about, "count": records.total}, ensure_ascii=False)
    yield (head[:-1] + ', "items": [').encode()
    pieces: list[str] = []
    for number, record in enumerate(records):
        pieces.append(("\n" if number == 0 else ",\n")
                      + json.dumps(_json_item(record), ensure_ascii=False))
        if len(pieces) == ROWS_PER_CHUNK:
            yield "".join(pieces).encode()
            pieces = []
    pieces.append("\n]}\n")
    yield "".join(pieces).encode()


# Characters wide, for the spreadsheet's columns.
_WIDTHS = {ColumnKind.TEXT: 30, ColumnKind.LIST: 30, ColumnKind.DATE: 12,
           ColumnKind.INTEGER: 10, ColumnKind.CODE: 16, ColumnKind.BOOLEAN: 9,
           ColumnKind.URL: 40}


def write_xlsx(records: Records, out: BinaryIO, sheet_name: str) -> int:
    """Write the records as a one-sheet workbook to ``out``; return the rows written."""
    # Constant memory: each row goes to a temporary file as soon as the next one starts.
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True})
    try:
        sheet = workbook.add_worksheet(sheet_name[:31])
        bold = workbook.add_format({"bold": True, "bottom": 1, "bg_color": "#E7EEF7"})
        day = workbook.add_format({"num_format": "yyyy-mm-dd", "align": "left"})
        for number, column in enumerate(COLUMNS):
            width = 60 if column.name == "text" else _WIDTHS[column.kind]
            sheet.set_column(number, number, width)
            sheet.write_string(0, number, column.name, bold)
        sheet.freeze_panes(1, 0)
        rows = 0
        for rows, (record, version) in enumerate(records.rows(), start=1):
            _xlsx_row(sheet, rows, record, version, day)
        sheet.autofilter(0, 0, rows, len(COLUMNS) - 1)
    finally:
        workbook.close()
    return rows


def _xlsx_row(sheet, number: int, record: OpenRecord, version: Version, day) -> None:
    for index, column in enumerate(COLUMNS):
        value = _cell(column.read(record, version))
        if value in (None, ""):
            continue
        if isinstance(value, date):
            sheet.write_datetime(number, index, value, day)
        else:
            # write_string, never write(): a text starting with "=" stays text.
            sheet.write_string(number, index, _xlsx_text(value))
