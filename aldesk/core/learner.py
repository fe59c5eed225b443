"""Model factory and training on an immutable snapshot of the labels.

``train`` clones a fresh scikit-learn pipeline (standardisation + classifier), fits it on the
snapshot and wraps it in a :class:`FittedModel`. Nothing shared is mutated, so a worker thread can
train while the GUI thread keeps labelling.

The default logistic-regression model has a fast scoring path (:mod:`aldesk.core.linear_scoring`):
the standardisation is folded into the weights (``W / sigma``, ``b - mu / sigma @ W``) so a
float32 pool matrix is scored with one matmul and a softmax, without copying or upcasting it.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from aldesk.core import blocked_logreg
from aldesk.core.linear_scoring import (
    LinearScorer,
    fold_committee,
    fold_linear,
    softmax_blocks,
    stack,
)
from aldesk.core.standardise import BLOCK, fit_scaler, standardised
from aldesk.core.strategies.pool import margin_scores
from aldesk.core.threads import single_threaded
from aldesk.core.training_rows import rows_of

# 22 classes and 30 labels are a classification still: scikit-learn guessed "regression?" and
# printed it on the terminal at every retrain. Set once here (catch_warnings is not thread-safe).
warnings.filterwarnings("ignore", message="The number of unique classes is greater than 50%")

if TYPE_CHECKING:  # scikit-learn (+ scipy) takes ~2 s to import: only the trainer needs it
    from sklearn.pipeline import Pipeline

    from aldesk.core.representation import Choice

MODELS: dict[str, str] = {
    "logreg": "Logistic regression: fast, well-calibrated enough, the default",
    "svm": "Support vector machine (RBF) with calibrated probabilities",
    "forest": "Random forest of 100 trees",
    "committee": "Bagging committee of 5 logistic regressions (for query-by-committee)",
}
DEFAULT_MODEL = "logreg"

# sklearn's defaults. Every fit starts from zeros, so a model is a function of its labels: one
# started from the previous round's weights stops at tol somewhere else, and the session's model
# and one rebuilt from the same labels (a reopen, an export) disagreed on 3 % of clip art's items
# (probabilities up to 0.17 apart) for 20-50 ms saved a round.
_LOGREG_PARAMS = {"C": 1.0, "tol": 1e-4, "max_iter": 200}
_COMMITTEE_SIZE = 5


@dataclass(frozen=True, eq=False)
class TrainingSnapshot:
    """Everything ``train`` needs, frozen so a worker can own it.

    Attributes:
        X: Features of the labelled items, float32 ``(n, d)``.
        y: Class indices ``0..n_classes-1``, int ``(n,)``.
        n_classes: Number of project classes; some may have no label yet.
        model: One of :data:`MODELS`.
        random_state: Seed for every random step of the fit.
        previous_choice: The representation the previous round trained on (kept a while; see
            ``ranking``). Only the choice: every fit starts from zeros, never from a previous
            model's weights, so a model is a function of its labels alone.
        feature_weights: Per-column weights ``(d,)`` applied after standardisation; columns of
            weight 0 are not used at all (see :mod:`aldesk.core.representation`). ``None``:
            every column, unweighted.
    """

    X: np.ndarray
    y: np.ndarray
    n_classes: int
    model: str = DEFAULT_MODEL
    random_state: int = 0
    previous_choice: Choice | None = field(default=None, compare=False, repr=False)
    feature_weights: np.ndarray | None = field(default=None, compare=False, repr=False)


class FittedModel:
    """A trained classifier over all ``n_classes`` project classes.

    Attributes:
        estimator: The fitted scikit-learn pipeline, or ``None`` with fewer than two seen classes.
        classes: The class indices that had labels, sorted.
        n_classes: Number of project classes (columns of ``predict_proba``).
        model: The model name from :data:`MODELS`.
    """

    def __init__(
        self,
        estimator: Pipeline | None,
        classes: np.ndarray,
        n_classes: int,
        model: str,
        columns: np.ndarray | None = None,
        n_features: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.choice = None  # the representation it was trained on (set by the ranking round)
        self.classes = classes
        self.n_classes = n_classes
        self.model = model
        # Columns of the full matrix the estimator was fitted on (None: all of them). Folded
        # scorers are widened back to n_features with zero weights, so scoring never slices.
        self.columns = columns
        self.n_features = n_features
        self.linear = (
            self._widen(fold_linear(estimator, classes, n_classes)) if model == "logreg" else None
        )
        members = fold_committee(estimator, classes, n_classes) if model == "committee" else None
        members = [self._widen(m) for m in members] if members else None
        # Members are stacked side by side so the pool is read once for the whole committee.
        self.members = stack(members) if members else None
        self.n_members = len(members) if members else 0

    def portable(self) -> FittedModel:
        """This model without its scikit-learn estimator where the folded scorers do all of its
        scoring (logistic regressions and their committees), so the process
        that receives it from the training process never imports scikit-learn (~160 MB
        resident); other models come as they are."""
        if self.estimator is None or (self.linear is None and self.members is None):
            return self
        light = copy.copy(self)
        light.estimator = None
        return light

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities for every row of ``X``.

        Args:
            X: Features ``(n, d)``, preferably float32 (scored without a copy).

        Returns:
            Float32 ``(n, n_classes)``; columns of classes without labels are zero.
        """
        n = X.shape[0]
        if len(self.classes) < 2:
            return _constant_proba(n, self.classes, self.n_classes)
        if self.linear is not None:
            return softmax_blocks(self.linear, X)[0]
        if self.members is not None:
            return self.committee_proba(X).mean(axis=0)
        out = np.zeros((n, self.n_classes), dtype=np.float32)
        used = X if self.columns is None else X[:, self.columns]
        out[:, self.classes] = self.estimator.predict_proba(used)
        return out

    def proba_and_margin(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`predict_proba` and its margin scores (``pool.margin_scores``) together.

        The logistic regression's fast path takes the margin from each block as it is scored,
        so the pool's probabilities are not read a second time.
        """
        if self.linear is not None and len(self.classes) >= 2:
            margin = np.empty(X.shape[0], dtype=np.float32)
            return softmax_blocks(self.linear, X, margin=margin)[0], margin
        proba = self.predict_proba(X)
        return proba, margin_scores(proba)

    def _widen(self, scorer: LinearScorer | None) -> LinearScorer | None:
        """A scorer over the fitted columns, as one over all ``n_features`` columns."""
        if scorer is None or self.columns is None:
            return scorer
        weights = np.zeros((self.n_features, scorer.weights.shape[1]), dtype=np.float32)
        weights[self.columns] = scorer.weights
        return LinearScorer(weights, scorer.bias)

    def committee_proba(self, X: np.ndarray) -> np.ndarray | None:
        """Each committee member's probabilities, for query-by-committee.

        Returns:
            Float32 ``(m, n, n_classes)`` for the ``committee`` model, else ``None``.
        """
        if self.members is None:
            return None
        return softmax_blocks(self.members, X, groups=self.n_members)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Most probable class index for every row of ``X``."""
        return self.predict_proba(X).argmax(axis=1)


def make_estimator(model: str, random_state: int) -> Pipeline:
    """A fresh, unfitted pipeline (standardisation + classifier) for ``model``.

    Raises:
        ValueError: ``model`` is not one of :data:`MODELS`.
    """
    from sklearn.ensemble import BaggingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    if model == "logreg":
        clf = LogisticRegression(**_LOGREG_PARAMS, random_state=random_state)
    elif model == "svm":
        clf = SVC(kernel="rbf", random_state=random_state)
    elif model == "forest":
        clf = RandomForestClassifier(n_estimators=100, n_jobs=1, random_state=random_state)
    elif model == "committee":
        clf = BaggingClassifier(
            LogisticRegression(**_LOGREG_PARAMS),
            n_estimators=_COMMITTEE_SIZE,
            random_state=random_state,
        )
    else:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    return Pipeline([("scale", StandardScaler()), ("clf", clf)])


def train(snapshot: TrainingSnapshot) -> FittedModel:
    """Fit a fresh model on ``snapshot``; shared state is never touched.

    With fewer than two labelled classes no classifier can be fitted: the model then predicts
    the one seen class (or a uniform distribution when nothing is labelled) so callers never fail.

    Args:
        snapshot: The labelled features and model settings.

    Returns:
        The fitted model.

    Raises:
        ValueError: A label is not a class index below ``n_classes``.
    """
    y = np.asarray(snapshot.y, dtype=np.intp)
    classes = np.unique(y)
    if len(classes) and (classes[0] < 0 or classes[-1] >= snapshot.n_classes):
        raise ValueError(f"labels must be class indices 0..{snapshot.n_classes - 1}")
    n_features = int(np.shape(snapshot.X)[1]) if np.ndim(snapshot.X) == 2 else None
    columns = _used_columns(snapshot.feature_weights)
    if len(classes) < 2:
        return FittedModel(None, classes, snapshot.n_classes, snapshot.model, columns, n_features)
    from sklearn.base import clone

    estimator = clone(make_estimator(snapshot.model, snapshot.random_state))
    # OpenBLAS threads spin-wait on the tiny matrices of a few hundred labels and made fits
    # 10x slower on a busy 2-core machine; one thread is fastest here.
    with single_threaded("blas"):
        _fit(estimator, snapshot, y, columns)
    return FittedModel(estimator, classes, snapshot.n_classes, snapshot.model, columns, n_features)


def _used_columns(weights: np.ndarray | None) -> np.ndarray | None:
    """Indices of the columns with non-zero weight, or None when every column is used as is."""
    if weights is None:
        return None
    return np.flatnonzero(np.asarray(weights) != 0)


def _fit(
    estimator: Pipeline,
    snapshot: TrainingSnapshot,
    y: np.ndarray,
    columns: np.ndarray | None,
) -> None:
    """Fit ``estimator`` in place, from zeros, calibrating where the model needs it."""
    X = rows_of(snapshot.X)
    weights = None
    if columns is not None:
        weights = np.asarray(snapshot.feature_weights, dtype=np.float64)[columns]
    if snapshot.model == "svm":
        used = np.asarray(X, dtype=np.float32)
        _fit_svm(
            estimator,
            used if columns is None else used[:, columns],
            y,
            snapshot.random_state,
            weights,
        )
        return
    # Rows (named pool rows are gathered here) and used columns are read block by block: a
    # logistic regression on more than a block copies none, others standardise one copy.
    scaler = fit_scaler(estimator.named_steps["scale"], X, weights, columns)
    clf = estimator.named_steps["clf"]
    if snapshot.model == "logreg" and X.shape[0] > BLOCK:
        blocked_logreg.fit(clf, X, y, scaler.mean_, scaler.scale_, columns)
        return
    Xs = standardised(X, scaler.mean_, scaler.scale_, columns)
    try:
        clf.fit(Xs, y)
    except ValueError:
        if snapshot.model != "committee":
            raise
        # A bootstrap sample of very few labels can hold a single class, which a logistic
        # regression cannot fit; members trained on all labels agree, but the fit succeeds.
        clf.set_params(bootstrap=False).fit(Xs, y)


def _fit_svm(
    estimator: Pipeline,
    X: np.ndarray,
    y: np.ndarray,
    random_state: int,
    weights: np.ndarray | None = None,
) -> None:
    """Fit an SVC with sigmoid-calibrated probabilities.

    Cross-validated calibration needs every class in every fold; with fewer labels per class
    the SVC is calibrated on its own training data (optimistic, but it never fails).
    """
    from sklearn.base import clone
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import StratifiedKFold

    scaler = fit_scaler(estimator.named_steps["scale"], X, weights)
    Xs = standardised(X, scaler.mean_, scaler.scale_)
    svc = estimator.named_steps["clf"]
    n_splits = min(3, int(np.bincount(y)[np.unique(y)].min()))
    if n_splits >= 2:
        cv = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
        calibrated = CalibratedClassifierCV(svc, method="sigmoid", cv=cv, ensemble=False)
    else:
        # One "split" that calibrates on every label: folds would miss the singleton class.
        everything = [(np.arange(len(y)), np.arange(len(y)))]
        calibrated = CalibratedClassifierCV(
            FrozenEstimator(clone(svc).fit(Xs, y)), method="sigmoid", cv=everything
        )
    calibrated.fit(Xs, y)
    estimator.steps[-1] = ("clf", calibrated)


def _constant_proba(n: int, classes: np.ndarray, n_classes: int) -> np.ndarray:
    """One seen class gets probability 1; with none, every class is equally likely."""
    if len(classes) == 1:
        out = np.zeros((n, n_classes), dtype=np.float32)
        out[:, classes[0]] = 1.0
        return out
    return np.full((n, n_classes), 1.0 / n_classes, dtype=np.float32)


def preload() -> None:
    """Import scikit-learn now (about 2 s), so the first retrain does not pay for it.

    The GUI calls this on a worker right after the first item is shown: the import is off the
    GUI thread and done before the user has given enough answers for a first model.
    """
    import sklearn.cluster  # noqa: F401  (batch diversity: k-means over the top candidates)
    import sklearn.linear_model  # noqa: F401
    import sklearn.pipeline  # noqa: F401
    import sklearn.preprocessing  # noqa: F401
