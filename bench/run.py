"""Benchmark the tracker at the scale of the whole UN index (~270,000 recommendations).

    .venv/bin/python bench/run.py              # 270,000 recommendations, 20 timings a page
    .venv/bin/python bench/run.py --quick      # 45,000 recommendations, 5 timings a page
    TRACKER_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/tracker_bench \\
        .venv/bin/python bench/run.py          # on PostgreSQL, in a schema "bench" of its own

It prints its figures and exits 0 whatever they are: a benchmark reports, it does not fail
a build. See bench/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import logging
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import dataset  # noqa: E402
from measure import (  # noqa: E402
    Case,
    StatementTimeout,
    Timing,
    ms,
    table,
    time_call,
    time_page,
)
from sqlalchemy import create_engine, select, text  # noqa: E402

# --- targets ----------------------------------------------------------------------------------
# What "fast" means, at 270,000 recommendations on PostgreSQL (the production database).
# Every row is marked OK or SLOW against them; on SQLite and at other sizes they are a guide.
PAGE_MEDIAN_TARGET_MS = 500
PAGE_P95_TARGET_MS = 1000
IMPORT_TARGET_ROWS_PER_S = 2000   # the whole UN index (~270,000 rows) in under 2¼ minutes
REIMPORT_TARGET_S = 10            # re-importing 5,000 rows (a corrected export)
BULK_ASSIGN_TARGET_S = 5          # the web form runs it inside one request

FULL_SIZE, FULL_REPEAT = 270_000, 20
QUICK_SIZE, QUICK_REPEAT = 45_000, 5
SCHEMA = "bench"
REIMPORT_ROWS = 5_000
# A seeded theme: an unknown label would only join the queue of labels to map, and the
# records would stay unchanged instead of being updated.
REIMPORT_THEME = "Land & property rights"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time the tracker's pages and bulk operations on a UN-index-sized "
                    "database. SQLite in a temporary folder, or PostgreSQL (in a schema "
                    f"'{SCHEMA}' that is created and dropped) when TRACKER_BENCH_DATABASE_URL "
                    "is set.")
    parser.add_argument("--size", type=int, default=None,
                        help=f"recommendations to build (default {FULL_SIZE:,})")
    parser.add_argument("--repeat", type=int, default=None,
                        help=f"timed requests per page (default {FULL_REPEAT})")
    parser.add_argument("--warmup", type=int, default=2,
                        help="untimed requests per page first (default 2)")
    parser.add_argument("--statement-timeout", type=float, default=60.0,
                        help="stop any SQL statement of a timed page after this many "
                             "seconds and report the page as stopped (default 60)")
    parser.add_argument("--page-budget", type=float, default=60.0,
                        help="stop repeating a page once its timed requests add up to this "
                             "many seconds; a page whose first request took over half of "
                             "it is timed once (default 60)")
    parser.add_argument("--quick", action="store_true",
                        help=f"a fast run: size {QUICK_SIZE:,}, repeat {QUICK_REPEAT}")
    parser.add_argument("--assignments", type=int, default=5_000,
                        help="assignments spread over 10 institutions (default 5,000)")
    parser.add_argument("--reports", type=int, default=3_000,
                        help="progress reports in every state (default 3,000)")
    parser.add_argument("--actions", type=int, default=300,
                        help="office actions (default 300)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the SQLite file or the PostgreSQL schema afterwards")
    args = parser.parse_args(argv)
    args.size = args.size or (QUICK_SIZE if args.quick else FULL_SIZE)
    args.repeat = args.repeat or (QUICK_REPEAT if args.quick else FULL_REPEAT)
    return args


def log(message: str) -> None:
    print(message, flush=True)


# --- the database -----------------------------------------------------------------------------


class Database:
    """A fresh SQLite file, or a dedicated schema in the PostgreSQL database given."""

    def __init__(self, url: str | None, keep: bool) -> None:
        from tracker.config import normalise_database_url

        self.keep = keep
        self.admin_engine = None
        self.tmpdir = None
        if url:
            self.url = normalise_database_url(url)
            self.kind = "postgresql"
            self.admin_engine = create_engine(self.url)
            with self.admin_engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
                conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
            self.engine_options = {"pool_pre_ping": True,
                                   "connect_args": {"options": f"-csearch_path={SCHEMA}"}}
        else:
            self.tmpdir = tempfile.mkdtemp(prefix="tracker-bench-")
            self.url = "sqlite:///" + str(Path(self.tmpdir) / "bench.db")
            self.kind = "sqlite"
            self.engine_options = {"pool_pre_ping": True}

    def describe(self) -> str:
        if self.kind == "sqlite":
            return f"SQLite {sqlite3.sqlite_version} (file {self.url[len('sqlite:///'):]})"
        with self.admin_engine.connect() as conn:
            server = conn.execute(text("SHOW server_version")).scalar()
        where = self.admin_engine.url.render_as_string(hide_password=True)
        return f"PostgreSQL {server} ({where}, schema {SCHEMA})"

    def tidy(self) -> None:
        """Make the statistics a running server would have (PostgreSQL's autovacuum)."""
        if self.kind != "postgresql":
            return
        from tracker.extensions import db

        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in db.metadata.sorted_tables:
                conn.exec_driver_sql(f'VACUUM ANALYZE "{table.name}"')

    def drop(self) -> None:
        if self.keep:
            log(f"kept: {self.url if self.kind == 'sqlite' else f'schema {SCHEMA}'}")
        elif self.kind == "sqlite":
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        else:
            with self.admin_engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        if self.admin_engine is not None:
            self.admin_engine.dispose()


def release(app, database) -> None:
    """Close the app's connections, then drop the database's data (unless it is kept)."""
    if app is not None:
        from tracker.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    if database is not None:
        database.drop()


def make_app(database: Database):
    from tracker import create_app

    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database.url,
        "SQLALCHEMY_ENGINE_OPTIONS": database.engine_options,
        "SECRET_KEY": "bench-only-secret",
        "MAIL_SERVER": None,
        "CELERY_BROKER_URL": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_ENABLED": False,
    })
    logging.getLogger().setLevel(logging.WARNING)
    return app


# --- building the data ------------------------------------------------------------------------


def build(app, database: Database, args, upr_file: Path):
    from flask_migrate import upgrade

    from tracker.extensions import db
    from tracker.services.seed import seed_reference_data

    info = dataset.BuildInfo()
    clock = dataset.Clock()
    with app.app_context():
        upgrade()
        logging.getLogger().setLevel(logging.WARNING)
        seed_reference_data()
        db.session.commit()
        info.step("schema (migrations) and reference lists", clock.lap())

        log("importing one copy of the UPR Info export through import_records ...")
        dataset.import_first_copy(upr_file, info, log)
        info.step("import_records: one copy of the export (real import path)",
                  info.import_seconds,
                  f"{info.import_rows:,} file rows ({info.import_records:,} records), "
                  f"{info.import_rows / info.import_seconds:,.0f} rows/s")
        clock.lap()
        dataset.date_first_copy()

        log(f"growing to {args.size:,} recommendations with INSERT ... SELECT ...")
        dataset.grow(args.size, info, log)
        info.step(f"set-based copies 2..{info.copies} (INSERT ... SELECT, not the ORM)",
                  info.copy_seconds, f"{info.copied_rows:,} recommendations and their links")
        clock.lap()

        reviewer_id, focal = dataset.create_users()
        assessed = dataset.spread_statuses(reviewer_id)
        info.step("statuses and their assessments (set-based)", clock.lap(),
                  f"{assessed:,} assessments")
        by_institution = dataset.create_assignments(args.assignments, focal, reviewer_id)
        reports = dataset.create_reports(args.reports, by_institution, focal, reviewer_id)
        dataset.create_office_actions(args.actions, by_institution, reviewer_id)
        info.step("users, assignments, progress reports, office actions", clock.lap(),
                  ", ".join(f"{n:,} {state}" for state, n in sorted(reports.items())))
        database.tidy()
        if database.kind == "postgresql":
            info.step("VACUUM ANALYZE (what autovacuum would have done)", clock.lap())
        fixture = dataset.fixture(reviewer_id, focal)
        counts = dataset.row_counts()
    return info, fixture, counts


# --- the measurements -------------------------------------------------------------------------


def page_cases(fx: dataset.Fixture) -> list[Case]:
    upr = fx.mechanism_ids["UPR"]
    theme = f"theme {fx.theme_name!r}"
    return [
        Case("public: home (counts)", "/"),
        Case("public: list, page 1", "/recommendations"),
        Case("public: list, page 500", "/recommendations?page=500"),
        Case("public: list, mechanism UPR", f"/recommendations?mechanism={upr}"),
        Case("public: list, status implemented", "/recommendations?status=implemented"),
        Case(f"public: list, {theme}", f"/recommendations?theme={fx.theme_id}"),
        Case("public: search 'women' (common)", "/recommendations?q=women"),
        Case("public: search 'albinism' (rare)", "/recommendations?q=albinism"),
        Case("public: list, UPR + in progress + theme + 'women'",
             f"/recommendations?mechanism={upr}&status=in_progress&theme={fx.theme_id}"
             "&q=women"),
        Case("public: recommendation page", f"/recommendations/{fx.detail_id}"),
        Case("public: dashboard", "/dashboard"),
        Case("public: dashboard chart (by theme)", "/dashboard/charts/es/theme.svg"),
        Case("public: institutions", "/institutions"),
        Case("public: institution with the most assignments",
             f"/institutions/{fx.bulk_institution_id}"),
        Case("public: document page", f"/documents/{fx.detail_document_id}"),
        Case("public: pillars", "/pillars"),
        Case(f"focal point ({fx.focal_institution}): my institution", "/my-institution/",
             "focal"),
        Case(f"focal point ({fx.focal_institution}): overdue", "/my-institution/?due=overdue",
             "focal"),
        Case("reviewer: home", "/review/", "reviewer"),
        Case("reviewer: recommendations, unfiltered", "/review/recommendations", "reviewer"),
        Case("reviewer: recommendations, UPR + in progress",
             f"/review/recommendations?mechanism={upr}&status=in_progress", "reviewer"),
        Case("reviewer: recommendations, unassigned + 'women'",
             "/review/recommendations?institution=none&q=women", "reviewer"),
        Case("reviewer: recommendation page", f"/review/recommendations/{fx.detail_id}",
             "reviewer"),
        Case("reviewer: review queue", "/review/reports/", "reviewer"),
        Case("reviewer: office actions", "/review/actions", "reviewer"),
    ]


def clients(app, fx: dataset.Fixture) -> dict:
    from tracker.extensions import db
    from tracker.models import User
    from tracker.services.sessions import start_session

    with app.app_context():
        tokens = {who: start_session(db.session.get(User, uid), remember=False)
                  for who, uid in (("focal", fx.focal_id), ("reviewer", fx.reviewer_id))}
        db.session.commit()
    made = {None: app.test_client()}
    for who, token in tokens.items():
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = token
            sess["_fresh"] = True
        made[who] = client
    return made


def time_pages(app, fx: dataset.Fixture, args) -> list[Timing]:
    from tracker.extensions import db

    with app.app_context():
        engine = db.engine
    by_who = clients(app, fx)
    results = []
    with StatementTimeout(engine, args.statement_timeout) as timeout:
        for case in page_cases(fx):
            timing = time_page(by_who[case.who], timeout, case, args.repeat, args.warmup,
                               args.page_budget)
            results.append(timing)
            shown = timing.error or (f"median {ms(timing.median)} ms, p95 {ms(timing.p95)} ms"
                                     f" ({len(timing.times_ms)} timed)")
            log(f"  {case.label}: {shown}")
    return results


@dataclasses.dataclass
class Operation:
    label: str
    seconds: float
    rows: int
    target: str
    ok: bool
    note: str = ""


def time_operations(app, fx: dataset.Fixture, info: dataset.BuildInfo, upr_file: Path
                    ) -> list[Operation]:
    from tracker.audit import acting_as
    from tracker.extensions import db
    from tracker.imports import RecommendationRecord, read_upr_info
    from tracker.models import Recommendation, User
    from tracker.services.assignments import AssignmentTerms, bulk_assign
    from tracker.services.imports import import_records

    rate = info.import_rows / info.import_seconds
    ops = [Operation("import_records: one copy of the export, new rows",
                     info.import_seconds, info.import_rows,
                     f">= {IMPORT_TARGET_ROWS_PER_S:,} rows/s",
                     rate >= IMPORT_TARGET_ROWS_PER_S,
                     f"file rows; {info.import_records:,} records, "
                     f"{info.import_created:,} created, {info.import_errors} errors, "
                     f"{info.import_warnings} warnings; into an empty database")]

    records = list(itertools.islice(
        (r for r in read_upr_info(upr_file) if isinstance(r, RecommendationRecord)),
        REIMPORT_ROWS))
    changed = [dataclasses.replace(r, themes=[*r.themes, REIMPORT_THEME]) for r in records]
    for label, batch in (("unchanged", records),
                         ("with a seeded theme added", changed)):
        with app.app_context():
            def run(batch=batch):
                result = import_records(batch, actor_id=fx.reviewer_id, keep_other_states=True)
                db.session.commit()
                return result

            seconds, result = time_call(run)
        ops.append(Operation(f"import_records: re-import {len(batch):,} records, {label}",
                             seconds, len(batch), f"<= {REIMPORT_TARGET_S} s",
                             seconds <= REIMPORT_TARGET_S,
                             f"created {result.created}, updated {result.updated:,}, "
                             f"skipped {result.skipped:,}"))
        log(f"  {ops[-1].label}: {seconds:.2f} s")

    upr = fx.mechanism_ids["UPR"]
    for label in ("new assignments", "again: all existing, updated"):
        with app.app_context():
            reviewer = db.session.get(User, fx.reviewer_id)

            def run(reviewer=reviewer):
                with acting_as(reviewer.id, reviewer.email):
                    result = bulk_assign(
                        reviewer, select(Recommendation.id).where(
                            Recommendation.mechanism_id == upr),
                        [fx.bulk_institution_id], AssignmentTerms(rhythm_months=6),
                        scope={"mechanism": upr, "benchmark": True})
                    db.session.commit()
                return result

            seconds, result = time_call(run)
        ops.append(Operation(f"bulk_assign: every UPR recommendation, {label}", seconds,
                             result.recommendations, f"<= {BULK_ASSIGN_TARGET_S} s",
                             seconds <= BULK_ASSIGN_TARGET_S,
                             f"created {result.created:,}, updated {result.updated:,}"))
        log(f"  {ops[-1].label}: {seconds:.2f} s")
    return ops


# --- the report -------------------------------------------------------------------------------


def verdict(timing: Timing, timeout: float) -> str:
    if timing.timed_out:
        return f"SLOW (a query ran > {timeout:.0f} s and was stopped)"
    if timing.error:
        return f"ERROR ({timing.error})"
    ok = timing.median <= PAGE_MEDIAN_TARGET_MS and timing.p95 <= PAGE_P95_TARGET_MS
    return "OK" if ok else "SLOW"


def report(database: Database, args, info, counts, pages, ops, exported,
           started: float) -> None:
    import exports as export_bench

    log("")
    log("=" * 100)
    log(f"Tracker benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    log(f"database     {database.describe()}")
    log(f"software     Python {platform.python_version()}, Flask {version('flask')}, "
        f"SQLAlchemy {version('sqlalchemy')}"
        + (f", psycopg {version('psycopg')}" if database.kind == "postgresql" else ""))
    log(f"machine      {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} "
        f"{platform.release()}")
    log(f"size         {counts['recommendation']:,} recommendations (asked {args.size:,}); "
        f"{args.repeat} timed requests a page after {args.warmup} warm-up(s)")
    log(f"targets      page median <= {PAGE_MEDIAN_TARGET_MS} ms and p95 <= "
        f"{PAGE_P95_TARGET_MS} ms; import >= {IMPORT_TARGET_ROWS_PER_S:,} rows/s; "
        f"re-import of {REIMPORT_ROWS:,} <= {REIMPORT_TARGET_S} s; bulk assignment <= "
        f"{BULK_ASSIGN_TARGET_S} s (set for 270,000 on PostgreSQL)")
    log("")
    log("Building the data")
    log(table(["step", "seconds", "note"],
              [[s.label, f"{s.seconds:.1f}", s.note] for s in info.steps], right={1}))
    log("")
    log("Rows")
    log(table(["table", "rows"], [[k, f"{v:,}"] for k, v in counts.items()], right={1}))
    log("")
    log("Pages (Flask test client: routing, queries, templates; times in ms; n = timed "
        "requests)")
    log(table(
        ["page", "median", "p95", "min", "n", "queries", "KB", "verdict"],
        [[t.label, *((f"> {args.statement_timeout * 1000:,.0f}",) * 3 if t.timed_out else
                     (ms(t.median), ms(t.p95), ms(min(t.times_ms)) if t.times_ms else "—")),
          str(len(t.times_ms)), str(t.queries) if t.queries is not None else "—",
          f"{t.size_kb:.0f}" if t.size_kb is not None else "—",
          verdict(t, args.statement_timeout)] for t in pages],
        right={1, 2, 3, 4, 5, 6}))
    log("")
    log("Operations (services called directly, commit included)")
    log(table(
        ["operation", "seconds", "rows", "rows/s", "target", "verdict", "note"],
        [[o.label, f"{o.seconds:.2f}", f"{o.rows:,}", f"{o.rows / o.seconds:,.0f}", o.target,
          "OK" if o.ok else "SLOW", o.note] for o in ops],
        right={1, 2, 3}))
    log("")
    log("Exports (built as the worker builds them, each in a child process)")
    log(export_bench.export_table(exported))
    slow = [t.label for t in pages if verdict(t, args.statement_timeout) != "OK"]
    slow += [o.label for o in ops if not o.ok]
    slow += [r.label for r in exported if not r.ok]
    log("")
    log(f"{len(slow)} of {len(pages) + len(ops) + len(exported)} measurements missed their target"
        + (": " + "; ".join(slow) if slow else "."))
    log(f"whole run: {time.perf_counter() - started:.0f} s")


def data_dir() -> Path:
    """Return the folder of data sets too large to ship: TRACKER_DATA_DIR, else ../shared/data."""
    env = os.environ.get("TRACKER_DATA_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    args = parse_args(argv)
    upr_file = data_dir() / dataset.UPR_INFO_FILE
    if not upr_file.is_file():
        log(f"{upr_file} not found: set TRACKER_DATA_DIR to the recommendation data folder.")
        return 2
    database = Database(os.environ.get("TRACKER_BENCH_DATABASE_URL"), args.keep)
    app = None
    try:
        log(f"database: {database.describe()}")
        app = make_app(database)
        info, fx, counts = build(app, database, args, upr_file)
        log(f"timing {len(page_cases(fx))} pages, {args.repeat} times each ...")
        pages = time_pages(app, fx, args)
        log("timing operations ...")
        ops = time_operations(app, fx, info, upr_file)
        # Imported here: they build on this module (its app factory, its Database).
        import exports as export_bench
        import reminders as reminder_bench

        log("timing exports ...")
        exported = export_bench.time_exports(app)
        log("timing reminder passes (in a schema of their own) ...")
        ops += reminder_bench.time_reminders(os.environ.get("TRACKER_BENCH_DATABASE_URL"),
                                             keep=args.keep, log=log)
        report(database, args, info, counts, pages, ops, exported, started)
    finally:
        release(app, database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
