"""Every message the tracker sent or tried to send: filter, read the error, send again."""

from __future__ import annotations

from flask import abort, flash, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, Form, SelectField, StringField, ValidationError
from wtforms.validators import Length, Optional

from tracker import policy
from tracker.models import Notification, NotificationKind, NotificationStatus
from tracker.services import notifications
from tracker.services.notifications import NotificationFilter
from tracker.web.access import require
from tracker.web.admin import bp
from tracker.web.admin.common import back_to, enum_choices, get_or_404, paginate
from tracker.web.admin.forms import ActionForm
from tracker.web.transaction import run


class NotificationFilterForm(Form):
    status = SelectField(_l("State"), default="")
    kind = SelectField(_l("Kind of message"), default="")
    recipient = StringField(_l("Recipient (name or e-mail contains)"),
                            validators=[Optional(), Length(max=254)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))


@bp.get("/notifications")
@require(policy.can_browse_notifications)
def notifications_log():
    form = NotificationFilterForm(request.args)
    form.status.choices = enum_choices("notification_status", NotificationStatus,
                                       blank=_("Any state"))
    form.kind.choices = enum_choices("notification_kind", NotificationKind,
                                     blank=_("Any kind"))
    status = 200
    filters = NotificationFilter()
    if form.validate():
        filters = NotificationFilter(
            status=NotificationStatus(form.status.data) if form.status.data else None,
            kind=NotificationKind(form.kind.data) if form.kind.data else None,
            recipient=form.recipient.data or None, date_from=form.date_from.data,
            date_to=form.date_to.data)
    elif request.args:
        status = 400
    timezone = str(get_timezone() or "UTC")
    page = paginate(notifications.all_notifications(filters, timezone))
    return render_template("admin/notifications/list.html", form=form, page=page,
                           timezone=timezone, action_form=ActionForm()), status


@bp.post("/notifications/<id:note_id>/resend")
@require(policy.can_browse_notifications)
def resend_notification(note_id: int):
    get_or_404(Notification, note_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    note, error = run(notifications.resend_notification, current_user, note_id)
    if error is not None:
        flash(str(error.message), "danger")
    else:
        flash(_("The message “%(subject)s” is queued to be sent again.", subject=note.subject),
              "success")
    return back_to(url_for("admin.notifications_log"))
