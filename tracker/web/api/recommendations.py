"""Recommendations: the public list (the portal's filters, search and facets) and one record."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from tracker import policy
from tracker.ids import MAX_ID, parse_id
from tracker.models import (
    ImplementationStatus,
    MechanismFamily,
    RecommendationType,
    UprPosition,
)
from tracker.services import catalogue
from tracker.services.catalogue.listing import MAX_PER_PAGE, MAX_VALUES_PER_FILTER, SORTS
from tracker.web.api import schemas
from tracker.web.api.common import api_url, blueprint, coded, localized, named, reader
from tracker.web.api.problems import ApiProblem, not_found
from tracker.web.helpers import web_url

bp = blueprint("api_recommendations", "/recommendations",
               _l("Published recommendations: search, filter, page through, read one."))

DEFAULT_LIMIT = 25
ONE_OF = _l("Must be one of: {choices}.")


def _values(inner: fields.Field, description) -> fields.List:
    """A filter taking several values; ``description`` is a lazy text."""
    return fields.List(inner, validate=validate.Length(max=MAX_VALUES_PER_FILTER),
                       metadata={"description": description})


def _enum(enum) -> fields.String:
    return fields.String(validate=validate.OneOf([e.value for e in enum], error=ONE_OF))


class RecommendationQuery(schemas.LangQuery):
    """The public list's URL arguments, plus a cursor: a portal query string works here."""

    q = fields.String(validate=validate.Length(max=1000),
                      metadata={"description": _l("Full-text search.")})
    sort = fields.String(validate=validate.OneOf(SORTS, error=ONE_OF), metadata={
        "description": _l("`relevance` (the default with `q`), `date` (the default without) "
                          "or `reference`.")})
    family = _values(_enum(MechanismFamily), _l("Mechanism family."))
    mechanism = _values(schemas.id_field(), _l("Mechanism id."))
    document = _values(schemas.id_field(), _l("Document id."))
    cycle = _values(fields.Integer(validate=validate.Range(1, 99)), _l("UPR cycle."))
    year = _values(fields.Integer(validate=validate.Range(1, 9999)), _l("Year of the document."))
    position = _values(_enum(UprPosition), _l("UPR position."))
    state = _values(fields.String(validate=validate.Length(equal=2)),
                    _l("Recommending State (ISO 3166 alpha-2)."))
    theme = _values(schemas.id_field(), _l("Term id of the human-rights themes."))
    persons = _values(schemas.id_field(), _l("Term id of the affected persons."))
    sdg = _values(schemas.id_field(), _l("Term id of the SDG goals and targets."))
    pillar = _values(schemas.id_field(), _l("Term id of the OHCHR pillars."))
    institution = _values(schemas.id_field(), _l("Id of an assigned institution."))
    status = _values(_enum(ImplementationStatus), _l("Implementation status."))
    type = _values(_enum(RecommendationType), _l("Type of recommendation."))
    limit = fields.Integer(load_default=DEFAULT_LIMIT,
                           validate=validate.Range(1, MAX_PER_PAGE),
                           metadata={"description": _l("Items per page.")})
    cursor = fields.String(validate=validate.Length(max=200), metadata={
        "description": _l("Opaque: the `next` link of the previous page carries it.")})
    facets = fields.Boolean(load_default=False, metadata={
        "description": _l("Also count every facet's values (as the portal's filters do).")})


def _filters_digest(filters: catalogue.Filters) -> str:
    asked = json.dumps(filters.as_args(), sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(asked.encode()).hexdigest()[:12]


def _encode_cursor(filters: catalogue.Filters, page: catalogue.Slice) -> str:
    raw = json.dumps({"after": page.last_id, "offset": page.end,
                      "of": _filters_digest(filters)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, filters: catalogue.Filters) -> tuple[int | None, int]:
    """Return the id a page resumes after and the offset it falls back to."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        after, offset, digest = raw["after"], raw["offset"], raw["of"]
    except (ValueError, TypeError, KeyError, binascii.Error):
        raw = None
    if raw is None or digest != _filters_digest(filters) or parse_id(after) is None \
            or not isinstance(offset, int) or not 0 <= offset <= MAX_ID:
        raise ApiProblem("invalid-cursor", [{"field": "cursor", "message": _("Invalid cursor.")}])
    return after, offset


def _parse_filters() -> catalogue.Filters:
    filters, ignored = catalogue.parse_filters(reader(), request.args)
    if ignored:
        raise ApiProblem("unknown-filter-value", [
            {"field": item.name, "message": _("Unknown value: %(value)s", value=item.value)}
            for item in ignored])
    return filters


def summary(rec) -> dict:
    """A recommendation as lists show it."""
    return {
        "id": rec.id, "reference": rec.reference, "paragraph": rec.paragraph,
        "text": rec.text, "language": rec.language,
        "type": coded("type", rec.type), "upr_position": coded("upr_position", rec.upr_position),
        "status": coded("status", rec.status),
        "document": {"id": rec.document.id, "name": rec.document.symbol},
        "mechanism": named(rec.mechanism),
        "url": api_url("api_recommendations.get_recommendation", rec_id=rec.id),
    }


def _facet(facet: catalogue.Facet) -> dict:
    return {"name": facet.name, "hidden": facet.hidden,
            "values": [{"value": v.value, "label": v.label, "count": v.count,
                        "chosen": v.chosen} for v in facet.values]}


@bp.read("", schemas.RecommendationList, query=RecommendationQuery,
         summary=_l("List published recommendations"),
         description=_l(
            "The portal's filters and search; pages follow each other through the `next` "
            "link. A cursor resumes right after the last item of its page, wherever that "
            "item now sits, so a walk sees every recommendation that stays published "
            "exactly once. If that item was withdrawn meanwhile, the walk resumes at the "
            "same offset."))
def list_recommendations(limit: int, facets: bool, cursor: str | None = None, **_args):
    filters = _parse_filters()
    after, offset = _decode_cursor(cursor, filters) if cursor else (None, 0)
    page = catalogue.browse_after(reader(), filters, after, offset, limit, with_facets=facets)
    next_url = None
    if page.has_more and page.last_id is not None:
        kept = {k: v for k, v in (("lang", request.args.get("lang")),
                                  ("facets", "true" if facets else None)) if v}
        next_url = api_url("api_recommendations.list_recommendations", **filters.as_args(),
                           limit=limit, cursor=_encode_cursor(filters, page), **kept)
    body = {"total": page.total, "items": [summary(rec) for rec in page.items],
            "next": next_url}
    if facets:
        body["facets"] = [_facet(f) for f in page.facets]
    headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
    return body, 200, headers


def _evidence(item) -> dict:
    if item.stored_file is not None:
        return {"label": item.label or item.stored_file.filename,
                "url": api_url("api_evidence.download", evidence_id=item.id),
                "filename": item.stored_file.filename}
    return {"label": item.label or item.url or "", "url": web_url(item.url), "filename": None}


def _report(report, evidence: list) -> dict:
    return {
        "id": report.id, "title": report.title, "description": report.description,
        "institution": named(report.institution),
        "measure_kind": coded("measure_kind", report.measure_kind),
        "period_start": report.period_start, "period_end": report.period_end,
        "published_at": report.decided_at, "evidence": [_evidence(e) for e in evidence],
    }


def office_action(action, recommendation_ids: list[int] | None = None) -> dict:
    """A public office action as the API shows it."""
    found = {
        "id": action.id, "kind": coded("action_kind", action.kind), "title": action.title,
        "description": action.description, "start_date": action.start_date,
        "end_date": action.end_date, "terms": [named(t) for t in action.terms],
        "institutions": [named(i) for i in action.institutions],
    }
    if recommendation_ids is not None:
        found["recommendation_ids"] = recommendation_ids
    return found


@bp.read("/<id:rec_id>", schemas.RecommendationOut, not_found=True,
         summary=_l("Read one published recommendation"),
         description=_l(
            "Its language versions, terms, institutions, status history, public progress "
            "and the office's public actions."))
def get_recommendation(rec_id: int, **_args):
    user = reader()
    rec = catalogue.get_recommendation(rec_id)
    if rec is None or not policy.can_view_recommendation(user, rec):
        raise not_found()
    return record(user, rec)


_RECORD = schemas.RecommendationOut()


def public_record(rec) -> dict:
    """A published recommendation exactly as this API answers the public for it (in the
    current language): the bulk download's line."""
    return _RECORD.dump(record(None, rec))


def record(user, rec) -> dict:
    """A recommendation as ``GET /recommendations/<id>`` answers it, before its schema."""
    detail = catalogue.recommendation_detail(user, rec)
    return {
        **summary(rec), "version": rec.version,
        "follow_up": rec.follow_up, "follow_up_due": rec.follow_up_due,
        "status_assessed_at": rec.status_assessed_at,
        "recommending_states": [c.iso2 for c in rec.recommending_states],
        "language_versions": [
            {"language": t.language, "text": t.text, "source": coded("text_source", t.source),
             "annotation_id": t.annotation_id} for t in rec.texts],
        "terms": [{"vocabulary": vocab.code, "name": localized(vocab),
                   "terms": [named(t) for t in terms]}
                  for vocab, terms in detail.terms_by_vocabulary],
        "institutions": [{"id": a.institution.id, "acronym": a.institution.acronym,
                          "name": localized(a.institution), "role": coded("assignment_role",
                                                                          a.role)}
                         for a in detail.assignments],
        "status_history": [
            {"status": coded("status", a.status), "assessed_at": a.assessed_at,
             "source": coded("source", a.source), "mechanism_grade": a.mechanism_grade,
             "source_document": a.source_document, "rationale": a.rationale}
            for a in detail.assessments],
        "progress_reports": [_report(r, detail.evidence.get(r.id, [])) for r in detail.reports],
        "office_actions": [office_action(a) for a in detail.actions],
    }
