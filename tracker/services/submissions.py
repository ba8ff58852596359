"""Acting once per sending of a form: a form sent twice is shown the first outcome.

Each state-changing form is drawn with a new random key. The sending that acts records
the key, with where it led, in the same transaction as its change: the key exists once
the change is committed, and not at all if it was refused. A repeat with the same key (a
double click, a retry after a timeout) cannot record it again and is sent where the
first sending led. Two sendings at the same moment meet on the key's unique index: on
PostgreSQL the second waits for the first to commit; on SQLite it is refused the write
lock at once, steps back, and tries again.
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, OperationalError

from tracker.extensions import db
from tracker.models import FormSubmission, User, utcnow

KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
# Long enough for any retry a person or a browser makes; the rows are then forgotten.
KEEP_FOR = timedelta(days=1)
# SQLite: how often a sending refused the write lock tries again, and how long it waits.
LOCKED_TRIES = 50
LOCKED_WAIT_S = 0.1


def new_submission_key() -> str:
    """Return a new key for one drawing of a form."""
    return secrets.token_urlsafe(24)


def claim_submission(actor: User, key: str | None) -> str | None:
    """Record a form's key for this sending; return where the first sending led, if any.

    A sending without a well-formed key (an older page, a script) is not tracked.
    """
    if not key or not KEY_PATTERN.fullmatch(key):
        return None
    for _attempt in range(LOCKED_TRIES):
        try:
            with db.session.begin_nested():
                db.session.add(FormSubmission(key=key, user_id=actor.id))
            return None
        except IntegrityError:
            return _earlier_location(actor, key)
        except OperationalError as exc:
            if "locked" not in str(exc.orig):
                raise
            # SQLite: another sending holds the write lock; ours must end its reads first.
            db.session.rollback()
            time.sleep(LOCKED_WAIT_S)
    raise TimeoutError("the database stayed locked")


def _earlier_location(actor: User, key: str) -> str:
    location = db.session.scalar(select(FormSubmission.location).where(
        FormSubmission.key == key, FormSubmission.user_id == actor.id))
    # Someone else's key was sent back: lead to nothing, do nothing.
    return location or "/"


def record_outcome(key: str | None, location: str) -> None:
    """Keep where the sending that claimed the key led, for its repeats."""
    if not key or not KEY_PATTERN.fullmatch(key):
        return
    submission = db.session.scalar(select(FormSubmission).where(FormSubmission.key == key))
    submission.location = location
    db.session.flush()


def forget_old_submissions() -> int:
    """Delete the keys older than KEEP_FOR; return how many went."""
    gone = db.session.execute(delete(FormSubmission).where(
        FormSubmission.created_at < utcnow() - KEEP_FOR)).rowcount
    db.session.flush()
    return gone
