"""'Why this item?': the model's view of the item on screen and why it was chosen."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QGroupBox, QLabel, QProgressBar, QVBoxLayout, QWidget

from aldesk.core.session import Query
from aldesk.core.session_status import probability_text
from aldesk.core.store import ClassInfo
from aldesk.gui.panels.grid_form import GridForm
from aldesk.gui.wrapping import breakable

TOP_CLASSES = 3
SCORE_HELP = ("How much the strategy wanted this item: higher is asked sooner. "
              "Margin: 1 minus the gap between the two likeliest classes; entropy and least "
              "confidence: the model's uncertainty; a stream: 1 minus the model's confidence.")  # fmt: skip
_STRATEGY_TEXT = {
    "seed": "Seed set (cold start, before the model can rank)",
    "first_model": "Seed order past the seed set: the first model is not ready yet (its "
    "features are being read, or it is training)",
    "waiting": "Seed order while the next model trains: your answers used up the last one's "
    "ranking",
    "tcm": "Typical, then margin (second phase): the model is least sure between its two "
    "likeliest classes",
    "typical": "Typical, then margin (first phase): the most typical item of a region of the "
    "pool that no label covers yet",
    "test": "Held-out test item, drawn at random — never trained on",
    "stream": "Stream: its uncertainty passed the query threshold",
    "stream_run": "Stream: the model is sure of it, but a long run of arrivals was passed over "
    "and one of a run is asked (sure ones in a row may be of a class it has no label of yet)",
    "stream_early": "Stream, before a model could decide: asked while the model is trained or "
    "rebuilt from your labels; the threshold decides the arrivals after it",
    "synthesis": "Synthesized by the learner: of the mixes of two items of different classes "
    "it tried, the one it was least sure of",
    "review": "Revisiting an answered item",
    "picked": "Picked by you (in the review window), not by the strategy",
    "import": "Imported label",
    "confirm": "Confirmed in the review window (the model's guess, or a doubted label)",
    "confirm-corrected": "Corrected in confirm mode (the model guessed another class)",
    "model": "Labeled by the model (auto-label)",
    "similar": "More like this: one of the unlabeled items most like an item you chose "
    "(Label → More like this)",
}


SILENT_NOTE = ("This clip is silent (every sample is 0): there is nothing in it for the model to "
               "recognise, so its guess is not shown. X answers “Can't label”.")  # fmt: skip


# Strategies whose scores only order their picks (cluster representatives first): no number
# a user could read as how uncertain the model is.
_ORDER_ONLY = ("typical", "representative")


def strategy_text(strategy: str) -> str:
    from aldesk.core.strategies import POOL_STRATEGIES, SEED_STRATEGIES

    known = _STRATEGY_TEXT.get(strategy) or POOL_STRATEGIES.get(strategy)
    return known or SEED_STRATEGIES.get(strategy, strategy)


class WhyPanel(QGroupBox):
    """Top class probabilities, strategy and score, the round of the model that chose it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Why this item?", parent)
        outer = QVBoxLayout(self)
        self.badge = QLabel(wordWrap=True)  # a long class name wraps, never widens the column
        self.badge.setObjectName("testBadge")
        self.badge.setStyleSheet(
            "#testBadge { background: #fff4e5; color: #8a4b00; border: 1px solid #f3c27a;"
            " border-radius: 4px; padding: 3px 6px; font-weight: 600; }"
        )
        outer.addWidget(self.badge)
        form = GridForm()  # not QFormLayout: it clipped wrapped values (see grid_form)
        self.strategy = QLabel()
        self.strategy.setWordWrap(True)
        self.score = QLabel()
        self.score.setWordWrap(True)  # with the round that chose it, after a retrain
        self.score.setToolTip(SCORE_HELP)
        self.round = QLabel()
        self.features = QLabel()
        self.features.setWordWrap(True)
        form.addRow("Chosen by:", self.strategy)
        form.addRow("Score:", self.score)
        form.addRow("Model round:", self.round)
        form.addRow(self.features)
        outer.addLayout(form)
        self._bars: list[tuple[QLabel, QProgressBar]] = []
        for _ in range(TOP_CLASSES):
            name, bar = QLabel(wordWrap=True), QProgressBar()  # a 48-character class name
            bar.setRange(0, 1000)
            bar.setTextVisible(True)
            bar.setMaximumHeight(16)
            outer.addWidget(name)
            outer.addWidget(bar)
            self._bars.append((name, bar))
        self.features_failed: str | None = None  # why the items' features could not be read
        self._shown: tuple[Query | None, list[ClassInfo]] | None = None
        self._silent: Path | None = None  # the audio clip on screen, if all its samples are 0
        self.no_model = QLabel("No model yet: label a few items of two or more classes.")
        self.no_model.setWordWrap(True)
        outer.addWidget(self.no_model)
        outer.addStretch(1)

    def show_query(self, query: Query | None, classes: list[ClassInfo]) -> None:
        self._shown = (query, classes)
        if query is None:
            self.setVisible(False)
            return
        self.setVisible(True)
        self.badge.setVisible(query.is_test or query.answer is not None)
        answered = _answered_text(query, classes)  # a revisited test item's too
        test = "TEST ITEM — held out" + (f" · {answered}" if answered else "")
        self.badge.setText(test if query.is_test else answered)
        self.strategy.setText(strategy_text(query.strategy))
        self.score.setText(_score_text(query))
        self.round.setText(_round_text(query))
        self.features.setText(query.features or "")
        self.features.setVisible(bool(query.features) and not query.is_test)
        # a test item measures the model: its guess is never shown there, to anchor no one
        silent = self._silent is not None and Path(query.abspath) == self._silent
        self._show_proba(None if query.is_test or silent else query.proba, classes)
        self.no_model.setText(SILENT_NOTE if silent else _model_note(query, self.features_failed))

    def set_silent(self, path: object) -> None:
        """The audio clip shown from ``path`` is all zeros (a falsy ``path``: the one shown is
        not): a confident guess on silence ("candle 97 %") misled a tester."""
        self._silent = Path(path) if path else None
        if self._shown is not None and self._shown[0] is not None:
            self.show_query(*self._shown)

    def set_features_failed(self, text: str) -> None:
        """The extraction stopped with ``text`` (a full disk): the note says so, not "it
        trains once the items' features are read" under a status bar with no progress."""
        self.features_failed = text
        if self._shown is not None:
            self.show_query(*self._shown)

    def show_unreadable(self, reason: str) -> None:
        """The viewer could not show the item on screen: say so in place of the model's view."""
        self._show_proba(None, [])
        query = self._shown[0] if self._shown else None
        self.no_model.setText(_unreadable_note(reason, answered=_is_answered(query)))

    def _show_proba(self, proba: dict[int, float] | None, classes: list[ClassInfo]) -> None:
        names = {c.id: c.name for c in classes}
        top = sorted((proba or {}).items(), key=lambda kv: -kv[1])[:TOP_CLASSES]
        self.no_model.setVisible(not top)
        # QProgressBar.setValue repaints at once, bar by bar: hold updates so the bars are
        # painted once, in the same frame as the new item
        self.setUpdatesEnabled(False)
        try:
            self._fill_bars(top, names)
        finally:
            self.setUpdatesEnabled(True)

    def _fill_bars(self, top: list[tuple[int, float]], names: dict[int, str]) -> None:
        for k, (name, bar) in enumerate(self._bars):
            visible = k < len(top)
            name.setVisible(visible)
            bar.setVisible(visible)
            if visible:
                cid, p = top[k]
                name.setText(breakable(names.get(cid, str(cid))))  # wraps, not widens
                bar.setValue(int(round(p * 1000)))
                bar.setFormat(probability_text(p))

    def note_text(self) -> str:
        """What stands in place of the probability rows, if anything (for tests)."""
        return self.no_model.text() if self.no_model.isVisible() else ""

    def top_text(self) -> list[str]:
        """What the probability rows read, for tests and accessibility."""
        return [f"{n.text()} {b.format()}" for n, b in self._bars if n.isVisible()]


def _answered_text(query: Query, classes: list[ClassInfo]) -> str:
    """What the item was answered, not only that it was (a revisited "can't label" clip)."""
    answer = query.answer
    if answer is None:
        return ""
    if answer.action == "label":
        name = next((c.name for c in classes if c.id == answer.class_id), "a merged class")
        return f"Already answered: {name}"
    return {"skip": "Already answered: skipped", "cannot_label": "Already answered: can't label",
            "discard": "Passed over by the stream"}.get(answer.action, "Already answered")  # fmt: skip


def _score_text(query: Query) -> str:
    if query.score is None or query.strategy in _ORDER_ONLY:
        return "—"
    if query.strategy == "similar":
        return f"{query.score:.3f} (cosine similarity to the item you chose)"
    text = f"{query.score:.3f}{_score_meaning(query.strategy, query.score)}"
    if query.asked_round is None:
        return text
    # a retrain since: the bars below are the newer model's, the score is the one that chose it
    return f"{text} (from the model of round {query.asked_round}, which chose it)"


def _score_meaning(strategy: str, score: float) -> str:
    """What a margin or confidence score says in words: a blend's "0.029" was read as a
    doubtful one, and meant the model was 97 points surer of one class than of the next."""
    if not 0.0 <= score <= 1.0:  # not a margin or a confidence (a cluster's order)
        return ""
    if strategy in ("margin", "tcm", "synthesis"):
        return f": its two likeliest classes {probability_text(max(0.0, 1.0 - score))} apart"
    if strategy in ("stream", "stream_run", "least_confidence"):  # never "100 % sure"
        return f": the model {probability_text(max(0.0, 1.0 - score))} sure"
    return ""


def _round_text(query: Query) -> str:
    if not query.round:
        return "— (no model yet)"
    return str(query.round) if query.model_loaded else f"{query.round} (being rebuilt)"


def _model_note(query: Query, features_failed: str | None = None) -> str:
    """Why no probabilities are shown for this item (``features_failed``: the extraction's
    error, when it stopped before the features were in)."""
    if query.is_test:
        return (
            "The model's guess is hidden on test items, so it cannot sway the answers that "
            "measure it."
        )
    if query.item.status != "ok":
        missing = query.item.status == "missing"
        return _unreadable_note(query.item.reason or "", missing, _is_answered(query))
    if not query.model_loaded and query.round:
        return (
            f"Rebuilding the model of round {query.round} from your labels (models are never "
            "saved); its view of this item shows when it is ready."
        )
    if not query.model_loaded and query.features is None and features_failed:
        return (f"No model yet: the items' features could not be read. {features_failed} "
                "Your labels are kept; reopen the project to try again.")  # fmt: skip
    if not query.model_loaded and query.features is None:  # 78 labels in, and told to label
        return ("No model yet: it trains once the items' features are read (progress in the "
                "status bar); your labels are kept meanwhile.")  # fmt: skip
    if not query.model_loaded and query.trainable:  # 87 labels of 15 classes in, it said
        # the first model "trains once two or more classes have labels"
        return ("No model yet: the first is being trained on your labels; its view of this "
                "item shows here when it is ready.")  # fmt: skip
    if not query.model_loaded:  # 111 labels of 70 classes in, the first model training, it
        # still asked for "a few items of two or more classes"
        return ("No model yet: the first trains once two or more classes have labels, and "
                "shows here when it is ready.")  # fmt: skip
    return "The model has no view of this item yet: its features are still being extracted."


def _is_answered(query: Query | None) -> bool:
    return query is not None and query.answer is not None


def _unreadable_note(reason: str, missing: bool = False, answered: bool = False) -> str:
    """Why an item that cannot be shown has no probabilities (never 'still being extracted').
    One answered before the file went keeps its answer: "Press S" there read as a must (QA)."""
    what = "its file is missing" if missing else "it cannot be read"
    why = f" ({reason.rstrip('.')})" if reason else ""
    then = "Your answer to it is kept." if answered else "Press S to skip it."
    return f"The model has no view of this item: {what}{why}. {then}"
