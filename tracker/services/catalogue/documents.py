"""What the public page of a source document shows: the document, its recommendations in
paragraph order and their statuses."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from tracker import policy
from tracker.exports.statistics import StatusCounts, count_by_status
from tracker.extensions import db
from tracker.ids import MAX_ID
from tracker.models import Document, Recommendation
from tracker.services import data_versions
from tracker.services.catalogue.listing import Page, paragraph_order

PER_PAGE = 100


def get_document(user, document_id: int) -> Document | None:
    """Load a document the user may read: one with a recommendation visible to them."""
    if not 0 < document_id <= MAX_ID:
        return None
    return db.session.scalar(
        select(Document)
        .where(Document.id == document_id,
               policy.recommendations_visible_to(
                   user, select(Recommendation.id)
                   .where(Recommendation.document_id == Document.id)).exists())
        .options(joinedload(Document.mechanism)))


def _ids(user, document_id: int):
    return policy.recommendations_visible_to(
        user, select(Recommendation.id).where(Recommendation.document_id == document_id))


def document_status(user, document_id: int) -> StatusCounts:
    """Count the document's recommendations the user may read, by status."""
    return data_versions.cached(
        data_versions.CATALOGUE, ("document", document_id, policy.is_staff(user)),
        lambda: count_by_status(_ids(user, document_id)))


def document_recommendations(user, document_id: int, total: int, page: int) -> Page:
    """Return one page of the document's visible recommendations in paragraph order."""
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    items = db.session.scalars(policy.recommendations_visible_to(
        user,
        select(Recommendation)
        .where(Recommendation.document_id == document_id)
        .options(selectinload(Recommendation.mechanism))
        .order_by(*paragraph_order(), Recommendation.reference, Recommendation.id)
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE))).all() if total else []
    return Page(items=list(items), total=total, page=page, per_page=PER_PAGE)
