"""scikit-learn's logistic regression, fitted reading the labelled rows a block at a time.

``LogisticRegression(solver="lbfgs")`` needs the standardised training matrix as one array: with
50,000 labels x 448 columns that is 90 MB, plus the solver's float64 work arrays, on top of the
pool matrix the training process already maps (issue 13: the whole app stays within 400 MB plus
the feature matrix). Here the same objective is minimised by the same optimiser, with the same
options, but every evaluation of the loss and its gradient reads the labelled rows from the
pool matrix a block at a time and standardises each block in place: the only memory the fit
adds is one block. The price is the gather and the standardisation at every iteration (about
1.5-2x the solver's time), so :mod:`aldesk.core.learner` uses this only for large fits.

The objective is scikit-learn's (``_logistic_regression_path`` with ``lbfgs``, no sample or
class weights): the mean log-loss over the n labels plus ``||W||^2 / (2 C n)``, the intercepts
unpenalised; multinomial (one weight row per class) for three classes or more, binomial (one
row) for two. scipy's L-BFGS-B runs with scikit-learn's ``gtol = tol``, ``ftol = 64 eps`` and
``maxls = 50``, so the result agrees with scikit-learn's to the solver's tolerance
(``tests/core/test_blocked_logreg.py`` compares them).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from aldesk.core.standardise import BLOCK, row_blocks

if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression


def fit(
    clf: LogisticRegression,
    X,
    y: np.ndarray,
    mean: np.ndarray,
    scale: np.ndarray,
    columns: np.ndarray | None = None,
) -> None:
    """Fit ``clf`` in place on ``(X[:, columns] - mean) / scale`` and ``y``, as ``clf.fit``
    would on that matrix, reading ``X`` (an array or ``training_rows.PoolRows``) by block,
    from zeros (scikit-learn's cold start).
    """
    from scipy.optimize import minimize

    classes = np.unique(y)
    k = 1 if len(classes) == 2 else len(classes)
    d = len(mean)
    n = len(y)
    # Class positions 0..K-1 (the binomial case: 1 for the second class).
    target = np.searchsorted(classes, y)
    objective = _Objective(X, target, k, mean, scale, columns, 1.0 / (clf.C * n))
    result = minimize(
        objective,
        np.zeros(k * d + k),
        method="L-BFGS-B",
        jac=True,
        options={
            "maxiter": clf.max_iter,
            "maxls": 50,
            "gtol": clf.tol,
            "ftol": 64 * np.finfo(float).eps,
        },
    )
    if result.status == 1:  # scikit-learn warns the same way
        from sklearn.exceptions import ConvergenceWarning

        warnings.warn(
            f"lbfgs stopped after {clf.max_iter} iterations", ConvergenceWarning, stacklevel=2
        )
    W, b = _unpack(result.x, k, d)
    clf.coef_, clf.intercept_ = W, b
    clf.classes_ = classes
    clf.n_features_in_ = d
    clf.n_iter_ = np.array([result.nit], dtype=np.int32)


def _unpack(w: np.ndarray, k: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    return w[: k * d].reshape(k, d), w[k * d :]


class _Objective:
    """Loss and gradient of the regularised log-loss, one pass over the rows by block."""

    def __init__(self, X, target, k, mean, scale, columns, l2) -> None:
        self.X, self.target, self.k, self.columns, self.l2 = X, target, k, columns, l2
        self.mean = np.asarray(mean, dtype=np.float32)
        self.scale = np.asarray(scale, dtype=np.float32)
        self.n = len(target)

    def __call__(self, w: np.ndarray) -> tuple[float, np.ndarray]:
        W, b = _unpack(w, self.k, len(self.mean))
        W32 = W.T.astype(np.float32)
        loss, gW, gb = 0.0, np.zeros_like(W), np.zeros_like(b)
        for block in row_blocks(self.n, BLOCK):
            block_loss, block_gW, block_gb = self._block_terms(block, W32, b)
            loss += block_loss
            gW += block_gW
            gb += block_gb
        loss = loss / self.n + 0.5 * self.l2 * float(np.vdot(W, W))
        gW = gW / self.n + self.l2 * W
        return loss, np.concatenate([gW.ravel(), gb / self.n])

    def _block_terms(self, block: slice, W32: np.ndarray, b: np.ndarray) -> tuple:
        """A block's summed loss and gradient terms (a call of its own, so its rows are freed
        before the next block is read)."""
        Xb = self._standardised(block)
        z = (Xb @ W32).astype(np.float64) + b
        loss, residual = self._loss_residual(z, self.target[block])
        gW = (residual.T.astype(np.float32) @ Xb).astype(np.float64)
        return loss, gW, residual.sum(axis=0)

    def _standardised(self, block: slice) -> np.ndarray:
        rows = self.X[block]
        if self.columns is not None:
            Xb = np.asarray(rows[:, self.columns], dtype=np.float32)
        elif isinstance(self.X, np.ndarray):
            Xb = rows.astype(np.float32)  # a copy: the caller's matrix is never written
        else:
            Xb = np.asarray(rows, dtype=np.float32)  # gathered for this block already
        Xb -= self.mean  # in place on the block's own copy
        Xb /= self.scale
        return Xb

    def _loss_residual(self, z: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray]:
        """Summed loss of a block and d(loss)/dz per row."""
        if self.k == 1:  # binomial: log(1 + e^z) - t z
            z = z[:, 0]
            loss = float(np.sum(np.logaddexp(0.0, z) - t * z))
            return loss, (_sigmoid(z) - t)[:, None]
        top = z.max(axis=1, keepdims=True)
        e = np.exp(z - top)
        total = e.sum(axis=1, keepdims=True)
        rows = np.arange(len(t))
        loss = float(np.sum(np.log(total[:, 0]) + top[:, 0] - z[rows, t]))
        e /= total
        e[rows, t] -= 1.0
        return loss, e


def _sigmoid(z: np.ndarray) -> np.ndarray:
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out
