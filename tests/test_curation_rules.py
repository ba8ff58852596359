"""Curating by hand: what the office types is checked, and a refusal names the field."""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from tests import factories as f
from tracker.models import Document, Recommendation, Role
from tracker.services import curation
from tracker.services.errors import ServiceError


@pytest.fixture
def reviewer(session):
    return f.user(Role.REVIEWER)


def _refusal(call, *args, **kwargs) -> tuple[int, str | None, str]:
    """Return the refusal's status, field and English message."""
    with pytest.raises(ServiceError) as caught:
        call(*args, **kwargs)
    with force_locale("en"):
        return caught.value.status, caught.value.field, str(caught.value)


def _doc(**kw) -> curation.DocumentInput:
    values = {"mechanism_id": f.mechanism("IACHR").id, "symbol": "OEA/Ser.L/V/II Doc. 42/15",
              "title": "Situation of human rights in Honduras", "date": date(2015, 12, 31)}
    values.update(kw)
    return curation.DocumentInput(**values)


def _rec(**kw) -> curation.RecommendationInput:
    values = {"document_symbol": "OEA/Ser.L/V/II Doc. 42/15", "paragraph": "1",
              "text": "Adopt a protection programme for human rights defenders."}
    values.update(kw)
    return curation.RecommendationInput(**values)


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_office_staff_add_a_document_and_a_recommendation_under_it(session, reviewer):
    doc = curation.create_document(reviewer, _doc(url="https://www.oas.org/en/iachr/"))
    rec = curation.create_recommendation(reviewer, _rec(paragraph="4", language="es-HN"))

    assert (rec.reference, rec.document_id, rec.mechanism_id) == (
        "OEA/Ser.L/V/II Doc. 42/15 ¶4", doc.id, doc.mechanism_id)
    assert rec.language == "es-HN" and rec.is_published is False


def test_focal_points_may_not_curate(session):
    focal = f.user(Role.FOCAL_POINT)
    assert _refusal(curation.create_document, focal, _doc())[0] == 403
    assert _count(session, Document) == 0


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"mechanism_id": None}, "mechanism_id", "Choose the mechanism that issued the document."),
    ({"symbol": "  "}, "symbol", "This field is required."),
    ({"symbol": "S" * 129}, "symbol", "Use at most 128 characters."),
    ({"upr_cycle": 21}, "upr_cycle", "A UPR cycle is a number from 1 to 20."),
    ({"url": "ftp://example.org/report.pdf"}, "url",
     "Give a web address starting with http:// or https://."),
])
def test_a_wrong_document_field_is_refused(session, reviewer, changes, field, message):
    assert _refusal(curation.create_document, reviewer, _doc(**changes)) == (400, field, message)
    assert _count(session, Document) == 0


def test_a_second_document_with_the_same_symbol_is_refused(session, reviewer):
    curation.create_document(reviewer, _doc())
    status, field, message = _refusal(curation.create_document, reviewer, _doc())
    assert (status, field) == (409, "symbol")
    assert "OEA/Ser.L/V/II Doc. 42/15 already exists" in message


def test_a_document_that_does_not_exist_is_not_found(session, reviewer):
    assert _refusal(curation.update_document, reviewer, 10 ** 9, _doc(), 1)[0] == 404


def test_a_new_document_typed_with_the_recommendation_names_its_own_fields(session, reviewer):
    data = _rec(document_symbol=None, new_document=_doc(upr_cycle=0))
    assert _refusal(curation.create_recommendation, reviewer, data) == (
        400, "doc_upr_cycle", "A UPR cycle is a number from 1 to 20.")
    assert _count(session, Document) == 0


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"document_symbol": ""}, "document_symbol",
     "Give the symbol of an existing document, or create a new one."),
    ({"document_symbol": "A/HRC/99/1"}, "document_symbol",
     "No document has the symbol A/HRC/99/1. Check it, or create a new document."),
    ({"paragraph": None}, "reference", "Give the paragraph, or type a reference."),
    ({"language": "English"}, "language", "Choose the language of the text."),
    ({"follow_up_due": date(2026, 1, 1)}, "follow_up_due",
     "A follow-up due date needs the follow-up box ticked."),
    ({"state_ids": [10 ** 9]}, "state_ids", "One of the chosen States does not exist."),
    ({"type": "verdict"}, "type", "Choose one of the options."),
    ({"text": "  "}, "text", "This field is required."),
])
def test_a_wrong_recommendation_field_is_refused(session, reviewer, changes, field, message):
    curation.create_document(reviewer, _doc())
    session.commit()  # saved by an earlier request
    assert _refusal(curation.create_recommendation, reviewer, _rec(**changes)) == (
        400, field, message)
    session.rollback()  # as the refused request does
    assert _count(session, Recommendation) == 0
    assert _count(session, Document) == 1


def test_a_typed_reference_replaces_the_paragraph_one(session, reviewer):
    curation.create_document(reviewer, _doc())
    rec = curation.create_recommendation(
        reviewer, _rec(paragraph=None, reference="IACHR 2015, chapter 6, 1",
                       state_ids=[f.country("ES").id], follow_up=True,
                       follow_up_due=date(2026, 1, 1)))
    assert rec.reference == "IACHR 2015, chapter 6, 1"
    assert [c.iso2 for c in rec.recommending_states] == ["ES"]
    assert rec.follow_up_due == date(2026, 1, 1)
