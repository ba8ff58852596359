"""Evidence files: a report's attachments, for whoever may open them, token or not."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tracker.services import evidence as evidence_service
from tracker.web.api import schemas
from tracker.web.api.common import blueprint, reader
from tracker.web.api.problems import not_found
from tracker.web.files import attachment, stream_stored

bp = blueprint("api_evidence", "/evidence",
               _l("Evidence files attached to progress reports."))

ANY_FILE = {"type": "string", "contentMediaType": "application/octet-stream"}


@bp.route("/<id:evidence_id>", methods=["GET"])
@bp.arguments(schemas.LangQuery, location="query", as_kwargs=True, error_status_code=400)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@bp.doc(summary=_l("Download an evidence file"),
        description=_l(
            "The file as it was attached, under its own name and type. Anyone may download "
            "the public evidence of a published report; a token's holder also what their "
            "role lets them open on the site (their institution's drafts, the reports under "
            "review). Anything else is 404, whether it exists or not."),
        responses={"200": {"description": _l("The file."),
                           "content": {"application/octet-stream": {"schema": ANY_FILE}}}})
def download(evidence_id: int, **_args):
    found = evidence_service.downloadable_file(reader(), evidence_id)
    if found is None:
        raise not_found()
    response = stream_stored(found.stored_file, "private, no-store")
    response.headers["Content-Disposition"] = attachment(
        evidence_service.download_name(found))
    # Even a public file stops being public when its report or recommendation is withdrawn:
    # no cache may keep serving it after that.
    response.vary.add("Authorization")
    return response

