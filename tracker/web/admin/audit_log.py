"""The audit trail, read-only: filter, newest first, each event told as a sentence."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from tracker import policy
from tracker.services.audit_display import action_name
from tracker.services.audit_query import AuditFilter, audit_events, recorded_values
from tracker.services.audit_registry import noun
from tracker.services.audit_sentences import describe_events
from tracker.web.access import require
from tracker.web.admin import bp
from tracker.web.admin.common import paginate
from tracker.web.admin.forms import AuditFilterForm, menu


@bp.get("/audit")
@require(policy.can_view_audit)
def audit_trail():
    form = AuditFilterForm(request.args)
    types, actions = recorded_values()
    form.entity_type.choices = menu(sorted(((t, noun(t)) for t in types),
                                           key=lambda pair: pair[1].lower()),
                                    blank=_("Any kind"))
    form.action.choices = menu(sorted(((a, action_name(a)) for a in actions),
                                      key=lambda pair: pair[1].lower()),
                               blank=_("Any action"))
    status = 200
    filters = AuditFilter()
    if form.validate():
        filters = AuditFilter(
            actor=form.actor.data, actor_id=form.actor_id.data,
            entity_type=form.entity_type.data or None, entity_id=form.entity_id.data,
            action=form.action.data or None, date_from=form.date_from.data,
            date_to=form.date_to.data)
    elif request.args:
        status = 400
    timezone = str(get_timezone() or "UTC")
    page = paginate(audit_events(filters, timezone))
    return render_template("admin/audit/list.html", form=form, page=page, timezone=timezone,
                           events=describe_events(page.items, current_user)), status
