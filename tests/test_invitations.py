"""Invitation and password-reset e-mails travel through a real SMTP server; links work once."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests import factories
from tests.conftest import login
from tracker.models import AuditEvent, Notification, NotificationStatus, Role, User
from tracker.services import accounts
from tracker.web.transaction import commit

NEW_PASSWORD = "lantern river copper tide"


def _link(message) -> str:
    body = message.get_payload(decode=True).decode()
    url = re.search(r"https?://\S+", body).group(0)
    return urlsplit(url).path


def test_invitation_then_set_password_then_sign_in(client, session, mailbox):
    admin = factories.user(Role.ADMIN)
    inst = factories.institution("SEMUJER")
    invited = accounts.invite_user(admin, accounts.InvitationInput(
        email="Enlace@Semujer.example", name="Enlace SEMUJER", role=Role.FOCAL_POINT,
        institution_id=inst.id, locale="es"))
    commit()
    message = mailbox.last_to("enlace@semujer.example")
    assert "SEMUJER" in message.get_payload(decode=True).decode()
    note = session.query(Notification).filter_by(recipient_id=invited.id).one()
    assert note.status == NotificationStatus.SENT and note.sent_at is not None

    link = _link(message)
    page = client.get(link)
    assert page.status_code == 200 and "enlace@semujer.example" in page.get_data(as_text=True)
    weak = client.post(link, data={"password": "short", "confirm": "short"})
    assert weak.status_code == 400
    done = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.location.endswith("/login")

    assert login(client, invited, NEW_PASSWORD).status_code == 302
    assert client.get("/account").status_code == 200

    # The link is single-use.
    client.post("/logout")
    reused = client.get(link)
    assert reused.status_code == 400
    assert session.query(AuditEvent).filter_by(action="invite", entity_id=str(invited.id)).one()


def test_invitation_e_mail_is_in_the_invited_persons_language(session, mailbox):
    admin = factories.user(Role.ADMIN)
    accounts.invite_user(admin, accounts.InvitationInput(
        email="reviewer@office.example", name="R", role=Role.REVIEWER, institution_id=None,
        locale="en"))
    commit()
    assert mailbox.last_to("reviewer@office.example")["Subject"]


def test_a_forged_or_truncated_link_is_refused(client, session):
    admin = factories.user(Role.ADMIN)
    invited = accounts.invite_user(admin, accounts.InvitationInput(
        email="x@example.org", name="X", role=Role.REVIEWER, institution_id=None))
    token = accounts.make_token(invited, "invite")
    assert client.get(f"/invitation/{token[:-3]}xyz").status_code == 400
    # A reset token is not an invitation token.
    assert client.get(f"/invitation/{accounts.make_token(invited, 'reset')}").status_code == 400


def test_an_expired_link_is_refused(client, session, monkeypatch):
    admin = factories.user(Role.ADMIN)
    invited = accounts.invite_user(admin, accounts.InvitationInput(
        email="late@example.org", name="Late", role=Role.REVIEWER, institution_id=None))
    token = accounts.make_token(invited, "invite")
    monkeypatch.setattr(accounts, "INVITATION_MAX_AGE", -1)
    response = client.get(f"/invitation/{token}")
    assert response.status_code == 400


def test_password_reset_flow(client, session, mailbox):
    user = factories.user(Role.REVIEWER)
    response = client.post("/forgot", data={"email": user.email.upper()})
    assert response.status_code == 302
    response.close()  # the link is sent once the answer has gone, as a server does
    link = _link(mailbox.last_to(user.email))
    assert client.post(link, data={"password": NEW_PASSWORD,
                                   "confirm": NEW_PASSWORD}).status_code == 302
    assert login(client, user).status_code == 401  # the old password no longer works
    assert login(client, user, NEW_PASSWORD).status_code == 302
    assert user.email in client.get("/account").get_data(as_text=True)  # signed in as them
    client.post("/logout")
    assert client.get(link).status_code == 400  # used once


def test_reset_does_not_reveal_whether_an_address_exists(client, session, mailbox):
    user = factories.user(Role.REVIEWER)
    known = client.post("/forgot", data={"email": user.email}, follow_redirects=True)
    unknown = client.post("/forgot", data={"email": "nobody@example.org"},
                          follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    assert known.get_data(as_text=True) == unknown.get_data(as_text=True)
    assert [m["To"] for m in mailbox.messages] == [user.email]


def test_a_reset_signs_out_every_other_session(app, session, mailbox):
    user = factories.user(Role.REVIEWER)
    other_device = app.test_client()
    login(other_device, user)
    assert user.email in other_device.get("/account").get_data(as_text=True)
    accounts.reset_password(accounts.make_token(user, "reset"), NEW_PASSWORD)
    signed_out = other_device.get("/account")
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]


def test_a_deactivated_account_gets_no_reset_link(client, session, mailbox):
    user = factories.user(Role.FOCAL_POINT, active=False)
    client.post("/forgot", data={"email": user.email})
    assert mailbox.messages == []
    assert session.get(User, user.id).password_hash == user.password_hash
