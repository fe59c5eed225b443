"""Argument types for the ``aldesk`` command line: values are checked as they are parsed.

A bad value (``--budget -1``, ``--target-accuracy nan``, ``--batch 10**20``) is refused by
argparse before any work starts, in its usual one line (``aldesk new: error: argument
--budget: ...``) with exit code 2.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

# Larger counts are typing mistakes: no pool holds a billion items, and such values only
# overflow later (numpy index arrays, SQLite integers).
MAX_COUNT = 10**9


def count(minimum: int, maximum: int = MAX_COUNT) -> Callable[[str], int]:
    """An integer in ``[minimum, maximum]``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(
                f"{text} is out of range: give a whole number from {minimum} to {maximum:,}"
            )
        return value

    parse.__name__ = "count"
    return parse


def fraction(*, low: float, high: float, low_open: bool, high_open: bool) -> Callable[[str], float]:
    """A finite number between ``low`` and ``high`` (each end included unless open)."""
    left, right = "(" if low_open else "[", ")" if high_open else "]"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        too_low = value <= low if low_open else value < low
        too_high = value >= high if high_open else value > high
        if not math.isfinite(value) or too_low or too_high:
            raise argparse.ArgumentTypeError(
                f"{text} is out of range: give a number in {left}{low:g}, {high:g}{right}"
            )
        return value

    parse.__name__ = "fraction"
    return parse


ACCURACY = fraction(low=0.0, high=1.0, low_open=True, high_open=False)
TEST_FRACTION = fraction(low=0.0, high=1.0, low_open=False, high_open=True)


def path_arg(what: str) -> Callable[[str], Path]:
    """A path that is not empty (an unset Makefile variable gave ``--pool ""``, which scanned
    the current folder)."""

    def parse(text: str) -> Path:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"no {what} given (an empty string)")
        return Path(text)

    parse.__name__ = what
    return parse


PROJECT = path_arg("project path")
PROJECT_HELP = "the project folder, NAME.aldesk (the suffix may be left out)"
FOLDER = path_arg("folder")
FILE = path_arg("file path")


class Parser(argparse.ArgumentParser):
    """argparse's parser, with a bad argument told in one line (not the usage block first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")
