"""A form sent twice (a double click, a retry after a timeout) acts once.

Each state-changing form is drawn with a key of its own; the second sending of the same
key changes nothing and is led where the first one went. Covered: writing, editing and
submitting a progress report, the office's decision on it, an assessment and an office
action.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests import factories as f
from tests.conftest import choose_language, login, removing_committed_rows
from tracker.extensions import db
from tracker.models import (
    FormSubmission,
    OfficeAction,
    ProgressReport,
    ReportState,
    ReportTransition,
    Role,
    StatusAssessment,
    utcnow,
)
from tracker.services import submissions

KEY = re.compile(r'name="submission_key"[^>]*value="([^"]+)"'
                 r'|value="([^"]+)"[^>]*name="submission_key"')


def key_in(response) -> str:
    """The key of the (first) state-changing form on a page."""
    found = KEY.search(response.get_data(as_text=True))
    assert found, "the page has no form key"
    return found.group(1) or found.group(2)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def transitions(report_id: int) -> list:
    return list(db.session.scalars(select(ReportTransition.to_state).where(
        ReportTransition.report_id == report_id).order_by(ReportTransition.id)))


@pytest.fixture
def desk(session):
    """A focal point with one assigned recommendation, and a reviewer."""
    inst = f.institution()
    rec = f.recommendation()
    f.assignment(rec, inst)
    return {"focal": f.user(Role.FOCAL_POINT, inst), "reviewer": f.user(Role.REVIEWER),
            "rec": rec, "inst": inst}


def _report_form(rec, key: str, **changes) -> dict:
    data = {"title": "Shelters opened", "recommendation_ids": [str(rec.id)],
            "measure_kind": "policy", "description": "Three shelters.", "submission_key": key}
    data.update(changes)
    return data


def test_each_drawing_of_a_form_has_a_new_key(client, desk):
    login(client, desk["focal"])
    first, second = (key_in(client.get("/my-institution/reports/new")) for _ in range(2))
    assert first != second and submissions.KEY_PATTERN.fullmatch(first)


def test_a_report_written_then_sent_again_is_saved_once(client, desk):
    choose_language(client, "en")
    login(client, desk["focal"])
    key = key_in(client.get("/my-institution/reports/new"))
    before = count(ProgressReport)
    first = client.post("/my-institution/reports/new", data=_report_form(desk["rec"], key))
    again = client.post("/my-institution/reports/new", data=_report_form(desk["rec"], key))

    assert first.status_code == again.status_code == 302
    assert again.location == first.location  # the same report's page
    assert count(ProgressReport) == before + 1
    page = client.get(again.location).get_data(as_text=True)
    assert "This form had already been sent: it was not sent again." in page
    # A new drawing of the form writes a new report.
    other = key_in(client.get("/my-institution/reports/new"))
    client.post("/my-institution/reports/new", data=_report_form(desk["rec"], other))
    assert count(ProgressReport) == before + 2


def test_a_refused_sending_keeps_nothing_and_its_corrected_repeat_acts(client, desk):
    login(client, desk["focal"])
    key = key_in(client.get("/my-institution/reports/new"))
    before = count(ProgressReport)
    refused = client.post("/my-institution/reports/new",
                          data=_report_form(desk["rec"], key, recommendation_ids=["999999"]))
    assert refused.status_code in (400, 403, 404, 409, 422)
    assert count(FormSubmission, FormSubmission.key == key) == 0
    corrected = client.post("/my-institution/reports/new", data=_report_form(desk["rec"], key))
    assert corrected.status_code == 302 and count(ProgressReport) == before + 1


def test_a_report_submitted_twice_has_one_transition(client, desk):
    report = f.progress_report(desk["focal"], [desk["rec"]])
    login(client, desk["focal"])
    key = key_in(client.get(f"/my-institution/reports/{report.id}"))
    data = {"version": str(report.version), "submission_key": key}
    first = client.post(f"/my-institution/reports/{report.id}/submit", data=data)
    again = client.post(f"/my-institution/reports/{report.id}/submit", data=data)

    assert first.status_code == again.status_code == 302 and again.location == first.location
    assert transitions(report.id) == [ReportState.DRAFT, ReportState.SUBMITTED]


def test_an_edit_sent_twice_is_saved_once_without_a_conflict(client, desk):
    report = f.progress_report(desk["focal"], [desk["rec"]])
    login(client, desk["focal"])
    key = key_in(client.get(f"/my-institution/reports/{report.id}/edit"))
    data = _report_form(desk["rec"], key, title="Shelters opened in June",
                        version=str(report.version))
    first = client.post(f"/my-institution/reports/{report.id}/edit", data=data)
    # The second carries the version the first one used up: without the key, a conflict.
    again = client.post(f"/my-institution/reports/{report.id}/edit", data=data)
    assert first.status_code == again.status_code == 302 and again.location == first.location
    assert db.session.get(ProgressReport, report.id).title == "Shelters opened in June"


@pytest.mark.parametrize("decision", ["approve_public", "return"])
def test_a_decision_sent_twice_is_recorded_once(client, desk, decision):
    report = f.progress_report(desk["focal"], [desk["rec"]])
    from tracker.services import reports

    reports.submit_report(desk["focal"], report.id, report.version)
    login(client, desk["reviewer"])
    key = key_in(client.get(f"/review/reports/{report.id}"))
    data = {"decision": decision, "comment": "Add the budget.",
            "version": str(report.version), "submission_key": key}
    first = client.post(f"/review/reports/{report.id}/decision", data=data)
    again = client.post(f"/review/reports/{report.id}/decision", data=data)

    assert first.status_code == again.status_code == 302 and again.location == first.location
    decided = ReportState.APPROVED if decision == "approve_public" else ReportState.RETURNED
    assert transitions(report.id) == [ReportState.DRAFT, ReportState.SUBMITTED, decided]


def test_an_assessment_sent_twice_is_recorded_once(client, desk):
    rec = desk["rec"]
    login(client, desk["reviewer"])
    key = key_in(client.get(f"/review/recommendations/{rec.id}"))
    data = {"status": "in_progress", "rationale": "A bill is in Congress.",
            "version": str(rec.version), "submission_key": key}
    first = client.post(f"/review/recommendations/{rec.id}/assessments", data=data)
    again = client.post(f"/review/recommendations/{rec.id}/assessments", data=data)

    assert first.status_code == again.status_code == 302 and again.location == first.location
    assert count(StatusAssessment, StatusAssessment.recommendation_id == rec.id) == 1


def test_an_office_action_sent_twice_is_recorded_once(client, desk):
    login(client, desk["reviewer"])
    key = key_in(client.get("/review/actions/new"))
    data = {"kind": "technical_assistance", "title": "Workshop on shelters",
            "start_date": "2024-05-06", "term_ids": [str(f.term("pillar", "accountability").id)],
            "submission_key": key}
    first = client.post("/review/actions/new", data=data)
    again = client.post("/review/actions/new", data=data)

    assert first.status_code == again.status_code == 302 and again.location == first.location
    assert count(OfficeAction, OfficeAction.title == "Workshop on shelters") == 1


def test_a_key_sent_back_by_someone_else_does_nothing(client, desk):
    login(client, desk["focal"])
    key = key_in(client.get("/my-institution/reports/new"))
    client.post("/my-institution/reports/new", data=_report_form(desk["rec"], key))
    client.post("/logout")
    other = f.user(Role.FOCAL_POINT, desk["inst"])
    login(client, other)
    before = count(ProgressReport)
    response = client.post("/my-institution/reports/new", data=_report_form(desk["rec"], key))
    assert response.status_code == 302 and count(ProgressReport) == before


def test_keys_are_forgotten_after_a_day(session, desk):
    session.add_all([FormSubmission(key="k" * 20, user_id=desk["focal"].id, location="/a"),
                     FormSubmission(key="n" * 20, user_id=desk["focal"].id, location="/b")])
    session.flush()
    session.execute(update(FormSubmission).where(FormSubmission.key == "k" * 20)
                    .values(created_at=utcnow() - submissions.KEEP_FOR - timedelta(minutes=1)))
    assert submissions.forget_old_submissions() == 1
    assert list(session.scalars(select(FormSubmission.key))) == ["n" * 20]


def test_a_double_click_saves_one_report(app, monkeypatch):
    """Two sendings in flight at once, each on its own connection, as two server threads."""
    from tracker.web import transaction

    both_in_flight = threading.Barrier(2, timeout=30)
    claim = transaction.claim_submission

    def claim_when_both_arrived(actor, key):
        both_in_flight.wait()  # each has read the user and the form; neither has written
        return claim(actor, key)

    monkeypatch.setattr(transaction, "claim_submission", claim_when_both_arrived)
    with removing_committed_rows(app):
        with app.app_context():
            inst = f.institution()
            rec = f.recommendation()
            f.assignment(rec, inst)
            f.user(Role.FOCAL_POINT, inst, email="double-click@inst.example")
            db.session.commit()
            ids = {"rec": rec.id, "inst": inst.id}
            db.session.remove()

        clients = [app.test_client() for _ in range(2)]
        for browser in clients:
            assert browser.post("/login", data={"email": "double-click@inst.example",
                                                "password": f.PASSWORD}).status_code == 302
        data = {"title": "Shelters opened", "recommendation_ids": [str(ids["rec"])],
                "measure_kind": "policy", "submission_key": "double-click-key-0001"}
        answers, errors = [], []

        def send(browser):
            try:
                answers.append(browser.post("/my-institution/reports/new", data=data))
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=send, args=(c,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

        with app.app_context():
            made = list(db.session.scalars(select(ProgressReport.id).where(
                ProgressReport.institution_id == ids["inst"])))
            steps = [transitions(report_id) for report_id in made]
            db.session.remove()

    assert errors == []
    assert [a.status_code for a in answers] == [302, 302]
    assert len(made) == 1 and steps == [[ReportState.DRAFT]]
    assert {a.location for a in answers} == {f"/my-institution/reports/{made[0]}"}
