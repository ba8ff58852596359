"""The read API: the portal's list and one record, reference data, and the public scope."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests import factories as f
from tests.api_contract import assert_conforms
from tests.test_public import listed, page
from tracker.models import (
    ImplementationStatus,
    Recommendation,
    ReportState,
    ReportVisibility,
    Role,
)
from tracker.services.demo import load_demo


def get(client, url: str, **headers):
    response = client.get(url, headers=headers)
    assert_conforms(client, response, url)
    return response


def walk(client, url: str) -> list[int]:
    """Follow the `next` links from url; return every id seen, in order."""
    seen: list[int] = []
    while url:
        response = get(client, url)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        seen += [item["id"] for item in body["items"]]
        url = body["next"]
        if url:
            assert response.headers["Link"] == f'<{url}>; rel="next"'
            url = urlsplit(url)._replace(scheme="", netloc="").geturl()
    return seen


@pytest.fixture
def demo(session):
    load_demo()
    return session


def published_ids(session) -> set[int]:
    return set(session.scalars(select(Recommendation.id)
                               .where(Recommendation.is_published.is_(True))))


@pytest.mark.parametrize("query", [
    "", "status=in_progress", "family=treaty_body&sort=reference", "q=tortura",
    "q=women&sort=date", "position=supported&position=noted", "year=2016&type=recommendation",
])
def test_the_list_gives_what_the_portal_lists_in_its_order(client, demo, query):
    portal = listed(page(client, f"/recommendations?{query}&per_page=100"))
    api = get(client, f"/api/v1/recommendations?{query}&limit=100").get_json()
    assert [item["reference"] for item in api["items"]] == portal[:100]
    assert api["total"] >= len(portal)


def test_a_portal_address_with_a_mechanism_and_a_theme_works_on_the_api(client, demo):
    found = get(client, "/api/v1/recommendations?facets=true&limit=1").get_json()
    facets = {facet["name"]: facet["values"] for facet in found["facets"]}
    mechanism, theme = facets["mechanism"][0], facets["theme"][0]
    query = f"mechanism={mechanism['value']}&theme={theme['value']}"
    api = get(client, f"/api/v1/recommendations?{query}&limit=100&facets=true").get_json()
    portal = listed(page(client, f"/recommendations?{query}&per_page=100"))
    assert [item["reference"] for item in api["items"]] == portal
    chosen = {f["name"]: [v["value"] for v in f["values"] if v["chosen"]] for f in api["facets"]}
    assert chosen["mechanism"] == [mechanism["value"]] and chosen["theme"] == [theme["value"]]


@pytest.mark.parametrize("sort", ["date", "reference", "relevance"])
def test_a_cursor_walk_visits_every_match_once(client, demo, sort):
    query = "q=derechos" if sort == "relevance" else ""
    seen = walk(client, f"/api/v1/recommendations?{query}&sort={sort}&limit=7")
    total = get(client, f"/api/v1/recommendations?{query}&limit=1").get_json()["total"]
    assert len(seen) == len(set(seen)) == total > 7
    if not query:
        assert set(seen) == published_ids(demo)


def test_a_walk_stays_exact_while_recommendations_are_published_and_withdrawn(client, demo):
    first = get(client, "/api/v1/recommendations?sort=reference&limit=10").get_json()
    before = [item["id"] for item in first["items"]]
    everything = walk(client, "/api/v1/recommendations?sort=reference&limit=100")
    # Meanwhile: one recommendation already seen and one still ahead are withdrawn.
    withdrawn = [demo.get(Recommendation, before[0]), demo.get(Recommendation, everything[30])]
    for rec in withdrawn:
        rec.is_published = False
    demo.flush()
    rest = walk(client, urlsplit(first["next"])._replace(scheme="", netloc="").geturl())
    staying = [i for i in everything if i not in {r.id for r in withdrawn}]
    assert before + rest == [i for i in everything if i != everything[30]]
    assert set(before + rest) >= set(staying)


def test_a_cursor_whose_last_item_was_withdrawn_resumes_at_the_same_offset(client, demo):
    first = get(client, "/api/v1/recommendations?limit=5").get_json()
    last = demo.get(Recommendation, first["items"][-1]["id"])
    everything = walk(client, "/api/v1/recommendations?limit=100")
    last.is_published = False
    demo.flush()
    second = get(client, urlsplit(first["next"])._replace(scheme="", netloc="").geturl())
    remaining = [i for i in everything if i != last.id]
    assert [item["id"] for item in second.get_json()["items"]] == remaining[5:10]


def test_one_recommendation_carries_its_follow_up(client, demo):
    rec = demo.scalars(select(Recommendation).where(
        Recommendation.is_published.is_(True), Recommendation.assignments.any())
        .order_by(Recommendation.id)).first()
    body = get(client, f"/api/v1/recommendations/{rec.id}?lang=en").get_json()
    assert body["reference"] == rec.reference
    assert body["status"]["code"] == rec.status.value
    assert {v["language"] for v in body["language_versions"]} == {t.language for t in rec.texts}
    assert {i["id"] for i in body["institutions"]} == {
        a.institution_id for a in rec.assignments if a.active}
    assert body["url"].endswith(f"/api/v1/recommendations/{rec.id}")


def test_only_published_progress_and_public_actions_are_shown(client, session):
    rec = f.recommendation()
    inst = f.institution()
    f.assignment(rec, inst)
    f.report_in_state(inst, [rec], title="Published work")
    f.report_in_state(inst, [rec], title="Internal work", visibility=ReportVisibility.INTERNAL)
    f.report_in_state(inst, [rec], title="Draft work", state=ReportState.DRAFT)
    f.office_action(title="Public action", is_public=True, recommendations=[rec])
    f.office_action(title="Internal action", is_public=False, recommendations=[rec])
    body = get(client, f"/api/v1/recommendations/{rec.id}").get_json()
    assert [r["title"] for r in body["progress_reports"]] == ["Published work"]
    assert [a["title"] for a in body["office_actions"]] == ["Public action"]
    actions = get(client, "/api/v1/office-actions").get_json()["items"]
    assert [(a["title"], a["recommendation_ids"]) for a in actions] == [
        ("Public action", [rec.id])]


def test_unpublished_recommendations_are_invisible_even_to_a_signed_in_reviewer(client, session):
    hidden = f.recommendation(is_published=False, reference="HIDDEN-1")
    shown_rec = f.recommendation()
    f.sign_in(client, f.user(Role.REVIEWER))
    response = get(client, f"/api/v1/recommendations/{hidden.id}")
    assert response.status_code == 404
    assert response.get_json()["code"] == "not-found"
    listed_ids = walk(client, "/api/v1/recommendations?limit=100")
    assert shown_rec.id in listed_ids and hidden.id not in listed_ids
    documents = get(client, "/api/v1/documents").get_json()["items"]
    assert hidden.document_id not in {d["id"] for d in documents}
    assert "Set-Cookie" not in response.headers and "Cookie" not in response.vary


def test_names_come_in_the_language_asked_for(client, demo):
    english = get(client, "/api/v1/mechanisms", **{"Accept-Language": "en"})
    spanish = get(client, "/api/v1/mechanisms?lang=es", **{"Accept-Language": "en"})
    plain = get(client, "/api/v1/mechanisms")
    assert english.headers["Content-Language"] == "en"
    assert spanish.headers["Content-Language"] == plain.headers["Content-Language"] == "es"
    upr_en = next(m for m in english.get_json()["items"] if m["code"] == "UPR")
    upr_es = next(m for m in spanish.get_json()["items"] if m["code"] == "UPR")
    assert upr_en["name"] == "Universal Periodic Review"
    assert upr_es["name"] == "Examen Periódico Universal"
    assert upr_en["family"]["label"] != upr_es["family"]["label"]
    assert "Accept-Language" in english.vary


def test_reference_data_lists(client, demo):
    vocabularies = get(client, "/api/v1/vocabularies").get_json()["items"]
    assert "themes" in {v["code"] for v in vocabularies}
    terms = get(client, "/api/v1/vocabularies/themes/terms?lang=en").get_json()
    assert terms["total"] == len(terms["items"]) > 5
    assert get(client, "/api/v1/vocabularies/nothing/terms").status_code == 404
    institutions = get(client, "/api/v1/institutions").get_json()["items"]
    assert sum(i["assignments"]["lead"] + i["assignments"]["support"] for i in institutions)
    one = get(client, f"/api/v1/institutions/{institutions[0]['id']}").get_json()
    assert one["acronym"] == institutions[0]["acronym"]
    documents = walk(client, "/api/v1/documents?limit=2")
    assert len(documents) == len(set(documents)) > 2
    assert get(client, f"/api/v1/documents/{documents[0]}").get_json()["id"] == documents[0]


def test_the_dashboard_counts_the_published_recommendations(client, demo):
    body = get(client, "/api/v1/dashboard?lang=en").get_json()
    assert body["overall"]["total"] == len(published_ids(demo))
    assert [s["code"] for s in body["statuses"]] == [s.value for s in ImplementationStatus]


def test_an_unchanged_answer_is_not_sent_again(client, demo):
    first = get(client, "/api/v1/recommendations?limit=3")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=60"
    again = get(client, "/api/v1/recommendations?limit=3", **{"If-None-Match": etag})
    assert again.status_code == 304 and not again.data
    other = get(client, "/api/v1/recommendations?limit=3&lang=en", **{"If-None-Match": etag})
    assert other.status_code == 200


def test_cors_lets_any_site_read_and_nothing_else(client, session):
    response = get(client, "/api/v1/mechanisms", Origin="https://example.org")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options("/api/v1/mechanisms", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "GET"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    refused = client.options("/api/v1/mechanisms", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in refused.headers
    posted = client.post("/api/v1/mechanisms", headers={"Origin": "https://example.org"})
    assert posted.status_code == 405 and posted.mimetype == "application/problem+json"
    assert "Access-Control-Allow-Origin" not in posted.headers


def test_listing_more_items_runs_no_more_statements(client, demo, count_queries):
    def statements(url: str) -> int:
        get(client, url)  # builds the caches
        with count_queries() as found:
            assert get(client, url).status_code == 200
        return len(found)

    assert statements("/api/v1/recommendations?limit=5") == statements(
        "/api/v1/recommendations?limit=50")
    assert statements("/api/v1/office-actions?limit=1") == statements(
        "/api/v1/office-actions?limit=50")
    assert statements("/api/v1/documents?limit=1") == statements("/api/v1/documents?limit=50")


def test_a_recommendation_page_costs_a_bounded_number_of_statements(client, demo, count_queries):
    rec_ids = sorted(published_ids(demo))[:3]
    counts = []
    for rec_id in rec_ids:
        with count_queries() as found:
            get(client, f"/api/v1/recommendations/{rec_id}")
        counts.append(len(found))
    assert max(counts) <= 12, counts


def test_dates_are_iso(client, session):
    doc = f.document(date=date(2021, 3, 4))
    f.recommendation(doc)
    body = get(client, f"/api/v1/documents/{doc.id}").get_json()
    assert body["date"] == "2021-03-04"
