"""The neutral record every reader produces, and the parsing helpers readers share."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from tracker.models import RecommendationType, TextSource, UprPosition


class ImportFileError(Exception):
    """The file cannot be read at all (wrong format, missing columns); names the file."""


@dataclass
class RowError:
    """One row that could not be imported (level 'error') or was imported with a doubt."""

    source: str
    row: int | None
    message: str
    level: str = "error"
    column: str | None = None

    def as_dict(self) -> dict:
        found = {"row": self.row, "message": self.message, "level": self.level}
        if self.column:
            found["column"] = self.column
        return found

    def __str__(self) -> str:
        where = f"{self.source}, row {self.row}" if self.row is not None else self.source
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class CellError(ValueError):
    """A cell a row cannot be read without; the reader refuses the row naming the column."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


@dataclass
class RecommendationRecord:
    """One recommendation as read from any source, before it meets the database."""

    source: str
    row: int
    mechanism: str
    document_symbol: str
    text: str
    paragraph: str | None = None
    document_title: str | None = None
    document_date: date | None = None
    upr_session: str | None = None
    upr_cycle: int | None = None
    language: str = "en"
    type: RecommendationType = RecommendationType.RECOMMENDATION
    upr_position: UprPosition | None = None
    recommending_states: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    affected_persons: list[str] = field(default_factory=list)
    sdgs: list[str] = field(default_factory=list)
    annotation_id: str | None = None
    # Which kind of source the text comes from (kept with the language version).
    text_source: TextSource = TextSource.FILE
    # The State(s) the record is addressed to, as the file names them (empty: not said).
    countries_concerned: list[str] = field(default_factory=list)
    # Set by a reader that knows the row is fine but doubtful (e.g. an unknown position).
    warnings: list[str] = field(default_factory=list)
    # Further rows of the file this record stands for (the co-sponsors' rows of a joint
    # UPR Info recommendation): each is accounted as merged into ``row``.
    merged_rows: list[int] = field(default_factory=list)


Item = RecommendationRecord | RowError


def row_error(source: str, row: int | None, exc: ValueError) -> RowError:
    """Return the refusal of a row from the error that stopped its reading."""
    return RowError(source, row, str(exc), column=getattr(exc, "column", None))


class RecordStream:
    """What a reader returns: an iterator of records and row errors, with the row total."""

    def __init__(self, name: str, items: Iterator[Item], total: int | None = None) -> None:
        self.name = name
        self.total = total
        self._items = items

    def __iter__(self) -> Iterator[Item]:
        return self._items

    def close(self) -> None:
        close = getattr(self._items, "close", None)
        if close:
            close()


def source_name(source, name: str | None) -> str:
    if name:
        return name
    if isinstance(source, str):
        return source.rsplit("/", 1)[-1]
    if hasattr(source, "name") and isinstance(source.name, str):
        return str(source.name).rsplit("/", 1)[-1]
    if hasattr(source, "__fspath__"):
        return str(source).rsplit("/", 1)[-1]
    return "upload"


def read_bytes(source) -> bytes:
    """Return the whole content of a path, bytes or binary file object."""
    if isinstance(source, bytes | bytearray):
        return bytes(source)
    if hasattr(source, "read"):
        return source.read()
    with open(source, "rb") as fh:
        return fh.read()


# --- cell parsing ---------------------------------------------------------------

_LIST_PREFIX = re.compile(r"^\s*[-•]\s*")


def split_list(value, separators: str = "\n") -> list[str]:
    """Split a list cell ('- a\\n- b', a JSON array, 'a;b') into clean values."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        parts: Iterable = value
    else:
        parts = re.split("[" + re.escape(separators) + "]", str(value))
    out = []
    for part in parts:
        if part is None:
            continue
        cleaned = _LIST_PREFIX.sub("", strip_controls(str(part))).strip()
        if cleaned and cleaned not in out:
            out.append(cleaned)
    return out


def single(value) -> str:
    """Return a single-value cell without its '- ' prefix ('' when empty)."""
    values = split_list(value)
    return values[0] if values else ""


_NUMBERING = re.compile(r"^\s*\d+(?:\.\d+)*[.)]\s+")


def strip_numbering(label: str) -> str:
    """Drop a heading number ('1. Seguridad Ciudadana' -> 'Seguridad Ciudadana')."""
    return _NUMBERING.sub("", label).strip()


_EXCEL_EPOCH = datetime(1899, 12, 30)


def parse_date(value) -> date | None:
    """Read an Excel serial number, a date(time) or an ISO / dd/mm/yyyy string."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float):
        return (_EXCEL_EPOCH + timedelta(days=float(value))).date()
    text = single(value)
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return parse_date(float(text))
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text[:10], fmt).date()
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        raise ValueError(f"'{text}' is not a date") from None


def parse_int(value) -> int | None:
    match = re.search(r"\d+", str(value)) if value not in (None, "") else None
    return int(match.group()) if match else None


def upr_cycle_for_session(session: str | None) -> int | None:
    """Return the UPR cycle of a Working Group session (cycles of 12, then 14 sessions)."""
    number = parse_int(session)
    if number is None:
        return None
    if number <= 12:
        return 1
    return 2 + (number - 13) // 14


# --- text ---------------------------------------------------------------------

# "81.2 Implement", "12. El Comité", "26 (a) Ensure", "3 bis."; a year such as
# "2016 fue" is not a paragraph, so numbers stop at three digits.
_PARAGRAPH = re.compile(r"^\s*(\d{1,3}(?:\.\d{1,3})*(?:\s?\([a-z]\))?)(?:\.(?!\d)|\s)\s*")


def split_paragraph(text: str) -> tuple[str | None, str]:
    """Separate the leading paragraph number from the text."""
    match = _PARAGRAPH.match(text)
    if not match or match.end() >= len(text):
        return None, text.strip()
    return match.group(1).replace(" ", ""), text[match.end():].strip()


def trailing_states(text: str) -> list[str]:
    """Return the States in a UPR text's closing parentheses: '... (Ecuador, Spain);'."""
    body = text.rstrip().rstrip(";.").rstrip()
    if not body.endswith(")"):
        return []
    depth = 0
    for i in range(len(body) - 1, -1, -1):
        if body[i] == ")":
            depth += 1
        elif body[i] == "(":
            depth -= 1
            if depth == 0:
                inner = body[i + 1:-1]
                break
    else:
        return []
    # Split on commas outside nested parentheses ("Bolivia (Plurinational State of), Cuba").
    names, depth, current = [], 0, ""
    for char in inner:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            names.append(current)
            current = ""
        else:
            current += char
    names.append(current)
    return [name.strip() for name in names if name.strip()]


_TAG = re.compile(r"<[^>]{1,200}>")
# C0 and C1 control characters but tab, line feed and carriage return: PostgreSQL refuses
# NUL in a text, and none of them means anything in a recommendation.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def strip_controls(value: str) -> str:
    """Remove control characters (NUL and the like) from a text."""
    return _CONTROL.sub("", value) if _CONTROL.search(value) else value


def clean_cells(row: dict) -> list[str]:
    """Remove control characters from every text cell in place; return the columns cleaned."""
    cleaned = []
    for column, value in row.items():
        if isinstance(value, str) and _CONTROL.search(value):
            row[column] = _CONTROL.sub("", value)
            cleaned.append(str(column))
        elif isinstance(value, list) and any(isinstance(v, str) and _CONTROL.search(v)
                                             for v in value):
            row[column] = [_CONTROL.sub("", v) if isinstance(v, str) else v for v in value]
            cleaned.append(str(column))
    return cleaned


def controls_warning(columns: list[str]) -> str:
    """Say which columns lost control characters (kept as a warning on the row)."""
    return f"control characters removed from {', '.join(columns)}"


def clean_text(value) -> str:
    """Unescape HTML entities, drop markup and normalise spaces."""
    text = str(value or "")
    if "<" in text:
        text = _TAG.sub(" ", text)
    text = strip_controls(html.unescape(text)).replace("\xa0", " ")
    return re.sub(r"[ \t]+", " ", text).strip()


_STOPWORDS = {
    "es": {"el", "la", "los", "las", "de", "del", "que", "y", "en", "por", "para", "con",
           "una", "un", "se", "su", "sus", "al", "estado", "comité", "lo", "como", "más"},
    "en": {"the", "of", "and", "to", "in", "for", "on", "with", "that", "its", "by", "all",
           "state", "party", "should", "ensure", "take", "measures", "committee", "is"},
}


def detect_language(text: str) -> str:
    """Guess 'es' or 'en' from common words (the tracker holds only these two)."""
    words = re.findall(r"[a-záéíóúñü]+", text.lower())
    es = sum(w in _STOPWORDS["es"] for w in words)
    en = sum(w in _STOPWORDS["en"] for w in words)
    return "es" if es > en else "en"


def fold(value: str) -> str:
    """Case- and accent-insensitive comparison key."""
    ascii_ = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", ascii_.casefold()).strip()


# --- enumerations ---------------------------------------------------------------

_TYPES = {
    "recommendation": RecommendationType.RECOMMENDATION,
    "recommendations": RecommendationType.RECOMMENDATION,
    "recomendacion": RecommendationType.RECOMMENDATION,
    "concern": RecommendationType.CONCERN,
    "concerns": RecommendationType.CONCERN,
    "concerns/observations": RecommendationType.CONCERN,
    "observation": RecommendationType.CONCERN,
    "preocupacion": RecommendationType.CONCERN,
    "observacion": RecommendationType.CONCERN,
    "operative_point": RecommendationType.OPERATIVE_POINT,
    "operative point": RecommendationType.OPERATIVE_POINT,
    "punto resolutivo": RecommendationType.OPERATIVE_POINT,
    "precautionary_measure": RecommendationType.PRECAUTIONARY_MEASURE,
    "precautionary measure": RecommendationType.PRECAUTIONARY_MEASURE,
    "medida cautelar": RecommendationType.PRECAUTIONARY_MEASURE,
}


def parse_type(value) -> RecommendationType:
    """Map a type cell to RecommendationType; empty means recommendation."""
    text = single(value)
    if not text:
        return RecommendationType.RECOMMENDATION
    found = _TYPES.get(fold(text))
    if found is None:
        raise ValueError(f"unknown type '{text}' (expected recommendation or concern)")
    return found


_POSITIONS = {
    "supported": UprPosition.SUPPORTED,
    "accepted": UprPosition.SUPPORTED,
    "noted": UprPosition.NOTED,
    "supported/noted": UprPosition.SUPPORTED_NOTED,
    "supported_noted": UprPosition.SUPPORTED_NOTED,
    "pending": UprPosition.PENDING,
    "not applicable": UprPosition.NOT_APPLICABLE,
    "not_applicable": UprPosition.NOT_APPLICABLE,
}


def parse_position(value) -> UprPosition | None:
    """Map a UPR position ('Supported', 'Noted', 'Supported/Noted'); empty is None."""
    values = split_list(value)
    if not values:
        return None
    found = {_POSITIONS.get(fold(v).replace(" / ", "/")) for v in values}
    if None in found:
        raise ValueError(f"unknown UPR position '{'; '.join(values)}'")
    if len(found) > 1:
        return UprPosition.SUPPORTED_NOTED
    return found.pop()
