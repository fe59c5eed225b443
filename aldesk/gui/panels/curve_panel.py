"""The learning curve: test accuracy after each retrain, with its confidence band (QtCharts)."""

from __future__ import annotations

import math
from bisect import bisect_left

from PySide6.QtCharts import (
    QAreaSeries,
    QCategoryAxis,
    QChart,
    QChartView,
    QLineSeries,
    QValueAxis,
)
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
        chart.setTitle("Learning curve: test accuracy")
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
        self._tests: dict[int, int] = {}  # the test labels each point was measured on
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
        # points rest on different numbers of test labels (7, then 10 ... 32), and the newest
        # is measured again as test labels come: hovering says which
        self.line.hovered.connect(self._on_hovered)
        self.x_axis, self.y_axis = QValueAxis(), percent_axis()
        self.x_axis.setLabelFormat("%d")
        # the model's training labels: test answers are not on this axis (Progress counts both)
        self.x_axis.setTitleText("labels on pool items")
        self.y_axis.setTitleText("accuracy")  # short: rotated, a longer one was cut ("curacy")
        self.target_line: QLineSeries | None = None  # the target accuracy, if one is set
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
        self._tests = {r.n_labels: r.n_test for r in pts}
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
        self._tests[r.n_labels] = r.n_test
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

    def point_text(self, x: float) -> str | None:
        """What hovering the curve near ``x`` labels says of the point drawn there."""
        if not self._xs:
            return None
        n = min(self._xs, key=lambda m: abs(m - x))
        acc, lo, hi = self._all[n]
        latest = self._last is not None and self._last.n_labels == n
        newest = " (the newest model: measured again as test labels come)" if latest else ""
        return (f"{n} labels: {acc:.1%} on {self._tests.get(n, 0)} test items "
                f"(95% interval {lo:.0%}–{hi:.0%}){newest}")  # fmt: skip

    def _on_hovered(self, point: QPointF, on: bool) -> None:
        text = self.point_text(point.x()) if on else None
        if text:
            QToolTip.showText(QCursor.pos(), text, self)

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

    def set_target(self, target: float | None) -> None:
        """A dotted horizontal line at the project's target accuracy (none without one)."""
        if self.target_line is not None:
            self.chart().removeSeries(self.target_line)
            self.target_line = None
        if target is None:
            return
        line = self.target_line = QLineSeries()
        name = f"target {target:.0%}"
        line.setName(name)
        line.setPen(QPen(QColor("#16a34a"), 1.5, Qt.PenStyle.DotLine))
        line.append(QPointF(0, target))
        line.append(QPointF(self.x_axis.max(), target))  # _fit_x keeps it to the right edge
        line.hovered.connect(
            lambda _p, on, t=name: QToolTip.showText(QCursor.pos(), t) if on else None
        )
        self.chart().addSeries(line)
        line.attachAxis(self.x_axis)
        line.attachAxis(self.y_axis)

    def target_level(self) -> float | None:
        return None if self.target_line is None else self.target_line.at(0).y()

    def marker_positions(self) -> list[float]:
        return [s.at(0).x() for s in self._markers]

    def _fit_x(self) -> None:
        right = max([self._top, 10, *self.marker_positions()])
        top, ticks = nice_range(right)
        self.x_axis.setRange(0, top)
        self.x_axis.setTickCount(ticks)
        if self.target_line is not None:
            self.target_line.replace(1, QPointF(self.x_axis.max(), self.target_level()))

    def point_count(self) -> int:
        return self.line.count()


def nice_range(right: float) -> tuple[float, int]:
    """The axis end at or past ``right`` and its tick count, on a round step (1, 2 or 5 times
    a power of ten) of at most 5 intervals: Qt's own nice numbers drew 240 labels on 0-400."""
    step = 1.0
    while True:
        for factor in (1, 2, 5):
            if right / (step * factor) <= 5:
                n = max(1, math.ceil(right / (step * factor)))
                return n * step * factor, n + 1
        step *= 10


def percent_axis() -> QCategoryAxis:
    """A 0-1 axis labelled 0% ... 100%, as every other accuracy in the app is written."""
    axis = QCategoryAxis()
    axis.setRange(0.0, 1.0)
    axis.setStartValue(0.0)
    axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
    for k in range(6):
        axis.append(f"{20 * k}%", 0.2 * k)
    return axis


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
