"""Open data: the monthly public files anyone may download, by month, newest first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from babel.dates import format_skeleton
from flask import Blueprint, render_template
from flask_babel import get_locale

from tracker.i18n import current_language
from tracker.models import ReportJob
from tracker.services import exports as export_service
from tracker.services.exports import ExportType

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
    return render_template("public/open_data.html",
                           months=_months(export_service.public_exports()))
