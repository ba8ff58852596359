"""Office staff review submitted reports: the dashboard, the queue, and the decisions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import choose_language, login
from tracker.extensions import db
from tracker.models import (
    AuditEvent,
    Notification,
    NotificationKind,
    ProgressReport,
    ReportState,
    ReportVisibility,
    Role,
    utcnow,
)
from tracker.services import evidence, reports
from tracker.services.errors import ServiceError
from tracker.services.report_queries import local_today
from tracker.web.transaction import commit

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def office(session):
    inst = factories.institution("REV-A")
    other = factories.institution("REV-B")
    rec = factories.recommendation(text="Adopt a comprehensive anti-discrimination law.")
    rec_cat = factories.recommendation(doc=factories.document(mechanism_code="CAT"))
    rec_other = factories.recommendation()
    due = local_today() - timedelta(days=10)
    assignment = factories.assignment(rec, inst, next_due=due, rhythm_months=6)
    factories.assignment(rec_cat, inst)
    factories.assignment(rec_other, other)
    author = factories.user(Role.FOCAL_POINT, inst, name="Ana Enlace", locale="es",
                            email="ana@rev-a.example")
    colleague = factories.user(Role.FOCAL_POINT, inst, name="Carl Colleague", locale="en",
                               email="carl@rev-a.example")
    factories.user(Role.FOCAL_POINT, inst, active=False, email="gone@rev-a.example")
    outsider = factories.user(Role.FOCAL_POINT, other, email="beto@rev-b.example")
    reviewer = factories.user(Role.REVIEWER, name="Rita Revisora")
    return {"inst": inst, "other": other, "rec": rec, "rec_cat": rec_cat,
            "rec_other": rec_other, "assignment": assignment, "author": author,
            "colleague": colleague, "outsider": outsider, "reviewer": reviewer}


def submitted(author, recs, title="Protocol adopted", days_ago=0, **kw):
    report = factories.progress_report(author, recs, title=title, **kw)
    reports.submit_report(author, report.id, report.version)
    report.submitted_at = utcnow() - timedelta(days=days_ago)
    db.session.flush()
    return report


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_queue_lists_submitted_reports_oldest_first_with_filters(client, office, session):
    newer = submitted(office["author"], [office["rec"]], "Newer report", days_ago=1)
    older = submitted(office["author"], [office["rec_cat"]], "Older report", days_ago=20)
    other = submitted(office["outsider"], [office["rec_other"]], "Other institution", days_ago=5)
    factories.progress_report(office["author"], [office["rec"]], title="Just a draft")
    commit()
    choose_language(client, "en")
    login(client, office["reviewer"])
    html = _text(client.get("/review/reports/"))
    assert "Just a draft" not in html
    assert html.index("Older report") < html.index("Other institution") < html.index(
        "Newer report")
    assert "waiting 20 days" in html and "3 reports waiting" in html

    by_inst = _text(client.get(f"/review/reports/?institution={office['other'].id}"))
    assert other.title in by_inst and older.title not in by_inst
    cat = factories.mechanism("CAT")
    by_mech = _text(client.get(f"/review/reports/?mechanism={cat.id}"))
    assert older.title in by_mech and newer.title not in by_mech and other.title not in by_mech


def test_dashboard_counts(client, office, session):
    submitted(office["author"], [office["rec"]], "Waiting A", days_ago=9)
    submitted(office["author"], [office["rec"]], "Waiting B", days_ago=2)
    back = submitted(office["author"], [office["rec_cat"]], "Sent back")
    reports.return_report(office["reviewer"], back.id, back.version, comment="More detail")
    done = submitted(office["author"], [office["rec_cat"]], "Done")
    reports.approve_report(office["reviewer"], done.id, done.version,
                           visibility=ReportVisibility.INTERNAL)
    commit()
    choose_language(client, "en")
    login(client, office["reviewer"])
    html = _text(client.get("/review/"))
    numbers = re.findall(r'<span class="stat-number">([^<]+)</span>\s*'
                         r'<span class="stat-label">([^<]+)</span>', html)
    assert [(n.strip(), label) for n, label in numbers] == [
        ("2", "submitted, waiting for review"), ("9", "days the oldest has waited"),
        ("1", "returned, awaiting the institution"), ("1", "approved this month")]
    assert "Waiting A" in html and 'href="/review/reports/"' in html


def test_only_office_staff_review(client, office, session):
    report = submitted(office["author"], [office["rec"]])
    commit()
    login(client, office["author"])
    assert client.get("/review/reports/").status_code == 403
    assert client.get(f"/review/reports/{report.id}").status_code == 403
    assert client.post(f"/review/reports/{report.id}/decision",
                       data={"decision": "approve_public", "version": report.version}
                       ).status_code == 403
    with pytest.raises(ServiceError) as exc:
        reports.approve_report(office["author"], report.id, report.version,
                               visibility=ReportVisibility.PUBLIC)
    assert exc.value.status == 403
    session.refresh(report)
    assert report.state == ReportState.SUBMITTED


def test_review_page_shows_everything_including_private_evidence(client, office, session):
    report = factories.progress_report(office["author"], [office["rec"]],
                                       description="We set up **12** shelters.")
    evidence.attach_file(office["author"], report.id, filename="Lista de albergues.pdf",
                         data=PDF, is_public=False, label="List of shelters")
    evidence.add_link(office["author"], report.id, url="https://example.hn/press",
                      is_public=True, label="Press release")
    reports.submit_report(office["author"], report.id, report.version)
    commit()
    choose_language(client, "en")
    login(client, office["reviewer"])
    html = _text(client.get(f"/review/reports/{report.id}"))
    assert "<strong>12</strong> shelters" in html
    assert office["rec"].reference in html and "REV-A" in html
    assert "List of shelters" in html and "Private" in html and "Press release" in html
    assert "Submitted for review" in html and "Ana Enlace" in html
    assert 'name="decision"' in html and 'value="approve_internal"' in html


def test_approve_public_records_it_moves_the_due_date_and_e_mails_the_institution(
        client, office, session, mailbox):
    report = submitted(office["author"], [office["rec"]], "Shelters opened")
    commit()
    old_due = office["assignment"].next_due
    login(client, office["reviewer"])
    done = client.post(f"/review/reports/{report.id}/decision", data={
        "decision": "approve_public", "comment": "Good work.", "version": report.version})
    assert done.status_code == 302 and done.location.endswith("/review/reports/")
    session.refresh(report)
    assert report.state == ReportState.APPROVED and report.visibility == ReportVisibility.PUBLIC
    step = report.transitions[-1]
    assert (step.from_state, step.to_state, step.actor_id, step.comment) == (
        ReportState.SUBMITTED, ReportState.APPROVED, office["reviewer"].id, "Good work.")
    assert step.snapshot["visibility"] == "public"
    assert session.scalars(select(AuditEvent).where(
        AuditEvent.action == "transition", AuditEvent.entity_id == str(report.id),
        AuditEvent.actor_id == office["reviewer"].id)).all()

    session.refresh(office["assignment"])
    assert office["assignment"].next_due > old_due
    assert office["assignment"].next_due > local_today()

    notes = session.scalars(select(Notification).where(
        Notification.kind == NotificationKind.REVIEW_RESULT)).all()
    assert sorted(n.recipient_email for n in notes) == ["ana@rev-a.example",
                                                        "carl@rev-a.example"]
    to_ana = mailbox.last_to("ana@rev-a.example")
    to_carl = mailbox.last_to("carl@rev-a.example")
    body_es = to_ana.get_payload(decode=True).decode()
    body_en = to_carl.get_payload(decode=True).decode()
    assert "Shelters opened" in to_ana["Subject"] and "Shelters opened" in body_es
    # Each in the recipient's language: the decision date is written the Spanish or English way.
    month_es = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
                "septiembre", "octubre", "noviembre", "diciembre"]
    assert re.search(r"\d+ de (" + "|".join(month_es) + r") de \d{4}", body_es)
    assert re.search(r"(January|February|March|April|May|June|July|August|September|October|"
                     r"November|December) \d+, \d{4}", body_en)
    assert f"/my-institution/reports/{report.id}" in body_es
    assert not [m for m in mailbox.messages if m["To"] in ("gone@rev-a.example",
                                                           "beto@rev-b.example")]


def test_approve_internal(client, office, session):
    report = submitted(office["author"], [office["rec"]])
    commit()
    login(client, office["reviewer"])
    client.post(f"/review/reports/{report.id}/decision",
                data={"decision": "approve_internal", "version": report.version})
    session.refresh(report)
    assert report.state == ReportState.APPROVED
    assert report.visibility == ReportVisibility.INTERNAL


def test_return_needs_a_comment_and_tells_the_author(client, office, session, mailbox):
    report = submitted(office["author"], [office["rec"]], "Draft law")
    commit()
    login(client, office["reviewer"])
    refused = client.post(f"/review/reports/{report.id}/decision",
                          data={"decision": "return", "comment": "  ", "version": report.version})
    assert refused.status_code == 400
    # Rita reads Spanish, the default.
    assert "para devolver un informe se requiere un comentario" in _text(refused)
    session.refresh(report)
    assert report.state == ReportState.SUBMITTED and len(report.transitions) == 2

    sent_back = client.post(f"/review/reports/{report.id}/decision", data={
        "decision": "return", "comment": "Add the bill's number and the vote date.",
        "version": report.version})
    assert sent_back.status_code == 302
    session.refresh(report)
    assert report.state == ReportState.RETURNED
    assert report.transitions[-1].comment == "Add the bill's number and the vote date."
    body = mailbox.last_to("ana@rev-a.example").get_payload(decode=True).decode()
    assert "Add the bill's number and the vote date." in body and "Draft law" in body


def test_deciding_twice_or_deciding_a_draft_is_refused(client, office, session):
    report = submitted(office["author"], [office["rec"]])
    commit()
    login(client, office["reviewer"])
    form = {"decision": "approve_public", "version": report.version}
    assert client.post(f"/review/reports/{report.id}/decision", data=form).status_code == 302
    again = client.post(f"/review/reports/{report.id}/decision", data=form)
    assert again.status_code == 409
    assert "Ya se tomó una decisión sobre este informe" in _text(again)  # Rita reads Spanish
    other = client.post(f"/review/reports/{report.id}/decision",
                        data={"decision": "return", "comment": "No", "version": report.version})
    assert other.status_code == 409
    session.refresh(report)
    assert report.state == ReportState.APPROVED and len(report.transitions) == 3

    draft = factories.progress_report(office["author"], [office["rec"]])
    commit()
    early = client.post(f"/review/reports/{draft.id}/decision",
                        data={"decision": "approve_public", "version": draft.version})
    assert early.status_code == 409 and "sigue siendo un borrador" in _text(early)
    session.refresh(draft)
    assert draft.state == ReportState.DRAFT


def test_a_decision_on_a_version_that_changed_meanwhile_is_refused(client, office, session):
    report = submitted(office["author"], [office["rec"]])
    commit()
    seen = report.version
    reports.return_report(office["reviewer"], report.id, seen, comment="Fix")
    reports.submit_report(office["author"], report.id, report.version)
    commit()
    login(client, office["reviewer"])
    stale = client.post(f"/review/reports/{report.id}/decision",
                        data={"decision": "approve_public", "version": seen})
    assert stale.status_code == 409
    session.refresh(report)
    assert report.state == ReportState.SUBMITTED


def test_decisions_need_the_csrf_token(client, office, session, csrf_enabled):
    report = submitted(office["author"], [office["rec"]])
    commit()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', _text(page)).group(1)
    client.post("/login", data={"email": office["reviewer"].email,
                                "password": factories.PASSWORD, "csrf_token": token})
    forged = client.post(f"/review/reports/{report.id}/decision",
                         data={"decision": "approve_public", "version": report.version})
    assert forged.status_code == 400
    session.refresh(report)
    assert report.state == ReportState.SUBMITTED
    review_page = _text(client.get(f"/review/reports/{report.id}"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', review_page).group(1)
    ok = client.post(f"/review/reports/{report.id}/decision", data={
        "decision": "approve_public", "version": report.version, "csrf_token": token})
    assert ok.status_code == 302
    session.refresh(report)
    assert report.state == ReportState.APPROVED


def test_the_service_refuses_what_the_lifecycle_does_not_allow(office, session):
    report = factories.progress_report(office["author"], [office["rec"]])
    with pytest.raises(ServiceError) as exc:
        reports.return_report(office["reviewer"], report.id, report.version, comment="x")
    assert exc.value.status == 409
    reports.submit_report(office["author"], report.id, report.version)
    reports.approve_report(office["reviewer"], report.id, report.version,
                           visibility=ReportVisibility.PUBLIC)
    for attempt in (
        lambda: reports.submit_report(office["author"], report.id, report.version),
        lambda: reports.update_report(office["author"], report.id, report.version,
                                      reports.ReportInput(title="New",
                                                          recommendation_ids=[office["rec"].id])),
        lambda: reports.approve_report(office["reviewer"], report.id, report.version,
                                       visibility=ReportVisibility.INTERNAL),
    ):
        with pytest.raises(ServiceError) as exc:
            attempt()
        assert exc.value.status == 409
    assert session.get(ProgressReport, report.id).visibility == ReportVisibility.PUBLIC


def test_the_queue_does_not_query_per_report(client, office, session):
    from sqlalchemy import event

    login(client, office["reviewer"])

    def statements() -> int:
        seen = []
        engine = db.engines[None]

        def count(_conn, _cursor, statement, *_args):
            if statement.lstrip().upper().startswith("SELECT"):  # not the test's savepoints
                seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/review/reports/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    submitted(office["author"], [office["rec"]], "One")
    commit()
    statements()  # warm up
    few = statements()
    for n in range(5):
        rec = factories.recommendation(doc=factories.document(mechanism_code="CRC"))
        factories.assignment(rec, office["inst"])
        submitted(office["author"], [rec, office["rec_cat"]], f"More {n}")
    commit()
    assert statements() == few
