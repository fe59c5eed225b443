"""The default extractor of each media kind, behind one small interface.

An extractor turns items (file paths, or decoded arrays for synthesized items) into float32
rows. The image extractor needs a patch dictionary learned once per project from its own pool;
it is stored in the cache as ``dictionaries/<base id>.npz`` (plain numeric arrays, loaded with
``allow_pickle=False``) and its fingerprint is part of the extractor id, so rows computed with
different dictionaries never mix.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from types import ModuleType
from typing import Literal

import numpy as np

from aldesk.core import threads
from aldesk.core.errors import MediaError
from aldesk.core.features import audio_features, image_features
from aldesk.core.features.cache import atomic_save_npz
from aldesk.core.features.patches import PatchDictionary

Kind = Literal["image", "audio"]
Item = str | os.PathLike | np.ndarray
State = PatchDictionary | None

_MODULES = {"image": image_features, "audio": audio_features}
# Pretrained encoders run through the same machinery (cache, workers, progress) under their own
# extractor key; their modules import onnxruntime, so they load on first use.
PRETRAINED = {"image": "image-effnet", "audio": "audio-aisfx"}
_LAZY_MODULES = {
    "image-effnet": "aldesk.core.features.effnet_features",
    "audio-aisfx": "aldesk.core.features.aisfx_features",
}
# The ONNX model each pretrained extractor needs (a name in aldesk/models/manifest.json).
MODEL_OF = {"image-effnet": "effnet", "audio-aisfx": "aisfx"}
NOT_FINITE = "its features are not finite numbers (the file holds invalid values)"
LEARN_SAMPLE = 400  # images the dictionary is learned from (a few seconds, once per project)


def module(kind: str) -> ModuleType:
    """The feature module of extractor key ``kind`` (raises ValueError for an unknown one).

    ``kind`` is a media kind ('image', 'audio': the pool-learned extractors) or a pretrained
    extractor key from :data:`PRETRAINED`.
    """
    if kind in _MODULES:
        return _MODULES[kind]
    if kind in _LAZY_MODULES:
        import importlib

        return importlib.import_module(_LAZY_MODULES[kind])
    raise ValueError(f"unknown media kind {kind!r}")


def pretrained_key(media_kind: str) -> str | None:
    """The pretrained extractor key for a media kind, or None if it has none."""
    return PRETRAINED.get(media_kind)


def pretrained_available(media_kind: str) -> tuple[bool, str]:
    """Whether the pretrained encoder of ``media_kind`` can run here, and why not if not."""
    key = pretrained_key(media_kind)
    if key is None:
        return False, f"no pretrained encoder for {media_kind}"
    from aldesk.core.features import onnx_models

    try:
        onnx_models.model_path(MODEL_OF[key])
        import onnxruntime  # noqa: F401
    except onnx_models.ModelUnavailable as exc:
        return False, str(exc)
    except ImportError:
        return False, "onnxruntime is not installed; aldesk uses the features it learns instead"
    return True, ""


def needs_state(kind: str) -> bool:
    """Whether ``kind``'s extractor needs a dictionary learned from the pool."""
    return kind == "image"


def dim(kind: str) -> int:
    """Feature dimension of ``kind``'s default extractor."""
    return int(module(kind).DIM)


def full_id(kind: str, state: State) -> str:
    """Extractor id, with the dictionary fingerprint when there is one."""
    base = module(kind).BASE_ID
    return f"{base}-{state.fingerprint()}" if state is not None else base


def _dictionary_path(cache_dir: Path, kind: str) -> Path:
    return Path(cache_dir) / "dictionaries" / f"{module(kind).BASE_ID}.npz"


def load_state(cache_dir: str | os.PathLike, kind: str, notes: list[str] | None = None) -> State:
    """The stored dictionary of ``kind`` in cache_dir, or None (none learned, or not needed).

    A damaged dictionary (not an ``.npz`` of plain arrays, keys missing, wrong shapes, NaN)
    counts as none. With ``notes``, it is also deleted, so that the next run learns a new one,
    and a message saying so is appended to ``notes``.
    """
    if not needs_state(kind):
        return None
    path = _dictionary_path(Path(cache_dir), kind)
    if not path.exists() and not path.is_symlink():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            state = PatchDictionary.from_arrays({name: z[name] for name in z.files})
        image_features.check_dictionary(state)
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        if notes is not None:
            _discard(path)
            notes.append(
                f"The feature dictionary {path.name} was damaged ({_why(exc)}); "
                "a new one is learned from the pool."
            )
        return None
    return state


def _why(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing {exc}"
    return str(exc).split("\n")[0][:120] or type(exc).__name__


def _discard(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            import shutil

            shutil.rmtree(path)
        else:
            path.unlink()
    except OSError:
        pass  # e.g. a read-only project: it is refused again next time, never used


def save_state(cache_dir: str | os.PathLike, kind: str, state: PatchDictionary) -> None:
    """Store the dictionary atomically (temp name, then ``os.replace``)."""
    atomic_save_npz(_dictionary_path(Path(cache_dir), kind), **state.arrays())


def prepare(kind: str, item: Item) -> np.ndarray:
    """Decode one item into the extractor's intermediate form (raises MediaError)."""
    return module(kind).prepare(item)


def prepare_or_reason(kind: str, item: Item) -> tuple[np.ndarray | None, str | None]:
    """:func:`prepare`, with any decoding failure turned into its short reason."""
    try:
        return prepare(kind, item), None
    except MediaError as err:
        return None, err.reason
    except (OSError, ValueError, MemoryError, EOFError) as exc:  # decoder bugs on hostile files
        return None, f"cannot decode ({type(exc).__name__})"


def compute(kind: str, prepared: list[np.ndarray], state: State) -> np.ndarray:
    """Rows (n, dim) float32 from prepared items."""
    if kind == "image":
        return image_features.compute(prepared, state)
    return module(kind).compute(prepared)


def warm_up(kind: str) -> None:
    """Do ``kind``'s one-off set-up (lazy imports) now, so it does not count as per-item cost
    when a run times its first chunk to decide whether worker processes pay."""
    if kind == "audio":
        import scipy.fft  # noqa: F401  (~0.3 s the first time)
    elif kind in MODEL_OF:
        from aldesk.core.features import onnx_models

        onnx_models.session(MODEL_OF[kind])  # loading the model is not per-item work


def learn_state(prepared: list[np.ndarray], kind: str) -> State:
    """Learn ``kind``'s dictionary from prepared items (None if it needs none)."""
    if not needs_state(kind):
        return None
    # Single-threaded BLAS/OpenMP: measured 3.5x faster for 24 images, 1.6x for 400 on a busy
    # 2-core machine (k-means on small matrices spends its threads waiting on each other).
    with threads.single_threaded():
        return image_features.learn(prepared)


def extract_batch(
    kind: str, items: list[Item], state: State
) -> tuple[list[int], np.ndarray, dict[int, str]]:
    """Extract a batch; a bad item is reported, not fatal.

    Returns:
        ``(ok, X, failed)``: indices into items that succeeded, their rows, and
        index -> reason for the others.
    """
    if getattr(_tuned, "depth", 0):  # inside extraction_context(): already set up
        return _extract_batch(kind, items, state)
    with extraction_context(trim=False):
        return _extract_batch(kind, items, state)


_tuned = threading.local()


def blas_threads() -> int:
    """The most threads any loaded BLAS or OpenMP library of this process would use."""
    libraries = threads.controller().info()  # live thread counts, libraries found once
    return max((int(lib.get("num_threads") or 1) for lib in libraries), default=1)


@contextmanager
def extraction_context(trim: bool = True, limit_threads: bool = True) -> Iterator[None]:
    """Single-threaded BLAS and a page-fault-free allocator for a run of extract_batch calls.

    One BLAS thread: the matrices are small, and OpenBLAS's thread hand-off made the mel
    projection ~40x slower (10 ms instead of 0.25 ms) on a busy 2-core machine. Setting the
    limit costs ~0.3 ms, so a run sets it once rather than per chunk.

    The allocator: glibc starts with 128 kB thresholds, so every large numpy temporary is a
    fresh ``mmap`` (or heap memory trimmed on free) and each batch pays its page faults again;
    on a VM that was a third of the batched compute (27-32 faults per audio clip). The context
    sets the mmap threshold to 32 MB and the trim threshold to 64 MB: the maxima glibc's own
    dynamic threshold grows to after large frees, i.e. the steady state of a long-running numpy
    process, so they are left set afterwards; with ``trim``, leaving returns the freed memory
    to the system. No-op where glibc's ``mallopt`` is unavailable.
    """
    depth = getattr(_tuned, "depth", 0)
    if depth:
        _tuned.depth = depth + 1
        try:
            yield
        finally:
            _tuned.depth = depth
        return
    _tuned.depth = 1
    tuned = _tune_allocator()
    try:
        with threads.single_threaded() if limit_threads else nullcontext():
            yield
    finally:
        _tuned.depth = 0
        if tuned and trim:
            _libc.malloc_trim(0)


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_BYTES = 32 << 20  # glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit
_libc = None


def _tune_allocator() -> bool:
    """glibc: the thresholds described in extraction_context; False where this is not glibc."""
    global _libc
    if sys.platform != "linux":
        return False
    if _libc is None:
        try:
            _libc = ctypes.CDLL("libc.so.6")
            _libc.mallopt  # noqa: B018 (attribute probe: musl and others lack it)
        except (OSError, AttributeError):
            _libc = False
    if not _libc:
        return False
    _libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_BYTES)
    _libc.mallopt(_M_TRIM_THRESHOLD, 2 * _MMAP_BYTES)
    return True


def _extract_batch(
    kind: str, items: list[Item], state: State
) -> tuple[list[int], np.ndarray, dict[int, str]]:
    ok: list[int] = []
    prepared: list[np.ndarray] = []
    failed: dict[int, str] = {}
    for i, item in enumerate(items):
        array, reason = prepare_or_reason(kind, item)
        if array is None:
            failed[i] = reason
        else:
            prepared.append(array)
            ok.append(i)
    try:
        X = compute(kind, prepared, state)
    except (ValueError, ArithmeticError, MemoryError):
        # One hostile item must not cost its batch: compute them one by one.
        return _compute_each(kind, ok, prepared, state, failed)
    return _finite_rows(ok, X, failed)


def _compute_each(
    kind: str, ok: list[int], prepared: list[np.ndarray], state: State, failed: dict[int, str]
) -> tuple[list[int], np.ndarray, dict[int, str]]:
    good: list[int] = []
    rows: list[np.ndarray] = []
    for i, item in zip(ok, prepared, strict=True):
        try:
            rows.append(compute(kind, [item], state))
            good.append(i)
        except (ValueError, ArithmeticError, MemoryError) as exc:
            failed[i] = f"cannot compute features ({type(exc).__name__})"
    X = np.concatenate(rows) if rows else np.empty((0, dim(kind)), dtype=np.float32)
    return _finite_rows(good, X, failed)


def _finite_rows(
    ok: list[int], X: np.ndarray, failed: dict[int, str]
) -> tuple[list[int], np.ndarray, dict[int, str]]:
    """Drop rows holding NaN or infinity (a NaN in the cache would stop every training)."""
    finite = np.isfinite(X).all(axis=1)
    if finite.all():
        return ok, X, failed
    for i, good in zip(ok, finite, strict=True):
        if not good:
            failed[i] = NOT_FINITE
    return [i for i, good in zip(ok, finite, strict=True) if good], X[finite], failed
