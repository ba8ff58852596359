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


def is_admin(user) -> bool:
    """Whether the user administers the system."""
    return _role(user) == Role.ADMIN


def is_focal_point(user) -> bool:
    """Whether the user reports for a State institution."""
    return _role(user) == Role.FOCAL_POINT


def is_signed_in(user) -> bool:
    """Whether anyone is signed in."""
    return _role(user) is not None


def can_view_admin(user) -> bool:
    """Whether the user may open the administration screens (reviewers only read)."""
    return is_staff(user)


def can_edit_reference_data(user) -> bool:
    """Whether the user may change institutions, mechanisms and vocabularies."""
    return is_admin(user)


def can_invite(user) -> bool:
    """Whether the user may invite people (reviewers invite focal points only)."""
    return is_staff(user)


def can_grant_role(actor, role: Role) -> bool:
    """Whether the actor may give this role to someone."""
    if is_admin(actor):
        return True
    return is_staff(actor) and role == Role.FOCAL_POINT


def can_manage_user(actor, user) -> bool:
    """Whether the actor may change this account (role, institution, active flag)."""
    if is_admin(actor):
        return True
    return is_staff(actor) and user.role == Role.FOCAL_POINT


def can_view_audit(user) -> bool:
    """Whether the user may browse the audit trail."""
    return is_staff(user)


def can_view_user_email(viewer, user) -> bool:
    """Whether the viewer may see this person's e-mail address (never the public)."""
    return is_staff(viewer) or (is_signed_in(viewer) and viewer.id == user.id)
