"""Reference data: documents, mechanisms, institutions, vocabularies and their terms."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker import policy
from tracker.extensions import db
from tracker.models import Document, Institution, Mechanism, Recommendation, Term, Vocabulary
from tracker.services.catalogue import documents, institutions
from tracker.services.catalogue.listing import MAX_PER_PAGE
from tracker.web.api import schemas
from tracker.web.api.common import api_url, blueprint, coded, localized, named, reader
from tracker.web.api.problems import not_found

bp = blueprint("api_reference", "",
               _l("Documents, mechanisms, institutions, vocabularies and terms."))


class DocumentQuery(schemas.LangQuery):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_PER_PAGE))
    after = schemas.id_field(metadata={
        "description": _l("Resume after this document id (the `next` link carries it).")})


def mechanism(m: Mechanism) -> dict:
    return {"id": m.id, "code": m.code, "name": localized(m), "acronym": m.acronym,
            "family": coded("family", m.family), "active": m.active}


def document(d: Document) -> dict:
    return {"id": d.id, "symbol": d.symbol, "title": d.title, "date": d.date,
            "upr_cycle": d.upr_cycle, "session": d.session, "url": d.url,
            "mechanism": named(d.mechanism)}


def institution(i: Institution) -> dict:
    return {"id": i.id, "acronym": i.acronym, "name": localized(i),
            "branch": coded("branch", i.branch), "parent_id": i.parent_id, "active": i.active}


def _readable_documents():
    """Documents with at least one recommendation the reader may see."""
    return select(Document).where(policy.recommendations_visible_to(
        reader(), select(Recommendation.id)
        .where(Recommendation.document_id == Document.id)).exists())


@bp.read("/documents", schemas.DocumentList, query=DocumentQuery,
         summary=_l("List the source documents of published recommendations"),
         description=_l(
            "In id order; pages follow each other through the `next` link."))
def list_documents(limit: int, after: int | None = None, **_args):
    query = _readable_documents().options(joinedload(Document.mechanism)).order_by(Document.id)
    if after is not None:
        query = query.where(Document.id > after)
    found = db.session.scalars(query.limit(limit + 1)).all()
    items, more = found[:limit], len(found) > limit
    next_url = None
    if more:
        kept = {"lang": request.args["lang"]} if "lang" in request.args else {}
        next_url = api_url("api_reference.list_documents", limit=limit, after=items[-1].id, **kept)
    headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
    return {"items": [document(d) for d in items], "next": next_url}, 200, headers


@bp.read("/documents/<id:document_id>", schemas.DocumentOut, not_found=True,
         summary=_l("Read one source document"))
def get_document(document_id: int, **_args):
    found = documents.get_document(reader(), document_id)
    if found is None:
        raise not_found()
    return document(found)


@bp.read("/mechanisms", schemas.MechanismList, summary=_l("List the mechanisms"),
         description=_l(
            "Who issues recommendations: the UPR, treaty bodies, special procedures, "
            "regional bodies."))
def list_mechanisms(**_args):
    found = db.session.scalars(select(Mechanism).order_by(Mechanism.sort_order,
                                                          Mechanism.code)).all()
    return {"total": len(found), "items": [mechanism(m) for m in found]}


@bp.read("/institutions", schemas.InstitutionList, summary=_l("List the institutions"),
         description=_l(
            "The active institutions and those assigned published recommendations, the most "
            "assigned first (as the portal's index lists them)."))
def list_institutions(**_args):
    rows = institutions.list_institutions()
    return {"total": len(rows), "items": [
        {"id": r.id, "acronym": r.acronym, "name": r.name, "branch": coded("branch", r.branch),
         "assignments": {"lead": r.lead, "support": r.support}} for r in rows]}


@bp.read("/institutions/<id:institution_id>", schemas.InstitutionOut, not_found=True,
         summary=_l("Read one institution"))
def get_institution(institution_id: int, **_args):
    found = institutions.get_institution(institution_id)
    if found is None:
        raise not_found()
    return institution(found)


def _vocabularies():
    return policy.vocabularies_visible_to(reader(), select(Vocabulary))


@bp.read("/vocabularies", schemas.VocabularyList, summary=_l("List the vocabularies"),
         description=_l(
            "The classification schemes: themes, affected persons, SDGs, pillars and "
            "others."))
def list_vocabularies(**_args):
    found = db.session.scalars(_vocabularies().order_by(Vocabulary.sort_order,
                                                        Vocabulary.code)).all()
    return {"total": len(found), "items": [
        {"code": v.code, "name": localized(v), "description": localized(v, "description") or None,
         "applies_to_recommendations": v.applies_to_recommendations,
         "applies_to_actions": v.applies_to_actions} for v in found]}


@bp.read("/vocabularies/<vocabulary>/terms", schemas.TermList, not_found=True,
         summary=_l("List the terms of a vocabulary"))
def list_terms(vocabulary: str, **_args):
    # A code is short printable text: anything else names nothing (and PostgreSQL cannot
    # even compare text with a NUL in it).
    found = db.session.scalar(_vocabularies().where(Vocabulary.code == vocabulary)) if (
        len(vocabulary) <= 64 and vocabulary.isprintable()) else None
    if found is None:
        raise not_found()
    terms = db.session.scalars(
        select(Term).where(Term.vocabulary_id == found.id, Term.merged_into_id.is_(None))
        .order_by(Term.sort_order, Term.code)).all()
    return {"total": len(terms), "items": [
        {"id": t.id, "code": t.code, "name": localized(t),
         "description": localized(t, "description") or None, "parent_id": t.parent_id}
        for t in terms]}
