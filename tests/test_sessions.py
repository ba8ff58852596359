"""Sign-out ends this device's session and remember cookie, and every copy of them."""

from __future__ import annotations

from datetime import timedelta

from tests import factories
from tests.conftest import login
from tracker.models import AuditEvent, Role, UserSession, utcnow

HOST = "tracker.test"


def _remembered(client, user):
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD,
                                           "remember": "y"})
    assert response.status_code == 302
    return response


def _cookie(client, name):
    cookie = client.get_cookie(name, domain=HOST)
    return cookie.value if cookie else None


def _device(app, agent="Test browser"):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = agent
    return client


def _signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def test_sign_out_with_keep_me_signed_in_signs_out(client, session):
    focal = factories.user(Role.FOCAL_POINT)
    _remembered(client, focal)
    assert client.get("/my-institution/").status_code == 200
    client.post("/logout")
    assert _cookie(client, "remember_token") is None
    workspace = client.get("/my-institution/")
    assert workspace.status_code == 302 and "/login" in workspace.headers["Location"]


def test_a_copied_session_cookie_is_refused_after_sign_out(app, client, session):
    user = factories.user(Role.ADMIN)
    login(client, user)
    copied = _cookie(client, "session")
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", copied, domain=HOST)
    assert not _signed_in(thief)


def test_a_copied_remember_cookie_is_refused_after_sign_out(app, client, session):
    user = factories.user(Role.ADMIN)
    _remembered(client, user)
    copied = _cookie(client, "remember_token")
    # The copy works while the device is signed in ...
    before = app.test_client()
    before.set_cookie("remember_token", copied, domain=HOST)
    assert _signed_in(before)
    client.post("/logout")
    # ... and not once it has signed out.
    thief = app.test_client()
    thief.set_cookie("remember_token", copied, domain=HOST)
    assert not _signed_in(thief)


def test_signing_out_one_device_leaves_the_others_signed_in(app, session):
    user = factories.user(Role.REVIEWER)
    laptop, phone = _device(app), _device(app)
    login(laptop, user)
    login(phone, user)
    laptop.post("/logout")
    assert not _signed_in(laptop)
    assert _signed_in(phone)


def test_sign_out_everywhere_ends_every_device(app, session):
    user = factories.user(Role.REVIEWER)
    laptop, phone = _device(app), _device(app)
    _remembered(laptop, user)
    login(phone, user)
    copied = _cookie(laptop, "remember_token")
    response = phone.post("/account/sign-out-everywhere", follow_redirects=True)
    assert "Ha cerrado la sesión en todos los dispositivos." in response.get_data(as_text=True)
    assert not _signed_in(phone)
    assert not _signed_in(laptop)
    thief = app.test_client()
    thief.set_cookie("remember_token", copied, domain=HOST)
    assert not _signed_in(thief)
    event = session.query(AuditEvent).filter_by(action="logout_everywhere").one()
    assert event.entity_id == str(user.id) and event.changes == {"sessions": 2}


def test_the_account_page_lists_the_devices_and_marks_this_one(app, session):
    user = factories.user(Role.REVIEWER)
    laptop = _device(app, agent="Firefox on the office laptop")
    phone = _device(app, agent="Chrome on a phone")
    login(laptop, user)
    login(phone, user)
    other = factories.user(Role.REVIEWER)
    login(_device(app, agent="Someone else's browser"), other)
    page = phone.get("/account").get_data(as_text=True)
    assert "Firefox on the office laptop" in page and "Chrome on a phone" in page
    assert "Someone else" not in page
    assert page.count("Este dispositivo") == 1
    mine = page.index("Chrome on a phone")
    assert page.index("Este dispositivo", mine) < page.index("</tr>", mine)
    laptop.post("/logout")
    assert "Firefox on the office laptop" not in phone.get("/account").get_data(as_text=True)


def test_last_seen_is_written_at_most_every_few_minutes(client, session):
    user = factories.user(Role.REVIEWER)
    login(client, user)
    record = session.query(UserSession).filter_by(user_id=user.id).one()
    stale = utcnow() - timedelta(minutes=10)
    record.last_seen_at = stale
    session.flush()
    assert _signed_in(client)
    session.refresh(record)
    seen = record.last_seen_at
    assert seen > stale + timedelta(minutes=9)
    assert _signed_in(client)
    session.refresh(record)
    assert record.last_seen_at == seen


def test_a_session_idle_past_its_lifetime_is_refused_by_the_server(app, client, session):
    user = factories.user(Role.REVIEWER)
    login(client, user)
    record = session.query(UserSession).filter_by(user_id=user.id).one()
    record.last_seen_at = utcnow() - app.config["PERMANENT_SESSION_LIFETIME"] - timedelta(
        hours=1)
    session.flush()
    assert not _signed_in(client)


def test_a_remember_cookie_outlives_the_session_only_for_its_term(app, client, session):
    user = factories.user(Role.REVIEWER)
    _remembered(client, user)
    copied = _cookie(client, "remember_token")
    record = session.query(UserSession).filter_by(user_id=user.id).one()
    record.last_seen_at = utcnow() - timedelta(days=2)
    session.flush()
    later = app.test_client()
    later.set_cookie("remember_token", copied, domain=HOST)
    assert _signed_in(later)
    record.created_at = utcnow() - app.config["REMEMBER_COOKIE_DURATION"] - timedelta(hours=1)
    record.last_seen_at = record.created_at
    session.flush()
    too_late = app.test_client()
    too_late.set_cookie("remember_token", copied, domain=HOST)
    assert not _signed_in(too_late)


def test_the_cookies_never_hold_the_stored_token(client, session):
    user = factories.user(Role.REVIEWER)
    _remembered(client, user)
    record = session.query(UserSession).filter_by(user_id=user.id).one()
    assert record.token_hash not in (_cookie(client, "remember_token") or "")


def test_records_no_cookie_can_name_any_more_are_dropped_at_the_next_sign_in(app, session):
    user = factories.user(Role.REVIEWER)
    login(app.test_client(), user)
    old = session.query(UserSession).filter_by(user_id=user.id).one()
    old.created_at = old.last_seen_at = utcnow() - timedelta(days=40)
    session.flush()
    login(app.test_client(), user)
    session.expire_all()
    records = session.query(UserSession).filter_by(user_id=user.id).all()
    assert len(records) == 1 and records[0].created_at > utcnow() - timedelta(hours=1)


def test_users_compare_by_account_whatever_device_they_came_from(app, session):
    from tracker.models import User

    user = factories.user(Role.REVIEWER)
    other = factories.user(Role.REVIEWER)
    assert user in [other, user] and other != user
    login(app.test_client(), user)
    assert session.get(User, user.id) == user
