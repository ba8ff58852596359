"""Forms of the institution workspace: progress reports and their evidence."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from tracker.i18n import label
from tracker.models import MeasureKind
from tracker.services.evidence import ACCEPTED_EXTENSIONS
from tracker.services.reports import MAX_DESCRIPTION, MAX_TITLE, ReportInput
from tracker.web.ids import IdListField
from tracker.web.transaction import submission_key_field


def _visibility_choices() -> list[SelectChoice]:
    return [SelectChoice("private", _l("Private: only the office and my institution")),
            SelectChoice("public", _l("Public: shown on the public site once approved"))]


class ReportForm(FlaskForm):
    title = StringField(_l("Title"), validators=[
        DataRequired(message=_l("Give the report a title.")), Length(max=MAX_TITLE)])
    # Choices are checked by the service, which says clearly what was refused.
    recommendation_ids = IdListField(
        _l("Recommendations this report is about"), validate_choice=False,
        validators=[DataRequired(message=_l("Choose at least one recommendation."))])
    measure_kind = SelectField(_l("Kind of measure"), validators=[InputRequired()])
    period_start = DateField(_l("Period from"), validators=[Optional()])
    period_end = DateField(_l("Period to"), validators=[Optional()])
    description = TextAreaField(
        _l("What was done"),
        description=_l("Describe the measures, results and who benefited. You can use "
                       "Markdown: **bold**, *italics*, lists, links."),
        validators=[Length(max=MAX_DESCRIPTION)], render_kw={"rows": 10})
    version = HiddenField()
    submission_key = submission_key_field()

    def __init__(self, *args, recommendation_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.measure_kind.choices = [SelectChoice(kind.value, label("measure_kind", kind))
                                     for kind in MeasureKind]
        self.recommendation_ids.choices = list(recommendation_choices)

    def validate_period_end(self, field):
        start = self.period_start.data
        if field.data and start and field.data < start:
            raise ValidationError(_l("The period cannot end before it starts."))

    def to_input(self) -> ReportInput:
        """Return what the user typed as the service's input."""
        return ReportInput(
            title=self.title.data or "", description=self.description.data or "",
            period_start=self.period_start.data, period_end=self.period_end.data,
            measure_kind=self.measure_kind.data or MeasureKind.OTHER.value,
            recommendation_ids=list(self.recommendation_ids.data or []))


class EvidenceFileForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file to attach."))],
                     description=_l("PDF, Word, Excel, OpenDocument, JPEG or PNG."),
                     render_kw={"accept": ACCEPTED_EXTENSIONS})
    label = StringField(_l("Description (optional)"), validators=[Length(max=300)])
    visibility = RadioField(_l("Who may see it"), default="private",
                            validators=[InputRequired()])

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "file")
        super().__init__(*args, **kwargs)
        self.visibility.choices = _visibility_choices()


class EvidenceLinkForm(FlaskForm):
    url = URLField(_l("Web address"), validators=[DataRequired(), Length(max=1000)],
                   render_kw={"placeholder": "https://"})
    label = StringField(_l("Description (optional)"), validators=[Length(max=300)])
    visibility = RadioField(_l("Who may see it"), default="private",
                            validators=[InputRequired()])

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "link")
        super().__init__(*args, **kwargs)
        self.visibility.choices = _visibility_choices()


class ReportActionForm(FlaskForm):
    """A button that changes the report (submit, delete, remove evidence): CSRF and version."""

    version = HiddenField()
    submission_key = submission_key_field()
