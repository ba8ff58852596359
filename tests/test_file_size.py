"""A file's size reads the same on the public page and in the workspaces, with the reader's
decimal mark: "17,2 kB" in Spanish, "17.2 kB" in English."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from tests import factories
from tests.conftest import choose_language, login
from tracker.i18n import file_size
from tracker.models import ReportVisibility, Role
from tracker.services import evidence, reports

# 17,613 bytes: 17.2 kB.
PDF = b"%PDF-1.4\n%%EOF\n" + b"%" * (17_613 - 15)


@pytest.fixture
def public_file(session):
    inst = factories.institution("SIZE-A")
    rec = factories.recommendation()
    factories.assignment(rec, inst)
    author = factories.user(Role.FOCAL_POINT, inst)
    reviewer = factories.user(Role.REVIEWER)
    report = factories.progress_report(author, [rec], title="Shelters opened")
    evidence.attach_file(author, report.id, filename="acta.pdf", data=PDF, is_public=True,
                         label="Opening minutes")
    reports.submit_report(author, report.id, report.version)
    reports.approve_report(reviewer, report.id, report.version,
                           visibility=ReportVisibility.PUBLIC)
    return {"rec": rec, "report": report, "author": author, "reviewer": reviewer}


@pytest.mark.parametrize(("lang", "shown"), [("es", "17,2 kB"), ("en", "17.2 kB")])
def test_one_file_size_everywhere_with_the_locale_decimal_mark(client, public_file, lang, shown):
    choose_language(client, lang)
    public = client.get(f"/recommendations/{public_file['rec'].id}").get_data(as_text=True)
    assert f"acta.pdf, {shown})" in public

    login(client, public_file["author"])
    own = client.get(f"/my-institution/reports/{public_file['report'].id}")
    assert f"acta.pdf · {shown}" in own.get_data(as_text=True)
    client.post("/logout")

    choose_language(client, lang)
    login(client, public_file["reviewer"])
    office = client.get(f"/review/reports/{public_file['report'].id}")
    assert f"acta.pdf · {shown}" in office.get_data(as_text=True)


@pytest.mark.parametrize(("size", "es", "en"), [
    (0, "0 kB", "0 kB"),
    (20, "0,1 kB", "0.1 kB"),
    (1_536, "1,5 kB", "1.5 kB"),
    (2_000_000, "1,9 MB", "1.9 MB"),
    (20 * 1024 * 1024, "20 MB", "20 MB"),
    (3 * 1024 ** 3 // 2, "1,5 GB", "1.5 GB"),
])
def test_file_size_steps(app, size, es, en):
    with app.test_request_context():
        with force_locale("es"):
            assert file_size(size) == es
        with force_locale("en"):
            assert file_size(size) == en
