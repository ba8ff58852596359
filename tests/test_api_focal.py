"""An institution's own system sends its progress through the API: the workspace's rules,
its conflicts and its audit trail, with a token of the focal point's."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.api_contract import assert_conforms
from tracker.models import (
    AuditEvent,
    Evidence,
    ProgressReport,
    Recommendation,
    ReportState,
    Role,
    utcnow,
)
from tracker.services import api_tokens
from tracker.services.report_queries import local_today

PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"


@dataclass
class World:
    focal: object
    other_focal: object
    reviewer: object
    overdue: Recommendation
    later: Recommendation
    foreign: Recommendation
    secret: str


@pytest.fixture
def world(session) -> World:
    mine, theirs = factories.institution("SEDH-API"), factories.institution("SESAL-API")
    today = local_today()
    overdue = factories.recommendation(text="Adopt a law against femicide.")
    later = factories.recommendation(doc=factories.document(mechanism_code="CAT"),
                                     text="Investigate torture promptly.")
    foreign = factories.recommendation(text="Guarantee access to health services.")
    factories.assignment(overdue, mine, next_due=today - timedelta(days=3))
    factories.assignment(later, mine, next_due=today + timedelta(days=100), role="support",
                         rhythm_months=12)
    factories.assignment(foreign, theirs)
    focal = factories.user(Role.FOCAL_POINT, mine, name="Ana Enlace")
    _token, secret = api_tokens.create(focal, "Planning system", ["read", "reports"], 30)
    world = World(focal, factories.user(Role.FOCAL_POINT, theirs),
                  factories.user(Role.REVIEWER), overdue, later, foreign, secret)
    session.commit()
    return world


def _auth(secret: str, lang: str = "en") -> dict:
    return {"Authorization": f"Bearer {secret}", "Accept-Language": lang}


def call(client, method: str, path: str, secret: str, status: int, *, lang="en", **kwargs):
    """Send one request, check its status and that the document describes the answer."""
    response = client.open(path, method=method.upper(), headers=_auth(secret, lang), **kwargs)
    assert response.status_code == status, (method, path, response.get_data(as_text=True))
    assert_conforms(client, response, urlsplit(path).path, method)
    return response


def _draft(world, **overrides) -> dict:
    body = {"title": "Training of judges", "description": "We trained **120** judges.",
            "period_start": "2024-01-01", "period_end": "2024-06-30",
            "measure_kind": "training", "recommendation_ids": [world.overdue.id]}
    return {**body, **overrides}


def _create(client, world, secret=None, **overrides) -> dict:
    return call(client, "post", "/api/v1/reports", secret or world.secret, 201,
                json=_draft(world, **overrides)).json


def _count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def test_me_says_who_holds_the_token_and_what_it_may_do(client, world):
    me = call(client, "get", "/api/v1/me", world.secret, 200).json
    assert (me["id"], me["role"]["code"], me["institution"]["name"]) == (
        world.focal.id, "focal_point", world.focal.institution.name_en)
    assert me["token"]["scopes"] == ["read", "reports"]
    assert me["token"]["expires_at"] > utcnow().isoformat()[:10]


def test_assignments_list_the_workspace_with_its_filters(client, world):
    found = call(client, "get", "/api/v1/me/assignments", world.secret, 200).json
    assert [(a["recommendation"]["id"], a["due_state"], a["role"]["code"], a["rhythm_months"])
            for a in found["items"]] == [(world.overdue.id, "overdue", "lead", 6),
                                         (world.later.id, "later", "support", 12)]
    assert found["total"] == 2 and found["next"] is None
    overdue = call(client, "get", "/api/v1/me/assignments?due=overdue", world.secret, 200).json
    assert [a["recommendation"]["id"] for a in overdue["items"]] == [world.overdue.id]
    paged = call(client, "get", "/api/v1/me/assignments?limit=1", world.secret, 200).json
    assert "page=2" in paged["next"]
    second = call(client, "get", paged["next"], world.secret, 200).json
    assert [a["recommendation"]["id"] for a in second["items"]] == [world.later.id]
    refused = call(client, "get", "/api/v1/me/assignments?due=someday", world.secret, 400).json
    assert [e["field"] for e in refused["errors"]] == ["due"]


def test_a_focal_token_takes_a_draft_to_submission(app, client, session, world):
    created = call(client, "post", "/api/v1/reports", world.secret, 201, json=_draft(world))
    report = created.json
    assert created.headers["Location"].endswith(f"/api/v1/reports/{report['id']}")
    assert (report["state"]["code"], report["version"]) == ("draft", 1)

    changed = call(client, "patch", f"/api/v1/reports/{report['id']}", world.secret, 200,
                   json={"version": 1, "title": "Training of 120 judges",
                         "recommendation_ids": [world.overdue.id, world.later.id]}).json
    assert changed["title"] == "Training of 120 judges" and changed["version"] == 2
    assert changed["description"] == "We trained **120** judges."  # left as it was
    assert [r["id"] for r in changed["recommendations"]] == sorted(
        [world.overdue.id, world.later.id], key=lambda i: session.get(Recommendation, i)
        .reference)

    link = call(client, "post", f"/api/v1/reports/{report['id']}/evidence", world.secret, 201,
                json={"url": "https://example.org/acta", "label": "Minutes",
                      "is_public": True}).json
    assert (link["kind"], link["url"], link["is_public"]) == (
        "link", "https://example.org/acta", True)
    upload = call(client, "post", f"/api/v1/reports/{report['id']}/evidence", world.secret,
                  201, data={"file": (io.BytesIO(PDF), "acta.pdf"), "is_public": "false"},
                  content_type="multipart/form-data").json
    assert (upload["kind"], upload["filename"], upload["size"], upload["is_public"]) == (
        "file", "acta.pdf", len(PDF), False)
    # The file comes back through the API with the same token, and to no one else.
    fetched = client.get(urlsplit(upload["url"]).path, headers=_auth(world.secret))
    assert (fetched.status_code, fetched.data, fetched.mimetype) == (200, PDF, "application/pdf")
    assert "acta.pdf" in fetched.headers["Content-Disposition"]
    assert "no-store" in fetched.headers["Cache-Control"]
    assert client.get(urlsplit(upload["url"]).path).status_code == 404

    submitted = call(client, "post", f"/api/v1/reports/{report['id']}/submit", world.secret,
                     200, json={"version": 2}).json
    assert submitted["state"]["code"] == "submitted"
    assert [s["to_state"]["code"] for s in submitted["transitions"]] == ["draft", "submitted"]
    assert {e["id"] for e in submitted["evidence"]} == {link["id"], upload["id"]}
    listed = call(client, "get", "/api/v1/reports?state=submitted", world.secret, 200).json
    assert [r["id"] for r in listed["items"]] == [report["id"]]

    # The workspace's pages show what the API wrote.
    browser = app.test_client()
    factories.sign_in(browser, world.focal)
    page = browser.get(f"/my-institution/reports/{report['id']}").get_data(as_text=True)
    assert "Training of 120 judges" in page and "acta.pdf" in page
    assert "Training of 120 judges" in browser.get(
        "/my-institution/reports?state=submitted").get_data(as_text=True)

    # Every write is in the trail as the token's holder, beside the token's uses.
    events = session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type.in_(("progress_report", "evidence")))).all()
    assert {e.actor_id for e in events} == {world.focal.id}
    assert {(e.entity_type, e.action) for e in events} >= {
        ("progress_report", "create"), ("progress_report", "update"),
        ("progress_report", "transition"), ("evidence", "create")}
    uses = session.scalars(select(AuditEvent).where(AuditEvent.action == "api_request")).all()
    assert {(u.changes["method"], u.changes["status"]) for u in uses} >= {
        ("POST", 201), ("PATCH", 200), ("POST", 200)}


def test_a_stale_version_is_a_conflict_showing_the_current_record(client, session, world):
    report = _create(client, world)
    path = f"/api/v1/reports/{report['id']}"
    call(client, "patch", path, world.secret, 200, json={"version": 1, "title": "Mine"})
    conflict = call(client, "patch", path, world.secret, 409, lang="es",
                    json={"version": 1, "title": "Theirs"}).json
    assert (conflict["code"], conflict["title"]) == ("conflict", "Conflicto")
    assert conflict["current_version"] == 2 and conflict["current"]["title"] == "Mine"
    stale_submit = call(client, "post", f"{path}/submit", world.secret, 409,
                        json={"version": 1}).json
    assert stale_submit["current_version"] == 2
    call(client, "delete", f"{path}?version=1", world.secret, 409)
    session.expire_all()
    saved = session.get(ProgressReport, report["id"])
    assert (saved.title, saved.state, saved.version) == ("Mine", ReportState.DRAFT, 2)


def test_a_submitted_report_can_no_longer_change(client, world):
    report = _create(client, world)
    path = f"/api/v1/reports/{report['id']}"
    call(client, "post", f"{path}/submit", world.secret, 200, json={"version": 1})
    refused = call(client, "patch", path, world.secret, 409,
                   json={"version": 2, "title": "Late change"}).json
    assert refused["code"] == "wrong-state" and "submitted" in refused["detail"]
    assert refused["current"]["state"]["code"] == "submitted"
    call(client, "post", f"{path}/evidence", world.secret, 409,
         json={"url": "https://example.org/late"})


def test_a_draft_and_its_evidence_can_be_removed(client, session, world):
    report = _create(client, world)
    path = f"/api/v1/reports/{report['id']}"
    item = call(client, "post", f"{path}/evidence", world.secret, 201,
                data={"file": (io.BytesIO(PDF), "acta.pdf")},
                content_type="multipart/form-data").json
    call(client, "delete", f"{path}/evidence/{item['id']}", world.secret, 204)
    assert call(client, "get", path, world.secret, 200).json["evidence"] == []
    call(client, "delete", f"{path}/evidence/{item['id']}", world.secret, 404)
    call(client, "delete", f"{path}?version=1", world.secret, 204)
    call(client, "get", path, world.secret, 404)
    deleted = session.scalars(select(AuditEvent).where(AuditEvent.action == "delete")).all()
    assert {(e.entity_type, e.actor_id) for e in deleted} >= {
        ("evidence", world.focal.id), ("progress_report", world.focal.id)}


def test_another_institutions_report_is_not_found(client, session, world):
    _token, theirs = api_tokens.create(world.other_focal, "Theirs", ["read", "reports"], 30)
    session.commit()
    report = _create(client, world)
    path = f"/api/v1/reports/{report['id']}"
    call(client, "get", path, theirs, 404)
    call(client, "patch", path, theirs, 404, json={"version": 1, "title": "Taken"})
    call(client, "post", f"{path}/submit", theirs, 404, json={"version": 1})
    call(client, "post", f"{path}/evidence", theirs, 404, json={"url": "https://example.org"})
    call(client, "delete", f"{path}?version=1", theirs, 404)
    assert call(client, "get", "/api/v1/reports", theirs, 200).json["items"] == []
    # Nor may they report on what is assigned to someone else.
    refused = call(client, "post", "/api/v1/reports", theirs, 422, json=_draft(world)).json
    assert [e["field"] for e in refused["errors"]] == ["recommendation_ids"]
    assert session.get(ProgressReport, report["id"]).title == "Training of judges"


@pytest.mark.parametrize("body,status,field", [
    ({"colour": "red"}, 422, "colour"),
    ({"title": 5}, 422, "title"),
    ({"recommendation_ids": "1"}, 422, "recommendation_ids"),
    ({"recommendation_ids": [0]}, 422, "recommendation_ids.0"),
    ({"period_start": "yesterday"}, 422, "period_start"),
    ({"period_start": "2024-06-30", "period_end": "2024-01-01"}, 422, "period_end"),
    ({"measure_kind": "magic"}, 422, "measure_kind"),
    ({"title": "   "}, 422, "title"),
    ({"title": "x" * 301}, 422, "title"),
])
def test_bad_drafts_are_refused_by_field_and_save_nothing(client, session, world, body, status,
                                                          field):
    refused = call(client, "post", "/api/v1/reports", world.secret, status,
                   json=_draft(world, **body)).json
    assert field in [e["field"] for e in refused["errors"]]
    assert _count(session, ProgressReport) == 0


def test_bodies_that_are_not_json_are_refused(client, session, world):
    for data, content_type in (('{"title": "x",', "application/json"),
                               ("[1, 2]", "application/json"),
                               ("title=x", "application/x-www-form-urlencoded")):
        response = client.post("/api/v1/reports", data=data, content_type=content_type,
                               headers=_auth(world.secret))
        assert response.status_code in (400, 422), response.get_data(as_text=True)
        assert response.mimetype == "application/problem+json"
        assert_conforms(client, response, "/api/v1/reports", "post")
    assert client.post("/api/v1/reports", data='{"title": "x",', content_type="application/json",
                       headers=_auth(world.secret)).json["code"] == "invalid-json"
    report = _create(client, world)
    missing = call(client, "patch", f"/api/v1/reports/{report['id']}", world.secret, 422,
                   json={"title": "No version"}).json
    assert [e["field"] for e in missing["errors"]] == ["version"]
    assert _count(session, ProgressReport) == 1


def test_evidence_gets_the_sites_checks(app, client, session, world, monkeypatch):
    path = f"/api/v1/reports/{_create(client, world)['id']}/evidence"

    def upload(data, status, name="acta.pdf", **fields):
        return call(client, "post", path, world.secret, status,
                    data={"file": (io.BytesIO(data), name), **fields},
                    content_type="multipart/form-data").json

    refused = upload(b"MZ\x90\x00 not a document", 422, name="acta.pdf")
    assert [e["field"] for e in refused["errors"]] == ["file"]
    assert [e["field"] for e in upload(PDF, 422, colour="red")["errors"]] == ["colour"]
    typed = call(client, "post", path, world.secret, 422, data={"file": "just text"},
                 content_type="multipart/form-data").json
    assert [e["field"] for e in typed["errors"]] == ["file"]
    bad_link = call(client, "post", path, world.secret, 422,
                    json={"url": "javascript:alert(1)"}).json
    assert [e["field"] for e in bad_link["errors"]] == ["url"]
    call(client, "post", path, world.secret, 415, data="url=https://example.org",
         content_type="text/plain")
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", len(PDF) - 1)
    assert upload(PDF, 413)["code"] == "body-too-large"
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64)
    assert upload(PDF, 413)["code"] == "body-too-large"
    assert _count(session, Evidence) == 0
