"""What every administration view shares: running one service, errors on forms, menus."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, current_app, redirect, request
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from wtforms import SelectChoice

from tracker.extensions import db
from tracker.i18n import label
from tracker.models import Institution
from tracker.services.errors import ConflictError, ServiceError
from tracker.web.admin.forms import menu
from tracker.web.helpers import safe_next
from tracker.web.transaction import commit, rollback


def run(service: Callable, *args, **kwargs):
    """Call one service and commit; on refusal roll back and return the error instead.

    Returns ``(result, None)`` or ``(None, error)``.
    """
    try:
        result = service(*args, **kwargs)
        commit()
    except StaleDataError:  # saved by someone else between our check and our write
        rollback()
        return None, ConflictError()
    except ServiceError as exc:
        rollback()
        return None, exc
    return result, None


def show_error(form, exc: ServiceError) -> None:
    """Put a refusal's message on the field the service named, else on the whole form."""
    message = str(exc.message)
    field = form._fields.get(exc.field) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(message)


def status_of(form) -> int:
    """The status of a page showing a form: 400 when it was sent with mistakes."""
    return 400 if form.is_submitted() else 200


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
    page = request.args.get("page", 1, type=int)
    return db.paginate(query, page=max(page, 1), per_page=current_app.config["PAGE_SIZE"],
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
