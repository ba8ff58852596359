"""The bulk download: the whole public data set in one gzipped JSON Lines file per language."""

from __future__ import annotations

import base64

from flask import request, url_for
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

from tracker.i18n import current_language
from tracker.services import bulk_data
from tracker.web.api import schemas
from tracker.web.api.common import api_url, blueprint
from tracker.web.api.problems import ApiProblem
from tracker.web.files import stream_stored

bp = blueprint("api_bulk", "/bulk", _l(
    "The whole public data set as one download, rebuilt when the data changes."))

FILE_DESCRIPTION = _l(
    "Every published recommendation, one JSON record a line in id order, each line exactly "
    "what `GET /api/v1/recommendations/{rec_id}` answers for it; gzipped (a .gz file: no "
    "Content-Encoding). One file per language: ids and codes are the same in both, names, "
    "labels and links follow the file's language. Rebuilt shortly after the data changes.")


class BulkFileOut(Schema):
    language = fields.String(required=True)
    url = fields.String(required=True)
    rows = fields.Integer(required=True,
                          metadata={"description": _l("Lines, one per recommendation.")})
    bytes = fields.Integer(required=True, metadata={"description": _l("Size of the .gz file.")})
    sha256 = fields.String(required=True, metadata={
        "description": _l("SHA-256 of the .gz file, in hexadecimal (also its ETag).")})


class DataVersionsOut(Schema):
    catalogue = fields.Integer(required=True)
    activity = fields.Integer(required=True)


class BulkOut(Schema):
    generated_at = fields.DateTime(required=True)
    data_versions = fields.Nested(DataVersionsOut, required=True, metadata={
        "description": _l("The data counters the files were built at: they move on with every "
                          "change of the public data.")})
    record_schema = fields.String(required=True, metadata={
        "description": _l("The schema every line follows, in the OpenAPI document.")})
    licence = fields.String(required=True)
    files = fields.List(fields.Nested(BulkFileOut), required=True)


@bp.read("", BulkOut, not_found=True,
         summary=_l("Describe the bulk download"),
         description=_l("When the files were built, from which state of the data, and each "
                        "language's file: its address, lines, size and SHA-256."))
def describe(**_args):
    files = bulk_data.latest_files()
    if not files:
        raise ApiProblem("bulk-not-built")
    return {
        "generated_at": files[0].generated_at,
        "data_versions": files[0].data_versions,
        "record_schema": url_for("api-docs.openapi_json", _external=True)
        + "#/components/schemas/RecommendationOut",
        "licence": url_for("open_data.licence", _external=True),
        "files": [{"language": f.language, "url": api_url("api_bulk.download", lang=f.language),
                   "rows": f.rows, "bytes": f.stored_file.size, "sha256": f.stored_file.sha256}
                  for f in files],
    }


GZIP_FILE = {"type": "string", "contentMediaType": bulk_data.CONTENT_TYPE}
HEADERS = {
    "ETag": {"description": _l("The file's SHA-256, quoted."), "schema": {"type": "string"}},
    "Repr-Digest": {"description": _l("The file's SHA-256 (RFC 9530)."),
                    "schema": {"type": "string"}},
    "Digest": {"description": _l("The file's SHA-256 (RFC 3230, for older clients)."),
               "schema": {"type": "string"}},
}


@bp.route("/recommendations.jsonl.gz", methods=["GET"])
@bp.arguments(schemas.LangQuery, location="query", as_kwargs=True, error_status_code=400)
@bp.alt_response(304, response="NOT_MODIFIED")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@bp.doc(summary=_l("Download every published recommendation"), description=FILE_DESCRIPTION,
        responses={"200": {"description": _l("The file `recommendations.jsonl.gz`."),
                           "headers": HEADERS,
                           "content": {bulk_data.CONTENT_TYPE: {"schema": GZIP_FILE}}}})
def download(**_args):
    found = bulk_data.latest_file(current_language())
    if found is None:
        raise ApiProblem("bulk-not-built")
    stored = found.stored_file
    response = stream_stored(stored, "public")
    digest = base64.b64encode(bytes.fromhex(stored.sha256)).decode()
    response.headers["Repr-Digest"] = f"sha-256=:{digest}:"
    response.headers["Digest"] = f"SHA-256={digest}"
    response.set_etag(stored.sha256)
    return response.make_conditional(request)
