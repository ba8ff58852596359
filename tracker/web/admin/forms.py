"""Forms of the administration screens; choices that depend on the data are set by the views."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Form,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from tracker.models import Role
from tracker.web.ids import BoundedIntegerField, IdField


def menu(pairs, blank=None) -> list[SelectChoice]:
    """Menu options from (value, label) pairs, after an empty option labelled ``blank``."""
    options = [SelectChoice(str(value), label) for value, label in pairs]
    return [SelectChoice("", blank), *options] if blank is not None else options


LANGUAGES = [("es", "Español"), ("en", "English")]


def _version_field():
    return BoundedIntegerField(widget=HiddenInput(), validators=[Optional()])


# --- accounts ------------------------------------------------------------------------------

class _RoleAndInstitution:
    # The menu offers only the roles the actor may give, but any role is accepted here so
    # that the service, not the form, answers "you may not give this role" (403).
    role = SelectField(_l("Role"), coerce=Role, validate_choice=False,
                       validators=[DataRequired()])
    institution_id = IdField(_l("Institution"),
                             description=_l("Required for focal points; leave empty for "
                                            "other roles."))

    def validate_institution_id(self, field):
        if self.role.data == Role.FOCAL_POINT and not field.data:
            raise ValidationError(_l("Choose the institution this focal point reports for."))


class InviteForm(_RoleAndInstitution, FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    locale = SelectField(_l("Language of the account and its e-mails"), choices=menu(LANGUAGES))


class UserEditForm(_RoleAndInstitution, FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    version = _version_field()


class UserFilterForm(Form):
    q = StringField(_l("Name or e-mail contains"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), validate_choice=False)
    institution = IdField(_l("Institution"))
    status = SelectField(_l("Status"), choices=menu([
        ("active", _l("Active")), ("inactive", _l("Deactivated")),
        ("pending", _l("Invitation not yet accepted")),
    ], blank=_l("Any status")), default="")


class ActionForm(FlaskForm):
    """A button that changes something: the form is only its CSRF token."""


# --- reference data ------------------------------------------------------------------------

class _Names:
    name_es = StringField(_l("Name in Spanish"), validators=[DataRequired(), Length(max=255)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=255)])


class InstitutionForm(_Names, FlaskForm):
    acronym = StringField(_l("Acronym"), validators=[DataRequired(), Length(max=32)])
    branch = SelectField(_l("Branch"), validators=[DataRequired()])
    parent_id = IdField(_l("Part of"),
                        description=_l("The institution this one belongs to, if any."))
    version = _version_field()


class InstitutionFilterForm(Form):
    q = StringField(_l("Acronym or name contains"), validators=[Optional(), Length(max=200)])
    branch = SelectField(_l("Branch"), validate_choice=False)
    status = SelectField(_l("Status"), choices=menu([
        ("active", _l("Active")), ("inactive", _l("Deactivated")),
    ], blank=_l("Any status")), default="")


class MechanismForm(_Names, FlaskForm):
    code = StringField(_l("Code"), validators=[Optional(), Length(max=32)],
                       description=_l("A short, permanent identifier, e.g. CEDAW. It cannot be "
                                      "changed later."))
    family = SelectField(_l("Family"), validators=[DataRequired()])
    acronym_es = StringField(_l("Acronym in Spanish"), validators=[Optional(), Length(max=32)])
    acronym_en = StringField(_l("Acronym in English"), validators=[Optional(), Length(max=32)])
    active = BooleanField(_l("Active (offered when recording documents)"), default=True)
    version = _version_field()


class _Descriptions:
    description_es = TextAreaField(_l("Description in Spanish"),
                                   validators=[Optional(), Length(max=5000)])
    description_en = TextAreaField(_l("Description in English"),
                                   validators=[Optional(), Length(max=5000)])


class VocabularyForm(_Names, _Descriptions, FlaskForm):
    code = StringField(_l("Code"), validators=[Optional(), Length(max=64)],
                       description=_l("Lowercase letters, digits, '_', '.' and '-'; made from "
                                      "the English name when left empty. It cannot be changed "
                                      "later."))
    applies_to_recommendations = BooleanField(_l("Classifies recommendations"), default=True)
    applies_to_actions = BooleanField(_l("Classifies office actions"))
    active = BooleanField(_l("Active"), default=True)
    version = _version_field()


class TermForm(_Names, _Descriptions, FlaskForm):
    code = StringField(_l("Code"), validators=[Optional(), Length(max=128)],
                       description=_l("Made from the English name when left empty. It cannot be "
                                      "changed later."))
    parent_id = IdField(_l("Broader term"),
                        description=_l("Optional, e.g. the goal of an SDG target."))
    version = _version_field()


class MergeForm(FlaskForm):
    target_id = IdField(_l("Merge into"), validators=[DataRequired()])


# --- audit trail ---------------------------------------------------------------------------

class AuditFilterForm(Form):
    actor = StringField(_l("Who (name or e-mail contains)"),
                        validators=[Optional(), Length(max=254)])
    actor_id = IdField(widget=HiddenInput())
    entity_type = SelectField(_l("Kind of record"), validate_choice=False)
    entity_id = StringField(_l("Record number"), validators=[Optional(), Length(max=64)])
    action = SelectField(_l("Action"), validate_choice=False)
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))
