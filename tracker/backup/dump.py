"""Write the archive: every table streamed in foreign-key order, then the manifest."""

from __future__ import annotations

import hashlib
import json
import os
import time
import zipfile
from importlib.metadata import version
from pathlib import Path

from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import Table, Text, cast, select
from sqlalchemy.engine import Connection

from tracker.backup.archive import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    BackupError,
    column_kind,
    encode,
    file_digest,
    member_name,
    schema_revision,
)
from tracker.extensions import db
from tracker.models import StoredFile, utcnow

# Rows fetched at a time; file chunks are up to a megabyte each, so fewer of those.
ROWS_PER_FETCH = 500
BINARY_ROWS_PER_FETCH = 4


def write_backup(path: Path) -> dict:
    """Write the whole database to a new archive at path; return its manifest.

    Call it on a session that has not begun: on PostgreSQL every table is read from one
    snapshot, so work committed meanwhile is wholly in the archive or wholly out of it.
    """
    options = ({"isolation_level": "REPEATABLE READ"}
               if db.engine.dialect.name == "postgresql" else None)
    connection = db.session.connection(execution_options=options)
    revision = _check_revision(connection)
    partial = path.with_name(path.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            tables = [_write_table(archive, connection, table)
                      for table in db.metadata.sorted_tables]
            manifest = {
                "format": FORMAT, "format_version": FORMAT_VERSION,
                "app_version": version("tracker"), "alembic_revision": revision,
                "created_at": utcnow().isoformat(), "source": connection.dialect.name,
                "tables": tables, "files": _file_digests(connection),
            }
            archive.writestr(MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False))
        # A backup that stopped half way never takes the name of a good one.
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def _check_revision(connection: Connection) -> str:
    """Return the database's revision, refusing one this code's models do not describe."""
    config = current_app.extensions["migrate"].migrate.get_config()
    expected = ",".join(sorted(ScriptDirectory.from_config(config).get_heads()))
    revision = schema_revision(connection)
    if revision != expected:
        raise BackupError(
            f"the database is at schema revision {revision or '(none)'} but this version of "
            f"the tracker is at {expected}: back it up with the version that created it, or "
            "run `tracker db upgrade` first")
    return revision


def _write_table(archive: zipfile.ZipFile, connection: Connection, table: Table) -> dict:
    """Stream one table into its member, a JSON array per row; return its manifest entry."""
    columns = list(table.columns)
    kinds = [column_kind(column) for column in columns]
    # JSON columns as their text: SQL NULL and the JSON value null stay apart.
    selected = [cast(column, Text).label(column.name) if kind == "json" else column
                for column, kind in zip(columns, kinds, strict=True)]
    fetch = BINARY_ROWS_PER_FETCH if "bytes" in kinds else ROWS_PER_FETCH
    query = select(*selected).order_by(*table.primary_key.columns)
    digest, rows = hashlib.sha256(), 0
    info = zipfile.ZipInfo(member_name(table.name), date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as member:
        for row in connection.execute(query.execution_options(yield_per=fetch)):
            values = [encode(kind, value) for kind, value in zip(kinds, row, strict=True)]
            line = json.dumps(values, ensure_ascii=False, separators=(",", ":")) + "\n"
            data = line.encode("utf-8")
            digest.update(data)
            member.write(data)
            rows += 1
    return {"name": table.name, "rows": rows, "sha256": digest.hexdigest(),
            "columns": [{"name": column.name, "kind": kind}
                        for column, kind in zip(columns, kinds, strict=True)]}


def _file_digests(connection: Connection) -> list[dict]:
    """Return every stored file's id, size and SHA-256, computed from its bytes."""
    ids = connection.execute(select(StoredFile.id).order_by(StoredFile.id)).scalars().all()
    return [file_digest(file_id) for file_id in ids]
