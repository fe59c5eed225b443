"""When to stop labelling: each criterion returns advice with a sentence a person understands.

The criteria only advise; the person decides. ``evaluate_all`` combines the ones a project has
configured (``StoppingConfig``, stored as JSON in the project settings).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from aldesk.core.evaluation import Metrics
from aldesk.core.wording import be, count

if TYPE_CHECKING:
    from aldesk.core.project import ProjectSettings
    from aldesk.core.records import RoundRecord

STABLE_ROUNDS = 3  # successive models whose stop-set predictions must agree
TRUSTED_TEST_ITEMS = 30  # the target-accuracy rule waits for this many test labels


@dataclass(frozen=True)
class Advice:
    """Whether to stop, and why, in words.

    Attributes:
        stop: True when the criterion says labelling more is unlikely to pay off.
        reason: One sentence for the person labelling.
        criteria: For combined advice, the advice of each configured criterion.
    """

    stop: bool
    reason: str
    criteria: tuple[Advice, ...] = ()


@dataclass(frozen=True)
class StoppingConfig:
    """Which criteria are on (``None`` = off) and their thresholds.

    Attributes:
        label_budget: Stop after this many labels.
        pool_fraction: Stop once this share of the pool is labelled.
        target_accuracy: Stop when test accuracy reaches this.
        min_test_items: Test items needed before accuracy is trusted.
        stable_kappa: Agreement (Cohen's kappa) between successive models on the stop set.
        stable_rounds: Consecutive rounds the agreement must hold.
        max_uncertainty: Stop when no pool item is more uncertain than this (1 - confidence).
    """

    label_budget: int | None = None
    pool_fraction: float | None = None
    target_accuracy: float | None = None
    min_test_items: int = 30
    stable_kappa: float | None = 0.99
    stable_rounds: int = 3
    max_uncertainty: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able settings."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StoppingConfig:
        """Settings from :meth:`to_dict`; unknown keys (from newer versions) are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def label_budget(n_labeled: int, budget: int) -> Advice:
    """Stop when the label budget is spent."""
    if n_labeled >= budget:
        return Advice(True, f"The label budget is spent: {n_labeled} of {budget} labels.")
    return Advice(False, f"{count(budget - n_labeled, 'label')} left in the budget of {budget}.")


def pool_coverage(n_labeled: int, n_pool: int, fraction: float) -> Advice:
    """Stop when a set share of the pool has been labeled."""
    covered = n_labeled / n_pool if n_pool else 1.0
    if covered >= fraction:
        return Advice(True, f"{covered:.0%} of the pool is labeled, the goal was {fraction:.0%}.")
    return Advice(False, f"{covered:.0%} of the pool is labeled; the goal is {fraction:.0%}.")


def target_accuracy(metrics: Metrics | None, target: float, min_test_items: int = 30) -> Advice:
    """Stop when accuracy on the labeled test items reaches the target.

    Too few test items give a meaningless accuracy, so the criterion waits for
    ``min_test_items``; the reason quotes the 95% interval so the person can judge.
    """
    if metrics is None:  # its test labels may be many: no model has been scored on them
        return Advice(False, "No model has been measured on the test items yet.")
    if metrics.n < min_test_items:
        n = metrics.n
        return Advice(
            False,
            f"Only {count(n, 'test item')} {be(n)} labeled; accuracy "
            f"needs at least {min_test_items} to be trusted.",
        )
    low, high = metrics.accuracy_ci
    summary = (
        f"test accuracy is {metrics.accuracy:.1%} (95% interval {low:.1%}-{high:.1%}, "
        f"{metrics.n} items)"
    )
    if metrics.accuracy >= target:
        return Advice(True, f"The target is reached: {summary}, target {target:.1%}.")
    return Advice(False, f"Not there yet: {summary}, target {target:.1%}.")


def cohen_kappa(a: np.ndarray, b: np.ndarray, n_classes: int | None = None) -> float:
    """Cohen's kappa between two label arrays.

    When both give one and the same constant label, chance agreement is 1 and kappa is
    undefined; identical predictions are then counted as full agreement (1.0).
    """
    a = np.asarray(a, dtype=np.intp)
    b = np.asarray(b, dtype=np.intp)
    if len(a) == 0:
        return 1.0
    n_classes = n_classes or int(max(a.max(), b.max())) + 1
    observed = float(np.mean(a == b))
    expected = (
        float(np.dot(np.bincount(a, minlength=n_classes), np.bincount(b, minlength=n_classes)))
        / len(a) ** 2
    )
    if expected >= 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return (observed - expected) / (1.0 - expected)


def stabilizing_predictions(
    history: Sequence[np.ndarray], threshold: float = 0.99, rounds: int = 3
) -> Advice:
    """Stop when successive models agree on the stop set (Bloodgood & Vijay-Shanker 2009).

    Args:
        history: Predicted classes on the same fixed, unlabelled stop set, one array per round,
            oldest first.
        threshold: Kappa between successive models counted as "stable".
        rounds: Consecutive stable comparisons needed.
    """
    kappas = [cohen_kappa(prev, cur) for prev, cur in zip(history[:-1], history[1:], strict=True)]
    recent = kappas[-rounds:]
    if len(recent) == rounds and min(recent) >= threshold:
        return Advice(
            True,
            f"Predictions have stopped changing: successive models agreed "
            f"(kappa >= {threshold:.2f}) for {rounds} rounds in a row.",
        )
    if not kappas:
        return Advice(False, "Predictions cannot be compared yet: a second model is needed.")
    streak = next((i for i, k in enumerate(reversed(kappas)) if k < threshold), len(kappas))
    if streak:  # stable lately, not yet for long enough
        return Advice(
            False,
            f"Predictions are settling: successive models agreed (kappa >= {threshold:.2f}) "
            f"in the last {streak} of the {rounds} rounds in a row needed.",
        )
    return Advice(
        False,
        f"Predictions are still changing: the last two models agree with kappa "
        f"{kappas[-1]:.3f}; {threshold:.2f} is needed for {rounds} rounds in a row.",
    )


def max_uncertainty(proba: np.ndarray, threshold: float) -> Advice:
    """Stop when the model is confident on every remaining pool item (Zhu et al. 2008).

    Args:
        proba: ``(n, n_classes)`` probabilities of the unlabelled pool items.
        threshold: Largest uncertainty ``1 - max_c p(c|x)`` still worth a query.
    """
    if len(proba) == 0:
        return Advice(True, "No unlabeled items are left in the pool.")
    worst = float(1.0 - proba.max(axis=1).min())
    if worst < threshold:
        return Advice(
            True,
            f"The model is sure about every remaining item: the most uncertain "
            f"has uncertainty {worst:.2f}, below {threshold:.2f}.",
        )
    return Advice(
        False,
        f"Some items are still uncertain: the most uncertain has "
        f"uncertainty {worst:.2f} (stop below {threshold:.2f}).",
    )


def evaluate_all(
    config: StoppingConfig,
    *,
    n_labeled: int,
    n_pool: int,
    metrics: Metrics | None = None,
    stop_set_history: Sequence[np.ndarray] = (),
    pool_proba: np.ndarray | None = None,
) -> Advice:
    """Combine every configured criterion; stop when any of them says stop.

    Args:
        config: Which criteria are on.
        n_labeled: The oracle's labels so far (the user's and imported, pool items); the
            model's own labels (auto-label) cost no answer and must not be counted.
        n_pool: Items in the pool.
        metrics: Test metrics of the current model, if there is a test set.
        stop_set_history: Predictions on the stop set per round, oldest first.
        pool_proba: Probabilities of the unlabelled pool items under the current model.

    Returns:
        Advice whose ``criteria`` lists each configured criterion's advice.
    """
    advices = _configured_advice(config, n_labeled, n_pool, metrics, stop_set_history, pool_proba)
    firing = [a for a in advices if a.stop]
    if firing:
        return Advice(True, " ".join(a.reason for a in firing), tuple(advices))
    if not advices:
        return Advice(False, "No stopping criterion is configured.", ())
    return Advice(False, " ".join(a.reason for a in advices), tuple(advices))


def _configured_advice(
    config: StoppingConfig,
    n_labeled: int,
    n_pool: int,
    metrics: Metrics | None,
    history: Sequence[np.ndarray],
    pool_proba: np.ndarray | None,
) -> list[Advice]:
    """Advice of each criterion that is on (and has its input)."""
    advices = []
    if config.label_budget is not None:
        advices.append(label_budget(n_labeled, config.label_budget))
    if config.pool_fraction is not None:
        advices.append(pool_coverage(n_labeled, n_pool, config.pool_fraction))
    if config.target_accuracy is not None:
        advices.append(target_accuracy(metrics, config.target_accuracy, config.min_test_items))
    if config.stable_kappa is not None:
        advices.append(stabilizing_predictions(history, config.stable_kappa, config.stable_rounds))
    if config.max_uncertainty is not None and pool_proba is not None:
        advices.append(max_uncertainty(pool_proba, config.max_uncertainty))
    return advices


def trusted_test_items(test_size: int) -> int:
    """Test labels an accuracy needs before the target rule (and "target reached") trusts it."""
    return min(TRUSTED_TEST_ITEMS, max(1, test_size))


def stopping_advice(
    st: ProjectSettings,
    *,
    n_labeled: int,
    n_pool: int,
    metrics: Metrics | None,
    stop_history: list[np.ndarray],
    pool_proba: np.ndarray | None = None,
) -> Advice:
    """The advice for a project's settings (Progress, and ``aldesk status`` without a session,
    which imports this module and not the session's)."""
    config = StoppingConfig(
        label_budget=st.budget, pool_fraction=st.pool_fraction,
        target_accuracy=st.target_accuracy, min_test_items=trusted_test_items(st.test_size),
        stable_kappa=0.99 if st.stable_predictions else None, stable_rounds=STABLE_ROUNDS,
        max_uncertainty=st.max_uncertainty,
    )  # fmt: skip
    return evaluate_all(
        config, n_labeled=n_labeled, n_pool=n_pool, metrics=metrics,
        stop_set_history=stop_history, pool_proba=pool_proba,
    )  # fmt: skip


def round_metrics(record: RoundRecord) -> Metrics | None:
    """The test metrics a recorded round holds (what Progress shows), for the advice."""
    if record.accuracy is None:
        return None

    def known(value: float | None, default: float) -> float:
        return default if value is None else value

    acc = record.accuracy
    f1 = known(record.macro_f1, float("nan"))
    acc_ci = (known(record.accuracy_lo, acc), known(record.accuracy_hi, acc))
    f1_ci = (known(record.macro_f1_lo, f1), known(record.macro_f1_hi, f1))
    return Metrics(record.n_test, acc, acc_ci, f1, f1_ci)
