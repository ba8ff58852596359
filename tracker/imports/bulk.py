"""Set-based inserts for the import: one statement per batch and table, however many rows.

On PostgreSQL an executemany sends one message per row, which for 40,000 recommendations,
their links and their audit events was a third of the import. The batch goes instead as
one JSON document that ``json_to_recordset`` turns back into rows, in one statement (an
array per column would cost as much again: psycopg escapes every text of an array in
Python). SQLite's executemany is already quick.
"""

from __future__ import annotations

import enum
import json
from datetime import date, datetime

from sqlalchemy import JSON, Table, Text, bindparam, cast, column, func, insert, select, text

from tracker.extensions import db


def _json_value(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be sent in a batch")


def insert_rows(table: Table, rows: list[dict]) -> None:
    """Insert rows (dictionaries with the same keys) in one statement."""
    if not rows:
        return
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(insert(table), rows)
        return
    names = list(rows[0])
    payload = json.dumps(rows, default=_json_value, ensure_ascii=False)
    recordset = func.json_to_recordset(cast(bindparam("rows", payload, type_=Text), JSON))
    unpacked = recordset.table_valued(
        *(column(name, table.c[name].type) for name in names)).render_derived(with_types=True)
    db.session.execute(insert(table).from_select(names, select(*unpacked.c)))


def next_ids(table: Table, count: int) -> list[int] | None:
    """Draw ids from the table's PostgreSQL sequence, so its insert needs no RETURNING."""
    # A multi-row INSERT ... RETURNING is rewritten client-side, row by row of SQL; ids
    # drawn first let the rows go as one document. SQLite returns ids cheaply: None there.
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    return list(db.session.execute(
        text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
             "FROM generate_series(1, :count)"), {"table": table.name, "count": count}
    ).scalars())
