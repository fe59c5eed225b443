"""The learning curve: test accuracy after each retrain, with its confidence band (QtCharts)."""

from __future__ import annotations

from PySide6.QtCharts import QAreaSeries, QChart, QChartView, QLineSeries, QValueAxis
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from aldesk.core.store import RoundRecord


class CurvePanel(QChartView):
    def __init__(self, parent: QWidget | None = None) -> None:
        chart = QChart()
        chart.setTitle("Test accuracy vs labels")
        chart.legend().hide()
        chart.setMargins(chart.margins() * 0)
        super().__init__(chart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(180)
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

    def show_rounds(self, rounds: list[RoundRecord]) -> None:
        pts = [r for r in rounds if r.accuracy is not None]
        self.line.replace([QPointF(r.n_labels, r.accuracy) for r in pts])
        self.lo.replace([QPointF(r.n_labels, r.accuracy_lo or r.accuracy) for r in pts])
        self.hi.replace([QPointF(r.n_labels, r.accuracy_hi or r.accuracy) for r in pts])
        top = max((r.n_labels for r in pts), default=10)
        self.x_axis.setRange(0, max(10, top))
        self.x_axis.applyNiceNumbers()  # round tick values (0, 10, 20, ...)

    def point_count(self) -> int:
        return self.line.count()
