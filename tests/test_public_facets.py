"""The public list's facets: counts as filters combine, every filter, paging and sorting."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from tests import factories as f
from tests.test_public import listed, page, shown
from tracker.models import (
    ImplementationStatus,
    RecommendationType,
    Role,
    Term,
    UprPosition,
    Vocabulary,
)

S = ImplementationStatus


def first_term(session, vocabulary: str, skip: int = 0) -> Term:
    return session.scalars(
        select(Term).join(Vocabulary).where(Vocabulary.code == vocabulary)
        .order_by(Term.id).offset(skip)
    ).first()


def facet_counts(html: str, facet: str) -> dict[str, int]:
    """The values a facet offers, each with the count it shows (digits only)."""
    section = re.search(rf'<section class="facet" id="facet-{facet}".*?</section>', html, re.S)
    if section is None:
        return {}
    return {
        value: int(re.sub(r"\D", "", count))
        for value, count in re.findall(
            r'data-value="([^"]+)".*?<span class="facet-count">([^<]+)</span>',
            section.group(0), re.S)
    }


@pytest.fixture
def world(session):
    """Two UPR recommendations of 2015, two CEDAW ones of 2020 (one unpublished), one CAT."""
    upr = f.document("A/HRC/30/5", "UPR", date=date(2015, 7, 1), upr_cycle=2)
    cedaw = f.document("CEDAW/C/HND/CO/9", "CEDAW", date=date(2020, 3, 1))
    cat = f.document("CAT/C/HND/CO/2", "CAT", date=date(2016, 8, 26))
    theme = f.term("themes", "right_to_education")
    persons = first_term(session, "affected_persons")
    sdg = first_term(session, "sdg")
    pillar = first_term(session, "pillar")
    inst = f.institution("SEDH-F")
    recs = {
        "U-1": f.recommendation(upr, reference="U-1", paragraph="1", status=S.IMPLEMENTED,
                                upr_position=UprPosition.SUPPORTED),
        "U-2": f.recommendation(upr, reference="U-2", paragraph="2", status=S.IN_PROGRESS,
                                upr_position=UprPosition.NOTED),
        "C-1": f.recommendation(cedaw, reference="C-1", paragraph="1", status=S.IMPLEMENTED,
                                text="Girls and secondary education."),
        "C-2": f.recommendation(cedaw, reference="C-2", paragraph="2", status=S.IMPLEMENTED,
                                is_published=False),
        "B-1": f.recommendation(cat, reference="B-1", paragraph="1", status=S.NOT_STARTED,
                                type=RecommendationType.CONCERN),
    }
    recs["U-1"].recommending_states.append(f.country("MX"))
    recs["U-2"].recommending_states.extend([f.country("MX"), f.country("CA")])
    recs["C-1"].terms.extend([theme, persons, sdg])
    recs["C-2"].terms.append(theme)
    recs["B-1"].terms.append(pillar)
    f.assignment(recs["B-1"], inst)
    session.flush()
    return {"recs": recs, "upr": upr, "cedaw": cedaw, "cat": cat, "theme": theme,
            "persons": persons, "sdg": sdg, "pillar": pillar, "inst": inst}


PUBLIC = {"U-1", "U-2", "C-1", "B-1"}


def test_counts_apply_every_other_filter_but_not_their_own(client, world):
    html = page(client, "/recommendations")
    assert facet_counts(html, "status") == {"in_progress": 1, "not_started": 1, "implemented": 2}

    upr_id = str(world["upr"].mechanism_id)
    narrowed = page(client, f"/recommendations?mechanism={upr_id}")
    assert shown(narrowed) == {"U-1", "U-2"}
    assert facet_counts(narrowed, "status") == {"in_progress": 1, "implemented": 1}
    # The chosen facet still counts every mechanism: what choosing another one would add.
    mechanisms = facet_counts(narrowed, "mechanism")
    assert mechanisms[upr_id] == 2 and mechanisms[str(world["cedaw"].mechanism_id)] == 1
    assert facet_counts(narrowed, "state") == {"MX": 2, "CA": 1}

    both = page(client, f"/recommendations?mechanism={upr_id}&status=implemented")
    assert shown(both) == {"U-1"}
    assert facet_counts(both, "state") == {"MX": 1}
    assert facet_counts(both, "mechanism")[str(world["cedaw"].mechanism_id)] == 1


def test_values_of_one_filter_add_up_and_filters_narrow_down(client, world):
    assert shown(page(client, "/recommendations?status=implemented&status=not_started")) == {
        "U-1", "C-1", "B-1"}
    assert shown(page(client, "/recommendations?state=MX&state=CA")) == {"U-1", "U-2"}
    assert shown(page(client, "/recommendations?state=CA&status=implemented")) == set()


@pytest.mark.parametrize(
    ("facet", "value", "expected"),
    [
        ("family", lambda w: "treaty_body", {"C-1", "B-1"}),
        ("mechanism", lambda w: w["cat"].mechanism_id, {"B-1"}),
        ("document", lambda w: w["cedaw"].id, {"C-1"}),
        ("cycle", lambda w: 2, {"U-1", "U-2"}),
        ("year", lambda w: 2016, {"B-1"}),
        ("position", lambda w: "noted", {"U-2"}),
        ("state", lambda w: "ca", {"U-2"}),  # any case
        ("theme", lambda w: w["theme"].id, {"C-1"}),
        ("persons", lambda w: w["persons"].id, {"C-1"}),
        ("sdg", lambda w: w["sdg"].id, {"C-1"}),
        ("pillar", lambda w: w["pillar"].id, {"B-1"}),
        ("institution", lambda w: w["inst"].id, {"B-1"}),
        ("status", lambda w: "in_progress", {"U-2"}),
        ("type", lambda w: "concern", {"B-1"}),
    ],
)
def test_every_facet_filters_and_says_so_in_sql_too(client, session, world, facet, value,
                                                    expected):
    from tracker.services.catalogue import listing

    html = page(client, f"/recommendations?{facet}={value(world)}")
    assert shown(html) == expected
    assert 'aria-current="true"' in html and "remove-filter" in html

    # The same filters in SQL, as exports stream them, select the same recommendations.
    filters, ignored = listing.parse_filters(None, {facet: str(value(world))})
    assert ignored == []
    refs = session.scalars(
        select(listing.Recommendation.reference)
        .where(listing.Recommendation.is_published.is_(True), *listing._conditions(filters))
    ).all()
    assert set(refs) == expected


def test_the_url_reproduces_the_view(client, world):
    from tracker.services.catalogue import listing

    url = "/recommendations?state=MX&state=CA&status=implemented&q=girls&sort=reference"
    with client.application.test_request_context(url):
        from flask import request

        filters, ignored = listing.parse_filters(None, request.args)
        assert ignored == []
        assert filters.as_args() == {"state": ["MX", "CA"], "status": "implemented",
                                     "q": "girls", "sort": "reference"}


def test_unknown_and_malformed_values_are_reported_not_dropped(client, world):
    html = page(client, "/recommendations?year=abc&state=ZZ&status=done&sort=size"
                        "&per_page=100000&page=abc&theme=999999")
    warning = re.search(r'<div class="alert alert-warning".*?</div>', html, re.S).group(0)
    for shown_value in ("abc", "ZZ", "done", "size", "100000", "999999"):
        assert f"«{shown_value}»" in warning
    assert "Año" in warning  # named in the reader's language
    assert shown(html) == PUBLIC


def test_a_page_past_the_end_shows_the_last_one_and_says_so(client, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 3)
    html = page(client, "/recommendations?page=7")
    assert len(listed(html)) == 1
    assert 'role="status"' in html and "7" in re.search(
        r'<div class="alert alert-info" role="status">(.*?)</div>', html, re.S).group(1)


def test_sort_orders_and_deep_pages(client, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    by_date = listed(page(client, "/recommendations")) + listed(
        page(client, "/recommendations?page=2"))
    assert by_date == ["C-1", "B-1", "U-1", "U-2"]  # newest document first
    by_reference = listed(page(client, "/recommendations?sort=reference")) + listed(
        page(client, "/recommendations?sort=reference&page=2"))
    assert by_reference == sorted(PUBLIC)
    filtered = listed(page(client, "/recommendations?sort=reference&status=implemented"))
    assert filtered == ["C-1", "U-1"]
    assert listed(page(client, "/recommendations?per_page=3&page=2")) == ["U-2"]


def test_unpublished_recommendations_are_counted_for_staff_only(client, world):
    public = page(client, "/recommendations?theme=" + str(world["theme"].id))
    assert facet_counts(public, "status") == {"implemented": 1}
    f.sign_in(client, f.user(Role.REVIEWER))
    staff = page(client, "/recommendations?theme=" + str(world["theme"].id))
    assert facet_counts(staff, "status") == {"implemented": 2}
    assert shown(staff) == {"C-1", "C-2"}


def test_the_counts_follow_a_committed_change(client, session, world):
    session.flush()
    session.commit()
    before = facet_counts(page(client, "/recommendations"), "status")
    assert before["in_progress"] == 1

    world["recs"]["U-2"].status = S.IMPLEMENTED
    session.flush()
    session.commit()

    after = page(client, "/recommendations")
    assert "in_progress" not in facet_counts(after, "status")
    assert facet_counts(after, "status")["implemented"] == before["implemented"] + 1
    assert re.findall(r'<span class="stat-number">([^<]+)</span>', page(client, "/"))[0] == "4"


def test_did_you_mean_is_offered_when_nothing_matches(client, world, monkeypatch):
    from tracker.services.catalogue import text_search

    monkeypatch.setattr(text_search, "suggest", lambda q: "girls" if q == "gurls" else None)
    html = page(client, "/recommendations?q=gurls")
    assert shown(html) == set()
    link = re.search(r'<p class="did-you-mean">.*?<a href="([^"]+)">girls</a>', html, re.S)
    assert shown(page(client, link.group(1).replace("&amp;", "&"))) == {"C-1"}


def test_a_page_runs_the_same_few_queries_for_5_and_50_rows(client, session,
                                                              count_queries):
    doc = f.document("A/HRC/99/1", "UPR", date=date(2019, 1, 1))
    for n in range(50):
        rec = f.recommendation(doc, reference=f"Q-{n}", paragraph=str(n))
        rec.recommending_states.append(f.country("MX"))
    session.flush()
    session.commit()
    page(client, "/recommendations")  # the index is built once per change, then reused

    counts = []
    for per_page in (5, 50):
        with count_queries() as statements:
            html = page(client, f"/recommendations?per_page={per_page}&state=MX")
        assert len(listed(html)) == per_page
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 6


def test_the_page_stays_small_with_many_states_and_documents(client, session):
    from tracker.models import Country

    countries = session.scalars(select(Country).order_by(Country.iso2).limit(150)).all()
    for n, country in enumerate(countries):
        doc = f.document(f"A/HRC/{n}/1", "UPR", date=date(2000 + n % 20, 1, 1))
        rec = f.recommendation(doc, reference=f"M-{n}")
        rec.recommending_states.append(country)
    session.flush()
    for url in ("/recommendations", "/recommendations?more=state",
                "/recommendations?more=document"):
        html = page(client, url)
        assert len(html.encode()) <= 100_000, (url, len(html.encode()))
    assert len(facet_counts(page(client, "/recommendations"), "state")) < 20
    assert len(facet_counts(page(client, "/recommendations?more=state"), "state")) == 150
    # Many documents are counted by a pass over the matches: the same counts.
    of_2001 = facet_counts(page(client, "/recommendations?year=2001&more=document"), "document")
    assert sorted(of_2001.values()) == [1] * len(range(1, 150, 20))
