"""'Stream': in the stream scenario, what the stream did with the arrivals so far.

Seen / queried / discarded (from the answer log), arrivals still waiting, and the threshold the
next arrival is held to; whether the pool folder is watched (new files then join the stream
while the app runs). Shown only in stream projects.
"""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QLabel, QWidget

from aldesk.core.stream_status import StreamSummary, queried_text, threshold_text
from aldesk.gui.dialogs.form import muted_label
from aldesk.gui.panels.grid_form import GridForm


class StreamPanel(QGroupBox):
    """Counts of the stream and its threshold; ``show_summary`` fills it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Stream", parent)
        self.setObjectName("streamPanel")
        form = GridForm(self)
        self.seen, self.queried, self.discarded, self.waiting = (QLabel() for _ in range(4))
        self.threshold = QLabel(wordWrap=True)
        self.watching = muted_label()
        for caption, label, tip in (
            ("Seen:", self.seen, "Arrivals the stream has decided on."),
            ("Queried:", self.queried, "Arrivals put to you (answered, or on screen now)."),
            ("Discarded:", self.discarded, "Arrivals passed over, never asked: the model was "
                                           "surer of them than of most recent arrivals (or, "
                                           "with a fixed threshold, sure enough)."),
            ("Waiting:", self.waiting, "Arrivals not decided yet: later in the stream, or "
                                       "their features are still being read."),
            ("Threshold:", self.threshold, "An arrival the model is less sure about than this "
                                           "is asked; a surer one is discarded."),
        ):  # fmt: skip
            label.setToolTip(tip)
            form.addRow(caption, label)
        form.addRow(self.watching)

    def show_summary(self, summary: StreamSummary, watching: bool) -> None:
        """Show the stream's counts and threshold, and whether the folder is watched."""
        self.seen.setText(str(summary.seen))
        self.queried.setText(queried_text(summary))
        self.discarded.setText(str(summary.discarded))
        self.waiting.setText(str(summary.waiting))
        self.threshold.setText(threshold_text(summary))
        self.watching.setText(
            "Watching the pool folder: new files join the stream as they arrive."
            if watching
            else "New files join when the project is reopened, or while Project ▸ Watch the "
            "pool folder is on."
        )

    def counts(self) -> dict[str, str]:
        """What the rows read (tests, accessibility)."""
        return {"seen": self.seen.text(), "queried": self.queried.text(),
                "discarded": self.discarded.text(), "waiting": self.waiting.text(),
                "threshold": self.threshold.text()}  # fmt: skip
