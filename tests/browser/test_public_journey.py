"""A visitor's journey through the public portal on the demo data, in Chromium: a search,
two facets and the browser's back button, a recommendation in both languages, the CSV of
the filtered list, and the dashboard beside the home page's total."""

from __future__ import annotations

import csv
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tracker.exports.open_data import HEADER

# "Of African descent": the demo's Spanish texts hold the word, its English ones say
# "Afro-Honduran" or "of African descent", so only Spanish language versions can match.
WORD = "afrodescendientes"
COUNT = re.compile(r"([\d.,\s\u00a0\u202f]+)$")


def _number(text: str) -> int:
    """Read a number as the page writes it in either language ("1.234", "1,234")."""
    return int(re.sub(r"\D", "", text))


def _total(page) -> int:
    """The total the result-count heading announces ("Showing 1–25 of 40")."""
    heading = page.locator("h2.results-count")
    expect(heading).to_be_visible()
    return _number(COUNT.search(heading.inner_text().strip())[1])


def _shown_references(page) -> list[str]:
    return page.locator("ol.results .result-title a").all_inner_texts()


def _all_references(page) -> list[str]:
    """Every reference of the results, walking the pages by their "next" link."""
    refs = _shown_references(page)
    following = page.locator("a[rel=next]")
    while following.count():
        following.first.click()
        page.wait_for_load_state()
        refs += _shown_references(page)
    return refs


def _texts_in(app, language: str, word: str) -> int:
    from sqlalchemy import func

    from tracker.extensions import db
    from tracker.models import RecommendationText

    with app.app_context():
        return db.session.scalar(db.select(func.count()).where(
            RecommendationText.language == language,
            func.lower(RecommendationText.text).contains(word)))


def _narrowing(page, facet: str) -> list[tuple[str, int, str]]:
    """The values of a facet that narrow the list without emptying it: (href, count, label)."""
    total = _total(page)
    found = []
    for link in page.locator(f"#facet-{facet} a.facet-value:not(.chosen)").all():
        count = _number(link.locator(".facet-count").inner_text())
        if 0 < count < total:
            found.append((link.get_attribute("href"), count,
                          link.locator(".facet-label").inner_text().strip()))
    return found


def _two_facets(page, first: str, second: str) -> tuple[int, str]:
    """Click a value of the first facet, then one of the second that narrows it further
    (trying the first facet's values in turn); return the count and label announced."""
    for href, _count, _label in _narrowing(page, first):
        page.locator(f'#facet-{first} a.facet-value[href="{href}"]').click()
        page.wait_for_load_state()
        narrowing = _narrowing(page, second)
        if narrowing:
            href, count, label = narrowing[0]
            page.locator(f'#facet-{second} a.facet-value[href="{href}"]').click()
            page.wait_for_load_state()
            return count, label
        page.go_back()
    pytest.fail(f"no value of {first} leaves {second} anything to narrow")


@pytest.mark.browser
def test_a_visitor_searches_filters_reads_and_downloads(browser, demo_server, artifacts):
    # The demo holds the word in Spanish versions only: the search must find those.
    assert _texts_in(demo_server.app, "es", WORD) and not _texts_in(demo_server.app, "en", WORD)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        _journey(page, demo_server, artifacts)
    finally:
        context.close()


def _journey(page, server, artifacts):
    # 1. The home page in Spanish, the list, a search.
    page.goto(server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    home_total = _number(page.locator(".stat-number").first.inner_text())
    page.locator("header").get_by_role("link", name="Recomendaciones", exact=True).click()
    expect(page.locator("h1")).to_have_text("Recomendaciones")
    assert _total(page) == home_total
    page.fill("#f-q", WORD)
    page.get_by_role("button", name="Buscar", exact=True).click()
    expect(page).to_have_url(re.compile(rf"[?&]q={WORD}"))
    found = _total(page)
    texts = page.locator("ol.results .result-text").all_inner_texts()
    # Every Spanish version holding the word, and no English text.
    assert found == _texts_in(server.app, "es", WORD)
    assert len(texts) == min(found, 25)
    assert any(WORD in t.lower() for t in texts), texts
    assert set(page.locator("ol.results .result-text > span").evaluate_all(
        "spans => spans.map(s => s.lang)")) == {"es"}
    page.screenshot(path=str(artifacts / "journey-search-es.png"), full_page=True)

    # 2. Two facets from the whole list, one removed, then the back button.
    page.get_by_role("link", name="Quitar el filtro", exact=False).first.click()
    expect(page).not_to_have_url(re.compile(r"[?&]q="))
    announced, status_label = _two_facets(page, "mechanism", "status")
    args = parse_qs(urlsplit(page.url).query)
    assert args.get("mechanism") and args.get("status"), page.url
    assert _total(page) == announced
    filtered_url, two_facets = page.url, _shown_references(page)
    chosen = page.locator(".chosen-filters a.remove-filter")
    expect(chosen).to_have_count(2)
    chosen.first.click()
    page.wait_for_load_state()
    assert len([k for k in ("mechanism", "status")
                if parse_qs(urlsplit(page.url).query).get(k)]) == 1, page.url
    assert _total(page) > announced
    page.go_back()
    expect(page).to_have_url(filtered_url)
    assert _total(page) == announced
    assert _shown_references(page) == two_facets

    # 3. A recommendation of the results: its text, status and reference.
    first = page.locator("ol.results .result-title a").first
    reference = first.inner_text().strip()
    first.click()
    expect(page.locator("h1")).to_have_text(reference)
    expect(page.locator("article .result-meta .status-badge")).to_have_text(status_label)
    spanish_text, text_lang = _shown_text(server.app, reference, "es")
    expect(page.locator("article blockquote.rec-text").first).to_have_text(spanish_text)
    expect(page.locator("article blockquote.rec-text").first).to_have_attribute("lang", text_lang)
    expect(page.get_by_role("heading", name="Texto", exact=True)).to_be_visible()

    # 4. The same page in English through the language switcher.
    page.locator(".language-switch a[hreflang=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text(reference)
    expect(page.get_by_role("heading", name="Text", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="About this recommendation")).to_be_visible()
    english_status = page.locator("article .result-meta .status-badge").inner_text().strip()
    english_text, text_lang = _shown_text(server.app, reference, "en")
    expect(page.locator("article blockquote.rec-text").first).to_have_text(english_text)
    expect(page.locator("article blockquote.rec-text").first).to_have_attribute("lang", text_lang)
    page.screenshot(path=str(artifacts / "journey-recommendation-en.png"), full_page=True)

    # 5. Back to the filtered list (now in English) and its CSV.
    page.goto(filtered_url)
    expect(page.locator("h1")).to_have_text("Recommendations")
    chosen_status = page.locator("#facet-status a.facet-value.chosen .facet-label")
    expect(chosen_status).to_have_text(english_status)
    assert _total(page) == announced
    with page.expect_download() as info:
        page.locator(".open-data-downloads a", has_text="CSV").click()
    path = info.value.path()
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == HEADER
    refs = [row[HEADER.index("reference")] for row in rows[1:]]
    listed = _all_references(page)
    assert len(listed) == announced
    assert sorted(set(refs)) == sorted(listed)

    # 6. The dashboard: charts drawn, a table whose total is the home page's.
    page.get_by_role("link", name="Dashboard", exact=True).first.click()
    expect(page.locator("h1")).to_have_text("Dashboard")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_load_state("networkidle")
    drawn = page.evaluate("""() => [...document.querySelectorAll('main img')]
        .map(img => img.complete && img.naturalWidth > 0)
        .concat([...document.querySelectorAll('main svg')].map(s => s.childElementCount > 0))""")
    assert drawn and all(drawn), drawn
    total_row = page.locator("#table-status tr", has=page.locator("th", has_text="Total"))
    assert _number(total_row.locator("td").first.inner_text()) == home_total
    page.screenshot(path=str(artifacts / "journey-dashboard-en.png"), full_page=True)


def _shown_text(app, reference: str, language: str) -> tuple[str, str]:
    from tracker.extensions import db
    from tracker.models import Recommendation

    with app.app_context():
        rec = db.session.execute(
            db.select(Recommendation).filter_by(reference=reference)).scalar_one()
        return rec.shown_text(language)


@pytest.mark.browser
@pytest.mark.parametrize("odd", ['"unbalanced', "' OR 1=1 --"])
def test_odd_searches_give_a_normal_page(page, demo_server, odd):
    page.goto(demo_server.url + "/recommendations?lang=es")
    page.fill("#f-q", odd)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Buscar", exact=True).click()
    assert navigation.value.status == 200
    expect(page.locator("h1")).to_have_text("Recomendaciones")
    expect(page.locator("#f-q")).to_have_value(odd)
    expect(page.locator("h2.results-count")).to_be_visible()
