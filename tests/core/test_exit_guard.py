"""The installed command always exits, even when a thread left behind would hold it."""

import subprocess
import sys

HANGING_EXIT = """
import threading
from aldesk import exit_guard
threading.Thread(target=threading.Event().wait).start()  # never ends: exit would wait on it
exit_guard.arm(3, grace=0.5)
"""


def test_an_exit_that_would_hang_is_ended_with_the_commands_code():
    done = subprocess.run([sys.executable, "-c", HANGING_EXIT], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 3
    assert "exiting took over 0.5 s" in done.stderr


def test_a_normal_exit_is_not_delayed_or_changed():
    code = "from aldesk import exit_guard; exit_guard.arm(3, grace=30); print('bye')"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=20
    )  # far below the grace: the guard did not end it
    assert done.returncode == 0 and done.stdout == "bye\n" and not done.stderr


def test_the_entry_point_arms_the_guard_after_main(monkeypatch):
    from aldesk import cli, exit_guard

    armed = []
    monkeypatch.setattr(cli, "main", lambda: 7)
    monkeypatch.setattr(exit_guard, "arm", armed.append)
    assert cli.run() == 7 and armed == [7]


def test_a_bug_in_a_command_is_one_line_and_a_file_not_a_traceback(monkeypatch, tmp_path, capsys):
    from aldesk import cli, exit_guard

    def broken():
        raise ValueError("bad value")

    monkeypatch.setenv("ALDESK_CONFIG_DIR", str(tmp_path))
    monkeypatch.setattr(cli, "main", broken)
    monkeypatch.setattr(exit_guard, "arm", lambda code: None)
    assert cli.run() == cli.EXIT_BUG
    err = capsys.readouterr().err
    assert "Traceback" not in err and "ValueError: bad value" in err
    assert str(tmp_path / "last-error.txt") in err
    assert 'raise ValueError("bad value")' in (tmp_path / "last-error.txt").read_text()
