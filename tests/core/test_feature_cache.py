"""The on-disk feature cache: rows come back by hash, in the order asked, across chunks."""

from __future__ import annotations

import numpy as np
import pytest
from memory_trace import traced

from aldesk.core import shared_pool
from aldesk.core.features import cache as cache_module
from aldesk.core.features.cache import FeatureCache, read_hash_array
from aldesk.core.features.item_files import ItemFiles
from aldesk.core.features.run import _pool_chunks, _unique


def _rows(n: int, start: int, dim: int = 3) -> np.ndarray:
    return (np.arange(start, start + n, dtype=np.float32)[:, None] * np.ones(dim)).astype(
        np.float32
    )


def test_rows_come_back_in_the_order_asked_across_chunks(tmp_path):
    cache = FeatureCache(tmp_path, 3)
    cache.append(["a", "b", "c"], _rows(3, 0))
    cache.append(["d", "e"], _rows(2, 3))
    cache.append(["b", "f"], _rows(2, 100))  # b again: the first row written wins

    X, found = cache.get(["f", "missing", "a", "e", "b", "c"])
    assert found == ["f", "a", "e", "b", "c"]
    assert X[:, 0].tolist() == [101, 0, 4, 1, 2]
    assert X.dtype == np.float32 and X.shape == (5, 3)
    assert (shared_pool.segment_of(X) is not None) == shared_pool.SHARED  # mapped by training

    reopened = FeatureCache(tmp_path, 3)  # the same rows, read back from disk
    X2, found2 = reopened.get(["f", "missing", "a", "e", "b", "c"])
    assert found2 == found and np.array_equal(X2, X)


def test_rows_looked_up_block_by_block_are_those_looked_up_at_once(tmp_path, monkeypatch):
    # Where each hash's row is gets converted a block at a time (a long conversion holds the
    # GIL): blocks that end mid-chunk and mid-request still give every row, in order.
    cache = FeatureCache(tmp_path, 3)
    names = [f"h{i}" for i in range(23)]
    for start in range(0, 23, 5):
        cache.append(names[start : start + 5], _rows(len(names[start : start + 5]), start))
    asked = names[::-1] + ["missing"] + names[::3]
    monkeypatch.setattr(cache_module, "WHERE_BLOCK", 4)
    X, found = cache.get(asked)
    assert found == [h for h in asked if h != "missing"]
    assert X[:, 0].tolist() == [int(h[1:]) for h in found]


def test_rows_gathered_block_by_block_from_disk_keep_the_order_asked(tmp_path, monkeypatch):
    names = [f"h{i}" for i in range(40)]
    writer = FeatureCache(tmp_path, 3)
    writer.append(names[:25], _rows(25, 0))
    writer.append(names[25:], _rows(15, 25))
    monkeypatch.setattr(cache_module, "GATHER_BLOCK", 3)
    asked = names[::-2] + names[1::4] + ["missing"]
    X, found = FeatureCache(tmp_path, 3).get(asked)  # chunks read from disk (memory-mapped)
    assert found == asked[:-1]
    assert X[:, 0].tolist() == [int(h[1:]) for h in found]


def _resident_kb(path) -> int:
    """This process's resident memory in mappings of ``path`` (Linux /proc)."""
    total, inside = 0, False
    with open("/proc/self/smaps") as f:
        for line in f:
            head = line.split()
            if len(head) >= 5 and "-" in head[0]:  # a mapping's first line
                inside = line.rstrip().endswith(str(path))
            elif inside and head[0] == "Rss:":
                total += int(head[1])
    return total


def test_reading_a_chunk_leaves_none_of_its_pages_in_the_apps_memory(tmp_path):
    names = [f"h{i}" for i in range(20000)]
    FeatureCache(tmp_path, 16).append(names, np.ones((20000, 16), np.float32))  # 1.3 MB
    cache = FeatureCache(tmp_path, 16)  # checks every row is finite: reads the whole chunk
    chunk = tmp_path / "chunk-000000.npy"
    X, _ = cache.get(names)
    assert X.sum() == 20000 * 16
    assert _resident_kb(chunk) < 64  # the chunk is still mapped; its pages were let go


def test_hashes_read_block_by_block_are_those_of_one_split(tmp_path):
    # A .hashes file is read ~1 MB of whole lines at a time (one split of 100k hashes held the
    # GIL): blank lines, stray spaces and a missing last newline read as before.
    path = tmp_path / "chunk-000000.hashes"
    path.write_text("aa\nbb  \n\n  cc\r\ndd\nee")
    whole = [h.encode() for h in path.read_text().split()]
    assert read_hash_array(path, block=4).tolist() == read_hash_array(path).tolist() == whole
    assert read_hash_array(path, block=4).tolist() == [b"aa", b"bb", b"cc", b"dd", b"ee"]


def test_one_path_per_hash_the_last_given_in_order_of_first_appearance():
    files = [("h1", "a"), ("h2", "b"), ("h1", "c"), ("h3", "d"), ("h2", "e")]
    hashes, path_of = _unique(files)
    pairs = [(h, path_of(j)) for j, h in enumerate(hashes)]
    assert pairs == list(dict(files).items()) == [("h1", "c"), ("h2", "e"), ("h3", "d")]
    columns = ItemFiles(
        [h for h, _ in files], [p for _, p in files], bytearray([0, 1, 0, 0, 1]), "/pool", "/synth"
    )
    hashes, path_of = _unique(columns)
    assert [(h, path_of(j)) for j, h in enumerate(hashes)] == [
        ("h1", "/pool/c"), ("h2", "/synth/e"), ("h3", "/pool/d")
    ]  # fmt: skip
    assert list(columns)[1] == columns[1] == ("h2", "/synth/b")
    assert columns[3:] == list(columns)[3:] and len(columns) == 5


def test_the_first_place_of_a_hash_wins_across_chunks_and_appends(tmp_path):
    """A crash between a merge and deleting its inputs leaves a hash in two chunks: the
    first chunk's row is the one used, on disk and for rows appended since."""
    writer = FeatureCache(tmp_path, 3)
    writer.append(["a", "b"], _rows(2, 0))
    writer.append(["b", "c"], _rows(2, 10))
    for cache in (writer, FeatureCache(tmp_path, 3)):
        X, found = cache.get(["c", "b", "a", "zz"])
        assert found == ["c", "b", "a"] and X[:, 0].tolist() == [11.0, 1.0, 0.0]
        assert len(cache) == 3 and "b" in cache and "zz" not in cache
        cache.append(["c", "d"], _rows(2, 20))  # c is cached already: its first row stays
        X, found = cache.get(["c", "d"])
        assert X[:, 0].tolist() == [11.0, 21.0] and len(cache) == 4


def test_a_hash_longer_or_shorter_than_the_cached_ones_is_not_found(tmp_path):
    """Hashes are compared as fixed-width bytes: neither a prefix nor an extension of a
    cached hash may match it."""
    FeatureCache(tmp_path, 3).append(["abcd", "abce"], _rows(2, 0))
    cache = FeatureCache(tmp_path, 3)
    assert cache.contains_many(["abc", "abcd", "abcde", "abce", "", "abcé"]).tolist() == [
        False, True, False, True, False, False
    ]  # fmt: skip


def test_opening_a_large_cache_makes_no_python_object_per_row(tmp_path):
    """At 100k items the index was a dict of str keys and (chunk, row) tuples: 22 MB of
    Python objects on every open, beside the rows themselves."""
    names = [f"{i:064x}" for i in range(50_000)]
    FeatureCache(tmp_path, 2).append(names, np.ones((50_000, 2), np.float32))
    cache, kept, _ = traced(lambda: FeatureCache(tmp_path, 2))
    assert len(cache) == 50_000 and names[123] in cache
    # The sorted bytes (64 B a hash) and the places (16 B); the dict was ~220 B a hash.
    assert kept < 120 * len(names)


def test_empty_request_and_empty_cache(tmp_path):
    cache = FeatureCache(tmp_path / "none", 3)
    X, found = cache.get(["a"])
    assert found == [] and X.shape == (0, 3)


def test_compaction_keeps_every_row(tmp_path, monkeypatch):
    monkeypatch.setattr(cache_module, "MERGE_AT", 3)
    cache = FeatureCache(tmp_path, 3)
    for i in range(4):
        cache.append([f"h{i}"], _rows(1, i))
    cache.compact()
    assert len(list(tmp_path.glob("chunk-*.npy"))) == 1
    X, found = FeatureCache(tmp_path, 3).get([f"h{i}" for i in (3, 1, 0, 2)])
    assert found == ["h3", "h1", "h0", "h2"] and X[:, 0].tolist() == [3, 1, 0, 2]


def test_pool_chunks_cover_the_work_in_order_and_shrink_towards_the_end():
    rest = list(range(5000))
    chunks = _pool_chunks(rest, per_item=0.0003, workers=2)
    assert [i for c in chunks for i in c] == rest
    sizes = [len(c) for c in chunks]
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] <= 0.08 / 0.0003 + 1  # about POOL_CHUNK_SECONDS of work
    assert sizes[-2] <= 0.01 / 0.0003 + 1  # the tail: about POOL_TAIL_SECONDS each
    # Small jobs still give every process at least four chunks.
    assert len(_pool_chunks(list(range(60)), per_item=1e-5, workers=2)) >= 8


def test_heavy_items_end_one_at_a_time():
    # 20 recordings at 24 ms each: no tail chunk holds more than one item's share of the end.
    chunks = _pool_chunks(list(range(20)), per_item=0.024, workers=2)
    assert [i for c in chunks for i in c] == list(range(20))
    assert len(chunks[-1]) == 1 and max(len(c) for c in chunks) <= 3


def _short_write(f, X, allow_pickle=False):
    """np.save on a full disk: part of the data written, then numpy's OSError, no errno."""
    f.write(b"\x93NUMPY partial")
    raise OSError(f"{X.nbytes} requested and 14 written")


@pytest.mark.parametrize("free", [0, 1 << 30])
def test_a_write_that_fails_says_why_and_leaves_no_partial_file(tmp_path, monkeypatch, free):
    """A full disk read "OSError: 53760 requested and 29664 written", and the partial file
    kept the space the next try needed."""
    import shutil
    from collections import namedtuple

    from aldesk.core.errors import FeaturesNotSaved

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: usage(1 << 31, (1 << 31) - free, free))
    monkeypatch.setattr(cache_module.np, "save", _short_write)
    cache = FeatureCache(tmp_path, 3)
    with pytest.raises(FeaturesNotSaved) as failed:
        cache.append(["a", "b"], _rows(2, 0))
    said = str(failed.value)
    assert ("is full" in said) == (free == 0) and "no label is lost" in said.lower()
    assert not [p.name for p in tmp_path.iterdir() if ".tmp" in p.name]
    assert "requested" in said or free == 0  # not full: the system's own words stay
