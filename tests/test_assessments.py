"""Status assessment: the office judges implementation; the history is kept and shown."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests import factories as f
from tests.conftest import login
from tracker.extensions import db
from tracker.models import (
    AssessmentSource,
    ImplementationStatus,
    Recommendation,
    ReportState,
    ReportVisibility,
    Role,
    StatusAssessment,
)


@pytest.fixture
def reviewer(session):
    return f.user(Role.REVIEWER, locale="en", name="Ana Reviewer")


@pytest.fixture
def staff(client, reviewer):
    login(client, reviewer)
    return client


def page(response) -> str:
    return response.get_data(as_text=True)


def history(rec) -> list[StatusAssessment]:
    db.session.expire_all()
    return list(db.session.scalars(select(StatusAssessment).where(
        StatusAssessment.recommendation_id == rec.id).order_by(StatusAssessment.id)))


def test_assess_records_the_status_with_its_rationale_and_reports(staff, reviewer):
    rec = f.recommendation()
    inst = f.institution("SEMUJERX")
    report = f.report_in_state(inst, [rec], title="Shelters opened in 3 departments")
    response = staff.post(f"/review/recommendations/{rec.id}/assessments", data={
        "status": "partially_implemented", "rationale": "Shelters exist in 3 of 18 departments.",
        "report_ids": [str(report.id)], "version": str(rec.version)})
    assert response.status_code == 302
    (found,) = history(rec)
    assert found.status == ImplementationStatus.PARTIALLY_IMPLEMENTED
    assert found.source == AssessmentSource.OFFICE and found.assessed_by_id == reviewer.id
    assert [r.id for r in found.reports] == [report.id]
    saved_rec = db.session.get(Recommendation, rec.id)
    assert saved_rec.status == ImplementationStatus.PARTIALLY_IMPLEMENTED
    assert saved_rec.status_assessed_at == found.assessed_at
    body = page(staff.get(f"/review/recommendations/{rec.id}"))
    assert "Shelters exist in 3 of 18 departments." in body
    assert "Ana Reviewer" in body and "Partially implemented" in body


def test_the_history_is_kept_newest_first_with_mechanism_grades(staff):
    rec = f.recommendation()
    f.assessment(rec, ImplementationStatus.NOT_STARTED, source=AssessmentSource.MECHANISM,
                 mechanism_grade="C", source_document="CCPR/C/130/2/Add.3",
                 rationale="Committee follow-up assessment.",
                 assessed_at=datetime(2020, 11, 1, tzinfo=UTC))
    staff.post(f"/review/recommendations/{rec.id}/assessments", data={
        "status": "in_progress", "rationale": "A draft law was sent to Congress.",
        "version": str(rec.version)})
    assert [a.status for a in history(rec)] == [ImplementationStatus.NOT_STARTED,
                                                ImplementationStatus.IN_PROGRESS]
    body = page(staff.get(f"/review/recommendations/{rec.id}"))
    newer, older = body.index("A draft law was sent"), body.index("Committee follow-up")
    assert newer < older
    assert "grade C" in body and "CCPR/C/130/2/Add.3" in body and "by the mechanism" in body


def test_a_rationale_is_required_and_the_form_keeps_the_choice(staff):
    rec = f.recommendation(status=ImplementationStatus.NOT_STARTED)
    db.session.commit()
    response = staff.post(f"/review/recommendations/{rec.id}/assessments", data={
        "status": "implemented", "rationale": "  ", "version": str(rec.version)})
    assert response.status_code == 400
    body = page(response)
    assert "This field is required." in body
    assert '<option selected value="implemented">' in body
    assert history(rec) == []
    assert db.session.get(Recommendation, rec.id).status == ImplementationStatus.NOT_STARTED


def test_only_approved_reports_covering_it_are_offered_and_accepted(staff):
    rec, elsewhere = f.recommendation(), f.recommendation()
    inst = f.institution()
    approved = f.report_in_state(inst, [rec], title="Approved one")
    internal = f.report_in_state(inst, [rec], title="Approved internal one",
                                 visibility=ReportVisibility.INTERNAL)
    submitted = f.report_in_state(inst, [rec], state=ReportState.SUBMITTED, title="Still waiting")
    other = f.report_in_state(inst, [elsewhere], title="About something else")
    db.session.commit()
    body = page(staff.get(f"/review/recommendations/{rec.id}"))
    assert f'name="report_ids" value="{approved.id}"' in body
    assert f'name="report_ids" value="{submitted.id}"' not in body
    assert "Still waiting" in body  # listed among the reports covering it, in any state
    assert f'name="report_ids" value="{internal.id}"' in body
    for refused in (submitted, other):
        response = staff.post(f"/review/recommendations/{rec.id}/assessments", data={
            "status": "in_progress", "rationale": "Because.", "report_ids": [str(refused.id)],
            "version": str(rec.version)})
        assert response.status_code == 400
        assert "only on approved progress reports that cover this recommendation" in page(response)
    assert history(rec) == []


def test_reports_link_to_their_review_page(staff, app):
    rec = f.recommendation()
    report = f.report_in_state(f.institution(), [rec], title="Linked report")
    body = page(staff.get(f"/review/recommendations/{rec.id}"))
    endpoint = next((e for e in ("review.report_detail", "review.report")
                     if e in app.view_functions), None)
    if endpoint:
        assert f'/review/reports/{report.id}"' in body
    else:
        assert "Linked report" in body


def test_an_unknown_status_is_refused(staff):
    rec = f.recommendation()
    db.session.commit()
    response = staff.post(f"/review/recommendations/{rec.id}/assessments", data={
        "status": "done", "rationale": "x", "version": str(rec.version)})
    assert response.status_code == 400
    assert history(rec) == []


def test_a_stale_assessment_is_not_saved_and_keeps_the_rationale(staff):
    rec = f.recommendation()
    db.session.commit()
    old = rec.version
    staff.post(f"/review/recommendations/{rec.id}/assessments", data={
        "status": "in_progress", "rationale": "First colleague's view.", "version": str(old)})
    response = staff.post(f"/review/recommendations/{rec.id}/assessments", data={
        "status": "implemented", "rationale": "My own view.", "version": str(old)})
    assert response.status_code == 409
    body = page(response)
    assert "Someone else changed this record" in body
    assert "My own view." in body and "First colleague&#39;s view." in body
    assert [a.rationale for a in history(rec)] == ["First colleague's view."]
    assert db.session.get(Recommendation, rec.id).status == ImplementationStatus.IN_PROGRESS
    # The form now carries the current version: sending it again, knowingly, works.
    current = db.session.get(Recommendation, rec.id).version
    assert f'name="version" type="hidden" value="{current}"' in body


def test_the_service_refuses_focal_points(session):
    from tracker.services import assessments
    from tracker.services.errors import ServiceError

    rec = f.recommendation()
    with pytest.raises(ServiceError) as refused:
        assessments.assess(f.user(Role.FOCAL_POINT), rec.id, "implemented", "x", [], rec.version)
    assert refused.value.status == 403
