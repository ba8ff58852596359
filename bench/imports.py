"""Time the import of the UPR Info export through the real import path, and its re-import.

    .venv/bin/python bench/imports.py                 # SQLite, a file in a temporary folder
    TRACKER_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/tracker_bench \\
        .venv/bin/python bench/imports.py             # PostgreSQL, schema "bench_import"
    .venv/bin/python bench/imports.py --profile       # and print where the time goes

The schema is built by the migrations and seeded, as ``run.py`` does, in a schema of its
own ("bench_import", dropped at the end unless ``--keep``), so the page benchmark's
schema "bench" is never touched. The file is read with ``read_upr_info`` and written with
``import_records`` (ORM, links, audit trail), then committed: that time, divided by the
file's rows, is the figure reported. A second import of the same file (nothing changes)
is timed too. It exits 0 whatever the figures are: a benchmark reports.

``time_import(upr_file, log)`` returns the figures for ``run.py`` to print in its report.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import dataset  # noqa: E402
import run  # noqa: E402

IMPORT_TARGET_ROWS_PER_S = 2000  # issue 9: the UPR Info export on PostgreSQL
SCHEMA = "bench_import"


@dataclass
class ImportFigures:
    rows: int
    records: int
    summary: str
    seconds: float
    again_seconds: float
    again_summary: str
    audit_events: int

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def _import_once(upr_file: Path, profile: bool):
    from tracker.extensions import db
    from tracker.imports import read_upr_info
    from tracker.services.imports import import_records

    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    result = import_records(read_upr_info(upr_file), publish=True, keep_other_states=True)
    db.session.commit()
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - start
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        run.log(out.getvalue())
    return result, seconds


def time_import(upr_file: Path, url: str | None, *, keep: bool = False, profile: bool = False,
                log=run.log) -> ImportFigures:
    """Import the export into an empty seeded schema, then again; return the figures."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from tracker.extensions import db
    from tracker.models import AuditEvent
    from tracker.services.seed import seed_reference_data

    # run.Database creates and drops the schema run.SCHEMA names: ours while it works.
    previous, run.SCHEMA = run.SCHEMA, SCHEMA
    database = run.Database(url, keep)
    app = None
    try:
        log(f"database: {database.describe()}")
        app = run.make_app(database)
        with app.app_context():
            upgrade()
            seed_reference_data()
            db.session.commit()
            log(f"importing {upr_file.name} ...")
            result, seconds = _import_once(upr_file, profile)
            log(f"  {result.summary()} in {seconds:.1f} s")
            log(f"importing {upr_file.name} again (nothing to change) ...")
            again, again_seconds = _import_once(upr_file, profile=False)
            log(f"  {again.summary()} in {again_seconds:.1f} s")
            events = db.session.execute(select(func.count()).select_from(AuditEvent)).scalar()
            return ImportFigures(result.rows, result.records, result.summary(), seconds,
                                 again_seconds, again.summary(), events)
    finally:
        run.release(app, database)
        run.SCHEMA = previous


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the schema or SQLite file")
    parser.add_argument("--profile", action="store_true",
                        help="print the 30 costliest calls of the first import")
    args = parser.parse_args(argv)
    upr_file = run.data_dir() / dataset.UPR_INFO_FILE
    if not upr_file.is_file():
        run.log(f"{upr_file} not found: set TRACKER_DATA_DIR to the recommendation data folder.")
        return 0
    figures = time_import(upr_file, os.environ.get("TRACKER_BENCH_DATABASE_URL"),
                          keep=args.keep, profile=args.profile)
    verdict = "ok" if figures.rows_per_s >= IMPORT_TARGET_ROWS_PER_S else "BELOW TARGET"
    run.log(f"import: {figures.rows:,} file rows ({figures.records:,} records) in "
            f"{figures.seconds:.1f} s = {figures.rows_per_s:,.0f} rows/s "
            f"(target {IMPORT_TARGET_ROWS_PER_S:,}): {verdict}")
    run.log(f"re-import of the same file: {figures.again_seconds:.1f} s")
    run.log(f"audit events written: {figures.audit_events:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
