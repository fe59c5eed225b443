"""The status bar's extraction line: a run served from the cache does not read as stalled."""

from __future__ import annotations

from aldesk.gui.feature_flow import progress_text


def test_a_cached_run_says_so_and_a_live_one_gives_rate_and_time_left() -> None:
    assert progress_text("Features", 249, 249, 0.0, None) == (
        "Features: 249/249 (loaded from the project's cache)"
    )  # it said "(0/s)"
    assert progress_text("Features", 0, 249, 0.0, None) == "Features: 0/249 (starting…)"
    assert progress_text("Pretrained features", 40, 249, 190.4, 1.1) == (
        "Pretrained features: 40/249 (190/s, 1 s left)"
    )
    assert progress_text("Features", 249, 249, 35.0, 0.0) == "Features: 249/249 (35/s)"
