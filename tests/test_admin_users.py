"""Account administration: invitations, roles, deactivation, who may do what."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests import factories
from tracker.models import AuditEvent, Notification, NotificationKind, Role, User


def _events(session, entity_id, action=None):
    query = select(AuditEvent).where(AuditEvent.entity_type == "app_user",
                                     AuditEvent.entity_id == str(entity_id))
    if action:
        query = query.where(AuditEvent.action == action)
    return session.execute(query.order_by(AuditEvent.id)).scalars().all()


def _user_by_email(session, email):
    return session.execute(select(User).where(User.email == email)).scalar_one_or_none()


def _version_on_page(html: str) -> int:
    return int(re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1))


def test_invitation_creates_an_account_without_password_and_queues_the_email(client, session):
    admin = factories.user(Role.ADMIN)
    inst = factories.institution()
    factories.sign_in(client, admin)

    response = client.post("/admin/users/invite", data={
        "email": "Enlace@Example.org", "name": "Ana Enlace", "role": "focal_point",
        "institution_id": inst.id, "locale": "en"})

    assert response.status_code == 302
    invited = _user_by_email(session, "enlace@example.org")
    assert invited is not None and invited.password_hash is None
    assert invited.role == Role.FOCAL_POINT and invited.institution_id == inst.id
    assert invited.locale == "en"
    note = session.execute(select(Notification).where(
        Notification.recipient_id == invited.id)).scalar_one()
    assert note.kind == NotificationKind.INVITATION
    assert [e.changes["invited_by"] for e in _events(session, invited.id, "invite")] == [
        admin.email]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Invitation not yet accepted" in page or "Invitación" in page


def test_a_focal_point_invitation_needs_an_institution_and_keeps_what_was_typed(client, session):
    factories.sign_in(client, factories.user(Role.ADMIN))

    response = client.post("/admin/users/invite?lang=en", data={
        "email": "sin.institucion@example.org", "name": "Typed Name", "role": "focal_point",
        "institution_id": "", "locale": "es"})

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose the institution this focal point reports for." in page
    assert 'value="sin.institucion@example.org"' in page and 'value="Typed Name"' in page
    assert _user_by_email(session, "sin.institucion@example.org") is None


def test_inviting_an_address_already_in_use_is_refused(client, session):
    existing = factories.user(Role.FOCAL_POINT)
    factories.sign_in(client, factories.user(Role.ADMIN))

    response = client.post("/admin/users/invite?lang=en", data={
        "email": existing.email.upper(), "name": "Twin", "role": "reviewer", "locale": "es"})

    assert response.status_code == 409
    assert "There is already an account with this e-mail address." in response.get_data(
        as_text=True)


def test_a_reviewer_is_offered_and_may_give_the_focal_point_role_only(client, session):
    reviewer = factories.user(Role.REVIEWER)
    inst = factories.institution()
    factories.sign_in(client, reviewer)

    form = client.get("/admin/users/invite").get_data(as_text=True)
    assert 'value="focal_point"' in form
    assert 'value="admin"' not in form and 'value="reviewer"' not in form

    refused = client.post("/admin/users/invite", data={
        "email": "boss@example.org", "name": "Boss", "role": "admin", "locale": "es"})
    assert refused.status_code == 403
    assert _user_by_email(session, "boss@example.org") is None

    allowed = client.post("/admin/users/invite", data={
        "email": "enlace2@example.org", "name": "Enlace", "role": "focal_point",
        "institution_id": inst.id, "locale": "es"})
    assert allowed.status_code == 302
    assert _user_by_email(session, "enlace2@example.org").role == Role.FOCAL_POINT


def test_a_reviewer_cannot_edit_or_deactivate_another_reviewer(client, session):
    other = factories.user(Role.REVIEWER, name="Colleague")
    factories.sign_in(client, factories.user(Role.REVIEWER))

    assert client.get(f"/admin/users/{other.id}").status_code == 403
    edit = client.post(f"/admin/users/{other.id}", data={
        "name": "Renamed", "role": "reviewer", "institution_id": "", "version": other.version})
    assert edit.status_code == 403
    assert client.post(f"/admin/users/{other.id}/active", data={"active": "0"}).status_code == 403
    session.refresh(other)
    assert other.name == "Colleague" and other.active


def test_a_role_change_is_audited_with_before_and_after(client, session):
    admin = factories.user(Role.ADMIN)
    focal = factories.user(Role.FOCAL_POINT)
    old_token = focal.session_token
    factories.sign_in(client, admin)
    version = _version_on_page(client.get(f"/admin/users/{focal.id}").get_data(as_text=True))

    response = client.post(f"/admin/users/{focal.id}", data={
        "name": focal.name, "role": "reviewer", "institution_id": "", "version": version})

    assert response.status_code == 302
    session.refresh(focal)
    assert focal.role == Role.REVIEWER and focal.institution_id is None
    assert focal.session_token != old_token  # signed out everywhere
    update = _events(session, focal.id, "update")[-1]
    assert update.changes["role"] == {"before": "focal_point", "after": "reviewer"}
    assert update.actor_id == admin.id
    change = _events(session, focal.id, "permission_change")[-1]
    assert change.changes["role"] == "reviewer"


def test_a_stale_user_form_gets_409_and_shows_the_current_values(client, session):
    focal = factories.user(Role.FOCAL_POINT, name="Original")
    factories.sign_in(client, factories.user(Role.ADMIN))
    page = client.get(f"/admin/users/{focal.id}").get_data(as_text=True)
    version = _version_on_page(page)
    data = {"role": "focal_point", "institution_id": focal.institution_id, "version": version}

    assert client.post(f"/admin/users/{focal.id}", data={**data, "name": "First"}
                       ).status_code == 302
    second = client.post(f"/admin/users/{focal.id}?lang=en", data={**data, "name": "Second"})

    assert second.status_code == 409
    html = second.get_data(as_text=True)
    assert "Someone else changed this record" in html
    assert 'value="First"' in html and _version_on_page(html) == version + 1
    session.refresh(focal)
    assert focal.name == "First"


def test_deactivating_ends_sign_in_and_reactivating_restores_it(client, session, app):
    admin = factories.user(Role.ADMIN)
    focal = factories.user(Role.FOCAL_POINT)
    factories.sign_in(client, admin)

    assert client.post(f"/admin/users/{focal.id}/active", data={"active": "0"}
                       ).status_code == 302
    session.refresh(focal)
    assert not focal.active
    assert [e.actor_id for e in _events(session, focal.id, "deactivate")] == [admin.id]
    with app.test_client() as other_client:
        refused = other_client.post("/login", data={"email": focal.email,
                                                     "password": factories.PASSWORD})
        assert refused.status_code == 403

    assert client.post(f"/admin/users/{focal.id}/active", data={"active": "1"}
                       ).status_code == 302
    session.refresh(focal)
    assert focal.active
    with app.test_client() as other_client:
        factories.sign_in(other_client, focal)


def test_an_administrator_cannot_deactivate_their_own_account(client, session):
    admin = factories.user(Role.ADMIN)
    factories.sign_in(client, admin)

    response = client.post(f"/admin/users/{admin.id}/active?lang=en", data={"active": "0"})

    assert response.status_code == 400
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    session.refresh(admin)
    assert admin.active


def test_an_invitation_can_be_sent_again_only_while_it_is_pending(client, session):
    pending = factories.user(Role.FOCAL_POINT, password_hash=None)
    settled = factories.user(Role.FOCAL_POINT)
    factories.sign_in(client, factories.user(Role.REVIEWER))

    assert client.post(f"/admin/users/{pending.id}/invitation").status_code == 302
    assert client.post(f"/admin/users/{settled.id}/invitation").status_code == 403
    kinds = session.execute(select(Notification.recipient_id).where(
        Notification.kind == NotificationKind.INVITATION)).scalars().all()
    assert kinds.count(pending.id) == 1 and settled.id not in kinds
    assert _events(session, pending.id, "invitation_resent")


def test_the_user_list_filters_and_never_shows_secrets(client, session):
    inst = factories.institution()
    focal = factories.user(Role.FOCAL_POINT, inst, name="Zoila Filtrable")
    reviewer = factories.user(Role.REVIEWER, name="Zoila Revisora")
    factories.sign_in(client, factories.user(Role.ADMIN))

    by_text = client.get("/admin/users?q=zoila").get_data(as_text=True)
    assert focal.email in by_text and reviewer.email in by_text
    by_role = client.get("/admin/users?q=zoila&role=focal_point").get_data(as_text=True)
    assert focal.email in by_role and reviewer.email not in by_role
    by_inst = client.get(f"/admin/users?institution={inst.id}").get_data(as_text=True)
    assert focal.email in by_inst and reviewer.email not in by_inst
    for page in (by_text, client.get(f"/admin/users/{focal.id}").get_data(as_text=True)):
        assert focal.password_hash not in page and focal.session_token not in page
        assert reviewer.session_token not in page


def test_the_user_list_shows_status_and_last_sign_in(client, session):
    pending = factories.user(Role.FOCAL_POINT, password_hash=None, name="Pendiente Persona")
    factories.sign_in(client, factories.user(Role.ADMIN))

    page = client.get("/admin/users?status=pending&lang=en").get_data(as_text=True)

    assert pending.email in page and "Invitation not yet accepted" in page and "never" in page
