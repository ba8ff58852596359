"""Over HTTPS, directly or behind the configured proxies, cookies are Secure and HSTS is sent."""

from __future__ import annotations

import pytest

from tests import factories
from tracker import create_app
from tracker.models import Role


def _set_cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def _remembered(client, user, **kw):
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD,
                                           "remember": "y"}, **kw)
    assert response.status_code == 302
    return response


def test_https_sign_in_sets_secure_cookies_and_hsts(client, session):
    user = factories.user(Role.REVIEWER)
    response = _remembered(client, user, base_url="https://tracker.test")
    cookies = _set_cookies(response)
    assert "; Secure" in cookies["session"]
    assert "; Secure" in cookies["remember_token"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_https_sign_out_deletes_the_remember_cookie_as_secure(client, session):
    user = factories.user(Role.REVIEWER)
    _remembered(client, user, base_url="https://tracker.test")
    response = client.post("/logout", base_url="https://tracker.test")
    deleted = _set_cookies(response)["remember_token"]
    assert "Expires=Thu, 01 Jan 1970" in deleted and "; Secure" in deleted


def test_plain_http_outside_production_keeps_cookies_usable(client, session):
    user = factories.user(Role.REVIEWER)
    response = _remembered(client, user)
    cookies = _set_cookies(response)
    assert "Secure" not in cookies["session"] and "Secure" not in cookies["remember_token"]
    assert "Strict-Transport-Security" not in response.headers


def test_a_forwarded_scheme_is_ignored_without_a_configured_proxy(client):
    response = client.get("/language/en", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in _set_cookies(response)["session"]
    assert "Strict-Transport-Security" not in response.headers


@pytest.fixture
def proxied_app(app):
    proxied = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                          "SECRET_KEY": "test-secret", "PROXY_FIX_HOPS": 1,
                          "RATELIMIT_STORAGE_URI": "memory://"})
    yield proxied
    with proxied.app_context():
        from tracker.extensions import db

        db.engine.dispose()


def test_behind_a_configured_proxy_the_forwarded_scheme_decides(proxied_app):
    client = proxied_app.test_client()
    secure = client.get("/language/en", headers={"X-Forwarded-Proto": "https"})
    assert "; Secure" in _set_cookies(secure)["session"]
    assert "Strict-Transport-Security" in secure.headers
    plain = proxied_app.test_client().get("/language/en", headers={"X-Forwarded-Proto": "http"})
    assert "Secure" not in _set_cookies(plain)["session"]
    assert "Strict-Transport-Security" not in plain.headers
