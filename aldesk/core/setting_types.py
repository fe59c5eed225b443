"""Type checks of stored settings: a value of the wrong type is named, never a crash later.

The settings live in the project's database as JSON, so any value can be there after an edit or
damage (``"batch": "huge"``); the dataclass that reads them declares what each must be.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import Field
from pathlib import Path
from typing import Any

from aldesk.core.db import setting_error

_WORDS = {"int": "a whole number", "float": "a number", "bool": "true or false",
          "str": "text", "dict": "a JSON object", "None": "null"}  # fmt: skip


def _is(value: Any, name: str) -> bool:
    if name == "None":
        return value is None
    if name == "bool":
        return isinstance(value, bool)
    if name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "float":
        return (isinstance(value, (int, float)) and not isinstance(value, bool)
                and math.isfinite(value))  # fmt: skip
    return isinstance(value, {"str": str, "dict": dict}[name])


def check_types(values: dict[str, Any], fields: Iterable[Field], db: Path) -> None:
    """Raise ProjectDamaged naming the first setting whose value has a type its field forbids.

    Field annotations are strings such as ``"int | None"`` (postponed annotations).
    """
    for f in fields:
        if f.name not in values:
            continue
        allowed = [t.strip() for t in str(f.type).split("|")]
        if any(_is(values[f.name], t) for t in allowed):
            continue
        shown = json.dumps(values[f.name])
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        wanted = " or ".join(_WORDS.get(t, t) for t in allowed)
        raise setting_error(db, f.name, f"is {shown}, but it must be {wanted}")
