"""The office's writes through the API: a reviewer's token decides reports, assesses
recommendations, records office actions and starts imports and report jobs, exactly as the
review pages let its holder; stale versions answer 409 with the record as it stands, and a
refused request saves nothing."""

from __future__ import annotations

import html
import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from tests import factories
from tests.api_contract import assert_conforms, openapi_document
from tracker.extensions import db
from tracker.i18n import label
from tracker.models import (
    AuditEvent,
    OfficeAction,
    ReportState,
    Role,
    StatusAssessment,
)
from tracker.services import api_tokens, reports

DATA = Path(__file__).parent / "data"
API = "/api/v1"


@pytest.fixture
def reviewer(session):
    return factories.user(Role.REVIEWER, name="Rita Revisora")


@pytest.fixture
def focal(session):
    return factories.user(Role.FOCAL_POINT)


def _bearer(user, scopes=("read", "review", "jobs")) -> dict:
    _token, secret = api_tokens.create(user, "Office system", list(scopes), 30)
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def office(reviewer):
    return _bearer(reviewer)


@pytest.fixture
def submitted(focal):
    rec = factories.recommendation()
    factories.assignment(rec, focal.institution)
    report = factories.progress_report(focal, [rec])
    reports.submit_report(focal, report.id, report.version)
    db.session.commit()
    return report


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _events(entity_type: str, entity_id, action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.entity_type == entity_type,
                                     AuditEvent.entity_id == str(entity_id))
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def _after_the_answer(response) -> None:
    """Let the embedded worker run what the request queued, as after a real answer."""
    db.session.commit()
    response.close()
    db.session.expire_all()


def _call(client, method: str, path: str, headers: dict, **kwargs):
    response = client.open(path, method=method, headers=headers, **kwargs)
    assert_conforms(client, response, urlsplit(path).path, method.lower())
    return response


# --- reports ---------------------------------------------------------------------------------


def test_the_queue_lists_submitted_reports_with_their_version(client, office, submitted):
    response = _call(client, "GET", f"{API}/review/queue", office)
    assert response.status_code == 200
    assert [(i["id"], i["version"]) for i in response.json["items"]] == [
        (submitted.id, submitted.version)]
    other = factories.institution()
    db.session.commit()
    response = _call(client, "GET", f"{API}/review/queue?institution={other.id}", office)
    assert response.json["total"] == 0


def test_approve_a_report_the_focal_point_then_sees_it_approved(client, reviewer, office,
                                                                submitted, focal):
    path = f"{API}/reports/{submitted.id}/approve"
    response = _call(client, "POST", path, office, json={
        "version": submitted.version, "visibility": "public", "comment": "Bien documentado."})
    assert response.status_code == 200
    assert response.json["state"]["code"] == "approved"
    assert response.json["visibility"]["code"] == "public"

    [event] = _events("progress_report", submitted.id, "transition")[-1:]
    assert event.actor_id == reviewer.id and event.changes["state"]["after"] == "approved"
    factories.sign_in(client, focal)
    page = _text(client.get(f"/my-institution/reports/{submitted.id}"))
    with force_locale("es"):
        assert label("report_state", "approved") in page
    assert "Bien documentado." in page


def test_return_a_report_with_its_comment(client, office, submitted, focal):
    path = f"{API}/reports/{submitted.id}/return"
    response = _call(client, "POST", path, office, json={
        "version": submitted.version, "comment": "Falta la lista de asistentes."})
    assert response.status_code == 200
    assert response.json["state"]["code"] == "returned"
    factories.sign_in(client, focal)
    assert "Falta la lista de asistentes." in _text(
        client.get(f"/my-institution/reports/{submitted.id}"))


def test_a_stale_or_decided_report_answers_409_with_the_current_record(client, office,
                                                                       submitted):
    path = f"{API}/reports/{submitted.id}/approve"
    stale = _call(client, "POST", path, office, json={
        "version": submitted.version + 1, "visibility": "internal"})
    assert stale.status_code == 409
    assert stale.json["code"] == "conflict"
    assert stale.json["current_version"] == submitted.version
    assert stale.json["current"]["state"]["code"] == "submitted"
    db.session.expire_all()
    assert submitted.state == ReportState.SUBMITTED

    _call(client, "POST", path, office, json={"version": submitted.version,
                                              "visibility": "internal"})
    again = _call(client, "POST", f"{API}/reports/{submitted.id}/return", office,
                  json={"version": submitted.version, "comment": "Tarde."})
    assert again.status_code == 409
    assert again.json["code"] == "wrong-state"
    assert again.json["current"]["state"]["code"] == "approved"


@pytest.mark.parametrize(("body", "field"), [
    ({"visibility": "public"}, "version"),
    ({"version": 1, "visibility": "everyone"}, "visibility"),
    ({"version": 1, "visibility": "public", "publish": True}, "publish"),
    ({"version": "uno", "visibility": "public"}, "version"),
])
def test_bad_decisions_name_the_field_and_change_nothing(client, office, submitted, body,
                                                         field):
    response = _call(client, "POST", f"{API}/reports/{submitted.id}/approve", office,
                     json=body)
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json["errors"]}
    db.session.expire_all()
    assert submitted.state == ReportState.SUBMITTED


def test_returning_without_a_comment_is_refused(client, office, submitted):
    response = _call(client, "POST", f"{API}/reports/{submitted.id}/return", office,
                     json={"version": submitted.version, "comment": "   "})
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["comment"]
    db.session.expire_all()
    assert submitted.state == ReportState.SUBMITTED


def test_an_unknown_report_is_not_found(client, office):
    response = _call(client, "POST", f"{API}/reports/999999/approve", office,
                     json={"version": 1, "visibility": "public"})
    assert response.status_code == 404


# --- assessments -----------------------------------------------------------------------------


def test_assess_a_recommendation_the_public_page_shows_its_status(client, reviewer, office):
    rec = factories.recommendation()
    db.session.commit()
    read = rec.version
    path = f"{API}/recommendations/{rec.id}/assessments"
    response = _call(client, "POST", path, office, json={
        "version": read, "status": "partially_implemented",
        "rationale": "La ley fue aprobada; falta el reglamento."})
    assert response.status_code == 201
    assert response.headers["Location"].endswith(f"/api/v1/recommendations/{rec.id}")
    assert response.json["status"]["code"] == "partially_implemented"

    page = _text(client.get(f"/recommendations/{rec.id}"))
    with force_locale("es"):
        assert label("status", "partially_implemented") in page
    [event] = _events("status_assessment", response.json["id"], "create")
    assert event.actor_id == reviewer.id

    stale = _call(client, "POST", path, office, json={
        "version": read, "status": "implemented", "rationale": "Ya está."})
    assert stale.status_code == 409
    assert stale.json["current_version"] == response.json["recommendation_version"]
    assert stale.json["current"]["status"]["code"] == "partially_implemented"


@pytest.mark.parametrize(("body", "field"), [
    ({"status": "done", "rationale": "Sí."}, "status"),
    ({"status": "implemented"}, "rationale"),
    ({"status": "implemented", "rationale": "Sí.", "report_ids": [999999]}, "report_ids"),
    ({"status": "implemented", "rationale": "Sí.", "source": "office"}, "source"),
])
def test_bad_assessments_name_the_field_and_save_nothing(client, office, body, field):
    rec = factories.recommendation()
    db.session.commit()
    before = _count(StatusAssessment)
    response = _call(client, "POST", f"{API}/recommendations/{rec.id}/assessments", office,
                     json={"version": rec.version, **body})
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json["errors"]}
    assert _count(StatusAssessment) == before


# --- office actions --------------------------------------------------------------------------


def _action_body(**changes) -> dict:
    body = {"kind": "technical_assistance", "title": "Taller con la fiscalía",
            "start_date": "2025-03-01", "is_public": False,
            "term_ids": [factories.term("pillar", "accountability").id]}
    return {**body, **changes}


def test_create_change_and_delete_an_office_action(client, reviewer, office):
    rec = factories.recommendation()
    db.session.commit()
    created = _call(client, "POST", f"{API}/office-actions", office,
                    json=_action_body(references=[rec.reference]))
    assert created.status_code == 201, created.json
    action = created.json
    assert created.headers["Location"] == action["url"]
    assert action["references"] == [rec.reference] and action["is_public"] is False

    # Internal: the staff token lists it, the public does not.
    listed = client.get(f"{API}/office-actions", headers=office).json["items"]
    assert action["id"] in {a["id"] for a in listed}
    assert action["id"] not in {a["id"] for a in client.get(f"{API}/office-actions").json["items"]}

    path = f"{API}/office-actions/{action['id']}"
    changed = _call(client, "PATCH", path, office,
                    json={"version": action["version"], "title": "Taller con jueces"})
    assert changed.status_code == 200
    assert changed.json["title"] == "Taller con jueces"
    assert changed.json["references"] == [rec.reference]  # what was not sent stays
    assert changed.json["version"] == action["version"] + 1

    stale = _call(client, "PATCH", path, office,
                  json={"version": action["version"], "title": "Otro título"})
    assert stale.status_code == 409
    assert stale.json["current_version"] == changed.json["version"]
    assert stale.json["current"]["title"] == "Taller con jueces"
    stale_delete = _call(client, "DELETE", f"{path}?version={action['version']}", office)
    assert stale_delete.status_code == 409

    gone = client.delete(f"{path}?version={changed.json['version']}", headers=office)
    assert gone.status_code == 204
    assert _call(client, "GET", path, office).status_code == 404
    events = _events("office_action", action["id"])
    assert [e.action for e in events] == ["create", "update", "delete"]
    assert {e.actor_id for e in events} == {reviewer.id}


@pytest.mark.parametrize(("changes", "field"), [
    ({"term_ids": []}, "term_ids"),
    ({"references": ["No/Such ¶1"]}, "references"),
    ({"end_date": "2020-01-01"}, "end_date"),
    ({"kind": "party"}, "kind"),
    ({"title": None}, "title"),
    ({"colour": "red"}, "colour"),
])
def test_bad_office_actions_name_the_field_and_save_nothing(client, office, changes, field):
    before = _count(OfficeAction)
    response = _call(client, "POST", f"{API}/office-actions", office,
                     json=_action_body(**changes))
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json["errors"]}
    assert _count(OfficeAction) == before


# --- jobs ------------------------------------------------------------------------------------


def test_import_a_file_and_follow_it_to_the_end(client, office):
    data = (DATA / "tracker_small.csv").read_bytes()
    response = _call(client, "POST", f"{API}/imports", office, data={
        "file": (io.BytesIO(data), "tracker_small.csv"), "format": "csv"},
        content_type="multipart/form-data")
    assert response.status_code == 202, response.json
    location = response.headers["Location"]
    _after_the_answer(response)

    preview = _call(client, "GET", location, office)
    assert preview.json["phase"]["code"] == "preview_ready"
    assert preview.json["counts"]["created"] > 0
    confirmed = _call(client, "POST", f"{location}/confirm", office)
    assert confirmed.status_code == 202
    _after_the_answer(confirmed)
    done = _call(client, "GET", location, office).json
    assert done["phase"]["code"] == "done" and not done["working"]


def _file(data: bytes = b"mechanism,document_symbol,paragraph,text\n"
                        b"CAT,CAT/C/SCR/CO/1,1,Una recomendaci\xc3\xb3n.\n"):
    return (io.BytesIO(data), "x.csv")


@pytest.mark.parametrize(("fields", "field"), [
    (lambda: {"file": _file(), "format": "ods"}, "format"),
    (lambda: {"format": "csv"}, "file"),
    (lambda: {"file": _file(b"not,a,tracker\nfile,at,all\n"), "format": "csv"}, "file"),
])
def test_a_refused_upload_names_the_field(client, office, fields, field):
    response = _call(client, "POST", f"{API}/imports", office, data=fields(),
                     content_type="multipart/form-data")
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json["errors"]}


def test_ask_for_a_report_and_download_it_once_built(client, office):
    factories.recommendation(reference="A/HRC/1/1 ¶1")
    db.session.commit()
    response = _call(client, "POST", f"{API}/report-jobs", office,
                     json={"type": "status_matrix.csv"})
    assert response.status_code == 202, response.json
    location = response.headers["Location"]
    assert response.json["download"] is None
    _after_the_answer(response)

    job = _call(client, "GET", location, office).json
    assert job["state"] == "done"
    download = client.get(job["download"], headers=office)
    assert download.status_code == 200
    assert "A/HRC/1/1 ¶1" in download.get_data().decode("utf-8-sig")


@pytest.mark.parametrize(("body", "field"), [
    ({"type": "status_matrix.ods"}, "type"),
    ({"type": "followup_draft.docx"}, "document"),
    ({"type": "status_matrix.csv", "mechanism": 999999}, "mechanism"),
    ({"type": "status_matrix.csv", "period_start": "2025-02-01",
      "period_end": "2025-01-01"}, "period_end"),
])
def test_a_bad_report_request_names_the_field_and_queues_nothing(client, office, body, field):
    from tracker.models import ReportJob

    before = _count(ReportJob)
    response = _call(client, "POST", f"{API}/report-jobs", office, json=body)
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json["errors"]}
    assert _count(ReportJob) == before


# --- who may ---------------------------------------------------------------------------------

WRITES = [
    ("GET", "/review/queue", None),
    ("POST", "/reports/{report}/approve", {"version": 1, "visibility": "public"}),
    ("POST", "/reports/{report}/return", {"version": 1, "comment": "No."}),
    ("POST", "/recommendations/{rec}/assessments",
     {"version": 1, "status": "implemented", "rationale": "Sí."}),
    ("POST", "/office-actions", {"kind": "monitoring", "title": "T", "start_date": "2025-01-01"}),
    ("GET", "/office-actions/{action}", None),
    ("PATCH", "/office-actions/{action}", {"version": 1, "title": "T"}),
    ("DELETE", "/office-actions/{action}?version=1", None),
    ("POST", "/report-jobs", {"type": "status_matrix.csv"}),
    ("GET", "/report-jobs/1", None),
    ("GET", "/imports/1", None),
    ("POST", "/imports", None),
]


def _refused_everywhere(client, headers, submitted) -> None:
    ids = {"report": submitted.id, "rec": submitted.recommendations[0].id,
           "action": factories.office_action().id}
    db.session.commit()
    before = _count(AuditEvent.__table__.select().where(
        AuditEvent.action != "api_request").subquery())
    for method, path, body in WRITES:
        url = API + path.format(**ids)
        response = _call(client, method, url, headers, json=body)
        assert response.status_code == 403, (method, url, response.status_code)
        assert response.json["code"] == "insufficient-scope"
    after = _count(AuditEvent.__table__.select().where(
        AuditEvent.action != "api_request").subquery())
    assert after == before
    db.session.expire_all()
    assert submitted.state == ReportState.SUBMITTED


def test_a_focal_points_token_may_do_none_of_it(client, focal, submitted):
    token, secret = api_tokens.create(focal, "Planning", ["read", "reports"], 30)
    token.scopes = ["read", "reports", "review", "jobs"]  # as if granted, the role still bars
    db.session.commit()
    _refused_everywhere(client, {"Authorization": f"Bearer {secret}"}, submitted)


def test_every_write_is_documented_with_bearer_auth_and_its_errors(client):
    paths = openapi_document(client)["paths"]
    for method, path, _body in WRITES + [("POST", "/imports/{i}/confirm", None),
                                         ("GET", "/report-jobs/{j}/file", None)]:
        template = next(t for t in paths if _same(t, API + path.split("?")[0]))
        operation = paths[template][method.lower()]
        assert operation["security"] == [{"bearerAuth": []}], (method, path)
        assert {"401", "403"} <= operation["responses"].keys(), (method, path)
        assert operation["summary"]


def _same(template: str, path: str) -> bool:
    import re

    pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template))
    return re.fullmatch(pattern, re.sub(r"\{\w+\}", "1", path)) is not None
