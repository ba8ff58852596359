"""Read the JSON the Universal Human Rights Index exports (a list of annotation objects)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from tracker.imports.records import (
    ImportFileError,
    Item,
    RecommendationRecord,
    RecordStream,
    RowError,
    read_bytes,
    row_error,
    source_name,
)
from tracker.imports.uhri_xlsx import UhriLayout, uhri_record

KEYS = (
    "AnnotationId",
    "AnnotationType",
    "Body",
    "Countries",
    "Regions",
    "Sdgs",
    "Symbol",
    "Text",
    "Themes",
    "AffectedPersons",
    "PublicationDate",
    "PublicationDateOnUhri",
    "DocumentId",
    "UprCycle",
    "UprPositions",
    "UprRecommendingCountry",
    "UprRecommendingRegions",
    "UprSession",
)
REQUIRED = ("Text", "Body", "Symbol")


def read_uhri_json(source, name: str | None = None) -> RecordStream:
    """Parse a UHRI JSON export and return its records; raise ImportFileError if it is not one."""
    name = source_name(source, name)
    raw = read_bytes(source)
    if not raw.strip():
        raise ImportFileError(f"{name}: the file is empty")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"{name}: not a UTF-8 text file: line {line} holds the byte "
            f"0x{raw[exc.start]:02x}, which UTF-8 does not allow") from None
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"{name}: not a UHRI JSON export (invalid JSON: {exc})") from None
    if isinstance(data, dict):
        # Some tools wrap the list: {"value": [...]} or {"data": [...]}.
        lists = [v for v in data.values() if isinstance(v, list)]
        data = lists[0] if len(lists) == 1 else data
    if not isinstance(data, list):
        raise ImportFileError(f"{name}: a UHRI JSON export is a list of objects with keys "
                              + ", ".join(KEYS))
    objects = [item for item in data if isinstance(item, dict)]
    if objects and not any(all(key in item for key in REQUIRED) for item in objects):
        raise ImportFileError(
            f"{name}: the objects lack the keys {', '.join(REQUIRED)}; a UHRI JSON export "
            "has the keys " + ", ".join(KEYS)
        )
    return RecordStream(name, _records(data, name), len(data))


def _records(data: list, name: str) -> Iterator[Item]:
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            yield RowError(name, number, "not an object")
            continue
        try:
            yield uhri_json_record(item, name, number)
        except ValueError as exc:
            yield row_error(name, number, exc)


JSON_LAYOUT = UhriLayout(
    text="Text", body="Body", symbol="Symbol", date="PublicationDate", session="UprSession",
    type="AnnotationType", states="UprRecommendingCountry", themes="Themes",
    affected_persons="AffectedPersons", sdgs="Sdgs", annotation_id="AnnotationId",
    countries="Countries", position="UprPositions", cycle="UprCycle", starred_countries=True,
)


def uhri_json_record(item: dict, name: str, number: int) -> RecommendationRecord:
    """Build a record from one object of a UHRI JSON export."""
    return uhri_record(item, name, number, JSON_LAYOUT)
