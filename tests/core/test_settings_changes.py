"""Changing an existing project's settings: validated, applied, and recorded with the label count."""

from __future__ import annotations

import pytest

from aldesk.core.errors import AldeskError
from aldesk.core.project import ProjectSettings
from aldesk.core.session import Session
from aldesk.core.settings_changes import change_settings, settings_history
from aldesk.core.store import ProjectStore


@pytest.fixture
def store(tmp_path):
    s = ProjectStore.create(tmp_path / "p", pool_root=tmp_path, kind="image",
                            classes=["cat", "dog", "bird"], settings={"batch": 5, "strategy": "margin"})  # fmt: skip
    yield s
    s.close()


def test_a_change_is_applied_and_recorded_with_the_label_count(store, tmp_path) -> None:
    change = change_settings(store, {"strategy": "entropy", "batch": 10, "budget": 300,
                                     "scenario": "stream"}, n_labels=42)  # fmt: skip
    assert change.n_labels == 42
    assert change.changes == {"strategy": ["margin", "entropy"], "batch": [5, 10],
                              "budget": [None, 300]}  # fmt: skip
    assert change.summary() == "strategy margin → entropy, batch 5 → 10, label budget none → 300"
    settings = ProjectSettings.from_store(store)
    assert (settings.strategy, settings.batch, settings.budget) == ("entropy", 10, 300)
    assert settings.scenario == "pool"  # fixed at creation: not editable
    store.close()
    with ProjectStore.open(tmp_path / "p") as again:
        assert settings_history(again) == [change]


def test_nothing_changed_records_nothing(store) -> None:
    assert change_settings(store, {"batch": 5, "strategy": "margin"}, n_labels=3) is None
    assert settings_history(store) == []


def test_keys_change_and_swap(store) -> None:
    cat, dog, _bird = store.classes()
    change = change_settings(store, {}, n_labels=0, hotkeys={cat.id: "2", dog.id: "1"})
    assert [c.hotkey for c in store.classes()] == ["2", "1", "3"]
    assert change.changes == {"key of cat": ["1", "2"], "key of dog": ["2", "1"]}


@pytest.mark.parametrize(
    "values, keys, message",
    [
        ({}, {1: "2"}, "“cat” and “dog” have the same key 2."),
        ({}, {1: "s"}, "reserved"),
        ({}, {1: "ab"}, "single letter or digit"),
        ({"model": "gpt"}, {}, "Unknown model"),
        ({"batch": 0}, {}, "batch size must be at least 1"),
        ({"strategy": "psychic"}, {}, "Unknown strategy"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_written(store, values, keys, message) -> None:
    with pytest.raises(AldeskError, match=message):
        change_settings(store, values, n_labels=1, hotkeys=keys)
    assert settings_history(store) == [] and store.classes()[0].hotkey == "1"
    assert ProjectSettings.from_store(store).batch == 5


def test_a_running_session_follows_the_change(store) -> None:
    session = Session(store)
    change_settings(store, {"batch": 20, "model": "forest"}, n_labels=0)
    session.reload_settings()
    assert session.settings.batch == 20 and session.model.settings.model == "forest"
    assert session.queue.settings is session.settings


def test_a_streams_share_of_arrivals_can_be_changed(store) -> None:
    change = change_settings(store, {"stream_budget": 0.5}, n_labels=7)
    assert change.summary() == "share of arrivals asked 20% → 50%"
    assert ProjectSettings.from_store(store).stream_budget == 0.5
    with pytest.raises(AldeskError, match="share of its arrivals"):
        change_settings(store, {"stream_budget": 0}, n_labels=7)
