"""Pages as people see them in Chromium: the staff navigation fits a 1280 px screen, wide
tables fit the page, and an axe-core scan finds no serious or critical accessibility
violation, in Spanish and English, on a desktop and on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

WIDTHS = {1280: 900, 390: 844}
LANGS = ("es", "en")


def _open(browser, live_server, email: str | None, lang: str = "en"):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    if email:
        page.goto(f"{live_server.url}/login?lang={lang}")
        page.fill("#email", email)
        page.fill("#password", live_server.data["password"])
        page.click("main form button[type=submit]")
        expect(page).not_to_have_url(re.compile(r"/login"))
    return context, page


def _no_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


NAV_METRICS = """() => {
  const brand = document.querySelector('.site-nav .navbar-brand');
  const range = document.createRange();
  range.selectNodeContents(brand);
  const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
  const who = document.querySelector('.site-nav .account-nav .dropdown-toggle');
  const box = who.getBoundingClientRect();
  return {brandLines: lines.size, nameShown: who.scrollWidth <= who.clientWidth + 1,
          nameInside: box.left >= 0 && box.right <= window.innerWidth,
          nameText: who.textContent.trim(), navHeight: document.querySelector('.site-nav')
            .getBoundingClientRect().height};
}"""


@pytest.mark.browser
@pytest.mark.parametrize("who", ["reviewer_email", "admin_email"])
def test_staff_navigation_fits_a_1280_px_screen(browser, live_server, artifacts, who):
    context, page = _open(browser, live_server, live_server.data[who])
    try:
        for lang in LANGS:
            for width, height in WIDTHS.items():
                page.set_viewport_size({"width": width, "height": height})
                page.goto(f"{live_server.url}/review/?lang={lang}")
                page.screenshot(path=str(artifacts / f"nav-{who[:-6]}-{lang}-{width}.png"))
                assert _no_horizontal_overflow(page), (who, lang, width)
                # Nothing of the account bar is pushed out of the screen on either side.
                assert page.evaluate("""() => [...document.querySelectorAll(
                    '.language-switch, .account-nav .nav-link, .account-nav .dropdown-toggle')]
                    .every(e => { const r = e.getBoundingClientRect();
                                  return r.left >= 0 && r.right <= window.innerWidth; })"""), (
                    who, lang, width)
                if width < 1200:
                    continue  # the menu folds behind its button
                metrics = page.evaluate(NAV_METRICS)
                assert metrics["brandLines"] == 1, (who, lang, metrics)
                assert metrics["nameShown"] and metrics["nameInside"], (who, lang, metrics)
                assert metrics["navHeight"] < 80, (who, lang, metrics)
    finally:
        context.close()


@pytest.mark.browser
def test_vocabulary_page_fits_the_window(browser, live_server, artifacts):
    context, page = _open(browser, live_server, live_server.data["admin_email"])
    try:
        for lang in LANGS:
            for width, height in WIDTHS.items():
                page.set_viewport_size({"width": width, "height": height})
                page.goto(f"{live_server.url}/admin/vocabularies/1?lang={lang}")
                page.screenshot(path=str(artifacts / f"vocabulary-{lang}-{width}.png"),
                                full_page=True)
                assert _no_horizontal_overflow(page), (lang, width)
                if width == 1280:
                    # The terms table itself fits: nothing to scroll sideways on a desktop.
                    assert page.evaluate("""() => {
                      const box = document.querySelector('main table').parentElement;
                      return box.scrollWidth <= box.clientWidth;
                    }"""), lang
    finally:
        context.close()


def _serious(results) -> list[str]:
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]][:5]
            found.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return found


def _exports_to_show(live_server) -> None:
    """Give the export pages something in every state: the reviewer's and a public one."""
    import io

    from tracker.exports import XLSX_TYPE
    from tracker.extensions import db
    from tracker.models import JobState, ReportFormat, ReportJob, ReportKind, User
    from tracker.services.storage import store_stream

    if live_server.data.get("exports"):
        return
    with live_server.app.app_context():
        owner = db.session.scalar(db.select(User).filter_by(
            email=live_server.data["reviewer_email"]))
        for state, public, extra in (
                (JobState.DONE, False, {"rows": 1250, "filters": {"status": "in_progress"}}),
                (JobState.DONE, True, {"rows": 300, "snapshot_key": "e2e:status_matrix.xlsx"}),
                (JobState.RUNNING, False, {"progress": 45}),
                (JobState.FAILED, False, {"error": "The workbook could not be written."})):
            job = ReportJob(kind=ReportKind.STATUS_MATRIX, format=ReportFormat.XLSX,
                            locale="es", state=state, public=public,
                            requested_by_id=None if public else owner.id, **extra)
            if state == JobState.DONE:
                job.stored_file_id = store_stream(
                    io.BytesIO(b"PK" * 40_000), "matriz-de-estado-2026-11-30.xlsx",
                    XLSX_TYPE, job.requested_by_id).id
                job.finished_at = db.func.now()
            db.session.add(job)
        db.session.commit()
    live_server.data["exports"] = True


def _imports_to_show(live_server) -> int:
    """Give the import pages something to show: a preview waiting with a label to map."""
    import io

    from tests import factories
    from tracker.extensions import db
    from tracker.models import User
    from tracker.services import import_jobs

    if live_server.data.get("import_id"):
        return live_server.data["import_id"]
    data = ("mechanism,document_symbol,paragraph,text,themes\n"
            "CAT,CAT/C/HND/A11Y/1,1,Adopt a law on torture.,Etiqueta sin término A11Y\n"
            "Nowhere,X/1,1,Refused row.,\n").encode()
    with live_server.app.app_context():
        owner = db.session.scalar(db.select(User).filter_by(
            email=live_server.data["reviewer_email"]))
        job = factories.import_job(owner, data, "importacion-a11y.csv")
        import_jobs.start_import(owner, import_jobs.Upload("vacio.csv", io.BytesIO(b"")))
        db.session.commit()
        live_server.data["import_id"] = job.id
        db.session.remove()
    return live_server.data["import_id"]


@pytest.mark.browser
def test_no_serious_accessibility_violation(browser, live_server, artifacts):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    data = live_server.data
    _exports_to_show(live_server)
    import_id = _imports_to_show(live_server)
    audiences = [
        (None, ["/", "/recommendations", f"/recommendations/{data['office_rec_id']}",
                "/login", "/open-data", "/open-data/dictionary", "/open-data/licence",
                "/dashboard", "/institutions",
                f"/institutions/{data['institution_id']}", f"/documents/{data['document_id']}",
                "/pillars", "/pillars/accountability"]),
        (data["email"], ["/my-institution/"]),
        (data["reviewer_email"], ["/review/reports/", "/account", "/review/exports",
                                  "/review/exports/new", "/review/imports",
                                  "/review/imports/new", f"/review/imports/{import_id}",
                                  f"/review/imports/{import_id}?outcome=refused"]),
        (data["admin_email"], ["/admin/audit"]),
    ]
    problems = []
    for email, paths in audiences:
        context, page = _open(browser, live_server, email)
        try:
            for lang in LANGS:
                for width, height in WIDTHS.items():
                    page.set_viewport_size({"width": width, "height": height})
                    for path in paths:
                        joint = "&" if "?" in path else "?"
                        page.goto(f"{live_server.url}{path}{joint}lang={lang}")
                        name = re.sub(r"\W+", "-", path).strip("-") or "home"
                        page.screenshot(path=str(artifacts / f"a11y-{name}-{lang}-{width}.png"),
                                        full_page=True)
                        problems += [f"{path} {lang} {width}px: {problem}"
                                     for problem in _serious(axe.run(page))]
        finally:
            context.close()
    assert problems == [], "\n".join(problems)
