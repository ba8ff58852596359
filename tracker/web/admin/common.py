"""What every administration view shares: running one service, errors on forms, menus."""

from __future__ import annotations

from flask import abort, current_app, redirect, request
from sqlalchemy import select
from wtforms import SelectChoice

from tracker.extensions import db
from tracker.i18n import label
from tracker.models import Institution
from tracker.web.admin.forms import menu
from tracker.web.helpers import safe_next
from tracker.web.ids import arg_page


def get_or_404(model, obj_id: int):
    obj = db.session.get(model, obj_id)
    if obj is None:
        abort(404)
    return obj


def wanted_state() -> bool:
    """Read the new state of an activate/deactivate button ('1' or '0')."""
    value = request.form.get("active")
    if value not in ("0", "1"):
        abort(400)
    return value == "1"


def back_to(fallback: str):
    """Redirect to the page the button was on (a ``next`` field), else to fallback."""
    return redirect(safe_next(request.form.get("next"), fallback))


def paginate(query):
    return db.paginate(query, page=arg_page(), per_page=current_app.config["PAGE_SIZE"],
                       error_out=False)


def enum_choices(group: str, enum_cls, blank: str | None = None) -> list[SelectChoice]:
    """Menu choices for an enumeration, labelled in the user's language."""
    return menu(((member.value, label(group, member)) for member in enum_cls), blank)


def institution_choices(blank: str, *, active_only: bool = True,
                        exclude: set[int] | frozenset[int] = frozenset()) -> list:
    """Menu choices of institutions, by acronym: 'SEDH · Secretaría ...'."""
    query = select(Institution).order_by(Institution.acronym)
    if active_only:
        query = query.where(Institution.active.is_(True))
    rows = db.session.execute(query).scalars()
    return menu(((inst.id, f"{inst.acronym} · {inst.name}")
                 for inst in rows if inst.id not in exclude), blank)
