"""Fixtures shared by the GUI tests."""

from __future__ import annotations

import pytest
from new_project_setup import dialog, pool  # noqa: F401 (the new-project dialog's fixtures)
from PySide6.QtWidgets import QWidget
from review_setup import opened, review_pool  # noqa: F401 (the review windows' fixtures)

from aldesk.gui.viewers import playback
from aldesk.gui.viewers.audio_view import AudioView
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


class NoDevices:
    """Stands in for QMediaDevices on a machine without any audio output."""

    @staticmethod
    def audioOutputs():  # noqa: N802 (Qt's name)
        return []

    @staticmethod
    def defaultAudioOutput():  # noqa: N802
        raise AssertionError("no device must be opened when none exists")


@pytest.fixture
def no_device(monkeypatch):
    monkeypatch.setattr(playback, "QMediaDevices", NoDevices)


@pytest.fixture
def audio_viewer(qtbot, no_device):
    """An audio view on screen with no output device, shut down after the test."""
    v = shown(qtbot, AudioView(), 700, 360)
    yield v
    v.shutdown()
