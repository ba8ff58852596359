"""The labels to map, in Chromium: a reviewer finds the label, searches a term, maps it; the
pages fit a phone and pass an axe-core scan."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_layout_and_accessibility import (
    _no_horizontal_overflow,
    _open,
    _serious,
)


def _queue_a_label(live_server, label: str, symbol: str) -> None:
    """Import two records whose theme no term knows, so the label waits in the queue."""
    from tracker.extensions import db
    from tracker.imports import RecommendationRecord
    from tracker.services.imports import import_records

    with live_server.app.app_context():
        import_records([RecommendationRecord(
            source="e2e.json", row=n, mechanism="CRC", document_symbol=symbol,
            paragraph=str(n), text=f"Protect children online ({n}).", themes=[label])
            for n in (1, 2)])
        db.session.commit()
        db.session.remove()


@pytest.mark.browser
def test_labels_pages_read_well_on_a_phone_and_pass_axe(browser, live_server, artifacts):
    from axe_playwright_python.sync_playwright import Axe

    label = "Seguridad en línea (E2E)"
    _queue_a_label(live_server, label, "CRC/C/E2E/CO/1")
    axe = Axe()
    context, page = _open(browser, live_server, live_server.data["reviewer_email"], "es")
    problems = []
    try:
        for lang in ("es", "en"):
            for width, height in {1280: 900, 390: 844}.items():
                page.set_viewport_size({"width": width, "height": height})
                page.goto(f"{live_server.url}/review/labels?lang={lang}")
                for name in ("list", "label"):
                    if name == "label":
                        page.get_by_role("link", name=re.compile(re.escape(label))).click()
                        expect(page.locator("h1")).to_contain_text(label)
                    page.screenshot(path=str(artifacts / f"labels-{name}-{lang}-{width}.png"),
                                    full_page=True)
                    assert _no_horizontal_overflow(page), (name, lang, width)
                    problems += [f"{name} {lang} {width}px: {p}" for p in _serious(axe.run(page))]
    finally:
        context.close()
    assert problems == [], "\n".join(problems)


@pytest.mark.browser
def test_a_reviewer_searches_a_term_and_maps_the_label(browser, live_server):
    label = "Privacidad digital (E2E)"
    _queue_a_label(live_server, label, "CRC/C/E2E/CO/2")
    context, page = _open(browser, live_server, live_server.data["reviewer_email"], "es")
    try:
        page.goto(f"{live_server.url}/review/recommendations?lang=es")
        page.get_by_role("link", name="Etiquetas por vincular").first.click()
        row = page.locator("tr", has_text=label)
        expect(row.locator("td").nth(2)).to_have_text("2")
        row.get_by_role("link").click()
        page.get_by_label("Buscar un término").fill("privada")
        page.get_by_role("button", name="Buscar").click()
        page.get_by_label("Término al que corresponde").select_option(
            label="Vida privada y privacidad · Private life & privacy")
        page.get_by_role("button", name="Vincular a este término").click()
        expect(page.locator(".flash-messages")).to_contain_text(
            f"“{label}” ahora significa “Vida privada y privacidad”")
        expect(page.locator("tr", has_text=label)).to_have_count(0)
    finally:
        context.close()
