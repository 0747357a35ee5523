r"""Regularisation boxes: ``Dropout``.

Dropout (chapter 9) switches off a random part of a layer's outputs at every training step, so
that no neuron can rely on any particular other neuron being there. It has two modes, chosen by
the box's ``training`` attribute, which ``Sequential.train()`` and ``Sequential.eval()`` set and
``fit`` switches for you: training during the mini-batches, evaluation for the recorded losses.
"""
from __future__ import annotations

import numbers

import numpy as np

from ._checks import as_rng, describe
from .layers import Layer, NoInputYet


class Dropout(Layer):
    r"""Inverted dropout with drop probability :math:`p`.

    Training mode (``training = True``): every entry of the input is kept with probability
    :math:`1-p` and scaled by :math:`1/(1-p)`, or set to 0 with probability :math:`p`:

    .. math::
        A = X \odot M, \qquad M_{nj} = \frac{r_{nj}}{1-p}, \quad
        r_{nj} \sim \mathrm{Bernoulli}(1-p),

    so that :math:`\mathbb E[A] = X`. Evaluation mode (``training = False``): :math:`A = X`.

    Backward: :math:`\partial C/\partial X = \partial C/\partial A \odot M` with the mask
    :math:`M` of the last forward pass (:math:`\partial C/\partial A` itself in evaluation mode).

    Parameters
    ----------
    p : the probability of dropping an entry, :math:`0 \le p < 1`.
    seed : an int or a ``numpy.random.Generator`` for the masks (None: unseeded). An int seed is
        saved with the network (``config()``), so a loaded network draws the same masks.

    Attributes
    ----------
    mask : :math:`M` of the last training-mode forward pass (None after an evaluation-mode pass).
    fixed_mask : if True, training-mode forward passes reuse ``mask`` instead of drawing a new
        one (when the shape fits). Gradient checks need this: finite differences run the forward
        pass many times and must see the same function each time.

    Shapes: input and output alike, ``(N, n)`` or any other shape (it works element-wise); no
    parameters.
    """

    input_ndim = None  # element-wise: any shape

    def __init__(self, p: float = 0.5, *, seed=None) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, numbers.Real):
            raise TypeError(f"Dropout's p must be a number in [0, 1), got {describe(p)}")
        if not 0 <= p < 1:
            raise ValueError(f"Dropout's p is the probability of dropping an entry and must be "
                             f"in [0, 1), got {p!r}" + (" (p = 1 would drop everything)"
                                                        if p == 1 else ""))
        self.p = float(p)
        self.rng = as_rng(seed, "seed")
        self.seed = int(seed) if isinstance(seed, numbers.Integral) else None
        self.mask = NoInputYet(self)
        self.fixed_mask = False

    def __repr__(self) -> str:
        return f"Dropout(p={self.p:g})"

    def config(self) -> dict:
        """``{"type": "Dropout", "p": p, "seed": seed}``: unlike a seed that only drew initial
        weights, this one draws every mask, so it is saved (None for a Generator)."""
        return {**super().config(), "seed": self.seed}

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Training mode: :math:`A = X \\odot M` with a new mask :math:`M = r/(1-p)`;
        evaluation mode: :math:`A = X`."""
        if not self.training or self.p == 0.0:
            self.mask = None
            return X.copy()
        if not (self.fixed_mask and isinstance(self.mask, np.ndarray)
                and self.mask.shape == X.shape):
            dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)
            r = self.rng.random(X.shape, dtype=dtype) >= self.p   # kept with probability 1 − p
            self.mask = r.astype(dtype) / dtype.type(1.0 - self.p)
        return X * self.mask

    def backward(self, dA: np.ndarray) -> np.ndarray | None:
        """:math:`\\partial C/\\partial X = \\partial C/\\partial A \\odot M` (``dA`` itself, as a
        copy, after an evaluation-mode pass)."""
        if not self.input_grad:
            return None
        return dA.copy() if self.mask is None else dA * self.mask


__all__ = ["Dropout"]
