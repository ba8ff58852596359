"""The API knows a caller by a personal token: a live one acts for its holder and every
use is in the audit trail; a dead one is refused, never taken for an anonymous request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.api_contract import openapi_document
from tracker.models import AuditEvent, Role, utcnow
from tracker.services import api_tokens

PATH = "/api/v1/recommendations"


@pytest.fixture
def focal(session):
    return factories.user(Role.FOCAL_POINT)


def _bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def _uses(session, token):
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.action == "api_request", AuditEvent.entity_id == str(token.id))))


def test_a_live_token_reads_privately_and_each_use_is_audited(client, session, focal):
    token, secret = api_tokens.create(focal, "Planning system", ["read"], 30)
    session.commit()

    response = client.get(PATH, headers=_bearer(secret))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    client.get(PATH + "?limit=1", headers=_bearer(secret))

    uses = _uses(session, token)
    assert [(u.changes["method"], u.changes["path"], u.changes["status"]) for u in uses] == [
        ("GET", PATH, 200), ("GET", PATH, 200)]
    assert {u.actor_id for u in uses} == {focal.id}


def test_anonymous_reads_stay_public_and_leave_no_trail(client, session):
    response = client.get(PATH)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert not session.scalars(select(AuditEvent).where(AuditEvent.action == "api_request")).all()


@pytest.mark.parametrize("header", [
    "Bearer trk_00000000_" + "A" * 43,  # well formed, unknown
    "Bearer not-a-token",
    "Basic dXNlcjpwYXNz",
    "Bearer",
])
def test_a_dead_or_malformed_credential_is_refused_with_a_problem(client, session, header):
    response = client.get(PATH, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_and_expired_tokens_are_refused_by_the_api(client, session, focal):
    revoked, revoked_secret = api_tokens.create(focal, "Old", ["read"], 30)
    api_tokens.revoke(focal, revoked.id)
    expired, expired_secret = api_tokens.create(focal, "Older", ["read"], 30)
    expired.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    for secret in (revoked_secret, expired_secret):
        assert client.get(PATH, headers=_bearer(secret)).status_code == 401
    assert _uses(session, revoked) == _uses(session, expired) == []


def test_the_refusal_speaks_the_callers_language(client, session):
    response = client.get(PATH + "?lang=es", headers=_bearer("nope"))
    assert response.json["title"] == "No autorizado"


def test_requests_with_a_token_count_against_the_token_not_the_address(app, client, session,
                                                                      focal, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "2/minute")
    _token, secret = api_tokens.create(focal, "Sync", ["read"], 30)
    session.commit()
    address = {"REMOTE_ADDR": "198.51.100.7"}
    for _ in range(2):
        assert client.get(PATH, environ_base=address).status_code == 200
    assert client.get(PATH, environ_base=address).status_code == 429
    # The same address with a token has a bucket of its own.
    response = client.get(PATH, environ_base=address, headers=_bearer(secret))
    assert response.status_code == 200
    assert response.headers["RateLimit-Remaining"] == "1"


def test_the_document_declares_bearer_tokens(client):
    schemes = openapi_document(client)["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer",
                                     "description": schemes["bearerAuth"]["description"]}
