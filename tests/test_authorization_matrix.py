"""Every route of the application, as every kind of user: who gets in and who does not.

The matrix names each (method, endpoint) of the URL map. A route added without a row
here fails ``test_every_route_is_in_the_matrix``, so none can escape the check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import insert

from tests import factories
from tests.api_contract import token_only_routes
from tracker.models import (
    NotificationStatus,
    OfficeActionKind,
    PendingLabel,
    ReportState,
    Role,
    utcnow,
)
from tracker.models.reference import pending_label_link
from tracker.services import api_tokens, bulk_data, sessions

ROLES = ("anonymous", "focal_a", "focal_b", "reviewer", "admin")

ALLOW = "allow"  # the view ran: any answer but sign-in, 403 or 404
LOGIN = "login"  # sent to the sign-in page
DENY = 403
HIDDEN = 404


def row(anonymous, focal_a, focal_b, reviewer, admin) -> dict[str, object]:
    return dict(zip(ROLES, (anonymous, focal_a, focal_b, reviewer, admin), strict=True))


PUBLIC = row(ALLOW, ALLOW, ALLOW, ALLOW, ALLOW)
SIGNED_IN = row(LOGIN, ALLOW, ALLOW, ALLOW, ALLOW)
STAFF = row(LOGIN, DENY, DENY, ALLOW, ALLOW)
ADMIN = row(LOGIN, DENY, DENY, DENY, ALLOW)
FOCAL = row(LOGIN, ALLOW, ALLOW, DENY, DENY)
# Institution A's own report: institution B's focal point must not learn it exists.
OWN_REPORT = row(LOGIN, ALLOW, HIDDEN, DENY, DENY)
PRIVATE_EVIDENCE_OF_A = row(HIDDEN, ALLOW, HIDDEN, ALLOW, ALLOW)
BAD_LINK = row(400, 400, 400, 400, 400)
# The reviewer's own export: no one else learns it exists, an administrator included.
OWN_EXPORT = row(HIDDEN, HIDDEN, HIDDEN, ALLOW, HIDDEN)

MATRIX: dict[str, dict[str, object]] = {
    "GET static": PUBLIC,
    "GET bootstrap.static": PUBLIC,
    # public site
    "GET public.home": PUBLIC,
    "GET public.healthz": PUBLIC,
    "GET ops.readyz": PUBLIC,
    # Served only to a scraper holding the metrics token, which no one here has.
    "GET ops.metrics_page": row(HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    "GET public.recommendations": PUBLIC,
    "GET public.recommendation": PUBLIC,
    "GET public.set_language": PUBLIC,
    "GET public.dashboard": PUBLIC,
    "GET public.dashboard_chart": PUBLIC,
    "GET public.institutions_index": PUBLIC,
    "GET public.institution": PUBLIC,
    "GET public.institution_chart": PUBLIC,
    "GET public.document": PUBLIC,
    "GET public.pillars_index": PUBLIC,
    "GET public.pillar": PUBLIC,
    "GET files.evidence": PRIVATE_EVIDENCE_OF_A,
    "GET open_data.index": PUBLIC,
    "GET open_data.download": PUBLIC,
    "GET open_data.dictionary": PUBLIC,
    "GET open_data.licence": PUBLIC,
    "GET open_data.status_feed": PUBLIC,
    # the API: it reads no session, so every reader is the public. Its token-only operations
    # are not here: test_api_authorization calls each with each role's token.
    "GET api-docs.openapi_json": PUBLIC,
    "GET api_manual.page": PUBLIC,
    "GET api_recommendations.list_recommendations": PUBLIC,
    "GET api_recommendations.get_recommendation": PUBLIC,
    "GET api_reference.list_documents": PUBLIC,
    "GET api_reference.get_document": PUBLIC,
    "GET api_reference.list_mechanisms": PUBLIC,
    "GET api_reference.list_institutions": PUBLIC,
    "GET api_reference.get_institution": PUBLIC,
    "GET api_reference.list_vocabularies": PUBLIC,
    "GET api_reference.list_terms": PUBLIC,
    "GET api_activity.list_office_actions": PUBLIC,
    "GET api_activity.get_dashboard": PUBLIC,
    "GET api_bulk.describe": PUBLIC,
    "GET api_bulk.download": PUBLIC,
    # A private file: the session opens nothing here, so each role is the public.
    "GET api_evidence.download": row(HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    "GET files.export": OWN_EXPORT,
    "GET files.import_file": row(HIDDEN, HIDDEN, HIDDEN, ALLOW, ALLOW),
    "GET files.import_report": row(HIDDEN, HIDDEN, HIDDEN, ALLOW, ALLOW),
    # accounts
    "GET auth.login": PUBLIC,
    "POST auth.login": PUBLIC,
    "POST auth.logout": PUBLIC,
    "GET auth.forgot_password": PUBLIC,
    "POST auth.forgot_password": PUBLIC,
    "GET auth.accept_invitation": BAD_LINK,
    "POST auth.accept_invitation": BAD_LINK,
    "GET auth.reset_password": BAD_LINK,
    "POST auth.reset_password": BAD_LINK,
    "GET auth.account": SIGNED_IN,
    "POST auth.account": SIGNED_IN,
    "POST auth.sign_out_everywhere": SIGNED_IN,
    "POST auth.create_api_token": SIGNED_IN,
    # focal_a's token: its holder and an administrator revoke it; others do not learn of it
    "POST auth.revoke_api_token": row(LOGIN, ALLOW, HIDDEN, HIDDEN, ALLOW),
    # the institution's workspace
    "GET focal.home": FOCAL,
    "GET focal.reports": FOCAL,
    "GET focal.new_report": FOCAL,
    "POST focal.new_report": FOCAL,
    "GET focal.report": OWN_REPORT,
    "GET focal.edit_report": OWN_REPORT,
    "POST focal.edit_report": OWN_REPORT,
    "POST focal.submit_report": OWN_REPORT,
    "POST focal.delete_report": OWN_REPORT,
    "POST focal.attach_file": OWN_REPORT,
    "POST focal.add_link": OWN_REPORT,
    "POST focal.remove_evidence": OWN_REPORT,
    # the office's workspace
    "GET review.home": STAFF,
    "GET review.queue": STAFF,
    "GET review.report": STAFF,
    "POST review.decide": STAFF,
    "GET review.recommendations": STAFF,
    "POST review.bulk_assign": STAFF,
    "GET review.new_recommendation": STAFF,
    "POST review.new_recommendation": STAFF,
    "GET review.recommendation_detail": STAFF,
    "GET review.edit_recommendation": STAFF,
    "POST review.edit_recommendation": STAFF,
    "POST review.publish_recommendation": STAFF,
    "GET review.edit_document": STAFF,
    "POST review.edit_document": STAFF,
    "POST review.add_assignments": STAFF,
    "GET review.edit_assignment": STAFF,
    "POST review.edit_assignment": STAFF,
    "POST review.end_assignment": STAFF,
    "POST review.assess": STAFF,
    "GET review.actions": STAFF,
    "GET review.new_action": STAFF,
    "POST review.new_action": STAFF,
    "GET review.action_detail": STAFF,
    "GET review.edit_action": STAFF,
    "POST review.edit_action": STAFF,
    "GET review.delete_action": STAFF,
    "POST review.delete_action": STAFF,
    "GET review.exports": STAFF,
    "GET review.new_export": STAFF,
    "POST review.new_export": STAFF,
    "POST review.delete_export": row(LOGIN, DENY, DENY, ALLOW, HIDDEN),
    "GET review.imports": STAFF,
    "GET review.new_import": STAFF,
    "POST review.new_import": STAFF,
    "GET review.import_job": STAFF,
    "GET review.import_status": STAFF,
    "POST review.import_options": STAFF,
    "POST review.import_conflicts": STAFF,
    "POST review.import_map_label": STAFF,
    "POST review.import_label_term": STAFF,
    "POST review.confirm_import": STAFF,
    "POST review.discard_import": STAFF,
    "GET review.labels": STAFF,
    "GET review.label": STAFF,
    "POST review.map_label": STAFF,
    "POST review.create_label_term": STAFF,
    "POST review.ignore_label": STAFF,
    # administration: reviewers read, and manage focal points only
    "GET admin.index": STAFF,
    "GET admin.audit_trail": STAFF,
    "GET admin.users": STAFF,
    "GET admin.invite_user": STAFF,
    "POST admin.invite_user": STAFF,
    "GET admin.edit_user": STAFF,  # the target account is a focal point
    "POST admin.edit_user": STAFF,
    "POST admin.set_user_active": STAFF,
    "POST admin.resend_invitation": STAFF,
    "GET admin.institutions": STAFF,
    "GET admin.new_institution": ADMIN,
    "POST admin.new_institution": ADMIN,
    "GET admin.edit_institution": ADMIN,
    "POST admin.edit_institution": ADMIN,
    "POST admin.set_institution_active": ADMIN,
    "GET admin.mechanisms": STAFF,
    "GET admin.new_mechanism": ADMIN,
    "POST admin.new_mechanism": ADMIN,
    "GET admin.edit_mechanism": ADMIN,
    "POST admin.edit_mechanism": ADMIN,
    "GET admin.vocabularies": STAFF,
    "GET admin.vocabulary": STAFF,
    "GET admin.new_vocabulary": ADMIN,
    "POST admin.new_vocabulary": ADMIN,
    "GET admin.edit_vocabulary": ADMIN,
    "POST admin.edit_vocabulary": ADMIN,
    "POST admin.new_term": ADMIN,
    "GET admin.edit_term": ADMIN,
    "POST admin.edit_term": ADMIN,
    "POST admin.set_term_active": ADMIN,
    "GET admin.merge_term": ADMIN,
    "POST admin.merge_term": ADMIN,
    "GET admin.notifications_log": STAFF,
    "POST admin.resend_notification": STAFF,
    "GET messages.my_messages": SIGNED_IN,
}


def _routes(app) -> dict[str, object]:
    found = {}
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found[f"{method} {rule.endpoint}"] = rule
    return found


def test_every_route_is_in_the_matrix(app, client):
    tested_with_tokens = token_only_routes(client)
    routes = {key: rule for key, rule in _routes(app).items() if key not in tested_with_tokens}
    missing = sorted(set(routes) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(routes))
    assert missing == [], f"routes without an authorization row: {missing}"
    assert stale == [], f"rows for routes that no longer exist: {stale}"


@dataclass
class World:
    users: dict[str, object]
    params: dict[str, object]


def _export_of(owner):
    """A finished private export, with its file."""
    import io

    from tracker.exports import CSV_TYPE
    from tracker.extensions import db
    from tracker.models import JobState, ReportFormat, ReportJob, ReportKind
    from tracker.services.storage import store_stream

    stored = store_stream(io.BytesIO(b"MTX export;status\r\n"), "matriz.csv", CSV_TYPE,
                          owner.id)
    job = ReportJob(kind=ReportKind.STATUS_MATRIX, format=ReportFormat.CSV, filters={},
                    requested_by_id=owner.id, state=JobState.DONE, progress=100, rows=1,
                    stored_file_id=stored.id)
    db.session.add(job)
    db.session.flush()
    return job


@pytest.fixture
def world(session) -> World:
    inst_a = factories.institution("MTX-A")
    inst_b = factories.institution("MTX-B")
    users = {
        "focal_a": factories.user(Role.FOCAL_POINT, inst_a),
        "focal_b": factories.user(Role.FOCAL_POINT, inst_b),
        "reviewer": factories.user(Role.REVIEWER),
        "admin": factories.user(Role.ADMIN),
    }
    invitee = factories.user(Role.FOCAL_POINT, inst_b, password_hash=None)
    rec = factories.recommendation(is_published=True, reference="MTX/A/1")
    assignment = factories.assignment(rec, inst_a)
    report = factories.progress_report(users["focal_a"], [rec])
    evidence = factories.evidence_file(report, label="Acta", is_public=False)
    action = factories.office_action(kind=OfficeActionKind.MONITORING, title="Visita",
                                     start_date=date(2024, 3, 1), is_public=False)
    term = factories.term("spotlight", "women")
    # What the allowed roles must find, or must not, on the pages of SEES.
    rec_b = factories.recommendation(is_published=True, reference="MTX/B/1")
    factories.assignment(rec_b, inst_b)
    factories.report_in_state(inst_b, [rec_b], ReportState.DRAFT, title="Draft of MTX-B")
    factories.report_in_state(inst_a, [rec], ReportState.SUBMITTED, title="Sent by MTX-A",
                              submitted_at=utcnow())
    approved = factories.report_in_state(inst_a, [rec], title="Approved for MTX-A")
    factories.evidence_link(approved, "https://example.org/public-minutes", is_public=True)
    factories.evidence_link(approved, "https://example.org/private-list", is_public=False)
    rec.terms.extend([
        factories.make_term(factories.vocabulary(), name_es="Tema vigente MTX"),
        factories.make_term(factories.vocabulary(active=False), name_es="Tema retirado MTX"),
    ])
    hidden = factories.recommendation(is_published=False, reference="MTX/HIDDEN/1")
    failed_note = factories.notification(users["focal_a"], status=NotificationStatus.FAILED)
    export = _export_of(users["reviewer"])
    token, _secret = api_tokens.create(users["focal_a"], "Planning system", ["read"], 30)
    imported = factories.import_job(users["reviewer"], filename="importacion-mtx.csv")
    waiting = PendingLabel(vocabulary_id=term.vocabulary_id, label="Etiqueta MTX",
                           key="etiqueta mtx")
    session.add(waiting)
    session.flush()
    session.execute(insert(pending_label_link), [
        {"pending_label_id": waiting.id, "recommendation_id": hidden.id}])
    bulk_data.rebuild()
    session.commit()  # refused requests roll back the shared session: keep the world
    return World(
        users=users,
        params={
            "rec_id": rec.id,
            "unpublished_rec_id": hidden.id,
            "report_id": report.id,
            "evidence_id": evidence.id,
            "assignment_id": assignment.id,
            "document_id": rec.document_id,
            "action_id": action.id,
            "institution_id": inst_a.id,
            "mechanism_id": rec.mechanism_id,
            "term_id": term.id,
            "vocabulary_id": term.vocabulary_id,
            "user_id": invitee.id,
            "token": "not-a-real-token",
            "code": "en",
            "note_id": failed_note.id,
            "job_id": export.id,
            "import_id": imported.id,
            "label_id": waiting.id,
            "token_id": token.id,
            "fmt": "csv",
            "chart": "status",
            "pillar": "accountability",
            "vocabulary": "spotlight",
        },
    )


def _url(app, rule, params) -> str:
    values = {}
    for name in rule.arguments:
        if name == "filename":
            values[name] = ("css/bootstrap.min.css" if rule.endpoint == "bootstrap.static"
                            else "css/app.css")
        else:
            assert name in params, f"no sample value for <{name}> of {rule.endpoint}"
            values[name] = params[name]
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def _outcome(response) -> object:
    if response.status_code in (302, 303) and "/login" in response.headers.get("Location", ""):
        return LOGIN
    if response.status_code in (401, 403, 404, 405):
        return response.status_code
    return ALLOW if response.status_code != 400 else 400


def _sign_in_as(client, user) -> None:
    with client.session_transaction() as sess:
        sess.clear()
        if user is not None:
            sess["_user_id"] = sessions.start_session(user, remember=False)
            sess["_fresh"] = True


@pytest.mark.parametrize("key", sorted(MATRIX))
def test_route_answers_each_role_as_the_matrix_says(app, client, world, key):
    method, endpoint = key.split(" ")
    rules = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]
    assert rules, f"{endpoint} is not a route"
    url = _url(app, rules[0], world.params)
    expected = MATRIX[key]
    seen = {}
    # Those who should be refused go first, so nothing they could change is changed yet.
    order = sorted(ROLES, key=lambda r: expected[r] == ALLOW)
    for role in order:
        _sign_in_as(client, world.users.get(role))
        response = client.open(url, method=method, data={})
        got = _outcome(response)
        response.close()
        if expected[role] == ALLOW and got == 400:
            got = ALLOW  # an empty form, rightly rejected by the view itself
        seen[role] = got
    assert seen == expected, f"{key} ({url})"


# What an allowed role finds on the page, beyond being let in: (must show, must not show).
DRAFT_OF_A = "Training of judges on gender-based violence"
_PUBLIC_PAGE = (
    ["MTX/A/1", "Approved for MTX-A", "https://example.org/public-minutes", "Tema vigente MTX"],
    ["https://example.org/private-list", "Sent by MTX-A", DRAFT_OF_A, "Tema retirado MTX"],
)
# Staff read the page as the public does, plus the terms of retired vocabularies.
_PUBLIC_PAGE_FOR_STAFF = (_PUBLIC_PAGE[0] + ["Tema retirado MTX"], _PUBLIC_PAGE[1][:-1])
_STAFF_QUEUE = (["Sent by MTX-A"], [DRAFT_OF_A, "Draft of MTX-B", "Approved for MTX-A"])
_STAFF_REPORT = ([DRAFT_OF_A, "acta.pdf"], [])
SEES: dict[str, dict[str, tuple[list[str], list[str]]]] = {
    # The API reads no session: staff signed in on the site read it as the public does.
    "GET api_recommendations.get_recommendation": dict.fromkeys(ROLES, _PUBLIC_PAGE),
    "GET public.recommendation": {
        **dict.fromkeys(("anonymous", "focal_a", "focal_b"), _PUBLIC_PAGE),
        **dict.fromkeys(("reviewer", "admin"), _PUBLIC_PAGE_FOR_STAFF),
    },
    # Public pages show the same to everyone: published progress, never drafts or e-mails.
    "GET public.institution": dict.fromkeys(ROLES, (["Approved for MTX-A"],
                                                    ["Sent by MTX-A", DRAFT_OF_A])),
    "GET public.document": dict.fromkeys(ROLES, (["MTX/A/1"], [])),
    "GET focal.home": {"focal_a": (["MTX/A/1"], ["MTX/B/1"]),
                       "focal_b": (["MTX/B/1"], ["MTX/A/1"])},
    "GET focal.reports": {  # the drafts tab
        "focal_a": ([DRAFT_OF_A], ["Draft of MTX-B"]),
        "focal_b": (["Draft of MTX-B"], [DRAFT_OF_A]),
    },
    "GET focal.report": {"focal_a": ([DRAFT_OF_A, "acta.pdf"], [])},
    "GET files.evidence": dict.fromkeys(("focal_a", "reviewer", "admin"), (["%PDF-1.4"], [])),
    "GET review.queue": {"reviewer": _STAFF_QUEUE, "admin": _STAFF_QUEUE},
    "GET review.report": {"reviewer": _STAFF_REPORT, "admin": _STAFF_REPORT},
    "GET review.actions": dict.fromkeys(("reviewer", "admin"), (["Visita"], [])),
    "GET files.export": {"reviewer": (["MTX export;status"], [])},
    "GET review.exports": {"reviewer": (["matriz.csv"], []), "admin": ([], ["matriz.csv"])},
    "GET review.labels": dict.fromkeys(("reviewer", "admin"), (["Etiqueta MTX"], [])),
    # The office's imports are the whole office's: each reviewer and administrator reads them.
    "GET review.imports": dict.fromkeys(("reviewer", "admin"), (["importacion-mtx.csv"], [])),
    "GET review.import_job": dict.fromkeys(("reviewer", "admin"), (["importacion-mtx.csv",
                                                                    "CEDAW/C/FACT/1"], [])),
    "GET files.import_file": dict.fromkeys(("reviewer", "admin"), (["CEDAW/C/FACT/1"], [])),
    "GET files.import_report": dict.fromkeys(("reviewer", "admin"), (['"rows":1'], [])),
    "GET review.label": dict.fromkeys(("reviewer", "admin"), (["Etiqueta MTX",
                                                               "MTX/HIDDEN/1"], [])),
}


@pytest.mark.parametrize("key", sorted(SEES))
def test_allowed_roles_see_the_right_content(app, client, world, key):
    method, endpoint = key.split(" ")
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    url = _url(app, rule, world.params)
    for role, (shown, hidden) in SEES[key].items():
        assert MATRIX[key][role] == ALLOW, f"{key}: {role} is not let in"
        _sign_in_as(client, world.users.get(role))
        response = client.open(url, method=method)
        body = response.get_data(as_text=True)
        response.close()
        assert response.status_code == 200, f"{key} as {role}"
        missing = [text for text in shown if text not in body]
        leaked = [text for text in hidden if text in body]
        assert (missing, leaked) == ([], []), f"{key} as {role}: (missing, leaked)"


def test_an_unpublished_recommendation_is_open_to_the_office_only(app, client, world):
    url = f"/recommendations/{world.params['unpublished_rec_id']}"
    seen = {}
    for role in ROLES:
        _sign_in_as(client, world.users.get(role))
        response = client.get(url)
        seen[role] = _outcome(response)
        response.close()
    assert seen == row(HIDDEN, HIDDEN, HIDDEN, ALLOW, ALLOW)
