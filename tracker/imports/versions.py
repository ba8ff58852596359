"""The language versions of the recommendations an import writes.

The UN publishes a paragraph in each of its languages, and UHRI gives every language
version an annotation id of its own. The tracker keeps one recommendation per paragraph
with one text per language: a record in a language the recommendation has no text in yet
becomes its version in that language; a record in a language it has, from another
annotation, is another recommendation of the same paragraph.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, update

from tracker.extensions import db
from tracker.imports.bulk import insert_rows
from tracker.imports.records import RecommendationRecord
from tracker.models import RecommendationText

TEXT = RecommendationText.__table__


def text_field(language: str, original: str) -> str:
    """Name a language version as an import reports it: "text" (the original), "text_es"."""
    return "text" if language == original else f"text_{language}"


@dataclass(frozen=True)
class Stored:
    """A language version as the database holds it."""

    id: int
    text: str
    annotation_id: str | None


class TextVersions:
    """Which recommendation holds which language version, and writing them in bulk."""

    def __init__(self) -> None:
        self.owners: dict[str, int] = {}  # annotation id -> recommendation id
        # (recommendation id, language) -> the version's annotation id ("" if it has none)
        self.held: dict[tuple[int, str], str] = {}
        for rec_id, language, annotation in db.session.execute(
            db.select(TEXT.c.recommendation_id, TEXT.c.language, TEXT.c.annotation_id)
        ).tuples():
            self.remember(rec_id, language, annotation)
        self.inserts: list[dict] = []
        self.updates: list[dict] = []

    def remember(self, rec_id: int, language: str, annotation: str | None) -> None:
        self.held[(rec_id, language)] = annotation or ""
        if annotation:
            self.owners[annotation] = rec_id

    def owner(self, annotation: str | None) -> int | None:
        """Return the recommendation that holds a UHRI annotation, if any."""
        return self.owners.get(annotation) if annotation else None

    def has(self, rec_id: int, language: str) -> bool:
        return (rec_id, language) in self.held

    def belongs_elsewhere(self, rec_id: int, record: RecommendationRecord) -> bool:
        """Whether a record is another recommendation than rec_id, of the same paragraph.

        So it is when rec_id's text in the record's language came from another annotation.
        """
        held = self.held.get((rec_id, record.language))
        return bool(record.annotation_id and held and held != record.annotation_id)

    @staticmethod
    def stored(ids: list[int]) -> dict[tuple[int, str], Stored]:
        """Return the stored versions of these recommendations."""
        found = {}
        if ids:
            for version_id, rec_id, language, text, annotation in db.session.execute(
                db.select(TEXT.c.id, TEXT.c.recommendation_id, TEXT.c.language, TEXT.c.text,
                          TEXT.c.annotation_id).where(TEXT.c.recommendation_id.in_(ids))
            ).tuples():
                found[(rec_id, language)] = Stored(version_id, text, annotation)
        return found

    # -- writing -----------------------------------------------------------------------------

    def add(self, rec_id: int, record: RecommendationRecord, now: datetime) -> None:
        """Queue a new version of rec_id from a record."""
        self.inserts.append({"recommendation_id": rec_id, "language": record.language,
                             "text": record.text, **_source(record), "updated_at": now})
        self.remember(rec_id, record.language, record.annotation_id)

    def replace(self, rec_id: int, stored: Stored, record: RecommendationRecord,
                now: datetime, *, text: bool = True) -> None:
        """Queue a stored version's new text (or only its annotation id) from a record."""
        values = {"version_id": stored.id, "text": record.text if text else stored.text,
                  **_source(record), "updated_at": now}
        if not record.annotation_id:
            values["annotation_id"] = stored.annotation_id
        self.updates.append(values)
        self.remember(rec_id, record.language, values["annotation_id"])

    def flush(self) -> None:
        """Write the queued versions: one statement for the new, one for the changed."""
        insert_rows(TEXT, self.inserts)
        if self.updates:
            db.session.execute(
                update(TEXT).where(TEXT.c.id == bindparam("version_id"))
                .values(text=bindparam("text"), source=bindparam("source"),
                        annotation_id=bindparam("annotation_id"),
                        source_file=bindparam("source_file"),
                        source_row=bindparam("source_row"),
                        updated_at=bindparam("updated_at")),
                self.updates)
        self.inserts, self.updates = [], []


def _source(record: RecommendationRecord) -> dict:
    return {"source": record.text_source, "annotation_id": record.annotation_id,
            "source_file": record.source[:255], "source_row": record.row}
