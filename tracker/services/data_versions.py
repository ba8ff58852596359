"""Know when public data changed, and keep figures derived from it until it does.

A commit that adds, changes or deletes rows of a watched table moves that kind's counter
on (``data_version``), in the same transaction, just before it commits: the lock on the
counter row is held for the commit only, so writers never wait on each other for long.
Statements run through the session (``INSERT``/``UPDATE``/``DELETE`` of a watched table,
as the import writer and bulk assignment run them) count as changes too.

Readers ask ``cached(kind, key, build)``: the value built for the counter they see now,
built again once per process after the counter moves.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from flask import g, has_request_context
from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session

from tracker.extensions import db
from tracker.models import (
    Assignment,
    Country,
    DataVersion,
    Document,
    Evidence,
    Institution,
    Mechanism,
    OfficeAction,
    ProgressReport,
    Recommendation,
    RecommendationText,
    StatusAssessment,
    Term,
    Vocabulary,
)
from tracker.models.base import utcnow

CATALOGUE = "catalogue"
ACTIVITY = "activity"
KINDS = (CATALOGUE, ACTIVITY)

_WATCHED_MODELS = {
    CATALOGUE: (Recommendation, RecommendationText, Document, Mechanism, Term, Vocabulary,
                Country, Institution, Assignment, StatusAssessment),
    ACTIVITY: (ProgressReport, Evidence, OfficeAction),
}
# Link tables count with the kind of the records they link.
_LINK_TABLE_PREFIXES = {"recommendation_": CATALOGUE, "report_": ACTIVITY,
                        "office_action_": ACTIVITY, "assessment_": CATALOGUE}
_PENDING = "tracker.data_versions.changed"
# Engines whose database is known to hold the counters.
_counted_engines: weakref.WeakSet = weakref.WeakSet()

T = TypeVar("T")


def _kind_of_model(obj) -> str | None:
    for kind, models in _WATCHED_MODELS.items():
        if isinstance(obj, models):
            return kind
    return None


def _kind_of_table(name: str) -> str | None:
    for kind, models in _WATCHED_MODELS.items():
        if any(model.__tablename__ == name for model in models):
            return kind
    for prefix, kind in _LINK_TABLE_PREFIXES.items():
        if name.startswith(prefix):
            return kind
    return None


def _mark(session: Session, kind: str | None) -> None:
    if kind is not None:
        session.info.setdefault(_PENDING, set()).add(kind)


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, _context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        _mark(session, _kind_of_model(obj))


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and table.name != DataVersion.__tablename__:
        _mark(state.session, _kind_of_table(table.name))


@event.listens_for(Session, "before_commit")
def _move_counters_on(session: Session) -> None:
    # Changes not flushed yet are flushed by the commit right after this hook.
    for obj in (*session.new, *session.dirty, *session.deleted):
        _mark(session, _kind_of_model(obj))
    kinds = session.info.pop(_PENDING, None)
    if kinds:
        touch(session, *sorted(kinds))
        if has_request_context():
            g.pop("data_versions", None)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    # The commit's own flush noted again what the counters already count.
    session.info.pop(_PENDING, None)


def _has_counters(session: Session) -> bool:
    """Whether the database has the counters yet (not at a schema older than them, as a
    migration test writes)."""
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    if engine in _counted_engines:
        return True
    if inspect(session.connection()).has_table(DataVersion.__tablename__):
        _counted_engines.add(engine)
        return True
    return False


def touch(session: Session, *kinds: str) -> None:
    """Move the counters of these kinds on, in the session's transaction."""
    if not _has_counters(session):
        return
    for kind in kinds:
        moved = session.execute(
            update(DataVersion)
            .where(DataVersion.name == kind)
            .values(version=DataVersion.version + 1, changed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount == 0:
            session.add(DataVersion(name=kind, version=1, changed_at=utcnow()))
            session.flush()


def current(kind: str) -> tuple[int, object]:
    """The counter of this kind and when it last moved (read once per request).

    The time tells apart two states with the same count, as after a rolled-back change.
    """
    seen = g.get("data_versions") if has_request_context() else None
    if seen is None:
        # Every kind in one statement: most pages that ask for one ask for the other.
        rows = db.session.execute(select(DataVersion.name, DataVersion.version,
                                         DataVersion.changed_at)).all()
        seen = {row.name: (row.version, row.changed_at) for row in rows}
        if has_request_context():
            g.data_versions = seen
    return seen.get(kind, (0, None))


_cache: dict[tuple[str, object], tuple[tuple[int, object], object]] = {}
# Values of which there is one per record (a recommendation's page): only the most recently
# used are kept, so that a process never holds one per record of the index.
_recent: OrderedDict[tuple[str, object], tuple[tuple[int, object], object]] = OrderedDict()
RECENT_LIMIT = 2000
_lock = threading.Lock()


def cached(kind: str, key: object, build: Callable[[], T], *, per_record: bool = False) -> T:
    """The value ``build()`` gave for this counter of ``kind``, built again when it moves.

    ``key`` tells apart values of the same kind (and must hold whatever they depend on,
    such as the language or whether the reader is staff). ``per_record`` values are kept
    among the ``RECENT_LIMIT`` most recently used only.
    """
    if kind in db.session.info.get(_PENDING, ()):
        # This transaction changed the data and has not committed: what it sees is its
        # own, not yet anyone else's.
        return build()
    version = current(kind)
    store = _recent if per_record else _cache
    entry = store.get((kind, key))
    if entry is not None and entry[0] == version:
        if per_record:
            with _lock:
                if (kind, key) in _recent:
                    _recent.move_to_end((kind, key))
        return entry[1]  # type: ignore[return-value]
    value = build()
    with _lock:
        store[(kind, key)] = (version, value)
        if per_record:
            _recent.move_to_end((kind, key))
            while len(_recent) > RECENT_LIMIT:
                _recent.popitem(last=False)
    return value


def forget_all() -> None:
    """Drop every cached value (tests that roll their data back use it)."""
    with _lock:
        _cache.clear()
        _recent.clear()
