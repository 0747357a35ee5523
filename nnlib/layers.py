r"""Boxes that make up a network: the base class ``Layer`` and the linear box ``Dense``.

The book draws a network as a chain of boxes. Each box knows two things:

* ``forward(X)``: its output for a mini-batch ``X``; and
* ``backward(dA)``: given :math:`\partial L/\partial(\text{output})`, it stores the gradients of its
  own parameters and returns :math:`\partial L/\partial(\text{input})`.

Shapes follow one rule everywhere: **rows are examples**. A mini-batch of ``N`` inputs with
``n_in`` features is an array of shape ``(N, n_in)``.
"""
from __future__ import annotations

import numpy as np

from ._checks import as_array, as_rng, check_choice, check_int, describe


class Layer:
    """One box of a network.

    Subclasses set ``self.params`` (name → array) and ``self.grads`` (name → array of the same
    shape), implement ``forward`` and ``backward``, and describe themselves in ``config()`` so that
    a network can be saved without pickle.
    """

    params: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]
    #: training mode (True) or evaluation mode (False); only boxes such as Dropout behave
    #: differently. ``Sequential.train()``/``eval()`` set it; ``fit`` switches it.
    training: bool = True

    def __init__(self) -> None:
        self.params = {}
        self.grads = {}

    def forward(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, dA: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, X) -> np.ndarray:
        return self.forward(X)

    # The training loop (``nnlib.training.fit``) checks the data once, before the first epoch,
    # and then calls these two unchecked versions: the same computation without converting and
    # checking every array at every box. A box that does not override them falls back to its
    # checked ``forward``/``backward``.
    def _forward(self, X: np.ndarray) -> np.ndarray:
        return self.forward(X)

    def _backward(self, dA: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        return self.backward(dA)

    @property
    def n_params(self) -> int:
        """Number of trainable numbers in this box."""
        return int(sum(p.size for p in self.params.values()))

    def config(self) -> dict:
        """A JSON-friendly description from which ``nnlib.network.layer_from_config`` rebuilds it."""
        return {"type": type(self).__name__}

    def _check_backward(self, dA, expected_shape, dtype=np.float64) -> np.ndarray:
        if expected_shape is None:
            raise RuntimeError(f"{self!r}.backward() was called before forward(); "
                               "run a forward pass first")
        dA = as_array(dA, f"the gradient passed to {self!r}.backward()", dtype=dtype)
        if dA.shape != expected_shape:
            raise ValueError(f"{self!r}.backward() expects a gradient of shape {expected_shape} "
                             f"(the shape of its last output), got {dA.shape}")
        return dA


INITIALISERS = ("gaussian", "xavier", "he", "zeros")


def init_weights(n_in: int, n_out: int, init: str = "xavier", rng=None,
                 dtype=np.float64) -> np.ndarray:
    r"""Random weights of shape ``(n_out, n_in)``.

    * ``"gaussian"``: :math:`W_{jk} \sim \mathcal N(0, 1)` (the classic textbook choice);
    * ``"xavier"`` (Glorot): :math:`\mathcal N(0, 2/(n_{in}+n_{out}))`, good for sigmoid/tanh;
    * ``"he"``: :math:`\mathcal N(0, 2/n_{in})`, good for ReLU;
    * ``"zeros"``: all zero (only useful to show why random initialisation matters).
    """
    init = check_choice(init, "initialiser", INITIALISERS)
    rng = as_rng(rng)
    if init == "zeros":
        return np.zeros((n_out, n_in), dtype=dtype)
    std = {"gaussian": 1.0,
           "xavier": np.sqrt(2.0 / (n_in + n_out)),
           "he": np.sqrt(2.0 / n_in)}[init]
    return (rng.standard_normal((n_out, n_in)) * std).astype(dtype, copy=False)


class Dense(Layer):
    r"""A fully connected (linear) box: :math:`z = W a + b` for every example.

    Parameters
    ----------
    n_in, n_out : numbers of inputs and of neurons in this layer.
    bias : whether the layer has a bias vector ``b``.
    init : ``"gaussian"``, ``"xavier"`` (default), ``"he"`` or ``"zeros"`` (see ``init_weights``).
    rng : an int seed or a ``numpy.random.Generator`` for the initial weights.
    dtype : ``numpy.float64`` (default) or ``numpy.float32``.

    Shapes
    ------
    ``W``: ``(n_out, n_in)`` — row :math:`j` holds the weights of neuron :math:`j`;
    ``b``: ``(n_out,)``; input ``A``: ``(N, n_in)``; output ``Z``: ``(N, n_out)``.
    With rows as examples the batched formula is :math:`Z = A W^\top + b`.

    Backward, for :math:`\Delta = \partial L/\partial Z` of shape ``(N, n_out)``:
    :math:`\partial L/\partial W = \Delta^\top A`, :math:`\partial L/\partial b = \sum_n \Delta_n`,
    :math:`\partial L/\partial A = \Delta W`.
    """

    def __init__(self, n_in: int, n_out: int, *, bias: bool = True, init: str = "xavier",
                 rng=None, dtype=np.float64) -> None:
        super().__init__()
        self.n_in = check_int(n_in, "n_in")
        self.n_out = check_int(n_out, "n_out")
        if not isinstance(bias, bool):
            raise TypeError(f"bias must be True or False, got {describe(bias)}")
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype must be float64 or float32, got {self.dtype}")
        self.bias = bias
        self.init = init
        self.params["W"] = init_weights(self.n_in, self.n_out, init, rng, self.dtype)
        self.grads["W"] = np.zeros_like(self.params["W"])
        if bias:
            self.params["b"] = np.zeros(self.n_out, dtype=self.dtype)
            self.grads["b"] = np.zeros_like(self.params["b"])
        self._A: np.ndarray | None = None

    @property
    def W(self) -> np.ndarray:
        """The weight matrix, shape ``(n_out, n_in)``."""
        return self.params["W"]

    @W.setter
    def W(self, value) -> None:
        self._set("W", value)

    @property
    def b(self) -> np.ndarray | None:
        """The bias vector, shape ``(n_out,)``, or None for a layer without bias."""
        return self.params.get("b")

    @b.setter
    def b(self, value) -> None:
        if not self.bias:
            raise ValueError(f"{self!r} was created with bias=False and has no b to set")
        self._set("b", value)

    def _set(self, name: str, value) -> None:
        old = self.params[name]
        value = as_array(value, f"{self!r}.{name}", dtype=self.dtype)
        if value.shape != old.shape:
            raise ValueError(f"{self!r}.{name} must have shape {old.shape}, got {value.shape}")
        old[...] = value  # in place, so optimizers holding a reference stay valid

    def __repr__(self) -> str:
        return f"Dense({self.n_in}→{self.n_out}{'' if self.bias else ', bias=False'})"

    def forward(self, A) -> np.ndarray:
        A = as_array(A, f"the input of {self!r}", ndim=(1, 2), dtype=self.dtype)
        single = A.ndim == 1
        if single:
            A = A[None, :]
        if A.shape[1] != self.n_in:
            raise ValueError(f"{self!r} expects inputs with {self.n_in} features, "
                             f"got {A.shape[1]} (input shape {A.shape if not single else A.shape[1:]})")
        Z = self._forward(A)
        self._single = single
        return Z[0] if single else Z

    def _forward(self, A: np.ndarray) -> np.ndarray:
        # Z = A Wᵀ + b for a batch A of shape (N, n_in), already checked.
        self._A, self._single = A, False
        Z = A @ self.params["W"].T
        if self.bias:
            Z += self.params["b"]
        return Z

    def backward(self, dZ) -> np.ndarray:
        expected = None if self._A is None else (
            (self.n_out,) if self._single else (self._A.shape[0], self.n_out))
        dZ = self._check_backward(dZ, expected, self.dtype)
        if self._single:
            dZ = dZ[None, :]
        # Write into the existing gradient arrays: no new array per parameter per step.
        np.matmul(dZ.T, self._A, out=self.grads["W"])
        if self.bias:
            np.sum(dZ, axis=0, out=self.grads["b"])
        dA = dZ @ self.params["W"]
        return dA[0] if self._single else dA

    def _backward(self, dZ: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        # backward for the training loop: the same formulas on a batch that is already checked.
        # ∂L/∂A = Δ W is skipped when nothing needs it: the first layer's input is the data.
        if dZ.dtype != self.dtype:
            dZ = dZ.astype(self.dtype)
        np.matmul(dZ.T, self._A, out=self.grads["W"])
        if self.bias:
            dZ.sum(axis=0, out=self.grads["b"])
        return dZ @ self.params["W"] if input_grad else None

    def config(self) -> dict:
        return {"type": "Dense", "n_in": self.n_in, "n_out": self.n_out, "bias": self.bias,
                "dtype": self.dtype.name}
