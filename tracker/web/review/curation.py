"""Curation: the staff list of recommendations, one recommendation's page, edit and publish.

Also the small form helpers every review view shares (versions, enum choices, buttons).
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from tracker import policy
from tracker.extensions import db
from tracker.i18n import label
from tracker.models import (
    Document,
    ImplementationStatus,
    Recommendation,
    RecommendationType,
    Term,
    UprPosition,
)
from tracker.services import assessments, assignments, curation, office_actions
from tracker.services import curation_queries as queries
from tracker.services.errors import ConflictError
from tracker.web.access import require
from tracker.web.form_errors import show_error, status_of
from tracker.web.helpers import language_name
from tracker.web.ids import BoundedIntegerField, IdField, IdListField, arg_id, arg_page
from tracker.web.review import bp
from tracker.web.transaction import run

LANGUAGES = ("es", "en", "fr", "pt")


# --- shared by the review views ------------------------------------------------------------


def set_version(form, version: int) -> None:
    """Make the form's hidden version the row's current one (what it renders, too)."""
    form.version.data = version
    form.version.raw_data = [str(version)]


def enum_choices(group: str, enum_cls, blank=None) -> list[SelectChoice]:
    """Menu choices for an enumeration, labelled in the user's language."""
    choices = [SelectChoice(m.value, label(group, m)) for m in enum_cls]
    return [SelectChoice("", blank), *choices] if blank is not None else choices


def version_field():
    return BoundedIntegerField(widget=HiddenInput(), validators=[Optional()])


class ButtonForm(FlaskForm):
    """A button that changes something: the CSRF token, the row's version, a value."""

    version = version_field()
    value = HiddenField()


# --- forms -----------------------------------------------------------------------------------


class DocumentForm(FlaskForm):
    mechanism_id = IdField(_l("Mechanism"))
    symbol = StringField(_l("Symbol"), validators=[DataRequired(), Length(max=128)],
                         description=_l("Unique, e.g. OEA/Ser.L/V/II. Doc. 42/15"))
    title = StringField(_l("Title"), validators=[Optional(), Length(max=500)])
    date = DateField(_l("Date"), validators=[Optional()])
    upr_cycle = BoundedIntegerField(_l("UPR cycle"), validators=[Optional(), NumberRange(1, 20)])
    session = StringField(_l("Session"), validators=[Optional(), Length(max=32)])
    url = URLField(_l("Web address"), validators=[Optional(), Length(max=500)])
    version = version_field()


class RecommendationForm(FlaskForm):
    document_mode = RadioField(_l("Document"), default="existing", choices=[
        SelectChoice("existing", _l("An existing document")),
        SelectChoice("new", _l("A new document"))])
    document_symbol = StringField(_l("Symbol of the existing document"),
                                  validators=[Optional(), Length(max=128)])
    doc_mechanism_id = IdField(_l("Mechanism"))
    doc_symbol = StringField(_l("Symbol"), validators=[Optional(), Length(max=128)],
                             description=_l("Unique, e.g. OEA/Ser.L/V/II. Doc. 42/15"))
    doc_title = StringField(_l("Title"), validators=[Optional(), Length(max=500)])
    doc_date = DateField(_l("Date"), validators=[Optional()])
    doc_upr_cycle = BoundedIntegerField(_l("UPR cycle"),
                                        validators=[Optional(), NumberRange(1, 20)])
    doc_session = StringField(_l("Session"), validators=[Optional(), Length(max=32)])
    doc_url = URLField(_l("Web address"), validators=[Optional(), Length(max=500)])
    paragraph = StringField(_l("Paragraph"), validators=[Optional(), Length(max=32)],
                            description=_l("e.g. 74.3 or 26(a)"))
    reference = StringField(_l("Reference"), validators=[Optional(), Length(max=200)],
                            description=_l("Unique. Left empty, it becomes "
                                           "“symbol ¶paragraph”."))
    text = TextAreaField(_l("Text in its original language"), validators=[DataRequired()],
                         render_kw={"rows": 6})
    language = SelectField(_l("Language of the text"))
    text_es = TextAreaField(_l("Text in Spanish"), validators=[Optional()],
                            render_kw={"rows": 4},
                            description=_l("Leave it empty when there is no Spanish version."))
    text_en = TextAreaField(_l("Text in English"), validators=[Optional()],
                            render_kw={"rows": 4},
                            description=_l("Leave it empty when there is no English version."))
    type = SelectField(_l("Type"))
    upr_position = SelectField(_l("UPR position"))
    state_ids = IdListField(_l("Recommending States"), render_kw={"size": 8},
                            description=_l("Hold Ctrl (⌘ on a Mac) to choose several."))
    follow_up = BooleanField(_l("Follow-up paragraph (the mechanism asks for information "
                                "within a deadline)"))
    follow_up_due = DateField(_l("Follow-up due date"), validators=[Optional()])
    term_ids = IdListField(_l("Classification"), validate_choice=False)
    version = version_field()


def _offer_document_choices(form, prefix: str = "") -> None:
    getattr(form, f"{prefix}mechanism_id").choices = [SelectChoice("", _("— choose —"))] + [
        SelectChoice(str(m.id), f"{m.acronym} · {m.name}") for m in queries.mechanism_options()]


def _offer_recommendation_choices(form, rec: Recommendation | None = None) -> list:
    _offer_document_choices(form, "doc_")
    codes = list(LANGUAGES)
    if rec is not None and rec.language not in codes:
        codes.append(rec.language)
    form.language.choices = [SelectChoice(c, language_name(c)) for c in codes]
    form.type.choices = enum_choices("type", RecommendationType)
    form.upr_position.choices = enum_choices("upr_position", UprPosition, _("— none —"))
    form.state_ids.choices = [SelectChoice(str(c.id), c.name)
                              for c in queries.country_options()]
    return queries.term_options(list(rec.terms) if rec is not None else None)


# The languages whose versions the form lets staff type beside the original.
VERSION_FIELDS = {"es": "text_es", "en": "text_en"}


def _fill_recommendation_form(form, rec: Recommendation) -> None:
    form.document_symbol.data = rec.document.symbol
    for code, name in VERSION_FIELDS.items():
        version = rec.text_in(code)
        getattr(form, name).data = version.text if version and code != rec.language else ""
    form.state_ids.data = [c.id for c in rec.recommending_states]
    form.term_ids.data = [t.id for t in rec.terms]


def _recommendation_input(form) -> curation.RecommendationInput:
    new_document = None
    if form.document_mode.data == "new":
        new_document = curation.DocumentInput(
            mechanism_id=form.doc_mechanism_id.data, symbol=form.doc_symbol.data,
            title=form.doc_title.data, date=form.doc_date.data,
            upr_cycle=form.doc_upr_cycle.data, session=form.doc_session.data,
            url=form.doc_url.data)
    return curation.RecommendationInput(
        document_symbol=form.document_symbol.data, new_document=new_document,
        paragraph=form.paragraph.data, reference=form.reference.data, text=form.text.data,
        language=form.language.data,
        versions={code: getattr(form, name).data for code, name in VERSION_FIELDS.items()},
        type=form.type.data,
        upr_position=form.upr_position.data or None, state_ids=form.state_ids.data or [],
        follow_up=form.follow_up.data, follow_up_due=form.follow_up_due.data,
        term_ids=form.term_ids.data or [])


def _typed_but_not_saved(sent, current) -> list[tuple[str, str]]:
    """The texts the user typed that differ from the saved version (shown after a conflict)."""
    return [(sent[name].label.text, sent[name].data) for name in
            ("paragraph", "reference", "text", "text_es", "text_en", "symbol", "title",
             "description")
            if name in sent._fields and (sent[name].data or "") != (current[name].data or "")]


# --- list ------------------------------------------------------------------------------------


def render_list(bulk_form=None, status: int = 200):
    """Draw the staff list of recommendations with its filters and bulk-assignment form."""
    from tracker.web.review.assignments import BulkAssignForm, offer_assignment_choices

    filters = queries.parse_filters(request.args)
    result = queries.search(current_user, filters, page=arg_page(),
                             per_page=current_app.config.get("PAGE_SIZE", 25))
    if bulk_form is None:
        bulk_form = BulkAssignForm(formdata=None)
        offer_assignment_choices(bulk_form)
    return render_template(
        "review/curation/list.html", filters=filters, result=result, bulk_form=bulk_form,
        mechanisms=queries.mechanism_options(), documents=queries.document_options(filters),
        institutions=queries.institution_options(), term_groups=queries.term_options(),
        statuses=list(ImplementationStatus)), status


@bp.get("/recommendations")
@require(policy.can_curate)
def recommendations():
    return render_list()


# --- one recommendation ----------------------------------------------------------------------


def load_recommendation(rec_id: int) -> Recommendation:
    rec = db.session.scalar(
        select(Recommendation).where(Recommendation.id == rec_id)
        .options(joinedload(Recommendation.document).joinedload(Document.mechanism),
                 selectinload(Recommendation.recommending_states),
                 selectinload(Recommendation.terms).joinedload(Term.vocabulary))
    )
    if rec is None:
        abort(404)
    return rec


def render_recommendation(rec_id: int, *, assign_form=None, assess_form=None,
                          status: int = 200):
    """Draw a recommendation's staff page; the forms given keep what the user typed."""
    from tracker.web.review.assessments import AssessForm, offer_assessment_choices
    from tracker.web.review.assignments import AssignForm, offer_assignment_choices

    rec = load_recommendation(rec_id)
    reports = assessments.reports_covering(current_user, rec.id)
    if assign_form is None:
        assign_form = AssignForm(formdata=None)
    offer_assignment_choices(assign_form)
    if assess_form is None:
        assess_form = AssessForm(formdata=None, status=rec.status.value)
        set_version(assess_form, rec.version)
    offer_assessment_choices(assess_form, reports)
    return render_template(
        "review/curation/detail.html", rec=rec, term_groups=queries.linked_terms(rec),
        assignments=assignments.assignments_of(current_user, rec.id),
        history=assessments.history(rec.id), reports=reports,
        actions=office_actions.actions_supporting(current_user, rec.id),
        assign_form=assign_form, assess_form=assess_form,
        report_endpoint=_report_endpoint()), status


def _report_endpoint() -> str | None:
    # The agreed name is review.report_detail; review.report is the queue's current one.
    return next((name for name in ("review.report_detail", "review.report")
                 if name in current_app.view_functions), None)


@bp.get("/recommendations/<id:rec_id>")
@require(policy.can_curate)
def recommendation_detail(rec_id: int):
    return render_recommendation(rec_id)


@bp.route("/recommendations/new", methods=["GET", "POST"])
@require(policy.can_curate)
def new_recommendation():
    form = RecommendationForm()
    term_groups = _offer_recommendation_choices(form)
    status = status_of(form)
    if not form.is_submitted():
        document_id = arg_id("document")
        doc = db.session.get(Document, document_id) if document_id else None
        form.document_symbol.data = doc.symbol if doc else None
        form.language.data = "es"
    if form.validate_on_submit():
        rec, error = run(curation.create_recommendation, current_user,
                         _recommendation_input(form))
        if error is None:
            flash(_("Recommendation %(ref)s has been created. It is not published yet.",
                    ref=rec.reference), "success")
            return redirect(url_for("review.recommendation_detail", rec_id=rec.id))
        show_error(form, error)
        status = error.status
    return render_template("review/curation/edit.html", form=form, rec=None,
                           term_groups=term_groups), status


@bp.route("/recommendations/<id:rec_id>/edit", methods=["GET", "POST"])
@require(policy.can_curate)
def edit_recommendation(rec_id: int):
    rec = load_recommendation(rec_id)
    form = RecommendationForm(obj=rec)
    term_groups = _offer_recommendation_choices(form, rec)
    if not form.is_submitted():
        _fill_recommendation_form(form, rec)
    if not form.validate_on_submit():
        return render_template("review/curation/edit.html", form=form, rec=rec,
                               term_groups=term_groups), status_of(form)
    _saved, error = run(curation.update_recommendation, current_user, rec.id,
                   _recommendation_input(form), form.version.data)
    if error is None:
        flash(_("Recommendation %(ref)s has been saved.", ref=rec.reference), "success")
        return redirect(url_for("review.recommendation_detail", rec_id=rec.id))
    unsaved = []
    if isinstance(error, ConflictError):
        sent, rec = form, load_recommendation(rec_id)
        form = RecommendationForm(formdata=None, obj=rec)
        term_groups = _offer_recommendation_choices(form, rec)
        _fill_recommendation_form(form, rec)
        unsaved = _typed_but_not_saved(sent, form)
    show_error(form, error)
    return render_template("review/curation/edit.html", form=form, rec=rec,
                           term_groups=term_groups, unsaved=unsaved), error.status


@bp.post("/recommendations/<id:rec_id>/publication")
@require(policy.can_curate)
def publish_recommendation(rec_id: int):
    form = ButtonForm()
    if not form.validate_on_submit() or form.value.data not in ("1", "0"):
        abort(400)
    publish = form.value.data == "1"
    rec, error = run(curation.set_published, current_user, rec_id, publish)
    if error is not None:
        if error.status == 404:
            abort(404)
        flash(str(error.message), "danger")
    elif publish:
        flash(_("Recommendation %(ref)s is now published on the public site.",
                ref=rec.reference), "success")
    else:
        flash(_("Recommendation %(ref)s is no longer on the public site.",
                ref=rec.reference), "success")
    return redirect(url_for("review.recommendation_detail", rec_id=rec_id))


@bp.route("/documents/<id:document_id>/edit", methods=["GET", "POST"])
@require(policy.can_curate)
def edit_document(document_id: int):
    doc = db.session.get(Document, document_id)
    if doc is None:
        abort(404)
    form = DocumentForm(obj=doc)
    _offer_document_choices(form)
    if not form.validate_on_submit():
        return render_template("review/curation/document.html", form=form, doc=doc
                               ), status_of(form)
    data = curation.DocumentInput(
        mechanism_id=form.mechanism_id.data, symbol=form.symbol.data, title=form.title.data,
        date=form.date.data, upr_cycle=form.upr_cycle.data, session=form.session.data,
        url=form.url.data)
    _saved, error = run(curation.update_document, current_user, doc.id, data, form.version.data)
    if error is None:
        flash(_("Document %(symbol)s has been saved.", symbol=data.symbol.strip()), "success")
        return redirect(url_for("review.recommendations", document=doc.id))
    unsaved = []
    if isinstance(error, ConflictError):
        sent, doc = form, db.session.get(Document, document_id)
        form = DocumentForm(formdata=None, obj=doc)
        _offer_document_choices(form)
        unsaved = _typed_but_not_saved(sent, form)
    show_error(form, error)
    return render_template("review/curation/document.html", form=form, doc=doc,
                           unsaved=unsaved), error.status
