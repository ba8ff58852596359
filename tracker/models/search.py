"""The full-text search document of every recommendation, kept current on every write.

``recommendation_search`` holds one document per recommendation (``text_analysis``). Each
database indexes it its own way, which the migration builds and the models leave out:
PostgreSQL a stored ``tsvector`` column ``terms`` with a GIN index, SQLite an FTS5 table
``recommendation_search_fts`` over the documents (kept in step by triggers) and its
vocabulary ``recommendation_search_vocab``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import ForeignKey, Table, Text, delete, event, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from tracker.extensions import db
from tracker.models.recommendation import Document, Recommendation, RecommendationText
from tracker.text_analysis import search_document

FTS_TABLE = "recommendation_search_fts"
VOCABULARY_TABLE = "recommendation_search_vocab"
TSVECTOR_COLUMN = "terms"
TSVECTOR_INDEX = "ix_recommendation_search_terms"
_CHUNK = 500

# What a search document is made of, per model: a change to any of them rewrites it.
# A version removed from ``texts`` is deleted as an orphan during the flush, after
# before_flush has run: the collection's change tells.
_RECOMMENDATION_FIELDS = ("reference", "paragraph", "document_id", "document", "text",
                          "language", "texts")


class RecommendationSearch(db.Model):
    __tablename__ = "recommendation_search"

    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("recommendation.id", ondelete="CASCADE"), primary_key=True
    )
    document: Mapped[str] = mapped_column(Text)


SEARCH = RecommendationSearch.__table__


class _Generation:
    """Counts this process's writes of search documents, so its caches notice them at once."""

    value = 0

    @classmethod
    def bump(cls) -> None:
        cls.value += 1


def search_generation() -> int:
    """Return how many times this process has written search documents."""
    return _Generation.value


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Leave out of schema comparisons the index objects each database builds its own way."""
    if type_ == "table":
        return not (name or "").startswith((FTS_TABLE, VOCABULARY_TABLE))
    if type_ == "column" and name == TSVECTOR_COLUMN:
        return getattr(obj, "table", None) is None or obj.table.name != SEARCH.name
    return not (type_ == "index" and name == TSVECTOR_INDEX)


def search_row(rec_id: int, reference: str | None, paragraph: str | None,
               symbol: str | None, versions: Iterable[tuple[str, str]]) -> dict:
    """Return the search table's row of a recommendation, from its fields and versions."""
    return {"recommendation_id": rec_id,
            "document": search_document(reference, paragraph, symbol, versions)}


def write_search_documents(connection, ids: Iterable[int], *,
                           insert_rows: Callable[[Table, list[dict]], None] | None = None,
                           created: list[dict] | None = None) -> None:
    """Compute and store the search documents of these recommendations (gone ones dropped).

    ``created``: rows (``search_row``) of recommendations just created, written as they
    are. ``insert_rows`` writes a batch of rows (the import's set-based insert); by
    default an executemany, quick enough for the few recommendations an edit changes.
    """
    insert_rows = insert_rows or (lambda table, rows: connection.execute(table.insert(), rows))
    if created:
        insert_rows(SEARCH, created)
    ids = sorted(set(ids))
    rec, version = Recommendation.__table__, RecommendationText.__table__
    document = Document.__table__
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        heads = connection.execute(
            select(rec.c.id, rec.c.reference, rec.c.paragraph, document.c.symbol)
            .join(document, document.c.id == rec.c.document_id)
            .where(rec.c.id.in_(chunk))).all()
        texts: dict[int, list[tuple[str, str]]] = {}
        for rec_id, language, text in connection.execute(
                select(version.c.recommendation_id, version.c.language, version.c.text)
                .where(version.c.recommendation_id.in_(chunk))
                .order_by(version.c.recommendation_id, version.c.language)):
            texts.setdefault(rec_id, []).append((language, text))
        connection.execute(delete(SEARCH).where(SEARCH.c.recommendation_id.in_(chunk)))
        rows = [search_row(rec_id, reference, paragraph, symbol, texts.get(rec_id, ()))
                for rec_id, reference, paragraph, symbol in heads]
        if rows:
            insert_rows(SEARCH, rows)
    if created or ids:
        _Generation.bump()


_PENDING = "search_documents_pending"


def _changed(obj, names: Iterable[str]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "before_flush")
def _note_changed_documents(session: Session, _context, _instances) -> None:
    """Note the recommendations whose search document the flush changes."""
    pending = session.info.setdefault(_PENDING, {"objects": [], "ids": set(), "documents": set()})
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Recommendation):
            if obj in session.new or obj in session.deleted or _changed(
                    obj, _RECOMMENDATION_FIELDS):
                pending["objects"].append(obj)
        elif isinstance(obj, RecommendationText):
            if obj in session.new or obj in session.deleted or _changed(
                    obj, ("text", "language", "recommendation_id")):
                pending["objects"].append(obj.recommendation or obj.recommendation_id)
                history = inspect(obj).attrs["recommendation_id"].history
                pending["ids"].update(i for i in history.deleted if i is not None)
        elif isinstance(obj, Document) and obj not in session.new and _changed(obj, ("symbol",)):
            pending["documents"].add(obj.id)


@event.listens_for(Session, "after_flush")
def _write_changed_documents(session: Session, _context) -> None:
    """Rewrite the noted search documents, in the flush's transaction."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    ids = set(pending["ids"])
    for obj in pending["objects"]:
        rec_id = obj if isinstance(obj, int) else getattr(obj, "id", None)
        if rec_id is not None:
            ids.add(rec_id)
    connection = session.connection()
    if pending["documents"]:
        ids.update(connection.execute(
            select(Recommendation.__table__.c.id).where(
                Recommendation.__table__.c.document_id.in_(pending["documents"]))).scalars())
    write_search_documents(connection, ids)
