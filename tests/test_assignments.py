"""Assignments: one by one on the recommendation's page, in bulk from the list, due dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import event, insert, select

from tests import factories as f
from tests.conftest import login
from tracker.extensions import db
from tracker.models import (
    Assignment,
    AssignmentRole,
    AuditEvent,
    Recommendation,
    Role,
)
from tracker.services import assignments
from tracker.services import curation_queries as queries
from tracker.services.assignments import add_months, local_today, next_due_after


@pytest.fixture
def reviewer(session):
    return f.user(Role.REVIEWER, locale="en")


@pytest.fixture
def staff(client, reviewer):
    login(client, reviewer)
    return client


def page(response) -> str:
    return response.get_data(as_text=True)


def saved() -> None:
    """Commit the test's rows, as an earlier request would have (see test_curation)."""
    db.session.commit()


def rows(rec) -> list[Assignment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Assignment).where(
        Assignment.recommendation_id == rec.id).order_by(Assignment.id)))


# --- one recommendation ----------------------------------------------------------------------


def test_assign_to_two_institutions_as_lead_and_support(staff):
    rec = f.recommendation()
    semujer, mp = f.institution("SEMUJERX"), f.institution("MPX")
    response = staff.post(f"/review/recommendations/{rec.id}/assignments", data={
        "institution_ids": [str(semujer.id)], "role": "lead", "rhythm_months": "3",
        "next_due": "2026-03-31"})
    assert response.status_code == 302
    staff.post(f"/review/recommendations/{rec.id}/assignments", data={
        "institution_ids": [str(mp.id)], "role": "support", "rhythm_months": "12"})
    found = {a.institution.acronym: a for a in rows(rec)}
    assert found["SEMUJERX"].role == AssignmentRole.LEAD
    assert (found["SEMUJERX"].rhythm_months, found["SEMUJERX"].next_due) == (3, date(2026, 3, 31))
    assert found["MPX"].role == AssignmentRole.SUPPORT
    # Without a date, the first report is due one rhythm from today.
    assert found["MPX"].next_due == add_months(local_today(), 12)
    body = page(staff.get(response.headers["Location"]))
    assert "SEMUJERX" in body and "MPX" in body and "Support" in body


def test_reassigning_an_ended_assignment_reactivates_it(staff):
    rec = f.recommendation()
    inst = f.institution()
    ended = f.assignment(rec, inst, active=False, ended_at=datetime(2024, 1, 1, tzinfo=UTC))
    response = staff.post(f"/review/recommendations/{rec.id}/assignments", data={
        "institution_ids": [str(inst.id)], "role": "support", "rhythm_months": "6"})
    assert response.status_code == 302
    (only,) = rows(rec)
    assert only.id == ended.id and only.active and only.ended_at is None
    assert only.role == AssignmentRole.SUPPORT
    assert "0 assignments created and 1 updated" in page(staff.get(response.headers["Location"]))


def test_bad_assignment_input_is_explained_and_nothing_saved(staff):
    rec = f.recommendation()
    inst = f.institution()
    retired = f.institution(active=False)
    saved()
    url = f"/review/recommendations/{rec.id}/assignments"
    response = staff.post(url, data={"role": "lead", "rhythm_months": "6"})
    assert response.status_code == 400
    response = staff.post(url, data={"institution_ids": [str(inst.id)], "role": "lead",
                                     "rhythm_months": "5"})
    assert response.status_code == 400 and "Not a valid choice" in page(response)
    response = staff.post(url, data={"institution_ids": [str(inst.id)], "role": "lead",
                                     "rhythm_months": "6", "next_due": "31/02/2026"})
    assert response.status_code == 400 and "Not a valid date value" in page(response)
    # An institution deactivated while the page was open.
    response = staff.post(url, data={"institution_ids": [str(retired.id)], "role": "lead",
                                     "rhythm_months": "6"})
    assert response.status_code == 400
    assert rows(rec) == []


def test_the_service_refuses_inactive_institutions_and_odd_rhythms(session, reviewer):
    rec = f.recommendation()
    retired = f.institution(active=False)
    # Outside a request the messages are in the default language; this reviewer reads English.
    with force_locale("en"):
        with pytest.raises(assignments.ServiceError, match="no longer active"):
            assignments.assign(reviewer, rec.id, [retired.id], assignments.AssignmentTerms())
        with pytest.raises(assignments.ServiceError, match="1, 3, 6 or 12"):
            assignments.assign(reviewer, rec.id, [f.institution().id],
                               assignments.AssignmentTerms(rhythm_months=2))
    focal = f.user(Role.FOCAL_POINT)
    with pytest.raises(assignments.ServiceError) as refused:
        assignments.assign(focal, rec.id, [f.institution().id], assignments.AssignmentTerms())
    assert refused.value.status == 403


def test_change_an_assignment(staff):
    rec = f.recommendation()
    found = f.assignment(rec, f.institution("SEDHX"))
    body = page(staff.get(f"/review/assignments/{found.id}/edit"))
    assert "SEDHX" in body
    response = staff.post(f"/review/assignments/{found.id}/edit", data={
        "role": "support", "rhythm_months": "1", "next_due": "2027-01-15",
        "version": str(found.version)})
    assert response.status_code == 302
    (changed,) = rows(rec)
    assert (changed.role, changed.rhythm_months, changed.next_due) == (
        AssignmentRole.SUPPORT, 1, date(2027, 1, 15))


def test_changing_needs_a_due_date(staff):
    found = f.assignment(f.recommendation(), f.institution())
    saved()
    response = staff.post(f"/review/assignments/{found.id}/edit", data={
        "role": "lead", "rhythm_months": "6", "next_due": "", "version": str(found.version)})
    assert response.status_code == 400
    assert "This field is required." in page(response)


def test_end_an_assignment(staff):
    rec = f.recommendation()
    found = f.assignment(rec, f.institution("IPX"))
    response = staff.post(f"/review/assignments/{found.id}/end",
                          data={"version": str(found.version)})
    assert response.status_code == 302
    (ended,) = rows(rec)
    assert ended.active is False and ended.ended_at is not None
    body = page(staff.get(f"/review/recommendations/{rec.id}"))
    assert "Ended on" in body and "Reassign" in body


def test_ending_twice_says_it_already_ended(staff):
    found = f.assignment(f.recommendation(), f.institution())
    saved()
    first = found.version
    staff.post(f"/review/assignments/{found.id}/end", data={"version": str(first)})
    response = staff.post(f"/review/assignments/{found.id}/end",
                          data={"version": str(first + 1)}, follow_redirects=True)
    assert "already ended" in page(response)


def test_unknown_assignments_are_not_found(staff):
    assert staff.get("/review/assignments/987654/edit").status_code == 404
    assert staff.post("/review/assignments/987654/end", data={"version": "1"}).status_code == 404
    assert staff.post("/review/recommendations/987654/assignments", data={
        "institution_ids": [str(f.institution().id)], "role": "lead",
        "rhythm_months": "6"}).status_code == 404


# --- in bulk ---------------------------------------------------------------------------------


def _cedaw_2016():
    doc = f.document("CEDAW/C/HND/CO/7-8", date=date(2016, 11, 25))
    violence = [f.recommendation(doc, text=f"Prevent violence against women, measure {n}.")
                for n in range(3)]
    other = f.recommendation(doc, text="Guarantee access to safe abortion.")
    return doc, violence, other


def test_bulk_assign_everything_matching_the_filters(staff):
    doc, violence, other = _cedaw_2016()
    semujer, mp = f.institution("SEMUJERX"), f.institution("MPX")
    # One was already assigned to SEMUJER: it is updated, not duplicated.
    f.assignment(violence[0], semujer, role=AssignmentRole.SUPPORT, rhythm_months=12)
    query = f"document={doc.id}&q=violence"
    form = {"role": "lead", "rhythm_months": "6", "next_due": "2026-06-30", "scope": "all"}
    response = staff.post(f"/review/recommendations/assign?{query}",
                          data={**form, "institution_ids": [str(semujer.id)]})
    assert response.status_code == 302
    assert "2 assignments created and 1 updated, for 3 recommendations" in page(
        staff.get(response.headers["Location"]))
    staff.post(f"/review/recommendations/assign?{query}",
               data={**form, "role": "support", "institution_ids": [str(mp.id)]})

    for rec in violence:
        found = {a.institution.acronym: a for a in rows(rec)}
        assert set(found) == {"SEMUJERX", "MPX"}
        assert found["SEMUJERX"].role == AssignmentRole.LEAD
        assert found["SEMUJERX"].rhythm_months == 6
        assert found["SEMUJERX"].next_due == date(2026, 6, 30)
        assert found["MPX"].role == AssignmentRole.SUPPORT
    assert rows(other) == []
    event_row = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "bulk_assign").order_by(AuditEvent.id.desc())).first()
    assert event_row.changes["institutions"] == ["MPX"]
    assert event_row.changes["scope"] == {"filters": {"document": str(doc.id), "q": "violence"}}


def test_bulk_assign_the_ticked_recommendations(staff):
    doc, violence, other = _cedaw_2016()
    inst = f.institution()
    response = staff.post(f"/review/recommendations/assign?document={doc.id}", data={
        "institution_ids": [str(inst.id)], "role": "lead", "rhythm_months": "3",
        "scope": "selected", "ids": [str(violence[1].id), str(other.id)]})
    assert response.status_code == 302
    assert [len(rows(r)) for r in (*violence, other)] == [0, 1, 0, 1]
    assert rows(other)[0].next_due == add_months(local_today(), 3)


def test_bulk_assign_keeps_due_dates_of_active_assignments_when_none_is_given(staff):
    rec = f.recommendation()
    inst = f.institution()
    f.assignment(rec, inst, next_due=date(2031, 5, 5))
    ended = f.recommendation()
    f.assignment(ended, inst, active=False, next_due=date(2020, 1, 1))
    staff.post("/review/recommendations/assign", data={
        "institution_ids": [str(inst.id)], "role": "lead", "rhythm_months": "6",
        "scope": "selected", "ids": [str(rec.id), str(ended.id)]})
    assert rows(rec)[0].next_due == date(2031, 5, 5)
    reactivated = rows(ended)[0]
    assert reactivated.active and reactivated.next_due == add_months(local_today(), 6)


def test_bulk_assign_refuses_everything_at_once_and_nothing_ticked(staff):
    rec = f.recommendation()
    inst = f.institution()
    saved()
    data = {"institution_ids": [str(inst.id)], "role": "lead", "rhythm_months": "6"}
    response = staff.post("/review/recommendations/assign", data={**data, "scope": "all"})
    assert response.status_code == 400
    assert "Filter the list first" in page(response)
    response = staff.post("/review/recommendations/assign", data={**data, "scope": "selected"})
    assert response.status_code == 400
    assert "Tick at least one recommendation" in page(response)
    response = staff.post("/review/recommendations/assign?q=zzzznothing", data={
        **data, "scope": "all"})
    assert response.status_code == 400
    assert "No recommendation matches" in page(response)
    response = staff.post("/review/recommendations/assign?q=measure", data={
        "role": "lead", "rhythm_months": "6", "scope": "selected", "ids": [str(rec.id)]})
    assert response.status_code == 400
    assert f'id="tick-{rec.id}" checked' in page(response)
    assert rows(rec) == []


def test_bulk_assign_is_set_based(session, reviewer):
    doc = f.document()
    table = Recommendation.__table__
    db.session.execute(insert(table), [
        {"document_id": doc.id, "mechanism_id": doc.mechanism_id, "paragraph": str(n),
         "reference": f"BULK/{n}", "text": "Bulk text", "language": "en",
         "type": "recommendation", "is_published": True, "status": "no_information",
         "follow_up": False, "version": 1,
         "created_at": datetime.now(UTC), "updated_at": datetime.now(UTC)}
        for n in range(3000)])
    existing = db.session.scalar(select(Recommendation).where(Recommendation.reference == "BULK/7"))
    inst = f.institution()
    f.assignment(existing, inst)
    statements = []
    engine = db.session.get_bind()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        result = assignments.bulk_assign(
            reviewer, queries.matching_ids(reviewer, queries.ReviewFilters(document_id=doc.id)),
            [inst.id], assignments.AssignmentTerms(rhythm_months=12))
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert (result.created, result.updated, result.recommendations) == (2999, 1, 3000)
    assert len(statements) < 15
    assert db.session.scalar(select(db.func.count()).select_from(Assignment).where(
        Assignment.institution_id == inst.id)) == 3000


# --- due dates after an approved report ------------------------------------------------------


def test_add_months_keeps_within_the_month():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 11, 15), 3) == date(2025, 2, 15)
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)


@pytest.mark.parametrize(("next_due", "rhythm", "approved", "expected"), [
    (None, 6, date(2025, 3, 10), date(2025, 9, 10)),  # never due: approval + rhythm
    (date(2025, 3, 31), 3, date(2025, 3, 10), date(2025, 6, 30)),  # on time: next period
    (date(2024, 6, 30), 3, date(2025, 3, 10), date(2025, 3, 30)),  # overdue: first one after
    (date(2025, 6, 30), 6, date(2025, 3, 10), date(2025, 12, 30)),  # early in its period
    (date(2025, 12, 30), 6, date(2025, 3, 20), date(2025, 12, 30)),  # 2nd report, same period
    (date(2025, 3, 10), 1, date(2025, 3, 10), date(2025, 4, 10)),  # due the approval day
])
def test_next_due_after_an_approval(next_due, rhythm, approved, expected):
    assert next_due_after(next_due, rhythm, approved) == expected


def test_advance_due_dates_moves_only_the_reporting_institutions_active_assignments(session):
    inst, other = f.institution(), f.institution()
    covered, also_covered, not_covered = f.recommendation(), f.recommendation(), f.recommendation()
    mine = f.assignment(covered, inst, rhythm_months=3, next_due=date(2025, 3, 31))
    undated = f.assignment(also_covered, inst, rhythm_months=6, next_due=None)
    ended = f.assignment(f.recommendation(), inst, active=False, next_due=date(2025, 3, 31))
    theirs = f.assignment(covered, other, next_due=date(2025, 3, 31))
    untouched = f.assignment(not_covered, inst, next_due=date(2025, 3, 31))
    approved_at = datetime(2025, 3, 10, 15, 0, tzinfo=UTC)
    report = f.report_in_state(inst, [covered, also_covered, ended.recommendation],
                               decided_at=approved_at)

    assignments.advance_due_dates(report)

    assert mine.next_due == date(2025, 6, 30)
    assert undated.next_due == date(2025, 9, 10)
    assert ended.next_due == theirs.next_due == untouched.next_due == date(2025, 3, 31)


def test_the_approval_date_is_the_offices_local_date(session):
    inst, rec = f.institution(), f.recommendation()
    found = f.assignment(rec, inst, rhythm_months=1, next_due=None)
    # 02:00 UTC on 1 March is still 28 February in Tegucigalpa (UTC-6).
    report = f.report_in_state(inst, [rec], decided_at=datetime(2025, 3, 1, 2, 0, tzinfo=UTC))
    assignments.advance_due_dates(report)
    assert found.next_due == date(2025, 3, 28)
    assert local_today(datetime(2025, 3, 1, 2, 0, tzinfo=UTC)) + timedelta(days=1) == date(
        2025, 3, 1)
