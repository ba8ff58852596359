"""The whole follow-up cycle through HTTP, as the real roles would walk it.

Reviewer assigns → focal point drafts, attaches evidence, submits → reviewer returns
with a comment → focal point revises and resubmits → reviewer approves as public and
assesses the status → the anonymous public page shows the status and the report with
its public evidence and not the private one.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

from tests import factories
from tracker.models import (
    Assignment,
    ImplementationStatus,
    ProgressReport,
    ReportState,
    ReportVisibility,
    Role,
)
from tracker.services.assignments import add_months, local_today

PUBLIC_PDF = b"%PDF-1.4\n% acta publica\n%%EOF\n"
PRIVATE_PDF = b"%PDF-1.4\n% listado confidencial de victimas\n%%EOF\n"


def _as(client, user):
    client.post("/logout")
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302


def _version(page: str, field: str = "version") -> str:
    return re.search(rf'name="{field}"[^>]*value="(\d+)"', page).group(1)


def test_the_whole_follow_up_cycle(client, session, mailbox):
    semujer = factories.institution("SEMUJER")
    rec = factories.recommendation(is_published=True,
                                   text="Adopt a comprehensive law on violence against women.")
    reviewer = factories.user(Role.REVIEWER, email="revisora@oficina.example")
    focal = factories.user(Role.FOCAL_POINT, semujer, email="enlace@semujer.example")
    session.commit()

    # 1. The reviewer assigns the recommendation to SEMUJER as lead, every 6 months,
    #    with the first report due within the month.
    due = local_today() + timedelta(days=20)
    _as(client, reviewer)
    response = client.post(f"/review/recommendations/{rec.id}/assignments", data={
        "institution_ids": [str(semujer.id)], "role": "lead", "rhythm_months": "6",
        "next_due": due.isoformat()})
    assert response.status_code == 302
    assignment = session.query(Assignment).filter_by(recommendation_id=rec.id).one()
    assert assignment.institution_id == semujer.id and assignment.next_due == due

    # 2. The focal point sees it as assigned, drafts a report, attaches evidence, submits.
    _as(client, focal)
    home = client.get("/my-institution/").get_data(as_text=True)
    assert rec.reference in home
    response = client.post("/my-institution/reports/new", data={
        "title": "Law on violence against women sent to Congress",
        "recommendation_ids": [str(rec.id)], "measure_kind": "legislative",
        "period_start": "2024-01-01", "period_end": "2024-06-30",
        "description": "The bill was **sent** to Congress on 8 March."})
    assert response.status_code == 302
    report = session.query(ProgressReport).filter_by(institution_id=semujer.id).one()
    assert report.state == ReportState.DRAFT
    base = f"/my-institution/reports/{report.id}"
    for payload, name, visibility in ((PUBLIC_PDF, "acta.pdf", "public"),
                                      (PRIVATE_PDF, "victimas.pdf", "private")):
        response = client.post(f"{base}/evidence/file", data={
            "file-file": (io.BytesIO(payload), name), "file-label": name,
            "file-visibility": visibility}, content_type="multipart/form-data")
        assert response.status_code == 302
    version = _version(client.get(base).get_data(as_text=True))
    assert client.post(f"{base}/submit", data={"version": version}).status_code == 302
    session.expire_all()
    assert session.get(ProgressReport, report.id).state == ReportState.SUBMITTED

    # 3. The reviewer returns it with a comment; the focal point is told by e-mail.
    _as(client, reviewer)
    queue = client.get("/review/reports/").get_data(as_text=True)
    assert "Law on violence against women sent to Congress" in queue
    page = client.get(f"/review/reports/{report.id}").get_data(as_text=True)
    assert "victimas.pdf" in page  # the office sees private evidence
    response = client.post(f"/review/reports/{report.id}/decision", data={
        "decision": "return", "comment": "Add the bill's number and the committee it went to.",
        "version": _version(page)})
    assert response.status_code == 302
    assert "enlace@semujer.example" in [m["To"] for m in mailbox.messages]

    # 4. The focal point reads the comment, revises and resubmits.
    _as(client, focal)
    page = client.get(base).get_data(as_text=True)
    assert "number and the committee it went to." in page and "Returned" in page
    response = client.post(f"{base}/edit", data={
        "title": "Law on violence against women sent to Congress (bill 45-2024)",
        "recommendation_ids": [str(rec.id)], "measure_kind": "legislative",
        "period_start": "2024-01-01", "period_end": "2024-06-30",
        "description": "Bill 45-2024 went to the Committee on Gender Equality.",
        "version": _version(client.get(f"{base}/edit").get_data(as_text=True))})
    assert response.status_code == 302
    version = _version(client.get(base).get_data(as_text=True))
    assert client.post(f"{base}/submit", data={"version": version}).status_code == 302

    # 5. The reviewer approves it as public and assesses the status on it.
    _as(client, reviewer)
    page = client.get(f"/review/reports/{report.id}").get_data(as_text=True)
    response = client.post(f"/review/reports/{report.id}/decision", data={
        "decision": "approve_public", "comment": "", "version": _version(page)})
    assert response.status_code == 302
    session.expire_all()
    approved = session.get(ProgressReport, report.id)
    assert approved.state == ReportState.APPROVED
    assert approved.visibility == ReportVisibility.PUBLIC
    assert [t.to_state for t in approved.transitions] == [
        ReportState.DRAFT, ReportState.SUBMITTED, ReportState.RETURNED,
        ReportState.SUBMITTED, ReportState.APPROVED]
    # The report for this period is in: the next one is due a rhythm later.
    assert session.get(Assignment, assignment.id).next_due == add_months(due, 6)
    page = client.get(f"/review/recommendations/{rec.id}").get_data(as_text=True)
    assess_form = page[page.index(f'action="/review/recommendations/{rec.id}/assessments"'):]
    response = client.post(f"/review/recommendations/{rec.id}/assessments", data={
        "status": "in_progress", "rationale": "The bill is before Congress.",
        "report_ids": [str(report.id)], "version": _version(assess_form)})
    assert response.status_code == 302
    session.expire_all()
    assessed = session.get(type(rec), rec.id)
    assert assessed.status == ImplementationStatus.IN_PROGRESS
    assert [r.id for r in assessed.assessments[0].reports] == [report.id]

    # 6. The public sees the status and the report with its public evidence only.
    client.post("/logout")
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    public = client.get(f"/recommendations/{rec.id}")
    text = public.get_data(as_text=True)
    assert public.status_code == 200
    assert "In progress" in text
    assert "Law on violence against women sent to Congress (bill 45-2024)" in text
    assert "acta.pdf" in text
    assert "victimas.pdf" not in text
    private = next(e for e in approved.evidence if not e.is_public)
    public_file = next(e for e in approved.evidence if e.is_public)
    assert client.get(f"/files/evidence/{public_file.id}").data == PUBLIC_PDF
    assert client.get(f"/files/evidence/{private.id}").status_code == 404
