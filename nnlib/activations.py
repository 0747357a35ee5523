r"""Activation functions :math:`\sigma` and their derivatives :math:`\sigma'`.

Each activation is available in two forms:

* plain functions on arrays, e.g. ``sigmoid(z)`` and ``sigmoid_derivative(z)``, for plots and
  hand calculations;
* boxes (``Sigmoid()``, ``ReLU()``, …) that sit between ``Dense`` layers in a network. Their
  ``backward`` multiplies the incoming gradient by :math:`\sigma'(z)` element by element,
  :math:`\partial \mathcal{L}/\partial z = \partial \mathcal{L}/\partial a \odot \sigma'(z)`; softmax, whose outputs
  depend on every input, uses its Jacobian–vector product instead.

All functions work element-wise on arrays of any shape (softmax: along the last axis) and never
overflow: ``sigmoid(±1000)`` and ``softmax([1000, -1000])`` are finite and raise no warning.
"""
from __future__ import annotations

import math

import numpy as np
from ._checks import as_array, check_choice, check_positive
from .layers import Layer, NoInputYet

_SQRT2 = math.sqrt(2.0)  # Python floats keep float32 arrays float32


def erf(x):
    """The error function, from SciPy (imported on first use: it costs ~0.2 s at start-up).

    Where SciPy is not loaded (the in-browser edition loads it only for a chapter that imports
    it), ``math.erf`` entry by entry: the same function to within a unit in the last place."""
    try:
        from scipy.special import erf as _erf
    except ImportError:
        x = np.asarray(x)
        return np.asarray(_math_erf(x), dtype=x.dtype if x.dtype.kind == "f" else np.float64)[()]
    return _erf(x)


_math_erf = np.frompyfunc(math.erf, 1, 1)

_SQRT2PI = math.sqrt(2.0 * math.pi)


def _z(z) -> np.ndarray:
    # A float array is used as it is (the boxes call these functions on every mini-batch, and
    # NaN in gives NaN out, as in numpy); anything else is converted and checked.
    if isinstance(z, np.ndarray) and z.dtype.kind == "f":
        return z
    return as_array(z, "z")


# ----------------------------------------------------------------------------- functions
def identity(z):
    r""":math:`\sigma(z) = z`."""
    return _z(z).copy()


def identity_derivative(z):
    r""":math:`\sigma'(z) = 1`."""
    return np.ones_like(_z(z))


def sign(z):
    r"""The sign function: :math:`+1` for :math:`z>0`, :math:`-1` for :math:`z<0`, :math:`0` at 0."""
    return np.sign(_z(z))


def sign_derivative(z):
    r""":math:`0` everywhere (undefined at :math:`z=0`; we use 0). Gradients cannot flow through it."""
    return np.zeros_like(_z(z))


def step(z):
    r"""The Heaviside step: :math:`1` for :math:`z \ge 0`, else :math:`0`."""
    z = _z(z)
    return (z >= 0).astype(z.dtype)


def step_derivative(z):
    r""":math:`0` everywhere (undefined at :math:`z=0`; we use 0)."""
    return np.zeros_like(_z(z))


def sigmoid(z):
    r""":math:`\sigma(z) = 1/(1+e^{-z})`, range :math:`(0, 1)`.

    Computed from :math:`e^{-|z|}`, which never overflows, instead of :math:`e^{-z}`.
    """
    z = _z(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def sigmoid_derivative(z):
    r""":math:`\sigma'(z) = \sigma(z)\,(1-\sigma(z))`."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z):
    r""":math:`\tanh z = (e^{z}-e^{-z})/(e^{z}+e^{-z})`, range :math:`(-1, 1)`."""
    return np.tanh(_z(z))


def tanh_derivative(z):
    r""":math:`\tanh'(z) = 1-\tanh^2 z`."""
    t = np.tanh(_z(z))
    return 1.0 - t * t


def relu(z):
    r""":math:`\mathrm{ReLU}(z) = \max(0, z)`, range :math:`[0, \infty)`."""
    return np.maximum(_z(z), 0.0)


def relu_derivative(z):
    r""":math:`1` for :math:`z>0`, :math:`0` for :math:`z<0` (we use 0 at :math:`z=0`)."""
    z = _z(z)
    return (z > 0).astype(z.dtype)


def leaky_relu(z, alpha: float = 0.01):
    r""":math:`z` for :math:`z>0`, :math:`\alpha z` otherwise."""
    z = _z(z)
    return np.where(z > 0, z, alpha * z).astype(z.dtype, copy=False)


def leaky_relu_derivative(z, alpha: float = 0.01):
    r""":math:`1` for :math:`z>0`, :math:`\alpha` otherwise."""
    z = _z(z)
    return np.where(z > 0, 1.0, alpha).astype(z.dtype, copy=False)


def gelu(z):
    r"""Exact GELU: :math:`z\,\Phi(z)` with :math:`\Phi(z)=\tfrac12(1+\operatorname{erf}(z/\sqrt2))`
    the standard normal CDF."""
    z = _z(z)
    return z * 0.5 * (1.0 + erf(z / _SQRT2))


def gelu_derivative(z):
    r""":math:`\mathrm{GELU}'(z) = \Phi(z) + z\,\varphi(z)`, with :math:`\varphi` the normal density."""
    z = _z(z)
    phi = np.exp(-0.5 * z * z) / _SQRT2PI
    return 0.5 * (1.0 + erf(z / _SQRT2)) + z * phi


def softmax(z):
    r""":math:`\mathrm{softmax}(z)_k = e^{z_k}/\sum_j e^{z_j}` along the last axis.

    Outputs are positive and sum to 1. Subtracting :math:`\max_j z_j` first leaves the result
    unchanged (it cancels in the fraction) and keeps every exponent :math:`\le 0`, so nothing
    overflows.
    """
    z = _z(z)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_jacobian(z):
    r"""The Jacobian :math:`J_{ij} = \partial s_i/\partial z_j = s_i(\mathbb{1}[i = j] - s_j)` of one vector.

    ``z`` of shape ``(K,)`` gives ``(K, K)``; a batch ``(N, K)`` gives ``(N, K, K)``.
    """
    s = softmax(z)
    eye = np.eye(s.shape[-1], dtype=s.dtype)
    return s[..., :, None] * (eye - s[..., None, :])


def softmax_vjp(z, v):
    r"""The vector–Jacobian product :math:`J^\top v` without building :math:`J`:
    :math:`s \odot (v - (v\cdot s))` with :math:`s = \mathrm{softmax}(z)`.

    This is how the gradient flows back through softmax: ``v`` is :math:`\partial \mathcal{L}/\partial s`,
    the result is :math:`\partial \mathcal{L}/\partial z`. (:math:`J` is symmetric, so :math:`J^\top v = J v`.)
    ``z`` and ``v``: ``(K,)`` or a batch ``(N, K)``.
    """
    s = softmax(z)
    v = as_array(v, "v", dtype=s.dtype)
    if v.shape != s.shape:
        raise ValueError(f"v must have the shape of z {s.shape}, got {v.shape}")
    return s * (v - (v * s).sum(axis=-1, keepdims=True))


# ----------------------------------------------------------------------------- boxes
class Activation(Layer):
    r"""A box that applies :math:`a = \sigma(z)` element-wise; backward: :math:`\delta \odot \sigma'(z)`.

    Shapes: input and output ``(N, n)`` (or any shape; it works element-wise).
    """

    name = "activation"
    fn = staticmethod(identity)
    derivative = staticmethod(identity_derivative)
    #: the range of the function, as text for tables and plots
    output_range = "(-∞, ∞)"
    input_ndim = None  # element-wise: any shape

    def __init__(self) -> None:
        super().__init__()
        self.dA_dZ = NoInputYet(self)  # σ'(Z) of the last input, kept for backward

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def forward(self, Z: np.ndarray) -> np.ndarray:
        r""":math:`A = \sigma(Z)`; keeps :math:`\sigma'(Z)` for backward."""
        self.dA_dZ = self.derivative(Z)
        return self.fn(Z)

    def backward(self, dA: np.ndarray) -> np.ndarray:
        r""":math:`\partial C/\partial Z = \partial C/\partial A \odot \sigma'(Z)`."""
        return dA * self.dA_dZ


class Identity(Activation):
    name, fn, derivative, output_range = ("identity", staticmethod(identity),
                                          staticmethod(identity_derivative), "(-∞, ∞)")


class Sign(Activation):
    name, fn, derivative, output_range = ("sign", staticmethod(sign),
                                          staticmethod(sign_derivative), "{-1, 0, 1}")


class Step(Activation):
    name, fn, derivative, output_range = ("step", staticmethod(step),
                                          staticmethod(step_derivative), "{0, 1}")


class Sigmoid(Activation):
    name, fn, derivative, output_range = ("sigmoid", staticmethod(sigmoid),
                                          staticmethod(sigmoid_derivative), "(0, 1)")

    def forward(self, Z: np.ndarray) -> np.ndarray:
        r""":math:`A = \sigma(Z)`; keeps :math:`\sigma'(Z) = A \odot (1 - A)` for backward (from
        the output, so the exponentials are computed once)."""
        A = sigmoid(Z)
        self.dA_dZ = A * (1.0 - A)
        return A


class Tanh(Activation):
    name, fn, derivative, output_range = ("tanh", staticmethod(tanh),
                                          staticmethod(tanh_derivative), "(-1, 1)")

    def forward(self, Z: np.ndarray) -> np.ndarray:
        r""":math:`A = \tanh Z`; keeps :math:`\tanh'(Z) = 1 - A^2` for backward (from the
        output, so the exponentials are computed once)."""
        A = np.tanh(Z)
        self.dA_dZ = 1.0 - A * A
        return A


class ReLU(Activation):
    name, fn, derivative, output_range = ("relu", staticmethod(relu),
                                          staticmethod(relu_derivative), "[0, ∞)")

    def forward(self, Z: np.ndarray) -> np.ndarray:
        r""":math:`A = \max(0, Z)`; keeps :math:`\sigma'(Z) = \mathbb 1[Z > 0]` for backward.
        (The formulas of ``relu`` and ``relu_derivative``, written out: the most used box skips
        their check of the input, which the network's boundary did already.)"""
        self.dA_dZ = (Z > 0).astype(Z.dtype)
        return np.maximum(Z, 0.0)


class GELU(Activation):
    name, fn, derivative, output_range = ("gelu", staticmethod(gelu),
                                          staticmethod(gelu_derivative), "[-0.17, ∞)")


class LeakyReLU(Activation):
    r"""Leaky ReLU with slope ``alpha`` for :math:`z \le 0` (default 0.01)."""

    name, output_range = "leaky_relu", "(-∞, ∞)"

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = check_positive(alpha, "alpha")

    def __repr__(self) -> str:
        return f"LeakyReLU(alpha={self.alpha})"

    def fn(self, z):
        return leaky_relu(z, self.alpha)

    def derivative(self, z):
        return leaky_relu_derivative(z, self.alpha)


class Softmax(Activation):
    r"""Softmax over the features of each example: :math:`s = \mathrm{softmax}(z)`. Backward is the
    vector–Jacobian product :math:`\partial \mathcal{L}/\partial z = s \odot (\delta - (\delta\cdot s))`
    (``softmax_vjp``), because every output depends on every input."""

    name, fn, output_range = "softmax", staticmethod(softmax), "(0, 1), summing to 1"

    def __init__(self) -> None:
        super().__init__()
        self.S = NoInputYet(self)  # softmax of the last input, kept for backward

    def derivative(self, z):
        raise TypeError("softmax has no element-wise derivative: its outputs depend on all "
                        "inputs. Use softmax_jacobian(z) or softmax_vjp(z, v)")

    def forward(self, Z: np.ndarray) -> np.ndarray:
        r""":math:`S = \mathrm{softmax}(Z)` for every row; keeps :math:`S` for backward."""
        self.S = softmax(Z)
        return self.S.copy()

    def backward(self, dA: np.ndarray) -> np.ndarray:
        r""":math:`\partial C/\partial Z = J^\top \delta = S \odot (\delta - (\delta\cdot S))`
        for every row (as ``softmax_vjp``)."""
        S = self.S
        return S * (dA - (dA * S).sum(axis=-1, keepdims=True))


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Identity, Sign, Step, Sigmoid, Tanh, ReLU, LeakyReLU, GELU, Softmax)
}


def get_activation(name) -> Activation:
    """A new activation box from its name (``"sigmoid"``, ``"relu"``, …) or class, or the box
    itself when given one."""
    if isinstance(name, Activation):
        return name
    if isinstance(name, type) and issubclass(name, Activation):
        return name()
    key = check_choice(name, "activation", ACTIVATIONS)
    return ACTIVATIONS[key]()
