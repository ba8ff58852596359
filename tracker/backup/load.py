"""Restore an archive into an empty database at the same schema revision, in one transaction.

Nothing is written before every check that can be made up front has passed (the archive's
format, the database's revision, its emptiness); what can only be checked while reading
(each table's checksum and count, each stored file's bytes) fails the one transaction, so
a refused or failed restore leaves the database as it was.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import (
    MetaData,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    exists,
    func,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import NoSuchTableError

from tracker.backup.archive import (
    FILLED_BY_MIGRATIONS,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    BackupError,
    decode,
    file_digest,
    member_name,
    schema_revision,
)
from tracker.extensions import db

ROWS_PER_INSERT = 500
BINARY_ROWS_PER_INSERT = 4


def restore_backup(path: Path) -> dict:
    """Load an archive into this empty database (not committed); return its manifest."""
    connection = db.session.connection()
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = _read_manifest(archive)
            tables = _target_tables(connection, manifest)
            for entry in manifest["tables"]:
                _restore_table(archive, connection, tables[entry["name"]], entry)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, KeyError) as exc:
        raise BackupError(f"the archive is damaged or not a tracker backup ({exc})") from exc
    _check_counts(connection, tables, manifest)
    _check_files(manifest)
    _reset_sequences(connection, tables.values())
    return manifest


def _read_manifest(archive: zipfile.ZipFile) -> dict:
    manifest = json.loads(archive.read(MANIFEST))
    if manifest.get("format") != FORMAT:
        raise BackupError("this file is not a tracker backup")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"backup format {manifest.get('format_version')} is not one this "
                          f"version of the tracker reads (it reads {FORMAT_VERSION})")
    return manifest


def _target_tables(connection: Connection, manifest: dict) -> dict[str, Table]:
    """Return the database's tables, refusing a database at another revision or not empty."""
    wanted, revision = manifest["alembic_revision"], schema_revision(connection)
    if revision != wanted:
        raise BackupError(
            f"the backup is of schema revision {wanted} and this database is at "
            f"{revision or '(none: no schema)'}: bring it to the backup's revision with "
            f"`tracker db upgrade {wanted}` on an empty database, restore, then run "
            "`tracker db upgrade`")
    metadata, tables = MetaData(), {}
    for entry in manifest["tables"]:
        try:
            table = Table(entry["name"], metadata, autoload_with=connection)
        except NoSuchTableError as exc:
            raise BackupError(f"this database has no table {entry['name']}") from exc
        missing = [c["name"] for c in entry["columns"] if c["name"] not in table.c]
        if missing:
            raise BackupError(f"table {table.name} has no column {', '.join(missing)}")
        tables[table.name] = table
    filled = [name for name, table in tables.items() if name not in FILLED_BY_MIGRATIONS
              and connection.scalar(select(exists().select_from(table)))]
    if filled:
        named = ", ".join(filled[:5]) + (f" and {len(filled) - 5} more" if filled[5:] else "")
        raise BackupError(f"this database is not empty (rows in {named}): restore only into "
                          "a new database, migrated and never used")
    return tables


def _lines(archive: zipfile.ZipFile, entry: dict) -> Iterator[list]:
    """Yield the table's rows as decoded lists, checking its checksum and count at the end."""
    kinds = [column["kind"] for column in entry["columns"]]
    digest, count = hashlib.sha256(), 0
    with archive.open(member_name(entry["name"])) as member:
        for line in member:
            digest.update(line)
            count += 1
            values = json.loads(line)
            yield [decode(kind, value) for kind, value in zip(kinds, values, strict=True)]
    if digest.hexdigest() != entry["sha256"] or count != entry["rows"]:
        raise BackupError(f"table {entry['name']} in the archive does not match its checksum: "
                          "the file is damaged or was changed")


def _restore_table(archive: zipfile.ZipFile, connection: Connection, table: Table,
                   entry: dict) -> None:
    """Insert a table's rows in batches; references to its own rows are set afterwards."""
    names = [column["name"] for column in entry["columns"]]
    # A row may refer to a later row of its own table (a term merged into a newer one).
    own = [name for name in names
           if any(fk.column.table is table for fk in table.c[name].foreign_keys)]
    size = (BINARY_ROWS_PER_INSERT if any(c["kind"] == "bytes" for c in entry["columns"])
            else ROWS_PER_INSERT)
    if table.name in FILLED_BY_MIGRATIONS:
        connection.execute(delete(table))
    statement, keys = _insert_statement(connection, table, entry)
    batch = []
    links = []  # only the keys and the references of the rows that refer to their own table
    for values in _lines(archive, entry):
        row = dict(zip(names, values, strict=True))
        if own and any(row[name] is not None for name in own):
            links.append({f"_{name}": row[name] for name in [*_keys(table), *own]})
            row.update(dict.fromkeys(own))
        batch.append({keys[name]: value for name, value in row.items()})
        if len(batch) == size:
            connection.execute(statement, batch)
            batch = []
    if batch:
        connection.execute(statement, batch)
    if links:
        _link_own_rows(connection, table, own, links)


def _insert_statement(connection: Connection, table: Table, entry: dict):
    """Return the table's INSERT, and the parameter name of each archived column.

    JSON columns take the text the archive holds as it is, so that nothing is re-encoded
    (the JSON value null and SQL NULL stay apart, and so does every text's spelling).
    """
    texts = {column["name"]: bindparam(f"_text_{column['name']}", type_=Text)
             for column in entry["columns"] if column["kind"] == "json"}
    if connection.dialect.name == "postgresql":
        texts = {name: cast(param, table.c[name].type) for name, param in texts.items()}
    keys = {column["name"]: column["name"] for column in entry["columns"]}
    keys.update({name: f"_text_{name}" for name in texts})
    statement = table.insert().values(texts) if texts else table.insert()
    return statement, keys


def _keys(table: Table) -> list[str]:
    return [column.name for column in table.primary_key.columns]


def _link_own_rows(connection: Connection, table: Table, own: list[str],
                   links: list[dict]) -> None:
    key = [table.c[name] == bindparam(f"_{name}") for name in _keys(table)]
    statement = table.update().where(*key).values(
        {name: bindparam(f"_{name}") for name in own})
    for start in range(0, len(links), ROWS_PER_INSERT):
        connection.execute(statement, links[start:start + ROWS_PER_INSERT])


def _check_counts(connection: Connection, tables: dict[str, Table], manifest: dict) -> None:
    for entry in manifest["tables"]:
        found = connection.scalar(select(func.count()).select_from(tables[entry["name"]]))
        if found != entry["rows"]:
            raise BackupError(f"table {entry['name']} holds {found} rows after the restore, "
                              f"the backup {entry['rows']}")


def _check_files(manifest: dict) -> None:
    for expected in manifest["files"]:
        if file_digest(expected["id"]) != expected:
            raise BackupError(f"stored file {expected['id']} does not match its checksum "
                              "after the restore")


def _reset_sequences(connection: Connection, tables) -> None:
    """Make PostgreSQL's id sequences continue after the restored ids."""
    if connection.dialect.name != "postgresql":
        return  # SQLite takes the next id from the rows themselves
    quote = connection.dialect.identifier_preparer.quote
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1:
            continue
        sequence = connection.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                     {"t": quote(table.name), "c": keys[0].name})
        if sequence:
            column, name = quote(keys[0].name), quote(table.name)
            connection.execute(text(
                f"SELECT setval(:s, COALESCE(MAX({column}), 1), MAX({column}) IS NOT NULL) "  # noqa: S608 - quoted names from the schema
                f"FROM {name}"), {"s": sequence})
