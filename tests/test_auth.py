"""Signing in and out, lockout, CSRF, deactivation, and the audit entries they leave."""

from __future__ import annotations

import re

from tests import factories
from tests.conftest import login
from tracker.models import AuditEvent, Role, User
from tracker.services import accounts


def _events(session, action, entity_id=None):
    query = session.query(AuditEvent).filter_by(action=action)
    if entity_id is not None:
        query = query.filter_by(entity_id=str(entity_id))
    return query.order_by(AuditEvent.id).all()


def test_sign_in_with_the_right_password_opens_a_session(client, session):
    user = factories.user(Role.REVIEWER)
    response = login(client, user)
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    assert _events(session, "login", user.id)
    assert session.get(User, user.id).last_login_at is not None


def test_e_mail_is_matched_without_regard_to_case(client):
    user = factories.user(Role.REVIEWER, email="Ana.Lopez@example.org".lower())
    response = client.post("/login", data={"email": "ANA.LOPEZ@example.org",
                                           "password": factories.PASSWORD})
    assert response.status_code == 302
    assert user.email in client.get("/account").get_data(as_text=True)  # signed in as Ana


def test_wrong_password_is_refused_with_401_and_audited(client, session):
    user = factories.user(Role.REVIEWER)
    response = login(client, user, "not the password at all")
    assert response.status_code == 401
    assert client.get("/account").status_code == 302  # still anonymous
    failed = _events(session, "login_failed", user.id)
    assert failed and failed[0].changes["email"] == user.email
    assert failed[0].source_address == "127.0.0.1"


def test_unknown_address_gets_the_same_answer_as_a_wrong_password(client):
    user = factories.user(Role.REVIEWER)
    wrong = login(client, user, "not the password at all").get_data(as_text=True)
    unknown = client.post("/login", data={"email": "nobody@example.org",
                                          "password": "whatever it is"})
    assert unknown.status_code == 401
    message = re.search(r'class="alert[^"]*"[^>]*>(.*?)<', wrong, re.S)
    assert message and message.group(1).strip() in unknown.get_data(as_text=True)


def test_deactivated_account_cannot_sign_in(client, session):
    user = factories.user(Role.FOCAL_POINT, active=False)
    response = login(client, user)
    assert response.status_code == 403
    assert client.get("/account").status_code == 302
    assert _events(session, "login_refused", user.id)


def test_sign_in_starts_a_new_session_and_keeps_the_language(client):
    user = factories.user(Role.REVIEWER)
    with client.session_transaction() as sess:
        sess["planted"] = "by someone else"
        sess["lang"] = "en"
    login(client, user)
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["lang"] == "en"


def test_remember_me_sets_a_bounded_persistent_cookie(client, app):
    user = factories.user(Role.REVIEWER)
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD,
                                "remember": "y"})
    cookie = client.get_cookie("remember_token", domain="tracker.test")
    assert cookie is not None and cookie.http_only
    assert cookie.expires is not None
    assert app.config["REMEMBER_COOKIE_DURATION"].days <= 30


def test_sign_out_needs_post_and_ends_the_session(client, session):
    user = factories.user(Role.REVIEWER)
    login(client, user)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/account").status_code == 302
    assert _events(session, "logout", user.id)


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, session, app):
    user = factories.user(Role.REVIEWER)
    allowed = app.config["LOGIN_FAILURES_PER_ACCOUNT"]
    for _ in range(allowed):
        assert login(client, user, "wrong password again").status_code == 401
    locked = login(client, user)
    assert locked.status_code == 429
    assert client.get("/account").status_code == 302
    assert _events(session, "login_locked")
    # Another account from the same address is not locked by this one's failures.
    other = factories.user(Role.REVIEWER)
    assert login(client, other).status_code == 302


def test_failures_from_one_address_are_limited_across_accounts(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ADDRESS", 3)
    users = [factories.user(Role.REVIEWER) for _ in range(4)]
    for u in users[:3]:
        assert login(client, u, "wrong password again").status_code == 401
    assert login(client, users[3]).status_code == 429


def test_a_form_without_csrf_token_is_rejected(client, csrf_enabled):
    user = factories.user(Role.REVIEWER)
    response = login(client, user)
    assert response.status_code == 400
    assert client.get("/account").status_code == 302


def test_a_form_with_its_csrf_token_is_accepted(client, csrf_enabled):
    user = factories.user(Role.REVIEWER)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302
    assert user.email in client.get("/account").get_data(as_text=True)  # signed in


def test_deactivation_ends_open_sessions(client, session):
    admin = factories.user(Role.ADMIN)
    focal = factories.user(Role.FOCAL_POINT)
    login(client, focal)
    assert client.get("/account").status_code == 200
    accounts.set_active(admin, focal.id, False)
    assert client.get("/account").status_code == 302
    event = _events(session, "update", focal.id)[-1]
    assert event.changes["active"] == {"before": True, "after": False}


def test_role_change_signs_the_user_out_everywhere(client, session):
    admin = factories.user(Role.ADMIN)
    reviewer = factories.user(Role.REVIEWER)
    login(client, reviewer)
    accounts.update_user(admin, reviewer.id, accounts.UserChange(
        name=reviewer.name, role=Role.ADMIN, institution_id=None, version=reviewer.version))
    assert client.get("/account").status_code == 302
    change = _events(session, "update", reviewer.id)[-1].changes
    assert change["role"] == {"before": "reviewer", "after": "admin"}
    assert change["session_token"] == {"before": "[redacted]", "after": "[changed]"}
    assert _events(session, "permission_change", reviewer.id)


def test_session_cookies_are_http_only_and_same_site(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_cookies_are_secure(tmp_path):
    from tracker.config import load_config

    cfg = load_config(str(tmp_path), {"TRACKER_ENV_NAME": "production"})
    assert cfg["SESSION_COOKIE_SECURE"] and cfg["REMEMBER_COOKIE_SECURE"]


def test_weak_passwords_are_refused_with_reasons():
    assert accounts.password_problems("short", "ana@example.org")
    assert accounts.password_problems("aaaaaaaaaaaaaaaa", "ana@example.org")
    assert accounts.password_problems("ana.lopez-is-great", "ana.lopez@example.org")
    assert accounts.password_problems("lantern river copper tide", "ana@example.org") == []


def test_passwords_are_stored_as_argon2_hashes(session):
    admin = accounts.create_admin("first@example.org", "First", "lantern river copper tide")
    assert admin.password_hash.startswith("$argon2id$")
    assert "lantern" not in admin.password_hash


def test_pages_carry_security_headers(client):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_signed_in_pages_are_never_cached(client):
    login(client, factories.user(Role.REVIEWER))
    assert "no-store" in client.get("/account").headers["Cache-Control"]


def test_no_page_carries_an_inline_script():
    from pathlib import Path

    for template in (Path(__file__).resolve().parent.parent / "templates").rglob("*.html"):
        text = template.read_text()
        assert "<script>" not in text and " onclick=" not in text, template
