"""Time the exports of every recommendation (matrix XLSX and CSV, status report PDF).

    .venv/bin/python bench/exports.py             # 270,000 recommendations
    .venv/bin/python bench/exports.py --quick     # 45,000
    TRACKER_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/tracker_bench \\
        .venv/bin/python bench/exports.py --keep  # on PostgreSQL, schema "bench" kept

The data set is the one ``bench/run.py`` builds (see bench/README.md). Building it takes
minutes, so a PostgreSQL schema "bench" that already holds recommendations (left by
``run.py --keep`` or by this script's ``--keep``) is reused as it is, brought to the newest
migration; ``--rebuild`` builds it again. On SQLite, ``--sqlite-file`` reuses a kept file.

Each export runs in a child process (forked), so that its peak memory is its own: the
growth is the child's peak private memory during the build minus its private memory
just before, after a warm-up build of 500 rows (see ``_build_in_child``). It prints its
figures and exits 0 whatever they are.

``time_exports(app)`` is what ``run.py`` can call on the app it built.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import dataset  # noqa: E402
import run  # noqa: E402
from measure import table  # noqa: E402
from sqlalchemy import create_engine, inspect, text  # noqa: E402

# --- targets ----------------------------------------------------------------------------------
# At 270,000 recommendations on PostgreSQL: the worker builds the whole matrix within a
# minute and its memory does not grow with the number of rows.
EXPORT_TARGET_S = 60
MEMORY_TARGET_MB = 100

# (label, builder, public variant, language)
EXPORTS = (
    ("status matrix XLSX, internal, es", "matrix:build_status_matrix_xlsx", False, "es"),
    ("status matrix CSV, internal, es", "matrix:build_status_matrix_csv", False, "es"),
    ("status matrix XLSX, public, en", "matrix:build_status_matrix_xlsx", True, "en"),
    ("status report PDF, internal, es", "status_report:build_status_report_pdf", False, "es"),
)
SAMPLE_EVERY_S = 0.05
WARM_UP_ROWS = 500


@dataclass
class ExportResult:
    label: str
    seconds: float
    rows: int
    growth_mb: float
    file_mb: float
    ok: bool
    error: str = ""


def log(message: str) -> None:
    print(message, flush=True)


# --- one build, measured in a child process -----------------------------------------------------


def _rss_bytes() -> int:
    """Return the memory this process holds of its own (private pages), in bytes.

    A child forked from a large parent starts out sharing the parent's pages, and a build
    may reuse the heap the parent had freed without the resident size growing; every page
    the child writes becomes its own, so the private size is what the build really costs.
    """
    try:
        with open("/proc/self/smaps_rollup") as rollup:
            return sum(int(line.split()[1]) * 1024 for line in rollup
                       if line.startswith(("Private_Clean:", "Private_Dirty:")))
    except OSError:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class _PeakSampler(threading.Thread):
    """Read the process's resident memory every few milliseconds; keep the highest."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = _rss_bytes()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(SAMPLE_EVERY_S):
            self.peak = max(self.peak, _rss_bytes())


def _selection(public: bool, locale: str):
    from flask_login import AnonymousUserMixin
    from sqlalchemy import select

    from tracker.exports import Selection
    from tracker.extensions import db
    from tracker.models import Role, User, utcnow
    from tracker.services.curation_queries import ReviewFilters, matching_ids

    actor = AnonymousUserMixin() if public else db.session.scalar(
        select(User).where(User.role == Role.REVIEWER).order_by(User.id).limit(1))
    return Selection(ids=matching_ids(actor, ReviewFilters()), public=public, locale=locale,
                     description=[], generated_at=utcnow())


def _build_in_child(app, builder_name: str, public: bool, locale: str, results) -> None:
    """Run one builder as the worker would and send back its time and memory growth."""
    try:
        import dataclasses
        import gc
        import importlib

        from flask_babel import force_locale

        from tracker.extensions import db

        with app.app_context():
            # The forked child must not use the connections its parent opened.
            db.engine.dispose(close=False)
            module, name = builder_name.split(":")
            builder = getattr(importlib.import_module(f"tracker.exports.{module}"), name)
            with force_locale(locale):
                selection = _selection(public, locale)
                # The child shares its parent's pages until it writes them, and merely
                # using an object writes its reference count: a small build first, with the
                # collector told to leave the inherited objects alone, takes that one-off
                # cost out of the figure, so that what remains is what the rows cost.
                gc.freeze()
                with tempfile.TemporaryFile() as warm_up:
                    builder(dataclasses.replace(selection, ids=selection.ids.limit(WARM_UP_ROWS)),
                            warm_up, lambda done, total: None)
                db.session.rollback()
            with force_locale(locale), tempfile.TemporaryFile() as out:
                rss_before = _rss_bytes()
                sampler = _PeakSampler()
                sampler.start()
                started = time.perf_counter()
                built = builder(selection, out, lambda done, total: None)
                seconds = time.perf_counter() - started
                sampler.done.set()
                sampler.join()
                peak = max(sampler.peak, _rss_bytes())
                size = out.seek(0, os.SEEK_END)
            db.session.rollback()
        results.put({"seconds": seconds, "rows": built.rows,
                     "growth": max(peak - rss_before, 0), "size": size})
    except Exception:  # noqa: BLE001 - reported as the row's error, the run goes on
        results.put({"error": traceback.format_exc(limit=3)})


def _wait_for(child, results) -> dict:
    """Return what the child sent, or an error when it died without a word (out of memory)."""
    import queue

    while True:
        try:
            outcome = results.get(timeout=1)
        except queue.Empty:
            if not child.is_alive():
                return {"error": f"the build's process ended with code {child.exitcode}"}
            continue
        child.join()
        return outcome


def time_exports(app) -> list[ExportResult]:
    """Build every matrix export of all recommendations, each in its own process; time them."""
    context = multiprocessing.get_context("fork")
    found = []
    for label, builder_name, public, locale in EXPORTS:
        results = context.Queue()
        child = context.Process(target=_build_in_child,
                                args=(app, builder_name, public, locale, results))
        child.start()
        outcome = _wait_for(child, results)
        if "error" in outcome:
            found.append(ExportResult(label, 0.0, 0, 0.0, 0.0, False,
                                      outcome["error"].strip().splitlines()[-1]))
            log(f"  {label}: ERROR {found[-1].error}")
            continue
        growth = outcome["growth"] / 2**20
        found.append(ExportResult(
            label, outcome["seconds"], outcome["rows"], growth, outcome["size"] / 2**20,
            outcome["seconds"] <= EXPORT_TARGET_S and growth <= MEMORY_TARGET_MB))
        log(f"  {label}: {outcome['seconds']:.1f} s, {outcome['rows']:,} rows, "
            f"+{growth:.0f} MB")
    return found


def _verdict(result: ExportResult) -> str:
    if result.error:
        return f"ERROR ({result.error})"
    return "OK" if result.ok else "SLOW"


def export_table(results: list[ExportResult]) -> str:
    """Return the results as the aligned table run.py prints."""
    return table(
        ["export", "seconds", "rows", "rows/s", "memory growth MB", "file MB", "verdict"],
        [[r.label, f"{r.seconds:.1f}", f"{r.rows:,}",
          f"{r.rows / r.seconds:,.0f}" if r.seconds else "—", f"{r.growth_mb:.0f}",
          f"{r.file_mb:.1f}", _verdict(r)] for r in results],
        right={1, 2, 3, 4, 5})


# --- the data set: reuse a kept one, or build it --------------------------------------------------


@dataclass
class KeptDatabase:
    """A database a previous run kept: only what run.make_app reads of run.Database."""

    url: str
    engine_options: dict
    kind: str

    def describe(self) -> str:
        where = self.url if self.kind == "sqlite" else f"schema {run.SCHEMA}"
        return f"{self.kind}, kept data ({where})"


def kept_database(args) -> KeptDatabase | None:
    """Return the kept benchmark database when it holds recommendations, else None."""
    url = os.environ.get("TRACKER_BENCH_DATABASE_URL")
    if url:
        from tracker.config import normalise_database_url

        url = normalise_database_url(url)
        found = KeptDatabase(url, {"pool_pre_ping": True, "connect_args": {
            "options": f"-csearch_path={run.SCHEMA}"}}, "postgresql")
    elif args.sqlite_file:
        found = KeptDatabase("sqlite:///" + str(Path(args.sqlite_file).resolve()),
                             {"pool_pre_ping": True}, "sqlite")
    else:
        return None
    engine = create_engine(found.url, **found.engine_options)
    try:
        with engine.connect() as conn:
            if found.kind == "postgresql" and not conn.execute(
                    text("SELECT 1 FROM pg_namespace WHERE nspname = :s"),
                    {"s": run.SCHEMA}).first():
                return None
            if not inspect(conn).has_table("recommendation"):
                return None
            count = conn.execute(text("SELECT count(*) FROM recommendation")).scalar()
    finally:
        engine.dispose()
    return found if count else None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time the status matrix exports of every recommendation (XLSX, CSV) and "
                    "their memory growth, on the benchmark data set of bench/run.py.")
    parser.add_argument("--size", type=int, default=None,
                        help=f"recommendations to build (default {run.FULL_SIZE:,})")
    parser.add_argument("--quick", action="store_true",
                        help=f"build {run.QUICK_SIZE:,} recommendations")
    parser.add_argument("--keep", action="store_true",
                        help="keep the data set built here for the next run")
    parser.add_argument("--rebuild", action="store_true",
                        help="build the data set again even when a kept one is there")
    parser.add_argument("--sqlite-file", default=None,
                        help="on SQLite, the kept database file to reuse")
    args = parser.parse_args(argv)
    args.size = args.size or (run.QUICK_SIZE if args.quick else run.FULL_SIZE)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    kept = None if args.rebuild else kept_database(args)
    database, app = None, None
    try:
        if kept is not None:
            from flask_migrate import upgrade

            log(f"database: {kept.describe()}")
            app = run.make_app(kept)
            with app.app_context():
                upgrade()  # a kept schema may predate the newest migrations
        else:
            upr_file = run.data_dir() / dataset.UPR_INFO_FILE
            if not upr_file.is_file():
                log(f"{upr_file} not found: set TRACKER_DATA_DIR to the recommendation data "
                    "folder.")
                return 2
            database = run.Database(os.environ.get("TRACKER_BENCH_DATABASE_URL"), args.keep)
            log(f"database: {database.describe()}; building {args.size:,} recommendations")
            app = run.make_app(database)
            run.build(app, database, run.parse_args(["--size", str(args.size)]), upr_file)
        with app.app_context():
            from tracker.extensions import db

            counts = dataset.row_counts()
            db.session.remove()
        log(f"timing the exports of {counts['recommendation']:,} recommendations ...")
        results = time_exports(app)
        log("")
        log(f"Exports (targets: <= {EXPORT_TARGET_S} s and memory growth <= "
            f"{MEMORY_TARGET_MB} MB at 270,000 recommendations on PostgreSQL)")
        log(export_table(results))
    finally:
        run.release(app, database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
