"""The audit trail, written by the ORM itself so that no change can skip it.

After every flush, each created, changed or deleted row of an audited model
gets an ``AuditEvent`` with the fields before and after, inserted on the same
connection and so committed or rolled back with the change. Who did it and
from where comes from ``audit_context`` (set per request, task or command).
"""

from __future__ import annotations

import contextvars
import enum
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from tracker.models import AuditEvent, utcnow

# Never copied into the trail: secrets and bulky payloads.
REDACTED = {"password_hash", "session_token", "data"}
# Machinery whose rows are their own log (a device's sign-in record is told by the
# sign-in and sign-out events, a report's step by its "transition" event; a stored file's
# pieces by the file's own event; a search document or a data counter follows the records
# whose change is told; an API token by its creation, revocation and use events; the
# bulk download's files are rebuilt from the records whose change is told; a form's
# sending key by the change it made).
NOT_AUDITED = {"audit_event", "notification", "import_job", "report_job", "user_session",
               "report_transition", "stored_file_chunk", "recommendation_search",
               "data_version", "api_token", "bulk_file", "form_submission"}
# Stamps the system keeps for itself: a sign-in or a page view is not a change of the
# record, and the sign-in has its own event.
BOOKKEEPING = {"updated_at", "version", "last_login_at", "last_seen_at", "last_used_at"}


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    label: str | None = None
    address: str | None = None


# Actor is frozen, so sharing one default instance is safe.
_current: contextvars.ContextVar[Actor] = contextvars.ContextVar(
    "audit_actor", default=Actor()  # noqa: B039
)


def current_actor() -> Actor:
    return _current.get()


def set_actor(actor: Actor) -> contextvars.Token:
    return _current.set(actor)


def reset_actor(token: contextvars.Token) -> None:
    _current.reset(token)


@contextmanager
def acting_as(user_id: int | None, label: str | None, address: str | None = None):
    """Attribute every change made inside the block to this actor."""
    token = set_actor(Actor(user_id, label, address))
    try:
        yield
    finally:
        reset_actor(token)


def plain(value):
    """Return a value as the trail keeps it (JSON: enums by value, dates in ISO)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if hasattr(value, "__table__"):
        return _describe(value)
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    return str(value)


def _describe(obj) -> str:
    """A short, stable description of a related row, e.g. 'institution:12 SEMUJER'."""
    table = obj.__table__.name
    key = _pk(obj) or "new"
    name = next(
        (getattr(obj, a) for a in ("reference", "acronym", "code", "symbol", "email", "iso2")
         if getattr(obj, a, None)),
        "",
    )
    return f"{table}:{key} {name}".strip()


def _changes(obj, *, created: bool, deleted: bool) -> dict:
    state = inspect(obj)
    changes: dict[str, dict] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        hist = state.attrs[key].history
        if created:
            value = state.attrs[key].value
            if value is None:
                continue
            changes[key] = {"after": "[redacted]" if key in REDACTED else plain(value)}
        elif deleted:
            kept = hist.unchanged or hist.deleted
            value = kept[0] if kept else None
            changes[key] = {"before": "[redacted]" if key in REDACTED else plain(value)}
        elif hist.has_changes():
            if key in BOOKKEEPING:
                continue
            before = hist.deleted[0] if hist.deleted else None
            after = hist.added[0] if hist.added else None
            if key in REDACTED:
                changes[key] = {"before": "[redacted]", "after": "[changed]"}
            else:
                changes[key] = {"before": plain(before), "after": plain(after)}
    if not deleted:
        for rel in state.mapper.relationships:
            if not rel.uselist or rel.secondary is None:
                continue
            hist = state.attrs[rel.key].history
            if hist.added or hist.deleted:
                changes[rel.key] = {
                    "added": [_describe(o) for o in hist.added],
                    "removed": [_describe(o) for o in hist.deleted],
                }
    return changes


def _pk(obj):
    values = inspect(obj).mapper.primary_key_from_instance(obj)
    return values[0] if len(values) == 1 else "/".join(str(v) for v in values)


def _audited(obj) -> bool:
    table = getattr(obj, "__table__", None)
    return table is not None and table.name not in NOT_AUDITED


def _row(action: str, entity_type: str, entity_id, changes: dict, by=None) -> dict:
    actor = current_actor()
    if by is not None:
        actor = Actor(by.id, by.email, actor.address)
    return {
        "at": utcnow(),
        "actor_id": actor.user_id,
        "actor_label": actor.label,
        "action": action,
        "entity_type": entity_type,
        "entity_id": None if entity_id is None else str(entity_id),
        "changes": changes,
        "source_address": actor.address,
    }


def _after_flush(session: Session, _flush_context) -> None:
    rows = []
    for obj in session.new:
        if _audited(obj):
            rows.append(_row("create", obj.__table__.name, _pk(obj),
                             _changes(obj, created=True, deleted=False)))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=True):
            changes = _changes(obj, created=False, deleted=False)
            if changes:
                rows.append(_row("update", obj.__table__.name, _pk(obj), changes))
    for obj in session.deleted:
        if _audited(obj):
            rows.append(_row("delete", obj.__table__.name, _pk(obj),
                             _changes(obj, created=False, deleted=True)))
    if rows:
        session.connection().execute(insert(AuditEvent.__table__), rows)


def record(session: Session, action: str, entity_type: str, entity_id=None,
           changes: dict | None = None, *, by=None) -> None:
    """Add an event that is not a row change (sign-in, invitation, transition ...)."""
    # ``by``: the user acting when the request does not know them yet (a sign-in).
    session.connection().execute(
        insert(AuditEvent.__table__), [_row(action, entity_type, entity_id, changes or {}, by)]
    )


def link_change(table: str, names: dict, added: set, removed: set) -> dict:
    """Tell a collection's change as the listener does: related rows added and removed."""
    def describe(keys: set) -> list[str]:
        return [f"{table}:{key} {names.get(key, '')}".strip() for key in sorted(keys)]

    return {"added": describe(added), "removed": describe(removed)}


def event_rows(events: list[tuple[str, str, object, dict]]) -> list[dict]:
    """Return the rows of events (action, entity type, entity id, changes), by this actor."""
    # An import writes its rows set-based, beside the ORM: it tells the trail itself,
    # one event per recommendation, in the listener's own shape, and inserts them at once.
    return [_row(action, entity_type, entity_id, changes)
            for action, entity_type, entity_id, changes in events]


def install(session_factory) -> None:
    """Listen to every flush of sessions made by this factory (idempotent)."""
    if not event.contains(session_factory, "after_flush", _after_flush):
        event.listen(session_factory, "after_flush", _after_flush)
