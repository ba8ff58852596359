"""The export list in Chromium: it follows a build to its end without a reload, and the
finished file downloads under its name."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect

FILENAME = "status-matrix-2026-11-30.xlsx"


def _reviewer_job(live_server, **values) -> int:
    from tracker.extensions import db
    from tracker.models import JobState, ReportFormat, ReportJob, ReportKind, User

    with live_server.app.app_context():
        owner = db.session.scalar(db.select(User).filter_by(
            email=live_server.data["reviewer_email"]))
        job = ReportJob(kind=ReportKind.STATUS_MATRIX, format=ReportFormat.XLSX, locale="en",
                        requested_by_id=owner.id, state=JobState.RUNNING, **values)
        db.session.add(job)
        db.session.commit()
        return job.id


def _finish(live_server, job_id: int, content: bytes) -> None:
    """What the worker does at the end of a build: store the file, mark the job done."""
    from tracker.exports import XLSX_TYPE
    from tracker.extensions import db
    from tracker.models import JobState, ReportJob, utcnow
    from tracker.services.storage import store_stream

    with live_server.app.app_context():
        job = db.session.get(ReportJob, job_id)
        job.stored_file_id = store_stream(io.BytesIO(content), FILENAME, XLSX_TYPE,
                                          job.requested_by_id).id
        job.state, job.progress, job.rows, job.finished_at = JobState.DONE, 100, 42, utcnow()
        db.session.commit()


@pytest.mark.browser
def test_the_list_follows_a_build_and_the_file_downloads(browser, live_server, tmp_path):
    job_id = _reviewer_job(live_server, progress=30)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login?lang=en")
        page.fill("#email", live_server.data["reviewer_email"])
        page.fill("#password", live_server.data["password"])
        page.click("main form button[type=submit]")
        expect(page).not_to_have_url(re.compile(r"/login"))
        page.goto(f"{live_server.url}/review/exports?lang=en")
        card = page.locator(f"#export-{job_id}")
        expect(card).to_contain_text("Running 30%")
        expect(card.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "30")
        page.evaluate("window.beforeTheBuildEnded = true")  # gone if the page reloads

        content = b"PK\x03\x04" + b"workbook" * 1000
        _finish(live_server, job_id, content)
        # The list looks again every few seconds.
        expect(card).to_contain_text("Ready", timeout=20_000)
        expect(card).to_contain_text("42 recommendations")
        expect(card.get_by_role("progressbar")).to_have_count(0)
        assert page.evaluate("window.beforeTheBuildEnded === true"), "the page was reloaded"

        with page.expect_download() as started:
            card.get_by_role("link", name=re.compile("Download")).click()
        download = started.value
        assert download.suggested_filename == FILENAME
        saved = tmp_path / "file.xlsx"
        download.save_as(saved)
        assert saved.read_bytes() == content
    finally:
        context.close()
