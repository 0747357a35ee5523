r"""Preparing inputs before they reach a network: ``Standardizer``.

Features measured on very different scales turn the loss into a long, narrow valley, where one
learning rate is too large for the steep direction and too small for the flat one (chapters 3
and 9). Standardising every feature to mean 0 and standard deviation 1 rounds the valley out.
"""
from __future__ import annotations

import numpy as np

from ._checks import as_array


class Standardizer:
    r"""Shift and scale every feature (column) to mean 0 and standard deviation 1.

    ``fit(X_train)`` measures, for every feature :math:`k`, the mean :math:`\mu_k` and the
    standard deviation :math:`s_k` over the **training** examples; ``transform(X)`` then maps
    every example, training, validation or test, with the same numbers:

    .. math::
        x'_k = \frac{x_k - \mu_k}{s_k}.

    A feature that is constant on the training set (:math:`s_k = 0`) is only centred
    (:math:`s_k` is taken as 1), so it becomes 0 instead of a division by zero.

    Attributes after ``fit``: ``mean`` (:math:`\mu`, shape ``(n,)``), ``scale`` (:math:`s`, shape
    ``(n,)``, with 1 for constant features), ``constant`` (bool mask of the constant features).

    Shapes: ``X`` is ``(N, n)``, one example per row, or one example ``(n,)``.
    """

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None
        self.scale: np.ndarray | None = None
        self.constant: np.ndarray | None = None

    def __repr__(self) -> str:
        state = "not fitted" if self.mean is None else f"{self.mean.size} features"
        return f"Standardizer({state})"

    def fit(self, X) -> "Standardizer":
        """Measure :math:`\\mu` and :math:`s` of every column of the training inputs ``X``."""
        X = as_array(X, "X (the training inputs of Standardizer.fit)", ndim=2)
        if X.shape[0] < 1:
            raise ValueError("Standardizer.fit needs at least one example, got an array with "
                             f"0 rows (shape {X.shape})")
        self.mean = X.mean(axis=0)
        std = X.std(axis=0)
        # constant up to rounding: the spread is tiny next to the size of the values
        self.constant = std <= 1e-12 * np.maximum(1.0, np.abs(self.mean))
        self.scale = np.where(self.constant, 1.0, std)
        return self

    def transform(self, X) -> np.ndarray:
        """:math:`(X - \\mu)/s` with the :math:`\\mu` and :math:`s` measured by ``fit``."""
        if self.mean is None:
            raise RuntimeError("this Standardizer is not fitted yet: call fit(X_train) on the "
                               "training inputs first, then transform(X)")
        X = as_array(X, "X (the inputs of Standardizer.transform)", ndim=(1, 2))
        n = X.shape[-1]
        if n != self.mean.size:
            raise ValueError(f"Standardizer was fitted on inputs with {self.mean.size} features, "
                             f"got {n} (input shape {X.shape})")
        return (X - self.mean) / self.scale

    def fit_transform(self, X) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``: for the training inputs only."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X) -> np.ndarray:
        """Undo ``transform``: :math:`x = x' s + \\mu`."""
        if self.mean is None:
            raise RuntimeError("this Standardizer is not fitted yet: call fit(X_train) first")
        X = as_array(X, "X (the inputs of Standardizer.inverse_transform)", ndim=(1, 2))
        if X.shape[-1] != self.mean.size:
            raise ValueError(f"Standardizer was fitted on inputs with {self.mean.size} features, "
                             f"got {X.shape[-1]} (input shape {X.shape})")
        return X * self.scale + self.mean


__all__ = ["Standardizer"]
