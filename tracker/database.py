"""Engine tuning per dialect, and the planner's statistics after bulk writes."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import current_app
from sqlalchemy import Table, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


def engine_options(config) -> dict:
    """The engine's options, with a bound on how long opening a PostgreSQL connection waits.

    Without one, a request, a task or ``/readyz`` that needs a new connection while the
    database's host does not answer (a failed-over address, a dropped route) waits as long
    as the operating system's TCP retries last, minutes, instead of failing in seconds. A
    ``connect_timeout`` written in the URL itself wins.
    """
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    seconds = config.get("DATABASE_CONNECT_TIMEOUT")
    if url.get_backend_name() == "postgresql" and seconds and "connect_timeout" not in url.query:
        options["connect_args"] = {"connect_timeout": int(seconds),
                                   **options.get("connect_args", {})}
    return options


def configure_engine(engine: Engine) -> None:
    """Give SQLite foreign keys and real transactions (savepoints included)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN")


def refresh_statistics(session: Session, tables: Iterable[Table], rows: int) -> bool:
    """ANALYZE the tables a bulk write filled, when it wrote enough rows to matter.

    The planner chooses its plans from statistics that autovacuum refreshes only later, or
    never when it is off: after a bulk assignment of 160,000 rows, "My institution" was
    planned for the table as it was before. This runs as the writing transaction's last
    step, so the statistics are committed with the rows they describe (PostgreSQL's
    ANALYZE counts the rows its own transaction wrote). A failure (no right to analyse,
    say) is logged and leaves the write alone. Return whether the tables were analysed.
    """
    if rows < current_app.config["STATISTICS_MIN_ROWS"]:
        return False
    quote = session.get_bind().dialect.identifier_preparer.quote
    names = sorted({table.name for table in tables})
    try:
        with session.begin_nested():
            for name in names:
                session.execute(text(f"ANALYZE {quote(name)}"))
    except DBAPIError as exc:
        log.warning("could not refresh the statistics of %s: %s", ", ".join(names), exc)
        return False
    return True
