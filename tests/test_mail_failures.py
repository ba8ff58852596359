"""When the mail server refuses a message or cannot be reached, nothing is lost.

A real local SMTP server refuses chosen recipients; a closed port stands for a mail
server that is down. Each notification row records what went wrong, the other
messages still go out, and the periodic sweep sends what was left pending.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from tests import factories
from tests.conftest import Mailbox, free_port, smtp_server
from tracker.models import Notification, NotificationStatus, Role, utcnow
from tracker.services import accounts
from tracker.services.jobs import requeue_stale_jobs
from tracker.services.notify import MAX_ATTEMPTS
from tracker.web.transaction import commit


class RefusingMailbox(Mailbox):
    """A mail server that refuses the recipients listed in ``refused``."""

    def __init__(self):
        super().__init__()
        self.refused: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def smtp(app, monkeypatch):
    with smtp_server(app, monkeypatch, RefusingMailbox()) as box:
        yield box


def _invite(admin, email: str):
    return accounts.invite_user(admin, accounts.InvitationInput(
        email=email, name=email.split("@")[0], role=Role.REVIEWER, institution_id=None))


def _note(session, user) -> Notification:
    note = session.query(Notification).filter_by(recipient_id=user.id).one()
    session.refresh(note)
    return note


def _sweep() -> int:
    """Run what the periodic sweep runs (the broker and worker path is in test_job_recovery)."""
    return requeue_stale_jobs()


def _age(session, *notes: Notification) -> None:
    for note in notes:
        note.created_at = utcnow() - timedelta(minutes=10)
    session.commit()


def test_a_refused_message_is_recorded_the_others_go_out_and_the_sweep_sends_it_later(
        app, session, smtp):
    admin = factories.user(Role.ADMIN)
    smtp.refused.add("refused@example.org")
    first = _invite(admin, "first@example.org")
    refused = _invite(admin, "refused@example.org")
    last = _invite(admin, "last@example.org")
    commit()

    assert sorted(m["To"] for m in smtp.messages) == ["first@example.org", "last@example.org"]
    assert _note(session, first).status == NotificationStatus.SENT
    assert _note(session, last).status == NotificationStatus.SENT
    failed = _note(session, refused)
    assert failed.status == NotificationStatus.PENDING
    assert failed.sent_at is None and failed.attempts == 1
    assert "550" in failed.error and "mailbox unavailable" in failed.error

    # A fresh failure is not swept at once: the worker's own retries come first.
    assert _sweep() == 0
    smtp.refused.clear()
    _age(session, failed)
    assert _sweep() == 1

    message = smtp.last_to("refused@example.org")
    assert "/invitation/" in message.get_payload(decode=True).decode()
    failed = _note(session, refused)
    assert failed.status == NotificationStatus.SENT and failed.error is None
    assert failed.attempts == 2 and failed.sent_at is not None
    # Sent messages are never sent again.
    assert _sweep() == 0
    assert len(smtp.messages) == 3


def test_a_mail_server_that_is_down_leaves_the_message_pending_until_it_is_back(
        app, session, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nothing listens there
    admin = factories.user(Role.ADMIN)
    invited = _invite(admin, "patient@example.org")
    commit()  # the request still succeeds

    note = _note(session, invited)
    assert note.status == NotificationStatus.PENDING and note.attempts == 1
    assert "refused" in note.error.lower()

    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        _age(session, note)
        assert _sweep() == 1
    finally:
        controller.stop()
    assert box.last_to("patient@example.org")
    assert _note(session, invited).status == NotificationStatus.SENT


def test_after_the_last_attempt_a_message_is_marked_failed_and_no_longer_retried(
        app, session, smtp):
    admin = factories.user(Role.ADMIN)
    smtp.refused.add("gone@example.org")
    invited = _invite(admin, "gone@example.org")
    commit()
    note = _note(session, invited)
    for _ in range(MAX_ATTEMPTS - 1):
        _age(session, note)
        _sweep()
        note = _note(session, invited)

    assert note.attempts == MAX_ATTEMPTS
    assert note.status == NotificationStatus.FAILED
    assert "550" in note.error
    _age(session, note)
    assert _sweep() == 0
    assert smtp.messages == []


def test_one_refused_message_does_not_hold_back_the_rest_of_the_sweep(
        app, session, smtp, monkeypatch):
    server_port = app.config["MAIL_PORT"]
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # the server is down
    admin = factories.user(Role.ADMIN)
    refused = _invite(admin, "refused@example.org")
    waiting = _invite(admin, "waiting@example.org")
    commit()
    notes = [_note(session, refused), _note(session, waiting)]
    assert [n.status for n in notes] == [NotificationStatus.PENDING] * 2

    monkeypatch.setitem(app.config, "MAIL_PORT", server_port)  # back, refusing one address
    smtp.refused.add("refused@example.org")
    _age(session, *notes)
    assert _sweep() == 1

    assert [m["To"] for m in smtp.messages] == ["waiting@example.org"]
    assert _note(session, waiting).status == NotificationStatus.SENT
    still = _note(session, refused)
    assert still.status == NotificationStatus.PENDING and still.attempts == 2
    assert "550" in still.error


def _authenticating_server(box: Mailbox) -> tuple[Controller, int]:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login, auth_data.password) == (b"tracker", b"s3cret-relay")
        return AuthResult(success=ok, handled=False)

    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, auth_required=True,
                            auth_require_tls=False, authenticator=authenticator)
    controller.start()
    return controller, port


# A test server on localhost: TLS would only add a certificate to manage.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_the_mail_server_credentials_are_used_and_a_wrong_password_is_recorded(
        app, session, monkeypatch):
    box = Mailbox()
    controller, port = _authenticating_server(box)
    try:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        monkeypatch.setitem(app.config, "MAIL_USERNAME", "tracker")
        monkeypatch.setitem(app.config, "MAIL_PASSWORD", "wrong")
        admin = factories.user(Role.ADMIN)
        refused = _invite(admin, "first@example.org")
        commit()
        note = _note(session, refused)
        assert note.status == NotificationStatus.PENDING and "535" in note.error

        monkeypatch.setitem(app.config, "MAIL_PASSWORD", "s3cret-relay")
        accepted = _invite(admin, "second@example.org")
        commit()
    finally:
        controller.stop()
    assert _note(session, accepted).status == NotificationStatus.SENT
    assert [m["To"] for m in box.messages] == ["second@example.org"]


def test_a_message_delivered_twice_by_the_broker_is_sent_once(app, session, smtp):
    admin = factories.user(Role.ADMIN)
    invited = _invite(admin, "once@example.org")
    commit()
    note = _note(session, invited)
    assert note.status == NotificationStatus.SENT

    redelivered = app.extensions["celery"].tasks["tracker.tasks.send_notification"]
    assert redelivered.delay(note.id).get() == "sent"
    assert redelivered.delay(10 ** 9).get() == "skipped"  # a message deleted meanwhile

    assert [m["To"] for m in smtp.messages] == ["once@example.org"]
    assert _note(session, invited).attempts == 1
