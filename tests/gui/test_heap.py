"""Full garbage-collector passes hold the GIL (every thread, the GUI's included, waits): the
window moves what it has built out of their way (aldesk.gui.heap, issue 13)."""

from __future__ import annotations

import gc
import weakref

from windows import demo_project, open_window

from aldesk.gui import heap


class _Node:
    pass


def _tracked(obj: object) -> bool:
    """Whether the collector's passes walk ``obj`` (frozen objects are not listed)."""
    return any(o is obj for o in gc.get_objects())


def test_settled_objects_are_left_out_of_full_passes():
    kept = [object() for _ in range(3)]
    assert _tracked(kept)
    heap.settle()
    assert not _tracked(kept) and gc.get_freeze_count() > 0
    made_after = [object()]
    assert _tracked(made_after)


def test_no_full_pass_while_building_and_what_was_built_is_settled():
    before = gc.get_threshold()
    with heap.building():
        assert gc.get_threshold()[:2] == before[:2]  # young passes still run
        assert gc.get_threshold()[2] > 10_000 * max(before[2], 1)
        built = [object()]
    assert gc.get_threshold() == before
    assert not _tracked(built)


def test_overlapping_builds_restore_the_threshold_when_the_last_one_ends():
    before = gc.get_threshold()
    first, second = heap.building(), heap.building()  # e.g. two workers importing at once
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold() != before  # the second is still importing
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before


def test_release_frees_the_cycles_of_settled_objects_that_died():
    node = _Node()
    node.me = node  # a cycle: only the collector can free it
    alive = weakref.ref(node)
    heap.settle()
    del node
    gc.collect()
    assert alive() is not None  # frozen: not even a full pass looks at it
    heap.release()
    assert alive() is None
    assert gc.get_freeze_count() > 0  # what is still alive is settled again


def test_the_window_settles_its_session_and_features_and_releases_them_once_deleted(
    qtbot, tmp_path
):
    store, _truth = demo_project(tmp_path, "images", per_class=4)
    window = open_window(qtbot, store)
    session = window.controller.session
    assert not _tracked(session)  # settled when the window started
    assert not _tracked(session.features)  # and again once the features were swapped in
    cycle = _Node()
    cycle.me, cycle.session = cycle, session  # once the window goes, only a cycle holds it
    heap.settle()  # as if it had been there when the window started
    alive = weakref.ref(session)
    del session, cycle
    window.close()
    window.deleteLater()
    del window
    qtbot.waitUntil(lambda: alive() is None, timeout=10_000)
