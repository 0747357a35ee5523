r"""Regularisation boxes: ``Dropout``.

Dropout (chapter 9) switches off a random part of a layer's outputs at every training step, so
that no neuron can rely on any particular other neuron being there. It has two modes, chosen by
the box's ``training`` attribute, which ``Sequential.train()`` and ``Sequential.eval()`` set and
``fit`` switches for you: training during the mini-batches, evaluation for the recorded losses.
"""
from __future__ import annotations

import numbers

import numpy as np

from ._checks import as_array, as_rng, describe
from .layers import Layer


class Dropout(Layer):
    r"""Inverted dropout with drop probability :math:`p`.

    Training mode (``training = True``): every entry of the input is kept with probability
    :math:`1-p` and scaled by :math:`1/(1-p)`, or set to 0 with probability :math:`p`:

    .. math::
        A = X \odot M, \qquad M_{nj} = \frac{m_{nj}}{1-p}, \quad
        m_{nj} \sim \mathrm{Bernoulli}(1-p),

    so that :math:`\mathbb E[A] = X`. Evaluation mode (``training = False``): :math:`A = X`.

    Backward: :math:`\partial L/\partial X = \partial L/\partial A \odot M` with the mask
    :math:`M` of the last forward pass (:math:`\partial L/\partial A` itself in evaluation mode).

    Parameters
    ----------
    p : the probability of dropping an entry, :math:`0 \le p < 1`.
    seed : an int or a ``numpy.random.Generator`` for the masks (None: unseeded).

    Attributes
    ----------
    mask : :math:`M` of the last training-mode forward pass (None after an evaluation-mode pass).
    fixed_mask : if True, training-mode forward passes reuse ``mask`` instead of drawing a new
        one (when the shape fits). Gradient checks need this: finite differences run the forward
        pass many times and must see the same function each time.

    Shapes: input and output alike, ``(N, n)`` or any other shape; no parameters.
    """

    def __init__(self, p: float = 0.5, seed=None) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, numbers.Real):
            raise TypeError(f"Dropout's p must be a number in [0, 1), got {describe(p)}")
        if not 0 <= p < 1:
            raise ValueError(f"Dropout's p is the probability of dropping an entry and must be "
                             f"in [0, 1), got {p!r}" + (" (p = 1 would drop everything)"
                                                        if p == 1 else ""))
        self.p = float(p)
        self.seed = seed if isinstance(seed, numbers.Integral) else None
        self.rng = as_rng(seed, "seed")
        self.mask: np.ndarray | None = None
        self.fixed_mask = False

    def __repr__(self) -> str:
        return f"Dropout(p={self.p:g})"

    # The boundary: converts, promotes one example to a batch, checks, then runs the formula.
    # (Written here until Layer.__call__ does this for every box.)
    def __call__(self, X) -> np.ndarray:
        X = as_array(X, f"the input of {self!r}",
                     dtype=X.dtype if isinstance(X, np.ndarray) and X.dtype.kind == "f"
                     else np.float64)
        single = X.ndim == 1
        if single:
            X = X[None, :]
        self.check_input(X)
        A = self.forward(X)
        return A[0] if single else A

    def check_input(self, X: np.ndarray) -> None:
        if X.ndim < 2:
            raise ValueError(f"{self!r} expects a batch of shape (N, n), got shape {X.shape}")

    def forward(self, X: np.ndarray) -> np.ndarray:
        if not self.training or self.p == 0.0:
            self.mask = None
            return X.copy()
        if not (self.fixed_mask and self.mask is not None and self.mask.shape == X.shape):
            dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
            keep = self.rng.random(X.shape, dtype=dtype) >= self.p     # kept with prob. 1 − p
            self.mask = keep.astype(dtype) / dtype.type(1.0 - self.p)
        return X * self.mask

    def backward(self, dA: np.ndarray) -> np.ndarray | None:
        if not getattr(self, "input_grad", True):  # the first box: nothing needs ∂L/∂X
            return None
        return dA.copy() if self.mask is None else dA * self.mask

    def config(self) -> dict:
        return {"type": "Dropout", "p": self.p, "seed": self.seed}


__all__ = ["Dropout"]
