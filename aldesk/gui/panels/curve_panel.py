"""The learning curve: test accuracy after each retrain, with its confidence band (QtCharts)."""

from __future__ import annotations

from bisect import bisect_left

from PySide6.QtCharts import QAreaSeries, QChart, QChartView, QLineSeries, QValueAxis
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QColor, QCursor, QFontInfo, QPainter, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from aldesk.core.rounds import curve_points
from aldesk.core.store import RoundRecord
from aldesk.gui import style
from aldesk.gui.guard import guarded

MAX_POINTS = 500  # drawn per series; more label counts are shown binned


class CurvePanel(QChartView):
    def __init__(self, parent: QWidget | None = None) -> None:
        chart = QChart()
        chart.setTitle("Test accuracy vs labels")
        chart.legend().hide()
        chart.setMargins(chart.margins() * 0)
        super().__init__(chart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        # room for the title, the axes' labels and a plot at any font (at 15 pt a fixed 180
        # px elided every axis label to "…")
        # (by the font's pixel size, not its line height, which a CJK fallback family sets)
        self.setMinimumHeight(max(180, 15 * QFontInfo(self.font()).pixelSize()))
        self._markers: list[QLineSeries] = []  # where the project's settings changed
        self._top = 10
        self._xs: list[int] = []  # the label count of each drawn point, in order
        self._all: dict[int, tuple[float, float, float]] = {}  # every label count's point
        self._width = 1  # label counts per drawn point (see _draw_all)
        self._shown = 0  # how many of the controller's rounds are drawn
        self._last: RoundRecord | None = None  # the newest of them
        self.line = QLineSeries()
        self.line.setPen(QPen(QColor("#2f6fde"), 2))
        self.lo, self.hi = QLineSeries(), QLineSeries()
        self.band = QAreaSeries(self.hi, self.lo)
        self.band.setColor(QColor(47, 111, 222, 50))
        self.band.setBorderColor(Qt.GlobalColor.transparent)
        for s in (self.band, self.line):
            chart.addSeries(s)
        self.x_axis, self.y_axis = QValueAxis(), QValueAxis()
        self.x_axis.setLabelFormat("%d")
        self.x_axis.setTitleText("labels")
        self.y_axis.setRange(0.0, 1.0)
        self.y_axis.setLabelFormat("%.1f")
        self.y_axis.setTickCount(6)
        chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        for s in (self.band, self.line):
            s.attachAxis(self.x_axis)
            s.attachAxis(self.y_axis)
        self._follow_theme()

    @guarded
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # the desktop switched light / dark
            self._follow_theme()

    def _follow_theme(self) -> None:
        """The chart's own colours (QtCharts ignores the widget palette) match the theme."""
        chart, text = self.chart(), self.palette().color(self.palette().ColorRole.WindowText)
        chart.setBackgroundBrush(style.theme_colour("chart_bg"))
        self.setBackgroundBrush(style.theme_colour("chart_bg"))
        chart.setTitleBrush(text)
        for axis in (self.x_axis, self.y_axis):
            axis.setLabelsBrush(text)
            axis.setTitleBrush(text)
            axis.setGridLineColor(style.theme_colour("grid"))
            axis.setLinePenColor(style.theme_colour("grid"))

    def show_rounds(self, rounds: list[RoundRecord]) -> None:
        """Show the curve of ``rounds``. When they are the rounds shown before plus newer ones
        (a retrain was applied), only those are added: a long curve is not redrawn per round."""
        shown, self._shown = self._shown, len(rounds)
        if 0 < shown <= len(rounds) and rounds[shown - 1] is self._last:
            for r in rounds[shown:]:
                self._add(r)
        else:
            self._redraw(rounds)
        self._last = rounds[-1] if rounds else None

    def _redraw(self, rounds: list[RoundRecord]) -> None:
        pts = curve_points(rounds)  # one point per label count, in label order
        self._all = {r.n_labels: _triple(r) for r in pts}
        self._top = max(self._all, default=10)
        self._width = _bin_width(self._top)
        self._draw_all()
        self._fit_x()

    def _draw_all(self) -> None:
        """Every series redrawn: one point per label count, or per bin of ``_width`` label
        counts (its newest) once there are more than MAX_POINTS; a chart a few hundred pixels
        wide shows no more, and QtCharts lays out every point on each change (10,000 points:
        ~45 ms of the GUI thread per round applied)."""
        shown: dict[int, int] = {}
        for n in sorted(self._all):
            shown[n // self._width] = n
        self._xs = list(shown.values())
        values = [self._all[n] for n in self._xs]
        for k, series in enumerate((self.line, self.lo, self.hi)):
            series.replace([QPointF(n, v[k]) for n, v in zip(self._xs, values, strict=True)])

    def _add(self, r: RoundRecord) -> None:
        """One more round: its point goes in label order (usually at the end; after an undo,
        between others), or replaces the point of the same label count (the latest stands)."""
        if r.accuracy is None:
            return
        self._all[r.n_labels] = _triple(r)
        self._top = max(self._top, r.n_labels)
        if _bin_width(self._top) != self._width:  # the curve doubled: coarser bins, once
            self._width = _bin_width(self._top)
            self._draw_all()
        else:
            self._place(r.n_labels)
        if r.n_labels > self.x_axis.max():
            self._fit_x()

    def _place(self, n: int) -> None:
        """Show the point of label count ``n`` where its bin is drawn: replacing the bin's point
        if ``n`` is its newest count, else nothing (an older count within a drawn bin)."""
        at = bisect_left(self._xs, n // self._width, key=lambda x: x // self._width)
        same_bin = at < len(self._xs) and self._xs[at] // self._width == n // self._width
        if same_bin and self._xs[at] > n:
            return
        points = [QPointF(n, v) for v in self._all[n]]
        for series, point in zip((self.line, self.lo, self.hi), points, strict=True):
            if same_bin:
                series.replace(at, point)
            else:
                series.insert(at, point)
        if same_bin:
            self._xs[at] = n
        else:
            self._xs.insert(at, n)

    def set_markers(self, markers: list[tuple[int, str]]) -> None:
        """Dashed vertical lines at the label counts where the settings changed (hover: what)."""
        for series in self._markers:
            self.chart().removeSeries(series)
        self._markers = []
        for x, text in markers:
            series = QLineSeries()
            series.setName(text)
            series.append(QPointF(x, 0.0))
            series.append(QPointF(x, 1.0))
            series.setPen(QPen(QColor("#d97706"), 1.5, Qt.PenStyle.DashLine))
            series.hovered.connect(
                lambda _p, on, t=text: QToolTip.showText(QCursor.pos(), t) if on else None
            )
            self.chart().addSeries(series)
            series.attachAxis(self.x_axis)
            series.attachAxis(self.y_axis)
            self._markers.append(series)
        self._fit_x()

    def marker_positions(self) -> list[float]:
        return [s.at(0).x() for s in self._markers]

    def _fit_x(self) -> None:
        right = max([self._top, 10, *self.marker_positions()])
        self.x_axis.setRange(0, right)
        self.x_axis.applyNiceNumbers()  # round tick values (0, 10, 20, ...)

    def point_count(self) -> int:
        return self.line.count()


def _triple(r: RoundRecord) -> tuple[float, float, float]:
    """(accuracy, lower, upper) of a measured round."""
    return (r.accuracy, _known(r.accuracy_lo, r.accuracy), _known(r.accuracy_hi, r.accuracy))


def _bin_width(top: int) -> int:
    """Label counts per drawn point: 1 up to MAX_POINTS counts, then doubling."""
    width = 1
    while top // width > MAX_POINTS:
        width *= 2
    return width


def _known(value: float | None, default: float) -> float:
    return default if value is None else value  # a bound of 0.0 is a bound, not "unknown"
