"""Forms of the sign-in, invitation, reset and account pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length
from wtforms.widgets import CheckboxInput, ListWidget

from tracker.i18n import label
from tracker.services.api_tokens import EXPIRY_DAYS, NAME_LENGTH


# Sign-in and reset only look the address up: a format check there would add nothing
# but a way to tell addresses apart (and reserved demo domains such as .test).
class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])


class AccountForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    locale = SelectField(
        _l("Language"), choices=[SelectChoice("es", "Español"), SelectChoice("en", "English")]
    )
    digest_opt_out = BooleanField(_l("Do not send me the reminder digest e-mail"))


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])


class ApiTokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=NAME_LENGTH)],
                       description=_l("What it is for, e.g. the ministry's planning system."))
    # The service decides which scopes the role allows; the form only offers them.
    scopes = SelectMultipleField(_l("What it may do"), validate_choice=False,
                                 widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput())
    expires_in = SelectField(_l("Expires after"), coerce=int, default=90)

    def offer_choices(self, scopes) -> None:
        """Offer these scopes as the checkboxes, and the periods of validity."""
        self.scopes.choices = [(scope.value, label("api_scope", scope)) for scope in scopes]
        self.expires_in.choices = [(days, ngettext("%(num)d day", "%(num)d days", days))
                                   for days in EXPIRY_DAYS]
