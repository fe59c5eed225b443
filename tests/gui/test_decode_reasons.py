"""Issue 12, smaller bullet: what a viewer lane reports for a decoder's raw error is a sentence
for a person (the placeholder shows it), not "OSError: image file is truncated"."""

from __future__ import annotations

from pathlib import Path

from aldesk.gui.viewers.image_view import ImageView
from aldesk.gui.workers import describe_error

TIMEOUT_MS = 10_000


def _raised(action) -> BaseException:
    try:
        action()
    except Exception as exc:  # keep it, with its traceback
        return exc
    raise AssertionError("nothing was raised")


def test_describe_error_says_decoder_errors_for_a_person(tmp_path: Path) -> None:
    from PIL import Image, ImageFile

    Image.new("RGB", (64, 64), "red").save(tmp_path / "whole.png")
    data = (tmp_path / "whole.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    assert not ImageFile.LOAD_TRUNCATED_IMAGES
    exc = _raised(lambda: Image.open(tmp_path / "cut.png").load())  # Pillow's own error

    assert describe_error(exc) == "The image file is cut short (truncated)."


def test_other_lanes_keep_the_exception_type() -> None:
    def rank():
        raise ValueError("cannot rank x")  # e.g. a training bug: not a decoding failure

    assert describe_error(_raised(rank)) == "ValueError: cannot rank x"


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
