"""Fixtures shared by the core tests."""

from __future__ import annotations

import pytest

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
