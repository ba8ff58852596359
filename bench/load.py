"""Many users at once: a mix of public and signed-in pages under concurrent clients.

    .venv/bin/python bench/load.py --quick                      # 45,000 recommendations, SQLite
    TRACKER_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/tracker_bench_http \\
        .venv/bin/python bench/load.py --clients 16 --duration 60  # 270,000, PostgreSQL

It builds and serves the data set as ``bench/http_load.py`` does (gunicorn with the
production command, a focal point whose institution holds every UPR recommendation),
then requests four kinds of page at the same time, the clients shared among them: the
public search mix, public recommendation pages, the focal point's "My institution" and
the focal point's progress reports (both signed in). It prints, per kind, the requests,
the errors (answers other than 2xx and 3xx, and socket errors) and the median, p95 and
p99 latencies. It exits 0 whatever the figures are.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import http_load  # noqa: E402
import run  # noqa: E402
from sqlalchemy import select  # noqa: E402

REPORT_PAGES = 50


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Request public and signed-in pages at once with concurrent clients (wrk) "
                    "and print the errors and latencies of each kind.")
    parser.add_argument("--size", type=int, default=None,
                        help=f"recommendations to build (default {run.FULL_SIZE:,})")
    parser.add_argument("--quick", action="store_true",
                        help=f"build {run.QUICK_SIZE:,} recommendations")
    parser.add_argument("--clients", type=int, default=16,
                        help="concurrent connections in all, shared among the kinds (default 16)")
    parser.add_argument("--duration", type=int, default=60,
                        help="seconds of requests (default 60)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the SQLite file or the PostgreSQL schema afterwards")
    args = parser.parse_args(argv)
    args.size = args.size or (run.QUICK_SIZE if args.quick else run.FULL_SIZE)
    return args


def report_paths(app, focal_email: str) -> list[str]:
    """Pages of progress reports of the focal point's institution."""
    from tracker.extensions import db
    from tracker.models import ProgressReport, User

    with app.app_context():
        institution_id = db.session.scalar(select(User.institution_id)
                                           .where(User.email == focal_email))
        ids = db.session.scalars(select(ProgressReport.id)
                                 .where(ProgressReport.institution_id == institution_id)
                                 .order_by(ProgressReport.id).limit(REPORT_PAGES)).all()
        db.session.remove()
    return [f"/my-institution/reports/{report_id}" for report_id in ids]


def shares(clients: int, kinds: int) -> list[int]:
    """Split the clients among the kinds as evenly as they go, each at least one."""
    return [max(1, clients // kinds + (i < clients % kinds)) for i in range(kinds)]


def run_at_once(base: str, loads: list[http_load.Load], clients: list[int], duration: int,
                workdir: Path) -> None:
    """Run one wrk per kind, all at the same time, each with its share of the clients."""
    threads = [threading.Thread(target=http_load.run_wrk, args=(
        base, load, argparse.Namespace(threads=1, connections=share, duration=duration),
        workdir)) for load, share in zip(loads, clients, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def print_report(served: http_load.Served, args, loads: list[http_load.Load],
                 clients: list[int]) -> None:
    log = http_load.log
    log("")
    log("=" * 100)
    log(f"Tracker under load: {served.database.describe()}")
    log(f"{served.counts['recommendation']:,} recommendations; gunicorn --workers "
        f"{args.workers} (sync); {sum(clients)} clients at once for {args.duration} s")
    log("")
    rows = []
    for load, share in zip(loads, clients, strict=True):
        if load.error:
            rows.append([load.label, str(share), "—", f"wrk failed: {load.error}", "—", "—", "—"])
            continue
        rows.append([load.label, str(share), f"{load.requests:,}", f"{load.failed:,}",
                     f"{load.p50_ms:,.1f}", f"{load.p95_ms:,.1f}", f"{load.p99_ms:,.1f}"])
    log(http_load.markdown(["kind", "clients", "requests", "errors", "median ms", "p95 ms",
                            "p99 ms"], rows))
    log("")
    log(f"errors in all: {sum(load.failed for load in loads):,} of "
        f"{sum(load.requests for load in loads):,} requests"
        + (" (a kind's wrk failed: see above)" if any(load.error for load in loads) else ""))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if problem := http_load.missing_tools():
        http_load.log(problem)
        return 2
    with http_load.served(args, with_export=False) as up:
        prepared = up.prepared
        reports = report_paths(up.app, prepared.focal_email)
        loads = [
            http_load.Load(f"public search mix ({len(prepared.searches)} searches)",
                           prepared.searches),
            http_load.Load(f"recommendation pages ({len(prepared.recommendation_paths)})",
                           prepared.recommendation_paths),
            http_load.Load("My institution (signed in)", ["/my-institution/"], up.cookie),
            http_load.Load(f"progress report pages ({len(reports)}, signed in)", reports,
                           up.cookie),
        ]
        if not reports:
            loads.pop()
        for load in loads:
            # A signed-in page that sent the client to the sign-in form would be counted
            # as answered (a 3xx) while measuring nothing.
            first = http_load.fetch(up.server.base + load.paths[0],
                                    {"Cookie": load.cookie} if load.cookie else None)
            if first.status != 200:
                http_load.log(f"  warning: {load.paths[0]} answered {first.status}")
        clients = shares(args.clients, len(loads))
        http_load.log(f"  {sum(clients)} clients for {args.duration} s "
                      f"(after {http_load.WARM_UP_SECONDS} s of warm-up) ...")
        run_at_once(up.server.base, loads, clients, args.duration, up.workdir)
        print_report(up, args, loads, clients)
    return 0


if __name__ == "__main__":
    sys.exit(main())
