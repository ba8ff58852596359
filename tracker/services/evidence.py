"""Evidence of a progress report: files kept in the database and web links.

A file's type is read from its bytes, never from its name or the browser's word:
a renamed program or web page is refused.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import unicodedata
import zipfile
from dataclasses import dataclass

import filetype
from filetype.types.archive import Pdf
from filetype.types.image import Jpeg, Png
from flask import current_app
from flask_babel import lazy_gettext as _l

from tracker import policy
from tracker.extensions import db
from tracker.i18n import file_size
from tracker.models import Evidence, EvidenceKind, ProgressReport, StoredFile
from tracker.services.errors import ServiceError
from tracker.urls import split_url


@dataclass(frozen=True)
class FileType:
    extension: str
    content_type: str
    aliases: tuple[str, ...] = ()


PDF = FileType("pdf", "application/pdf")
PNG = FileType("png", "image/png")
JPEG = FileType("jpg", "image/jpeg", ("jpeg", "jpe"))
DOC = FileType("doc", "application/msword")
XLS = FileType("xls", "application/vnd.ms-excel")
DOCX = FileType("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
XLSX = FileType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
ODT = FileType("odt", "application/vnd.oasis.opendocument.text")
ODS = FileType("ods", "application/vnd.oasis.opendocument.spreadsheet")
ODP = FileType("odp", "application/vnd.oasis.opendocument.presentation")

ACCEPTED_EXTENSIONS = ".pdf,.doc,.docx,.xls,.xlsx,.odt,.ods,.odp,.jpg,.jpeg,.png"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_ODF_TYPES = {t.content_type.encode(): t for t in (ODT, ODS, ODP)}
# The part each OOXML kind declares in [Content_Types].xml (macro-enabled kinds differ).
_OOXML_MAIN_PARTS = {
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
}
_MAX_CONTENT_TYPES_BYTES = 1024 * 1024
_UNSAFE_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
MAX_LABEL = 300
MAX_URL = 1000


def _ole2_has_stream(data: bytes, name: str) -> bool:
    """Whether an OLE2 compound file has a directory entry (a stream) with this name.

    Directory entries are 128 bytes, aligned on 128 bytes: a UTF-16 name, then its
    byte length (with the terminator) and the object type (2 = stream).
    """
    needle = (name + "\0").encode("utf-16-le")
    start = 512
    while (found := data.find(needle, start)) != -1:
        start = found + 1
        if found % 128:
            continue
        entry = data[found:found + 128]
        if len(entry) < 0x43:
            return False
        (length,) = struct.unpack_from("<H", entry, 0x40)
        if length == len(needle) and entry[0x42] == 2:
            return True
    return False


def _ole2_type(data: bytes) -> FileType | None:
    if _ole2_has_stream(data, "WordDocument"):
        return DOC
    if _ole2_has_stream(data, "Workbook") or _ole2_has_stream(data, "Book"):
        return XLS
    return None


def _zip_type(data: bytes) -> FileType | None:
    """Tell OpenDocument and Office Open XML files from other ZIP archives."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        if "mimetype" in names and archive.getinfo("mimetype").file_size < 100:
            found = _ODF_TYPES.get(archive.read("mimetype").strip())
            if found:
                return found
        if "[Content_Types].xml" in names:
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > _MAX_CONTENT_TYPES_BYTES:
                return None
            declared = archive.read(info)
            for part, kind in _OOXML_MAIN_PARTS.items():
                if b'"' + part + b'"' in declared:
                    return kind
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError):
        return None
    return None


def detect_file_type(data: bytes) -> FileType | None:
    """Return the accepted type the bytes are, or None when they are none of them."""
    head = data[:8192]
    match = filetype.match(head, matchers=[Pdf(), Png(), Jpeg()])
    if match is not None:
        return {"pdf": PDF, "png": PNG, "jpg": JPEG}[match.extension]
    if data.startswith(_OLE2_MAGIC):
        return _ole2_type(data)
    if data.startswith(_ZIP_MAGIC):
        return _zip_type(data)
    return None


def visible_text(text: str | None) -> str:
    """Return the text in NFC without format characters and with control characters as spaces.

    Format characters (bidirectional overrides, zero-width marks) are invisible yet reorder
    or hide what is shown: "informe", U+202E, "fdp.exe" reads as "informeexe.pdf".
    """
    kept = []
    for ch in text or "":
        category = unicodedata.category(ch)
        if category == "Cf":
            continue
        kept.append(" " if category == "Cc" else ch)
    return unicodedata.normalize("NFC", "".join(kept))


def clean_filename(name: str | None, kind: FileType) -> str:
    """Return a safe file name ending in the extension of the type actually found."""
    name = visible_text(name)
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE_NAME_CHARS.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if ext.lower() not in (kind.extension, *kind.aliases):
        stem = name
        ext = kind.extension
    stem = stem[:200].strip(" .") or "evidence"
    return f"{stem}.{ext}"


def readable_size(size: int) -> str:
    """Write a number of bytes in kB or MB, in the user's number format."""
    return file_size(size)


def max_bytes() -> int:
    """Return the largest evidence file accepted, in bytes."""
    return int(current_app.config.get("EVIDENCE_MAX_BYTES", 20 * 1024 * 1024))


def _editable_report(actor, report_id: int) -> ProgressReport:
    report = db.session.get(ProgressReport, report_id, with_for_update=True)
    if report is None or not policy.can_view_report(actor, report):
        raise ServiceError(_l("No such progress report."), status=404)
    if not policy.is_own_institution(actor, report.institution_id):
        raise ServiceError(_l("Only the report's institution may change its evidence."),
                           status=403)
    if not policy.can_edit_report(actor, report):
        raise ServiceError(_l("Evidence can only be changed while the report is a draft or "
                              "returned for changes."), status=409)
    return report


def _clean_label(label: str | None, fallback: str) -> str:
    label = " ".join(visible_text(label).split())
    return (label or " ".join(visible_text(fallback).split()))[:MAX_LABEL]


def attach_file(actor, report_id: int, *, filename: str | None, data: bytes,
                is_public: bool, label: str = "") -> Evidence:
    """Store an uploaded file as evidence of a report, after checking its type and size."""
    report = _editable_report(actor, report_id)
    if not data:
        raise ServiceError(_l("The file is empty."), field="file")
    limit = max_bytes()
    if len(data) > limit:
        raise ServiceError(_l("The file is too large: the limit is %(size)s.",
                              size=readable_size(limit)), status=413, field="file")
    kind = detect_file_type(data)
    if kind is None:
        raise ServiceError(
            _l("This file is not one of the accepted types (PDF, Word, Excel, OpenDocument, "
               "JPEG or PNG), whatever its name says."),
            status=415, field="file")
    stored = StoredFile(filename=clean_filename(filename, kind), content_type=kind.content_type,
                        size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data,
                        created_by_id=actor.id)
    evidence = Evidence(report=report, kind=EvidenceKind.FILE, stored_file=stored,
                        label=_clean_label(label, stored.filename), is_public=bool(is_public))
    db.session.add(evidence)
    db.session.flush()
    return evidence


def clean_link(url: str | None) -> str:
    """Return the address when it is an absolute http(s) link; raise ServiceError otherwise."""
    url = (url or "").strip()
    parts = split_url(url)
    if (parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname
            or any(ord(ch) < 33 for ch in url)):
        raise ServiceError(_l("Give a full web address starting with http:// or https://."),
                           field="url")
    if len(url) > MAX_URL:
        raise ServiceError(_l("The address is too long."), field="url")
    return url


def add_link(actor, report_id: int, *, url: str, is_public: bool, label: str = "") -> Evidence:
    """Add a web link as evidence of a report."""
    report = _editable_report(actor, report_id)
    url = clean_link(url)
    evidence = Evidence(report=report, kind=EvidenceKind.LINK, url=url,
                        label=_clean_label(label, url), is_public=bool(is_public))
    db.session.add(evidence)
    db.session.flush()
    return evidence


def remove_evidence(actor, report_id: int, evidence_id: int) -> None:
    """Remove a file or link from a report that can still be changed, with its stored bytes."""
    report = _editable_report(actor, report_id)
    evidence = db.session.get(Evidence, evidence_id)
    if evidence is None or evidence.report_id != report.id:
        raise ServiceError(_l("No such evidence."), status=404)
    stored = evidence.stored_file
    report.evidence.remove(evidence)
    # Deleted by name, not only as an orphan, so that the trail records its removal.
    db.session.delete(evidence)
    db.session.flush()
    if stored is not None:
        db.session.delete(stored)
        db.session.flush()


def downloadable_evidence(actor, evidence_id: int) -> Evidence | None:
    """Return the evidence when the actor may open it, None otherwise (even if it exists)."""
    evidence = db.session.get(Evidence, evidence_id)
    if evidence is None or not policy.can_download_evidence(actor, evidence):
        return None
    return evidence


def downloadable_file(actor, evidence_id: int) -> Evidence | None:
    """Return the evidence when it is a stored file the actor may open, None otherwise."""
    evidence = downloadable_evidence(actor, evidence_id)
    if evidence is None or evidence.kind != EvidenceKind.FILE or evidence.stored_file is None:
        return None
    return evidence


def download_name(evidence: Evidence) -> str:
    """Return the name a downloaded file is saved under, clean even for files stored long ago."""
    return visible_text(evidence.stored_file.filename).strip() or "evidence"
