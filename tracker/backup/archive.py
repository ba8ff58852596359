"""The archive's format: its manifest, and each column's values as JSON."""

from __future__ import annotations

import base64
import enum
import hashlib
from datetime import date, datetime

from alembic.migration import MigrationContext
from sqlalchemy import JSON, Column, Date, DateTime, LargeBinary
from sqlalchemy.engine import Connection

from tracker.services.storage import iter_stored_bytes

FORMAT = "tracker-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"

# Tables the migrations themselves fill (a fresh database already holds their rows): the
# restore replaces those rows instead of refusing the database as not empty.
FILLED_BY_MIGRATIONS = frozenset({"data_version"})


class BackupError(Exception):
    """A backup or a restore that cannot go on; the message says why, in words."""


def member_name(table: str) -> str:
    return f"tables/{table}.jsonl"


def column_kind(column: Column) -> str:
    """Return how a column's values are written: datetime, date, bytes, json or value."""
    kinds = ((DateTime, "datetime"), (Date, "date"), (LargeBinary, "bytes"), (JSON, "json"))
    type_ = getattr(column.type, "impl", column.type)
    return next((kind for cls, kind in kinds if isinstance(type_, cls)), "value")


def encode(kind: str, value):
    """Return a column's value as JSON can hold it (JSON columns arrive as their text)."""
    if value is None:
        return None
    if kind in ("datetime", "date"):
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, enum.Enum):
        return value.value
    return value


def decode(kind: str, value):
    """Return the value to insert for one read from the archive (JSON columns: their text)."""
    if value is None:
        return None
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value, validate=True)
    return value


def schema_revision(connection: Connection) -> str | None:
    """Return the database's schema revision (heads joined by commas), None if unmigrated."""
    heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) or None


def file_digest(stored_file_id: int) -> dict:
    """Return a stored file's id, size and SHA-256, reading its bytes a chunk at a time."""
    digest, size = hashlib.sha256(), 0
    for chunk in iter_stored_bytes(stored_file_id):
        digest.update(chunk)
        size += len(chunk)
    return {"id": stored_file_id, "size": size, "sha256": digest.hexdigest()}
