"""The command line's own words: every command's help explains its arguments, and an
interrupted command says what it left."""

from __future__ import annotations

import pytest

from aldesk.cli import main


@pytest.mark.parametrize("command", ["open", "status", "export", "import-labels", "new",
                                     "train", "suspicious", "recover"])  # fmt: skip
def test_every_commands_project_argument_is_explained(command, capsys) -> None:
    """`project` had no description in any command's --help."""
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert "the project folder, NAME.aldesk" in capsys.readouterr().out


@pytest.mark.parametrize(("command", "said"), [
    ("export", "no export was written"), ("train", "no round was recorded"),
    ("new", "a project is made whole or not at all"),
])  # fmt: skip
def test_an_interrupted_command_says_what_it_left(command, said, monkeypatch, capsys) -> None:
    """Ctrl+C said "everything answered so far is saved" after an export or a train."""
    from aldesk import commands, commands_new, commands_train

    def interrupted(*_args, **_kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(commands, "cmd_export", interrupted)
    monkeypatch.setattr(commands_train, "cmd_train", interrupted)
    monkeypatch.setattr(commands_new, "cmd_new", interrupted)
    args = {"export": ["export", "p", "--out", "x.csv"], "train": ["train", "p"],
            "new": ["new", "p", "--pool", ".", "--classes", "a,b"]}[command]  # fmt: skip
    assert main(args) == 130
    assert f"aldesk: interrupted; {said}" in capsys.readouterr().err
