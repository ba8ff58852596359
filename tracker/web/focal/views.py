"""Routes of the institution workspace: assigned recommendations and the report lists."""

from __future__ import annotations

from flask import abort, current_app, render_template, request
from flask_login import current_user

from tracker import policy
from tracker.models import ImplementationStatus, ReportState
from tracker.services import report_queries as queries
from tracker.web.access import require
from tracker.web.focal import bp
from tracker.web.ids import arg_page


@bp.get("/")
@require(policy.can_use_institution_workspace)
def home():
    filters = queries.parse_workspace_filters(request.args)
    result = queries.institution_assignments(
        current_user, filters, page=arg_page(),
        per_page=current_app.config.get("PAGE_SIZE", 25))
    returned = queries.institution_reports(current_user, ReportState.RETURNED, 1, 5)
    return render_template(
        "focal/home.html", filters=filters, result=result,
        due_counts=queries.due_counts(current_user),
        report_counts=queries.report_counts(current_user),
        returned=returned,
        mechanisms=queries.workspace_mechanisms(current_user),
        statuses=list(ImplementationStatus), due_states=queries.DUE_STATES,
        soon_days=queries.due_soon_days())


@bp.get("/reports")
@require(policy.can_use_institution_workspace)
def reports():
    raw = request.args.get("state") or ReportState.DRAFT.value
    try:
        state = ReportState(raw)
    except ValueError:
        abort(404)
    result = queries.institution_reports(
        current_user, state, page=arg_page(),
        per_page=current_app.config.get("PAGE_SIZE", 25))
    return render_template("focal/reports.html", state=state, result=result,
                           counts=queries.report_counts(current_user), states=list(ReportState))
