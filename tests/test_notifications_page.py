"""Messages in the app: the bell, one's own list, and the office's view with "send again"."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import choose_language
from tracker.extensions import db
from tracker.models import (
    AuditEvent,
    Notification,
    NotificationKind,
    NotificationStatus,
    Role,
    utcnow,
)


def _bell(html: str) -> str:
    """The account bar's link to the messages, as a screen reader would read it."""
    found = re.search(r'<a class="nav-link messages-bell.*?</a>', html, re.S)
    assert found, "no messages link in the account bar"
    return found.group(0)


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


@pytest.fixture
def focal(client):
    user = factories.user(Role.FOCAL_POINT, name="Marta Focal", email="marta@example.org")
    choose_language(client, "en")
    factories.sign_in(client, user)
    return user


@pytest.fixture
def reviewer(client):
    user = factories.user(Role.REVIEWER)
    choose_language(client, "en")
    factories.sign_in(client, user)
    return user


# --- the bell ---------------------------------------------------------------------------


def test_the_bell_counts_two_unread_messages_in_words(client, focal):
    factories.notification(focal)
    factories.notification(focal)
    factories.notification(focal, read_at=utcnow())
    factories.notification(factories.user(Role.REVIEWER))  # someone else's
    bell = _bell(_page(client, "/"))
    assert "2 unread messages" in bell
    assert ">2</span>" in bell
    assert 'href="/messages"' in bell


def test_the_bell_shows_no_count_when_nothing_is_unread(client, focal):
    factories.notification(focal, read_at=utcnow())
    bell = _bell(_page(client, "/"))
    assert "unread" not in bell
    assert "badge" not in bell
    assert "My messages" in bell


def test_the_bell_speaks_spanish(client, focal):
    factories.notification(focal)
    choose_language(client, "es")
    bell = _bell(_page(client, "/"))
    assert "1 mensaje sin leer" in bell
    assert "Mis mensajes" in bell


def test_no_bell_for_a_visitor(client):
    assert "messages-bell" not in _page(client, "/")


# --- one's own list ---------------------------------------------------------------------


def test_the_list_shows_only_ones_own_messages_newest_first_and_escaped(client, focal):
    factories.notification(focal, subject="Older message",
                           created_at=datetime(2024, 5, 1, 12, tzinfo=UTC))
    factories.notification(focal, subject="Newer message",
                           body="First line\n<script>alert(1)</script>\nLast line",
                           created_at=datetime(2024, 6, 1, 12, tzinfo=UTC))
    other = factories.user(Role.FOCAL_POINT, email="someone.else@example.org")
    factories.notification(other, subject="Not for Ana")
    html = _page(client, "/messages")
    assert html.index("Newer message") < html.index("Older message")
    assert "Not for Ana" not in html and "someone.else@example.org" not in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # The plain-text body keeps its line breaks.
    assert re.search(r'class="card-body pre-line">First line\n&lt;script&gt;', html)


def test_opening_the_list_marks_the_messages_read(client, focal):
    note = factories.notification(focal, subject="Your report was approved")
    db.session.commit()
    first = _page(client, "/messages")
    assert "Unread" in first
    assert "unread message" not in _bell(first)
    db.session.refresh(note)
    assert note.read_at is not None
    assert "Unread" not in _page(client, "/messages")
    assert "unread message" not in _bell(_page(client, "/"))


def test_the_list_shows_the_state_of_each_message(client, focal):
    factories.notification(focal, status=NotificationStatus.SENT)
    factories.notification(focal, status=NotificationStatus.FAILED)
    html = _page(client, "/messages")
    assert ">Sent<" in html and ">Failed<" in html


def test_the_list_is_paginated(app, client, focal, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    for n in range(3):
        factories.notification(focal, subject=f"Paged {n}",
                               created_at=datetime(2024, 6, 1 + n, tzinfo=UTC))
    first = _page(client, "/messages")
    assert "Paged 2" in first and "Paged 1" in first and "Paged 0" not in first
    assert "Paged 0" in _page(client, "/messages?page=2")
    # Only the messages shown were read.
    unread = db.session.execute(select(Notification.subject).where(
        Notification.read_at.is_(None))).scalars().all()
    assert unread == []


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get("/messages")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- the office's view ------------------------------------------------------------------


@pytest.fixture
def messages(session):
    ana = factories.user(Role.FOCAL_POINT, name="Ana Focal", email="ana.focal@example.org")
    luis = factories.user(Role.FOCAL_POINT, name="Luis Punto", email="luis@example.org")
    return {
        "sent": factories.notification(
            ana, subject="Digest for Ana", kind=NotificationKind.REMINDER_DIGEST,
            status=NotificationStatus.SENT, attempts=1,
            created_at=datetime(2024, 6, 1, 15, tzinfo=UTC),
            sent_at=datetime(2024, 6, 1, 15, 1, tzinfo=UTC)),
        # 03:00 UTC on 2 June is still 1 June in Tegucigalpa (UTC-6).
        "failed": factories.notification(
            luis, subject="Result for Luis", kind=NotificationKind.REVIEW_RESULT,
            status=NotificationStatus.FAILED, attempts=5,
            error="550 mailbox unavailable",
            created_at=datetime(2024, 6, 2, 3, tzinfo=UTC)),
        "pending": factories.notification(
            luis, subject="Invitation for Luis", kind=NotificationKind.INVITATION,
            created_at=datetime(2024, 6, 3, 15, tzinfo=UTC)),
    }


def _subjects(html: str) -> list[str]:
    return re.findall(r"<td>((?:Digest|Result|Invitation) for \w+)</td>", html)


def test_staff_see_every_message_with_state_attempts_and_error(client, reviewer, messages):
    html = _page(client, "/admin/notifications")
    assert _subjects(html) == ["Invitation for Luis", "Result for Luis", "Digest for Ana"]
    assert "550 mailbox unavailable" in html
    assert "luis@example.org" in html and "Ana Focal" in html
    for text in ("Reminder digest", "Review result", "Invitation", "Queued", "Sent", "Failed"):
        assert text in html
    # Only the failed one can be sent again.
    assert html.count("Send again") == 1
    assert f'/admin/notifications/{messages["failed"].id}/resend' in html


def test_the_staff_page_speaks_spanish(client, reviewer, messages):
    choose_language(client, "es")
    html = _page(client, "/admin/notifications")
    for text in ("Mensajes", "Resumen de recordatorios", "Resultado de la revisión", "En cola",
                 "Enviado", "Fallido", "Enviar de nuevo", "Tipo de mensaje"):
        assert text in html, text


@pytest.mark.parametrize(("query", "expected"), [
    ("status=failed", ["Result for Luis"]),
    ("status=sent", ["Digest for Ana"]),
    ("kind=invitation", ["Invitation for Luis"]),
    ("recipient=LUIS", ["Invitation for Luis", "Result for Luis"]),
    ("recipient=ana.focal%40", ["Digest for Ana"]),
    ("recipient=ana focal", ["Digest for Ana"]),
    ("date_from=2024-06-01&date_to=2024-06-01", ["Result for Luis", "Digest for Ana"]),
    ("date_from=2024-06-02", ["Invitation for Luis"]),
    ("status=pending&recipient=ana", []),
])
def test_the_filters_narrow_the_list(client, reviewer, messages, query, expected):
    assert _subjects(_page(client, f"/admin/notifications?{query}")) == expected


def test_a_filter_not_understood_is_refused(client, reviewer, messages):
    response = client.get("/admin/notifications?status=lost")
    assert response.status_code == 400
    response = client.get("/admin/notifications?date_from=2024-06-03&date_to=2024-06-01")
    assert response.status_code == 400
    assert "The end date is before the start date." in response.get_data(as_text=True)


def test_the_page_is_in_the_administration_menu(client, reviewer):
    html = _page(client, "/admin/")
    assert 'href="/admin/notifications"' in html


def test_send_again_delivers_a_failed_message(client, reviewer, messages, mailbox):
    note = messages["failed"]
    db.session.commit()
    response = client.post(f"/admin/notifications/{note.id}/resend",
                           data={"next": "/admin/notifications?status=failed"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/notifications?status=failed")
    message = mailbox.last_to("luis@example.org")
    assert message["Subject"] == "Result for Luis"
    db.session.expire_all()
    note = db.session.get(Notification, note.id)
    assert note.status == NotificationStatus.SENT
    assert note.sent_at is not None and note.error is None
    event = db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "notification_resent")).scalar_one()
    assert (event.entity_type, event.entity_id, event.actor_id) == (
        "notification", str(note.id), reviewer.id)
    html = _page(client, "/admin/notifications")
    assert "Send again" not in html
    assert "queued to be sent again" in html
    trail = _page(client, "/admin/audit")
    assert "Message sent again" in trail


def test_a_message_not_failed_is_not_sent_again(client, reviewer, messages, mailbox):
    note = messages["sent"]
    db.session.commit()
    response = client.post(f"/admin/notifications/{note.id}/resend", follow_redirects=True)
    assert "Only a message that failed can be sent again." in response.get_data(as_text=True)
    assert mailbox.messages == []
    assert db.session.get(Notification, note.id).attempts == 1


def test_send_again_of_a_missing_message_is_not_found(client, reviewer):
    assert client.post("/admin/notifications/999999/resend").status_code == 404


def test_a_focal_point_cannot_browse_nor_send_again(client, focal, messages, mailbox):
    note = messages["failed"]
    db.session.commit()
    assert client.get("/admin/notifications").status_code == 403
    assert client.post(f"/admin/notifications/{note.id}/resend").status_code == 403
    assert mailbox.messages == []
    db.session.expire_all()
    assert db.session.get(Notification, note.id).status == NotificationStatus.FAILED


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_kind_and_state_has_a_label_in_each_language(app, lang):
    from flask_babel import force_locale

    from tracker.i18n import label

    with app.test_request_context(), force_locale(lang):
        for group, values in (("notification_kind", NotificationKind),
                              ("notification_status", NotificationStatus)):
            for value in values:
                assert label(group, value) != value.value, (group, value)
