"""Every route of the application, as every kind of user: who gets in and who does not.

The matrix names each (method, endpoint) of the URL map. A route added without a row
here fails ``test_every_route_is_in_the_matrix``, so none can escape the check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from tests import factories
from tracker.models import EvidenceKind, OfficeActionKind, Role, StoredFile
from tracker.models.followup import Evidence

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

MATRIX: dict[str, dict[str, object]] = {
    "GET static": PUBLIC,
    "GET bootstrap.static": PUBLIC,
    # public site
    "GET public.home": PUBLIC,
    "GET public.recommendations": PUBLIC,
    "GET public.recommendation": PUBLIC,
    "GET public.set_language": PUBLIC,
    "GET files.evidence": PRIVATE_EVIDENCE_OF_A,
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
}


def _routes(app) -> dict[str, object]:
    found = {}
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found[f"{method} {rule.endpoint}"] = rule
    return found


def test_every_route_is_in_the_matrix(app):
    routes = _routes(app)
    missing = sorted(set(routes) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(routes))
    assert missing == [], f"routes without an authorization row: {missing}"
    assert stale == [], f"rows for routes that no longer exist: {stale}"


@dataclass
class World:
    users: dict[str, object]
    params: dict[str, object]


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
    rec = factories.recommendation(is_published=True)
    assignment = factories.assignment(rec, inst_a)
    report = factories.progress_report(users["focal_a"], [rec])
    stored = StoredFile(filename="acta.pdf", content_type="application/pdf", size=15,
                        sha256="0" * 64, data=b"%PDF-1.4\n%%EOF\n")
    session.add(stored)
    session.flush()
    evidence = Evidence(report_id=report.id, kind=EvidenceKind.FILE, label="Acta",
                        stored_file_id=stored.id, is_public=False)
    session.add(evidence)
    action = factories.office_action(kind=OfficeActionKind.MONITORING, title="Visita",
                                     start_date=date(2024, 3, 1), is_public=False)
    term = factories.term("spotlight", "women")
    session.commit()  # refused requests roll back the shared session: keep the world
    return World(
        users=users,
        params={
            "rec_id": rec.id,
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
            sess["_user_id"] = user.session_token
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
