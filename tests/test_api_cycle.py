"""The whole follow-up cycle through the API alone, from the institution's draft to what the
public reads: only the two tokens are made outside it, as their holders make them on their
account page."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests import factories
from tests.api_contract import assert_conforms
from tracker.extensions import db
from tracker.models import AuditEvent, Role
from tracker.services import api_tokens

API = "/api/v1"
PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"


class Caller:
    """One API client: a token's holder, or the public."""

    def __init__(self, client, secret: str | None = None):
        self.client = client
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        self.headers["Accept-Language"] = "en"

    def __call__(self, method: str, path: str, status: int, **kwargs):
        response = self.client.open(API + path, method=method, headers=self.headers, **kwargs)
        assert response.status_code == status, (method, path, response.get_data(as_text=True))
        assert_conforms(self.client, response, urlsplit(API + path).path, method.lower())
        body = response.get_json(silent=True)
        response.close()
        db.session.expire_all()
        return body

    def stale(self, method: str, path: str, current: int, **body):
        """Send a change resting on an old version: 409, with the version now."""
        refused = self(method, path, 409, json=body)
        assert refused["current_version"] == current
        return refused


@pytest.fixture
def people(session):
    institution = factories.institution("SEDH-CYC")
    focal = factories.user(Role.FOCAL_POINT, institution, name="Ana Enlace")
    reviewer = factories.user(Role.REVIEWER, name="Rita Revisora")
    recs = [factories.recommendation(is_published=True, reference=f"CYC/1 ¶{n}")
            for n in (1, 2)]
    for rec in recs:
        factories.assignment(rec, institution)
    _token, focal_secret = api_tokens.create(focal, "Planning system", ["read", "reports"], 30)
    _token, office_secret = api_tokens.create(reviewer, "Office system",
                                              ["read", "review", "jobs"], 30)
    session.commit()
    return focal, reviewer, [rec.id for rec in recs], focal_secret, office_secret


def _trail(entity_type: str, entity_id) -> list[tuple[str, int | None, str | None]]:
    """(action, actor, state reached) of each event of one record, in order."""
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
        .order_by(AuditEvent.id))
    return [(e.action, e.actor_id, (e.changes or {}).get("state", {}).get("after"))
            for e in events]


def test_a_report_goes_from_draft_to_the_public_through_the_api(client, people):
    focal_user, reviewer_user, rec_ids, focal_secret, office_secret = people
    focal, office, public = Caller(client, focal_secret), Caller(client, office_secret), \
        Caller(client)

    # The focal point finds what is assigned and writes one report about both.
    assigned = focal("GET", "/me/assignments", 200)
    assert sorted(item["recommendation"]["id"] for item in assigned["items"]) == rec_ids
    draft = focal("POST", "/reports", 201, json={
        "title": "Protocol for judges", "description": "Adopted in **May**.",
        "period_start": "2025-01-01", "period_end": "2025-06-30",
        "measure_kind": "policy", "recommendation_ids": rec_ids})
    report = f"/reports/{draft['id']}"
    focal("POST", f"{report}/evidence", 201, json={
        "url": "https://example.org/protocol", "label": "Published protocol", "is_public": True})
    focal("POST", f"{report}/evidence", 201, json={
        "url": "https://example.org/internal-memo", "label": "Internal memo"})
    focal("POST", f"{report}/evidence", 201, content_type="multipart/form-data", data={
        "file": (io.BytesIO(PDF), "minutes.pdf"), "label": "Signed minutes",
        "is_public": "true"})
    draft = focal("GET", report, 200)
    assert len(draft["evidence"]) == 3
    submitted = focal("POST", f"{report}/submit", 200, json={"version": draft["version"]})
    assert submitted["state"]["code"] == "submitted"

    # The office finds it waiting and returns it with a comment.
    [waiting] = office("GET", "/review/queue", 200)["items"]
    assert (waiting["id"], waiting["version"]) == (draft["id"], submitted["version"])
    returned = office("POST", f"{report}/return", 200, json={
        "version": waiting["version"], "comment": "Add the number of judges trained."})
    office.stale("POST", f"{report}/approve", returned["version"],
                 version=waiting["version"], visibility="public")

    # The focal point reads the comment, corrects the report and sends it again.
    read = focal("GET", report, 200)
    assert read["state"]["code"] == "returned"
    assert read["transitions"][-1]["comment"] == "Add the number of judges trained."
    focal.stale("PATCH", report, read["version"], version=submitted["version"],
                title="Too late")
    focal.stale("POST", f"{report}/submit", read["version"], version=submitted["version"])
    changed = focal("PATCH", report, 200, json={
        "version": read["version"], "description": "Adopted in **May**; 120 judges trained."})
    focal("POST", f"{report}/submit", 200, json={"version": changed["version"]})

    # The office approves it for the public and assesses the first recommendation on it.
    [waiting] = office("GET", "/review/queue", 200)["items"]
    assert waiting["resubmitted"] is True
    approved = office("POST", f"{report}/approve", 200, json={
        "version": waiting["version"], "visibility": "public", "comment": "Well documented."})
    assert approved["state"]["code"] == "approved"
    first = f"/recommendations/{rec_ids[0]}"
    rec = office("GET", first, 200)
    assessed = office("POST", f"{first}/assessments", 201, json={
        "version": rec["version"], "status": "partially_implemented",
        "rationale": "The protocol is in force; training goes on.", "report_ids": [draft["id"]]})
    office.stale("POST", f"{first}/assessments", assessed["recommendation_version"],
                 version=rec["version"], status="implemented", rationale="Done.")

    # ... and records its own action supporting it.
    [pillar] = [term for term in office("GET", "/vocabularies/pillar/terms", 200)["items"]
                if term["code"] == "accountability"]
    action = office("POST", "/office-actions", 201, json={
        "kind": "technical_assistance", "title": "Workshop with the judiciary",
        "start_date": "2025-03-10", "is_public": True, "term_ids": [pillar["id"]],
        "references": [rec["reference"]]})
    path = f"/office-actions/{action['id']}"
    dated = office("PATCH", path, 200, json={"version": action["version"],
                                             "end_date": "2025-03-12"})
    office.stale("PATCH", path, dated["version"], version=action["version"], title="Renamed")

    # The public reads the new status, the approved report with its public evidence only,
    # and the office's action.
    shown = public("GET", first, 200)
    assert shown["status"]["code"] == "partially_implemented"
    assert shown["status_history"][0]["rationale"].startswith("The protocol is in force")
    [progress] = shown["progress_reports"]
    assert progress["title"] == "Protocol for judges"
    assert "120 judges trained" in progress["description"]
    assert sorted(e["label"] for e in progress["evidence"]) == [
        "Published protocol", "Signed minutes"]
    minutes = next(e for e in progress["evidence"] if e["label"] == "Signed minutes")
    assert public.client.get(urlsplit(minutes["url"]).path).data == PDF
    assert [a["title"] for a in shown["office_actions"]] == ["Workshop with the judiciary"]
    second = public("GET", f"/recommendations/{rec_ids[1]}", 200)
    assert second["status"]["code"] != "partially_implemented"
    assert [p["title"] for p in second["progress_reports"]] == ["Protocol for judges"]

    # The audit trail holds every step, each as the token holder's.
    focal_id, office_id = focal_user.id, reviewer_user.id
    trail = _trail("progress_report", draft["id"])
    assert [step for step in trail if step[0] == "transition"] == [
        ("transition", focal_id, "draft"), ("transition", focal_id, "submitted"),
        ("transition", office_id, "returned"), ("transition", focal_id, "submitted"),
        ("transition", office_id, "approved")]
    assert trail[0] == ("create", focal_id, "draft")
    assert ("update", focal_id, None) in trail  # the correction
    evidence = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "evidence", AuditEvent.action == "create")).all()
    assert [e.actor_id for e in evidence] == [focal_id] * 3
    assert _trail("status_assessment", assessed["id"])[0][:2] == ("create", office_id)
    assert _trail("office_action", action["id"])[0][:2] == ("create", office_id)
