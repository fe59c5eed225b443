"""``aldesk selfcheck``: the check a user (and CI, on the installed package) runs end to end."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from aldesk import cli, selfcheck
from aldesk.core.store import ProjectStore


def test_selfcheck_passes_and_says_what_it_checked(tmp_path: Path, capsys) -> None:
    code = cli.main(["selfcheck", "--dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    for kind in ("images", "audio"):
        assert f"ok    {kind}: labeling window opened" in out
        assert f"ok    {kind}: 6 answers given by key press" in out
        assert f"ok    {kind}: model retrained on" in out
        assert f"ok    {kind}: model fitted in the training process (pid" in out
        assert f"ok    {kind}: pretrained encoder's features extracted and in use" in out
        assert f"ok    {kind}: reopened; all 6 answers stored as given" in out
        # what the window did is in the project itself, not only in the report
        with ProjectStore.open(tmp_path / kind / f"selfcheck-{kind}.aldesk") as store:
            assert sum(ev.action == "label" for ev in store.answers().values()) == 6
            assert store.rounds()
    assert "ok    formats: all 18 image and 14 audio file types decode" in out
    assert "FAIL" not in out
    assert out.rstrip().splitlines()[-1].startswith("aldesk selfcheck: passed (17 checks")


def test_selfcheck_names_a_file_type_this_build_cannot_decode(tmp_path: Path, monkeypatch) -> None:
    # a build whose Pillow lost its JPEG 2000 decoder, as an installer's trimmed plugin would
    from PIL import Jpeg2KImagePlugin

    def no_decoder(self, *args, **kwargs):
        raise OSError("decoder jpeg2k not available")

    monkeypatch.setattr(Jpeg2KImagePlugin.Jpeg2KImageFile, "load", no_decoder)
    report = selfcheck.Report(io.StringIO())
    with pytest.raises(selfcheck.CheckFailed, match=r"\.jp2: .*\.j2k: "):
        selfcheck.check_formats(tmp_path, report)


def test_selfcheck_names_the_failed_step_and_exits_1(tmp_path: Path, monkeypatch) -> None:
    # a build whose trainer never stores a round: the check must say so, not hang or pass
    from aldesk.gui import selfcheck as gui_check

    monkeypatch.setattr(ProjectStore, "add_round", lambda self, record: None)
    monkeypatch.setattr(gui_check, "RETRAIN_TIMEOUT", 2.0)
    out = io.StringIO()
    assert selfcheck.run(tmp_path, kinds=("audio",), out=out) == selfcheck.EXIT_FAILED
    text = out.getvalue()
    assert "FAIL  audio: no model was trained within 2 s" in text
    assert "ok    audio: 6 answers given by key press" in text
    assert "reopened" not in text  # the steps after the failed one did not run
    assert text.rstrip().splitlines()[-1].startswith("aldesk selfcheck: FAILED (1 of 5 checks")


def test_selfcheck_fails_when_the_encoder_module_is_missing(tmp_path: Path, monkeypatch) -> None:
    # what a frozen build without the lazily imported extractor modules did: the window kept
    # working on its own features while the encoder failed, and only a traceback said so
    from aldesk.core.features import extractors

    monkeypatch.setitem(extractors._LAZY_MODULES, "audio-aisfx", "aldesk.core.features.gone")
    out = io.StringIO()
    assert selfcheck.run(tmp_path, kinds=("audio",), out=out) == selfcheck.EXIT_FAILED
    text = out.getvalue()
    assert "ok    audio: model retrained on" in text
    assert (
        "FAIL  audio: feature extraction failed: ModuleNotFoundError: "
        "No module named 'aldesk.core.features.gone'" in text
    )


@pytest.fixture
def answered_project(tmp_path: Path) -> tuple[Path, dict[int, str]]:
    project = selfcheck.make_project("audio", tmp_path)
    with ProjectStore.open(project.path) as store:
        ids = {it.relpath: it.id for it in store.items()}
        names = {c.name: c.id for c in store.classes()}
        given = {}
        for relpath in list(project.truth)[:3]:
            name = project.truth[relpath]
            store.record(ids[relpath], "label", class_id=names[name])
            given[ids[relpath]] = name
    return project.path, given


def test_verify_answers_accepts_the_answers_as_given(answered_project) -> None:
    path, given = answered_project
    assert selfcheck.verify_answers(path, given) == ([], 0)


def test_verify_answers_names_a_changed_missing_or_extra_answer(answered_project) -> None:
    path, given = answered_project
    first, second, third = given
    claimed = {**given, first: "hum" if given[first] != "hum" else "noise"}
    del claimed[second]
    claimed[999] = "beeps"
    problems, _rounds = selfcheck.verify_answers(path, claimed)
    assert f"item {first}: answered {claimed[first]!r}, stored {given[first]!r}" in problems
    assert "item 999: answer 'beeps' is missing" in problems
    assert f"answers nobody gave are stored for items [{second}]" in problems
    assert len(problems) == 3
    assert third not in {int(p.split()[1].rstrip(":")) for p in problems if p.startswith("item")}
