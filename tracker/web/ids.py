"""The one way an id enters from the web: route converter, form fields and query arguments.

Each goes through ``tracker.ids``, so an id that is malformed or beyond what the database
holds is "not found" in a path, a form error in a form, and ignored in a query string; it
never reaches the database.
"""

from __future__ import annotations

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BaseConverter, ValidationError
from wtforms import IntegerField, SelectField, SelectMultipleField

from tracker.ids import MAX_ID, parse_id, parse_page

NOT_AN_OPTION = _l("Choose one of the options offered.")
OUT_OF_RANGE = _l("This number is out of range.")


class IdConverter(BaseConverter):
    """``<id:name>``: a record id in a path; anything else does not match (404)."""

    regex = rf"[1-9][0-9]{{0,{len(str(MAX_ID)) - 1}}}"
    weight = 50  # as werkzeug's int converter, so rules keep their order

    def to_python(self, value: str) -> int:
        found = parse_id(value)
        if found is None:
            raise ValidationError()
        return found

    def to_url(self, value) -> str:
        return str(int(value))


def register_id_converter(app: Flask) -> None:
    """Make ``<id:...>`` available to every rule; call before any blueprint is registered."""
    app.url_map.converters["id"] = IdConverter


def form_id(value) -> int | None:
    """Coerce a submitted value to an id; the empty choice is None, anything else a ValueError."""
    if value is None or value in ("", "None"):
        return None
    found = parse_id(value)
    if found is None:
        raise ValueError(value)
    return found


class IdField(SelectField):
    """One record chosen by its id (a menu, or a hidden input): empty is None."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("validate_choice", False)
        kwargs.setdefault("invalid_value_message", NOT_AN_OPTION)
        super().__init__(label, validators, coerce=form_id, **kwargs)
        self.type = "SelectField"  # Bootstrap-Flask styles fields by their type name

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)


class IdListField(SelectMultipleField):
    """Records chosen by their ids; empty values are dropped, malformed ones a form error."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("invalid_value_message", NOT_AN_OPTION)
        kwargs.setdefault("invalid_choice_message", lambda _count: str(NOT_AN_OPTION))
        super().__init__(label, validators, coerce=form_id, **kwargs)
        self.type = "SelectMultipleField"

    def process_formdata(self, valuelist):
        super().process_formdata([value for value in valuelist if value not in ("", None)])
        self.data = list(dict.fromkeys(self.data))

    def process_data(self, value):
        super().process_data(value)
        if self.data is not None:
            self.data = [item for item in self.data if item is not None]


class BoundedIntegerField(IntegerField):
    """A whole number that fits an INTEGER column (versions, cycles); beyond, a form error."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        # WTForms' NumberRange cannot even compare a number of hundreds of digits.
        if self.data is not None and not -MAX_ID - 1 <= self.data <= MAX_ID:
            self.data = None
            raise ValueError(OUT_OF_RANGE)


def arg_id(name: str) -> int | None:
    """Return the query argument ``name`` as a record id, or None when it is not one."""
    return parse_id(request.args.get(name))


def arg_page() -> int:
    """Return the ``page`` query argument as a page number (1 when missing or malformed)."""
    return parse_page(request.args.get("page"))
