"""The public site: home counts, the filtered list, the detail page and the error pages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from flask import render_template
from sqlalchemy import select
from werkzeug.exceptions import InternalServerError

from tests import factories as f
from tracker.models import (
    AssessmentSource,
    AssignmentRole,
    Evidence,
    EvidenceKind,
    ImplementationStatus,
    RecommendationType,
    ReportState,
    ReportVisibility,
    Role,
    StoredFile,
    Term,
)

S = ImplementationStatus


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def listed(html: str) -> list[str]:
    """The references listed as results on a list page, in order."""
    return re.findall(r'<h3 class="h6 mb-1 result-title">\s*<a href="[^"]+">([^<]+)</a>', html)


def shown(html: str) -> set[str]:
    return set(listed(html))


@pytest.fixture
def catalogue(session):
    """Four published recommendations in two documents, and one unpublished."""
    cedaw = f.document("CEDAW/C/HND/CO/9", "CEDAW", date=date(2022, 11, 1))
    cat = f.document("CAT/C/HND/CO/2", "CAT", date=date(2016, 8, 26))
    education = f.term("themes", "right_to_education")
    torture = session.scalars(
        select(Term).where(Term.name_en.startswith("Prohibition of torture"))
    ).one()
    recs = {
        "R-EDU": f.recommendation(
            cedaw, reference="R-EDU", status=S.IMPLEMENTED,
            text="Guarantee the access of girls to secondary education.",
            versions={"es": "Garantizar el acceso de las niñas a la educación secundaria."},
        ),
        "R-CONCERN": f.recommendation(
            cedaw, reference="R-CONCERN", status=S.IN_PROGRESS, type=RecommendationType.CONCERN,
            text="The Committee is concerned about femicide.",
        ),
        "R-TORTURE": f.recommendation(
            cat, reference="R-TORTURE", status=S.IMPLEMENTED,
            text="Investigar todas las denuncias de TORTURA por la Policía Nacional.",
            language="es",
        ),
        "R-PRISON": f.recommendation(
            cat, reference="R-PRISON", status=S.NOT_STARTED,
            text="Reduce overcrowding in prisons (100% occupancy) quickly.",
        ),
        "R-HIDDEN": f.recommendation(
            cat, reference="R-HIDDEN", status=S.IMPLEMENTED, is_published=False,
            text="An unpublished recommendation about education and torture.",
        ),
    }
    recs["R-EDU"].terms.append(education)
    recs["R-TORTURE"].terms.append(torture)
    recs["R-HIDDEN"].terms.extend([education, torture])
    session.flush()
    return {"recs": recs, "cedaw": cedaw, "cat": cat, "education": education, "torture": torture}


VISIBLE = {"R-EDU", "R-CONCERN", "R-TORTURE", "R-PRISON"}


# --- home ------------------------------------------------------------------------------


def test_home_counts_published_recommendations_by_status_and_mechanism(client, catalogue):
    html = page(client, "/")

    numbers = re.findall(r'<span class="stat-number">([^<]+)</span>', html)
    assert numbers == ["4", "2"]  # published recommendations, documents

    def status_count(code: str) -> str:
        m = re.search(rf'status={code}".*?status-bar-count">([^<]+)<', html, re.S)
        return m.group(1)

    assert status_count("implemented") == "2"  # the unpublished one is not counted
    assert status_count("in_progress") == "1"
    assert status_count("not_started") == "1"
    assert status_count("no_information") == "0"

    cat_id = catalogue["cat"].mechanism_id
    row = re.search(
        rf'mechanism={cat_id}">([^<]+)</a>.*?<td class="text-end">([^<]+)</td>', html, re.S
    )
    assert row.group(1) == "Comité contra la Tortura" and row.group(2) == "2"


def test_home_numbers_follow_the_locale(client, session, monkeypatch):
    from tracker.services import catalogue as service

    real = service.summarise

    def big(user):
        summary = real(user)
        summary.total = 12345
        return summary

    monkeypatch.setattr(service, "summarise", big)
    assert '<span class="stat-number">12.345</span>' in page(client, "/")
    assert '<span class="stat-number">12,345</span>' in page(client, "/?lang=en")


# --- the list ----------------------------------------------------------------------------


def test_list_shows_every_published_recommendation_and_no_unpublished_one(client, catalogue):
    html = page(client, "/recommendations")
    assert shown(html) == VISIBLE
    assert "Mostrando 1–4 de 4" in html  # the default visitor reads Spanish
    assert catalogue["recs"]["R-HIDDEN"].text not in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=implemented", {"R-EDU", "R-TORTURE"}),
        ("status=not_started", {"R-PRISON"}),
        ("type=concern", {"R-CONCERN"}),
        ("type=recommendation", {"R-EDU", "R-TORTURE", "R-PRISON"}),
        ("status=implemented&type=recommendation&q=girls", {"R-EDU"}),
    ],
)
def test_list_filters_narrow_the_results(client, catalogue, query, expected):
    assert shown(page(client, f"/recommendations?{query}")) == expected


def test_list_filters_by_mechanism_document_and_theme(client, catalogue):
    cat = catalogue["cat"]
    cedaw = catalogue["cedaw"]
    assert shown(page(client, f"/recommendations?mechanism={cat.mechanism_id}")) == {
        "R-TORTURE", "R-PRISON"
    }
    assert shown(page(client, f"/recommendations?document={cedaw.id}")) == {"R-EDU", "R-CONCERN"}
    assert shown(page(client, f"/recommendations?theme={catalogue['education'].id}")) == {"R-EDU"}
    combined = f"/recommendations?mechanism={cat.mechanism_id}&status=implemented"
    assert shown(page(client, combined)) == {"R-TORTURE"}
    # A document of another mechanism: the filters combine, so nothing matches.
    mismatched = f"/recommendations?mechanism={cat.mechanism_id}&document={cedaw.id}"
    assert shown(page(client, mismatched)) == set()


def test_list_form_keeps_the_filters_and_offers_a_way_to_clear_them(client, catalogue):
    cat = catalogue["cat"]
    url = f"/recommendations?mechanism={cat.mechanism_id}&status=implemented&q=tortura"
    html = page(client, url)
    chosen = re.findall(
        r'<a class="facet-value chosen" data-value="[^"]+" href="[^"]+" aria-current="true">', html)
    assert len(chosen) == 2  # the mechanism and the status, each a link that removes it
    assert 'name="q" value="tortura"' in html
    assert f'<input type="hidden" name="mechanism" value="{cat.mechanism_id}">' in html
    assert 'href="/recommendations">' in html  # clear filters
    # Only the chosen mechanism's documents are offered.
    assert "CAT/C/HND/CO/2" in html and "CEDAW/C/HND/CO/9" not in html


def test_filter_options_leave_out_documents_without_published_recommendations(client, session):
    hidden_doc = f.document("CAT/C/HND/CO/99", "CAT")
    f.recommendation(hidden_doc, reference="ONLY-HIDDEN", is_published=False)
    f.recommendation(reference="SHOWN")
    html = page(client, "/recommendations")
    assert "CAT/C/HND/CO/99" not in html
    assert shown(html) == {"SHOWN"}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("GIRLS", {"R-EDU"}),  # case
        ("r-prison", {"R-PRISON"}),  # reference
        ("tortura", {"R-TORTURE"}),  # upper case in the text
        ("policía", {"R-TORTURE"}),
        ("POLICIA", {"R-TORTURE"}),  # no accent typed, upper case
        ("educación secundaria", {"R-EDU"}),  # the Spanish translation
        ("EDUCACION   SECUNDARIA", {"R-EDU"}),
        ("ninas", {"R-EDU"}),  # ñ typed as n
        ("100%", {"R-PRISON"}),  # punctuation separates words, never an operator
        ("100_", {"R-PRISON"}),
        ("(occupancy", {"R-PRISON"}),
        ("prison", {"R-PRISON"}),  # English stem of "prisons"
        ("nothing like this", set()),
    ],
)
def test_text_search_ignores_case_and_accents(client, catalogue, q, expected):
    from urllib.parse import quote

    assert shown(page(client, f"/recommendations?q={quote(q)}")) == expected


def test_text_search_never_finds_unpublished_recommendations(client, catalogue):
    html = page(client, "/recommendations?q=unpublished")
    assert shown(html) == set()
    assert "Mostrando" not in html


def test_pagination_pages_through_results_in_document_date_order(client, session, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    for year in (2015, 2019, 2017, 2021, 2013):
        doc = f.document(f"DOC/{year}", "CEDAW", date=date(year, 1, 1))
        f.recommendation(doc, reference=f"P-{year}", status=S.IN_PROGRESS)

    first = page(client, "/recommendations?status=in_progress")
    assert shown(first) == {"P-2021", "P-2019"}
    assert "Mostrando 1–2 de 5" in first
    assert re.search(r'href="/recommendations\?status=in_progress" aria-current="page"', first)
    assert 'href="/recommendations?status=in_progress&amp;page=3"' in first  # filters kept

    last = page(client, "/recommendations?status=in_progress&page=3")
    assert shown(last) == {"P-2013"}
    assert "Mostrando 5–5 de 5" in last
    assert 'href="/recommendations?status=in_progress&amp;page=3" aria-current="page"' in last

    assert shown(page(client, "/recommendations?status=in_progress&page=2")) == {"P-2017", "P-2015"}
    # Past the end: the last page; not a number: the first.
    assert shown(page(client, "/recommendations?status=in_progress&page=999")) == {"P-2013"}
    not_a_number = "/recommendations?status=in_progress&page=abc"
    assert shown(page(client, not_a_number)) == {"P-2021", "P-2019"}


def test_paragraphs_of_a_document_come_in_natural_order(client, session):
    doc = f.document("CCPR/C/HND/CO/3", "CCPR", date=date(2024, 1, 1))
    older = f.document("CCPR/C/HND/CO/2", "CCPR", date=date(2017, 8, 22))
    f.recommendation(older, reference="OLD-1", paragraph="1")
    for paragraph in ("83.1", "10", "82.106", "9", "27", "26(a)", "82.99", "26(b)"):
        f.recommendation(doc, reference=f"P-{paragraph}", paragraph=paragraph)
    assert listed(page(client, "/recommendations")) == [
        "P-9", "P-10", "P-26(a)", "P-26(b)", "P-27", "P-82.99", "P-82.106", "P-83.1", "OLD-1"
    ]


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=-3",
        "page=0",
        "page=" + "9" * 40,
        "status=bogus",
        "type=zzz",
        "mechanism=99999",
        "mechanism=abc",
        "mechanism=" + "9" * 40,
        "document=-1",
        "document=99999999",
        "theme=1.5",
        "q=" + "x" * 5000,
        "q=%00%27%22%5C",
        "mechanism=%C2%B2",  # a digit to Python, not a number to int()
    ],
)
def test_bad_parameters_never_fail(client, catalogue, query):
    html = page(client, f"/recommendations?{query}")
    if not query.startswith(("page", "q")):
        assert "alert-warning" in html  # told which filter was ignored
        assert shown(html) == VISIBLE  # and the filter is not applied


def test_a_theme_of_another_vocabulary_is_not_a_theme_filter(client, catalogue):
    women = f.term("affected_persons", "women")
    html = page(client, f"/recommendations?theme={women.id}")
    assert "alert-warning" in html
    assert shown(html) == VISIBLE


def test_staff_see_unpublished_recommendations_marked_as_such(client, catalogue):
    f.sign_in(client, f.user(Role.REVIEWER))
    html = page(client, "/recommendations?status=implemented")
    assert shown(html) == {"R-EDU", "R-TORTURE", "R-HIDDEN"}
    assert "unpublished-badge" in html


def test_list_runs_the_same_few_queries_however_many_rows_it_shows(
    client, session, count_queries
):
    def queries_for_list() -> int:
        with count_queries() as statements:
            page(client, "/recommendations?status=implemented")
        return len(statements)

    for mechanism in ("CAT", "CEDAW"):
        f.recommendation(f.document(mechanism_code=mechanism), status=S.IMPLEMENTED)
    few = queries_for_list()
    for mechanism in ("CAT", "CEDAW", "CCPR", "CRC", "UPR") * 4:
        f.recommendation(f.document(mechanism_code=mechanism), status=S.IMPLEMENTED)
    assert queries_for_list() == few <= 12


# --- the detail page ---------------------------------------------------------------------


@pytest.fixture
def detailed(session):
    doc = f.document(
        "A/HRC/46/12", "UPR", date=date(2020, 11, 25), title="Report of the Working Group",
        url="https://undocs.org/A/HRC/46/12",
    )
    rec = f.recommendation(
        doc, reference="A/HRC/46/12 ¶74.3", paragraph="74.3",
        text="Strengthen the protection of human rights defenders.",
        versions={"es": "Fortalecer la protección de las personas defensoras."},
        upr_position="supported", follow_up=True, follow_up_due=date(2024, 5, 1),
    )
    rec.recommending_states.extend([f.country("DE"), f.country("NL")])
    rec.terms.extend([f.term("themes", "right_to_education"), f.term("affected_persons", "women")])
    lead = f.institution(
        name_es="Secretaría de Derechos Humanos", name_en="Human Rights Secretariat"
    )
    gone = f.institution(name_es="Oficina Cerrada", name_en="Closed Office")
    f.assignment(rec, lead, role=AssignmentRole.LEAD)
    f.assignment(rec, gone, role=AssignmentRole.SUPPORT, active=False)
    f.assessment(
        rec, S.IN_PROGRESS, source=AssessmentSource.MECHANISM, mechanism_grade="B2",
        source_document="CCPR/C/133/2", assessed_at=datetime(2021, 3, 2, 15, tzinfo=UTC),
    )
    f.assessment(rec, S.PARTIALLY_IMPLEMENTED, rationale="A protection law was passed.",
                 assessed_at=datetime(2023, 6, 9, 15, tzinfo=UTC))
    public = f.report_in_state(
        lead, [rec], title="Protection law passed",
        description="Congress passed the law with **96** votes.<script>alert(1)</script>",
    )
    for name, is_public in (("decree.pdf", True), ("notes.pdf", False)):
        stored = StoredFile(filename=name, content_type="application/pdf", size=2048,
                            sha256="0" * 64, data=b"%PDF-1.4")
        session.add(Evidence(report=public, kind=EvidenceKind.FILE, stored_file=stored,
                             is_public=is_public, label=f"File {name}"))
    f.evidence_link(public, "https://example.org/gazette", label="Official gazette")
    f.evidence_link(public, "https://example.org/memo", label="Internal memo", is_public=False)
    f.evidence_link(public, "javascript:alert(1)", label="Bad link")
    f.report_in_state(lead, [rec], title="Internal briefing", visibility=ReportVisibility.INTERNAL)
    f.report_in_state(lead, [rec], title="Draft in progress", state=ReportState.DRAFT)
    f.report_in_state(lead, [rec], title="Sent for review", state=ReportState.SUBMITTED)
    session.flush()
    return rec


def test_detail_shows_the_recommendation_in_spanish_by_default(client, detailed):
    html = page(client, f"/recommendations/{detailed.id}")
    assert '<html lang="es">' in html
    assert "Strengthen the protection of human rights defenders." in html
    assert "Fortalecer la protección de las personas defensoras." in html
    assert "A/HRC/46/12 ¶74.3" in html and "74.3" in html
    assert "Examen Periódico Universal" in html
    assert 'href="https://undocs.org/A/HRC/46/12"' in html
    assert "25 de noviembre de 2020" in html  # document date in the user's locale
    assert "1 de mayo de 2024" in html  # follow-up due date
    assert "Alemania" in html and "Países Bajos" in html and "Germany" not in html
    assert "Temas de derechos humanos" in html and "Derecho a la educación" in html
    assert "Personas afectadas" in html and "Mujeres" in html
    assert "Secretaría de Derechos Humanos" in html
    assert "Oficina Cerrada" not in html  # an ended assignment
    assert "Inglés" in html  # original language, named in Spanish by CLDR


def test_detail_shows_names_in_english_when_asked(client, detailed):
    html = page(client, f"/recommendations/{detailed.id}?lang=en")
    assert '<html lang="en">' in html
    assert "Germany" in html and "Netherlands" in html and "Alemania" not in html
    assert "Human rights themes" in html and "Right to education" in html
    assert "Affected persons" in html and "Women" in html
    assert "Human Rights Secretariat" in html and "Secretaría de Derechos Humanos" not in html
    assert "Universal Periodic Review" in html
    assert "November 25, 2020" in html


def test_detail_shows_assessment_history_with_the_mechanism_grade(client, detailed):
    html = page(client, f"/recommendations/{detailed.id}?lang=en")
    history = html[html.index('id="history-title"'):]
    assert history.index("status-partially_implemented") < history.index("status-in_progress")
    assert "B2" in history and "CCPR/C/133/2" in history
    assert "A protection law was passed." in history
    assert "June 9, 2023" in html  # current status date


def test_detail_shows_only_published_progress_and_public_evidence(client, session, detailed):
    html = page(client, f"/recommendations/{detailed.id}")
    assert "Protection law passed" in html
    assert 'href="https://example.org/gazette"' in html
    for hidden in ("Internal briefing", "Draft in progress", "Sent for review", "Internal memo"):
        assert hidden not in html
    assert "javascript:" not in html
    assert "<strong>96</strong>" in html and "<script>alert" not in html
    files = {
        e.stored_file.filename: e
        for e in session.scalars(select(Evidence).where(Evidence.kind == EvidenceKind.FILE))
    }
    assert f'href="/files/evidence/{files["decree.pdf"].id}"' in html
    assert "File decree.pdf" in html
    assert f"/files/evidence/{files['notes.pdf'].id}" not in html and "notes.pdf" not in html


def test_detail_without_published_progress_has_no_progress_section(client, session):
    rec = f.recommendation()
    inst = f.institution()
    f.report_in_state(inst, [rec], title="Still a draft", state=ReportState.DRAFT)
    html = page(client, f"/recommendations/{rec.id}")
    assert 'id="progress-title"' not in html
    assert "Still a draft" not in html


def test_unpublished_recommendation_is_not_found_for_the_public(client, catalogue):
    hidden = catalogue["recs"]["R-HIDDEN"]
    response = client.get(f"/recommendations/{hidden.id}")
    assert response.status_code == 404
    assert hidden.text not in response.get_data(as_text=True)
    assert client.get("/recommendations/999999999").status_code == 404
    assert client.get("/recommendations/99999999999999999999").status_code == 404


def test_staff_may_open_an_unpublished_recommendation(client, catalogue):
    f.sign_in(client, f.user(Role.REVIEWER))
    hidden = catalogue["recs"]["R-HIDDEN"]
    assert hidden.text in page(client, f"/recommendations/{hidden.id}")


# --- error pages -------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["es", "en"])
def test_not_found_page_is_friendly_in_both_languages(client, lang):
    response = client.get(f"/no/such/page?lang={lang}")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert f'<html lang="{lang}">' in html
    assert "404" in html and 'href="/"' in html
    assert "Traceback" not in html


def test_wrong_method_gets_an_html_error_page(client):
    response = client.post("/recommendations")
    assert response.status_code == 405
    assert "405" in response.get_data(as_text=True)


def test_server_error_page_shows_no_details(app):
    with app.test_request_context("/"):
        html = render_template("errors/error.html", error=InternalServerError("secret detail"))
    assert "500" in html and "secret detail" not in html


def test_api_paths_answer_errors_in_json(client):
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["status"] == 404


def test_an_empty_catalogue_says_how_to_load_recommendations(client, session):
    from tracker.models import Recommendation

    session.query(Recommendation).update({"is_published": False})
    session.commit()
    public = client.get("/?lang=en").get_data(as_text=True)
    assert "The catalogue is empty" in public
    assert "tracker import FILE" not in public  # the public is not told about the server
    f.sign_in(client, f.user(Role.REVIEWER))
    staff = client.get("/?lang=en").get_data(as_text=True)
    assert "tracker import FILE" in staff and "tracker demo" in staff
