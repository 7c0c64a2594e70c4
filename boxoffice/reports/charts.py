"""Charts drawn with reportlab's own graphics: vector bars in the PDF, no raster images.

The bars and axes are a reportlab ``Drawing``; the legend is drawn with :func:`fonts.draw_string`
so a gate called 東京 Nord is labelled like every other name in the report.
"""

from __future__ import annotations

from reportlab.graphics import renderPDF
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.platypus import Flowable

from boxoffice.reports import fonts
from boxoffice.reports.model import BarChart

PALETTE = [colors.HexColor(c) for c in (
    "#2f6f9f", "#e07b39", "#3a9d5d", "#c0392b", "#8e6bbf", "#a0785a", "#d17fb5", "#7f8c8d",
    "#b5b82f", "#25a9b8",
)]
PLOT_HEIGHT = 150
LEGEND_LINE = 11
TITLE_SIZE = 7.5
Y_TITLE_GAP = 12  # room left of the value labels for the y axis' title
X_TITLE_GAP = 11  # room under the hour labels for the x axis' title


class BarChartFlowable(Flowable):
    def __init__(self, chart: BarChart) -> None:
        super().__init__()
        self.chart = chart

    def _legend_rows(self, width: float) -> list[list[tuple[int, str]]]:
        rows: list[list[tuple[int, str]]] = [[]]
        used = 0.0
        for i, (name, _) in enumerate(self.chart.series):
            w = 14 + fonts.string_width(name, 7.5) + 12
            if rows[-1] and used + w > width:
                rows.append([])
                used = 0.0
            rows[-1].append((i, name))
            used += w
        return rows

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width = availWidth
        self.height = PLOT_HEIGHT + 34 + X_TITLE_GAP + LEGEND_LINE * len(self._legend_rows(availWidth))
        return self.width, self.height

    def draw(self) -> None:
        legend = self._legend_rows(self.width)
        legend_h = LEGEND_LINE * len(legend)
        left = 34 + Y_TITLE_GAP
        drawing = Drawing(self.width, PLOT_HEIGHT + 30)
        # reportlab's graphics start in Helvetica (never embedded) unless the drawing names a font.
        setattr(drawing, "initialFontName", fonts.REGULAR)  # noqa: B010 - not in reportlab's stubs
        bars = VerticalBarChart()
        bars.x, bars.y = left, 26
        bars.width, bars.height = int(self.width - left - 10), PLOT_HEIGHT
        bars.data = [values for _, values in self.chart.series] or [[0]]
        step = max(1, len(self.chart.labels) // 16)
        bars.categoryAxis.labels.fontName = fonts.REGULAR
        bars.categoryAxis.labels.fontSize = 6
        bars.categoryAxis.labels.angle = 35
        bars.categoryAxis.labels.boxAnchor = "ne"
        bars.categoryAxis.labels.dy = -2
        bars.categoryAxis.categoryNames = [
            label if i % step == 0 else "" for i, label in enumerate(self.chart.labels)
        ] or [""]
        bars.valueAxis.labels.fontName = fonts.REGULAR
        bars.valueAxis.labels.fontSize = 6.5
        bars.valueAxis.valueMin = 0
        bars.valueAxis.visibleGrid = True
        bars.valueAxis.gridStrokeColor = colors.HexColor("#dde3e7")
        bars.valueAxis.gridStrokeWidth = 0.4
        bars.barSpacing = 0
        bars.groupSpacing = 2
        bars.bars.strokeWidth = 0
        for i in range(len(bars.data)):
            bars.bars[i].fillColor = PALETTE[i % len(PALETTE)]
        drawing.add(bars)
        base = legend_h + X_TITLE_GAP
        renderPDF.draw(drawing, self.canv, 0, base)
        canvas = self.canv
        canvas.setFillColor(colors.HexColor("#4a5a66"))
        if self.chart.x_title:  # under the hour labels, centred on the plot
            fonts.draw_string(canvas, left + bars.width / 2, legend_h + 3, self.chart.x_title, TITLE_SIZE,
                              anchor="middle")
        if self.chart.y_title:  # turned a quarter, left of the value labels
            canvas.saveState()
            canvas.translate(8, base + 26 + PLOT_HEIGHT / 2)
            canvas.rotate(90)
            fonts.draw_string(canvas, 0, 0, self.chart.y_title, TITLE_SIZE, anchor="middle")
            canvas.restoreState()
        for r, row in enumerate(legend):
            x = float(left)
            y = legend_h - (r + 1) * LEGEND_LINE + 3
            for i, name in row:
                canvas.setFillColor(PALETTE[i % len(PALETTE)])
                canvas.rect(x, y, 8, 6, stroke=0, fill=1)
                canvas.setFillColor(colors.black)
                fonts.draw_string(canvas, x + 11, y, name, 7.5)
                x += 14 + fonts.string_width(name, 7.5) + 12
