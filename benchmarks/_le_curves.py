"""The label-efficiency harness's arithmetic: curves on a common grid, their means and 95 %
bands, and each set's headline against the issue's targets (``bench_label_efficiency.py``)."""

from __future__ import annotations

import numpy as np

TARGET_FRACTION = 0.5  # the target: random's accuracy at 300 labels with <= 150
DOMINATE_FROM = 50  # default must not trail random from this many labels on
OURS_AT, PEER_AT = 100, 200  # the app with 100 labels vs the peer with 200


def on_grid(n_labels: list[int], acc: list[float], grid: list[int]) -> list[float | None]:
    """Accuracy of the newest round with at most g labels, for each g of the grid."""
    out: list[float | None] = []
    for g in grid:
        before = [a for n, a in zip(n_labels, acc, strict=True) if n <= g and a is not None]
        out.append(before[-1] if before else None)
    return out


def column_means(curves: list[list[float | None]]) -> list[float | None]:
    """Unrounded mean per grid point; None until every repeat has a model."""
    cols = list(zip(*curves, strict=True))
    return [None if any(v is None for v in c) else float(np.mean(c)) for c in cols]


def curve_band(curves: list[list[float | None]]) -> dict[str, list[float | None]]:
    """Mean and 95 % t-interval per grid point (a zero-width band with a single repeat)."""
    from scipy.stats import t

    out: dict[str, list[float | None]] = {"mean": [], "lo": [], "hi": []}
    for col in zip(*curves, strict=True):
        if any(v is None for v in col):
            values = (None, None, None)
        else:
            a = np.asarray(col, dtype=float)
            sem = a.std(ddof=1) / np.sqrt(a.size) if a.size > 1 else 0.0
            half = float(t.ppf(0.975, a.size - 1) * sem) if a.size > 1 else 0.0
            m = float(a.mean())
            values = (round(m, 4), round(m - half, 4), round(m + half, 4))
        for key, v in zip(("mean", "lo", "hi"), values, strict=True):
            out[key].append(v)
    return out


def first_reaching(grid: list[int], curve: list[float | None], target: float) -> int | None:
    for g, v in zip(grid, curve, strict=True):
        if v is not None and v >= target - 1e-12:
            return g
    return None


def value_at(grid: list[int], curve: list[float | None], n: int) -> float | None:
    return curve[grid.index(n)] if n in grid else None


def comparison(grid, curve, rnd, target, target_labels, peer_at) -> dict:
    """One strategy's mean curve against random's and the peer's."""
    out: dict = {}
    if rnd is not None:
        gaps = [(g, v - r) for g, v, r in zip(grid, curve, rnd, strict=True)
                if g >= DOMINATE_FROM and v is not None and r is not None]  # fmt: skip
        worst = min(gaps, key=lambda p: p[1]) if gaps else None
        needed = first_reaching(grid, curve, target)
        out |= {
            "dominates_random_from_50": (worst[1] >= -1e-12) if worst else None,
            "worst_gap_vs_random": (
                {"labels": worst[0], "gap": round(worst[1], 4)} if worst else None
            ),
            "labels_to_match_random_at_budget": needed,
            "labels_target_met": needed is not None and needed <= target_labels,
        }
    ours = value_at(grid, curve, OURS_AT)
    out[f"at_{OURS_AT}"] = None if ours is None else round(ours, 4)
    out[f"at_{OURS_AT}_beats_peer_at_{PEER_AT}"] = (
        None if ours is None or peer_at is None else ours >= peer_at - 1e-12
    )
    out["at_budget"] = None if curve[-1] is None else round(curve[-1], 4)
    return out


def per_repeat_labels(res: dict, target: float) -> list[int | None]:
    """Each repeat's first round at or above the target (exact label counts)."""
    hits = []
    for run in res["runs"]:
        hit = [n for n, a in zip(run["n_labels"], run["accuracy"], strict=True) if a >= target]
        hits.append(hit[0] if hit else None)
    return hits


def headline(pairs: dict[str, dict], peer: dict | None, budget: int) -> dict:
    any_res = next(iter(pairs.values()))
    grid = any_res["grid"]
    peer_at = peer["at"][str(PEER_AT)]["mean"] if peer else None
    target_labels = round(TARGET_FRACTION * budget)
    rnd = column_means(pairs["random"]["curves"]) if "random" in pairs else None
    target = rnd[-1] if rnd is not None else None
    out: dict = {
        "budget": budget,
        "target_labels": target_labels,
        "random_at_budget": None if target is None else round(target, 4),
        f"peer_at_{PEER_AT}": peer_at,
        "full_accuracy": any_res["full_accuracy"],
    }
    if rnd is not None:
        out[f"random_at_{OURS_AT}"] = value_at(grid, pairs["random"]["mean_curve"], OURS_AT)
    for name, res in pairs.items():
        if name == "random":
            continue
        out[name] = comparison(grid, column_means(res["curves"]), rnd, target, target_labels,
                               peer_at)  # fmt: skip
        if target is not None:
            out[name]["per_repeat_labels_to_match"] = per_repeat_labels(res, target)
    return out
