"""Every operation of the API, with every kind of token: each role's token does exactly what
the role may do on the web, and no more.

The operations come from the OpenAPI document itself: one added without a row in OPERATIONS
fails ``test_every_operation_is_in_the_matrix``. Each row names the operation's twin on the
web, whose row in the web's authorization matrix says what each role may do there, and the
token scope the operation asks for. The callers are the web matrix's roles, each with a token
carrying every scope its role allows (``policy.api_scopes_for``), plus each signed-in role
with a token narrowed to ``read``.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.api_contract import openapi_document
from tests.test_authorization_matrix import ALLOW, DENY, HIDDEN, MATRIX, PUBLIC
from tracker import policy
from tracker.extensions import db
from tracker.models import (
    ApiScope,
    AuditEvent,
    JobState,
    ReportFormat,
    ReportJob,
    ReportKind,
    Role,
    Term,
    utcnow,
)
from tracker.services import api_tokens, bulk_data, reports
from tracker.services.storage import store_stream

PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
READ, REPORTS, REVIEW, JOBS = ApiScope.READ, ApiScope.REPORTS, ApiScope.REVIEW, ApiScope.JOBS

# caller -> (its role in the web matrix, its token's scopes: None for all its role allows)
CALLERS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "anonymous": ("anonymous", ()),
    "focal_a": ("focal_a", None),
    "focal_b": ("focal_b", None),
    "reviewer": ("reviewer", None),
    "admin": ("admin", None),
    "focal_a, read only": ("focal_a", ("read",)),
    "reviewer, read only": ("reviewer", ("read",)),
    "admin, read only": ("admin", ("read",)),
}


@dataclass
class Call:
    """One request to an operation: its path's values, its query and its body."""

    path: dict = field(default_factory=dict)
    query: str = ""
    json: dict | None = None
    files: dict | None = None


@dataclass
class World:
    institution_a: object
    users: dict[str, object]
    rec: object
    action_term_id: int
    export_id: int


@dataclass
class Operation:
    """An API operation: its twin on the web (a key of the web matrix, or PUBLIC for a
    public read), the scope it asks of a token, and a fresh request to it."""

    twin: str | dict
    scope: ApiScope | None
    call: Callable[[World], Call] = lambda _world: Call()


# --- fresh targets: each caller acts on its own, so an allowed call can succeed ---------------


def _draft(world: World):
    return factories.progress_report(world.users["focal_a"], [world.rec], title="Informe MTX")


def _submitted(world: World):
    report = _draft(world)
    return reports.submit_report(world.users["focal_a"], report.id, report.version)


def _report_call(build, **body) -> Callable[[World], Call]:
    def call(world: World) -> Call:
        report = build(world)
        return Call({"report_id": report.id}, json={"version": report.version, **body})

    return call


def _delete_draft(world: World) -> Call:
    report = _draft(world)
    return Call({"report_id": report.id}, query=f"?version={report.version}")


def _attach(world: World) -> Call:
    report = _draft(world)
    return Call({"report_id": report.id},
                files={"file": (io.BytesIO(PDF), "acta.pdf"), "label": "Acta"})


def _remove_evidence(world: World) -> Call:
    report = _draft(world)
    item = factories.evidence_file(report, label="Lista")
    return Call({"report_id": report.id, "evidence_id": item.id})


def _private_evidence(world: World) -> Call:
    item = factories.evidence_file(_draft(world), label="Acta", is_public=False)
    return Call({"evidence_id": item.id})


def _assess(world: World) -> Call:
    return Call({"rec_id": world.rec.id}, json={
        "version": world.rec.version, "status": "in_progress", "rationale": "Avanza."})


def _action(world: World):
    return factories.office_action(title="Visita MTX", is_public=False,
                                   terms=[db.session.get(Term, world.action_term_id)])


def _change_action(world: World) -> Call:
    found = _action(world)
    return Call({"action_id": found.id}, json={"version": found.version, "title": "Otra"})


def _delete_action(world: World) -> Call:
    found = _action(world)
    return Call({"action_id": found.id}, query=f"?version={found.version}")


_paragraphs = itertools.count(1)


def _csv() -> bytes:
    """A file to import that adds a recommendation no earlier import added."""
    return factories.TRACKER_CSV.replace(",1,", f",{next(_paragraphs)},").encode()


def _import(world: World):
    return factories.import_job(world.users["reviewer"], _csv(), filename="mtx.csv")


def _upload(_world: World) -> Call:
    return Call(files={"file": (io.BytesIO(_csv()), "mtx.csv"), "format": "csv"})


OPERATIONS: dict[str, Operation] = {
    # reads open to everyone, with or without a token
    "GET /recommendations": Operation(PUBLIC, None),
    "GET /recommendations/{rec_id}": Operation(
        PUBLIC, None, lambda w: Call({"rec_id": w.rec.id})),
    "GET /documents": Operation(PUBLIC, None),
    "GET /documents/{document_id}": Operation(
        PUBLIC, None, lambda w: Call({"document_id": w.rec.document_id})),
    "GET /mechanisms": Operation(PUBLIC, None),
    "GET /institutions": Operation(PUBLIC, None),
    "GET /institutions/{institution_id}": Operation(
        PUBLIC, None, lambda w: Call({"institution_id": w.institution_a.id})),
    "GET /vocabularies": Operation(PUBLIC, None),
    "GET /vocabularies/{vocabulary}/terms": Operation(
        PUBLIC, None, lambda _w: Call({"vocabulary": "pillar"})),
    "GET /office-actions": Operation(PUBLIC, None),
    "GET /dashboard": Operation(PUBLIC, None),
    "GET /bulk": Operation(PUBLIC, None),
    "GET /bulk/recommendations.jsonl.gz": Operation(PUBLIC, None),
    # with or without a token, whoever may open the file on the web
    "GET /evidence/{evidence_id}": Operation("GET files.evidence", None, _private_evidence),
    # the institution's workspace
    "GET /me": Operation("GET auth.account", READ),
    "GET /me/assignments": Operation("GET focal.home", READ),
    "GET /reports": Operation("GET focal.reports", READ),
    "GET /reports/{report_id}": Operation(
        "GET focal.report", READ, lambda w: Call({"report_id": _draft(w).id})),
    "POST /reports": Operation("POST focal.new_report", REPORTS, lambda w: Call(json={
        "title": "Informe nuevo", "recommendation_ids": [w.rec.id]})),
    "PATCH /reports/{report_id}": Operation(
        "POST focal.edit_report", REPORTS, _report_call(_draft, title="Corregido")),
    "DELETE /reports/{report_id}": Operation("POST focal.delete_report", REPORTS, _delete_draft),
    "POST /reports/{report_id}/submit": Operation(
        "POST focal.submit_report", REPORTS, _report_call(_draft)),
    "POST /reports/{report_id}/evidence": Operation("POST focal.attach_file", REPORTS, _attach),
    "DELETE /reports/{report_id}/evidence/{evidence_id}": Operation(
        "POST focal.remove_evidence", REPORTS, _remove_evidence),
    # the office's review
    "GET /review/queue": Operation("GET review.queue", REVIEW),
    "POST /reports/{report_id}/approve": Operation(
        "POST review.decide", REVIEW, _report_call(_submitted, visibility="public")),
    "POST /reports/{report_id}/return": Operation(
        "POST review.decide", REVIEW, _report_call(_submitted, comment="Falta el acta.")),
    "POST /recommendations/{rec_id}/assessments": Operation("POST review.assess", REVIEW,
                                                            _assess),
    "POST /office-actions": Operation("POST review.new_action", REVIEW, lambda w: Call(json={
        "kind": "monitoring", "title": "Visita", "start_date": "2025-01-01",
        "term_ids": [w.action_term_id]})),
    "GET /office-actions/{action_id}": Operation(
        "GET review.action_detail", REVIEW, lambda w: Call({"action_id": _action(w).id})),
    "PATCH /office-actions/{action_id}": Operation("POST review.edit_action", REVIEW,
                                                   _change_action),
    "DELETE /office-actions/{action_id}": Operation("POST review.delete_action", REVIEW,
                                                    _delete_action),
    # the office's jobs
    "POST /imports": Operation("POST review.new_import", JOBS, _upload),
    "GET /imports/{import_id}": Operation(
        "GET review.import_job", JOBS, lambda w: Call({"import_id": _import(w).id})),
    "POST /imports/{import_id}/confirm": Operation(
        "POST review.confirm_import", JOBS, lambda w: Call({"import_id": _import(w).id})),
    "POST /report-jobs": Operation("POST review.new_export", JOBS,
                                   lambda _w: Call(json={"type": "status_matrix.csv"})),
    # The reviewer's own export: like its file on the web, no one else learns it exists.
    "GET /report-jobs/{job_id}": Operation(
        "GET files.export", JOBS, lambda w: Call({"job_id": w.export_id})),
    "GET /report-jobs/{job_id}/file": Operation(
        "GET files.export", JOBS, lambda w: Call({"job_id": w.export_id})),
}

PREFIX = "/api/v1"
METHODS = ("get", "post", "put", "patch", "delete")


def _documented(client) -> dict[str, dict]:
    """Every operation of the OpenAPI document, keyed as OPERATIONS is."""
    found = {}
    for path, item in openapi_document(client)["paths"].items():
        for method in METHODS:
            if method in item:
                found[f"{method.upper()} {path.removeprefix(PREFIX)}"] = item[method]
    return found


def test_every_operation_is_in_the_matrix(client):
    documented = _documented(client)
    assert sorted(set(documented) - set(OPERATIONS)) == [], "operations without a row"
    assert sorted(set(OPERATIONS) - set(documented)) == [], "rows of no operation"
    for key, operation in OPERATIONS.items():
        # A token-only operation says so in the document, and a public read does not.
        assert ("security" in documented[key]) == (operation.scope is not None), key
        assert operation.twin is PUBLIC or operation.twin in MATRIX, key


def expected(operation: Operation, caller: str, user) -> object:
    """What the caller must get: the web's answer to its role, through the token's scopes."""
    role, _scopes = CALLERS[caller]
    if operation.scope is None:  # a read open to all, answered as the web answers the role
        return (operation.twin if operation.twin is PUBLIC else MATRIX[operation.twin])[role]
    if user is None:
        return 401
    token_scopes = CALLERS[caller][1] or [s.value for s in policy.api_scopes_for(user)]
    if operation.scope.value not in token_scopes:
        return DENY
    web = MATRIX[operation.twin][role]
    assert web in (ALLOW, DENY, HIDDEN), f"{operation.twin}: no API answer for {web}"
    return web


def _outcome(response) -> object:
    if response.status_code in (401, 403, 404):
        return response.status_code
    return ALLOW if response.status_code < 300 else response.status_code


@pytest.fixture
def world(session) -> World:
    inst_a = factories.institution("API-A")
    inst_b = factories.institution("API-B")
    users = {
        "focal_a": factories.user(Role.FOCAL_POINT, inst_a),
        "focal_b": factories.user(Role.FOCAL_POINT, inst_b),
        "reviewer": factories.user(Role.REVIEWER),
        "admin": factories.user(Role.ADMIN),
    }
    # Assigned to both institutions: each focal point may write about it for its own.
    rec = factories.recommendation(is_published=True, reference="API/A/1")
    factories.assignment(rec, inst_a)
    factories.assignment(rec, inst_b)
    stored = store_stream(io.BytesIO(b"API export;status\r\n"), "matriz.csv", "text/csv",
                          users["reviewer"].id)
    export = ReportJob(kind=ReportKind.STATUS_MATRIX, format=ReportFormat.CSV, filters={},
                       requested_by_id=users["reviewer"].id, state=JobState.DONE,
                       progress=100, rows=1, stored_file_id=stored.id)
    session.add(export)
    pillar = factories.term("pillar", "accountability")
    bulk_data.rebuild()
    session.commit()  # refused requests roll back the shared session: keep the world
    return World(inst_a, users, rec, pillar.id, export.id)


def _bearer(user, scopes) -> dict:
    if user is None:
        return {}
    scopes = scopes or [s.value for s in policy.api_scopes_for(user)]
    _token, secret = api_tokens.create(user, "Matrix", list(scopes), 30)
    return {"Authorization": f"Bearer {secret}"}


def _request(client, key: str, call: Call, headers: dict):
    method, template = key.split(" ", 1)
    url = PREFIX + template.format(**call.path) + call.query
    if call.files is not None:
        return client.open(url, method=method, headers=headers, data=call.files,
                           content_type="multipart/form-data")
    return client.open(url, method=method, headers=headers, json=call.json)


def _changes() -> list[AuditEvent]:
    """The audit trail's events other than the record of each API request."""
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action != "api_request")
                                   .order_by(AuditEvent.id)))


# A report job's row is its own log (who asked, when, what): the trail does not copy it.
OWN_LOG = {"POST /report-jobs"}


def _assert_audited(key: str, user, made: list[AuditEvent]) -> None:
    """The write is in the trail as the token holder's; what the worker did after the
    answer is the system's, and nothing is anyone else's."""
    if key not in OWN_LOG:
        assert user.id in {event.actor_id for event in made}, f"{key}: not in the trail"
    assert {event.actor_id for event in made} <= {user.id, None}, (key, made)
    use = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "api_request")
                             .order_by(AuditEvent.id.desc())).first()
    assert use.actor_id == user.id and use.changes["status"] < 300, key


@pytest.mark.parametrize("key", sorted(OPERATIONS))
def test_each_token_does_what_its_role_may_do_on_the_web(client, world, key):
    operation = OPERATIONS[key]
    seen, wanted = {}, {}
    for caller, (role, scopes) in CALLERS.items():
        user = world.users.get(role)
        headers = _bearer(user, scopes)
        call = operation.call(world)
        db.session.commit()
        before = len(_changes())
        response = _request(client, key, call, headers)
        seen[caller], wanted[caller] = _outcome(response), expected(operation, caller, user)
        response.close()
        db.session.expire_all()
        made = _changes()[before:]
        if seen[caller] == ALLOW and key.split()[0] != "GET":
            _assert_audited(key, user, made)
        elif seen[caller] != ALLOW:
            assert made == [], f"{key} refused to {caller}, yet it changed: {made}"
    assert seen == wanted, key


@pytest.mark.parametrize("key", sorted(OPERATIONS))
@pytest.mark.parametrize("death", ["revoked", "expired"])
def test_a_dead_token_is_refused_everywhere(client, world, key, death):
    admin, focal = world.users["admin"], world.users["focal_a"]
    holder = focal if OPERATIONS[key].scope == REPORTS else admin
    token, secret = api_tokens.create(holder, "Matrix", ["read"], 30)
    token.scopes = [s.value for s in policy.api_scopes_for(holder)]
    if death == "revoked":
        api_tokens.revoke(holder, token.id)
    else:
        token.expires_at = utcnow() - timedelta(seconds=1)
    call = OPERATIONS[key].call(world)
    db.session.commit()
    before = len(_changes())
    response = _request(client, key, call, {"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401, (key, response.status_code)
    assert response.mimetype == "application/problem+json"
    db.session.expire_all()
    assert _changes()[before:] == []
