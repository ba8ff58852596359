"""Personal API tokens: created and revoked by their holder, checked on every API request.

A token reads ``trk_<prefix>_<secret>``. The prefix is public (the account page lists
it); the secret is 32 random bytes, kept only as its SHA-256 hash. A secret that
random needs no slow password hash: nobody can guess it, whatever the hash's speed.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from tracker import audit, policy
from tracker.extensions import db
from tracker.models import ApiScope, ApiToken, User, utcnow
from tracker.services.errors import ServiceError

EXPIRY_DAYS = (30, 90, 365)
MAX_ACTIVE_TOKENS = 10
NAME_LENGTH = 80
# The last use is a hint for the account page: writing it on every request would turn
# each API call into a write of the token's row.
LAST_USE_PRECISION = timedelta(minutes=1)
_TOKEN = re.compile(r"trk_([0-9a-f]{8})_([A-Za-z0-9_-]{43})")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_prefix() -> str:
    while True:
        prefix = secrets.token_hex(4)
        if db.session.scalar(select(ApiToken.id).where(ApiToken.prefix == prefix)) is None:
            return prefix


def _active(query):
    return query.where(ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow())


def _checked_scopes(allowed: list[ApiScope], scopes) -> list[str]:
    wanted = {str(scope) for scope in scopes or ()}
    if not wanted:
        raise ServiceError(_l("Choose at least one scope."), field="scopes")
    if not wanted <= {scope.value for scope in allowed}:
        raise ServiceError(_l("Your role does not allow one of the scopes chosen."),
                           status=403, field="scopes")
    return [scope.value for scope in ApiScope if scope.value in wanted]


def create(actor: User, name: str, scopes, days: int) -> tuple[ApiToken, str]:
    """Create a token of the actor's; return it with the full token string, shown once."""
    allowed = policy.api_scopes_for(actor)
    if not allowed:
        raise ServiceError(_l("Your account may not use the API."), status=403)
    name = (name or "").strip()
    if not name:
        raise ServiceError(_l("Give the token a name."), field="name")
    if len(name) > NAME_LENGTH:
        raise ServiceError(_l("Use at most %(n)d characters.", n=NAME_LENGTH), field="name")
    chosen = _checked_scopes(allowed, scopes)
    if days not in EXPIRY_DAYS:
        raise ServiceError(_l("Choose one of the periods offered."), field="expires_in")
    # Two creations at once must not both pass the limit: they queue on the account's row.
    db.session.execute(select(User.id).where(User.id == actor.id).with_for_update())
    active = db.session.scalar(_active(select(func.count(ApiToken.id))
                                       .where(ApiToken.user_id == actor.id)))
    if active >= MAX_ACTIVE_TOKENS:
        raise ServiceError(_l("You already have %(n)d active tokens, the most allowed. "
                              "Revoke one you no longer use first.", n=MAX_ACTIVE_TOKENS),
                           status=409)
    prefix, secret = _new_prefix(), secrets.token_urlsafe(32)
    token = ApiToken(user_id=actor.id, name=name, prefix=prefix, secret_hash=_hash(secret),
                     scopes=chosen, expires_at=utcnow() + timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    audit.record(db.session, "api_token_create", "api_token", token.id,
                 {"owner_id": actor.id, "name": name, "prefix": prefix, "scopes": chosen,
                  "expires_at": audit.plain(token.expires_at)}, by=actor)
    return token, f"trk_{prefix}_{secret}"


def revoke(actor: User, token_id: int) -> ApiToken:
    """Revoke a token: the holder's own, or anyone's for an administrator (idempotent)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or not policy.can_manage_api_tokens(actor, token.user):
        raise ServiceError(_l("No such token."), status=404)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        token.revoked_by_id = actor.id
        db.session.flush()
        audit.record(db.session, "api_token_revoke", "api_token", token.id,
                     {"owner_id": token.user_id, "name": token.name, "prefix": token.prefix},
                     by=actor)
    return token


def tokens_of(owner: User) -> list[ApiToken]:
    """Return the owner's tokens, the newest first."""
    return list(db.session.execute(
        select(ApiToken).where(ApiToken.user_id == owner.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).scalars())


def authenticate(secret: str, address: str | None = None) -> ApiToken | None:
    """Return the live token a request presents, else None; note when and where it was used."""
    match = _TOKEN.fullmatch(secret or "")
    if match is None:
        return None
    prefix, raw = match.groups()
    token = db.session.execute(
        select(ApiToken).options(joinedload(ApiToken.user)).where(ApiToken.prefix == prefix)
    ).scalar_one_or_none()
    if token is None or not secrets.compare_digest(_hash(raw), token.secret_hash):
        return None
    now = utcnow()
    # A deactivated account is not authenticated for policy: it has no scope left.
    if token.state(now) != "active" or not policy.api_scopes_for(token.user):
        return None
    if token.last_used_at is None or token.last_used_at <= now - LAST_USE_PRECISION:
        token.last_used_at = now
        token.last_used_address = address[:45] if address else None
        db.session.flush()
    return token


def has_scope(token: ApiToken, scope: ApiScope | str) -> bool:
    """Whether the token carries the scope and its holder's role still allows it."""
    return (str(scope) in (token.scopes or [])
            and str(scope) in {s.value for s in policy.api_scopes_for(token.user)})


def record_use(token: ApiToken, method: str, path: str, status: int) -> None:
    """Add one authenticated API request to the audit trail (the caller commits)."""
    audit.record(db.session, "api_request", "api_token", token.id,
                 {"owner_id": token.user_id, "method": (method or "")[:10],
                  "path": (path or "")[:300], "status": int(status)}, by=token.user)
