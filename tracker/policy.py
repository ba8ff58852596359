"""Every permission decision and every visibility scope of the tracker.

Views, templates, the API and tasks ask these functions; nothing else decides.
Deny by default: a function answers True only for the cases it names.
"""

from __future__ import annotations

from sqlalchemy import Select

from tracker.models import Recommendation, Role


def _role(user) -> Role | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.role


def is_staff(user) -> bool:
    """Whether the user is office staff (reviewer) or an administrator."""
    return _role(user) in (Role.REVIEWER, Role.ADMIN)


def recommendations_visible_to(user, query: Select) -> Select:
    """Limit a recommendation query to what the user may read."""
    if is_staff(user):
        return query
    return query.where(Recommendation.is_published.is_(True))


def can_view_recommendation(user, rec: Recommendation) -> bool:
    """Whether the user may read this recommendation's page."""
    return rec.is_published or is_staff(user)
