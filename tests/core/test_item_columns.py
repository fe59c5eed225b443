"""The session's items as columns (issue 13): what the table and the index built from it say of
every item equals what the store's records say, for any mix of splits, statuses, origins and
arrivals; records are read from the store only for the items asked for."""

from __future__ import annotations

from dataclasses import asdict, replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from aldesk.core.item_columns import ItemColumns
from aldesk.core.item_index import ItemIndex, arrival_key, id_array, is_arrival
from aldesk.core.project import ProjectSettings
from aldesk.core.store import NewItem, ProjectStore

_ITEM = st.tuples(
    st.sampled_from(["ok", "unreadable", "missing"]),
    st.sampled_from(["pool", "test", "holdout"]),  # an unknown split gets a code too
    st.sampled_from(["file", "synth"]),
    st.one_of(st.none(), st.integers(0, 50)),
)


def _store(tmp_path, specs) -> ProjectStore:
    store = ProjectStore.create(
        tmp_path / "p", pool_root=tmp_path, kind="image", classes=["a", "b"],
        settings=asdict(ProjectSettings(test_size=0)),
    )  # fmt: skip
    store.add_items(
        NewItem(f"h{k}", f"f{k}.png", "image", k, k, status=s, origin=o, arrival=a)
        for k, (s, _split, o, a) in enumerate(specs)
    )
    for item, (_s, split, _o, _a) in zip(store.items(), specs, strict=True):
        if split != "pool":
            store._conn.execute("UPDATE items SET split = ? WHERE id = ?", (split, item.id))
    store._conn.commit()
    return store


def _reference_index(records, random_state: int) -> dict:
    """What the index held when it was built from one record per item."""
    files = sorted(it.id for it in records if is_arrival(it))
    rng = np.random.default_rng(random_state)
    by_id = {it.id: it for it in records}
    return {
        "tests": tuple(it.id for it in records if it.split == "test" and it.status == "ok"),
        "n_test": sum(it.split == "test" and it.status == "ok" for it in records),
        "synth": tuple(it.id for it in records if it.origin == "synth"),
        "n_pool_ok": sum(it.split == "pool" and it.status == "ok" for it in records),
        "n_unreadable": sum(it.status != "ok" for it in records),
        "random_order": id_array(np.array(rng.permutation(files) if files else [])),
        "arrivals": id_array(np.array(sorted(files, key=lambda i: arrival_key(by_id[i])))),
    }


@settings(max_examples=40, deadline=None)
@given(specs=st.lists(_ITEM, max_size=30), random_state=st.integers(0, 5))
def test_table_and_index_agree_with_the_records(tmp_path_factory, specs, random_state):
    store = _store(tmp_path_factory.mktemp("t"), specs)
    records = store.items()
    table = ItemColumns.read(store)
    assert list(table) == [it.id for it in records]
    for it in records:
        assert it.id in table
        assert table.split_of(it.id) == it.split
        assert table.origin_of(it.id) == it.origin
        assert table.is_arrival(it.id) == is_arrival(it)
        assert table.arrival_key(it.id) == arrival_key(it)
        assert table[it.id] == it
    ids = np.array([it.id for it in records] + [0, 10_000, -3], dtype=np.int64)
    expected = [is_arrival(it) for it in records] + [False] * 3
    assert table.arrivals_mask(ids).tolist() == expected
    index = ItemIndex.build(table, random_state)
    got = {k: getattr(index, k) for k in _reference_index(records, random_state)}
    assert got == _reference_index(records, random_state)
    store.close()


def test_records_are_read_only_for_the_items_asked_for(tmp_path):
    store = _store(tmp_path, [("ok", "pool", "file", None)] * 50)
    reads: list[int] = []
    table = ItemColumns.read(store)
    table._read = lambda i: reads.append(i) or store.item(i)
    ItemIndex.build(table, 0)
    table.arrivals_mask(table.ids)
    assert reads == []  # the index and the masks come from the columns
    assert table[7].relpath == "f6.png" and table[7].relpath == "f6.png"
    assert reads == [7]  # read once, then kept
    assert 0 not in table and 51 not in table and None not in table
    store.close()


def test_a_flag_replaces_the_columns_a_worker_may_hold(tmp_path):
    store = _store(tmp_path, [("ok", "pool", "file", None)] * 5)
    table = ItemColumns.read(store)
    held = table.ok  # what a worker took before the flag
    flagged = replace(table[3], status="unreadable", reason="broken")
    table.replace(flagged)
    assert not table.is_arrival(3) and table[3] is flagged
    assert held[3]  # the worker's view is not changed under it
    assert ItemIndex.build(table, 0).n_unreadable == 1
    store.close()
