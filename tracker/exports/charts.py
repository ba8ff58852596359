"""Charts of implementation statuses, drawn with reportlab's own graphics.

The functions take plain data (labels, and counts per status) and return a ``Drawing``: a
vector flowable in a PDF, or SVG text through ``to_svg`` for a web page. They know nothing
of the database or of the document they end up in, so the public dashboard can draw the
same charts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from math import ceil, log10

from flask_babel import format_decimal
from flask_babel import gettext as _
from reportlab.graphics import renderSVG
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, Group, String
from reportlab.lib import colors
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

# Bitstream Vera ships inside reportlab: it has the Spanish letters, and as an embedded
# TrueType font its text can be selected, searched and read aloud.
FONT, FONT_BOLD, FONT_ITALIC, FONT_BOLD_ITALIC = "Vera", "VeraBd", "VeraIt", "VeraBI"
# DejaVu Sans is Vera extended, with the same metrics: a browser that has it lays the SVG
# text out as measured here.
SVG_FONT_FAMILY = "'Bitstream Vera Sans', 'DejaVu Sans', Verdana, sans-serif"

# One colour per status, fixed everywhere. The four steps of progress run from orange to
# dark blue (a pair that protanopes, deuteranopes and tritanopes all tell apart), and the
# whole set steps down in lightness by 12-19 CIELAB L* units (97, 85, 70, 55, 39, 20), so a
# greyscale print or a colour-blind reader still sees six different shades, in the same
# order as the legend; "no information" and "not applicable" are neutral greys because
# they are not steps of implementation. Every segment also has a thin dark outline, so the
# palest one stays visible on white paper.
STATUS_COLOURS: dict[str, colors.Color] = {
    "no_information": colors.HexColor("#d4d4d4"),
    "not_started": colors.HexColor("#eb9a3e"),
    "in_progress": colors.HexColor("#3a89c0"),
    "partially_implemented": colors.HexColor("#1f5c9e"),
    "implemented": colors.HexColor("#053061"),
    "not_applicable": colors.HexColor("#f7f7f7"),
}
OUTLINE = colors.HexColor("#404040")
GRID = colors.HexColor("#d9d9d9")
TEXT = colors.HexColor("#222222")

WIDTH = 453  # points: the text width of an A4 page with 2 cm margins
FONT_SIZE = 8
BAR_SLOT = 20  # points per bar of a horizontal chart
MAX_BARS = 10
LABEL_CHARS = 30


@dataclass(frozen=True)
class Series:
    """One status as a chart shows it: its code (for the colour) and its label."""

    code: str
    label: str


@dataclass(frozen=True)
class Bar:
    """One bar (or column): its label and a count per series, in the series' order."""

    label: str
    counts: Sequence[int]

    @property
    def total(self) -> int:
        return sum(self.counts)


def register_fonts() -> None:
    """Make the bundled Vera fonts known to reportlab (once per process)."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    for name in (FONT, FONT_BOLD, FONT_ITALIC, FONT_BOLD_ITALIC):
        pdfmetrics.registerFont(TTFont(name, f"{name}.ttf"))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC,
                                  boldItalic=FONT_BOLD_ITALIC)
    for bold, italic, name in ((0, 0, FONT), (1, 0, FONT_BOLD), (0, 1, FONT_ITALIC),
                               (1, 1, FONT_BOLD_ITALIC)):
        addMapping(FONT, bold, italic, name)


def shorten(text: str, max_chars: int = LABEL_CHARS) -> str:
    """Cut a label to at most max_chars characters, ending in an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    return text[:max_chars - 1].rstrip(" ,;:-–(") + "…"


def top_bars(bars: Sequence[Bar], max_bars: int = MAX_BARS,
             others_label: str | None = None) -> list[Bar]:
    """Keep the largest bars, most first; sum the rest into one "Others" bar."""
    ranked = sorted(bars, key=lambda bar: -bar.total)  # stable: equal totals keep their order
    if len(ranked) <= max_bars:
        return ranked
    kept, rest = ranked[:max_bars - 1], ranked[max_bars - 1:]
    summed = [sum(column) for column in zip(*(bar.counts for bar in rest), strict=True)]
    return [*kept, Bar(others_label or _("Others"), summed)]


def _nice_scale(largest: int) -> tuple[int, int]:
    # A top and a whole-number step (1, 2 or 5 × 10ⁿ) giving at most about six ticks.
    if largest <= 0:
        return 1, 1
    magnitude = 10 ** int(log10(largest))
    step = next(m * magnitude for m in (0.1, 0.2, 0.5, 1, 2, 5, 10)
                if m * magnitude >= 1 and largest / (m * magnitude) <= 6)
    step = int(step)
    return step * ceil(largest / step), step


def _number(value) -> str:
    return format_decimal(int(value))


def _text(x, y, text, *, size=FONT_SIZE, anchor="start", font=FONT) -> String:
    return String(x, y, text, fontName=font, fontSize=size, fillColor=TEXT, textAnchor=anchor)


def _used(series: Sequence[Series], bars: Sequence[Bar]) -> list[int]:
    # Only statuses that occur get a legend entry; a legend of absent colours misleads.
    return [i for i in range(len(series)) if any(bar.counts[i] for bar in bars)]


def _legend(series: Sequence[Series], used: list[int], width: float) -> tuple[Legend, float]:
    # Returns the legend and its height; the caller places it under the chart.
    legend = Legend()
    legend.colorNamePairs = [(STATUS_COLOURS.get(series[i].code, colors.grey), series[i].label)
                             for i in used]
    legend.fontName, legend.fontSize = FONT, FONT_SIZE
    legend.alignment = "right"  # swatch first, then its text
    legend.boxAnchor = "nw"
    legend.dx = legend.dy = 8
    legend.strokeColor, legend.strokeWidth = OUTLINE, 0.4
    widest = max((pdfmetrics.stringWidth(series[i].label, FONT, FONT_SIZE) for i in used),
                 default=0)
    columns = max(1, min(len(used), int(width // (widest + 30))))
    legend.columnMaximum = max(1, ceil(len(used) / columns))
    legend.deltax = widest + 30
    legend.deltay = legend.yGap = 0
    legend.autoXPadding = 10
    return legend, legend.columnMaximum * 12


def _style_value_axis(axis, top: int, step: int) -> None:
    axis.valueMin, axis.valueMax, axis.valueStep = 0, top, step
    axis.labelTextFormat = _number
    axis.labels.fontName, axis.labels.fontSize = FONT, FONT_SIZE
    axis.visibleGrid, axis.gridStrokeColor, axis.gridStrokeWidth = 1, GRID, 0.5
    axis.strokeColor = OUTLINE


def _style_bars(chart, series: Sequence[Series]) -> None:
    chart.bars.strokeColor, chart.bars.strokeWidth = OUTLINE, 0.4
    for i, item in enumerate(series):
        chart.bars[i].fillColor = STATUS_COLOURS.get(item.code, colors.grey)


def _empty(width: float, message: str | None) -> Drawing:
    drawing = Drawing(width, 30)
    drawing.add(_text(0, 10, message or _("Nothing to show."), size=FONT_SIZE + 1))
    return drawing


def _horizontal(series: Sequence[Series], bars: Sequence[Bar], *, axis_label: str,
                width: float, legend: bool, label_chars: int) -> Drawing:
    labels = [shorten(bar.label, label_chars) for bar in bars]
    label_width = max(pdfmetrics.stringWidth(text, FONT, FONT_SIZE) for text in labels) + 8
    top, step = _nice_scale(max(bar.total for bar in bars))
    used = _used(series, bars)
    legend_obj, legend_height = _legend(series, used, width) if legend and used else (None, 0)
    bottom = 34 + (legend_height + 10 if legend_height else 0)
    chart = HorizontalBarChart()
    chart.x = label_width
    chart.y = bottom
    # Room on the right for the total written after the longest bar.
    chart.width = width - label_width - 8 - pdfmetrics.stringWidth(_number(top), FONT, FONT_SIZE)
    chart.height = BAR_SLOT * len(bars)
    # reportlab puts the first category at the bottom; the largest bar reads best on top.
    ordered = list(reversed(bars))
    chart.data = [[bar.counts[i] or None for bar in ordered] for i in range(len(series))]
    chart.categoryAxis.categoryNames = list(reversed(labels))
    chart.categoryAxis.style = "stacked"
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = FONT_SIZE
    chart.categoryAxis.labels.boxAnchor, chart.categoryAxis.labels.dx = "e", -4
    chart.categoryAxis.strokeColor = OUTLINE
    chart.barWidth, chart.groupSpacing = BAR_SLOT - 6, 6
    _style_value_axis(chart.valueAxis, top, step)
    _style_bars(chart, series)
    drawing = Drawing(width, chart.y + chart.height + 6)
    drawing.add(chart)
    for n, bar in enumerate(ordered):
        drawing.add(_text(chart.x + chart.width * bar.total / top + 4,
                          chart.y + BAR_SLOT * (n + 0.5) - FONT_SIZE / 3, _number(bar.total)))
    drawing.add(_text(chart.x + chart.width / 2, chart.y - 28, axis_label, anchor="middle"))
    if legend_obj is not None:
        legend_obj.x, legend_obj.y = chart.x, legend_height + 4
        drawing.add(legend_obj)
    return drawing


def status_overview_chart(series: Sequence[Series], counts: Sequence[int], *, axis_label: str,
                          width: float = WIDTH, empty_message: str | None = None) -> Drawing:
    """Draw one horizontal bar per status, in its colour, with its count at the end."""
    register_fonts()
    if not any(counts):
        return _empty(width, empty_message)
    bars = []
    for i, item in enumerate(series):
        only = [0] * len(series)
        only[i] = counts[i]
        bars.append(Bar(item.label, only))
    # The statuses keep their fixed order and label the bars: no legend needed.
    return _horizontal(series, bars, axis_label=axis_label, width=width, legend=False,
                       label_chars=LABEL_CHARS)


def stacked_bar_chart(series: Sequence[Series], bars: Sequence[Bar], *, axis_label: str,
                      max_bars: int = MAX_BARS, others_label: str | None = None,
                      label_chars: int = LABEL_CHARS, width: float = WIDTH,
                      empty_message: str | None = None) -> Drawing:
    """Draw one horizontal bar per group, split by status, largest first, with a legend."""
    register_fonts()
    shown = [bar for bar in top_bars(bars, max_bars, others_label) if bar.total]
    if not shown:
        return _empty(width, empty_message)
    return _horizontal(series, shown, axis_label=axis_label, width=width, legend=True,
                       label_chars=label_chars)


def stacked_column_chart(series: Sequence[Series], columns: Sequence[Bar], *, axis_label: str,
                         width: float = WIDTH, height: float = 170,
                         empty_message: str | None = None) -> Drawing:
    """Draw one column per period (quarter), split by status, in time order, with a legend."""
    register_fonts()
    if not columns or not any(column.total for column in columns):
        return _empty(width, empty_message)
    top, step = _nice_scale(max(column.total for column in columns))
    used = _used(series, columns)
    legend, legend_height = _legend(series, used, width)
    slanted = len(columns) > 6
    label_room = 30 if slanted else 16
    chart = VerticalBarChart()
    chart.x = pdfmetrics.stringWidth(_number(top), FONT, FONT_SIZE) + 26
    chart.y = legend_height + 14 + label_room
    chart.width, chart.height = width - chart.x - 4, height
    chart.data = [[column.counts[i] or None for column in columns] for i in range(len(series))]
    chart.categoryAxis.categoryNames = [shorten(column.label, 14) for column in columns]
    chart.categoryAxis.style = "stacked"
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = FONT_SIZE
    chart.categoryAxis.strokeColor = OUTLINE
    if slanted:
        chart.categoryAxis.labels.angle = 30
        chart.categoryAxis.labels.boxAnchor = "ne"
    chart.barSpacing, chart.groupSpacing = 0, max(4, chart.width / len(columns) / 3)
    _style_value_axis(chart.valueAxis, top, step)
    _style_bars(chart, series)
    drawing = Drawing(width, chart.y + chart.height + 14)
    drawing.add(chart)
    slot = chart.width / len(columns)
    for n, column in enumerate(columns):
        if column.total:
            drawing.add(_text(chart.x + slot * (n + 0.5), chart.y + chart.height * column.total
                              / top + 3, _number(column.total), anchor="middle"))
    # The value axis's name, reading upwards along it: a String turns only inside a Group.
    name = Group(_text(chart.y + chart.height / 2, -FONT_SIZE - 1, axis_label, anchor="middle"))
    name.rotate(90)
    drawing.add(name)
    legend.x, legend.y = chart.x, legend_height + 4
    drawing.add(legend)
    return drawing


def to_svg(drawing: Drawing, title: str, description: str = "") -> str:
    """Render a chart as SVG text, titled for screen readers, for a web page."""
    svg = renderSVG.drawToString(drawing, svgAttrs={"role": "img"})
    svg = svg.replace("<title>...</title>", f"<title>{escape(title)}</title>", 1)
    svg = svg.replace("<desc>...</desc>", f"<desc>{escape(description)}</desc>", 1)
    return svg.replace(f"font-family: {FONT};", f"font-family: {SVG_FONT_FAMILY};")

