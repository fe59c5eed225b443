"""The restricted checkpoint loader: real layouts load, hostile pickles are refused.

Checkpoints are built here with the standard pickle module: fake ``torch`` modules (only during
the test) let the pickler name ``torch.FloatStorage`` and ``torch._utils._rebuild_tensor_v2``
exactly as torch writes them.
"""

from __future__ import annotations

import builtins
import collections
import io
import os
import pickle
import struct
import sys
import types
import zipfile

import numpy as np
import pytest

from tools.convert_models.torch_pickle import LEGACY_MAGIC, LEGACY_PROTOCOL, load_checkpoint


class _Storage:
    def __init__(self, key: str, values: np.ndarray) -> None:
        self.key, self.values = key, values


class _Tensor:
    def __init__(self, storage: _Storage, offset: int, size: tuple, stride: tuple) -> None:
        self.args = (storage, offset, size, stride)

    def __reduce__(self):
        rebuild = sys.modules["torch._utils"]._rebuild_tensor_v2
        return rebuild, (*self.args, False, collections.OrderedDict())


@pytest.fixture
def fake_torch(monkeypatch):
    """Importable stand-ins for the globals torch pickles, so the pickler can name them."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise AssertionError("never called: only pickled by reference")

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    for name in ("FloatStorage", "LongStorage"):
        cls = type(name, (), {"__module__": "torch"})
        setattr(torch, name, cls)
    torch._utils = utils
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)
    return torch


class _Pickler(pickle.Pickler):
    def __init__(self, file, torch, storages: dict) -> None:
        super().__init__(file, protocol=2)
        self.torch, self.storages = torch, storages

    def persistent_id(self, obj):
        if not isinstance(obj, _Storage):
            return None
        self.storages[obj.key] = obj
        stype = (
            self.torch.FloatStorage if obj.values.dtype == np.float32 else self.torch.LongStorage
        )
        return ("storage", stype, obj.key, "cpu", obj.values.size)


def _objects() -> tuple[dict, dict]:
    """A state dict with two tensors sharing a storage (one a strided view), plus expectations."""
    floats = _Storage("0", np.arange(12, dtype=np.float32))
    longs = _Storage("1", np.array([7], dtype=np.int64))
    state = collections.OrderedDict(
        w=_Tensor(floats, 0, (3, 4), (4, 1)),
        col=_Tensor(floats, 1, (3,), (4,)),
        n=_Tensor(longs, 0, (), ()),
    )
    want = {"w": np.arange(12.0).reshape(3, 4), "col": np.array([1.0, 5.0, 9.0]), "n": 7}
    return state, want


def _legacy_bytes(torch, obj) -> bytes:
    f = io.BytesIO()
    for header in (LEGACY_MAGIC, LEGACY_PROTOCOL, {"little_endian": True}):
        pickle.dump(header, f, protocol=2)
    storages: dict = {}
    _Pickler(f, torch, storages).dump(obj)
    keys = sorted(storages)
    pickle.dump(keys, f, protocol=2)
    for key in keys:
        values = storages[key].values
        f.write(struct.pack("<q", values.size) + values.tobytes())
    return f.getvalue()


def _zip_bytes(torch, obj) -> bytes:
    data, storages = io.BytesIO(), {}
    _Pickler(data, torch, storages).dump(obj)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("archive/data.pkl", data.getvalue())
        zf.writestr("archive/byteorder", "little")
        for key, storage in storages.items():
            zf.writestr(f"archive/data/{key}", storage.values.tobytes())
    return out.getvalue()


@pytest.mark.parametrize("fmt", [_legacy_bytes, _zip_bytes])
def test_loads_hand_made_checkpoint(fake_torch, tmp_path, fmt) -> None:
    state, want = _objects()
    path = tmp_path / "ckpt.pth"
    path.write_bytes(fmt(fake_torch, state))
    got = load_checkpoint(path)
    assert isinstance(got, collections.OrderedDict) and list(got) == ["w", "col", "n"]
    np.testing.assert_array_equal(got["w"], want["w"])
    np.testing.assert_array_equal(got["col"], want["col"])
    assert got["w"].dtype == np.float32 and got["n"].dtype == np.int64 and got["n"] == 7
    assert not got["w"].flags.writeable  # views of the file's bytes, not scratch arrays


def test_refuses_tensor_view_past_its_storage(fake_torch, tmp_path) -> None:
    storage = _Storage("0", np.arange(12, dtype=np.float32))
    # 3 rows of stride 5 reach element 2 * 5 + 3 = 13 of a 12-element storage.
    path = tmp_path / "bad.pth"
    path.write_bytes(_legacy_bytes(fake_torch, {"w": _Tensor(storage, 0, (3, 4), (5, 1))}))
    with pytest.raises(pickle.UnpicklingError, match="reaches element 13"):
        load_checkpoint(path)


class _Call:
    def __init__(self, func, *args) -> None:
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


@pytest.mark.parametrize(
    "func, args",
    [(os.system, ("echo owned",)), (builtins.eval, ("1 + 1",)), (builtins.exec, ("import os",))],
)
@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_refuses_hostile_globals(tmp_path, func, args, protocol) -> None:
    payload = pickle.dumps({"state": _Call(func, *args)}, protocol=protocol)
    # e.g. posix.system, and builtins.eval, which protocol 2 spells __builtin__.eval
    refused = rf"refused global \S+\.{func.__name__}$"
    for data in (payload, _zip_payload(payload)):
        path = tmp_path / "evil.pth"
        path.write_bytes(data)
        with pytest.raises(pickle.UnpicklingError, match=refused):
            load_checkpoint(path)


def _zip_payload(payload: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("archive/data.pkl", payload)
    return out.getvalue()


def test_refuses_hostile_global_in_legacy_body(tmp_path) -> None:
    f = io.BytesIO()
    for header in (LEGACY_MAGIC, LEGACY_PROTOCOL, {}):
        pickle.dump(header, f, protocol=2)
    pickle.dump(_Call(os.system, "echo owned"), f, protocol=2)
    path = tmp_path / "evil.pth"
    path.write_bytes(f.getvalue())
    with pytest.raises(pickle.UnpicklingError, match="refused global"):
        load_checkpoint(path)


def test_numpy_scalars_only_when_allowed(tmp_path) -> None:
    path = tmp_path / "score.pth"
    path.write_bytes(_zip_payload(pickle.dumps({"best": np.float64(0.25)}, protocol=2)))
    with pytest.raises(pickle.UnpicklingError, match="refused global numpy"):
        load_checkpoint(path)
    assert load_checkpoint(path, allow_numpy=True) == {"best": 0.25}
    evil = pickle.dumps(np.array([None], dtype=object)[0:1], protocol=2)
    path.write_bytes(_zip_payload(evil))
    with pytest.raises(pickle.UnpicklingError, match="refused"):
        load_checkpoint(path, allow_numpy=True)
