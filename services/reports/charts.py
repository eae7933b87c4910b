"""Charts per month for the PDF reports, drawn with reportlab.graphics in the report's own font: lines
of values (a gap where a month has none) and bars of counts."""

from __future__ import annotations

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors

GRID = colors.HexColor("#e0e0e0")
BAR = colors.HexColor("#4e79a7")
LEFT = 34  # room for the value axis' labels


def _axes(chart, months: list[str], font: str) -> None:
    """The months below (slanted, so twelve of them fit), the values from 0 on the left with a grid."""
    chart.categoryAxis.categoryNames = months
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 35
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = GRID


def runs(values: list[float | None]) -> list[list[float | None]]:
    """Each run of months with a value, alone in a row (None elsewhere): a line joins the months of a
    run and never crosses a month without a value, as reportlab's own line would."""
    found: list[list[float | None]] = []
    current: list[float | None] | None = None
    for i, value in enumerate(values):
        if value is None:
            current = None
            continue
        if current is None:
            current = [None] * len(values)
            found.append(current)
        current[i] = value
    return found


def percent_lines(
    width: float, months: list[str], series: list[tuple[str, colors.Color, list[float | None]]], font: str
) -> Drawing:
    """Each series (its name, its colour, a percentage or None per month) as a line with a dot per
    month, a legend below; a month alone between gaps is a dot."""
    drawing = Drawing(width, 200)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = LEFT, 58, width - LEFT - 10, 132
    rows = [(colour, run) for _, colour, values in series for run in runs(values)]
    chart.data = [run for _, run in rows] or [[None] * len(months)]
    _axes(chart, months, font)
    chart.valueAxis.valueMax, chart.valueAxis.valueStep = 100, 20
    chart.valueAxis.labelTextFormat = "%d%%"
    chart.joinedLines = False  # only a run of two months or more is joined (below)
    for i, (colour, run) in enumerate(rows):
        style = chart.lines[i]
        style.strokeColor, style.strokeWidth = colour, 1.6
        style.symbol = makeMarker("FilledCircle", size=3.5, fillColor=colour, strokeColor=colour)
        if sum(v is not None for v in run) > 1:
            style.lineStyle = "joinedLine"
    legend = Legend()
    legend.x, legend.y, legend.columnMaximum, legend.alignment = LEFT, 8, 1, "right"
    legend.fontName, legend.fontSize, legend.dx, legend.dy = font, 8, 8, 8
    legend.autoXPadding = 24  # room between one name and the next swatch
    legend.colorNamePairs = [(colour, name) for name, colour, _ in series]
    drawing.add(chart)
    drawing.add(legend)
    return drawing


def count_bars(width: float, months: list[str], counts: list[int], font: str) -> Drawing:
    """A bar per month with its count above it, on a scale of whole numbers."""
    step = max(1, -(-max(counts, default=0) // 4))  # the highest bar below the fifth gridline
    drawing = Drawing(width, 170)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = LEFT, 40, width - LEFT - 10, 118
    chart.data = [counts]
    _axes(chart, months, font)
    chart.valueAxis.valueMax, chart.valueAxis.valueStep = step * 5, step
    chart.bars[0].fillColor, chart.bars[0].strokeColor = BAR, None
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName, chart.barLabels.fontSize, chart.barLabels.nudge = font, 7, 6
    drawing.add(chart)
    return drawing
