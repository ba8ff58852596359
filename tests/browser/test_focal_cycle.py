"""A focal point, in a real browser: sign in, see what is due, write a report with a private
PDF attached through the file input, submit it."""

from __future__ import annotations

import hashlib
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

PDF = (b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
       b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
       b"trailer <</Root 1 0 R>>\n%%EOF\n")


@pytest.mark.browser
def test_focal_point_writes_and_submits_a_report(page, live_server, artifacts, tmp_path):
    data = live_server.data
    base = live_server.url
    page.goto(f"{base}/language/en?next=/login")
    page.fill("#email", data["email"])
    page.fill("#password", data["password"])
    page.click("main form button[type=submit]")

    # My institution: the recommendation is there, due within the next days.
    expect(page).to_have_url(re.compile(r"/my-institution/$"))
    row = page.locator(".assignment-row", has_text=data["reference"])
    expect(row).to_have_attribute("data-due-state", "due_soon")
    expect(row).to_contain_text("Due soon")
    page.screenshot(path=str(artifacts / "focal-home-1280.png"), full_page=True)

    page.get_by_role("link", name="Write a progress report").first.click()
    expect(page.locator("h1")).to_have_text("Write a progress report")
    page.fill("#title", "Shelters opened in three departments")
    page.check(f"#rec-{data['rec_id']}")
    page.select_option("#measure_kind", "institutional")
    page.fill("#period_start", "2024-01-01")
    page.fill("#period_end", "2024-06-30")
    page.fill("#description", "Three **shelters** opened:\n\n- Cortés\n- Atlántida\n- Olancho")
    page.screenshot(path=str(artifacts / "focal-report-form-1280.png"), full_page=True)
    page.get_by_role("button", name="Save draft").click()

    expect(page.locator("h1")).to_have_text("Shelters opened in three departments")
    expect(page.locator(".report-state")).to_contain_text("Draft")
    expect(page.locator(".report-description strong")).to_have_text("shelters")

    pdf = tmp_path / "Acta de apertura.pdf"
    pdf.write_bytes(PDF)
    page.set_input_files("#file-file", str(pdf))
    page.fill("#file-label", "Opening minutes")
    page.check("#file-visibility-0")  # private
    expect(page.locator("#file-visibility-0")).to_have_attribute("value", "private")
    page.get_by_role("button", name="Attach file").click()
    evidence = page.locator("#evidence .list-group-item", has_text="Opening minutes")
    expect(evidence).to_contain_text("Private")
    expect(evidence).to_contain_text("Acta de apertura.pdf")

    page.get_by_role("button", name="Submit to the office").click()
    expect(page.locator(".report-state")).to_contain_text("Submitted")
    expect(page.locator(".alert-success")).to_contain_text("sent to the office")
    page.screenshot(path=str(artifacts / "focal-report-submitted-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(artifacts / "focal-report-submitted-390.png"), full_page=True)
    page.goto(f"{base}/my-institution/")
    page.screenshot(path=str(artifacts / "focal-home-390.png"), full_page=True)

    from tracker.extensions import db
    from tracker.models import ProgressReport, ReportState

    with live_server.app.app_context():
        report = db.session.scalars(select(ProgressReport).where(
            ProgressReport.title == "Shelters opened in three departments")).one()
        assert report.state == ReportState.SUBMITTED and report.submitted_at is not None
        assert report.author_id == data["focal_id"]
        assert [r.id for r in report.recommendations] == [data["rec_id"]]
        assert [t.to_state for t in report.transitions] == [ReportState.DRAFT,
                                                            ReportState.SUBMITTED]
        [item] = report.evidence
        stored = item.stored_file
        assert item.is_public is False and item.label == "Opening minutes"
        assert stored.filename == "Acta de apertura.pdf"
        assert stored.content_type == "application/pdf" and stored.size == len(PDF)
        assert stored.sha256 == hashlib.sha256(PDF).hexdigest() and stored.data == PDF
        db.session.remove()
