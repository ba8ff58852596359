"""Failed sign-ins slow down the place they come from, never lock the account's owner out."""

from __future__ import annotations

import os
import time

import pytest

from tests import factories
from tests.conftest import choose_language
from tracker.models import AuditEvent, Role

REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL")


@pytest.fixture(autouse=True)
def _few_free_failures(app, monkeypatch):
    # Every failure costs a real password check: keep the runs short.
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ACCOUNT", 3)


def _try(client, email, password, address="203.0.113.7"):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def _fail(client, email, times, address="203.0.113.7"):
    for _ in range(times):
        assert _try(client, email, "not the password", address).status_code == 401


def test_failures_from_one_address_do_not_lock_the_owner_out_elsewhere(app, client, session):
    admin = factories.user(Role.ADMIN)
    _fail(client, admin.email, app.config["LOGIN_FAILURES_PER_ACCOUNT"], "203.0.113.7")
    # The guessing address waits, even with the right password ...
    assert _try(client, admin.email, factories.PASSWORD, "203.0.113.7").status_code == 429
    # ... while the owner, signing in from another address, gets in.
    assert _try(client, admin.email, factories.PASSWORD, "198.51.100.20").status_code == 302


def test_the_refusal_says_how_long_to_wait_in_the_users_language(app, client, session):
    user = factories.user(Role.REVIEWER)
    _fail(client, user.email, app.config["LOGIN_FAILURES_PER_ACCOUNT"])
    refused = _try(client, user.email, factories.PASSWORD)
    assert refused.status_code == 429
    assert 55 <= int(refused.headers["Retry-After"]) <= 60
    assert "Vuelva a intentarlo dentro de 1 minuto." in refused.get_data(as_text=True)
    choose_language(client, "en")
    english = _try(client, user.email, factories.PASSWORD).get_data(as_text=True)
    assert "Try again in 1 minute." in english


def test_the_wait_is_given_in_minutes_rounded_up(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FIRST_WAIT", 12 * 60)
    user = factories.user(Role.REVIEWER)
    choose_language(client, "en")
    _fail(client, user.email, app.config["LOGIN_FAILURES_PER_ACCOUNT"])
    refused = _try(client, user.email, factories.PASSWORD)
    assert "Try again in 12 minutes." in refused.get_data(as_text=True)


def test_each_further_failure_doubles_the_wait(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FIRST_WAIT", 1)
    user = factories.user(Role.REVIEWER)
    _fail(client, user.email, app.config["LOGIN_FAILURES_PER_ACCOUNT"])
    waits = []
    for n in range(3):
        if n:
            time.sleep(waits[-1] + 0.1)
            _fail(client, user.email, 1)
        refused = _try(client, user.email, "not the password")
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
    assert waits == [1, 2, 4]


def test_the_wait_has_a_ceiling(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FIRST_WAIT", 1)
    monkeypatch.setitem(app.config, "LOGIN_LONGEST_WAIT", 1)
    user = factories.user(Role.REVIEWER)
    _fail(client, user.email, app.config["LOGIN_FAILURES_PER_ACCOUNT"])
    time.sleep(1.1)
    _fail(client, user.email, 1)
    assert _try(client, user.email, "x" * 12).headers["Retry-After"] == "1"


def test_one_address_guessing_many_accounts_is_slowed_down(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ADDRESS", 6)
    for n in range(6):
        _fail(client, f"someone{n}@example.org", 1)
    user = factories.user(Role.REVIEWER)
    assert _try(client, user.email, factories.PASSWORD).status_code == 429
    assert _try(client, user.email, factories.PASSWORD, "198.51.100.20").status_code == 302


def test_signing_in_to_ones_own_account_does_not_reset_the_address_count(app, client, session,
                                                                        monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ADDRESS", 4)
    own = factories.user(Role.REVIEWER)
    for n in range(4):
        _fail(client, f"victim{n}@example.org", 1)
        if n < 3:
            assert _try(client, own.email, factories.PASSWORD).status_code == 302
            client.post("/logout", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert _try(client, "victim9@example.org", "guess").status_code == 429


def test_a_success_forgets_the_accounts_failures_from_that_address(app, client, session):
    user = factories.user(Role.REVIEWER)
    allowed = app.config["LOGIN_FAILURES_PER_ACCOUNT"]
    _fail(client, user.email, allowed - 1)
    assert _try(client, user.email, factories.PASSWORD).status_code == 302
    client.post("/logout", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    _fail(client, user.email, allowed - 1)
    assert _try(client, user.email, factories.PASSWORD).status_code == 302


def test_unknown_addresses_are_counted_like_real_ones(app, client, session):
    _fail(client, "nobody@example.org", app.config["LOGIN_FAILURES_PER_ACCOUNT"])
    assert _try(client, "nobody@example.org", "anything").status_code == 429


def test_the_start_of_a_wait_is_audited(app, client, session):
    user = factories.user(Role.REVIEWER)
    _fail(client, user.email, app.config["LOGIN_FAILURES_PER_ACCOUNT"])
    locked = session.query(AuditEvent).filter_by(action="login_locked").one()
    assert locked.changes == {"email": user.email, "scope": "account", "wait": 60}
    assert locked.source_address == "203.0.113.7"


@pytest.mark.redis
def test_the_counts_are_shared_by_every_web_process(app, client, session, monkeypatch):
    if not REDIS_URL:
        pytest.skip("TRACKER_TEST_REDIS_URL is not set")
    from limits.storage import storage_from_string

    from tracker.extensions import limiter

    # Each web process has a storage object of its own on the same Redis.
    first, second = storage_from_string(REDIS_URL), storage_from_string(REDIS_URL)
    first.reset()
    try:
        monkeypatch.setattr(limiter, "_storage", first)
        _fail(client, "shared@example.org", app.config["LOGIN_FAILURES_PER_ACCOUNT"])
        monkeypatch.setattr(limiter, "_storage", second)
        assert _try(client, "shared@example.org", "anything").status_code == 429
    finally:
        first.reset()
