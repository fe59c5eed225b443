"""PySide6's import hook no longer reads (and keeps) the source of every module imported after
it: importing scikit-learn on a worker kept ~75 MB of source lines in ``linecache``."""

from __future__ import annotations

import linecache
import sys

import aldesk.gui  # noqa: F401  (installs the replacement)


def _import(tmp_path, monkeypatch, name: str, source: str):
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = __import__(name)  # the import statement's path (the hook wraps __import__)
    return module, str(path)


def test_a_module_imported_after_pyside_is_not_read_into_linecache(tmp_path, monkeypatch):
    _module, path = _import(tmp_path, monkeypatch, "aldesk_plain_mod", "X = 1\n")
    assert path not in linecache.cache
    feature = sys.modules["shibokensupport.feature"]
    assert feature.pyside_feature_dict["aldesk_plain_mod"] == -1  # no PySide: ignored


def test_a_module_that_uses_pyside_is_still_known_as_one(tmp_path, monkeypatch):
    source = "from PySide6.QtCore import QObject\n\nclass Thing(QObject):\n    pass\n"
    _module, path = _import(tmp_path, monkeypatch, "aldesk_qt_mod", source)
    feature = sys.modules["shibokensupport.feature"]
    assert feature.pyside_feature_dict["aldesk_qt_mod"] == 0  # uses PySide: feature set 0
    assert path not in linecache.cache
