"""The status report: a PDF of where the selected recommendations stand, with charts.

A cover, a summary, one section per view of the figures, each chart followed by a table of
the same numbers (what a screen reader or a spreadsheet can use), and the office actions of
the period. The figures are aggregate queries (``statistics``): memory does not grow with
the number of recommendations.
"""

from __future__ import annotations

from datetime import date
from typing import BinaryIO
from xml.sax.saxutils import escape

from babel.numbers import format_percent
from flask_babel import format_date, format_decimal, get_locale, ngettext
from flask_babel import gettext as _
from reportlab.graphics import renderPDF
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import (
    Flowable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from tracker.exports import PDF_TYPE, Built, Progress, Selection, charts
from tracker.exports.statistics import (
    STATUSES,
    ActionSummary,
    StatusCounts,
    StatusStatistics,
    collect,
    count_by_status,
    local_date,
    status_label,
)

MARGIN = 2 * cm
TEXT_WIDTH = A4[0] - 2 * MARGIN
HEADER_FILL = colors.HexColor("#e9eef4")
RULE = colors.HexColor("#b8b8b8")
MUTED = colors.HexColor("#555555")


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=charts.FONT, fontSize=10, leading=14, spaceAfter=6)
    note = ParagraphStyle("note", body, fontSize=9, leading=12, textColor=MUTED)
    caption = ParagraphStyle("caption", note, fontName=charts.FONT_ITALIC, fontSize=8.5,
                             leading=11, spaceBefore=4, spaceAfter=4)
    cell = ParagraphStyle("cell", body, fontSize=8, leading=10, spaceAfter=0)
    # Regular, not bold, weight: the longest status word fits a narrow number column.
    head = ParagraphStyle("head", cell, fontSize=7, leading=9)
    return {
        "body": body, "note": note, "caption": caption, "cell": cell, "head": head,
        "brand": ParagraphStyle("brand", body, fontSize=11, textColor=MUTED, spaceAfter=40),
        "title": ParagraphStyle("title", body, fontName=charts.FONT_BOLD, fontSize=24,
                                leading=30, spaceAfter=18),
        "badge": ParagraphStyle("badge", body, fontName=charts.FONT_BOLD, fontSize=12,
                                textColor=colors.HexColor("#7a3a00"), spaceAfter=14),
        "h1": ParagraphStyle("h1", body, fontName=charts.FONT_BOLD, fontSize=15, leading=19,
                             spaceBefore=16, spaceAfter=8, keepWithNext=True),
        # A section's opening notes and a figure's caption stay with what follows them.
        "lead": ParagraphStyle("lead", note, keepWithNext=True),
        "figure": ParagraphStyle("figure", caption, keepWithNext=True),
        "num": ParagraphStyle("num", cell, alignment=TA_RIGHT),
        "headnum": ParagraphStyle("headnum", head, alignment=TA_CENTER),
    }


class _Figure(Flowable):
    """A chart as a plain flowable (a Drawing refuses new attributes such as keepWithNext)."""

    def __init__(self, drawing):
        super().__init__()
        self.drawing = drawing
        self.keepWithNext = True

    def wrap(self, available_width, available_height):
        return self.drawing.width, self.drawing.height

    def draw(self):
        renderPDF.draw(self.drawing, self.canv, 0, 0)


class _ReportDocument(SimpleDocTemplate):
    """A document that turns every section heading into an outline entry (bookmark)."""

    def afterFlowable(self, flowable):
        key = getattr(flowable, "outline_key", None)
        if key:
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.getPlainText(), key, level=0)


def _n(value: int) -> str:
    return format_decimal(value)


def _share(part: int, whole: int) -> str:
    # One decimal at most: a whole-number percentage turns 1 of 270 into "0 %".
    return format_percent(round(part / whole, 3) if whole else 0, locale=get_locale(),
                          decimal_quantization=False)


def _period(start: date, end: date) -> str:
    return f"{format_date(start, 'long')} – {format_date(end, 'long')}"


def _dates(action: ActionSummary) -> str:
    if action.end_date is None or action.end_date == action.start_date:
        return format_date(action.start_date, "medium")
    return f"{format_date(action.start_date, 'medium')} – {format_date(action.end_date, 'medium')}"


class _Writer:
    """Lays out the story of one report: sections, captions, charts and tables."""

    def __init__(self, selection: Selection, stats: StatusStatistics):
        self.selection, self.stats = selection, stats
        self.style = _styles()
        self.story: list = []
        self.figures = self.tables = 0
        self.series = [charts.Series(s.value, status_label(s)) for s in STATUSES]

    def text(self, markup: str, style: str = "body") -> None:
        self.story.append(Paragraph(markup, self.style[style]))

    def heading(self, title: str) -> None:
        paragraph = Paragraph(escape(title), self.style["h1"])
        paragraph.outline_key = f"section-{len(self.story)}"
        self.story.append(paragraph)

    def chart(self, caption: str, drawing) -> None:
        self.figures += 1
        # Chained with keepWithNext rather than wrapped in KeepTogether: platypus chains a
        # heading only to plain flowables, and the heading must not stay behind alone.
        self.story += [
            Paragraph(escape(_("Figure %(n)d. %(caption)s", n=self.figures, caption=caption)),
                      self.style["figure"]),
            _Figure(drawing),
            Paragraph(escape(_("The table that follows gives the same figures.")),
                      self.style["caption"]),
        ]

    def table(self, caption: str, head: list[str], rows: list[list], widths: list[float],
              *, numeric_from: int, total_row: bool = False, status_columns: int = 0) -> None:
        self.tables += 1
        self.story.append(Paragraph(
            escape(_("Table %(n)d. %(caption)s", n=self.tables, caption=caption)),
            self.style["figure"]))
        cells = [[Paragraph(escape(text), self.style["headnum" if i >= numeric_from else "head"])
                  for i, text in enumerate(head)]]
        for row in rows:
            cells.append([Paragraph(escape(str(value)),
                                    self.style["num" if i >= numeric_from else "cell"])
                          for i, value in enumerate(row)])
        commands = [
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, charts.OUTLINE),
            ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ("LEFTPADDING", (numeric_from, 0), (-1, -1), 2),
            ("RIGHTPADDING", (numeric_from, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
        # A band of each status's chart colour over its column ties the table to the chart.
        for i in range(status_columns):
            column = numeric_from + i
            commands.append(("LINEABOVE", (column, 0), (column, 0), 4,
                             charts.STATUS_COLOURS[STATUSES[i].value]))
        if total_row:
            commands.append(("LINEABOVE", (0, -1), (-1, -1), 0.8, charts.OUTLINE))
        table = Table(cells, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle(commands))
        self.story.append(table)
        self.story.append(Spacer(1, 10))

    def status_table(self, caption: str, first: str, groups: list[StatusCounts]) -> None:
        status_width, total_width = 1.84 * cm, 1.35 * cm
        widths = [TEXT_WIDTH - status_width * len(STATUSES) - total_width]
        widths += [status_width] * len(STATUSES) + [total_width]
        rows = [[group.name, *map(_n, group.counts), _n(group.total)] for group in groups]
        self.table(caption, [first, *(s.label for s in self.series), _("Total")], rows, widths,
                   numeric_from=1, status_columns=len(STATUSES))



def _bars(groups: list[StatusCounts]) -> list[charts.Bar]:
    return [charts.Bar(group.label, group.counts) for group in groups]


def _cover(w: _Writer) -> None:
    sel = w.selection
    w.text(escape(_("Recommendations tracker")), "brand")
    w.text(escape(_("Recommendation status report")), "title")
    if sel.public:
        w.text(escape(_("Public version")), "badge")
    lines = [(_("Generated on"), format_date(sel.generated_at, "long")),
             (_("Period"), _period(w.stats.period_start, w.stats.period_end))]
    lines += list(sel.description) or [(_("Selection"), _("All recommendations"))]
    for name, value in lines:
        w.text(f"<b>{escape(str(name))}:</b> {escape(str(value))}")
    w.story.append(Spacer(1, 24))
    if sel.public:
        w.text(escape(_("This version shows only public information: published "
                        "recommendations, their status, and public office actions.")), "note")
    else:
        w.text(escape(_("Internal version, for office staff: it may count unpublished "
                        "recommendations and internal office actions. Do not publish it; "
                        "request the public version instead.")), "note")
    w.story.append(PageBreak())


_STATUS_SENTENCES = {
    "no_information": lambda n, **values: ngettext(
        "%(count)s recommendation has no information on its implementation (%(share)s).",
        "%(count)s recommendations have no information on their implementation (%(share)s).",
        n, **values),
    "not_started": lambda n, **values: ngettext(
        "%(count)s recommendation has not been started (%(share)s).",
        "%(count)s recommendations have not been started (%(share)s).", n, **values),
    "in_progress": lambda n, **values: ngettext(
        "%(count)s recommendation is in progress (%(share)s).",
        "%(count)s recommendations are in progress (%(share)s).", n, **values),
    "partially_implemented": lambda n, **values: ngettext(
        "%(count)s recommendation is partially implemented (%(share)s).",
        "%(count)s recommendations are partially implemented (%(share)s).", n, **values),
    "implemented": lambda n, **values: ngettext(
        "%(count)s recommendation is implemented (%(share)s).",
        "%(count)s recommendations are implemented (%(share)s).", n, **values),
    "not_applicable": lambda n, **values: ngettext(
        "%(count)s recommendation is not applicable (%(share)s).",
        "%(count)s recommendations are not applicable (%(share)s).", n, **values),
}


def _summary(w: _Writer) -> None:
    stats, total = w.stats, w.stats.total
    w.heading(_("Summary"))
    if not total:
        w.text(escape(_("There are no recommendations in this selection, so there is "
                        "nothing to show. Change the filters to include some.")))
        return
    w.text(escape(ngettext("The selection holds %(count)s recommendation.",
                           "The selection holds %(count)s recommendations.", total,
                           count=_n(total))))
    for status, count in zip(STATUSES, stats.overall.counts, strict=True):
        if count:
            w.text(escape(_STATUS_SENTENCES[status.value](
                count, count=_n(count), share=_share(count, total))))
    changes = sum(bucket.total for bucket in stats.changes)
    w.text(escape(ngettext(
        "Between %(start)s and %(end)s, the office recorded %(count)s status change.",
        "Between %(start)s and %(end)s, the office recorded %(count)s status changes.",
        changes, count=_n(changes), start=format_date(stats.period_start, "long"),
        end=format_date(stats.period_end, "long"))))
    w.text(escape(ngettext("%(count)s office action took place in the period.",
                           "%(count)s office actions took place in the period.",
                           len(stats.actions), count=_n(len(stats.actions)))))


def _overall(w: _Writer) -> None:
    total = w.stats.total
    w.heading(_("Implementation status"))
    w.chart(_("Recommendations by implementation status."),
            charts.status_overview_chart(w.series, w.stats.overall.counts,
                                         axis_label=_("Number of recommendations")))
    rows = [[s.label, _n(n), _share(n, total)]
            for s, n in zip(w.series, w.stats.overall.counts, strict=True)]
    rows.append([_("Total"), _n(total), _share(total, total)])
    w.table(_("Recommendations by implementation status."),
            [_("Status"), _("Recommendations"), _("Share")], rows,
            [TEXT_WIDTH - 7 * cm, 3.6 * cm, 3.4 * cm], numeric_from=1, total_row=True)


def _grouped(w: _Writer, title: str, first: str, groups: list[StatusCounts],
             notes: list[str], empty: str, unled: StatusCounts | None = None) -> None:
    w.heading(title)
    for note in notes:
        w.text(escape(note), "lead")
    if not groups:
        w.text(escape(empty))
        return
    if len(groups) > charts.MAX_BARS:
        w.text(escape(_("The chart shows the %(num)s largest groups and sums up the others; "
                        "the table lists them all.", num=_n(charts.MAX_BARS - 1))), "lead")
    w.chart(title + ".", charts.stacked_bar_chart(
        w.series, _bars(groups), axis_label=_("Number of recommendations")))
    w.status_table(title + ".", first, [*groups, *([unled] if unled else [])])


def _changes(w: _Writer) -> None:
    stats = w.stats
    title = _("Status changes in the period")
    w.heading(title)
    w.text(escape(_("A recommendation counts in a quarter when an assessment made then moved "
                    "it to a status different from the one it had. Period: %(period)s.",
                    period=_period(stats.period_start, stats.period_end))), "lead")
    if not any(bucket.total for bucket in stats.changes):
        w.text(escape(_("No recommendation changed status in the period.")))
        return
    w.chart(_("Recommendations that moved to each status, by quarter."),
            charts.stacked_column_chart(w.series, _bars(stats.changes),
                                        axis_label=_("Number of recommendations")))
    w.status_table(_("Recommendations that moved to each status, by quarter."),
                   _("Quarter"), stats.changes)


def _actions(w: _Writer) -> None:
    w.heading(_("Office actions in the period"))
    actions = w.stats.actions
    if not actions:
        w.text(escape(_("The office recorded no public action in the period.")
                      if w.selection.public
                      else _("The office recorded no action in the period.")))
        return
    w.text(escape(_("The last column counts the recommendations of this selection that each "
                    "action supports.")), "lead")
    rows = [[a.title, a.kind, _dates(a), ", ".join(a.pillars), ", ".join(a.institutions),
             _n(a.recommendations)] for a in actions]
    widths = [4.5 * cm, 2.5 * cm, 2.4 * cm, 3.1 * cm, 2.0 * cm, 2.5 * cm]
    w.table(_("Office actions in the period."),
            [_("Action"), _("Kind"), _("Dates"), _("Pillars"), _("Institutions"),
             _("Recommendations supported")], rows, widths, numeric_from=5)


def _story(w: _Writer) -> list:
    _cover(w)
    _summary(w)
    if w.stats.total:
        _overall(w)
        _grouped(w, _("Status by mechanism"), _("Mechanism"), w.stats.by_mechanism,
                 [_("Each recommendation counts under the mechanism that issued it.")],
                 _("No mechanism to show."))
        pillar_notes = [_("A recommendation counts under a pillar when an office action linked "
                          "to that pillar supports it, so it may count under several pillars "
                          "or under none.")]
        if w.selection.public:
            pillar_notes[0] += " " + _("Only public office actions are taken into account.")
        _grouped(w, _("Status by OHCHR thematic pillar"), _("Pillar"), w.stats.by_pillar,
                 pillar_notes, _("No office action linked to a pillar supports these "
                                 "recommendations."))
        # Those nobody leads are often most of a selection: a bar of theirs would flatten
        # every institution's, so only the table and a sentence count them.
        unled = w.stats.without_lead
        institution_notes = [_("Each recommendation counts under every institution that "
                               "leads its follow-up (active assignments).")]
        if unled.total and w.stats.by_institution:
            institution_notes.append(ngettext(
                "%(count)s recommendation has no lead institution: the last row of the "
                "table counts it; the chart leaves it out.",
                "%(count)s recommendations have no lead institution: the last row of the "
                "table counts them; the chart leaves them out.",
                unled.total, count=_n(unled.total)))
        _grouped(w, _("Status by lead institution"), _("Institution"), w.stats.by_institution,
                 institution_notes, _("No institution leads these recommendations."),
                 unled if unled.total else None)
        _changes(w)
        _actions(w)
    return w.story


def _footer(title: str, generated: str):
    def draw(canvas, doc):
        if canvas.getPageNumber() == 1:
            canvas.showOutline()  # the reader opens with the sections listed
        canvas.saveState()
        canvas.setFont(charts.FONT, 8)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, MARGIN / 2, f"{title} · {generated}")
        canvas.drawRightString(A4[0] - MARGIN, MARGIN / 2,
                               _("Page %(num)d", num=canvas.getPageNumber()))
        canvas.restoreState()
    return draw


def status_report_filename(selection: Selection) -> str:
    """Return the report's file name in the requester's language, dated the day it was made."""
    stem = _("status-report-public-version") if selection.public else _("status-report")
    return f"{stem}-{local_date(selection.generated_at).isoformat()}.pdf"


def build_status_report_pdf(selection: Selection, out: BinaryIO, progress: Progress) -> Built:
    """Write the status report of the selection as a PDF to out."""
    charts.register_fonts()
    overall = count_by_status(selection.ids)
    total = overall.total
    progress(0, total)
    # The queries are most of the work; laying out and writing the PDF is the last step.
    stats = collect(selection.ids, public=selection.public, locale=selection.locale,
                    generated_at=selection.generated_at, period_start=selection.period_start,
                    period_end=selection.period_end, overall=overall,
                    on_step=lambda done, steps: progress(total * done // (steps + 1), total))
    title = _("Recommendation status report")
    subject = _("Implementation status of human rights recommendations, %(period)s",
                period=_period(stats.period_start, stats.period_end))
    if selection.public:
        subject += f" ({_('Public version')})"
    document = _ReportDocument(
        out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=MARGIN, title=title, author=_("Recommendations tracker"),
        creator=_("Recommendations tracker"), subject=subject, lang=selection.locale)
    footer = _footer(title, format_date(selection.generated_at, "long"))
    document.build(_story(_Writer(selection, stats)), onFirstPage=footer, onLaterPages=footer)
    progress(total, total)
    return Built(status_report_filename(selection), PDF_TYPE, total)
