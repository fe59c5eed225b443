"""Learning-curve plots for ``bench_label_efficiency.py`` (matplotlib, Agg: no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"random": "tab:gray", "margin": "tab:blue", "default": "tab:orange"}


def _points(grid: list[int], values: list[float | None]) -> tuple[list[int], list[float]]:
    """Drop the grid points without a value (before the first model)."""
    pairs = [(g, v) for g, v in zip(grid, values, strict=True) if v is not None]
    return [g for g, _ in pairs], [v for _, v in pairs]


def plot_learning_curves(
    path: Path,
    *,
    title: str,
    grid: list[int],
    strategies: dict[str, dict],
    peer: dict | None = None,
    full_accuracy: float | None = None,
) -> Path:
    """Accuracy vs labels: one line and 95 % band per strategy, the peer baseline as reference.

    ``strategies`` maps a name to ``{"mean": [...], "lo": [...], "hi": [...]}`` on ``grid``
    (optionally ``"label"``; a ``"same_as"`` strategy is drawn dashed, it is that one's run);
    ``peer`` is ``peer_baseline``'s result (its ``at`` entries are drawn as markers, the
    200-label one also as a horizontal line).
    """
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    for k, (name, curve) in enumerate(strategies.items()):
        color = COLORS.get(name, f"C{k + 3}")
        x, mean = _points(grid, curve["mean"])
        _, lo = _points(grid, curve["lo"])
        _, hi = _points(grid, curve["hi"])
        if curve.get("same_as"):  # an alias of a run already drawn: its line only, dashed
            ax.plot(x, mean, color=color, lw=1.5, ls="--",
                    label=f"{name} (same run as {curve['same_as']})")  # fmt: skip
            continue
        ax.plot(x, mean, color=color, lw=1.8, label=curve.get("label", name))
        # accuracies live in [0, 1]; a t-band from 2-3 repeats would stretch the axis far past
        ax.fill_between(x, [max(0.0, v) for v in lo], [min(1.0, v) for v in hi], color=color,
                        alpha=0.18, lw=0)  # fmt: skip
    if peer:
        at = {int(n): v for n, v in peer["at"].items()}
        xs = sorted(at)
        means = [at[n]["mean"] for n in xs]
        half = [at[n]["ci95"] or 0.0 for n in xs]  # None from a single repeat
        yerr = [[min(h, m) for m, h in zip(means, half, strict=True)],
                [min(h, 1.0 - m) for m, h in zip(means, half, strict=True)]]  # fmt: skip
        ax.errorbar(xs, means, yerr=yerr, fmt="D", color="tab:red", ms=6, capsize=4,
                    label="peer (thumbnail/MFCC + logreg, random)")  # fmt: skip
        if 200 in at:
            ax.axhline(at[200]["mean"], color="tab:red", ls="--", lw=1,
                       label=f"peer @200 = {at[200]['mean']:.3f}")  # fmt: skip
    if full_accuracy is not None:
        ax.axhline(full_accuracy, color="black", ls=":", lw=1,
                   label=f"all labels = {full_accuracy:.3f}")  # fmt: skip
    ax.set_title(title)
    ax.set_xlabel("labels")
    ax.set_ylabel("test accuracy")
    ax.set_xlim(left=0)
    bottom, top = ax.get_ylim()
    ax.set_ylim(max(bottom, 0.0), min(top, 1.01))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
