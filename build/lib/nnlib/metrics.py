"""Metrics for testing a trained network: accuracy and the confusion matrix."""
from __future__ import annotations

import numpy as np

from ._checks import as_array


def to_labels(y, name: str = "labels") -> np.ndarray:
    """Class labels from integer labels ``(N,)``, one-hot/probability rows ``(N, K)`` (argmax) or a
    single probability column ``(N, 1)`` (threshold 0.5)."""
    y = np.asarray(y)
    if y.ndim == 1:
        if y.dtype.kind == "f" and not np.all(y == np.round(y)):
            raise ValueError(f"{name}: 1-D labels must be whole numbers (class indices); for scores or "
                             "probabilities pass an (N, K) array, or an (N, 1) column for one "
                             f"probability per example. Got {y[:5]}")
        if y.dtype.kind not in "iufb":
            raise TypeError(f"{name} must be numbers, got dtype {y.dtype}")
        return y.astype(np.intp)
    if y.ndim == 2 and y.shape[1] == 1:
        return (y[:, 0] >= 0.5).astype(np.intp)
    if y.ndim == 2:
        return np.argmax(y, axis=1)
    raise ValueError(f"expected labels of shape (N,) or scores of shape (N, K), got {y.shape}")


def is_classification_target(y) -> bool:
    """True if ``y`` looks like class labels: integers ``(N,)``, one-hot rows, or a 0/1 column."""
    y = np.asarray(y)
    if y.ndim == 1:
        return bool(np.issubdtype(y.dtype, np.integer))
    if y.ndim == 2 and y.size:
        binary = np.isin(y, (0, 1)).all()
        return bool(binary and (y.shape[1] == 1 or np.all(y.sum(axis=1) == 1)))
    return False


def accuracy(y_pred, y_true) -> float:
    """Fraction of examples whose predicted class equals the true class.

    Both arguments may be labels ``(N,)`` or scores/one-hot ``(N, K)`` (compared by argmax).
    """
    p = to_labels(as_array(y_pred, "y_pred", dtype=None), "y_pred")
    t = to_labels(as_array(y_true, "y_true", dtype=None), "y_true")
    if p.shape != t.shape:
        raise ValueError(f"accuracy: {p.shape[0]} predictions but {t.shape[0]} true labels")
    return float(np.mean(p == t)) if p.size else float("nan")


def confusion_matrix(y_pred, y_true, n_classes: int | None = None) -> np.ndarray:
    """``C[i, j]`` = number of examples of true class ``i`` predicted as class ``j``."""
    p, t = to_labels(y_pred), to_labels(y_true)
    if p.shape != t.shape:
        raise ValueError(f"confusion_matrix: {p.shape[0]} predictions but {t.shape[0]} labels")
    k = n_classes or int(max(p.max(initial=0), t.max(initial=0)) + 1)
    for name, labels in (("predicted", p), ("true", t)):
        if labels.size and (labels.min() < 0 or labels.max() >= k):
            raise ValueError(f"confusion_matrix: {name} labels must be in 0..{k - 1}, got values "
                             f"from {labels.min()} to {labels.max()}")
    C = np.zeros((k, k), dtype=np.int64)
    np.add.at(C, (t, p), 1)
    return C
