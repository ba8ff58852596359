"""The status matrix as a spreadsheet (XLSX) and as open data (CSV), written row by row."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

import xlsxwriter
from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _

from tracker.exports import CSV_TYPE, XLSX_TYPE, Built, Progress, Selection
from tracker.exports.rows import Kind, MatrixColumn, iter_matrix_rows, matrix_columns

# Excel refuses longer cells; the rest of such a text is cut and marked.
XLSX_CELL_LIMIT = 32_767
ELLIPSIS = "…"
# What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMATS = {"es": "dd/mm/yyyy", "en": "yyyy-mm-dd"}


def _local_day(moment: datetime) -> date:
    if moment.tzinfo is None:
        return moment.date()
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "UTC"))
    return moment.astimezone(zone).date()


def matrix_filename(selection: Selection, extension: str) -> str:
    """Name the file in the selection's language, e.g. matriz-de-estado-2026-11-30.xlsx."""
    stem = _("status-matrix-public") if selection.public else _("status-matrix")
    return f"{stem}-{_local_day(selection.generated_at).isoformat()}.{extension}"


def _xlsx_text(value: str) -> str:
    if len(value) > XLSX_CELL_LIMIT:
        return value[:XLSX_CELL_LIMIT - len(ELLIPSIS)] + ELLIPSIS
    return value


def _write_about(workbook, selection: Selection, rows: int) -> None:
    sheet = workbook.add_worksheet(_("About")[:31])
    title = workbook.add_format({"bold": True, "font_size": 14})
    bold = workbook.add_format({"bold": True, "valign": "top"})
    value = workbook.add_format({"text_wrap": True, "valign": "top", "align": "left"})
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 80)
    sheet.write_string(0, 0, _("Status matrix of the recommendations"), title)
    sheet.write_string(2, 0, _("Generated on"), bold)
    sheet.write_string(2, 1, format_datetime(selection.generated_at, "medium"), value)
    sheet.write_string(3, 0, _("Recommendations"), bold)
    sheet.write_number(3, 1, rows, value)
    sheet.write_string(4, 0, _("Variant"), bold)
    sheet.write_string(4, 1, _("Public: published information only") if selection.public
                       else _("Internal: for office staff"), value)
    sheet.write_string(5, 0, _("Filters"), bold)
    filters = [f"{label}: {shown}" for label, shown in selection.description]
    for number, line in enumerate(filters or [_("None: every recommendation in scope")],
                                  start=5):
        sheet.write_string(number, 1, _xlsx_text(line), value)
    if not rows:
        sheet.write_string(6 + max(len(filters), 1), 0,
                           _("No recommendation matches this selection."))


def _write_data(workbook, selection: Selection, columns: list[MatrixColumn],
                progress: Progress) -> int:
    sheet = workbook.add_worksheet(_("Status matrix")[:31])
    header = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top",
                                  "bottom": 1, "bg_color": "#E7EEF7"})
    plain = workbook.add_format({"valign": "top"})
    wrapped = workbook.add_format({"valign": "top", "text_wrap": True})
    day = workbook.add_format({"valign": "top", "align": "left",
                               "num_format": DATE_FORMATS.get(selection.locale, "yyyy-mm-dd")})
    formats = {Kind.TEXT: plain, Kind.WRAPPED: wrapped, Kind.DATE: day}
    for number, column in enumerate(columns):
        sheet.set_column(number, number, column.width)
        sheet.write_string(0, number, _xlsx_text(column.header), header)
    # Constant-memory mode writes each row out as soon as the next one starts, so the
    # pane, widths and filter are set up front or are sheet-wide (the filter's range is
    # only stored, and written when the workbook closes).
    sheet.freeze_panes(1, 0)
    # Per column, once: where it goes, how to read it, how to write it (a quarter of a
    # million rows make every step of the inner loop count).
    plan = [(number, column.value, column.kind is not Kind.DATE,
             sheet.write_string if column.kind is not Kind.DATE else sheet.write_datetime,
             formats[column.kind])
            for number, column in enumerate(columns)]
    rows = 0
    for rows, record in enumerate(iter_matrix_rows(selection, progress), start=1):
        for number, read, is_text, write, cell_format in plan:
            value = read(record)
            if not value:
                continue
            if is_text and len(value) > XLSX_CELL_LIMIT:
                value = _xlsx_text(value)
            # write_string, never write(): a text starting with "=" stays text.
            write(rows, number, value, cell_format)
    sheet.autofilter(0, 0, rows, len(columns) - 1)
    return rows


def build_status_matrix_xlsx(selection: Selection, out: BinaryIO, progress: Progress) -> Built:
    """Write the status matrix as an Excel workbook: the data, then a sheet about it."""
    columns = matrix_columns(selection)
    # Constant memory: rows go to a temporary file as they are written, strings inline
    # (no shared-string table held until the end).
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True})
    try:
        rows = _write_data(workbook, selection, columns, progress)
        _write_about(workbook, selection, rows)
        workbook.set_properties({"title": _("Status matrix of the recommendations")})
    finally:
        workbook.close()
    return Built(matrix_filename(selection, "xlsx"), XLSX_TYPE, rows)


def _csv_cell(value: str | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        # ISO dates: every spreadsheet, whatever its language, reads them as dates.
        return value.isoformat()
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def build_status_matrix_csv(selection: Selection, out: BinaryIO, progress: Progress) -> Built:
    """Write the status matrix as UTF-8 CSV with a byte-order mark, so that Excel reads it."""
    columns = matrix_columns(selection)
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    rows = 0
    try:
        writer = csv.writer(text)
        writer.writerow([_csv_cell(column.header) for column in columns])
        for record in iter_matrix_rows(selection, progress):
            writer.writerow([_csv_cell(column.value(record)) for column in columns])
            rows += 1
    finally:
        text.flush()
        # Leave the runner's file open: closing the wrapper would close it too.
        text.detach()
    return Built(matrix_filename(selection, "csv"), CSV_TYPE, rows)
