"""Fixtures shared by the GUI tests."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QWidget

from aldesk.gui.viewers.image_view import ImageView


def shown(qtbot, widget: QWidget, width: int, height: int) -> QWidget:
    """``widget`` at width × height on screen, closed with the test."""
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def image_viewer(qtbot):
    """An image viewer on screen, shut down after the test."""
    viewer = shown(qtbot, ImageView(), 400, 300)
    yield viewer
    viewer.shutdown()
