"""Neither sign-in nor "forgot password" tells by its timing whether an address has an account."""

from __future__ import annotations

import statistics
import time

import pytest

from tests import factories
from tracker.models import Role

ATTEMPTS = 7
# The gap was about 25 times; a generous ratio keeps a loaded machine from failing the test.
RATIO = 0.4


def _timed(client, url, data, address):
    start = time.perf_counter()
    response = client.post(url, data=data, environ_base={"REMOTE_ADDR": address})
    elapsed = time.perf_counter() - start
    return response, elapsed


@pytest.fixture
def no_waits(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ACCOUNT", 1000)
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ADDRESS", 1000)


def test_a_wrong_password_and_an_unknown_address_take_as_long(client, session, no_waits):
    user = factories.user(Role.REVIEWER)
    known, unknown = [], []
    for n in range(ATTEMPTS):
        response, elapsed = _timed(client, "/login", {"email": user.email,
                                                      "password": "not the password"}, "10.1.0.1")
        assert response.status_code == 401
        known.append(elapsed)
        response, elapsed = _timed(client, "/login", {"email": f"nobody{n}@example.org",
                                                      "password": "not the password"}, "10.1.0.1")
        assert response.status_code == 401
        unknown.append(elapsed)
    assert statistics.median(unknown) >= RATIO * statistics.median(known), (known, unknown)


def test_an_account_without_a_password_yet_takes_as_long_too(client, session, no_waits):
    user = factories.user(Role.REVIEWER)
    invited = factories.user(Role.REVIEWER, password_hash=None)
    known, pending = [], []
    for _ in range(ATTEMPTS):
        known.append(_timed(client, "/login", {"email": user.email,
                                               "password": "not the password"}, "10.1.0.2")[1])
        pending.append(_timed(client, "/login", {"email": invited.email,
                                                 "password": "not the password"}, "10.1.0.2")[1])
    assert statistics.median(pending) >= RATIO * statistics.median(known), (known, pending)


def test_forgot_password_takes_as_long_and_sends_after_the_answer(client, session, mailbox):
    attempts = 3 * ATTEMPTS  # each one is short: more of them steady the medians
    people = [factories.user(Role.REVIEWER) for _ in range(attempts)]
    times, pages = {True: [], False: []}, set()
    for n, person in enumerate(people):
        # Known first, then unknown first: whichever comes second runs a little faster.
        for known in (n % 2 == 0, n % 2 == 1):
            email = person.email if known else f"nobody{n}@example.org"
            # Each request from its own address: the page's own limit is not measured.
            response, elapsed = _timed(client, "/forgot", {"email": email},
                                       f"10.{2 + known}.0.{n}")
            assert response.status_code == 302
            times[known].append(elapsed)
            pages.add(response.get_data(as_text=True))
        # Nothing went out while the requester waited for the answer.
        assert mailbox.messages == []
    known, unknown = times[True], times[False]
    assert len(pages) == 1  # the same answer
    assert statistics.median(unknown) >= RATIO * statistics.median(known), (known, unknown)


def test_the_reset_link_goes_out_once_the_answer_has_gone(client, session, mailbox):
    user = factories.user(Role.REVIEWER)
    response = client.post("/forgot", data={"email": user.email})
    assert mailbox.messages == []
    response.close()  # what a server does once the answer is sent
    message = mailbox.last_to(user.email)
    assert "/reset/" in message.get_payload(decode=True).decode()
