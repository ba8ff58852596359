"""Showing a service's refusal on the form that caused it."""

from __future__ import annotations

from tracker.services.errors import ServiceError


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
