"""`tracker demo`: the Honduras recommendations, the Committee's grades and the demo set."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import filetype
import pytest
from sqlalchemy import func

from tracker.extensions import db
from tracker.models import (
    AssessmentSource,
    Assignment,
    AuditEvent,
    Document,
    Evidence,
    EvidenceKind,
    ImplementationStatus,
    OfficeAction,
    ProgressReport,
    Recommendation,
    ReportState,
    ReportTransition,
    ReportVisibility,
    Role,
    StatusAssessment,
    StoredFile,
    Term,
    User,
)
from tracker.security import verify_password
from tracker.services.demo import DEMO_LOGINS, grade_status, load_demo
from tracker.services.demo_set import tiny_pdf

from . import factories

# 255 workbook paragraphs + 12 IACHR paragraphs + CCPR/C/HND/CO/2 ¶21, ¶41 and ¶47 from
# the follow-up grades (¶17 is already in the workbook).
DEMO_RECOMMENDATIONS = 270
TABLES = (Recommendation, Document, Term, User, Assignment, ProgressReport, ReportTransition,
          Evidence, StoredFile, StatusAssessment, OfficeAction, AuditEvent)


def _ccpr(session, paragraph: str) -> Recommendation:
    return session.query(Recommendation).filter_by(
        reference=f"CCPR/C/HND/CO/2 ¶{paragraph}").one()


def test_demo_loads_the_honduras_recommendations_and_the_committee_grades(session):
    report = load_demo()

    assert session.query(Recommendation).count() == DEMO_RECOMMENDATIONS
    assert session.query(Recommendation).filter_by(is_published=False).count() == 0
    assert (report.imports["uhri"].created, report.imports["iachr"].created,
            report.followup_created) == (255, 12, 3)

    grades = {}
    for paragraph in ("17", "21", "41", "47"):
        rec = _ccpr(session, paragraph)
        assert rec.follow_up
        [graded] = [a for a in rec.assessments if a.source == AssessmentSource.MECHANISM]
        assert graded.source_document == "CCPR/C/130/2/Add.3"
        assert graded.assessed_at == datetime(2020, 11, 6, tzinfo=UTC)
        grades[paragraph] = (graded.mechanism_grade, graded.status)
    assert grades == {
        "17": ("C", ImplementationStatus.NOT_STARTED),
        "21": ("B", ImplementationStatus.PARTIALLY_IMPLEMENTED),
        "41": ("B/C", ImplementationStatus.PARTIALLY_IMPLEMENTED),
        "47": ("B", ImplementationStatus.PARTIALLY_IMPLEMENTED),
    }
    # ¶17 is the workbook's Spanish paragraph, matched rather than duplicated.
    seventeen = _ccpr(session, "17")
    assert seventeen.language == "es" and factories.annotation_of(seventeen)
    assert seventeen.status == ImplementationStatus.NOT_STARTED
    assert seventeen.status_assessed_at == datetime(2020, 11, 6, tzinfo=UTC)
    assert "(b), (c) and (e) — C (Information/action not satisfactory)" in (
        _ccpr(session, "41").assessments[-1].rationale)
    assert _ccpr(session, "47").text.startswith("The State party should expedite")


def test_grades_map_to_statuses():
    assert grade_status(["A"]) == ImplementationStatus.IMPLEMENTED
    assert grade_status(["D"]) == ImplementationStatus.NO_INFORMATION
    assert grade_status(["E"]) == ImplementationStatus.NOT_STARTED
    assert grade_status(["A", "C"]) == ImplementationStatus.PARTIALLY_IMPLEMENTED


def test_demo_set_covers_every_report_state_and_the_office_work(session):
    today = date(2025, 6, 1)
    load_demo(today=today)

    users = {u.email: u for u in session.query(User).filter_by(is_demo=True)}
    assert set(users) == {login.email for login in DEMO_LOGINS}
    for login in DEMO_LOGINS:
        user = users[login.email]
        assert user.role == Role(login.role)
        assert (user.institution.acronym if user.institution else None) == login.institution
        assert len(login.password) >= 12
    assert verify_password(users["enlace.mp@demo.seguimiento.test"].password_hash,
                           "demo-mp-2024")

    reports = session.query(ProgressReport).all()
    kinds = {(r.state, r.visibility) for r in reports}
    assert kinds == {
        (ReportState.DRAFT, None), (ReportState.SUBMITTED, None), (ReportState.RETURNED, None),
        (ReportState.APPROVED, ReportVisibility.PUBLIC),
        (ReportState.APPROVED, ReportVisibility.INTERNAL)}
    for report in reports:
        steps = [t.to_state for t in report.transitions]
        assert steps[0] == ReportState.DRAFT and steps[-1] == report.state
        assert report.transitions[0].from_state is None
        assert report.author.institution_id == report.institution_id
    returned = next(r for r in reports if r.state == ReportState.RETURNED)
    assert returned.transitions[-1].comment and returned.transitions[-1].actor.role == (
        Role.REVIEWER)
    resubmitted = next(r for r in reports if len(r.transitions) == 5)
    assert [t.to_state for t in resubmitted.transitions] == [
        ReportState.DRAFT, ReportState.SUBMITTED, ReportState.RETURNED, ReportState.SUBMITTED,
        ReportState.APPROVED]

    evidence = session.query(Evidence).all()
    assert {(e.kind, e.is_public) for e in evidence} >= {
        (EvidenceKind.LINK, True), (EvidenceKind.FILE, False)}
    stored = next(e.stored_file for e in evidence if e.kind == EvidenceKind.FILE)
    assert filetype.guess_mime(stored.data) == "application/pdf"
    assert stored.size == len(stored.data) and stored.content_type == "application/pdf"

    office = session.query(StatusAssessment).filter_by(source=AssessmentSource.OFFICE).all()
    assert len(office) == 3
    for assessment in office:
        assert [r.state for r in assessment.reports] == [ReportState.APPROVED]
        assert assessment.assessed_by.role == Role.REVIEWER
        assert assessment.recommendation.status == assessment.status
    # The office's 2025 view of ¶41 is newer than the Committee's 2020 grade.
    assert len(_ccpr(session, "41").assessments) == 2

    assignments = session.query(Assignment).all()
    assert any(a.next_due < today for a in assignments)
    assert any(a.next_due > today for a in assignments)
    semujer = {a.recommendation.reference for a in assignments
               if a.institution.acronym == "SEMUJER"}
    assert "CEDAW/C/HND/CO/7-8 ¶23" in semujer

    actions = session.query(OfficeAction).all()
    assert len({a.kind for a in actions}) == 7
    assert {a.is_public for a in actions} == {True, False}
    assert all(any(t.vocabulary.code == "pillar" for t in a.terms) for a in actions)
    assert any(a.institutions and a.recommendations for a in actions)


def test_tiny_pdf_has_a_correct_cross_reference_table():
    data = tiny_pdf(["Listas de asistencia", "Año 2025 (demo)"])
    xref_at = int(re.search(rb"startxref\n(\d+)", data)[1])
    assert data[xref_at:].startswith(b"xref")
    offsets = [int(m) for m in re.findall(rb"(\d{10}) 00000 n", data)]
    for number, offset in enumerate(offsets, start=1):
        assert data[offset:].startswith(b"%d 0 obj" % number)
    assert data.rstrip().endswith(b"%%EOF")


def _state(session) -> dict:
    counts = {model.__name__: session.query(model).count() for model in TABLES}
    counts["versions"] = session.query(func.sum(Recommendation.version)).scalar()
    return counts


def test_loading_the_demo_twice_changes_nothing(session):
    load_demo()
    before = _state(session)

    again = load_demo()

    assert _state(session) == before
    assert again.added == {} and again.mechanism_assessments == 0
    assert again.imports["uhri"].unchanged == 255


def test_demo_command_loads_once_and_if_empty_then_skips(runner, session):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "uhri: 255 rows: 255 created, 0 updated" in result.output
    assert session.query(Recommendation).count() == DEMO_RECOMMENDATIONS

    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0
    assert "demo not loaded" in result.output

    logins = runner.invoke(args=["users", "demo-logins"])
    assert all(login.email in logins.output for login in DEMO_LOGINS)


@pytest.fixture
def missing_data_dir(app, tmp_path, monkeypatch):
    missing = tmp_path / "no-such-folder"
    monkeypatch.setitem(app.config, "DEMO_DATA_DIR", str(missing))
    return missing


def test_demo_without_the_data_folder_names_the_path(runner, session, missing_data_dir):
    result = runner.invoke(args=["demo"])

    assert result.exit_code == 1
    assert f"expected {missing_data_dir}" in result.output
    assert session.query(Recommendation).count() == 0


def test_demo_if_empty_without_the_data_folder_warns_and_succeeds(runner, session,
                                                                  missing_data_dir):
    result = runner.invoke(args=["demo", "--if-empty"])

    assert result.exit_code == 0
    assert f"Warning: demo data folder not found: expected {missing_data_dir}" in result.output
    assert db.session.query(User).filter_by(is_demo=True).count() == 0


def test_demo_if_empty_leaves_an_existing_catalogue_alone(runner, session):
    factories.recommendation()

    result = runner.invoke(args=["demo", "--if-empty"])

    assert result.exit_code == 0
    assert session.query(Recommendation).count() == 1
