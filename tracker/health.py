"""Readiness checks of a deployment's services: database, migrations, broker, worker.

``/readyz`` and ``tracker doctor`` ask the same questions. Each answer's reason is a
fixed phrase of ours, never an exception's text, which may name a host or hold a URL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tracker.extensions import db

HEARTBEAT_KEY = "tracker:worker-heartbeat"
# The heartbeat outlives its maximum age, so that a stale one still says when it beat.
HEARTBEAT_KEEP_SECONDS = 24 * 3600
TIMEOUT_SECONDS = 2


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    reason: str
    ms: float = 0.0

    def as_json(self) -> dict:
        return {"status": "ok" if self.ok else "fail", "reason": self.reason,
                "ms": round(self.ms, 1)}


def timed(name: str, probe: Callable[[], tuple[bool, str]]) -> Check:
    """Run one probe and say how long it took; an unexpected error is a failure."""
    start = time.perf_counter()
    try:
        ok, reason = probe()
    except Exception as exc:  # noqa: BLE001 - any fault of the service is the answer
        ok, reason = False, f"error ({type(exc).__name__})"
    return Check(name, ok, reason, (time.perf_counter() - start) * 1000)


def broker_url() -> str | None:
    """Return the Redis broker's URL, or None when tasks run in-process."""
    url = current_app.config.get("CELERY_BROKER_URL")
    return url if url and url.startswith(("redis://", "rediss://", "unix://")) else None


def redis_client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=TIMEOUT_SECONDS,
                                socket_connect_timeout=TIMEOUT_SECONDS)


def probe_database() -> tuple[bool, str]:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        db.session.rollback()
        return False, f"unreachable ({type(exc).__name__})"
    return True, "reachable"


def code_heads(app: Flask) -> set[str]:
    """Return the migration heads shipped with the code (read once per process)."""
    heads = app.extensions.get("tracker_migration_heads")
    if heads is None:
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        cfg = Config()
        cfg.set_main_option("script_location", app.extensions["migrate"].directory)
        heads = app.extensions["tracker_migration_heads"] = set(
            ScriptDirectory.from_config(cfg).get_heads())
    return heads


def probe_migrations() -> tuple[bool, str]:
    # Read the table itself: alembic's MigrationContext logs at INFO each time it looks.
    try:
        with db.session.begin_nested():
            current = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except DBAPIError:
        current = set()  # no table: nothing was ever migrated
    expected = code_heads(current_app._get_current_object())
    if current == expected:
        return True, "at head"
    found = ", ".join(sorted(current)) or "none"
    return False, f"database at {found}, code at {', '.join(sorted(expected))}"


def probe_broker() -> tuple[bool, str]:
    url = broker_url()
    if url is None and current_app.config.get("CELERY_BROKER_URL"):
        return True, "not checked: only a Redis broker is"
    if url is None:
        return True, "not configured: tasks run in-process"
    try:
        redis_client(url).ping()
    except Exception as exc:  # noqa: BLE001
        return False, f"unreachable ({type(exc).__name__})"
    return True, "reachable"


def record_worker_heartbeat() -> None:
    """Write the time a worker was last seen taking work."""
    url = broker_url()
    if url is not None:
        redis_client(url).set(HEARTBEAT_KEY, f"{time.time():.3f}", ex=HEARTBEAT_KEEP_SECONDS)


def probe_worker() -> tuple[bool, str]:
    url = broker_url()
    if url is None:
        return True, ("not checked: the heartbeat is kept in Redis"
                      if current_app.config.get("CELERY_BROKER_URL") else "runs in-process")
    try:
        raw = redis_client(url).get(HEARTBEAT_KEY)
    except Exception as exc:  # noqa: BLE001
        return False, f"heartbeat unreadable ({type(exc).__name__})"
    if raw is None:
        return False, "no worker has been seen"
    age = time.time() - float(raw)
    limit = current_app.config["WORKER_HEARTBEAT_MAX_AGE"]
    if age > limit:
        return False, f"last seen {age:.0f} s ago (more than {limit} s)"
    return True, f"seen {max(age, 0):.0f} s ago"


def readiness() -> list[Check]:
    """Run every readiness check; the migrations are not asked of a database that is down."""
    checks = [timed("database", probe_database)]
    if checks[0].ok:
        checks.append(timed("migrations", probe_migrations))
    else:
        checks.append(Check("migrations", False, "database unreachable"))
    checks += [timed("broker", probe_broker), timed("worker", probe_worker)]
    return checks
