"""The public dashboard and an institution's page in Chromium: the charts load, the tables
beside them scroll inside their region on a phone, and the printed page leaves out the
navigation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

WIDTHS = {1280: 900, 390: 844}
CHARTS_LOADED = """() => [...document.querySelectorAll('img.chart')]
  .map(img => img.complete && img.naturalWidth > 0)"""


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_dashboard_shows_charts_beside_their_tables(page, live_server, artifacts, lang):
    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/dashboard?lang={lang}")
        expect(page.locator("h1")).to_have_text("Tablero" if lang == "es" else "Dashboard")
        status = page.locator("#table-status")
        expect(status).to_be_visible()
        total = status.locator("tr", has=page.locator("th", has_text="Total"))
        expect(total.locator("td").first).not_to_have_text("0")
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        page.wait_for_load_state("networkidle")
        loaded = page.evaluate(CHARTS_LOADED)
        assert loaded and all(loaded), loaded
        assert _fits(page), f"the page is wider than a {width} px window"
        page.screenshot(path=str(artifacts / f"dashboard-{lang}-{width}.png"), full_page=True)
    page.emulate_media(media="print")
    expect(page.locator("header")).to_be_hidden()
    expect(page.locator("#table-status")).to_be_visible()


@pytest.mark.browser
def test_an_institution_page_on_a_desktop_and_a_phone(page, live_server, artifacts):
    inst_id = live_server.data["institution_id"]
    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/institutions/{inst_id}?lang=en")
        expect(page.locator("h1")).to_contain_text("Secretariat for Women (E2E)")
        expect(page.get_by_text("Reporting punctuality")).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert all(page.evaluate(CHARTS_LOADED))
        assert _fits(page)
        page.screenshot(path=str(artifacts / f"institution-en-{width}.png"), full_page=True)
