"""'Synthesized item': the badge and the two sources of a blend the model made.

Shown only while a synthesized query is on screen: a badge that says it is not one of the
user's files, the two pool items it was blended from (thumbnails decoded on a worker for images,
names and a Play button each for audio) with their shares, and that "Can't label" (X) is the
answer to a blend that looks like neither or like noise.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QToolButton, QVBoxLayout, QWidget

from aldesk.core.pool import shown_path
from aldesk.core.session import Query
from aldesk.core.store import Item, ProjectStore
from aldesk.core.synth_flow import SynthSources
from aldesk.gui.review.thumbnails import ThumbnailLoader

SOURCE_SIDE = 96
_BADGE_STYLE = (
    "#synthBadge { background: #efe7ff; color: #4b2a8a; border: 1px solid #b9a2ef;"
    " border-radius: 4px; padding: 3px 6px; font-weight: 600; }"
)


class SynthPanel(QGroupBox):
    """Badge, sources and the can't-label hint of the synthesized item on screen.

    Signals:
        source_playing(): a source clip started playing (the blend's own player should pause).
    """

    source_playing = Signal()

    def __init__(self, store: ProjectStore, parent: QWidget | None = None) -> None:
        super().__init__("Synthesized item", parent)
        self.setObjectName("synthPanel")
        self.store = store
        self._images = store.kind == "image"
        self.thumbnails = ThumbnailLoader(self, side=SOURCE_SIDE) if self._images else None
        if self.thumbnails is not None:
            self.thumbnails.ready.connect(self._on_thumbnail)
            self.thumbnails.failed.connect(self._on_thumbnail_failed)
        outer = QVBoxLayout(self)
        self.badge = QLabel("SYNTHESIZED — made by the model, not one of your files")
        self.badge.setObjectName("synthBadge")
        self.badge.setStyleSheet(_BADGE_STYLE)
        self.badge.setWordWrap(True)
        self.blend = QLabel(wordWrap=True)
        outer.addWidget(self.badge)
        outer.addWidget(self.blend)
        grid = QGridLayout()
        self._pictures: list[QLabel] = []
        self._names: list[QLabel] = []
        self._sources: list[Item | None] = [None, None]
        self.play_buttons = [_play_button(k, self._toggle_source) for k in range(2)]
        self.player = None if self._images else _source_player(self)
        for col in range(2):
            picture = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
            picture.setFixedSize(SOURCE_SIDE + 4, SOURCE_SIDE + 4)
            picture.setVisible(self._images)
            name = QLabel(wordWrap=True, alignment=Qt.AlignmentFlag.AlignHCenter)
            name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(picture, 0, col, Qt.AlignmentFlag.AlignHCenter)
            grid.addWidget(name, 1, col)
            grid.addWidget(self.play_buttons[col], 2, col, Qt.AlignmentFlag.AlignHCenter)
            self.play_buttons[col].setVisible(not self._images)
            self._pictures.append(picture)
            self._names.append(name)
        outer.addLayout(grid)
        self.hint = QLabel(
            "If it looks like neither, or like noise, press X (Can't label): it is recorded "
            "as such and never trained on.",
            wordWrap=True,
        )
        self.hint.setProperty("role", "muted")
        outer.addWidget(self.hint)
        self._shown: list[int | None] = [None, None]
        self.setVisible(False)

    def show_query(self, query: Query | None, sources: SynthSources | None) -> None:
        """Show the panel for a synthesized item on screen; hide it for any other."""
        self.pause_source()
        if query is None or query.item.origin != "synth":
            self.setVisible(False)
            return
        self.setVisible(True)
        if sources is None:
            self.blend.setText("A blend of two items of the pool (which ones was not recorded).")
            for picture, name in zip(self._pictures, self._names, strict=True):
                picture.clear()
                name.clear()
            self._shown = [None, None]
            return
        shares = sources.shares()
        self.blend.setText(
            f"A blend of {shares[0]}% of the first item and {shares[1]}% of the second: of "
            "the mixes of the two, the one the model was least sure of (Why this item? shows "
            "how sure it still is)."
        )
        for k, item in enumerate((sources.first, sources.second)):
            self._show_source(k, item, shares[k])

    def pictures_shown(self) -> bool:
        """Both source thumbnails are on show (images), or there are none to show (audio)."""
        if self.thumbnails is None:
            return True
        return all(p.pixmap() is not None and not p.pixmap().isNull() for p in self._pictures)

    def source_names(self) -> list[str]:
        """What the two source captions read (tests, accessibility)."""
        return [n.text() for n in self._names]

    def pause_source(self) -> None:
        """Pause a source clip (another item shown, or the blend played)."""
        if self.player is not None and self.player.is_playing:
            self.player.pause()

    def _toggle_source(self, k: int) -> None:
        """Play source ``k`` (a click on the one playing pauses it): a blend of two calls is
        judged against them, and their names alone said nothing of how they sound."""
        from aldesk.core.errors import MediaError
        from aldesk.core.media.audio import audio_info

        item = self._sources[k]
        if item is None or self.player is None:
            return
        path = self.store.abspath(item)
        if self.player.path != path:
            try:
                self.player.load(path, audio_info(path).duration)
            except MediaError as exc:
                self.play_buttons[k].setToolTip(f"Cannot be played: {exc.reason}")
                return
        self.player.toggle()
        if self.player.is_playing:
            self.source_playing.emit()
        self._update_buttons()

    def _update_buttons(self, *_args) -> None:
        playing = self.player.path if self.player is not None and self.player.is_playing else None
        for k, button in enumerate(self.play_buttons):
            item = self._sources[k]
            mine = item is not None and playing == self.store.abspath(item)
            button.setText("❚❚ Pause" if mine else "▶ Play")
            button.setEnabled(item is not None)

    def _show_source(self, k: int, item: Item | None, share: int) -> None:
        self._sources[k] = item
        if self.player is not None:
            self._update_buttons()
        name, picture = self._names[k], self._pictures[k]
        if item is None:
            name.setText(f"{share}%: an item no longer in the project")
            picture.clear()
            self._shown[k] = None
            return
        name.setText(f"{share}%: {shown_path(item.relpath)}")
        name.setToolTip(str(self.store.abspath(item)))
        self._shown[k] = item.id
        if self.thumbnails is None:
            return
        pixmap = self.thumbnails.pixmap(item.id)
        if pixmap is not None:
            picture.setPixmap(pixmap)
        else:
            picture.setText("…")
            self.thumbnails.request(item.id, self.store.abspath(item))

    def _on_thumbnail(self, item_id: int) -> None:
        for k, shown in enumerate(self._shown):
            if shown == item_id:
                self._pictures[k].setPixmap(self.thumbnails.pixmap(item_id))

    def _on_thumbnail_failed(self, item_id: int, reason: str) -> None:
        for k, shown in enumerate(self._shown):
            if shown == item_id:
                self._pictures[k].setText("(cannot show)")
                self._pictures[k].setToolTip(reason)

    def shutdown(self) -> None:
        """Wait for a thumbnail being decoded, stop a source playing (window closing)."""
        if self.thumbnails is not None:
            self.thumbnails.shutdown()
        if self.player is not None:
            self.player.stop()


def _play_button(k: int, toggle) -> QToolButton:
    button = QToolButton(text="▶ Play")
    button.setToolTip(f"Play the {('first', 'second')[k]} source clip (again: pause)")
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the labeling window
    button.clicked.connect(lambda: toggle(k))
    return button


def _source_player(panel: SynthPanel):
    from aldesk.gui.viewers.playback import ClipPlayer

    player = ClipPlayer(panel)
    player.playing_changed.connect(panel._update_buttons)
    return player
