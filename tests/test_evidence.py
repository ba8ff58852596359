"""Evidence: the type is read from the bytes, the size is bounded, and files reach only those
allowed (everyone else gets 404, as if the file did not exist)."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import login
from tracker.models import (
    Evidence,
    EvidenceKind,
    ReportState,
    ReportVisibility,
    Role,
    StoredFile,
)
from tracker.services import evidence, reports
from tracker.services.errors import ServiceError

PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"This program cannot be run in DOS mode."
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


JPEG = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        b"\xff\xdb\x00\x43\x00" + bytes(64) + b"\xff\xd9")


def ooxml(main_type: str, part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/{part}" ContentType="{main_type}"/></Types>'))
        z.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships '
            'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            f'2006/relationships/officeDocument" Target="{part}"/></Relationships>'))
        z.writestr(part, "<document/>")
    return buffer.getvalue()


DOCX = ooxml("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
             "word/document.xml")
XLSX = ooxml("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
             "xl/workbook.xml")
DOCM = ooxml("application/vnd.ms-word.document.macroEnabled.main+xml", "word/document.xml")


def odf(mimetype: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", "<office:document-content/>", compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", "<manifest/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("payload.exe", EXE)
    return buffer.getvalue()


def ole2(stream_name: str) -> bytes:
    """A compound file with a root entry and one stream, laid out as Office writes them."""
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHH", header, 0x18, 0x3E, 3, 0xFFFE)  # minor, major version, byte order
    struct.pack_into("<H", header, 0x1E, 9)  # 512-byte sectors
    struct.pack_into("<I", header, 0x30, 0)  # directory starts at sector 0

    def entry(name: str, kind: int) -> bytes:
        raw = bytearray(128)
        encoded = (name + "\0").encode("utf-16-le")
        raw[0:len(encoded)] = encoded
        struct.pack_into("<H", raw, 0x40, len(encoded))
        raw[0x42] = kind
        return bytes(raw)

    directory = entry("Root Entry", 5) + entry(stream_name, 2) + bytes(256)
    return bytes(header) + directory + bytes(512)


@pytest.mark.parametrize("data, extension, content_type", [
    (PDF, "pdf", "application/pdf"),
    (png_bytes(), "png", "image/png"),
    (JPEG, "jpg", "image/jpeg"),
    (DOCX, "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (XLSX, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (odf("application/vnd.oasis.opendocument.text"), "odt",
     "application/vnd.oasis.opendocument.text"),
    (odf("application/vnd.oasis.opendocument.spreadsheet"), "ods",
     "application/vnd.oasis.opendocument.spreadsheet"),
    (odf("application/vnd.oasis.opendocument.presentation"), "odp",
     "application/vnd.oasis.opendocument.presentation"),
    (ole2("WordDocument"), "doc", "application/msword"),
    (ole2("Workbook"), "xls", "application/vnd.ms-excel"),
])
def test_accepted_types_are_recognised_from_their_bytes(data, extension, content_type):
    found = evidence.detect_file_type(data)
    assert found is not None and (found.extension, found.content_type) == (extension,
                                                                           content_type)


@pytest.mark.parametrize("data", [
    EXE, HTML, SVG, plain_zip(), DOCM, ole2("PowerPoint Document"), b"", b"just some text",
    b"PK\x03\x04 broken zip", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),
])
def test_other_content_is_refused_whatever_it_is_called(data):
    assert evidence.detect_file_type(data) is None


@pytest.mark.parametrize("given, expected", [
    ("Informe año 2024.pdf", "Informe año 2024.pdf"),
    ("../../etc/passwd", "passwd.pdf"),
    ("C:\\Users\\ana\\acta.PDF", "acta.PDF"),
    ('evil"; name=x.pdf', "evil_; name=x.pdf"),
    ("photo.png", "photo.png.pdf"),
    ("", "evidence.pdf"),
])
def test_file_names_are_cleaned_and_end_in_the_real_type(given, expected):
    assert evidence.clean_filename(given, evidence.PDF) == expected


# --- through the web ---------------------------------------------------------------------------


@pytest.fixture
def setting(session):
    inst_a, inst_b = factories.institution("EVID-A"), factories.institution("EVID-B")
    rec = factories.recommendation()
    factories.assignment(rec, inst_a)
    focal_a = factories.user(Role.FOCAL_POINT, inst_a)
    focal_b = factories.user(Role.FOCAL_POINT, inst_b)
    reviewer = factories.user(Role.REVIEWER)
    report = factories.progress_report(focal_a, [rec])
    return {"focal_a": focal_a, "focal_b": focal_b, "reviewer": reviewer, "report": report,
            "rec": rec}


def _upload(client, report, data, filename, visibility="private", label=""):
    return client.post(
        f"/my-institution/reports/{report.id}/evidence/file",
        data={"file-file": (io.BytesIO(data), filename, "application/pdf"),
              "file-label": label, "file-visibility": visibility},
        content_type="multipart/form-data")


def _stored_count() -> int:
    from tracker.extensions import db

    return db.session.scalar(select(func.count()).select_from(StoredFile))


def test_upload_stores_the_file_with_its_checksum_and_serves_it_to_the_institution(
        client, setting, session):
    report = setting["report"]
    login(client, setting["focal_a"])
    done = _upload(client, report, PDF, "Acta de la mesa técnica.pdf", label="Signed minutes")
    assert done.status_code == 302
    item = session.scalars(select(Evidence).where(Evidence.report_id == report.id)).one()
    stored = item.stored_file
    assert item.kind == EvidenceKind.FILE and item.is_public is False
    assert item.label == "Signed minutes"
    assert (stored.filename, stored.content_type, stored.size) == (
        "Acta de la mesa técnica.pdf", "application/pdf", len(PDF))
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest() and stored.data == PDF

    page = client.get(f"/my-institution/reports/{report.id}").get_data(as_text=True)
    assert "Signed minutes" in page and ">Privado</span>" in page  # the focal point reads Spanish

    got = client.get(f"/files/evidence/{item.id}")
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Type"] == "application/pdf"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Cache-Control"] == "private, no-store"
    disposition = got.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Acta%20de%20la%20mesa%20t%C3%A9cnica.pdf" in disposition


def test_private_evidence_is_404_for_everyone_outside(client, app, setting, session):
    item = evidence.attach_file(setting["focal_a"], setting["report"].id, filename="x.pdf",
                                data=PDF, is_public=False)
    url = f"/files/evidence/{item.id}"
    assert client.get(url).status_code == 404  # anonymous
    login(client, setting["focal_b"])
    assert client.get(url).status_code == 404
    assert client.get(f"/files/evidence/{item.id + 1000}").status_code == 404
    assert client.get(f"/my-institution/reports/{setting['report'].id}").status_code == 404
    client.post("/logout")
    login(client, setting["reviewer"])
    served = client.get(url)
    assert served.status_code == 200 and served.data == PDF  # office staff read it
    assert "x.pdf" in served.headers["Content-Disposition"]


def test_public_evidence_is_open_only_once_the_report_is_published(client, setting, session):
    report, reviewer = setting["report"], setting["reviewer"]
    public = evidence.attach_file(setting["focal_a"], report.id, filename="photo.png",
                                  data=png_bytes(), is_public=True)
    private = evidence.attach_file(setting["focal_a"], report.id, filename="ids.pdf", data=PDF,
                                   is_public=False)
    assert client.get(f"/files/evidence/{public.id}").status_code == 404  # still a draft
    reports.submit_report(setting["focal_a"], report.id, report.version)
    from tracker.services import assignments  # noqa: F401  (approval moves due dates)

    reports.approve_report(reviewer, report.id, report.version,
                           visibility=ReportVisibility.PUBLIC)
    got = client.get(f"/files/evidence/{public.id}")
    assert got.status_code == 200 and got.headers["Content-Type"] == "image/png"
    assert got.headers["Cache-Control"] == "private, no-store"  # it may be withdrawn
    assert client.get(f"/files/evidence/{private.id}").status_code == 404


@pytest.mark.parametrize("data, filename", [
    (EXE, "informe.pdf"),
    (HTML, "foto.png"),
    (SVG, "grafico.png"),
    (DOCM, "acta.docx"),
])
def test_disguised_files_are_refused_with_a_clear_message(client, setting, data, filename):
    login(client, setting["focal_a"])
    refused = _upload(client, setting["report"], data, filename)
    assert refused.status_code == 415
    assert "no es de ninguno de los tipos aceptados" in refused.get_data(as_text=True)
    assert _stored_count() == 0


def test_size_limit_from_config(client, app, setting, monkeypatch):
    # Small numbers: the test client spools bodies over 500 KB to files it never closes.
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 20 * 1024)
    login(client, setting["focal_a"])
    big = PDF + b"%" + b"x" * (20 * 1024) + b"\n%%EOF\n"
    refused = _upload(client, setting["report"], big, "big.pdf")
    assert refused.status_code == 413
    assert ("El archivo es demasiado grande: el límite es 20 kB."
            in refused.get_data(as_text=True))
    assert _stored_count() == 0
    assert _upload(client, setting["report"], PDF, "small.pdf").status_code == 302


def test_the_default_limit_is_20_megabytes(app):
    with app.test_request_context():
        assert evidence.max_bytes() == 20 * 1024 * 1024
        assert evidence.readable_size(evidence.max_bytes()) == "20 MB"


def test_a_request_over_the_apps_limit_gets_the_413_page(client, app, setting, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    login(client, setting["focal_a"])
    response = _upload(client, setting["report"], PDF + b"x" * 8192, "huge.pdf")
    assert response.status_code == 413
    assert "El archivo es demasiado grande" in response.get_data(as_text=True)
    assert _stored_count() == 0


def test_links_must_be_http_or_https(client, setting, session):
    report = setting["report"]
    login(client, setting["focal_a"])
    for bad in ("javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
                "ftp://files.example/x", "www.example.hn/decreto"):
        refused = client.post(f"/my-institution/reports/{report.id}/evidence/link",
                              data={"link-url": bad, "link-visibility": "public"})
        assert refused.status_code == 400, bad
    assert not session.scalars(select(Evidence)).all()
    done = client.post(f"/my-institution/reports/{report.id}/evidence/link",
                       data={"link-url": "https://www.example.hn/decreto-12-2024",
                             "link-label": "Decree in the Gazette", "link-visibility": "public"})
    assert done.status_code == 302
    link = session.scalars(select(Evidence)).one()
    assert link.kind == EvidenceKind.LINK and link.is_public
    page = client.get(f"/my-institution/reports/{report.id}").get_data(as_text=True)
    assert ('href="https://www.example.hn/decreto-12-2024" rel="noopener noreferrer nofollow"'
            in page)
    assert client.get(f"/files/evidence/{link.id}").status_code == 404  # links are not files


def test_evidence_changes_only_while_the_report_is_editable(client, setting, session):
    report, focal = setting["report"], setting["focal_a"]
    item = evidence.attach_file(focal, report.id, filename="a.pdf", data=PDF, is_public=False)
    login(client, focal)
    removed = client.post(f"/my-institution/reports/{report.id}/evidence/{item.id}/remove")
    assert removed.status_code == 302
    assert not session.scalars(select(Evidence)).all() and _stored_count() == 0

    kept = evidence.attach_file(focal, report.id, filename="b.pdf", data=PDF, is_public=False)
    reports.submit_report(focal, report.id, report.version)
    session.commit()  # as the request that submitted it would
    assert report.state == ReportState.SUBMITTED
    assert _upload(client, report, PDF, "late.pdf").status_code == 409
    assert client.post(f"/my-institution/reports/{report.id}/evidence/{kept.id}/remove"
                       ).status_code == 409
    with pytest.raises(ServiceError) as exc:
        evidence.add_link(focal, report.id, url="https://example.org", is_public=True)
    assert exc.value.status == 409
    assert len(session.scalars(select(Evidence)).all()) == 1


def test_another_institution_cannot_attach_or_remove(client, setting, session):
    report = setting["report"]
    item = evidence.attach_file(setting["focal_a"], report.id, filename="a.pdf", data=PDF,
                                is_public=False)
    login(client, setting["focal_b"])
    assert _upload(client, report, PDF, "intruder.pdf").status_code == 404
    assert client.post(f"/my-institution/reports/{report.id}/evidence/{item.id}/remove"
                       ).status_code == 404
    with pytest.raises(ServiceError) as exc:
        evidence.attach_file(setting["focal_b"], report.id, filename="x.pdf", data=PDF,
                             is_public=True)
    assert exc.value.status == 404
    assert _stored_count() == 1
