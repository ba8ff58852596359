"""What the workspace and review views share: loading a report, running a service, errors."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from tracker import policy
from tracker.extensions import db
from tracker.ids import parse_id
from tracker.models import ProgressReport
from tracker.services.errors import ServiceError


def own_report_or_404(report_id: int) -> ProgressReport:
    """Load a report of the user's institution; any other answers 404, revealing nothing."""
    report = db.session.get(ProgressReport, report_id)
    if report is None or not policy.is_own_institution(current_user, report.institution_id):
        abort(404)
    return report


def parse_version(raw) -> int | None:
    """Return the version a form sent back, or None when it is missing or garbled."""
    # A row's version counts up from 1 in an INTEGER column, as ids do.
    return parse_id(raw)


def show_error(form, exc: ServiceError) -> bool:
    """Put a refusal's message on the field it names; return False when no field took it."""
    field = form._fields.get(exc.field) if exc.field else None
    if field is None:
        return False
    field.errors = [*field.errors, str(exc.message)]
    return True
