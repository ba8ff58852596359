"""Every permission decision and every visibility scope of the tracker.

Views, templates, the API and tasks ask these functions; nothing else decides.
Deny by default: a function answers True only for the cases it names.
"""

from __future__ import annotations

from sqlalchemy import Select, and_, or_

from tracker.models import (
    ApiScope,
    Assignment,
    Evidence,
    ProgressReport,
    Recommendation,
    ReportState,
    ReportVisibility,
    Role,
    Term,
    Vocabulary,
)


def _role(user) -> Role | None:
    # Flask-Login's is_authenticated is False for a deactivated account: it holds no rights.
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


def can_view_users(user) -> bool:
    """Whether the user may list accounts (office staff and administrators)."""
    return is_staff(user)


def can_view_reference_data(user) -> bool:
    """Whether the user may read the institution, mechanism and vocabulary screens."""
    return is_staff(user)


def grantable_roles(actor) -> list[Role]:
    """Return the roles the actor may give, in the order forms offer them."""
    return [role for role in (Role.FOCAL_POINT, Role.REVIEWER, Role.ADMIN)
            if can_grant_role(actor, role)]


def can_resend_invitation(actor, user) -> bool:
    """Whether the actor may send again the invitation of an account still without a password."""
    return (can_manage_user(actor, user) and user.password_hash is None
            and user.active)


def _published_report_clause():
    # Mirrors is_published_report: a report approved public about recommendations that are
    # all unpublished would otherwise reach the public through its evidence.
    return and_(
        ProgressReport.state == ReportState.APPROVED,
        ProgressReport.visibility == ReportVisibility.PUBLIC,
        ProgressReport.recommendations.any(Recommendation.is_published.is_(True)),
    )


def is_published_report(report: ProgressReport) -> bool:
    """Whether the public may read the report (approved public, on a published recommendation)."""
    return (report.state == ReportState.APPROVED
            and report.visibility == ReportVisibility.PUBLIC
            and any(rec.is_published for rec in report.recommendations))


def assignments_visible_to(user, query: Select) -> Select:
    """Limit an assignment query to what the user may read (public: active, published)."""
    if is_staff(user):
        return query
    return query.where(
        Assignment.active.is_(True),
        Assignment.recommendation.has(Recommendation.is_published.is_(True)),
    )


def terms_visible_to(user, query: Select) -> Select:
    """Limit a term query to what the user may read (others: terms of active vocabularies)."""
    if is_staff(user):
        return query
    return query.where(Term.vocabulary.has(Vocabulary.active.is_(True)))


def vocabularies_visible_to(user, query: Select) -> Select:
    """Limit a vocabulary query to what the user may read (others: active vocabularies)."""
    if is_staff(user):
        return query
    return query.where(Vocabulary.active.is_(True))


def progress_reports_visible_to(user, query: Select) -> Select:
    """Limit a progress-report query to what the user may read."""
    if is_staff(user):
        return query
    published = _published_report_clause()
    if can_use_institution_workspace(user):
        return query.where(or_(published, ProgressReport.institution_id == user.institution_id))
    return query.where(published)


def published_progress_reports(query: Select) -> Select:
    """Limit a progress-report query to what the public site shows (see is_published_report)."""
    return progress_reports_visible_to(None, query)


def published_evidence(query: Select) -> Select:
    """Limit an evidence query to what the public site shows: public items of published reports."""
    return query.where(
        Evidence.is_public.is_(True), Evidence.report.has(_published_report_clause()))


# --- The follow-up workflow -------------------------------------------------------------


def can_curate(user) -> bool:
    """Whether the user may create, edit, classify and publish recommendations and documents."""
    return is_staff(user)


def can_assign(user) -> bool:
    """Whether the user may assign recommendations to institutions."""
    return is_staff(user)


def can_assess(user) -> bool:
    """Whether the user may judge a recommendation's implementation status."""
    return is_staff(user)


def can_review_reports(user) -> bool:
    """Whether the user may approve or return submitted progress reports."""
    return is_staff(user)


def can_manage_office_actions(user) -> bool:
    """Whether the user may record and edit the office's own actions."""
    return is_staff(user)


def can_use_institution_workspace(user) -> bool:
    """Whether the user has an institution's workspace ("my institution")."""
    return is_focal_point(user) and user.institution_id is not None


def is_own_institution(user, institution_id: int | None) -> bool:
    """Whether the institution is the focal point's own."""
    return can_use_institution_workspace(user) and user.institution_id == institution_id


def can_view_report(user, report: ProgressReport) -> bool:
    """Whether the user may read this progress report (its own institution, staff, or public)."""
    if is_staff(user) or is_own_institution(user, report.institution_id):
        return True
    return is_published_report(report)


def can_write_reports(user) -> bool:
    """Whether the user may create progress reports (for their own institution)."""
    return can_use_institution_workspace(user)


def can_edit_report(user, report: ProgressReport) -> bool:
    """Whether the user may change or submit the report: their institution's, draft or returned."""
    return is_own_institution(user, report.institution_id) and report.state in (
        ReportState.DRAFT, ReportState.RETURNED)


def can_delete_report(user, report: ProgressReport) -> bool:
    """Whether the user may delete the report: their institution's, never submitted."""
    return (is_own_institution(user, report.institution_id)
            and report.state == ReportState.DRAFT and report.submitted_at is None)


def can_decide_report(user, report: ProgressReport) -> bool:
    """Whether the user may approve or return this report now (staff, submitted reports)."""
    return can_review_reports(user) and report.state == ReportState.SUBMITTED


def can_download_evidence(user, evidence: Evidence) -> bool:
    """Whether the user may open this evidence file or link."""
    report = evidence.report
    if is_staff(user) or is_own_institution(user, report.institution_id):
        return True
    return evidence.is_public and is_published_report(report)


def office_actions_visible_to(user, query: Select) -> Select:
    """Limit an office-action query to what the user may read (others: public ones)."""
    from tracker.models import OfficeAction

    if is_staff(user):
        return query
    return query.where(OfficeAction.is_public.is_(True))


# --- Messages ---------------------------------------------------------------------------


def own_notifications(user, query: Select) -> Select:
    """Limit a notification query to the messages addressed to the user."""
    from tracker.models import Notification

    if _role(user) is None:
        return query.where(False)
    return query.where(Notification.recipient_id == user.id)


def can_browse_notifications(user) -> bool:
    """Whether the user may browse every message the tracker sent or tried to send."""
    return is_staff(user)


def can_resend_notification(user, note) -> bool:
    """Whether the user may send again this message: staff, and only a failed one."""
    from tracker.models import NotificationStatus

    return can_browse_notifications(user) and note.status == NotificationStatus.FAILED


# --- Exports ----------------------------------------------------------------------------


def can_request_exports(user) -> bool:
    """Whether the user may ask for exports of the recommendations: office staff."""
    return is_staff(user)


def export_jobs_visible_to(user, query: Select) -> Select:
    """Limit an export-job query to the user's own jobs; administrators also see public ones.

    Public files are on the open-data page for everyone; only administrators, who may
    delete them, have them in their list of exports too.
    """
    from tracker.models import ReportJob

    if not is_staff(user):
        return query.where(False)
    if is_admin(user):
        return query.where(or_(ReportJob.requested_by_id == user.id, ReportJob.public.is_(True)))
    return query.where(ReportJob.requested_by_id == user.id)


def can_download_export(user, job) -> bool:
    """Whether the user may download a finished export: anyone a public one, else its owner."""
    from tracker.models import JobState

    if job.state != JobState.DONE or job.stored_file_id is None:
        return False
    if job.public:
        return True
    return is_staff(user) and job.requested_by_id == user.id


def can_delete_export(user, job) -> bool:
    """Whether the user may delete an export: its owner, or an administrator a public one."""
    if not is_staff(user):
        return False
    return job.requested_by_id == user.id or (job.public and is_admin(user))


# --- Imports ----------------------------------------------------------------------------


def can_import(user) -> bool:
    """Whether the user may import recommendations from a file: those who curate them."""
    return can_curate(user)


def can_view_imports(user) -> bool:
    """Whether the user may read the history of imports and their reports: office staff."""
    return is_staff(user)


def import_jobs_visible_to(user, query: Select) -> Select:
    """Limit an import-job query to what the user may see: every import, for office staff.

    Imports change the office's shared catalogue, so the whole office reads their history.
    """
    if not can_view_imports(user):
        return query.where(False)
    return query


def can_download_import(user, job) -> bool:
    """Whether the user may download the file an import kept: office staff."""
    return can_view_imports(user) and job.stored_file_id is not None


# --- API tokens -------------------------------------------------------------------------


def api_scopes_for(user) -> list[ApiScope]:
    """Return the API scopes the user's role allows, in the order forms offer them."""
    if _role(user) is None:
        return []
    allowed = {
        ApiScope.READ: True,
        ApiScope.REPORTS: can_write_reports(user),
        ApiScope.REVIEW: can_review_reports(user) and can_assess(user),
        ApiScope.JOBS: can_import(user) and can_request_exports(user),
    }
    return [scope for scope in ApiScope if allowed[scope]]


def can_manage_api_tokens(actor, owner) -> bool:
    """Whether the actor may see and revoke the owner's API tokens: their own, or an admin."""
    if _role(actor) is None or owner is None:
        return False
    return actor.id == owner.id or is_admin(actor)
