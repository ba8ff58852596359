"""Benchmark the status-reminder passes: the focal points' digest and the reviewers' escalation.

    .venv/bin/python bench/reminders.py          # 10,000 assignments, then the same at 2,500
    TRACKER_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/tracker_bench \\
        .venv/bin/python bench/reminders.py      # on PostgreSQL, in a schema of its own

Each pass runs as beat runs it: the task by its name (``tracker.tasks.send_reminder_digests``,
``tracker.tasks.send_escalations``) plans the pass, renders every e-mail in its reader's
language, commits the notification rows, then delivers each one. Without a broker Celery
runs the deliveries in-process, so their database work (lock the row, mark it sent,
commit) is timed too; without TRACKER_MAIL_SERVER ``tracker.mail.send_message`` only logs
the message, below the level shown: sending itself is a no-op.

The schema is ``bench_reminders``, never run.py's ``bench``: both can share one database.
It prints its figures and exits 0 whatever they are. From run.py::

    import reminders
    ops += reminders.time_reminders(os.environ.get("TRACKER_BENCH_DATABASE_URL"), log=log)
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tracemalloc
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import dataset  # noqa: E402
from measure import QueryCounter, table, time_call  # noqa: E402
from run import Database, Operation, make_app, release  # noqa: E402
from sqlalchemy import create_engine, delete, event, func, insert, select, text  # noqa: E402

from tracker.extensions import db  # noqa: E402
from tracker.models import (  # noqa: E402
    Assignment,
    Document,
    ImplementationStatus,
    Institution,
    Mechanism,
    Notification,
    NotificationStatus,
    ProgressReport,
    Recommendation,
    Role,
    User,
)

REMINDER_TARGET_S = 10  # one pass, 10,000 assignments, on PostgreSQL
SIZES = (10_000, 2_500)
SCHEMA = "bench_reminders"
INSTITUTIONS = 60
REVIEWERS, ADMINS = 6, 2
WAITING_REPORTS_PER_INSTITUTION = 2
TASKS = {"digest": "tracker.tasks.send_reminder_digests",
         "escalation": "tracker.tasks.send_escalations"}
MECHANISMS = ("UPR", "UPR", "CRC", "CEDAW", "CAT", "CCPR", "CESCR", "CRPD", "SP", "IACHR")


def log(message: str) -> None:
    print(message, flush=True)


class ReminderDatabase(Database):
    """run.py's Database in a schema of its own, so that run.py's data set is never touched."""

    def __init__(self, url: str | None, keep: bool) -> None:
        if not url:
            super().__init__(None, keep)  # a fresh SQLite file: nobody else's data in it
            return
        from tracker.config import normalise_database_url

        self.keep, self.tmpdir, self.kind = keep, None, "postgresql"
        self.url = normalise_database_url(url)
        self.admin_engine = create_engine(self.url)
        with self.admin_engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        self.engine_options = {"pool_pre_ping": True,
                               "connect_args": {"options": f"-csearch_path={SCHEMA}"}}

    def describe(self) -> str:
        return super().describe().replace("schema bench)", f"schema {SCHEMA})")

    def drop(self) -> None:
        if self.kind == "sqlite":
            super().drop()
            return
        if self.keep:
            log(f"kept: schema {SCHEMA}")
        else:
            with self.admin_engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        self.admin_engine.dispose()


# --- the data ---------------------------------------------------------------------------------


def build(app, assignments: int, today: date, seed: int = 2026) -> dict[str, int]:
    """Build institutions, their focal points, staff, assignments and waiting reports."""
    from flask_migrate import upgrade

    from tracker.services.seed import seed_reference_data

    rng = random.Random(seed)
    with app.app_context():
        upgrade()
        seed_reference_data()
        db.session.commit()
        institutions = _institutions()
        focal = _people(institutions)
        recs = _recommendations(assignments)
        _assignments(assignments, recs, institutions, today, rng)
        _waiting_reports(institutions, focal)
        db.session.commit()
        return dataset.row_counts() | {
            "focal points": sum(len(ids) for ids in focal.values()),
            "institutions": len(institutions)}


def _institutions() -> list[int]:
    """Return INSTITUTIONS State bodies: the seeded ones, then municipalities to make up."""
    seeded = db.session.scalars(
        select(Institution.id).where(Institution.branch.not_in(("un", "international")))
        .order_by(Institution.id)).all()
    stamp = dataset.now()
    extra = [{"acronym": f"MUNI-{n:02d}", "name_es": f"Municipalidad número {n}",
              "name_en": f"Municipality number {n}", "branch": "local", "active": True,
              "created_at": stamp, "updated_at": stamp, "version": 1}
             for n in range(1, max(0, INSTITUTIONS - len(seeded)) + 1)]
    table_ = Institution.__table__
    made = db.session.scalars(
        insert(table_).returning(table_.c.id, sort_by_parameter_order=True), extra
    ).all() if extra else []
    return (list(seeded) + list(made))[:INSTITUTIONS]


def _people(institutions: list[int]) -> dict[int, list[int]]:
    """One to three focal points an institution (some opted out, some English); the staff."""
    rows = []
    for n, inst in enumerate(institutions):
        for k in range(1 + n % 3):
            rows.append({"email": f"focal.{inst}.{k}@bench.test",
                         "name": f"Focal point {k + 1} of institution {inst}",
                         "role": Role.FOCAL_POINT, "institution_id": inst,
                         "locale": "en" if (n + k) % 4 == 0 else "es",
                         "digest_opt_out": (n + k) % 7 == 3, "active": (n + k) % 11 != 5})
    for k in range(REVIEWERS + ADMINS):
        rows.append({"email": f"staff.{k}@bench.test", "name": f"Office staff {k + 1}",
                     "role": Role.REVIEWER if k < REVIEWERS else Role.ADMIN,
                     "institution_id": None, "locale": "en" if k % 3 == 0 else "es",
                     "digest_opt_out": False, "active": k != 1})
    users = [User(**row) for row in rows]
    db.session.add_all(users)
    db.session.flush()
    focal: dict[int, list[int]] = {inst: [] for inst in institutions}
    for user in users:
        if user.institution_id is not None:
            focal[user.institution_id].append(user.id)
    return focal


def _recommendations(assignments: int) -> list[int]:
    """Enough published recommendations (a few not) for about two assignments each."""
    mechanisms = dict(db.session.execute(select(Mechanism.code, Mechanism.id)).tuples().all())
    stamp = dataset.now()
    docs = [{"mechanism_id": mechanisms[code], "symbol": f"BENCH/{code}/{n}",
             "title": f"Concluding observations {n} ({code})", "date": date(2015 + n % 10, 3, 1),
             "created_at": stamp, "updated_at": stamp, "version": 1}
            for n, code in enumerate(MECHANISMS * 4)]
    doc_table = Document.__table__
    doc_ids = db.session.scalars(
        insert(doc_table).returning(doc_table.c.id, sort_by_parameter_order=True), docs).all()
    statuses = list(ImplementationStatus)
    rows = []
    for n in range(assignments // 2 + 1):
        doc = n % len(docs)
        rows.append({
            "document_id": doc_ids[doc], "mechanism_id": docs[doc]["mechanism_id"],
            "paragraph": f"{60 + n // len(docs) // 40}.{n // len(docs) % 40 + 1}",
            "reference": f"{docs[doc]['symbol']} ¶{n}",
            "text": "Take the measures needed to guarantee the rights this paragraph names, "
                    "with a budget and indicators, and report on their implementation.",
            "language": "en", "type": "recommendation", "is_published": n % 50 != 7,
            "status": statuses[(n * 7) % len(statuses)], "created_at": stamp,
            "updated_at": stamp, "version": 1})
    table_ = Recommendation.__table__
    return list(db.session.scalars(
        insert(table_).returning(table_.c.id, sort_by_parameter_order=True), rows).all())


def _assignments(count: int, recs: list[int], institutions: list[int], today: date,
                 rng: random.Random) -> None:
    """Assign each recommendation to one to three institutions; due dates spread around today.

    Inserted in a shuffled order, so that the first N rows (what ``thin_to`` keeps) are a
    fair sample: every institution, every due range.
    """
    pairs = []
    for n, rec in enumerate(recs):
        pairs += [(rec, institutions[(n * 7 + j * 13) % len(institutions)])
                  for j in range(1 + n % 3)]
    pairs = pairs[:count]
    rng.shuffle(pairs)
    stamp = dataset.now()
    rows = []
    for n, (rec, inst) in enumerate(pairs):
        draw = rng.random()
        if draw < 0.25:  # overdue, most of it by more than the escalation's 30 days
            due = today - timedelta(days=rng.randint(1, 180))
        elif draw < 0.40:  # due within the digest's 14 days
            due = today + timedelta(days=rng.randint(0, 14))
        else:
            due = today + timedelta(days=rng.randint(15, 365))
        active = n % 20 != 3
        rows.append({"recommendation_id": rec, "institution_id": inst,
                     "role": "lead" if n % 3 else "support",
                     "rhythm_months": (1, 3, 6, 12)[n % 4], "next_due": due,
                     "active": active, "ended_at": None if active else stamp,
                     "created_at": stamp, "updated_at": stamp, "version": 1})
    db.session.execute(insert(Assignment.__table__), rows)


def _waiting_reports(institutions: list[int], focal: dict[int, list[int]]) -> None:
    """Submitted reports waiting for review, some long enough for the escalation."""
    stamp = dataset.now()
    rows = []
    for n, inst in enumerate(institutions):
        for k in range(WAITING_REPORTS_PER_INSTITUTION):
            submitted = stamp - timedelta(days=3 + (n * 5 + k * 11) % 40)
            rows.append({"institution_id": inst, "author_id": (focal[inst] or [None])[0],
                         "title": f"Progress report {k + 1} of institution {inst}",
                         "description": "Workshops held and a protocol adopted.",
                         "measure_kind": "institutional", "state": "submitted",
                         "submitted_at": submitted, "created_at": submitted,
                         "updated_at": submitted, "version": 2})
    db.session.execute(insert(ProgressReport.__table__), rows)


def thin_to(app, count: int) -> None:
    """Keep the first ``count`` assignments and forget every notification."""
    with app.app_context():
        kept = select(Assignment.id).order_by(Assignment.id).limit(count).subquery()
        last = db.session.scalar(select(func.max(kept.c.id)))
        db.session.execute(delete(Assignment).where(Assignment.id > last))
        _forget_notifications()


def _forget_notifications() -> None:
    db.session.execute(delete(Notification))
    db.session.commit()


# --- the measurements -------------------------------------------------------------------------


@dataclass
class PassFigures:
    kind: str
    assignments: int
    messages: int
    sent: int
    seconds: float
    statements: int
    peak_mb: float
    mail_kb: float


class StatementLog:
    """Keep the distinct SELECTs a pass runs on the tables it reads, with their parameters."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.seen: dict[str, object] = {}

    def _on_execute(self, _conn, _cursor, statement, parameters, _context, _many) -> None:
        head = statement.lstrip()[:6].upper()
        if head == "SELECT" and ("assignment" in statement or "progress_report" in statement):
            self.seen.setdefault(statement, parameters)

    def __enter__(self) -> StatementLog:
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on_execute)

    def explain(self) -> str:
        """Return each query's plan: EXPLAIN ANALYZE on PostgreSQL, the query plan on SQLite."""
        prefix = ("EXPLAIN (ANALYZE, BUFFERS) " if self.engine.dialect.name == "postgresql"
                  else "EXPLAIN QUERY PLAN ")
        out = []
        with self.engine.connect() as conn:
            for statement, parameters in self.seen.items():
                plan = conn.exec_driver_sql(prefix + statement, parameters).all()
                out += [statement.strip(), *("    " + " ".join(map(str, row)) for row in plan), ""]
        return "\n".join(out)


def _run_task(app, kind: str, today: date) -> int:
    return app.extensions["celery"].tasks[TASKS[kind]].apply(args=[today.isoformat()]).get()


def measure(app, kind: str, today: date, assignments: int, explain: bool) -> PassFigures:
    """Time one pass with its statements; run it again, its rows forgotten, for its memory."""
    with app.app_context():
        engine = db.engine
        _forget_notifications()
    with QueryCounter(engine) as counter, StatementLog(engine) as statements:
        seconds, queued = time_call(lambda: _run_task(app, kind, today))
    with app.app_context():
        sent, mail_chars = db.session.execute(
            select(func.count(), func.coalesce(func.sum(func.length(Notification.body)), 0))
            .where(Notification.status == NotificationStatus.SENT)).one()
        _forget_notifications()
    # A second run under tracemalloc, so that its overhead is not in the time.
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        _run_task(app, kind, today)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    if explain:
        log(f"--- the queries of the {kind} pass, {assignments:,} assignments ---")
        log(statements.explain())
    return PassFigures(kind, assignments, queued, sent, seconds, counter.count,
                       peak / 2**20, mail_chars / 1024)


def time_reminders(url: str | None = None, sizes: tuple[int, ...] = SIZES, keep: bool = False,
                   explain: bool = False, log=log) -> list[Operation]:
    """Build the set at the largest size, time both passes, thin it and time them again.

    Returns run.py's Operation rows: one a pass and size, OK when it takes at most
    REMINDER_TARGET_S and runs as many statements as at the largest size.
    """
    from celery import current_app as current_celery

    from tracker.services.report_queries import local_today

    sizes = tuple(sorted(set(sizes), reverse=True))
    # Creating an app makes its Celery the default: the caller's (run.py's) is given back.
    callers_celery = current_celery._get_current_object()
    database = ReminderDatabase(url, keep)
    app, figures = None, []
    try:
        log(f"reminder passes: {database.describe()}")
        app = make_app(database)
        with app.app_context():
            today = local_today()
        clock = dataset.Clock()
        counts = build(app, sizes[0], today)
        log(f"  built {counts['assignment']:,} assignments over {counts['institutions']} "
            f"institutions, {counts['focal points']} focal points, {counts['app_user']} "
            f"users in {clock.lap():.1f} s")
        for size in sizes:
            if size != sizes[0]:
                thin_to(app, size)
            with app.app_context():
                database.tidy()
            for kind in TASKS:
                figures.append(measure(app, kind, today, size, explain))
                done = figures[-1]
                log(f"  {kind}, {size:,} assignments: {done.messages} messages in "
                    f"{done.seconds:.2f} s, {done.statements} statements")
    finally:
        release(app, database)
        callers_celery.set_default()
        callers_celery.set_current()
    return _rows(figures, log)


def _compare(f: PassFigures, base: PassFigures) -> tuple[bool, str]:
    """Whether a smaller run's statements match the largest run's, and the sentence saying so.

    A pass runs a few statements per message whatever the number of assignments, so the
    counts are comparable only when both runs queued as many messages.
    """
    said = (f"{f.kind}: {f.statements} statements at {f.assignments:,} assignments, "
            f"{base.statements} at {base.assignments:,}: ")
    if f.messages != base.messages:
        return True, said + (f"not comparable, {f.messages} messages against "
                             f"{base.messages} (too few assignments to give everyone work).")
    if f.statements == base.statements:
        return True, said + "the same, independent of the number of assignments."
    return False, said + "NOT the same: the queries grow with the assignments."


def _rows(figures: list[PassFigures], log) -> list[Operation]:
    largest = {f.kind: f for f in figures if f.assignments == figures[0].assignments}
    log("")
    log(f"Reminder passes (target <= {REMINDER_TARGET_S} s a pass; sending is a no-op: "
        "no TRACKER_MAIL_SERVER, so tracker.mail only logs)")
    log(table(["pass", "assignments", "messages", "sent", "seconds", "statements",
               "peak MB", "mail KB", "verdict"],
              [[f.kind, f"{f.assignments:,}", str(f.messages), str(f.sent), f"{f.seconds:.2f}",
                str(f.statements), f"{f.peak_mb:.1f}", f"{f.mail_kb:,.0f}",
                "OK" if f.seconds <= REMINDER_TARGET_S else "SLOW"] for f in figures],
              right={1, 2, 3, 4, 5, 6, 7}))
    rows = []
    for f in figures:
        same, sentence = _compare(f, largest[f.kind])
        if f is not largest[f.kind]:
            log(sentence)
        rows.append(Operation(
            f"reminder pass: {f.kind}, {f.assignments:,} assignments", f.seconds,
            f.assignments, f"<= {REMINDER_TARGET_S} s", f.seconds <= REMINDER_TARGET_S and same,
            f"{f.messages} messages, {f.statements} statements"
            + ("" if same else f" (vs {largest[f.kind].statements}: grows)")
            + f", peak +{f.peak_mb:.0f} MB, sending a no-op"))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time the reminder digest and escalation passes over many assignments. "
                    f"SQLite in a temporary folder, or PostgreSQL (schema '{SCHEMA}', created "
                    "and dropped) when TRACKER_BENCH_DATABASE_URL is set.")
    parser.add_argument("--assignments", type=int, default=SIZES[0],
                        help=f"assignments to build and time (default {SIZES[0]:,})")
    parser.add_argument("--compare", type=int, default=SIZES[1],
                        help="then time again with this many, comparing the statement "
                             f"counts (default {SIZES[1]:,})")
    parser.add_argument("--explain", action="store_true",
                        help="print the plan of every query a pass runs on the assignments "
                             "and reports (EXPLAIN ANALYZE on PostgreSQL)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the SQLite file or the PostgreSQL schema afterwards")
    args = parser.parse_args(argv)
    time_reminders(os.environ.get("TRACKER_BENCH_DATABASE_URL"),
                   (args.assignments, args.compare), keep=args.keep, explain=args.explain)
    return 0


if __name__ == "__main__":
    sys.exit(main())
