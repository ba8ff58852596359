"""Curating recommendations and their documents by hand: create, edit, classify, publish.

For the mechanisms UHRI lacks (the Inter-American Commission and Court, special
procedures' communications) the office types them in; imported ones are corrected here.
Every row change reaches the audit trail through the flush listener.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from tracker import audit, policy
from tracker.extensions import db
from tracker.ids import parse_id
from tracker.models import (
    Country,
    Document,
    Mechanism,
    Recommendation,
    RecommendationType,
    Term,
    UprPosition,
)
from tracker.services.curation_queries import term_options
from tracker.services.errors import ServiceError, check_version, flush_or_conflict
from tracker.urls import split_url

LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")


@dataclass
class DocumentInput:
    mechanism_id: int | None
    symbol: str
    title: str | None = None
    date: date | None = None
    upr_cycle: int | None = None
    session: str | None = None
    url: str | None = None


@dataclass
class RecommendationInput:
    """A recommendation as typed: its document is an existing one (by symbol) or a new one."""

    document_symbol: str | None = None
    new_document: DocumentInput | None = None
    paragraph: str | None = None
    reference: str | None = None
    text: str = ""
    language: str = "en"
    # The text in other languages ({"es": ...}); an empty one removes that version.
    versions: dict[str, str | None] = field(default_factory=dict)
    type: RecommendationType | str = RecommendationType.RECOMMENDATION
    upr_position: UprPosition | str | None = None
    state_ids: list[int] = field(default_factory=list)
    follow_up: bool = False
    follow_up_due: date | None = None
    term_ids: list[int] = field(default_factory=list)


# --- shared checks -------------------------------------------------------------------------


def _allow(actor) -> None:
    if not policy.can_curate(actor):
        raise ServiceError(_l("Only office staff may curate recommendations."), status=403)


def _flush() -> None:
    flush_or_conflict(_l("This conflicts with a record saved meanwhile (a symbol or "
                              "reference already in use). Check the values and try again."))


def _text(value: str | None, field_name: str, max_len: int | None = None, *,
          required: bool = False) -> str | None:
    value = (value or "").strip()
    if required and not value:
        raise ServiceError(_l("This field is required."), field=field_name)
    if max_len and len(value) > max_len:
        raise ServiceError(_l("Use at most %(n)d characters.", n=max_len), field=field_name)
    return value or None


def _enum(enum_cls, value, field_name: str):
    try:
        return enum_cls(value)
    except ValueError as exc:
        raise ServiceError(_l("Choose one of the options."), field=field_name) from exc


def _web_address(value: str | None, field_name: str) -> str | None:
    value = _text(value, field_name, 500)
    if value is None:
        return None
    parts = split_url(value)
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ServiceError(_l("Give a web address starting with http:// or https://."),
                           field=field_name)
    return value


# --- documents -----------------------------------------------------------------------------


def _apply_document(doc: Document, data: DocumentInput, prefix: str = "") -> None:
    mechanism = db.session.get(Mechanism, data.mechanism_id) if data.mechanism_id else None
    if mechanism is None:
        raise ServiceError(_l("Choose the mechanism that issued the document."),
                           field=f"{prefix}mechanism_id")
    symbol = _text(data.symbol, f"{prefix}symbol", 128, required=True)
    clash = select(Document.id).where(Document.symbol == symbol)
    if doc.id is not None:
        clash = clash.where(Document.id != doc.id)
    if db.session.execute(clash).first():
        raise ServiceError(_l("A document with the symbol %(symbol)s already exists; choose it "
                              "as an existing document.", symbol=symbol),
                           status=409, field=f"{prefix}symbol")
    if data.upr_cycle is not None and not 1 <= data.upr_cycle <= 20:
        raise ServiceError(_l("A UPR cycle is a number from 1 to 20."), field=f"{prefix}upr_cycle")
    doc.mechanism_id = mechanism.id
    doc.symbol = symbol
    doc.title = _text(data.title, f"{prefix}title", 500)
    doc.date = data.date
    doc.upr_cycle = data.upr_cycle
    doc.session = _text(data.session, f"{prefix}session", 32)
    doc.url = _web_address(data.url, f"{prefix}url")


def create_document(actor, data: DocumentInput) -> Document:
    """Add a source document with a unique symbol."""
    _allow(actor)
    doc = Document()
    _apply_document(doc, data)
    db.session.add(doc)
    _flush()
    return doc


def update_document(actor, document_id: int, data: DocumentInput, version: int | None
                    ) -> Document:
    """Change a document, unless changed meanwhile; its recommendations follow its mechanism."""
    _allow(actor)
    doc = db.session.get(Document, document_id)
    if doc is None:
        raise ServiceError(_l("This document does not exist."), status=404)
    check_version(doc, version)
    old_mechanism = doc.mechanism_id
    _apply_document(doc, data)
    _flush()
    if doc.mechanism_id != old_mechanism:
        moved = db.session.execute(
            update(Recommendation).where(Recommendation.document_id == doc.id)
            .values(mechanism_id=doc.mechanism_id)).rowcount
        audit.record(db.session, "document_mechanism_moved", "document", doc.id,
                     {"mechanism_id": {"before": old_mechanism, "after": doc.mechanism_id},
                      "recommendations": moved})
    return doc


# --- recommendations -----------------------------------------------------------------------


def _document_for(data: RecommendationInput) -> Document:
    if data.new_document is not None:
        doc = Document()
        _apply_document(doc, data.new_document, prefix="doc_")
        db.session.add(doc)
        return doc
    symbol = _text(data.document_symbol, "document_symbol", 128)
    if symbol is None:
        raise ServiceError(_l("Give the symbol of an existing document, or create a new one."),
                           field="document_symbol")
    doc = db.session.scalar(select(Document).where(Document.symbol == symbol))
    if doc is None:
        raise ServiceError(_l("No document has the symbol %(symbol)s. Check it, or create a new "
                              "document.", symbol=symbol), field="document_symbol")
    return doc


def _terms(rec: Recommendation, term_ids: list[int]) -> list[Term]:
    wanted = {int(i) for i in term_ids}
    if not wanted:
        return []
    linked = {t.id: t for t in rec.terms} if rec.id is not None else {}
    offered = {t.id: t for _vocab, terms in term_options() for t in terms}
    unknown = wanted - linked.keys() - offered.keys()
    if unknown:
        raise ServiceError(_l("One of the chosen terms cannot be used (it was removed or "
                              "deactivated meanwhile)."), field="term_ids")
    return [linked.get(i) or offered[i] for i in sorted(wanted)]


def _states(state_ids: list[int]) -> list[Country]:
    wanted = {int(i) for i in state_ids}
    if not wanted:
        return []
    found = db.session.scalars(select(Country).where(Country.id.in_(wanted))).all()
    if len(found) != len(wanted):
        raise ServiceError(_l("One of the chosen States does not exist."), field="state_ids")
    return list(found)


def _apply_recommendation(rec: Recommendation, data: RecommendationInput) -> None:
    doc = _document_for(data)
    paragraph = _text(data.paragraph, "paragraph", 32)
    reference = _text(data.reference, "reference", 200)
    if reference is None:
        if paragraph is None:
            raise ServiceError(_l("Give the paragraph, or type a reference."), field="reference")
        reference = f"{doc.symbol} ¶{paragraph}"[:200]
    clash = select(Recommendation.id).where(Recommendation.reference == reference)
    if rec.id is not None:
        clash = clash.where(Recommendation.id != rec.id)
    if db.session.execute(clash).first():
        raise ServiceError(_l("The reference %(reference)s is already used by another "
                              "recommendation. Type a different reference or check the "
                              "paragraph.", reference=reference), status=409, field="reference")
    language = (data.language or "").strip()
    if not LANGUAGE_CODE.match(language):
        raise ServiceError(_l("Choose the language of the text."), field="language")
    if data.follow_up_due and not data.follow_up:
        raise ServiceError(_l("A follow-up due date needs the follow-up box ticked."),
                           field="follow_up_due")
    rec.terms = _terms(rec, data.term_ids)
    rec.recommending_states = _states(data.state_ids)
    rec.document = doc
    rec.mechanism_id = doc.mechanism_id
    rec.paragraph = paragraph
    rec.reference = reference
    _apply_texts(rec, language, _text(data.text, "text", required=True), data.versions)
    rec.type = _enum(RecommendationType, data.type, "type")
    rec.upr_position = (_enum(UprPosition, data.upr_position, "upr_position")
                        if data.upr_position else None)
    rec.follow_up = bool(data.follow_up)
    rec.follow_up_due = data.follow_up_due if data.follow_up else None


def _apply_texts(rec: Recommendation, language: str, text: str,
                 versions: dict[str, str | None]) -> None:
    """Set the original text and the versions in other languages typed beside it."""
    previous = rec.language if rec.id is not None else None
    rec.language = language
    if previous and previous != language and not (versions.get(previous) or "").strip():
        # The original was filed under the wrong language: its version moves, not stays.
        stale = rec.text_in(previous)
        if stale is not None:
            rec.texts.remove(stale)
    rec.set_text(language, text)
    for code, typed in versions.items():
        if code == language:
            continue  # the original is the text above
        if not LANGUAGE_CODE.match(code):
            raise ServiceError(_l("Choose the language of the text."), field="language")
        value = _text(typed, f"text_{code}")
        found = rec.text_in(code)
        if value:
            rec.set_text(code, value)
        elif found is not None:
            rec.texts.remove(found)


# What staff may change by hand that an import would also write, under the names the
# import reports them by; the document stands for the mechanism too, which follows it.
CURATED_COLUMNS = ("text", "language", "type", "upr_position", "paragraph", "document")


def _curated_values(rec: Recommendation) -> dict:
    values = {name: getattr(rec, name) for name in CURATED_COLUMNS}
    values.update({f"text_{version.language}": version.text for version in rec.texts
                   if version.language != rec.language})
    values["terms"] = {t.id for t in rec.terms}
    values["recommending_states"] = {c.id for c in rec.recommending_states}
    return values


def _mark_curated(rec: Recommendation, before: dict | None) -> None:
    """Add to the curated fields those the edit changed (all it filled, for a new one)."""
    after = _curated_values(rec)
    if before is not None:
        after.update({name: None for name in before if name not in after})
    changed = {name for name, value in after.items()
               if (value != before.get(name) if before is not None
                   else value not in (None, set()))}
    changed = {"document_id" if name == "document" else name for name in changed}
    if not changed <= set(rec.curated_fields or ()):
        rec.curated_fields = sorted(set(rec.curated_fields or ()) | changed)


def create_recommendation(actor, data: RecommendationInput) -> Recommendation:
    """Add a recommendation (unpublished) to an existing or a new document."""
    _allow(actor)
    rec = Recommendation(is_published=False, curated_fields=[])
    with db.session.no_autoflush:
        _apply_recommendation(rec, data)
        # Typed by staff: a later import of the same paragraph must not retype it.
        _mark_curated(rec, None)
    db.session.add(rec)
    _flush()
    return rec


def update_recommendation(actor, rec_id: int, data: RecommendationInput,
                          version: int | None) -> Recommendation:
    """Change a recommendation's text, document or classification, unless changed meanwhile."""
    _allow(actor)
    rec = get_recommendation(rec_id)
    check_version(rec, version)
    with db.session.no_autoflush:
        before = _curated_values(rec)
        _apply_recommendation(rec, data)
        _mark_curated(rec, before)
    _flush()
    return rec


def set_published(actor, rec_id: int, published: bool) -> Recommendation:
    """Publish a recommendation on the public site, or take it off."""
    _allow(actor)
    rec = get_recommendation(rec_id)
    rec.is_published = bool(published)
    _flush()
    return rec


def get_recommendation(rec_id: int) -> Recommendation:
    """Load a recommendation or refuse with 404."""
    rec = db.session.get(Recommendation, rec_id) if parse_id(rec_id) else None
    if rec is None:
        raise ServiceError(_l("This recommendation does not exist."), status=404)
    return rec
