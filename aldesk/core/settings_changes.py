"""Changing a project's learning settings after it was created, and the record of each change.

Strategy, batch size, stopping rules, model, features and label keys can change at any time;
the scenario, seed and test set cannot (they shaped the answers already given). Each change is
appended to the ``settings_history`` setting with the number of training labels at that moment,
so the learning curve can mark where it happened. Nothing is rewritten: earlier rounds keep the
settings they were trained with.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace

from aldesk.core.classes import RESERVED
from aldesk.core.errors import AldeskError
from aldesk.core.project import ProjectSettings
from aldesk.core.store import ProjectStore

EDITABLE = ("strategy", "batch", "budget", "target_accuracy", "stable_predictions", "model",
            "representation", "synthesis_every", "stream_budget")  # fmt: skip
HISTORY_KEY = "settings_history"
_NAMES = {"strategy": "strategy", "batch": "batch", "budget": "label budget",
          "target_accuracy": "target accuracy", "stable_predictions": "stable predictions",
          "model": "model", "representation": "features",
          "synthesis_every": "synthesized queries one in",
          "stream_budget": "share of arrivals asked"}  # fmt: skip


@dataclass(frozen=True)
class SettingsChange:
    """One change: when, at how many training labels, and ``name -> [before, after]``.

    Key changes are listed as ``"key of CLASS" -> [old key, new key]``.
    """

    at: float
    n_labels: int
    changes: dict[str, list]

    def summary(self) -> str:
        """'batch 5 → 10, model logreg → forest'."""
        return ", ".join(
            f"{_NAMES.get(k, k)} {_shown(old)} → {_shown(new)}"
            for k, (old, new) in self.changes.items()
        )


def _shown(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float) and value <= 1:
        return f"{value:.0%}"
    return str(value).upper() if isinstance(value, str) and len(value) == 1 else str(value)


def settings_history(store: ProjectStore) -> list[SettingsChange]:
    """Every recorded change, oldest first."""
    return [SettingsChange(**entry) for entry in store.get(HISTORY_KEY, [])]


def change_settings(
    store: ProjectStore,
    values: dict,
    n_labels: int,
    hotkeys: dict[int, str | None] | None = None,
) -> SettingsChange | None:
    """Apply the editable ``values`` (other keys are ignored) and new label ``hotkeys``.

    Returns the recorded change, or None when nothing changed.

    Raises:
        AldeskError: an unknown strategy or model, a batch below 1, or a key that is reserved,
            not a single letter or digit, or given to two classes.
    """
    current = ProjectSettings.from_store(store)
    wanted = replace(current, **{k: values[k] for k in EDITABLE if k in values})
    wanted.validate()
    if wanted.model not in _models():
        raise AldeskError(f"Unknown model {wanted.model!r}; use one of {', '.join(_models())}.")
    changes = {k: [getattr(current, k), getattr(wanted, k)] for k in EDITABLE
               if getattr(current, k) != getattr(wanted, k)}  # fmt: skip
    new_keys = _key_changes(store, hotkeys or {})
    changes.update({f"key of {name}": [old, new] for name, old, new in new_keys.values()})
    if not changes:
        return None
    record = SettingsChange(time.time(), int(n_labels), changes)
    if new_keys:
        store.set_hotkeys({cid: new for cid, (_name, _old, new) in new_keys.items()})
    edited = {k: v for k, v in asdict(wanted).items() if k in EDITABLE}
    store.set_many({**edited, HISTORY_KEY: [*store.get(HISTORY_KEY, []), asdict(record)]})
    return record


def _models() -> tuple[str, ...]:
    from aldesk.core.learner import MODELS

    return tuple(MODELS)


def _key_changes(
    store: ProjectStore, hotkeys: dict[int, str | None]
) -> dict[int, tuple[str, str | None, str | None]]:
    """Class id -> (name, old key, new key) for the keys that change; checks the whole set."""
    classes = store.classes()
    final = {c.id: (hotkeys.get(c.id, c.hotkey) or "").strip().lower() or None for c in classes}
    names = {c.id: c.name for c in classes}
    seen: dict[str, str] = {}
    for cid, key in final.items():
        if key is None:
            continue
        if len(key) != 1 or not key.isalnum():
            raise AldeskError(f"The key of “{names[cid]}” must be a single letter or digit.")
        if key.lower() in RESERVED:
            raise AldeskError(f"The key {key.upper()} of “{names[cid]}” is reserved "
                              "(S skip, X can't label, R replay, L loop, Z undo).")  # fmt: skip
        if key.lower() in seen:
            raise AldeskError(f"“{seen[key.lower()]}” and “{names[cid]}” have the same key "
                              f"{key.upper()}.")  # fmt: skip
        seen[key.lower()] = names[cid]
    return {c.id: (c.name, c.hotkey, final[c.id]) for c in classes if final[c.id] != c.hotkey}
