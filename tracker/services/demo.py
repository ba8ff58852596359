"""Load the Honduras demo: real recommendations shipped in ``tracker/demo_data``, then a demo set.

The real part: the UHRI workbook (255 paragraphs), the IACHR 2015 report (12) and
the Human Rights Committee's 2020 follow-up grades of four paragraphs of
CCPR/C/HND/CO/2 (one in the workbook, three added from the grades file). The
demo part (accounts marked ``is_demo``, assignments, progress reports in every
state, assessments, office actions) is invented, plausible, and only created
when missing, so loading twice changes nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from flask import current_app

from tracker.extensions import db
from tracker.imports import RecommendationRecord, read_tracker_csv, read_uhri_xlsx
from tracker.imports.writer import ImportResult
from tracker.models import (
    AssessmentSource,
    Document,
    ImplementationStatus,
    Recommendation,
    StatusAssessment,
)
from tracker.services.imports import import_records
from tracker.services.seed import seed_reference_data

# The package carries the demo set, so that the project alone (a clone, an installed
# wheel) has its demo; TRACKER_DATA_DIR is only for sets too large to ship.
DEMO_DATA_DIR = Path(__file__).resolve().parent.parent / "demo_data"
UHRI_FILE = "uhri_export_honduras.xlsx"
IACHR_FILE = "iachr_2015_honduras.csv"
CCPR_FILE = "ccpr_followup_2020.json"
DEMO_FILES = (UHRI_FILE, IACHR_FILE, CCPR_FILE)


class DemoLogin(NamedTuple):
    email: str
    role: str
    institution: str | None
    password: str


# One documented password per demo account; printed by `tracker users demo-logins`.
DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("admin@demo.seguimiento.test", "admin", None, "demo-admin-2024"),
    DemoLogin("revisor@demo.seguimiento.test", "reviewer", None, "demo-revisor-2024"),
    DemoLogin("enlace.semujer@demo.seguimiento.test", "focal_point", "SEMUJER",
              "demo-semujer-2024"),
    DemoLogin("enlace.mp@demo.seguimiento.test", "focal_point", "MP", "demo-mp-2024"),
)

# The Human Rights Committee's follow-up grades (A: largely satisfactory, B: partially
# satisfactory, C: not satisfactory, D: no cooperation, E: contrary to the recommendation)
# read as implementation status. A paragraph graded differently by parts (e.g. "B/C")
# is partially implemented.
GRADE_STATUS = {
    "A": ImplementationStatus.IMPLEMENTED,
    "B": ImplementationStatus.PARTIALLY_IMPLEMENTED,
    "C": ImplementationStatus.NOT_STARTED,
    "D": ImplementationStatus.NO_INFORMATION,
    "E": ImplementationStatus.NOT_STARTED,
}
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")


class DemoDataMissing(Exception):
    """The demo data folder (or one of its files) is not where it is expected."""


@dataclass
class DemoReport:
    """What a demo load did, for the command to print."""

    imports: dict[str, ImportResult] = field(default_factory=dict)
    followup_created: int = 0
    mechanism_assessments: int = 0
    added: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, n: int = 1) -> None:
        self.added[kind] = self.added.get(kind, 0) + n


def demo_data_dir() -> Path:
    """Return the demo data folder: the app's DEMO_DATA_DIR setting, else the shipped set."""
    configured = current_app.config.get("DEMO_DATA_DIR")
    return Path(configured) if configured else DEMO_DATA_DIR


def check_demo_data(data_dir: Path) -> None:
    """Raise DemoDataMissing naming the folder or file expected, when absent."""
    if not data_dir.is_dir():
        raise DemoDataMissing(
            f"demo data folder not found: expected {data_dir} (the folder holding "
            f"{UHRI_FILE}, shipped in tracker/demo_data)"
        )
    for name in DEMO_FILES:
        if not (data_dir / name).is_file():
            raise DemoDataMissing(f"demo data file not found: expected {data_dir / name}")


def load_demo(data_dir: Path | None = None, today: date | None = None) -> DemoReport:
    """Load the Honduras recommendations and the demo set; flush (idempotent)."""
    data_dir = Path(data_dir) if data_dir else demo_data_dir()
    check_demo_data(data_dir)
    seed_reference_data()
    report = DemoReport()
    report.imports["uhri"] = import_records(read_uhri_xlsx(data_dir / UHRI_FILE), publish=True)
    report.imports["iachr"] = import_records(read_tracker_csv(data_dir / IACHR_FILE),
                                             publish=True)
    load_ccpr_followup(data_dir / CCPR_FILE, report)
    from tracker.services.demo_set import load_demo_set

    load_demo_set(today or date.today(), report)
    db.session.flush()
    return report


def grade_status(grades: list[str]) -> ImplementationStatus:
    """Return the status a set of Committee grades stands for (mixed grades: partial)."""
    statuses = {GRADE_STATUS[g.strip()[:1].upper()] for g in grades if g.strip()}
    if len(statuses) == 1:
        return statuses.pop()
    return ImplementationStatus.PARTIALLY_IMPLEMENTED


def _assessment_date(text: str | None, year: int) -> datetime:
    """Read the last day of '12 October–6 November 2020' (the session that adopted it)."""
    match = re.search(r"(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})\s*$", text or "")
    if match and match[2].lower() in _MONTHS:
        return datetime(int(match[3]), _MONTHS.index(match[2].lower()) + 1, int(match[1]),
                        tzinfo=UTC)
    return datetime(year, 12, 31, tzinfo=UTC)


def load_ccpr_followup(path: Path, report: DemoReport) -> None:
    """Mark the graded paragraphs as follow-up ones and record the Committee's grades."""
    data = json.loads(path.read_text(encoding="utf-8"))["hrc"]
    meta = data["meta"]
    symbol, source_document = meta["co_symbol"], meta["assessment_symbol"]
    assessed_at = _assessment_date(meta.get("assessment_date"), int(meta["year"]))
    document = db.session.execute(
        db.select(Document).where(Document.symbol == symbol)
    ).scalar_one_or_none()
    existing = {}
    if document is not None:
        existing = {rec.paragraph: rec for rec in db.session.execute(
            db.select(Recommendation).where(Recommendation.document_id == document.id)
        ).scalars()}
    # Paragraphs not in the workbook come in from the grades file, in its English text;
    # one already there (17, in Spanish) is matched, not replaced.
    missing = [
        RecommendationRecord(source=path.name, row=number, mechanism="CCPR",
                             document_symbol=symbol, paragraph=paragraph["para"],
                             text=paragraph["recommendation"].strip(), language="en")
        for number, paragraph in enumerate(data["paragraphs"], start=1)
        if paragraph["para"] not in existing
    ]
    if missing:
        result = import_records(missing, publish=True)
        report.imports["ccpr_followup"] = result
        report.followup_created = result.created
    for paragraph in data["paragraphs"]:
        rec = db.session.execute(
            db.select(Recommendation).join(Document).where(
                Document.symbol == symbol, Recommendation.paragraph == paragraph["para"])
        ).scalar_one()
        if not rec.follow_up:
            rec.follow_up = True
        already = db.session.execute(
            db.select(StatusAssessment.id).where(
                StatusAssessment.recommendation_id == rec.id,
                StatusAssessment.source == AssessmentSource.MECHANISM,
                StatusAssessment.source_document == source_document)
        ).first()
        if already:
            continue
        grades = paragraph.get("header_grades") or [limb["grade"] for limb in paragraph["limbs"]]
        status = grade_status(grades)
        db.session.add(StatusAssessment(
            recommendation_id=rec.id, status=status, source=AssessmentSource.MECHANISM,
            mechanism_grade="/".join(grades), source_document=source_document,
            rationale=_rationale(paragraph["limbs"]), assessed_at=assessed_at,
        ))
        set_current_status(rec, status, assessed_at)
        report.mechanism_assessments += 1
    db.session.flush()


def _rationale(limbs: list[dict]) -> str:
    parts = []
    for limb in limbs:
        head = f"{limb['limb']} — " if limb.get("limb") else ""
        parts.append(f"{head}{limb['grade']} ({limb.get('meaning', '')}): {limb['eval']}")
    return "\n\n".join(parts)


def set_current_status(rec: Recommendation, status: ImplementationStatus,
                       assessed_at: datetime) -> None:
    """Make an assessment the recommendation's current status unless a newer one exists."""
    newer = rec.status_assessed_at is None or rec.status_assessed_at < assessed_at
    if newer or (rec.status_assessed_at == assessed_at and rec.status != status):
        rec.status = status
        rec.status_assessed_at = assessed_at


def since(days: int, hour: int = 15) -> datetime:
    """Return a moment ``days`` ago at a plausible office hour (UTC)."""
    moment = datetime.now(UTC) - timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)
