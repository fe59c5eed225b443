"""Stop PySide6 reading the source of every module imported after it.

Once PySide6 is imported, its ``__feature__`` import hook asks of every module imported next
whether it uses PySide (to support ``from __feature__ import snake_case``), by reading the
module's whole source with ``inspect.getsource``. Those sources then stay in ``linecache`` for
the life of the process: importing scikit-learn and SciPy on a worker read ~1,150 files, kept
~75 MB resident and lengthened the import (napari/napari#8584 traces the same hook).

aldesk uses no ``__feature__``; the hook still needs to know which modules use PySide, and a
module's globals say so without reading its file.
"""

from __future__ import annotations

import sys
from types import ModuleType

import PySide6.QtCore  # noqa: F401  (installs the hook this module replaces a part of)

_QT_PACKAGES = ("PySide6", "shiboken6")


def skip_source_scan() -> bool:
    """Replace the hook's source test with a look at the module's globals; False when this
    PySide6 has no such hook (nothing to do)."""
    feature = sys.modules.get("shibokensupport.feature")
    if feature is None or not callable(getattr(feature, "_mod_uses_pyside", None)):
        return False
    feature._mod_uses_pyside = uses_pyside
    return True


def uses_pyside(module: ModuleType) -> bool:
    """Whether ``module`` holds anything of PySide6 (a Qt module, class or function)."""
    for value in list(vars(module).values()):
        name = getattr(value, "__module__", None) if not isinstance(value, ModuleType) else None
        name = name if isinstance(name, str) else getattr(value, "__name__", "")
        if isinstance(name, str) and name.startswith(_QT_PACKAGES):
            return True
    return False
