"""Administration: users, institutions, mechanisms, vocabularies and the audit trail.

Admins change everything; reviewers read the reference data and the trail and manage
focal-point accounts. Each screen lives in its own module; importing them attaches
their routes to ``bp``.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template
from sqlalchemy import func, select

from tracker import policy
from tracker.extensions import db
from tracker.models import AuditEvent, Institution, Mechanism, Term, User, Vocabulary, utcnow
from tracker.web.access import require

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.context_processor
def _admin_helpers():
    # Templates ask the same policy functions the views do.
    return {"policy": policy}


def _count(query) -> int:
    return db.session.execute(query).scalar_one()


@bp.get("/")
@require(policy.can_view_admin)
def index():
    count_all = select(func.count())
    counts = {
        "users": _count(count_all.select_from(User).where(User.active.is_(True))),
        "pending": _count(count_all.select_from(User).where(
            User.password_hash.is_(None), User.active.is_(True))),
        "institutions": _count(count_all.select_from(Institution).where(
            Institution.active.is_(True))),
        "mechanisms": _count(count_all.select_from(Mechanism).where(Mechanism.active.is_(True))),
        "vocabularies": _count(count_all.select_from(Vocabulary).where(
            Vocabulary.active.is_(True))),
        "terms": _count(count_all.select_from(Term).where(Term.active.is_(True))),
        "audit_week": _count(count_all.select_from(AuditEvent).where(
            AuditEvent.at >= utcnow() - timedelta(days=7))),
    }
    return render_template("admin/index.html", counts=counts)


# The screens: imported last so that they find ``bp`` defined.
from tracker.web.admin import (  # noqa: E402
    audit_log,
    institutions,
    mechanisms,
    notifications,
    terms,
    users,
    vocabularies,
)

__all__ = ["audit_log", "bp", "institutions", "mechanisms", "notifications", "terms", "users",
           "vocabularies"]
