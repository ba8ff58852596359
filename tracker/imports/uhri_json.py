"""Read the JSON the Universal Human Rights Index exports (a list of annotation objects)."""

from __future__ import annotations

import json
from collections.abc import Iterator

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
    parse_int,
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
    try:
        data = json.loads(read_bytes(source).decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
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
            yield RowError(name, number, str(exc))


def _codes_or_names(values: list[str]) -> list[str]:
    # Real exports star some names ("State of Palestine*"); codes stay as they are
    # because the importer's country resolver reads them too.
    return [v.rstrip("*").strip() for v in values if v.rstrip("*").strip()]


def uhri_json_record(item: dict, name: str, number: int) -> RecommendationRecord:
    """Build a record from one object of a UHRI JSON export."""
    raw_text = clean_text(item.get("Text"))
    if not raw_text:
        raise ValueError("'Text' is empty")
    body = single(item.get("Body"))
    if not body:
        raise ValueError("'Body' is empty")
    symbol = single(item.get("Symbol"))
    if not symbol:
        raise ValueError("'Symbol' is empty")
    paragraph, text = split_paragraph(raw_text)
    states = _codes_or_names(split_list(item.get("UprRecommendingCountry")))
    is_upr = body.upper() == "UPR"
    if not states and is_upr:
        states = default_resolver().split_joined(trailing_states(text))
    session = single(item.get("UprSession")) or None
    cycle = parse_int(single(item.get("UprCycle")))
    record = RecommendationRecord(
        source=name,
        row=number,
        mechanism=body,
        document_symbol=symbol,
        text=text,
        paragraph=paragraph,
        document_date=parse_date(item.get("PublicationDate")),
        upr_session=session,
        upr_cycle=cycle or (upr_cycle_for_session(session) if is_upr else None),
        language=detect_language(text),
        type=parse_type(item.get("AnnotationType")),
        recommending_states=states,
        themes=split_list(item.get("Themes")),
        affected_persons=split_list(item.get("AffectedPersons")),
        sdgs=split_list(item.get("Sdgs")),
        annotation_id=str(single(item.get("AnnotationId"))) or None,
        countries_concerned=_codes_or_names(split_list(item.get("Countries"))),
    )
    try:
        record.upr_position = parse_position(item.get("UprPositions"))
    except ValueError as exc:
        record.warnings.append(str(exc))
    return record
