"""Issue 12, smaller bullet: a placeholder says why an item cannot be shown in words for a
person, never as raw exception text ("OSError: image file is truncated")."""

from __future__ import annotations

import pytest

from aldesk.core.errors import MediaError
from aldesk.core.media.reasons import for_person


@pytest.mark.parametrize(
    ("exc", "said"),
    [
        (OSError("image file is truncated (5 bytes not processed)"),
         "The image file is cut short (truncated)."),
        (EOFError(), "The file is cut short (truncated)."),
        (MediaError("truncated file"), "The file is cut short (truncated)."),
        (MediaError("not an image"),
         "The file is not an image, or not one of the formats aldesk reads."),
        (MediaError("image too large (9000×9000 pixels)"), "Image too large (9000×9000 pixels)."),
        (PermissionError(13, "Permission denied"), "The file cannot be read (permission denied)."),
        (FileNotFoundError(2, "No such file"),
         "The file is gone: it was moved or deleted after the scan."),
        (MemoryError(), "There is not enough memory to decode this file."),
        (SyntaxError("broken PNG file"),
         "The file is damaged and cannot be decoded (SyntaxError)."),
    ],
)  # fmt: skip
def test_reasons_are_sentences_for_a_person(exc: BaseException, said: str) -> None:
    assert for_person(exc) == said
