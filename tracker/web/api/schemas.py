"""Marshmallow schemas of the API: what it reads from a query and what it answers.

Every input schema refuses fields it does not know, so that a misspelt parameter is an
error the caller sees rather than a filter silently not applied.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, fields, validate

from tracker.ids import MAX_ID

LANGUAGES = ("es", "en")
# Descriptions many fields share.
MARKDOWN = _l("Text in Markdown.")
THIS_ADDRESS = _l("This resource's address.")
NEXT_PAGE = _l("The next page's address (`null` on the last page).")


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE
        ordered = True


class LangQuery(StrictSchema):
    lang = fields.String(
        validate=validate.OneOf(LANGUAGES, error=_l("Must be one of: {choices}.")),
        metadata={"description": _l(
            "Language of names and labels (else Accept-Language, else Spanish).")})


def id_field(**kwargs) -> fields.Integer:
    return fields.Integer(validate=validate.Range(1, MAX_ID), **kwargs)


class ProblemField(Schema):
    field = fields.String(required=True)
    message = fields.String(required=True)


class Problem(Schema):
    """An RFC 9457 problem document."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    code = fields.String(required=True,
                         metadata={"description": _l("A stable machine code.")})
    instance = fields.String()
    errors = fields.List(fields.Nested(ProblemField))


class Named(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class Coded(Schema):
    code = fields.String(required=True)
    label = fields.String(required=True)


class MechanismOut(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    acronym = fields.String(required=True)
    family = fields.Nested(Coded, required=True)
    active = fields.Boolean(required=True)


class InstitutionOut(Schema):
    id = fields.Integer(required=True)
    acronym = fields.String(required=True)
    name = fields.String(required=True)
    branch = fields.Nested(Coded, required=True)
    parent_id = fields.Integer(allow_none=True, required=True)
    active = fields.Boolean(required=True)


class RoleCounts(Schema):
    lead = fields.Integer(required=True)
    support = fields.Integer(required=True)


class InstitutionSummary(Schema):
    id = fields.Integer(required=True)
    acronym = fields.String(required=True)
    name = fields.String(required=True)
    branch = fields.Nested(Coded, required=True)
    assignments = fields.Nested(RoleCounts, required=True, metadata={
        "description": _l("Assignments of published recommendations, by role.")})


class DocumentOut(Schema):
    id = fields.Integer(required=True)
    symbol = fields.String(required=True)
    title = fields.String(allow_none=True, required=True)
    date = fields.Date(allow_none=True, required=True)
    upr_cycle = fields.Integer(allow_none=True, required=True)
    session = fields.String(allow_none=True, required=True)
    url = fields.String(allow_none=True, required=True)
    mechanism = fields.Nested(Named, required=True)


class TermOut(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(allow_none=True, required=True)
    parent_id = fields.Integer(allow_none=True, required=True)


class VocabularyOut(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(allow_none=True, required=True)
    applies_to_recommendations = fields.Boolean(required=True)
    applies_to_actions = fields.Boolean(required=True)


class RecommendationSummary(Schema):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    paragraph = fields.String(allow_none=True, required=True)
    text = fields.String(required=True)
    language = fields.String(required=True)
    type = fields.Nested(Coded, required=True)
    upr_position = fields.Nested(Coded, allow_none=True, required=True)
    status = fields.Nested(Coded, required=True)
    document = fields.Nested(Named, required=True)
    mechanism = fields.Nested(Named, required=True)
    url = fields.String(required=True, metadata={"description": THIS_ADDRESS})


class FacetValueOut(Schema):
    value = fields.String(required=True)
    label = fields.String(required=True)
    count = fields.Integer(required=True)
    chosen = fields.Boolean(required=True)


class FacetOut(Schema):
    name = fields.String(required=True)
    values = fields.List(fields.Nested(FacetValueOut), required=True)
    hidden = fields.Integer(required=True, metadata={"description": _l("Values not listed.")})


class RecommendationList(Schema):
    total = fields.Integer(required=True)
    items = fields.List(fields.Nested(RecommendationSummary), required=True)
    next = fields.String(allow_none=True, required=True,
                         metadata={"description": NEXT_PAGE})
    facets = fields.List(fields.Nested(FacetOut),
                         metadata={"description": _l("Only with `facets=true`.")})


class LanguageVersion(Schema):
    language = fields.String(required=True)
    text = fields.String(required=True)
    source = fields.Nested(Coded, required=True)
    annotation_id = fields.String(allow_none=True, required=True)


class TermGroup(Schema):
    vocabulary = fields.String(required=True)
    name = fields.String(required=True)
    terms = fields.List(fields.Nested(Named), required=True)


class AssignedInstitution(Schema):
    id = fields.Integer(required=True)
    acronym = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.Nested(Coded, required=True)


class AssessmentOut(Schema):
    status = fields.Nested(Coded, required=True)
    assessed_at = fields.DateTime(required=True)
    source = fields.Nested(Coded, required=True)
    mechanism_grade = fields.String(allow_none=True, required=True)
    source_document = fields.String(allow_none=True, required=True)
    rationale = fields.String(required=True)


class EvidenceOut(Schema):
    label = fields.String(required=True)
    url = fields.String(allow_none=True, required=True)
    filename = fields.String(allow_none=True, required=True)


class ProgressReportOut(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True, metadata={"description": MARKDOWN})
    institution = fields.Nested(Named, required=True)
    measure_kind = fields.Nested(Coded, required=True)
    period_start = fields.Date(allow_none=True, required=True)
    period_end = fields.Date(allow_none=True, required=True)
    published_at = fields.DateTime(allow_none=True, required=True)
    evidence = fields.List(fields.Nested(EvidenceOut), required=True)


class OfficeActionOut(Schema):
    id = fields.Integer(required=True)
    kind = fields.Nested(Coded, required=True)
    title = fields.String(required=True)
    description = fields.String(required=True, metadata={"description": MARKDOWN})
    start_date = fields.Date(required=True)
    end_date = fields.Date(allow_none=True, required=True)
    terms = fields.List(fields.Nested(Named), required=True)
    institutions = fields.List(fields.Nested(Named), required=True)
    recommendation_ids = fields.List(fields.Integer(), metadata={
        "description": _l("The published recommendations it supports (in lists only).")})


class RecommendationOut(RecommendationSummary):
    version = fields.Integer(required=True, metadata={
        "description": _l("Changes with every change of the recommendation; an assessment "
                          "sends the version it rests on.")})
    follow_up = fields.Boolean(required=True)
    follow_up_due = fields.Date(allow_none=True, required=True)
    status_assessed_at = fields.DateTime(allow_none=True, required=True)
    recommending_states = fields.List(fields.String(), required=True)
    language_versions = fields.List(fields.Nested(LanguageVersion), required=True)
    terms = fields.List(fields.Nested(TermGroup), required=True)
    institutions = fields.List(fields.Nested(AssignedInstitution), required=True)
    status_history = fields.List(fields.Nested(AssessmentOut), required=True)
    progress_reports = fields.List(fields.Nested(ProgressReportOut), required=True)
    office_actions = fields.List(fields.Nested(OfficeActionOut), required=True)


def list_of(item: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({"total": fields.Integer(required=True),
                             "items": fields.List(fields.Nested(item), required=True)},
                            name=name)


MechanismList = list_of(MechanismOut, "MechanismList")
InstitutionList = list_of(InstitutionSummary, "InstitutionList")
VocabularyList = list_of(VocabularyOut, "VocabularyList")
TermList = list_of(TermOut, "TermList")
DocumentList = Schema.from_dict({
    "items": fields.List(fields.Nested(DocumentOut), required=True),
    "next": fields.String(allow_none=True, required=True)}, name="DocumentList")
