"""The public dashboard: the status report's figures and charts, on a web page.

The figures are the status report's own GROUP BY queries (``tracker.exports.statistics``)
over the published recommendations and public office actions, built once per change of the
data (``data_versions``) and language; the charts are the report's, rendered as SVG.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from tracker.exports import charts
from tracker.exports.statistics import (
    STATUSES,
    OverdueCounts,
    StatusCounts,
    change_buckets,
    count_by_status,
    overdue_by_institution,
    report_period,
    status_by_institution,
    status_by_mechanism,
    status_by_pillar,
    status_by_term,
    status_changes,
    status_label,
    without_lead_institution,
)
from tracker.i18n import current_language
from tracker.models import utcnow
from tracker.services import data_versions
from tracker.services.assignments import local_today
from tracker.services.catalogue.facets import TERM_FACETS
from tracker.services.catalogue.institutions import institution_figures, public_ids

CHARTS = ("status", "mechanism", "pillar", "institution", "theme", "changes", "overdue")


@dataclass(frozen=True)
class Dashboard:
    """Every figure of the public dashboard."""

    overall: StatusCounts
    by_mechanism: list[StatusCounts]
    by_pillar: list[StatusCounts]
    by_institution: list[StatusCounts]
    without_lead: StatusCounts
    by_theme: list[StatusCounts]
    period_start: date
    period_end: date
    changes: list[StatusCounts]
    overdue: list[OverdueCounts]
    today: date

    @property
    def total(self) -> int:
        return self.overall.total


def _key(*parts) -> tuple:
    # Pillars read public office actions (the activity counter); overdue reads the day.
    return (*parts, current_language(), data_versions.current(data_versions.ACTIVITY),
            local_today())


def dashboard() -> Dashboard:
    """Gather the dashboard's figures (built again once the data or the day changes)."""
    def build() -> Dashboard:
        ids, locale, today = public_ids(), current_language(), local_today()
        start, end = report_period(None, None, utcnow())
        return Dashboard(
            overall=count_by_status(ids),
            by_mechanism=status_by_mechanism(ids, locale),
            by_pillar=status_by_pillar(ids, True, locale),
            by_institution=status_by_institution(ids, locale),
            without_lead=without_lead_institution(ids),
            by_theme=status_by_term(ids, TERM_FACETS["theme"], locale),
            period_start=start, period_end=end,
            changes=status_changes(ids, change_buckets(start, end)),
            overdue=[row for row in overdue_by_institution(ids, today, locale) if row.overdue],
            today=today,
        )
    return data_versions.cached(data_versions.CATALOGUE, _key("dashboard"), build)


def status_series() -> list[charts.Series]:
    """Return the statuses as the charts name them, in their fixed order."""
    return [charts.Series(s.value, status_label(s)) for s in STATUSES]


def _bars(groups: list[StatusCounts]) -> list[charts.Bar]:
    return [charts.Bar(group.label, group.counts) for group in groups]


def chart_title(name: str) -> str:
    """Return the title of one of the dashboard's charts."""
    return {
        "status": _("Recommendations by implementation status"),
        "mechanism": _("Status by mechanism"),
        "pillar": _("Status by OHCHR thematic pillar"),
        "institution": _("Status by lead institution"),
        "theme": _("Status by theme"),
        "changes": _("Recommendations that moved to each status, by quarter"),
        "overdue": _("Overdue reporting by institution"),
    }[name]


def _drawing(name: str, figures: Dashboard):
    series, axis = status_series(), _("Number of recommendations")
    if name == "status":
        return charts.status_overview_chart(series, figures.overall.counts, axis_label=axis)
    if name == "changes":
        return charts.stacked_column_chart(series, _bars(figures.changes), axis_label=axis)
    if name == "overdue":
        # Two series drawn in two of the status colours: overdue in orange, the rest in blue.
        parts = [charts.Series("not_started", _("Overdue")),
                 charts.Series("in_progress", _("Not overdue"))]
        bars = [charts.Bar(row.label, (row.overdue, row.assignments - row.overdue))
                for row in figures.overdue]
        return charts.stacked_bar_chart(parts, bars, axis_label=_("Number of assignments"))
    groups = {"mechanism": figures.by_mechanism, "pillar": figures.by_pillar,
              "institution": figures.by_institution, "theme": figures.by_theme}[name]
    return charts.stacked_bar_chart(series, _bars(groups), axis_label=axis)


def chart_svg(name: str) -> str:
    """Return one of the dashboard's charts as SVG (built again when its figures change)."""
    def build() -> str:
        return charts.to_svg(_drawing(name, dashboard()), chart_title(name),
                             _("The table beside the chart gives the same figures."))
    return data_versions.cached(data_versions.CATALOGUE, _key("chart", name), build)


def institution_chart_svg(institution_id: int, title: str) -> str:
    """Return the chart of an institution's assigned recommendations by status."""
    def build() -> str:
        counts = institution_figures(institution_id).overall
        drawing = charts.status_overview_chart(status_series(), counts.counts,
                                               axis_label=_("Number of recommendations"))
        return charts.to_svg(drawing, title,
                             _("The table beside the chart gives the same figures."))
    return data_versions.cached(data_versions.CATALOGUE,
                                _key("institution-chart", institution_id), build)
