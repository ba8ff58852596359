"""Curating recommendations: the staff list, creating and editing by hand, publishing."""

from __future__ import annotations

import re
from datetime import date
from html import escape

import pytest
from sqlalchemy import event, select

from tests import factories as f
from tests.conftest import login
from tracker.extensions import db
from tracker.models import (
    Document,
    ImplementationStatus,
    Recommendation,
    ReportState,
    Role,
    Term,
    Vocabulary,
)


@pytest.fixture
def reviewer(session):
    return f.user(Role.REVIEWER, locale="en")


@pytest.fixture
def staff(client, reviewer):
    login(client, reviewer)
    return client


def page(response) -> str:
    return response.get_data(as_text=True)


def saved() -> None:
    """Commit the test's rows, as an earlier request would have: a refused request rolls
    back its own work only (the test's outer transaction still undoes everything)."""
    db.session.commit()


# --- who may come in -----------------------------------------------------------------------

STAFF_PAGES = [
    "/review/recommendations",
    "/review/recommendations/new",
    "/review/recommendations/{rec}",
    "/review/recommendations/{rec}/edit",
    "/review/documents/{doc}/edit",
    "/review/assignments/{assignment}/edit",
    "/review/actions",
    "/review/actions/new",
    "/review/actions/{action}",
    "/review/actions/{action}/edit",
    "/review/actions/{action}/delete",
]
STAFF_POSTS = [
    "/review/recommendations/new",
    "/review/recommendations/{rec}/edit",
    "/review/recommendations/{rec}/publication",
    "/review/recommendations/{rec}/assignments",
    "/review/recommendations/{rec}/assessments",
    "/review/recommendations/assign",
    "/review/assignments/{assignment}/edit",
    "/review/assignments/{assignment}/end",
    "/review/actions/new",
    "/review/actions/{action}/edit",
    "/review/actions/{action}/delete",
]


@pytest.fixture
def ids(session):
    rec = f.recommendation()
    found = f.assignment(rec, f.institution())
    action = f.office_action(terms=[f.term("pillar", "mechanisms")])
    return {"rec": rec.id, "doc": rec.document_id, "assignment": found.id, "action": action.id}


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, ids, url):
    response = client.get(url.format(**ids))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", STAFF_POSTS)
def test_anonymous_posts_change_nothing(client, ids, url):
    response = client.post(url.format(**ids), data={"value": "1"})
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert db.session.get(Recommendation, ids["rec"]).is_published is True


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_focal_points_may_not_open_staff_pages(client, ids, url):
    login(client, f.user(Role.FOCAL_POINT))
    assert client.get(url.format(**ids)).status_code == 403


@pytest.mark.parametrize("url", STAFF_POSTS)
def test_focal_points_may_not_post_to_staff_pages(client, ids, url):
    login(client, f.user(Role.FOCAL_POINT))
    assert client.post(url.format(**ids), data={"value": "0"}).status_code == 403
    assert db.session.get(Recommendation, ids["rec"]).is_published is True


def test_administrators_may_curate(client, ids, app):
    login(client, f.user(Role.ADMIN))
    rec = db.session.get(Recommendation, ids["rec"])
    shown = page(client.get(f"/review/recommendations/{ids['rec']}"))
    assert escape(rec.reference) in shown and escape(rec.text) in shown
    assert f'action="/review/recommendations/{ids["rec"]}/publication"' in shown

    done = client.post(f"/review/recommendations/{ids['rec']}/publication", data={"value": "0"})
    assert done.headers["Location"].endswith(f"/review/recommendations/{ids['rec']}")
    assert db.session.get(Recommendation, ids["rec"]).is_published is False
    assert app.test_client().get(f"/recommendations/{ids['rec']}").status_code == 404


# --- the staff list ------------------------------------------------------------------------


def test_list_shows_unpublished_recommendations_and_filters_them(staff):
    doc = f.document("CEDAW/C/HND/CO/9")
    shown = f.recommendation(doc, paragraph="24", text="Combat violence against women.",
                             is_published=False)
    other = f.recommendation(doc, paragraph="25", text="Ensure access to education.")

    body = page(staff.get("/review/recommendations?published=no"))
    assert shown.reference in body
    assert other.reference not in body
    assert "Not published" in body

    body = page(staff.get("/review/recommendations?q=violence"))
    assert shown.reference in body and other.reference not in body


def test_list_filters_by_mechanism_document_status_and_institution(staff):
    cat = f.recommendation(f.document(mechanism_code="CAT"),
                           status=ImplementationStatus.IN_PROGRESS)
    cedaw = f.recommendation(f.document(mechanism_code="CEDAW"))
    semujer = f.institution("SEMUJERX")
    f.assignment(cedaw, semujer)

    def refs(query):
        body = page(staff.get(f"/review/recommendations?{query}"))
        return {r.reference for r in (cat, cedaw) if r.reference in body}

    assert refs(f"mechanism={cat.mechanism_id}") == {cat.reference}
    assert refs(f"document={cedaw.document_id}") == {cedaw.reference}
    assert refs("status=in_progress") == {cat.reference}
    assert refs(f"institution={semujer.id}") == {cedaw.reference}
    assert cat.reference in page(staff.get("/review/recommendations?institution=none"))
    assert cedaw.reference not in page(staff.get("/review/recommendations?institution=none"))


def test_list_pages_and_counts(staff, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    doc = f.document()
    recs = [f.recommendation(doc) for _ in range(5)]
    body = page(staff.get(f"/review/recommendations?document={doc.id}&page=3"))
    assert "5–5 of 5" in body
    assert recs[0].reference in body  # newest first: the first one made is last
    assert recs[4].reference not in body


def test_list_runs_the_same_number_of_queries_whatever_the_page_size(staff, app, monkeypatch):
    doc = f.document()
    for _ in range(12):
        rec = f.recommendation(doc)
        f.assignment(rec, f.institution())

    def queries(size: int) -> int:
        monkeypatch.setitem(app.config, "PAGE_SIZE", size)
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        engine = db.session.get_bind()
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert staff.get(f"/review/recommendations?document={doc.id}").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    queries(2)  # warm up: the first request loads what every request shares
    assert queries(2) == queries(12)


# --- creating by hand ----------------------------------------------------------------------


def _form(**changes) -> dict:
    data = {
        "document_mode": "existing",
        "document_symbol": "",
        "paragraph": "12",
        "reference": "",
        "text": "El Estado debe adoptar medidas para proteger a las defensoras.",
        "language": "es",
        "text_en": "",
        "type": "recommendation",
        "upr_position": "",
    }
    data.update(changes)
    return data


def test_create_a_recommendation_of_a_new_iachr_document(staff):
    iachr = f.mechanism("IACHR")
    theme = db.session.scalars(select(Term).join(Vocabulary).where(Vocabulary.code == "themes")
                               ).first()
    response = staff.post("/review/recommendations/new", data=_form(
        document_mode="new", doc_mechanism_id=str(iachr.id),
        doc_symbol="OEA/Ser.L/V/II. Doc. 42/15", doc_title="Situación de derechos humanos",
        doc_date="2015-12-31", doc_url="https://www.oas.org/es/cidh/informes/pdfs/Honduras-es-2015.pdf",
        term_ids=[str(theme.id)], follow_up="y", follow_up_due="2026-06-30"))
    assert response.status_code == 302
    rec = db.session.scalar(select(Recommendation).where(
        Recommendation.reference == "OEA/Ser.L/V/II. Doc. 42/15 ¶12"))
    assert rec is not None and rec.is_published is False
    assert rec.mechanism_id == iachr.id and rec.document.date == date(2015, 12, 31)
    assert rec.terms == [theme] and rec.follow_up_due == date(2026, 6, 30)
    body = page(staff.get(response.headers["Location"]))
    assert "OEA/Ser.L/V/II. Doc. 42/15 ¶12" in body and "Not published" in body
    assert escape(theme.name_en) in body


def test_create_with_an_existing_document_and_recommending_states(staff, client):
    doc = f.document("A/HRC/46/12", mechanism_code="UPR")
    germany, spain = f.country("DE"), f.country("ES")
    response = staff.post("/review/recommendations/new", data=_form(
        document_symbol="A/HRC/46/12", paragraph="74.3", text="Ratify the Optional Protocol.",
        language="en", upr_position="supported", state_ids=[str(germany.id), str(spain.id)]))
    assert response.status_code == 302
    rec = db.session.scalar(select(Recommendation).where(Recommendation.document_id == doc.id))
    assert rec.reference == "A/HRC/46/12 ¶74.3"
    assert {c.iso2 for c in rec.recommending_states} == {"DE", "ES"}


def test_state_names_follow_the_users_language(staff):
    assert "Germany" in page(staff.get("/review/recommendations/new"))
    assert "Alemania" in page(staff.get("/review/recommendations/new?lang=es"))


def test_a_duplicate_reference_is_refused_and_the_form_keeps_the_text(staff):
    existing = f.recommendation(f.document("CCPR/C/HND/CO/2"), paragraph="17")
    saved()
    count = db.session.scalar(select(db.func.count()).select_from(Recommendation))
    response = staff.post("/review/recommendations/new", data=_form(
        document_symbol="CCPR/C/HND/CO/2", paragraph="17", text="A text I typed carefully."))
    assert response.status_code == 409
    body = page(response)
    assert f"The reference {existing.reference} is already used" in body
    assert "A text I typed carefully." in body
    assert db.session.scalar(select(db.func.count()).select_from(Recommendation)) == count


def test_a_duplicate_document_symbol_is_refused(staff):
    f.document("CAT/C/HND/CO/2", mechanism_code="CAT")
    saved()
    response = staff.post("/review/recommendations/new", data=_form(
        document_mode="new", doc_mechanism_id=str(f.mechanism("CAT").id),
        doc_symbol="CAT/C/HND/CO/2"))
    assert response.status_code == 409
    assert "A document with the symbol CAT/C/HND/CO/2 already exists" in page(response)


def test_an_unknown_document_and_a_missing_text_are_explained(staff):
    response = staff.post("/review/recommendations/new", data=_form(
        document_symbol="NO/SUCH/DOC", paragraph="4"))
    assert response.status_code == 400
    assert "No document has the symbol NO/SUCH/DOC" in page(response)

    response = staff.post("/review/recommendations/new", data=_form(
        document_symbol="NO/SUCH/DOC", text="", paragraph="4"))
    assert response.status_code == 400
    assert "This field is required." in page(response)
    assert 'value="NO/SUCH/DOC"' in page(response)
    assert db.session.scalar(select(Document).where(Document.symbol == "NO/SUCH/DOC")) is None


def test_the_new_form_proposes_the_document_it_came_from(staff):
    doc = f.document("CRC/C/HND/CO/4-5", mechanism_code="CRC")
    body = page(staff.get(f"/review/recommendations/new?document={doc.id}"))
    assert 'value="CRC/C/HND/CO/4-5"' in body


# --- editing and classifying ---------------------------------------------------------------


def test_only_active_terms_are_offered_but_linked_inactive_ones_are_kept(staff):
    vocab = f.vocabulary(applies_to_recommendations=True)
    active = f.make_term(vocab, name_en="Still in use")
    retired = f.make_term(vocab, name_en="Retired but linked", active=False)
    unused = f.make_term(vocab, name_en="Retired and unused", active=False)
    rec = f.recommendation(terms=[retired])
    saved()

    body = page(staff.get(f"/review/recommendations/{rec.id}/edit"))
    assert "Still in use" in body and "Retired but linked" in body
    assert "Retired and unused" not in body

    form = _form(document_symbol=rec.document.symbol, paragraph=rec.paragraph,
                 reference=rec.reference, text=rec.text, language="en",
                 version=str(rec.version), term_ids=[str(retired.id), str(active.id)])
    assert staff.post(f"/review/recommendations/{rec.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert {t.id for t in db.session.get(Recommendation, rec.id).terms} == {retired.id, active.id}

    form["term_ids"] = [str(unused.id)]
    form["version"] = str(db.session.get(Recommendation, rec.id).version)
    response = staff.post(f"/review/recommendations/{rec.id}/edit", data=form)
    assert response.status_code == 400
    assert "cannot be used" in page(response)


def test_terms_of_an_admin_added_vocabulary_can_classify(staff):
    vocab = f.vocabulary(name_en="National action plan axes", applies_to_recommendations=True)
    axis = f.make_term(vocab, name_en="Axis 3: security")
    rec = f.recommendation()
    body = page(staff.get(f"/review/recommendations/{rec.id}/edit"))
    assert "National action plan axes" in body and "Axis 3: security" in body
    staff.post(f"/review/recommendations/{rec.id}/edit", data=_form(
        document_symbol=rec.document.symbol, paragraph=rec.paragraph, reference=rec.reference,
        text=rec.text, language="en", version=str(rec.version), term_ids=[str(axis.id)]))
    assert "Axis 3: security" in page(staff.get(f"/review/recommendations/{rec.id}"))


def test_edit_saves_and_shows_the_new_text(staff):
    rec = f.recommendation(paragraph="8")
    response = staff.post(f"/review/recommendations/{rec.id}/edit", data=_form(
        document_symbol=rec.document.symbol, paragraph="8", reference=rec.reference,
        text="Corrected text of the paragraph.", language="en", version=str(rec.version)))
    assert response.status_code == 302
    body = page(staff.get(f"/review/recommendations/{rec.id}"))
    assert "Corrected text of the paragraph." in body


def test_publish_and_unpublish(staff):
    rec = f.recommendation(is_published=False)
    response = staff.post(f"/review/recommendations/{rec.id}/publication", data={"value": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Recommendation, rec.id).is_published is True
    assert "is now published" in page(staff.get(response.headers["Location"]))
    staff.post(f"/review/recommendations/{rec.id}/publication", data={"value": "0"})
    db.session.expire_all()
    assert db.session.get(Recommendation, rec.id).is_published is False


def test_publish_needs_a_post_with_a_value(staff):
    rec = f.recommendation(is_published=False)
    assert staff.get(f"/review/recommendations/{rec.id}/publication").status_code == 405
    assert staff.post(f"/review/recommendations/{rec.id}/publication", data={}).status_code == 400
    assert staff.post("/review/recommendations/999999/publication",
                      data={"value": "1"}).status_code == 404


def test_moving_a_document_to_another_mechanism_moves_its_recommendations(staff):
    doc = f.document("SP/COMM/HND/1/2024", mechanism_code="CAT")
    rec = f.recommendation(doc)
    sp = f.mechanism("SP")
    response = staff.post(f"/review/documents/{doc.id}/edit", data={
        "mechanism_id": str(sp.id), "symbol": doc.symbol, "title": "Communication",
        "version": str(doc.version)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Recommendation, rec.id).mechanism_id == sp.id


def test_a_document_address_must_be_a_web_address(staff):
    doc = f.document()
    saved()
    response = staff.post(f"/review/documents/{doc.id}/edit", data={
        "mechanism_id": str(doc.mechanism_id), "symbol": doc.symbol,
        "url": "javascript:alert(1)", "version": str(doc.version)})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Document, doc.id).url is None


def test_the_staff_page_shows_everything_about_a_recommendation(staff):
    rec = f.recommendation(text="Investigate attacks on journalists.", is_published=False)
    inst = f.institution("MPX")
    f.assignment(rec, inst)
    draft = f.report_in_state(inst, [rec], state=ReportState.DRAFT, title="Draft about journalists")
    f.assessment(rec, ImplementationStatus.IN_PROGRESS, rationale="Two cases opened.")
    action = f.office_action(title="Dialogue with the prosecutors",
                             terms=[f.term("pillar", "accountability")], recommendations=[rec])
    body = page(staff.get(f"/review/recommendations/{rec.id}"))
    for expected in ("Investigate attacks on journalists.", rec.document.symbol, "MPX",
                     draft.title, "Two cases opened.", action.title, "Not published"):
        assert expected in body


def test_the_page_buttons_carry_the_csrf_token(client, reviewer, app, csrf_enabled):
    rec = f.recommendation(is_published=False)
    found = f.assignment(rec, f.institution())
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = False
    login(client, reviewer)
    app.config["WTF_CSRF_ENABLED"] = True
    body = page(client.get(f"/review/recommendations/{rec.id}"))
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', body).group(1)
    url = f"/review/recommendations/{rec.id}/publication"
    assert client.post(url, data={"value": "1"}).status_code == 400
    assert client.post(url, data={"value": "1", "csrf_token": token}).status_code == 302
    response = client.post(f"/review/assignments/{found.id}/end",
                           data={"version": str(found.version), "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Recommendation, rec.id).is_published is True
