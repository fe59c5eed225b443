"""Issue 12, smaller bullet: what a viewer lane reports for a decoder's raw error is a sentence
for a person (the placeholder shows it), not "OSError: image file is truncated"."""

from __future__ import annotations

from pathlib import Path

from aldesk.gui.viewers.image_view import ImageView
from aldesk.gui.workers import describe_error

TIMEOUT_MS = 10_000


def test_describe_error_says_decoder_errors_for_a_person() -> None:
    said = describe_error(OSError("image file is truncated (5 bytes not processed)"))
    assert said == "The image file is cut short (truncated)."
    assert not describe_error(ValueError("tile cannot extend outside image")).startswith(
        "ValueError:"
    )


def test_the_placeholder_shows_the_sentence(qtbot, tmp_path: Path) -> None:
    view = ImageView()
    qtbot.addWidget(view)
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"this is not a picture")
    with qtbot.waitSignal(view.load_failed, timeout=TIMEOUT_MS) as blocker:
        view.show_image(bad)
    reason = blocker.args[1]
    assert reason == "The file is not an image, or not one of the formats aldesk reads."
    assert reason in view.error_text()
    view.close()
