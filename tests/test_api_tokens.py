"""Personal API tokens: created on the account page and shown once, stored hashed, narrowed
to the role's scopes, refused once revoked or expired or when the account is deactivated,
revoked by their holder or an administrator, and told in the audit trail."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import choose_language
from tracker import policy
from tracker.models import ApiScope, ApiToken, AuditEvent, Role, utcnow
from tracker.services import api_tokens
from tracker.services.errors import ServiceError

ADDRESS = "203.0.113.9"
TOKEN_SHAPE = re.compile(r"trk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")


def _text(response) -> str:
    body = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(body)).replace(" :", ":").strip()


def _create(client, name="Planning system", scopes=("read",), days="90"):
    return client.post("/account/api-tokens", data={
        "token-name": name, "token-scopes": list(scopes), "token-expires_in": days})


def _tokens(session, user) -> list[ApiToken]:
    return list(session.execute(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.id)).scalars())


@pytest.fixture
def focal(session):
    return factories.user(Role.FOCAL_POINT, name="Ana Enlace")


# --- creation, shown once -------------------------------------------------------------------

def test_a_new_token_is_shown_once_and_only_its_hash_is_kept(client, session, focal):
    factories.sign_in(client, focal)
    response = _create(client, scopes=("read", "reports"))
    assert response.status_code == 200
    secret = TOKEN_SHAPE.search(response.get_data(as_text=True)).group(0)
    assert "no se volverá a mostrar" in _text(response)
    assert response.headers["Cache-Control"] == "private, no-store"

    [token] = _tokens(session, focal)
    assert token.secret_hash != secret and token.secret_hash not in secret
    assert secret not in token.secret_hash
    assert (token.name, token.scopes) == ("Planning system", ["read", "reports"])
    assert secret.startswith(f"trk_{token.prefix}_")
    assert timedelta(days=89) < token.expires_at - utcnow() <= timedelta(days=90)

    account = client.get("/account").get_data(as_text=True)
    assert secret not in account  # never again
    assert f"trk_{token.prefix}_" in account and "Planning system" in account
    with client.session_transaction() as browser_session:
        assert secret not in repr(dict(browser_session))
    assert api_tokens.authenticate(secret, ADDRESS) == token


@pytest.mark.parametrize(("fields", "message"), [
    ({"name": ""}, "Este campo es obligatorio."),
    ({"name": "x" * 81}, "81"),
    ({"scopes": ()}, "Elija al menos un alcance."),
    ({"days": "7"}, None),
    ({"days": "never"}, None),
])
def test_a_token_form_with_mistakes_is_refused_and_nothing_saved(client, session, focal,
                                                                  fields, message):
    factories.sign_in(client, focal)
    response = _create(client, **fields)
    assert response.status_code == 400
    assert _tokens(session, focal) == []
    assert not TOKEN_SHAPE.search(response.get_data(as_text=True))
    if message == "81":
        assert "80" in _text(response)
    elif message:
        assert message in _text(response)


def test_the_form_offers_only_the_scopes_the_role_allows(client, session, focal):
    factories.sign_in(client, focal)
    page = client.get("/account").get_data(as_text=True)
    offered = set(re.findall(r'name="token-scopes"[^>]*value="(\w+)"', page))
    assert offered == {"read", "reports"}
    assert "<legend" in page and 'for="token-name"' in page

    reviewer_client = client.application.test_client()
    factories.sign_in(reviewer_client, factories.user(Role.REVIEWER))
    page = reviewer_client.get("/account").get_data(as_text=True)
    assert set(re.findall(r'name="token-scopes"[^>]*value="(\w+)"', page)) == {
        "read", "review", "jobs"}


def test_a_focal_point_cannot_get_the_review_scope(client, session, focal):
    factories.sign_in(client, focal)
    response = _create(client, scopes=("read", "review"))
    assert response.status_code == 403
    assert "Su rol no permite uno de los alcances elegidos." in _text(response)
    assert _tokens(session, focal) == []
    with pytest.raises(ServiceError):
        api_tokens.create(focal, "Sneaky", ["jobs"], 30)


def test_scopes_follow_the_role(session):
    admin, reviewer = factories.user(Role.ADMIN), factories.user(Role.REVIEWER)
    assert policy.api_scopes_for(factories.user(Role.FOCAL_POINT)) == [
        ApiScope.READ, ApiScope.REPORTS]
    assert policy.api_scopes_for(reviewer) == [ApiScope.READ, ApiScope.REVIEW, ApiScope.JOBS]
    assert policy.api_scopes_for(admin) == policy.api_scopes_for(reviewer)
    assert policy.api_scopes_for(factories.user(Role.REVIEWER, active=False)) == []
    assert policy.api_scopes_for(None) == []


def test_a_token_only_has_the_scopes_its_holder_still_has(session):
    reviewer = factories.user(Role.REVIEWER)
    token, _secret = api_tokens.create(reviewer, "Office script", ["read", "review"], 30)
    assert api_tokens.has_scope(token, ApiScope.REVIEW)
    assert not api_tokens.has_scope(token, ApiScope.JOBS)  # not chosen
    reviewer.role, reviewer.institution = Role.FOCAL_POINT, factories.institution()
    session.flush()
    assert not api_tokens.has_scope(token, ApiScope.REVIEW)  # the role no longer allows it
    assert api_tokens.has_scope(token, "read")


def test_at_most_ten_active_tokens(client, session, focal):
    for n in range(api_tokens.MAX_ACTIVE_TOKENS):
        api_tokens.create(focal, f"Token {n}", ["read"], 30)
    factories.sign_in(client, focal)
    response = _create(client, name="Eleventh")
    assert response.status_code == 409
    assert "Ya tiene 10 tokens activos, el máximo permitido." in _text(response)
    assert len(_tokens(session, focal)) == 10

    first = _tokens(session, focal)[0]
    first.expires_at = utcnow() - timedelta(seconds=1)  # an expired one no longer counts
    session.flush()
    assert _create(client, name="Eleventh").status_code == 200


# --- authentication -------------------------------------------------------------------------

def test_authenticate_accepts_a_valid_token_and_notes_where_it_was_used(session, focal):
    token, secret = api_tokens.create(focal, "Planning system", ["read"], 30)
    assert api_tokens.authenticate(secret, ADDRESS) == token
    assert token.last_used_address == ADDRESS
    assert token.last_used_at is not None


def test_the_last_use_is_written_at_most_once_a_minute(session, focal):
    token, secret = api_tokens.create(focal, "Planning system", ["read"], 30)
    recent = utcnow() - timedelta(seconds=30)
    token.last_used_at, token.last_used_address = recent, "198.51.100.1"
    session.flush()
    api_tokens.authenticate(secret, ADDRESS)
    assert (token.last_used_at, token.last_used_address) == (recent, "198.51.100.1")

    token.last_used_at = utcnow() - timedelta(minutes=2)
    session.flush()
    api_tokens.authenticate(secret, ADDRESS)
    assert token.last_used_at > recent and token.last_used_address == ADDRESS


def test_authenticate_refuses_wrong_and_malformed_tokens(session, focal):
    _token, secret = api_tokens.create(focal, "Planning system", ["read"], 30)
    prefix = secret.split("_")[1]
    wrong_secret = f"trk_{prefix}_{'A' * 43}"
    unknown_prefix = "trk_00000000_" + secret[13:]
    for presented in (wrong_secret, unknown_prefix, "", None, "trk_", secret + "x",
                      secret[:-1], f"Bearer {secret}", secret.upper(), "trk_" + "9" * 500,
                      secret.replace("trk_", "tok_")):
        assert api_tokens.authenticate(presented, ADDRESS) is None, presented


def test_revoked_and_expired_tokens_are_refused(session, focal):
    revoked, revoked_secret = api_tokens.create(focal, "Old script", ["read"], 30)
    api_tokens.revoke(focal, revoked.id)
    expired, expired_secret = api_tokens.create(focal, "Last year", ["read"], 30)
    expired.expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    assert api_tokens.authenticate(revoked_secret, ADDRESS) is None
    assert api_tokens.authenticate(expired_secret, ADDRESS) is None


def test_a_deactivated_account_tokens_stop_working_until_it_is_reactivated(client, session,
                                                                            focal):
    token, secret = api_tokens.create(focal, "Planning system", ["read"], 30)
    admin = factories.user(Role.ADMIN)
    factories.sign_in(client, admin)
    client.post(f"/admin/users/{focal.id}/active", data={"active": "0"})
    session.refresh(focal)
    assert focal.active is False
    assert api_tokens.authenticate(secret, ADDRESS) is None
    client.post(f"/admin/users/{focal.id}/active", data={"active": "1"})
    session.refresh(focal)
    assert api_tokens.authenticate(secret, ADDRESS) == token


# --- revocation -----------------------------------------------------------------------------

def test_the_holder_revokes_a_token_from_the_account_page(client, session, focal):
    token, secret = api_tokens.create(focal, "Planning system", ["read"], 30)
    factories.sign_in(client, focal)
    response = client.post(f"/account/api-tokens/{token.id}/revoke")
    assert response.status_code == 302 and response.location.endswith("/account")
    page = _text(client.get(response.location))
    assert "El token Planning system ha sido revocado: ya no funciona." in page
    assert "Revocado" in page
    session.refresh(token)
    assert token.revoked_by_id == focal.id
    assert api_tokens.authenticate(secret, ADDRESS) is None


def test_an_administrator_sees_and_revokes_a_users_tokens(client, session, focal):
    token, secret = api_tokens.create(focal, "Planning system", ["read"], 30)
    admin = factories.user(Role.ADMIN)
    factories.sign_in(client, admin)
    page = client.get(f"/admin/users/{focal.id}").get_data(as_text=True)
    assert "Planning system" in page and f"trk_{token.prefix}_" in page
    response = client.post(f"/account/api-tokens/{token.id}/revoke")
    assert response.status_code == 302
    assert response.location.endswith(f"/admin/users/{focal.id}")
    session.refresh(token)
    assert token.revoked_by_id == admin.id
    assert api_tokens.authenticate(secret, ADDRESS) is None


@pytest.mark.parametrize("role", [Role.FOCAL_POINT, Role.REVIEWER])
def test_nobody_else_revokes_or_sees_a_token(client, session, focal, role):
    token, secret = api_tokens.create(focal, "Planning system", ["read"], 30)
    other = factories.user(role)
    factories.sign_in(client, other)
    assert client.post(f"/account/api-tokens/{token.id}/revoke").status_code == 404
    session.refresh(token)
    assert token.revoked_at is None
    assert api_tokens.authenticate(secret, ADDRESS) == token
    if role == Role.REVIEWER:  # reviewers manage focal points, not their tokens
        page = client.get(f"/admin/users/{focal.id}").get_data(as_text=True)
        assert "Planning system" not in page
    assert client.post("/account/api-tokens/999999999/revoke").status_code == 404


# --- audit trail ----------------------------------------------------------------------------

def test_creation_revocation_and_use_read_as_sentences_in_both_languages(client, session,
                                                                         focal):
    factories.sign_in(client, focal)
    _create(client, scopes=("read", "reports"))
    [token] = _tokens(session, focal)
    label = f"Planning system (trk_{token.prefix})"
    client.post("/logout")
    factories.sign_in(client, factories.user(Role.ADMIN, name="Admin Uno"))
    api_tokens.record_use(token, "GET", "/api/v1/assignments", 200)
    client.post(f"/account/api-tokens/{token.id}/revoke")
    assert session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.entity_type == "api_token", AuditEvent.entity_id == str(token.id))) == 3

    choose_language(client, "es")
    page = _text(client.get(f"/admin/audit?entity_type=api_token&entity_id={token.id}"))
    assert f"Ana Enlace creó el token de API {label}" in page
    assert ("Alcances: Lectura: asignaciones e informes propios, Informes: redactar, "
            "actualizar, adjuntar evidencias, enviar") in page
    assert "Vence:" in page
    assert (f"Ana Enlace usó el token de API {label}: GET /api/v1/assignments, "
            "respuesta 200") in page
    assert f"Admin Uno revocó el token de API {label} de Ana Enlace" in page

    choose_language(client, "en")
    page = _text(client.get(f"/admin/audit?entity_type=api_token&entity_id={token.id}"))
    assert f"Ana Enlace created the API token {label}" in page
    assert "Scopes: Read: assignments and one's own reports, Reports:" in page
    assert (f"Ana Enlace used the API token {label}: GET /api/v1/assignments, "
            "answered 200") in page
    assert f"Admin Uno revoked the API token {label} of Ana Enlace" in page
    assert "secret_hash" not in page and token.secret_hash not in page


def test_the_holder_revoking_reads_without_naming_them_twice(client, session, focal):
    token, _secret = api_tokens.create(focal, "Planning system", ["read"], 30)
    api_tokens.revoke(focal, token.id)
    factories.sign_in(client, factories.user(Role.ADMIN))
    choose_language(client, "en")
    page = _text(client.get(f"/admin/audit?entity_type=api_token&entity_id={token.id}"))
    assert f"Ana Enlace revoked the API token Planning system (trk_{token.prefix})" in page
    assert "of Ana Enlace" not in page


# --- CSRF -----------------------------------------------------------------------------------

def test_token_forms_need_the_csrf_token(app, client, session, focal, monkeypatch):
    token, secret = api_tokens.create(focal, "Planning system", ["read"], 30)
    factories.sign_in(client, focal)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)

    assert _create(client, name="Forged").status_code == 400
    assert client.post(f"/account/api-tokens/{token.id}/revoke").status_code == 400
    session.refresh(token)
    assert token.revoked_at is None and len(_tokens(session, focal)) == 1

    page = client.get("/account").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    created = client.post("/account/api-tokens", data={
        "token-name": "Real", "token-scopes": "read", "token-expires_in": "30",
        "token-csrf_token": csrf})
    assert created.status_code == 200
    revoked = client.post(f"/account/api-tokens/{token.id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 302
    assert api_tokens.authenticate(secret, ADDRESS) is None
