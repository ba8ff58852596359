"""Open data: the monthly public files, the downloads of any search, the status-change
feed, the data dictionary and the licence."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date
from urllib.parse import urlencode

from babel.dates import format_skeleton
from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from tracker.exports import CSV_TYPE, XLSX_TYPE
from tracker.exports.matrix import _local_day
from tracker.exports.open_data import COLUMNS, KIND_LABELS, allowed_values
from tracker.exports.open_files import csv_chunks, json_chunks, write_xlsx
from tracker.extensions import limiter
from tracker.i18n import current_language
from tracker.models import ReportJob, utcnow
from tracker.services import bulk_data, catalogue
from tracker.services import exports as export_service
from tracker.services import open_data as open_data_service
from tracker.services.exports import ExportType
from tracker.web.files import attachment

bp = Blueprint("open_data", __name__)


@dataclass
class Offer:
    """One export of a month, in each language it was built in (the reader's first)."""

    type: ExportType
    versions: list[ReportJob] = field(default_factory=list)


@dataclass
class Month:
    key: str
    heading: str
    offers: list[Offer] = field(default_factory=list)


def _months(jobs: list[ReportJob]) -> list[Month]:
    """Group the files by the month they stand for, keeping the service's order."""
    months: dict[str, Month] = {}
    lang = current_language()
    for job in jobs:
        # The month the snapshot stands for ("2026-11:…"), whenever it was built.
        key = job.snapshot_key[:7]
        if key not in months:
            heading = format_skeleton("yMMMM", date.fromisoformat(f"{key}-01"),
                                      locale=get_locale())
            months[key] = Month(key, heading[:1].upper() + heading[1:])
        kind = export_service.export_type_of(job)
        offers = months[key].offers
        offer = next((o for o in offers if o.type.code == kind.code), None)
        if offer is None:
            offer = Offer(kind)
            offers.append(offer)
        offer.versions.append(job)
    for month in months.values():
        month.offers.sort(key=lambda o: [t.code for t in export_service.EXPORT_TYPES]
                          .index(o.type.code))
        for offer in month.offers:
            offer.versions.sort(key=lambda job: (job.locale != lang, job.locale))
    return list(months.values())


@bp.get("/open-data")
def index():
    return render_template("public/open_data.html", bulk_files=bulk_data.latest_files(),
                           months=_months(export_service.public_exports()))


@bp.get("/open-data/dictionary")
def dictionary():
    return render_template("public/open_data_dictionary.html", columns=COLUMNS,
                           kinds=KIND_LABELS, allowed_values=allowed_values)


@bp.get("/open-data/licence")
def licence():
    return render_template("public/open_data_licence.html", today=_local_day(utcnow()))


def _filters() -> catalogue.Filters:
    # A value the list would ignore (an unknown id, a word for a status) is ignored here too.
    filters, _ignored = catalogue.parse_filters(current_user, request.args)
    return filters


XLSX_PIECE = 256 * 1024


def _file_chunks(handle):
    try:
        while piece := handle.read(XLSX_PIECE):
            yield piece
    finally:
        handle.close()


# A whole-catalogue download keeps a web process busy for a minute or so: enough for any
# reader, too few to tie every process up from one address.
DOWNLOADS_PER_HOUR = 60


@bp.get("/recommendations.<any(csv, json, xlsx):fmt>")
@limiter.limit(f"{DOWNLOADS_PER_HOUR} per hour")
def download(fmt: str):
    filters = _filters()
    records = open_data_service.open_records(filters, current_language())
    name = f"{_('recommendations')}-{_local_day(utcnow()).isoformat()}.{fmt}"
    if fmt == "xlsx":
        # A workbook is a zip whose index comes last: built whole in a temporary file
        # (row by row, in constant memory), then sent piece by piece.
        handle = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _file_chunks
        write_xlsx(records, handle, _("Recommendations"))
        size = handle.tell()
        handle.seek(0)
        response = Response(_file_chunks(handle), content_type=XLSX_TYPE)
        response.headers["Content-Length"] = str(size)
    elif fmt == "csv":
        response = Response(stream_with_context(csv_chunks(records)), content_type=CSV_TYPE)
    else:
        about = {"generated_at": utcnow().astimezone(UTC).isoformat(timespec="seconds"),
                 "filters": filters.as_args(),
                 "dictionary": url_for("open_data.dictionary", _external=True),
                 "licence": url_for("open_data.licence", _external=True)}
        response = Response(stream_with_context(json_chunks(records, about)),
                            content_type="application/json; charset=utf-8")
    response.headers["Content-Disposition"] = attachment(name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# The date in the feed's tag: URIs (RFC 4151), fixed so that an entry's id never changes.
TAG_DATE = "2026"


def _rfc3339(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@bp.get("/feeds/status-changes.atom")
def status_feed():
    filters = _filters()
    changes = open_data_service.status_changes(filters)
    host = (current_app.config.get("SERVER_NAME") or request.host).split(":")[0]
    query = urlencode(sorted(filters.as_args().items()))
    body = render_template(
        "public/status_changes.xml", changes=changes, filters=filters,
        feed_id=f"tag:{host},{TAG_DATE}:status-changes" + (f"?{query}" if query else ""),
        entry_id=lambda change: f"tag:{host},{TAG_DATE}:status-assessment/{change.id}",
        updated=_rfc3339(changes[0].assessed_at if changes else utcnow()),
        rfc3339=_rfc3339)
    return Response(body, content_type="application/atom+xml; charset=utf-8")
