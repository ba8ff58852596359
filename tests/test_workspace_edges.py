"""Ministry and office workspaces when a request comes too late, without its token, or astray."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import login
from tracker.models import ReportVisibility, Role
from tracker.services import reports


@pytest.fixture
def world(session):
    inst = factories.institution("SEDH-W")
    rec = factories.recommendation(text="Adopt a law against femicide.")
    factories.assignment(rec, inst)
    return {"rec": rec, "focal": factories.user(Role.FOCAL_POINT, inst, locale="en"),
            "reviewer": factories.user(Role.REVIEWER, locale="en")}


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_an_approved_report_cannot_be_opened_for_editing(client, session, world):
    report = factories.progress_report(world["focal"], [world["rec"]])
    reports.submit_report(world["focal"], report.id, report.version)
    reports.approve_report(world["reviewer"], report.id, report.version,
                           visibility=ReportVisibility.INTERNAL)
    session.commit()
    login(client, world["focal"])

    answer = client.get(f"/my-institution/reports/{report.id}/edit")

    assert answer.status_code == 409
    assert "This report has been approved and can no longer be changed." in _text(answer)
    assert report.title in _text(answer)  # the report itself is shown


def test_a_change_the_office_refuses_is_shown_on_the_form_with_what_was_typed(
        client, session, world):
    report = factories.progress_report(world["focal"], [world["rec"]])
    session.commit()
    login(client, world["focal"])

    answer = client.post(f"/my-institution/reports/{report.id}/edit", data={
        "title": "Training of judges", "description": "", "measure_kind": "training",
        "period_start": "2024-06-30", "period_end": "2024-01-01",
        "recommendation_ids": [str(world["rec"].id)], "version": str(report.version)})

    assert answer.status_code == 400
    assert "The period cannot end before it starts." in _text(answer)
    assert 'value="2024-06-30"' in _text(answer)
    session.refresh(report)
    assert report.period_start.isoformat() == "2024-01-01"  # unchanged


def test_a_recommendation_in_a_third_language_keeps_it_on_the_edit_form(client, session, world):
    rec = factories.recommendation(language="fr", text="Adopter une loi.")
    login(client, world["reviewer"])

    page = _text(client.get(f"/review/recommendations/{rec.id}/edit"))

    assert '<option selected value="fr">' in page or 'value="fr" selected' in page


def test_records_that_do_not_exist_are_not_found_in_the_office_workspace(client, world):
    login(client, world["reviewer"])
    assert client.get("/review/recommendations/987654").status_code == 404
    assert client.get("/review/documents/987654/edit").status_code == 404
