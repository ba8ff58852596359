"""Evidence files, exports and imported files, served only to those allowed to open them."""

from __future__ import annotations

import io
import unicodedata
from urllib.parse import quote

from flask import Blueprint, Response, abort, send_file, stream_with_context
from flask_login import current_user

from tracker.services import evidence as evidence_service
from tracker.services import exports as export_service
from tracker.services import import_jobs
from tracker.services.storage import iter_stored_bytes

bp = Blueprint("files", __name__, url_prefix="/files")


@bp.get("/evidence/<id:evidence_id>")
def evidence(evidence_id: int):
    # 404, never 403: whoever may not open it must not learn that it exists.
    found = evidence_service.downloadable_file(current_user, evidence_id)
    if found is None:
        abort(404)
    stored = found.stored_file
    response = send_file(io.BytesIO(stored.data), mimetype=stored.content_type,
                         as_attachment=True,
                         download_name=evidence_service.download_name(found),
                         conditional=False, etag=False, max_age=None)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # Even a public file stops being public when its report or recommendation is withdrawn:
    # no cache may keep serving it after that, so none keeps it at all.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Vary"] = "Cookie"
    return response


def attachment(filename: str) -> str:
    """A Content-Disposition value that saves the file under its name, accents and all."""
    filename = "".join(ch for ch in filename if ch.isprintable())
    ascii_name = (unicodedata.normalize("NFKD", filename).encode("ascii", "ignore")
                  .decode("ascii").replace("\\", "_").replace('"', "_")) or "export"
    value = f'attachment; filename="{ascii_name}"'
    if ascii_name != filename:
        # RFC 5987: browsers that read filename* take the UTF-8 name, the others the ASCII one.
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value


@bp.get("/exports/<id:job_id>")
def export(job_id: int):
    # 404, never 403: a private export, or one not built yet, is as if it did not exist.
    job = export_service.downloadable_export(current_user, job_id)
    if job is None or job.stored_file is None:
        abort(404)
    # A public file is the same for everyone, but deleting it must take it off the web.
    return stream_stored(job.stored_file, "no-cache" if job.public else "private, no-store")


def stream_stored(stored, cache_control: str) -> Response:
    """Send a stored file as an attachment, chunk by chunk from the database."""
    # A large workbook never sits whole in this process.
    response = Response(stream_with_context(iter_stored_bytes(stored.id)),
                        content_type=stored.content_type)
    response.headers["Content-Length"] = str(stored.size)
    response.headers["Content-Disposition"] = attachment(stored.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = cache_control
    return response


@bp.get("/imports/<id:import_id>")
def import_file(import_id: int):
    # 404, never 403: only office staff learn which files were imported.
    job = import_jobs.downloadable_upload(current_user, import_id)
    if job is None or job.stored_file is None:
        abort(404)
    return stream_stored(job.stored_file, "private, no-store")


@bp.get("/imports/<id:import_id>/report")
def import_report(import_id: int):
    # The full report of an import's last run: every row's outcome, as JSON.
    job = import_jobs.downloadable_report(current_user, import_id)
    if job is None or job.report_file is None:
        abort(404)
    return stream_stored(job.report_file, "private, no-store")
