"""The import's reasons and warnings in the reader's language.

Readers and the writer say what is wrong with a file or a row in plain English (the
command prints it as it is, and the job keeps it so). The screen tells the same reasons in
the reader's language: each known wording is matched here and said again through the
catalogue, with the values it quoted; a wording not known yet is shown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext as _

from tracker.i18n import file_size

# Fixed wordings of the screen's own refusals, kept with the job as the readers' are.
TOO_LARGE = "the file is larger than the import limit of {limit} bytes"
UNKNOWN_FORMAT = ("the format cannot be told from the file's name (.xlsx, .json, .csv or "
                  ".csv.gz): choose it in the form")
UNEXPECTED = "unexpected error ({error}); the details are in the worker's log"
GAVE_UP = "the work stopped {times} times without finishing; upload the file again"
UNREADABLE = "the file cannot be read in the format chosen ({detail})"

_PATTERNS: list[tuple[re.Pattern, Callable[[dict], str]]] = []


def _says(pattern: str):
    """Register the translation of one English wording (a regular expression)."""
    compiled = re.compile(pattern + r"\Z", re.S)

    def register(tell: Callable[[dict], str]):
        _PATTERNS.append((compiled, tell))
        return tell

    return register


def translate(message: str) -> str:
    """Return an import's reason or warning in the current language."""
    text = str(message or "")
    for pattern, tell in _PATTERNS:
        found = pattern.match(text)
        if found:
            return tell(found.groupdict())
    return text


def file_problem(message: str, filename: str | None) -> str:
    """Return a refusal of a whole file, naming the file, in the current language."""
    text = str(message or "")
    if filename and text.startswith(f"{filename}: "):
        text = text[len(filename) + 2:]
    reason = translate(text)
    if not filename:
        return reason
    return _("%(file)s: %(reason)s", file=filename, reason=reason)


# --- a row -------------------------------------------------------------------------------

@_says(r"the cell is empty")
def _empty_cell(_v):
    return _("the cell is empty")


@_says(r"'(?P<value>.*)' is not a date")
def _not_a_date(v):
    return _("“%(value)s” is not a date", **v)


@_says(r"unknown type '(?P<value>.*)' \(expected recommendation or concern\)")
def _unknown_type(v):
    return _("unknown type “%(value)s” (expected recommendation or concern)", **v)


@_says(r"unknown UPR position '(?P<value>.*)'")
def _unknown_position(v):
    return _("unknown UPR position “%(value)s”", **v)


@_says(r"unknown response '(?P<value>.*)'")
def _unknown_response(v):
    return _("unknown response “%(value)s”", **v)


@_says(r"not an object")
def _not_an_object(_v):
    return _("the item is not an object with the keys of a UHRI export")


@_says(r"unknown State under review '(?P<value>.*)'")
def _unknown_state_under_review(v):
    return _("unknown State under review “%(value)s”", **v)


@_says(r"control characters removed from (?P<columns>.*)")
def _controls(v):
    return _("control characters removed from %(columns)s", **v)


@_says(r"(?P<field>\w+) '(?P<value>.*)…' is longer than (?P<limit>\d+) characters")
def _too_long(v):
    return _("%(field)s “%(value)s…” is longer than %(limit)s characters", **v)


@_says(r"unknown mechanism '(?P<value>.*)'")
def _unknown_mechanism(v):
    return _("unknown mechanism “%(value)s”", **v)


@_says(r"recommending State '(?P<value>.*)' not recognised")
def _unknown_recommending_state(v):
    return _("recommending State “%(value)s” not recognised", **v)


@_says(r"State concerned '(?P<value>.*)' not recognised")
def _unknown_state_concerned(v):
    return _("State concerned “%(value)s” not recognised", **v)


@_says(r"refused with row (?P<row>\d+): (?P<reason>.*)")
def _refused_with(v):
    return _("refused with row %(row)s: %(reason)s", row=v["row"],
             reason=translate(v["reason"]))


@_says(r"row (?P<row>\d+): (?P<reason>.*)")
def _of_row(v):
    return _("row %(row)s: %(reason)s", row=v["row"], reason=translate(v["reason"]))


# --- a whole file ------------------------------------------------------------------------

@_says(r"the file is empty")
def _empty_file(_v):
    return _("the file is empty")


@_says(r"the file holds no rows to import")
def _no_rows(_v):
    return _("the file holds no rows to import")


@_says(r"the uploaded file is no longer stored")
def _gone(_v):
    return _("the uploaded file is no longer stored")


@_says(r"not an Excel workbook \(\.xlsx\) as exported by UHRI \((?P<detail>.*)\)")
def _not_xlsx(v):
    return _("not an Excel workbook (.xlsx) as exported by UHRI (%(detail)s)", **v)


@_says(r"missing column\(s\) (?P<missing>.*?); a UHRI export has the columns (?P<columns>.*)")
def _uhri_columns(v):
    return _("missing column(s) %(missing)s; a UHRI export has the columns %(columns)s", **v)


@_says(r"missing column\(s\) (?P<missing>.*?); a UPR Info export has the columns "
       r"(?P<columns>.*)")
def _upr_info_columns(v):
    return _("missing column(s) %(missing)s; a UPR Info export has the columns %(columns)s",
             **v)


@_says(r"missing column\(s\) (?P<missing>.*?); the tracker CSV has the columns "
       r"(?P<columns>.*)")
def _tracker_columns(v):
    return _("missing column(s) %(missing)s; the tracker's CSV has the columns %(columns)s",
             **v)


@_says(r"not a UTF-8 CSV file, plain or gzipped \((?P<detail>.*)\)")
def _not_csv(v):
    return _("not a UTF-8 CSV file, plain or gzipped (%(detail)s)", **v)


@_says(r"not a UTF-8 CSV file: row (?P<row>\d+) holds the byte (?P<byte>0x[0-9a-f]+), which "
       r"UTF-8 does not allow \(save the file as UTF-8\)")
def _csv_byte(v):
    return _("not a UTF-8 CSV file: row %(row)s holds the byte %(byte)s, which UTF-8 does "
             "not allow (save the file as UTF-8)", **v)


@_says(r"not a UTF-8 text file: row (?P<row>\d+) holds the byte (?P<byte>0x[0-9a-f]+), which "
       r"UTF-8 does not allow \(save the CSV as UTF-8\)")
def _tracker_csv_byte(v):
    return _("not a UTF-8 text file: row %(row)s holds the byte %(byte)s, which UTF-8 does "
             "not allow (save the CSV as UTF-8)", **v)


@_says(r"not a UTF-8 text file: line (?P<line>\d+) holds the byte (?P<byte>0x[0-9a-f]+), "
       r"which UTF-8 does not allow")
def _json_byte(v):
    return _("not a UTF-8 text file: line %(line)s holds the byte %(byte)s, which UTF-8 does "
             "not allow", **v)


@_says(r"not a UHRI JSON export \(invalid JSON: (?P<detail>.*)\)")
def _invalid_json(v):
    return _("not a UHRI JSON export (invalid JSON: %(detail)s)", **v)


@_says(r"a UHRI JSON export is a list of objects with keys (?P<keys>.*)")
def _not_a_list(v):
    return _("a UHRI JSON export is a list of objects with the keys %(keys)s", **v)


@_says(r"the objects lack the keys (?P<missing>.*?); a UHRI JSON export has the keys "
       r"(?P<keys>.*)")
def _json_keys(v):
    return _("the objects lack the keys %(missing)s; a UHRI JSON export has the keys "
             "%(keys)s", **v)


@_says(r"vocabularies (?P<codes>.*) are missing: run `tracker seed` first")
def _no_vocabularies(v):
    return _("the vocabularies %(codes)s are missing: an administrator must run "
             "“tracker seed” first", **v)


@_says(re.escape(TOO_LARGE).replace(r"\{limit\}", r"(?P<limit>\d+)"))
def _too_large(v):
    return _("the file is larger than the limit for imports, %(size)s",
             size=file_size(int(v["limit"])))


@_says(re.escape(UNKNOWN_FORMAT))
def _unknown_format(_v):
    return _("the format cannot be told from the file's name (.xlsx, .json, .csv or "
             ".csv.gz): choose it in the form")


@_says(re.escape(UNEXPECTED).replace(r"\{error\}", r"(?P<error>\w+)"))
def _unexpected(v):
    return _("an unexpected error (%(error)s) stopped the work; the details are in the "
             "worker's log", **v)


@_says(re.escape(GAVE_UP).replace(r"\{times\}", r"(?P<times>\d+)"))
def _gave_up(v):
    return _("the work stopped %(times)s times without finishing; upload the file again",
             **v)


@_says(re.escape(UNREADABLE).replace(r"\{detail\}", r"(?P<detail>.*)"))
def _unreadable(v):
    return _("the file cannot be read in the format chosen (%(detail)s)", **v)
