"""When evidence is public, how its files are served, and names that cannot spoof a type."""

from __future__ import annotations

import io
from urllib.parse import unquote

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import select

from tests import factories
from tests.conftest import login, scratch_database
from tracker import create_app
from tracker.extensions import db
from tracker.models import (
    Evidence,
    EvidenceKind,
    ProgressReport,
    ReportState,
    ReportTransition,
    ReportVisibility,
    Role,
    StoredFile,
)
from tracker.services import evidence, reports

PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "informe\u202efdp.exe" reads "informeexe.pdf"
INVISIBLE = ("\u202e", "\u202d", "\u2066", "\u200b", "\u200e", "\ufeff")


@pytest.fixture
def cycle(session):
    inst_a, inst_b = factories.institution("PUBEV-A"), factories.institution("PUBEV-B")
    rec = factories.recommendation(is_published=True)
    factories.assignment(rec, inst_a)
    return {
        "rec": rec,
        "focal_a": factories.user(Role.FOCAL_POINT, inst_a),
        "focal_b": factories.user(Role.FOCAL_POINT, inst_b),
        "reviewer": factories.user(Role.REVIEWER),
    }


def _approved_public(focal, reviewer, recs, files):
    """A report written, submitted and approved public through the services, with files."""
    report = factories.progress_report(focal, recs)
    items = [evidence.attach_file(focal, report.id, filename=name, data=PDF, is_public=public)
             for name, public in files]
    reports.submit_report(focal, report.id, report.version)
    reports.approve_report(reviewer, report.id, report.version,
                           visibility=ReportVisibility.PUBLIC)
    return report, items


def _file(report, name, *, is_public):
    return factories.evidence_file(report, name, label=name, is_public=is_public, data=PDF)


def _status_as(client, user, url) -> int:
    client.post("/logout")
    if user is not None:
        login(client, user)
    return client.get(url).status_code


def test_unpublishing_the_recommendation_withdraws_its_public_evidence(client, cycle, session):
    rec, focal_a, reviewer = cycle["rec"], cycle["focal_a"], cycle["reviewer"]
    _report, (public, private) = _approved_public(
        focal_a, reviewer, [rec], [("acta.pdf", True), ("cedulas.pdf", False)])
    url = f"/files/evidence/{public.id}"

    page = client.get(f"/recommendations/{rec.id}").get_data(as_text=True)
    assert url in page and f"/files/evidence/{private.id}" not in page
    served = client.get(url)
    assert served.status_code == 200 and served.data == PDF
    # It is public today, but it may not be tomorrow: no cache may keep a copy.
    assert served.headers["Cache-Control"] == "private, no-store"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert served.headers["Content-Disposition"].startswith("attachment;")

    login(client, reviewer)
    withdrawn = client.post(f"/review/recommendations/{rec.id}/publication",
                            data={"value": "0", "version": rec.version})
    assert withdrawn.status_code == 302
    session.refresh(rec)
    assert rec.is_published is False

    assert _status_as(client, None, f"/recommendations/{rec.id}") == 404
    assert _status_as(client, None, url) == 404
    assert _status_as(client, cycle["focal_b"], url) == 404
    # Those who could open it before publication still can.
    assert _status_as(client, focal_a, url) == 200
    assert _status_as(client, reviewer, url) == 200


def test_a_report_stays_public_while_one_of_its_recommendations_is_published(
        client, cycle, session):
    rec, focal_a = cycle["rec"], cycle["focal_a"]
    hidden = factories.recommendation(is_published=False)
    # Written while both were published; the second one was withdrawn since.
    report = factories.report_in_state(focal_a.institution, [rec, hidden])
    public = _file(report, "acta.pdf", is_public=True)
    session.commit()
    page = client.get(f"/recommendations/{rec.id}").get_data(as_text=True)
    assert report.title in page and f"/files/evidence/{public.id}" in page
    assert client.get(f"/files/evidence/{public.id}").status_code == 200

    rec.is_published = False
    session.commit()
    assert client.get(f"/files/evidence/{public.id}").status_code == 404
    hidden.is_published = True
    session.commit()
    page = client.get(f"/recommendations/{hidden.id}").get_data(as_text=True)
    assert report.title in page and f"/files/evidence/{public.id}" in page
    assert client.get(f"/files/evidence/{public.id}").status_code == 200


# --- names that spoof their type ---------------------------------------------------------


@pytest.mark.parametrize("given, expected", [
    (f"informe{RLO}fdp.exe", "informefdp.exe.pdf"),
    (f"informe{RLO}fdp.pdf", "informefdp.pdf"),
    ("a\u200bc\u2066t\u2069a\ufeff.pdf", "acta.pdf"),
    ("acta\u0301.pdf", "act\u00e1.pdf"),  # NFC: one code point for "á"
    ("acta\u0085final.pdf", "acta final.pdf"),  # a C1 control character
])
def test_format_and_control_characters_are_stripped_from_uploaded_names(given, expected):
    assert evidence.clean_filename(given, evidence.PDF) == expected


def test_an_uploaded_spoofing_name_is_neither_stored_nor_shown_nor_served(client, cycle, session):
    focal_a, rec = cycle["focal_a"], cycle["rec"]
    report = factories.progress_report(focal_a, [rec])
    login(client, focal_a)
    sent = client.post(
        f"/my-institution/reports/{report.id}/evidence/file",
        data={"file-file": (io.BytesIO(PDF), f"informe{RLO}fdp.exe", "application/pdf"),
              "file-label": f"Acta\u200b firmada{RLO}", "file-visibility": "public"},
        content_type="multipart/form-data")
    assert sent.status_code == 302
    client.post(f"/my-institution/reports/{report.id}/evidence/link",
                data={"link-url": "https://example.org/acta", "link-label": f"Sitio{RLO}web",
                      "link-visibility": "public"})
    items = session.scalars(select(Evidence).where(Evidence.report_id == report.id)
                            .order_by(Evidence.id)).all()
    assert [(i.kind, i.label) for i in items] == [
        (EvidenceKind.FILE, "Acta firmada"), (EvidenceKind.LINK, "Sitioweb")]
    assert items[0].stored_file.filename == "informefdp.exe.pdf"

    page = client.get(f"/my-institution/reports/{report.id}").get_data(as_text=True)
    assert "informefdp.exe.pdf" in page and not any(ch in page for ch in INVISIBLE)
    disposition = client.get(f"/files/evidence/{items[0].id}").headers["Content-Disposition"]
    assert "informefdp.exe.pdf" in unquote(disposition)
    assert not any(ch in unquote(disposition) for ch in INVISIBLE)


def test_a_name_stored_before_the_cleaning_is_served_clean(client, cycle, session):
    focal_a, reviewer, rec = cycle["focal_a"], cycle["reviewer"], cycle["rec"]
    report, (item,) = _approved_public(focal_a, reviewer, [rec], [("acta.pdf", True)])
    # As an upload stored before names were cleaned left it.
    item.stored_file.filename = f"informe{RLO}fdp.exe.pdf"
    session.commit()
    served = client.get(f"/files/evidence/{item.id}")
    assert served.status_code == 200
    disposition = served.headers["Content-Disposition"]
    assert disposition == "attachment; filename=informefdp.exe.pdf"  # no filename*= needed


# --- the migration that cleans what was stored before --------------------------------------

SCHEMA = "evidence_names_migration"
CLEANING = "ee9e247d668d"  # the migration that cleans the stored names


@pytest.fixture
def empty_app(tmp_path):
    """An app on an empty database of the same kind as the suite's."""
    with scratch_database(tmp_path, SCHEMA) as (url, options):
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                          "SQLALCHEMY_ENGINE_OPTIONS": options})
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_the_migration_cleans_names_and_labels_stored_before(empty_app):
    spoofed = f"informe{RLO}fdp.exe.pdf"
    with empty_app.app_context():
        config = empty_app.extensions["migrate"].migrate.get_config()
        upgrade(revision=ScriptDirectory.from_config(config).get_revision(CLEANING).down_revision)
        inst = factories.institution("MIG-A")
        report = ProgressReport(institution=inst, title="Informe", state=ReportState.DRAFT)
        stored = StoredFile(filename=spoofed, content_type="application/pdf", size=len(PDF),
                            sha256="0" * 64, data=PDF)
        item = Evidence(report=report, kind=EvidenceKind.FILE, stored_file=stored,
                        label=f"Acta\u200b firmada{RLO}", is_public=True)
        clean = Evidence(report=report, kind=EvidenceKind.LINK, url="https://example.org/",
                         label="Sitio web", is_public=True)
        step = ReportTransition(report=report, to_state=ReportState.DRAFT, snapshot={
            "title": "Informe", "evidence": [{"label": spoofed, "kind": "file",
                                              "is_public": True}]})
        db.session.add_all([report, item, clean, step])
        db.session.commit()
        ids = (stored.id, item.id, clean.id, step.id)
        db.session.remove()

        upgrade()
        stored, item, clean, step = (
            db.session.get(StoredFile, ids[0]), db.session.get(Evidence, ids[1]),
            db.session.get(Evidence, ids[2]), db.session.get(ReportTransition, ids[3]))
        assert stored.filename == "informefdp.exe.pdf"
        assert item.label == "Acta firmada"
        assert clean.label == "Sitio web"
        assert step.snapshot["evidence"][0]["label"] == "informefdp.exe.pdf"
        assert step.snapshot["title"] == "Informe"
        db.session.remove()
