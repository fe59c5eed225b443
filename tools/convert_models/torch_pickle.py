"""Read PyTorch checkpoints into numpy arrays without torch and without running their code.

``torch.load`` is ``pickle.load``: a checkpoint can name any importable callable and have it
called. This loader resolves only a short allow-list of globals (an ``OrderedDict``, the tensor
rebuild functions, storage-type markers and, on request, numpy scalars and dtypes); any other
global raises ``pickle.UnpicklingError`` naming it. Tensors come back as read-only numpy views
of their storage after checking that every element they address lies inside it.

Both on-disk formats are read:

- legacy (torch < 1.6, or ``_use_new_zipfile_serialization=False``): the magic number, the
  protocol version and a sys-info dict (three small pickles), the object pickle, the list of
  storage keys, then each storage as an int64 element count followed by its raw bytes;
- zip (torch >= 1.6): ``<archive>/data.pkl`` plus one ``<archive>/data/<key>`` file per storage.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import struct
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001

# Storage classes are only markers of the element type; their little-endian numpy dtype.
_STORAGE_DTYPES = {
    "FloatStorage": "<f4",
    "HalfStorage": "<f2",
    "DoubleStorage": "<f8",
    "LongStorage": "<i8",
    "IntStorage": "<i4",
    "ShortStorage": "<i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}


@dataclass(frozen=True)
class StorageType:
    """What a ``torch.<Name>Storage`` global resolves to: the element dtype, nothing callable."""

    name: str
    dtype: np.dtype


def load_checkpoint(path: str | os.PathLike, allow_numpy: bool = False) -> Any:
    """Load a torch checkpoint (legacy or zip format) with tensors as numpy arrays.

    Args:
        path: the ``.pth`` / ``.pt`` file.
        allow_numpy: also accept numpy scalars and dtypes (some checkpoints store e.g. the best
            validation score as a numpy float); object dtypes stay refused.

    Raises:
        pickle.UnpicklingError: a refused global, a tensor outside its storage, a bad layout.
    """
    with open(path, "rb") as fp:
        data = fp.read()
    if zipfile.is_zipfile(io.BytesIO(data)):
        return _load_zip(data, allow_numpy)
    return _load_legacy(data, allow_numpy)


class RestrictedUnpickler(pickle.Unpickler):
    """An Unpickler that resolves only the allow-listed globals; storages come from a callback.

    ``storage_for(pid)`` maps a persistent id (the ``('storage', type, key, location, numel,
    ...)`` tuple torch writes) to a 1-D numpy array holding the storage's elements.
    """

    def __init__(self, file, storage_for, allow_numpy: bool = False) -> None:
        super().__init__(file)
        self._storage_for = storage_for
        self._allowed = dict(_TORCH_GLOBALS)
        if allow_numpy:
            self._allowed.update(_NUMPY_GLOBALS)

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refused global {module}.{name}") from None

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r:.80}")
        if not isinstance(pid[1], StorageType):
            raise pickle.UnpicklingError(f"persistent id without a storage type: {pid!r:.80}")
        return self._storage_for(pid)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, *_ignored) -> np.ndarray:
    """A read-only view of ``storage``, refused unless every addressed element lies inside it."""
    if not isinstance(storage, np.ndarray) or storage.ndim != 1:
        raise pickle.UnpicklingError("tensor storage is not a resolved storage")
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride) or not all(_is_index(v) for v in (storage_offset, *size, *stride)):
        raise pickle.UnpicklingError(f"bad tensor layout: size {size}, stride {stride}")
    if storage_offset < 0 or min(size + stride, default=0) < 0:
        raise pickle.UnpicklingError("negative tensor offset, size or stride")
    if 0 in size:
        return np.zeros(size, dtype=storage.dtype)
    last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride, strict=True))
    if last >= storage.shape[0]:
        raise pickle.UnpicklingError(
            f"tensor reaches element {last} of a storage of {storage.shape[0]}"
        )
    base = storage[storage_offset:]
    item = storage.dtype.itemsize
    return np.lib.stride_tricks.as_strided(
        base, shape=size, strides=tuple(s * item for s in stride), writeable=False
    )


def _is_index(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _rebuild_parameter(data, _requires_grad=None, _hooks=None, *_ignored) -> np.ndarray:
    return data


def _numpy_dtype(spec, align=False, copy=False) -> np.dtype:
    dtype = np.dtype(spec, align=bool(align), copy=bool(copy))
    if dtype.hasobject:
        raise pickle.UnpicklingError("refused numpy object dtype")
    return dtype


def _numpy_scalar(dtype, data=None) -> Any:
    # numpy.core.multiarray.scalar(dtype, obj) would take any object for an object dtype.
    if not isinstance(dtype, np.dtype) or dtype.hasobject or not isinstance(data, bytes):
        raise pickle.UnpicklingError("refused numpy scalar that is not plain numeric data")
    if len(data) != dtype.itemsize:
        raise pickle.UnpicklingError("numpy scalar of the wrong byte length")
    return np.frombuffer(data, dtype=dtype, count=1)[0]


def _latin1_encode(text, encoding="utf-8") -> bytes:
    # Protocol-2 pickles write bytes objects as _codecs.encode(text, "latin1").
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("refused _codecs.encode other than str to latin1 bytes")
    return text.encode("latin1")


_TORCH_GLOBALS: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    **{("torch", n): StorageType(n, np.dtype(d)) for n, d in _STORAGE_DTYPES.items()},
}
_NUMPY_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy", "dtype"): _numpy_dtype,
    ("numpy.core.multiarray", "scalar"): _numpy_scalar,
    ("numpy._core.multiarray", "scalar"): _numpy_scalar,
    ("_codecs", "encode"): _latin1_encode,
}


def _dtype_for(storage_type: StorageType, little_endian: bool) -> np.dtype:
    dtype = storage_type.dtype
    return dtype if little_endian else dtype.newbyteorder(">")


# --- zip format -------------------------------------------------------------------------------


def _load_zip(data: bytes, allow_numpy: bool) -> Any:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        pkl = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
        if len(pkl) != 1:
            raise pickle.UnpicklingError("zip checkpoint without exactly one data.pkl")
        prefix = pkl[0][: -len("data.pkl")]
        little = _zip_byteorder(zf, prefix) == "little"
        cache: dict[str, np.ndarray] = {}

        def storage_for(pid: tuple) -> np.ndarray:
            _, stype, key, _location, numel = pid[:5]
            key = str(key)
            if key not in cache:
                cache[key] = _zip_storage(zf, f"{prefix}data/{key}", stype, little, numel)
            return cache[key]

        return RestrictedUnpickler(io.BytesIO(zf.read(pkl[0])), storage_for, allow_numpy).load()


def _zip_byteorder(zf: zipfile.ZipFile, prefix: str) -> str:
    try:
        order = zf.read(f"{prefix}byteorder").decode("ascii").strip()
    except KeyError:
        return "little"  # older zip checkpoints have no record: they were all little-endian
    if order not in ("little", "big"):
        raise pickle.UnpicklingError(f"unknown byte order {order!r}")
    return order


def _zip_storage(zf, name: str, stype: StorageType, little: bool, numel) -> np.ndarray:
    dtype = _dtype_for(stype, little)
    try:
        raw = zf.read(name)
    except KeyError:
        raise pickle.UnpicklingError(f"missing storage {name}") from None
    if not _is_index(numel) or numel * dtype.itemsize > len(raw):
        raise pickle.UnpicklingError(f"storage {name} is shorter than its {numel} elements")
    return np.frombuffer(raw, dtype=dtype, count=numel)


# --- legacy format ----------------------------------------------------------------------------


def _load_legacy(data: bytes, allow_numpy: bool) -> Any:
    f = io.BytesIO(data)

    def header() -> Any:
        return RestrictedUnpickler(f, _no_storage).load()

    if header() != LEGACY_MAGIC:
        raise pickle.UnpicklingError("not a torch checkpoint (bad magic number)")
    if header() != LEGACY_PROTOCOL:
        raise pickle.UnpicklingError("unsupported legacy protocol version")
    sys_info = header()
    little = not isinstance(sys_info, dict) or bool(sys_info.get("little_endian", True))
    body = f.tell()
    # The storages follow the object pickle, and their byte sizes depend on element types that
    # only the pickle names: a first pass records the types without building any tensor.
    types = _storage_types(f, allow_numpy, little)
    keys = header()
    if not isinstance(keys, list):
        raise pickle.UnpicklingError("legacy checkpoint without a storage key list")
    storages = _legacy_storages(f, [str(k) for k in keys], types)

    def storage_for(pid: tuple) -> np.ndarray:
        key = str(pid[2])
        if key not in storages:
            raise pickle.UnpicklingError(f"missing storage {key}")
        if pid[4] != len(storages[key]):
            raise pickle.UnpicklingError(f"storage {key}: header and data disagree")
        return _storage_view(storages[key], pid[5] if len(pid) > 5 else None)

    f.seek(body)
    return RestrictedUnpickler(f, storage_for, allow_numpy).load()


class _TypeScan(RestrictedUnpickler):
    """First pass over a legacy pickle: same allow-list, tensors not built, storage types kept."""

    def find_class(self, module: str, name: str) -> Any:
        found = super().find_class(module, name)
        return _ignore if found in (_rebuild_tensor_v2, _rebuild_parameter) else found


def _ignore(*_args) -> None:
    return None


def _storage_types(f: io.BytesIO, allow_numpy: bool, little: bool) -> dict[str, np.dtype]:
    types: dict[str, np.dtype] = {}

    def record(pid: tuple) -> None:
        types[str(pid[2])] = _dtype_for(pid[1], little)

    _TypeScan(f, record, allow_numpy).load()
    return types


def _no_storage(pid: Any) -> Any:
    raise pickle.UnpicklingError("storage reference in a checkpoint header")


def _legacy_storages(
    f: io.BytesIO, keys: list[str], types: dict[str, np.dtype]
) -> dict[str, np.ndarray]:
    """Each storage: an int64 element count, then count x element-size bytes."""
    buf = f.getbuffer()
    pos = f.tell()
    out: dict[str, np.ndarray] = {}
    for key in keys:
        if key not in types:
            raise pickle.UnpicklingError(f"storage {key} is not referenced by the pickle")
        if pos + 8 > len(buf):
            raise pickle.UnpicklingError(f"truncated checkpoint at storage {key}")
        (count,) = struct.unpack_from("<q", buf, pos)
        nbytes = count * types[key].itemsize
        if count < 0 or pos + 8 + nbytes > len(buf):
            raise pickle.UnpicklingError(f"storage {key} runs past the end of the file")
        out[key] = np.frombuffer(buf, dtype=types[key], count=count, offset=pos + 8)
        pos += 8 + nbytes
    return out


def _storage_view(storage: np.ndarray, view) -> np.ndarray:
    """Very old checkpoints may reference a slice of a storage: (view key, offset, size)."""
    if view is None:
        return storage
    _key, offset, size = view
    if not (_is_index(offset) and _is_index(size)) or offset < 0 or offset + size > len(storage):
        raise pickle.UnpicklingError("storage view outside its storage")
    return storage[offset : offset + size]
