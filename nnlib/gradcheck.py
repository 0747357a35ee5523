r"""Gradient checking: compare backpropagation with finite differences.

The central difference :math:`\frac{f(w+\epsilon) - f(w-\epsilon)}{2\epsilon}` approximates
:math:`\partial f/\partial w` with an error of order :math:`\epsilon^2`. It needs two forward passes
*per weight* — far too slow for training, perfect for checking.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ._checks import as_array, check_positive, describe
from .losses import get_loss


def _number(value) -> float:
    if np.ndim(value) != 0 or isinstance(value, (str, bytes)):
        raise TypeError(f"f must return one number, got {describe(value)}")
    return float(value)


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    r"""Central-difference estimate of :math:`\partial f/\partial x` for every entry of ``x``.

    ``f`` takes no arguments and reads ``x`` (which this function nudges **in place** and puts
    back). Returns an array of the shape of ``x``. Costs ``2 * x.size`` calls of ``f``.
    """
    if not callable(f):
        raise TypeError(f"f must be a function of no arguments returning a number, got {describe(f)}")
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(f"x must be a float numpy array that f reads, got {describe(x)}")
    eps = check_positive(eps, "eps")
    if not x.flags.c_contiguous:
        raise ValueError("x must be a C-contiguous array so that it can be nudged in place")
    grad = np.zeros_like(x, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)  # views: writing flat nudges x
    for i in range(flat.size):  # one weight at a time: this is exactly why it is slow
        old = flat[i]
        flat[i] = old + eps
        f_plus = _number(f())
        flat[i] = old - eps
        f_minus = _number(f())
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def numerical_derivative(f: Callable, z, eps: float = 1e-6) -> np.ndarray:
    r"""Element-wise central difference :math:`(f(z+\epsilon)-f(z-\epsilon))/2\epsilon` of an
    element-wise function ``f`` (such as an activation), vectorised over ``z``."""
    z = as_array(z, "z")
    eps = check_positive(eps, "eps")
    return (f(z + eps) - f(z - eps)) / (2 * eps)


def relative_error(a, b) -> float:
    r""":math:`\|a-b\| / (\|a\|+\|b\|)` (Euclidean norms); 0 when both are zero."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: shapes differ, {a.shape} vs {b.shape}")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


@dataclass
class GradientCheck:
    """Result of ``gradient_check``: the relative error of every parameter's gradient."""

    errors: dict[str, float]
    analytic: dict[str, np.ndarray]
    numeric: dict[str, np.ndarray]

    @property
    def max_relative_error(self) -> float:
        return max(self.errors.values()) if self.errors else 0.0

    def passed(self, tol: float = 1e-7) -> bool:
        return self.max_relative_error < tol

    def __repr__(self) -> str:
        rows = ", ".join(f"{k}: {v:.1e}" for k, v in self.errors.items())
        return f"GradientCheck(max relative error {self.max_relative_error:.1e}; {rows})"


def gradient_check(net, X, y, loss, eps: float = 1e-6) -> GradientCheck:
    r"""Compare ``net.backward``'s gradients with central differences for **every** parameter.

    Returns a ``GradientCheck`` whose ``max_relative_error`` is below about 1e-7 in float64 when
    backpropagation is right (see ``relative_error`` for the definition). Keep the network small:
    the cost is two forward passes per parameter.
    """
    from .losses import Loss

    if isinstance(X, (str, Loss)) or (isinstance(X, type) and issubclass(X, Loss)):
        raise TypeError("gradient_check(net, X, y, loss) takes the loss last, like evaluate and "
                        f"fit; got the loss {X!r} in the place of X")
    loss = get_loss(loss)
    params = net.parameters()
    if any(p.dtype != np.float64 for _, p in params):
        raise TypeError("gradient_check needs a float64 network: float32 rounding (~1e-7) "
                        "swamps the finite differences")

    out = net.forward(X)
    net.backward(loss.gradient(out, y))
    analytic = {name: g.copy() for name, g in net.gradients()}

    def f() -> float:
        return loss(net.forward(X), y)

    numeric = {name: numerical_gradient(f, p, eps) for name, p in params}
    errors = {name: relative_error(analytic[name], numeric[name]) for name in analytic}
    return GradientCheck(errors, analytic, numeric)
