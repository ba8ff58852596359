"""Every function of tracker/policy.py, as every kind of user, in the states that matter.

The web tests reach the policy through routes; these ask it directly, so that a changed
condition in any decision or query scope fails here, named by function and role.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from tests import factories
from tracker import policy
from tracker.extensions import db
from tracker.models import (
    Assignment,
    Evidence,
    OfficeAction,
    ProgressReport,
    Recommendation,
    ReportState,
    ReportVisibility,
    Role,
    Term,
    User,
    utcnow,
)

ROLES = (
    "anonymous",
    "focal_a",  # focal point of institution A, which wrote the reports below
    "focal_b",  # focal point of institution B
    "focal_none",  # a focal point whose institution is missing (the database forbids it)
    "reviewer",
    "admin",
    "retired_focal_a",  # deactivated accounts: signed in once, hold no rights now
    "retired_reviewer",
    "retired_admin",
)
STAFF = {"reviewer", "admin"}
WORKSPACE = {"focal_a", "focal_b"}
OUTSIDERS = set(ROLES) - STAFF - WORKSPACE  # see what the public sees, no more

# Reports of institution A, by state (and B's own draft).
PUBLISHED = {"public_on_published", "public_on_both"}
REPORTS_OF_A = {"draft", "draft_once_submitted", "submitted", "returned", "internal",
                "public_on_published", "public_on_unpublished", "public_on_both"}


@dataclass
class World:
    users: dict[str, object]
    ids: dict[str, int]
    inst_a: int
    inst_b: int


@pytest.fixture
def world(session) -> World:
    inst_a, inst_b = factories.institution("POL-A"), factories.institution("POL-B")
    users = {
        "anonymous": AnonymousUserMixin(),
        "focal_a": factories.user(Role.FOCAL_POINT, inst_a),
        "focal_b": factories.user(Role.FOCAL_POINT, inst_b),
        "focal_none": User(email="x@example.org", name="X", role=Role.FOCAL_POINT,
                           institution_id=None, active=True, password_hash="x"),
        "reviewer": factories.user(Role.REVIEWER),
        "admin": factories.user(Role.ADMIN),
        "retired_focal_a": factories.user(Role.FOCAL_POINT, inst_a, active=False),
        "retired_reviewer": factories.user(Role.REVIEWER, active=False),
        "retired_admin": factories.user(Role.ADMIN, active=False),
    }
    published = factories.recommendation(is_published=True)
    unpublished = factories.recommendation(is_published=False)
    ids = {"rec_published": published.id, "rec_unpublished": unpublished.id}

    def report(key, inst, recs, state, **kw):
        found = factories.report_in_state(inst, recs, state, title=key, **kw)
        ids[key] = found.id
        for public in (True, False):
            item = factories.evidence_link(found, f"https://example.org/{key}/{public}",
                                           is_public=public)
            ids[f"{key}/{'public' if public else 'private'}"] = item.id
        return found

    sent = utcnow()
    report("draft", inst_a, [published], ReportState.DRAFT)
    report("draft_once_submitted", inst_a, [published], ReportState.DRAFT, submitted_at=sent)
    report("submitted", inst_a, [published], ReportState.SUBMITTED, submitted_at=sent)
    report("returned", inst_a, [published], ReportState.RETURNED, submitted_at=sent)
    report("internal", inst_a, [published], ReportState.APPROVED,
           visibility=ReportVisibility.INTERNAL)
    report("public_on_published", inst_a, [published], ReportState.APPROVED)
    report("public_on_unpublished", inst_a, [unpublished], ReportState.APPROVED)
    report("public_on_both", inst_a, [published, unpublished], ReportState.APPROVED)
    report("draft_of_b", inst_b, [published], ReportState.DRAFT)

    ids["assignment_active"] = factories.assignment(published, inst_a).id
    ids["assignment_ended"] = factories.assignment(published, inst_b, active=False).id
    ids["assignment_unpublished"] = factories.assignment(unpublished, inst_a).id

    live, retired = factories.vocabulary(), factories.vocabulary(active=False)
    ids["term_live"] = factories.make_term(live).id
    ids["term_retired"] = factories.make_term(retired).id

    ids["action_public"] = factories.office_action(is_public=True).id
    ids["action_internal"] = factories.office_action(is_public=False).id
    return World(users=users, ids=ids, inst_a=inst_a.id, inst_b=inst_b.id)


def _report(world, key) -> ProgressReport:
    return db.session.get(ProgressReport, world.ids[key])


def _scoped(world, scope, model, keys) -> set[str]:
    """Return which of these rows of one table the query scope lets through."""
    by_id = {world.ids[k]: k for k in keys}
    query = select(model.id).where(model.id.in_(by_id))
    return {by_id[found] for found in db.session.scalars(scope(query))}


# --- who someone is --------------------------------------------------------------------------

ROLE_DECISIONS = {
    "is_staff": STAFF,
    "is_admin": {"admin"},
    "is_focal_point": {"focal_a", "focal_b", "focal_none"},
    "can_view_admin": STAFF,
    "can_edit_reference_data": {"admin"},
    "can_invite": STAFF,
    "can_view_audit": STAFF,
    "can_view_users": STAFF,
    "can_view_reference_data": STAFF,
    "can_curate": STAFF,
    "can_assign": STAFF,
    "can_assess": STAFF,
    "can_review_reports": STAFF,
    "can_manage_office_actions": STAFF,
    "can_use_institution_workspace": WORKSPACE,
    "can_write_reports": WORKSPACE,
}


@pytest.mark.parametrize("name", sorted(ROLE_DECISIONS))
def test_decisions_that_depend_on_the_role_alone(world, name):
    decide = getattr(policy, name)
    answers = {role: decide(world.users[role]) for role in ROLES}
    assert answers == {role: role in ROLE_DECISIONS[name] for role in ROLES}
    assert decide(None) is False  # tasks and public scopes ask with no user at all


# --- accounts --------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_who_may_give_which_role(world, role):
    actor = world.users[role]
    expected = {"admin": [Role.FOCAL_POINT, Role.REVIEWER, Role.ADMIN],
                "reviewer": [Role.FOCAL_POINT]}.get(role, [])
    assert policy.grantable_roles(actor) == expected
    assert [r for r in Role if policy.can_grant_role(actor, r)] == sorted(
        expected, key=list(Role).index)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_manage_which_account(world, role):
    actor = world.users[role]
    targets = {"focal": world.users["focal_b"], "reviewer": factories.user(Role.REVIEWER),
               "admin": factories.user(Role.ADMIN)}
    managed = {name for name, target in targets.items() if policy.can_manage_user(actor, target)}
    assert managed == {"admin": set(targets), "reviewer": {"focal"}}.get(role, set())


@pytest.mark.parametrize("role", ROLES)
def test_an_invitation_is_resent_only_to_an_active_account_without_password(world, role):
    actor = world.users[role]
    inst = world.users["focal_b"].institution
    targets = {
        "invited_focal": factories.user(Role.FOCAL_POINT, inst, password_hash=None),
        "deactivated_invited_focal": factories.user(Role.FOCAL_POINT, inst, password_hash=None,
                                                    active=False),
        "focal_with_password": factories.user(Role.FOCAL_POINT, inst),
        "invited_reviewer": factories.user(Role.REVIEWER, password_hash=None),
    }
    resent = {name for name, target in targets.items()
              if policy.can_resend_invitation(actor, target)}
    assert resent == {"admin": {"invited_focal", "invited_reviewer"},
                      "reviewer": {"invited_focal"}}.get(role, set())


# --- the catalogue ---------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_unpublished_recommendations_are_for_staff_only(world, role):
    user = world.users[role]
    keys = {"rec_published", "rec_unpublished"}
    seen = _scoped(world, lambda q: policy.recommendations_visible_to(user, q), Recommendation,
                   keys)
    assert seen == (keys if role in STAFF else {"rec_published"})
    opens = {key for key in keys
             if policy.can_view_recommendation(user, db.session.get(Recommendation,
                                                                    world.ids[key]))}
    assert opens == seen


@pytest.mark.parametrize("role", ROLES)
def test_assignments_shown_outside_the_office_are_active_and_published(world, role):
    keys = {"assignment_active", "assignment_ended", "assignment_unpublished"}
    seen = _scoped(world, lambda q: policy.assignments_visible_to(world.users[role], q),
                   Assignment, keys)
    assert seen == (keys if role in STAFF else {"assignment_active"})


@pytest.mark.parametrize("role", ROLES)
def test_terms_of_a_retired_vocabulary_are_for_staff_only(world, role):
    keys = {"term_live", "term_retired"}
    seen = _scoped(world, lambda q: policy.terms_visible_to(world.users[role], q), Term, keys)
    assert seen == (keys if role in STAFF else {"term_live"})


@pytest.mark.parametrize("role", ROLES)
def test_internal_office_actions_are_for_staff_only(world, role):
    keys = {"action_public", "action_internal"}
    seen = _scoped(world, lambda q: policy.office_actions_visible_to(world.users[role], q),
                   OfficeAction, keys)
    assert seen == (keys if role in STAFF else {"action_public"})


# --- progress reports ------------------------------------------------------------------------

ALL_REPORTS = REPORTS_OF_A | {"draft_of_b"}


def _readable_reports(role) -> set[str]:
    if role in STAFF:
        return ALL_REPORTS
    if role == "focal_a":
        return REPORTS_OF_A
    if role == "focal_b":
        return PUBLISHED | {"draft_of_b"}
    return PUBLISHED


def test_a_report_is_public_only_approved_public_and_on_a_published_recommendation(world):
    public = {key for key in ALL_REPORTS if policy.is_published_report(_report(world, key))}
    assert public == PUBLISHED
    assert _scoped(world, policy.published_progress_reports, ProgressReport,
                   ALL_REPORTS) == PUBLISHED


@pytest.mark.parametrize("role", ROLES)
def test_who_reads_which_report_the_decision_and_the_query_agree(world, role):
    user = world.users[role]
    opens = {key for key in ALL_REPORTS if policy.can_view_report(user, _report(world, key))}
    listed = _scoped(world, lambda q: policy.progress_reports_visible_to(user, q),
                     ProgressReport, ALL_REPORTS)
    assert opens == _readable_reports(role)
    assert listed == _readable_reports(role)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_institution_changes_its_report_and_only_staff_decide(world, role):
    user = world.users[role]

    def allowed(decide) -> set[str]:
        return {key for key in ALL_REPORTS if decide(user, _report(world, key))}

    own = {"focal_a": {"draft", "draft_once_submitted", "returned"},
           "focal_b": {"draft_of_b"}}.get(role, set())
    assert allowed(policy.can_edit_report) == own
    # A report the office has seen cannot be deleted, even back in draft.
    assert allowed(policy.can_delete_report) == own - {"returned", "draft_once_submitted"}
    assert allowed(policy.can_decide_report) == ({"submitted"} if role in STAFF else set())


@pytest.mark.parametrize("role", ROLES)
def test_own_institution_is_the_focal_points_own_only(world, role):
    user = world.users[role]
    owns = {name for name, inst in (("a", world.inst_a), ("b", world.inst_b), ("none", None))
            if policy.is_own_institution(user, inst)}
    assert owns == {"focal_a": {"a"}, "focal_b": {"b"}}.get(role, set())


# --- evidence --------------------------------------------------------------------------------

ALL_EVIDENCE = {f"{key}/{v}" for key in ALL_REPORTS for v in ("public", "private")}
PUBLIC_EVIDENCE = {f"{key}/public" for key in PUBLISHED}


def _readable_evidence(role) -> set[str]:
    if role in STAFF:
        return ALL_EVIDENCE
    own = {"focal_a": REPORTS_OF_A, "focal_b": {"draft_of_b"}}.get(role, set())
    return PUBLIC_EVIDENCE | {f"{key}/{v}" for key in own for v in ("public", "private")}


@pytest.mark.parametrize("role", ROLES)
def test_who_opens_which_evidence(world, role):
    user = world.users[role]
    opens = {key for key in ALL_EVIDENCE
             if policy.can_download_evidence(user, db.session.get(Evidence, world.ids[key]))}
    assert opens == _readable_evidence(role)


def test_the_public_site_lists_public_items_of_published_reports_only(world):
    assert _scoped(world, policy.published_evidence, Evidence, ALL_EVIDENCE) == PUBLIC_EVIDENCE


def test_withdrawing_the_last_published_recommendation_withdraws_report_and_evidence(world):
    rec = db.session.get(Recommendation, world.ids["rec_published"])
    rec.is_published = False
    db.session.flush()
    anonymous = world.users["anonymous"]
    assert not any(policy.can_view_report(anonymous, _report(world, key)) for key in PUBLISHED)
    assert _scoped(world, policy.published_progress_reports, ProgressReport, ALL_REPORTS) == set()
    assert _scoped(world, policy.published_evidence, Evidence, ALL_EVIDENCE) == set()
    assert not any(
        policy.can_download_evidence(anonymous, db.session.get(Evidence, world.ids[key]))
        for key in PUBLIC_EVIDENCE)
