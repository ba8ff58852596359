"""Build the benchmark's data: the real UPR Info export, grown to the size of the UN index.

The first copy of the export goes through the real import path
(``tracker.services.imports.import_records``), which is timed. The other copies are
made with set-based SQL (INSERT ... SELECT from the first copy, with " ~N" added to
every document symbol and reference so that every row is distinct); they bypass the
ORM, and so the audit trail, which is fine for a benchmark's fixture. Then come the
office's data: a spread of statuses with their assessments, users, assignments,
progress reports in every state and office actions.

Everything is deterministic (derived from row numbers), so two runs build the same set.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import case, func, insert, literal, null, select, update
from sqlalchemy.orm import aliased

from tracker.extensions import db
from tracker.models import (
    Assignment,
    Document,
    Evidence,
    ImplementationStatus,
    Institution,
    Mechanism,
    OfficeAction,
    ProgressReport,
    Recommendation,
    RecommendationSearch,
    RecommendationText,
    ReportTransition,
    Role,
    StatusAssessment,
    Term,
    User,
    Vocabulary,
)
from tracker.models.base import UTCDateTime
from tracker.models.followup import (
    office_action_institution,
    office_action_recommendation,
    office_action_term,
    report_recommendation,
)
from tracker.models.recommendation import recommendation_state, recommendation_term

UPR_INFO_FILE = Path("upr_info") / "upr_info_sessions_1-20.csv.gz"

# Which mechanism each copy of the export stands for: the UN index is about half UPR,
# the rest treaty bodies and special procedures. Copy 1 is the imported one (UPR).
MECHANISM_CYCLE = ("UPR", "UPR", "UPR", "UPR", "CRC", "CEDAW", "SP", "CCPR", "CESCR", "CAT",
                   "CERD", "CRPD", "CMW", "CED")

# Share (in %) of each implementation status, in the order given; the rest have none.
STATUS_SHARES = (
    (ImplementationStatus.NOT_STARTED, 10),
    (ImplementationStatus.IN_PROGRESS, 12),
    (ImplementationStatus.PARTIALLY_IMPLEMENTED, 10),
    (ImplementationStatus.IMPLEMENTED, 7),
    (ImplementationStatus.NOT_APPLICABLE, 2),
)
UNPUBLISHED_PERCENT = 1
INSTITUTIONS = ("SEMUJER", "MP", "SEDH", "CONADEH", "SNP", "CSJ", "PGR", "SEDS", "CN",
                "CONAPREV")
BULK_INSTITUTION = "DICCI"  # kept without assignments for the timed bulk assignment

# A UPR Working Group session's date: session 1 was in April 2008, three a year after.
FIRST_SESSION = date(2008, 4, 7)


def session_date(session: str | None, copy_no: int) -> date | None:
    """Return a plausible document date for a UPR session; copy N is N-1 years earlier."""
    digits = "".join(ch for ch in (session or "") if ch.isdigit())
    if not digits:
        return None
    return FIRST_SESSION + timedelta(days=(int(digits) - 1) * 122 - (copy_no - 1) * 365)


@dataclass
class Step:
    label: str
    seconds: float
    note: str = ""


@dataclass
class BuildInfo:
    """What the build did and how long each step took."""

    steps: list[Step] = field(default_factory=list)
    import_rows: int = 0
    import_records: int = 0
    import_created: int = 0
    import_errors: int = 0
    import_warnings: int = 0
    import_seconds: float = 0.0
    copies: int = 0
    copy_seconds: float = 0.0
    copied_rows: int = 0

    def step(self, label: str, seconds: float, note: str = "") -> None:
        self.steps.append(Step(label, seconds, note))


@dataclass
class Fixture:
    """Ids the measurements need."""

    mechanism_ids: dict[str, int]
    reviewer_id: int
    focal_id: int
    focal_institution: str
    bulk_institution_id: int
    theme_id: int
    theme_name: str
    detail_id: int
    detail_document_id: int


def now() -> datetime:
    return datetime.now(UTC)


def _ts(value: datetime):
    """A bound timestamp literal, stored as the UTC columns store it."""
    return literal(value, UTCDateTime())


class Clock:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def lap(self) -> float:
        end = time.perf_counter()
        elapsed, self.start = end - self.start, end
        return elapsed


# --- the real import ---------------------------------------------------------------------------


def import_first_copy(path: Path, info: BuildInfo, log) -> None:
    """Import the export through the real path, commit, and record its throughput."""
    from tracker.imports import read_upr_info
    from tracker.services.imports import import_records

    clock = Clock()
    stream = read_upr_info(path)
    # The whole UN index: every State's recommendations, not only this tracker's State.
    result = import_records(stream, publish=True, keep_other_states=True)
    db.session.commit()
    info.import_seconds = clock.lap()
    info.import_rows = stream.total or result.rows  # rows of the file
    info.import_records = result.records  # records: a joint recommendation's rows are one
    info.import_created = result.created
    info.import_errors = len(result.errors)
    info.import_warnings = len(result.warnings)
    log(f"  imported {path.name}: {result.summary()} in {info.import_seconds:.1f} s")


def date_first_copy() -> None:
    """Give the imported documents their session's date (the UPR Info export has none)."""
    doc = Document.__table__
    rows = db.session.execute(select(doc.c.id, doc.c.session)).all()
    for doc_id, session in rows:
        db.session.execute(update(doc).where(doc.c.id == doc_id)
                           .values(date=session_date(session, 1)))
    db.session.commit()


# --- set-based copies --------------------------------------------------------------------------


def grow(size: int, info: BuildInfo, log) -> None:
    """Copy the imported recommendations (and their links) until there are ``size``."""
    rec = Recommendation.__table__
    doc = Document.__table__
    base_max = db.session.scalar(select(func.max(rec.c.id)))
    base_count = db.session.scalar(select(func.count()).select_from(rec))
    base_docs = db.session.execute(
        select(doc.c.id, doc.c.symbol, doc.c.title, doc.c.upr_cycle, doc.c.session)
        .order_by(doc.c.id)).all()
    mechanisms = dict(db.session.execute(select(Mechanism.code, Mechanism.id)).tuples().all())
    total, copy_no = base_count, 1
    clock = Clock()
    while total < size:
        copy_no += 1
        wanted = min(base_count, size - total)
        _copy(copy_no, wanted, base_max, base_docs,
              mechanisms[MECHANISM_CYCLE[(copy_no - 1) % len(MECHANISM_CYCLE)]])
        db.session.commit()
        # Counted, not taken from rowcount (which psycopg leaves at -1 for INSERT ... SELECT).
        before, total = total, db.session.scalar(select(func.count()).select_from(rec))
        if total <= before:
            raise RuntimeError(f"copy {copy_no} added no recommendation")
        log(f"  copy {copy_no} ({MECHANISM_CYCLE[(copy_no - 1) % len(MECHANISM_CYCLE)]}): "
            f"{total:,} recommendations")
    info.copies = copy_no
    info.copy_seconds = clock.lap()
    info.copied_rows = total - base_count


def _copy(copy_no: int, wanted: int, base_max: int, base_docs, mechanism_id: int) -> None:
    rec = Recommendation.__table__
    doc = Document.__table__
    suffix = f" ~{copy_no}"
    stamp = now()
    db.session.execute(insert(doc), [
        {"mechanism_id": mechanism_id, "symbol": f"{symbol}{suffix}",
         "title": f"{title} (copy {copy_no})" if title else None,
         "date": session_date(session, copy_no), "upr_cycle": upr_cycle, "session": session,
         "created_at": stamp, "updated_at": stamp, "version": 1}
        for _id, symbol, title, upr_cycle, session in base_docs])
    src_doc, new_doc = doc.alias("src_doc"), doc.alias("new_doc")
    is_upr = mechanism_id == db.session.scalar(select(Mechanism.id).where(Mechanism.code == "UPR"))
    columns = ["document_id", "mechanism_id", "paragraph", "reference", "text", "language",
               "type", "upr_position", "follow_up", "follow_up_due",
               "is_published", "status", "status_assessed_at", "created_at", "updated_at",
               "version"]
    source = (
        select(new_doc.c.id, literal(mechanism_id), rec.c.paragraph, rec.c.reference + suffix,
               rec.c.text, rec.c.language, rec.c.type,
               rec.c.upr_position if is_upr else null(), rec.c.follow_up, rec.c.follow_up_due,
               rec.c.is_published, rec.c.status, rec.c.status_assessed_at, _ts(stamp),
               _ts(stamp), literal(1))
        .select_from(rec.join(src_doc, src_doc.c.id == rec.c.document_id)
                     .join(new_doc, new_doc.c.symbol == src_doc.c.symbol + suffix))
        .where(rec.c.id <= base_max).order_by(rec.c.id).limit(wanted))
    db.session.execute(insert(rec).from_select(columns, source))
    src, new = rec.alias("src"), rec.alias("new")
    text = RecommendationText.__table__
    # Every language version too; an annotation id is UHRI's, unique: the copies have none.
    db.session.execute(insert(text).from_select(
        ["recommendation_id", "language", "text", "source", "updated_at"],
        select(new.c.id, text.c.language, text.c.text, text.c.source, _ts(stamp))
        .select_from(text.join(src, src.c.id == text.c.recommendation_id)
                     .join(new, new.c.reference == src.c.reference + suffix))
        .where(src.c.id <= base_max)))
    # The search document too: the copy's reference and symbol add the word of its number.
    search = RecommendationSearch.__table__
    db.session.execute(insert(search).from_select(
        ["recommendation_id", "document"],
        select(new.c.id, search.c.document + f" {copy_no}")
        .select_from(search.join(src, src.c.id == search.c.recommendation_id)
                     .join(new, new.c.reference == src.c.reference + suffix))
        .where(src.c.id <= base_max)))
    for table, column in ((recommendation_term, "term_id"), (recommendation_state, "country_id")):
        db.session.execute(insert(table).from_select(
            ["recommendation_id", column],
            select(new.c.id, table.c[column])
            .select_from(table.join(src, src.c.id == table.c.recommendation_id)
                         .join(new, new.c.reference == src.c.reference + suffix))
            .where(src.c.id <= base_max)))


# --- statuses and their assessments ------------------------------------------------------------


def spread_statuses(reviewer_id: int) -> int:
    """Give a realistic spread of statuses (and a few unpublished rows); assess each status."""
    rec = Recommendation.__table__
    bucket = (rec.c.id * 37) % 100
    whens, upper = [], 0
    for status, share in STATUS_SHARES:
        upper += share
        whens.append((bucket < upper, status.value))
    assessed_at = now() - timedelta(days=30)
    db.session.execute(update(rec).values(
        status=case(*whens, else_=ImplementationStatus.NO_INFORMATION.value),
        status_assessed_at=case((bucket < upper, _ts(assessed_at)), else_=null()),
        is_published=(rec.c.id * 53) % 100 >= UNPUBLISHED_PERCENT,
    ))
    sa = StatusAssessment.__table__
    db.session.execute(insert(sa).from_select(
        ["recommendation_id", "status", "rationale", "source", "assessed_by_id", "assessed_at"],
        select(rec.c.id, rec.c.status,
               literal("Assessment recorded for the benchmark: the office's judgement of how "
                       "far the recommendation is implemented."),
               literal("office"), literal(reviewer_id), _ts(assessed_at))
        .where(rec.c.status != ImplementationStatus.NO_INFORMATION.value)))
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(sa))


# --- people, assignments, reports, actions -----------------------------------------------------


def create_users() -> tuple[int, dict[int, int]]:
    """Create a reviewer, an admin and one focal point per institution; return their ids."""
    users = [User(email="bench.reviewer@bench.test", name="Bench reviewer", role=Role.REVIEWER),
             User(email="bench.admin@bench.test", name="Bench admin", role=Role.ADMIN)]
    institutions = _institutions()
    focal = {}
    for inst in institutions:
        user = User(email=f"bench.{inst.acronym.lower()}@bench.test",
                    name=f"Bench focal point {inst.acronym}", role=Role.FOCAL_POINT,
                    institution_id=inst.id)
        users.append(user)
        focal[inst.id] = user
    db.session.add_all(users)
    db.session.commit()
    return users[0].id, {inst_id: user.id for inst_id, user in focal.items()}


def _institutions() -> list[Institution]:
    found = {i.acronym: i for i in db.session.scalars(select(Institution))}
    chosen = [found[a] for a in INSTITUTIONS if a in found]
    others = [i for a, i in sorted(found.items())
              if a not in INSTITUTIONS and a != BULK_INSTITUTION]
    return (chosen + others)[:len(INSTITUTIONS)]


def create_assignments(count: int, focal: dict[int, int], reviewer_id: int
                       ) -> dict[int, list[int]]:
    """Spread ``count`` assignments over the institutions; return their recommendations."""
    rec_ids = db.session.scalars(
        select(Recommendation.id).where(Recommendation.is_published.is_(True))
        .order_by(Recommendation.id)).all()
    institutions = list(focal)
    # One assignment in five is a second institution supporting the previous one.
    leads = count - count // 5
    stride = max(1, len(rec_ids) // max(1, leads))
    today, stamp = date.today(), now()
    rows, by_institution = [], {i: [] for i in institutions}
    rec_id = None
    for n in range(count):
        inst = institutions[n % len(institutions)]
        support = n % 5 == 4 and rec_id is not None
        if not support:
            rec_id = rec_ids[(n - n // 5) * stride % len(rec_ids)]
        active = n % 20 != 7
        rows.append({
            "recommendation_id": rec_id, "institution_id": inst,
            "role": "support" if support else "lead", "rhythm_months": (1, 3, 6, 12)[n % 4],
            "next_due": today + timedelta(days=(n * 7919) % 455 - 90), "active": active,
            "ended_at": None if active else stamp - timedelta(days=n % 300),
            "created_by_id": reviewer_id, "created_at": stamp, "updated_at": stamp,
            "version": 1})
        if active:
            by_institution[inst].append(rec_id)
    db.session.execute(insert(Assignment.__table__), rows)
    db.session.commit()
    return by_institution


# state, visibility, the path it walked; one report in twenty of each pattern.
REPORT_PATTERNS = (
    *[("draft", None, ("draft",))] * 5,
    *[("submitted", None, ("draft", "submitted"))] * 3,
    ("submitted", None, ("draft", "submitted", "returned", "submitted")),
    *[("returned", None, ("draft", "submitted", "returned"))] * 2,
    *[("approved", "public", ("draft", "submitted", "approved"))] * 5,
    ("approved", "public", ("draft", "submitted", "returned", "submitted", "approved")),
    *[("approved", "internal", ("draft", "submitted", "approved"))] * 3,
)
MEASURES = ("legislative", "policy", "institutional", "budget", "training", "judicial", "other")
DESCRIPTION = (
    "The institution held {n} workshops with municipal offices and civil-society "
    "organisations on the measures this recommendation asks for, and adopted an internal "
    "protocol.\n\n- People trained: {people}\n- Regions covered: {regions}\n\n"
    "*Next steps:* publish the protocol and budget its roll-out for the coming year."
)


def create_reports(count: int, by_institution: dict[int, list[int]], focal: dict[int, int],
                   reviewer_id: int) -> dict[str, int]:
    """Create ``count`` progress reports in every state, with transitions and evidence."""
    pr = ProgressReport.__table__
    institutions = [i for i, recs in by_institution.items() if recs]
    stamp = now()
    rows, plans = [], []
    for n in range(count):
        inst = institutions[n % len(institutions)]
        state, visibility, path = REPORT_PATTERNS[n % len(REPORT_PATTERNS)]
        started = stamp - timedelta(days=20 + (n * 13) % 600, hours=n % 24)
        times = [started + timedelta(days=5 * i) for i in range(len(path))]
        submitted = [t for s, t in zip(path, times, strict=True) if s == "submitted"]
        rows.append({
            "institution_id": inst, "author_id": focal[inst],
            "title": f"Progress on the recommendations assigned, report {n + 1}",
            "description": DESCRIPTION.format(n=3 + n % 9, people=40 + n % 300,
                                              regions=1 + n % 18),
            "period_start": (started - timedelta(days=180)).date(),
            "period_end": started.date(), "measure_kind": MEASURES[n % len(MEASURES)],
            "state": state, "visibility": visibility,
            "submitted_at": submitted[-1] if submitted else None,
            "decided_at": times[-1] if state in ("approved", "returned") else None,
            "created_at": started, "updated_at": times[-1], "version": len(path)})
        recs = by_institution[inst]
        linked = {recs[(n * 7 + k * 31) % len(recs)] for k in range(1 + n % 3)}
        plans.append((inst, path, times, linked, visibility))
    ids = db.session.scalars(
        insert(pr).returning(pr.c.id, sort_by_parameter_order=True), rows).all()
    links, transitions, evidence = [], [], []
    for report_id, (inst, path, times, linked, visibility) in zip(ids, plans, strict=True):
        links += [{"report_id": report_id, "recommendation_id": r} for r in linked]
        previous = None
        for to_state, at in zip(path, times, strict=True):
            reviewer_step = to_state in ("approved", "returned")
            transitions.append({
                "report_id": report_id, "from_state": previous, "to_state": to_state,
                "actor_id": reviewer_id if reviewer_step else focal[inst], "at": at,
                "comment": "Please add the number of people trained, by sex."
                if to_state == "returned" else None})
            previous = to_state
        if report_id % 2 == 0:
            evidence.append({"report_id": report_id, "kind": "link",
                             "label": "Published protocol",
                             "url": f"https://www.example.org/protocol/{report_id}",
                             "is_public": visibility == "public", "created_at": times[0]})
    db.session.execute(insert(report_recommendation), links)
    db.session.execute(insert(ReportTransition.__table__), transitions)
    if evidence:
        db.session.execute(insert(Evidence.__table__), evidence)
    db.session.commit()
    return dict(db.session.execute(
        select(pr.c.state, func.count()).group_by(pr.c.state)).tuples().all())


def create_office_actions(count: int, by_institution: dict[int, list[int]],
                          reviewer_id: int) -> None:
    """Create ``count`` office actions tied to pillars, institutions and recommendations."""
    oa = OfficeAction.__table__
    pillars = db.session.scalars(
        select(Term.id).join(Vocabulary, Vocabulary.id == Term.vocabulary_id)
        .where(Vocabulary.code == "pillar").order_by(Term.id)).all()
    kinds = ("technical_assistance", "monitoring", "advocacy", "capacity_building",
             "public_report", "dialogue", "early_warning")
    institutions = [i for i, recs in by_institution.items() if recs]
    stamp, today = now(), date.today()
    rows = []
    for n in range(count):
        start = today - timedelta(days=(n * 11) % 1095)
        rows.append({
            "kind": kinds[n % len(kinds)], "title": f"Office action {n + 1}",
            "description": "Technical meeting and follow-up with the institutions concerned.",
            "start_date": start, "end_date": start + timedelta(days=n % 30) if n % 3 else None,
            "is_public": n % 4 == 0, "created_by_id": reviewer_id, "created_at": stamp,
            "updated_at": stamp, "version": 1})
    ids = db.session.scalars(
        insert(oa).returning(oa.c.id, sort_by_parameter_order=True), rows).all()
    terms, insts, recs = [], [], []
    for n, action_id in enumerate(ids):
        if pillars:
            terms += [{"action_id": action_id, "term_id": t}
                      for t in {pillars[n % len(pillars)], pillars[(n * 3) % len(pillars)]}]
        chosen = {institutions[(n + k) % len(institutions)] for k in range(1 + n % 3)}
        insts += [{"action_id": action_id, "institution_id": i} for i in chosen]
        for inst in chosen:
            pool = by_institution[inst]
            recs += [{"action_id": action_id, "recommendation_id": r}
                     for r in {pool[(n * 5 + k) % len(pool)] for k in range(1 + n % 2)}]
    unique_recs = list({(r["action_id"], r["recommendation_id"]): r for r in recs}.values())
    for table, values in ((office_action_term, terms), (office_action_institution, insts),
                          (office_action_recommendation, unique_recs)):
        if values:
            db.session.execute(insert(table), values)
    db.session.commit()


# --- what the measurements need ----------------------------------------------------------------


def fixture(reviewer_id: int, focal: dict[int, int]) -> Fixture:
    """Find the ids the measured URLs use."""
    mechanisms = dict(db.session.execute(select(Mechanism.code, Mechanism.id)).tuples().all())
    first_institution = next(iter(focal))
    themes = (select(Term.id, Term.name_en, func.count().label("n"))
              .join(Vocabulary, Vocabulary.id == Term.vocabulary_id)
              .join(recommendation_term, recommendation_term.c.term_id == Term.id)
              .where(Vocabulary.code == "themes"))
    women = db.session.execute(
        themes.where(Term.name_en == "Women's rights").group_by(Term.id, Term.name_en)).first()
    theme = women or db.session.execute(
        themes.group_by(Term.id, Term.name_en).order_by(func.count().desc()).limit(1)).first()
    public_report = aliased(ProgressReport)
    detail_id = db.session.scalar(
        select(report_recommendation.c.recommendation_id)
        .join(public_report, public_report.id == report_recommendation.c.report_id)
        .join(Recommendation, Recommendation.id == report_recommendation.c.recommendation_id)
        .where(public_report.visibility == "public", Recommendation.is_published.is_(True))
        .order_by(report_recommendation.c.recommendation_id).limit(1))
    detail_id = detail_id or db.session.scalar(select(func.min(Recommendation.id)))
    bulk = db.session.scalar(select(Institution.id).where(Institution.acronym == BULK_INSTITUTION))
    if bulk is None:
        bulk = db.session.scalar(select(Institution.id).where(Institution.id.not_in(list(focal)))
                                 .order_by(Institution.id).limit(1))
    return Fixture(
        mechanism_ids=mechanisms, reviewer_id=reviewer_id, focal_id=focal[first_institution],
        focal_institution=db.session.get(Institution, first_institution).acronym,
        bulk_institution_id=bulk, theme_id=theme[0], theme_name=theme[1], detail_id=detail_id,
        detail_document_id=db.session.get(Recommendation, detail_id).document_id)


COUNTED_TABLES = ("recommendation", "document", "recommendation_term", "recommendation_state",
                  "status_assessment", "assignment", "progress_report", "report_transition",
                  "evidence", "office_action", "app_user", "audit_event", "term")


def row_counts() -> dict[str, int]:
    """Count the rows of the main tables."""
    return {name: db.session.scalar(select(func.count()).select_from(db.metadata.tables[name]))
            for name in COUNTED_TABLES}
