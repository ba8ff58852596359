"""The import screen in Chromium: a reviewer uploads a file whose theme no term knows, maps
the label inline in the preview, confirms, follows the import's progress and reads its
report; the pages pass an axe-core scan and fit a phone."""

from __future__ import annotations

import re
import threading
import time
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from tests.browser.test_layout_and_accessibility import (
    _no_horizontal_overflow,
    _open,
    _serious,
)

LABEL = "Derechos de las personas E2E"
SYMBOL = "CEDAW/C/HND/E2E/IMP"
TERM = "Discrimination against women"
CSV = ("mechanism,document_symbol,paragraph,text,themes\n"
       + "".join(f"CEDAW,{SYMBOL},{n},Adopt measure number {n} against discrimination.,"
                 f"{LABEL}\n" for n in range(1, 4))).encode()


def _slow_import(monkeypatch) -> None:
    """Let the import take a moment per row, so that its progress can be seen."""
    from tracker.services import import_runs, imports

    monkeypatch.setattr(imports, "BATCH_SIZE", 1)
    real = import_runs.import_records

    def slowly(records, **kwargs):
        if not kwargs.get("dry_run"):
            step = kwargs["on_progress"]

            def beat_then_wait(result):
                step(result)
                time.sleep(1.5)

            kwargs["on_progress"] = beat_then_wait
        return real(records, **kwargs)

    monkeypatch.setattr(import_runs, "import_records", slowly)


@contextmanager
def _worker(live_server):
    """A worker beside the live server, taking the import jobs queued, as `make worker` does.

    The server also runs them itself once its answer has gone, but its development server
    may keep a connection, and so that work, waiting on the browser: a job left waiting a
    few seconds is taken here, and the job's claim lets whichever comes first run it, the
    other finding it taken.
    """
    from sqlalchemy import select

    from tracker.extensions import db
    from tracker.models import ImportJob, JobState
    from tracker.services.import_runs import run_import_job

    stop = threading.Event()
    # When this worker first saw each job waiting: it leaves the server a few seconds to run
    # it, as the sweep does, so that two runs seldom race for one SQLite database.
    seen: dict[int, float] = {}

    def work() -> None:
        with live_server.app.app_context():
            while not stop.is_set():
                queued = set(db.session.scalars(select(ImportJob.id).where(
                    ImportJob.state == JobState.QUEUED,
                    ImportJob.discarded_at.is_(None))))
                db.session.rollback()
                for job_id in [job_id for job_id in seen if job_id not in queued]:
                    del seen[job_id]
                for job_id in queued:
                    if time.monotonic() - seen.setdefault(job_id, time.monotonic()) > 3:
                        run_import_job(job_id)
                db.session.remove()
                stop.wait(0.3)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def _terms_of_the_imported(live_server) -> list[list[str]]:
    from sqlalchemy import select

    from tracker.extensions import db
    from tracker.models import Recommendation

    with live_server.app.app_context():
        recs = db.session.scalars(select(Recommendation).where(
            Recommendation.reference.startswith(SYMBOL)).order_by(Recommendation.id)).all()
        terms = [sorted(t.name_en for t in rec.terms) for rec in recs]
        db.session.remove()
    return terms


def _scan(axe, page, artifacts, name: str) -> list[str]:
    problems = []
    for width, height in {1280: 900, 390: 844}.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(artifacts / f"import-{name}-{width}.png"), full_page=True)
        if not _no_horizontal_overflow(page):
            problems.append(f"{name} {width}px: wider than the screen")
        problems += [f"{name} {width}px: {p}" for p in _serious(axe.run(page))]
    page.set_viewport_size({"width": 1280, "height": 900})
    return problems


@pytest.mark.browser
def test_a_reviewer_imports_a_file_mapping_its_label_inline(browser, live_server, artifacts,
                                                            monkeypatch):
    from axe_playwright_python.sync_playwright import Axe

    _slow_import(monkeypatch)
    axe = Axe()
    problems = []
    with _worker(live_server):
        context, page = _open(browser, live_server, live_server.data["reviewer_email"],
                              "en")
        try:
            page.goto(f"{live_server.url}/review/recommendations?lang=en")
            page.get_by_role("navigation", name="Office workspace").get_by_role(
                "link", name="Imports").click()
            page.get_by_role("link", name="New import").click()
            problems += _scan(axe, page, artifacts, "new")
            page.set_input_files("#file", files=[{"name": "e2e-import.csv",
                                                  "mimeType": "text/csv", "buffer": CSV}])
            page.get_by_role("button", name="Send and preview").click()

            # The preview is built after the answer; the page notices by itself.
            expect(page.locator("h1")).to_contain_text("Import of e2e-import.csv")
            expect(page.locator("#import-state")).to_contain_text(
                "Preview ready: waiting for confirmation", timeout=30_000)
            expect(page.locator("#count-created td")).to_have_text("3")
            expect(page.locator("#labels")).to_contain_text(f"“{LABEL}”")
            problems += _scan(axe, page, artifacts, "preview")

            page.get_by_label("Term it means").select_option(
                label=f"{TERM} · Discriminación contra la mujer")
            page.get_by_role("button", name=re.compile("Map to this term")).click()
            expect(page.locator(".flash-messages")).to_contain_text(
                f"“{LABEL}” now means “{TERM}”")
            expect(page.locator("#import-state")).to_contain_text(
                "Preview ready: waiting for confirmation", timeout=30_000)
            expect(page.locator("#labels")).to_have_count(0)
            assert _terms_of_the_imported(live_server) == [], "nothing saved before confirming"

            page.get_by_role("button", name="Confirm and import").click()
            expect(page.locator(".flash-messages")).to_contain_text("The import is confirmed")
            progress = page.get_by_role("progressbar")
            expect(progress).to_be_visible()
            expect(page.locator("#import-state")).to_contain_text("Importing")
            page.evaluate("window.beforeTheImportEnded = true")
            # The bar moves without a reload, then the page shows the report once it is done.
            expect(progress).not_to_have_attribute("aria-valuenow", "0", timeout=20_000)
            assert page.evaluate("window.beforeTheImportEnded === true")
            expect(page.locator("#import-state")).to_contain_text("Imported", timeout=30_000)
            expect(page.get_by_role("progressbar")).to_have_count(0)
            expect(page.locator("#report h2")).to_have_text("What the import did")
            expect(page.locator("#count-created td")).to_have_text("3")
            expect(page.locator("#rows")).to_contain_text(f"{SYMBOL} ¶2")
            problems += _scan(axe, page, artifacts, "report")

            page.get_by_role("navigation", name="Office workspace").get_by_role(
                "link", name="Imports").click()
            row = page.locator("tr", has_text="e2e-import.csv")
            expect(row).to_contain_text("Imported")
            expect(row).to_contain_text("Created: 3")
            problems += _scan(axe, page, artifacts, "history")
        finally:
            context.close()

    assert _terms_of_the_imported(live_server) == [[TERM]] * 3
    assert problems == [], "\n".join(problems)
