"""Fixtures shared by the core tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from pool_files import write_png

from aldesk.core.features import extractors


@pytest.fixture
def counted(monkeypatch):
    """Count the items that actually go through extraction (inline runs)."""
    calls: list[int] = []
    original = extractors.extract_batch

    def counting(kind, items, state):
        calls.append(len(items))
        return original(kind, items, state)

    monkeypatch.setattr(extractors, "extract_batch", counting)
    return calls


@pytest.fixture
def images(tmp_path: Path) -> Path:
    """A pool folder of three small PNGs, one two folders down."""
    root = tmp_path / "pool"
    write_png(root / "a.png", 10)
    write_png(root / "b.png", 20)
    write_png(root / "sub" / "deeper" / "c.png", 30)
    return root
