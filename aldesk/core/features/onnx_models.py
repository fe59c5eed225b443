"""The pretrained ONNX models shipped in ``aldesk/models`` and their onnxruntime sessions.

``manifest.json`` (written by ``python3 -m tools.convert_models``) maps a model name to its file
and the file's SHA-256; a file is hashed once per process before its first session, so a
truncated or altered model is refused rather than run. ``ALDESK_MODELS_DIR`` points elsewhere
(tests, development builds). onnxruntime is imported only when a session is first made.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aldesk.core.errors import AldeskError

if TYPE_CHECKING:
    import onnxruntime

ENV_DIR = "ALDESK_MODELS_DIR"
MANIFEST = "manifest.json"

# What the user is told when a model is unavailable: the model, and what aldesk does instead.
_FALLBACKS = {
    "effnet": ("image model", "the features it learns from your pool"),
    "aisfx": ("audio model", "its built-in audio features"),
}

_lock = threading.Lock()
_sessions: dict[tuple[Path, str, int], Any] = {}
_verified: dict[tuple[Path, str], Path] = {}


class ModelUnavailable(AldeskError):
    """A pretrained model is missing, unreadable or does not match its manifest hash."""

    def __init__(self, name: str, detail: str) -> None:
        what, fallback = _FALLBACKS.get(name, ("model", "its built-in features"))
        super().__init__(
            f"The pretrained {what} is missing or damaged ({detail}); aldesk uses {fallback} "
            "instead."
        )
        self.name = name
        self.detail = detail


def models_dir() -> Path:
    """``$ALDESK_MODELS_DIR`` if set, else ``aldesk/models`` next to the package."""
    env = os.environ.get(ENV_DIR)
    return Path(env) if env else Path(__file__).resolve().parents[2] / "models"


def manifest_entry(name: str) -> dict:
    """The manifest entry of ``name`` (raises ModelUnavailable)."""
    path = models_dir() / MANIFEST
    try:
        with open(path, encoding="utf-8") as fp:
            manifest = json.load(fp)
    except FileNotFoundError:
        raise ModelUnavailable(name, f"no {path}") from None
    except (OSError, ValueError) as exc:
        raise ModelUnavailable(name, f"unreadable {path}: {exc}") from None
    entry = manifest.get(name) if isinstance(manifest, dict) else None
    if not isinstance(entry, dict) or not {"file", "sha256"} <= entry.keys():
        raise ModelUnavailable(name, f"{name!r} not in {path}")
    return entry


def model_path(name: str) -> Path:
    """The model's file, its SHA-256 checked against the manifest once per process."""
    folder = models_dir()
    key = (folder, name)
    with _lock:
        if key in _verified:
            return _verified[key]
    entry = manifest_entry(name)
    path = folder / Path(entry["file"]).name  # a bare file name: never outside the folder
    digest = _sha256(path, name)
    if digest != entry["sha256"]:
        raise ModelUnavailable(name, f"{path.name} does not match its manifest hash")
    with _lock:
        _verified[key] = path
    return path


def _sha256(path: Path, name: str) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fp:
            for chunk in iter(lambda: fp.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise ModelUnavailable(name, f"cannot read {path}: {exc.strerror or exc}") from None
    return digest.hexdigest()


def session(name: str, threads: int = 1) -> onnxruntime.InferenceSession:
    """An onnxruntime session of model ``name``, made once per process, name and thread count.

    One intra-op thread by default: feature extraction runs in several worker processes side
    by side, each of which should keep to one core.

    Raises:
        ModelUnavailable: the manifest or file is missing, or the hash is wrong.
    """
    path = model_path(name)
    key = (path, name, threads)
    with _lock:
        if key in _sessions:
            return _sessions[key]
    sess = _make_session(path, name, threads)
    with _lock:
        return _sessions.setdefault(key, sess)


def _make_session(path: Path, name: str, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types for a bad model
        raise ModelUnavailable(name, f"{path.name} cannot be loaded: {exc}") from None


def available(name: str) -> bool:
    """Whether model ``name`` is present and intact (hashes it on first call); never raises."""
    try:
        model_path(name)
        import onnxruntime  # noqa: F401
    except Exception:
        return False
    return True


def clear_cache() -> None:
    """Forget sessions and verified hashes (tests; a models folder replaced at run time)."""
    with _lock:
        _sessions.clear()
        _verified.clear()
