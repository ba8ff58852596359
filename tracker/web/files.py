"""Evidence files, served only to those allowed to open them."""

from __future__ import annotations

import io

from flask import Blueprint, abort, send_file
from flask_login import current_user

from tracker.models import EvidenceKind
from tracker.services import evidence as evidence_service

bp = Blueprint("files", __name__, url_prefix="/files")


@bp.get("/evidence/<id:evidence_id>")
def evidence(evidence_id: int):
    # 404, never 403: whoever may not open it must not learn that it exists.
    found = evidence_service.downloadable_evidence(current_user, evidence_id)
    if found is None or found.kind != EvidenceKind.FILE or found.stored_file is None:
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
