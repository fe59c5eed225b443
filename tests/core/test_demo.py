"""``aldesk demo``: its class keys, and one demo project per user that is reopened each run."""

from __future__ import annotations

import pytest

from aldesk.core.classes import hotkeys_for
from aldesk.core.demo import demo_root, prepare_demo
from aldesk.core.errors import ProjectLocked
from aldesk.core.store import ProjectStore


def test_a_class_named_like_a_free_key_gets_that_key() -> None:
    digits = [str(d) for d in range(10)]
    assert hotkeys_for(digits) == digits  # not 1-9 then 0: pressing 8 labels "8"
    assert hotkeys_for(["cat", "a", "dog"]) == ["1", "a", "2"]
    assert hotkeys_for(["3", "cat"]) == ["3", "1"]
    assert hotkeys_for(["A", "s"]) == ["a", "1"]  # case-insensitive; S stays Skip's
    assert hotkeys_for(["2", "cat"], taken=["2"]) == ["1", "3"]  # a taken key is not stolen


def test_a_class_named_by_a_number_word_gets_its_digit() -> None:
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    assert hotkeys_for(words) == [str(d) for d in range(10)]  # "one" on 2 would trap every press
    assert hotkeys_for(["cat", "Seven", "dog"]) == ["1", "7", "2"]
    assert hotkeys_for(["one", "1"]) == ["2", "1"]  # a name that is the key comes first


def test_demo_classes_are_labeled_by_their_own_digit(tmp_path) -> None:
    project = prepare_demo("images", tmp_path)
    with ProjectStore.open(project) as store:
        assert {c.name: c.hotkey for c in store.classes()} == {str(d): str(d) for d in range(10)}


def test_demo_reopens_the_previous_project_and_fresh_starts_over(tmp_path) -> None:
    project = prepare_demo("audio", tmp_path)
    with ProjectStore.open(project) as store:
        item = store.items()[0].id
        store.record(item, "label", class_id=store.classes()[0].id)
    assert prepare_demo("audio", tmp_path) == project
    with ProjectStore.open(project) as store:
        assert store.labels()  # the answer given in the previous run is still there
    assert prepare_demo("audio", tmp_path, fresh=True) == project
    with ProjectStore.open(project) as store:
        assert not store.labels()


def test_fresh_is_refused_while_the_demo_is_open(tmp_path) -> None:
    project = prepare_demo("audio", tmp_path)
    with ProjectStore.open(project), pytest.raises(ProjectLocked):
        prepare_demo("audio", tmp_path, fresh=True)
    assert (project / "project.sqlite").exists()


def test_the_demo_lives_in_the_users_data_folder(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("ALDESK_DATA_DIR", raising=False)
    assert "/tmp/" not in str(demo_root("images")) and demo_root("images").name == "demo-images"
    monkeypatch.setenv("ALDESK_DATA_DIR", str(tmp_path))
    assert demo_root("audio") == tmp_path / "demo-audio"


def test_demo_command_takes_fresh() -> None:
    from aldesk.cli import build_parser

    assert build_parser().parse_args(["demo", "audio", "--fresh"]).fresh
    assert not build_parser().parse_args(["demo"]).fresh
