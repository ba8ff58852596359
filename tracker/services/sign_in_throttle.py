"""Growing waits after failed sign-ins, per account and address, and per address.

Failures are counted per (account, source address) pair and per source address, never
per account alone: someone typing wrong passwords for the administrator from one place
delays that place, not the administrator signing in from elsewhere. The counts live in
the rate limiter's storage (Redis in the full stack), shared by every web process and
independent of the request's transaction, which a refused sign-in rolls back.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from flask import current_app

from tracker import audit, metrics
from tracker.extensions import db, limiter

# How long a run of failures is remembered after its first failure.
FAILURE_MEMORY = 24 * 3600


@dataclass(frozen=True)
class Scope:
    name: str
    key: str
    free: int


def _scopes(email: str, address: str | None) -> list[Scope]:
    cfg = current_app.config
    where = address or "-"
    return [Scope("account", f"signin:{email}|{where}", cfg["LOGIN_FAILURES_PER_ACCOUNT"]),
            Scope("address", f"signin:{where}", cfg["LOGIN_FAILURES_PER_ADDRESS"])]


def seconds_to_wait(email: str, address: str | None) -> int:
    """Return how long this account and address must wait before trying again (0: now)."""
    storage = limiter.storage
    waits = [storage.get_expiry(f"wait:{s.key}") - time.time()
             for s in _scopes(email, address) if storage.get(f"wait:{s.key}")]
    return max(1, math.ceil(max(waits))) if waits else 0


def record_failure(email: str, address: str | None) -> list[tuple[str, int]]:
    """Count a failed sign-in; audit and return the waits it starts as (scope, seconds)."""
    cfg = current_app.config
    storage = limiter.storage
    metrics.SIGN_IN_FAILURES.inc()
    started = []
    for scope in _scopes(email, address):
        failures = storage.incr(f"fail:{scope.key}", FAILURE_MEMORY)
        if failures < scope.free:
            continue
        # Each failure beyond the free ones doubles the wait, up to the longest.
        wait = min(cfg["LOGIN_FIRST_WAIT"] * 2 ** min(failures - scope.free, 32),
                   cfg["LOGIN_LONGEST_WAIT"])
        storage.clear(f"wait:{scope.key}")
        storage.incr(f"wait:{scope.key}", wait)
        started.append((scope.name, wait))
        audit.record(db.session, "login_locked", "app_user", None,
                     {"email": email[:254], "scope": scope.name, "wait": wait})
    return started


def record_success(email: str, address: str | None) -> None:
    """Forget the failures of this account from this address.

    The address's own count stays: signing in to one's own account between guesses at
    others must not reset it.
    """
    limiter.storage.clear(f"fail:{_scopes(email, address)[0].key}")
