r"""Boxes that make up a network: the base class ``Layer`` and the linear box ``Dense``.

The book draws a network as a chain of boxes. Every box has one path:

* ``forward(X)``: the formula of its docstring on a batch ``X`` (rows are examples); it stores
  what ``backward`` needs, never an array that someone may still change: a copy, unless the
  array is read-only, as the arrays a network passes from box to box are (``keep``, ``hand_on``);
* ``backward(dZ)``: given :math:`\partial C/\partial(\text{output})`, only the formulas: it writes
  the gradients of its own parameters into ``self.grads`` (the same arrays every time) and
  returns :math:`\partial C/\partial(\text{input})` (or None when ``input_grad`` is False);
* ``check_input(X)``: raises a clear error for an input the box cannot take.

Calling a box, ``box(X)``, is the boundary where data enters: it converts ``X`` to a float
array, turns a single example into a batch of one (and the output back into one example),
calls ``check_input`` and then ``forward``, and refuses an output with NaN or inf. The training
loop checks its data once and then runs ``forward`` and ``backward`` themselves.
"""
from __future__ import annotations

import inspect

import numpy as np

from ._checks import (NonFiniteError, as_array, as_rng, check_choice, check_int, describe,
                      first_non_finite, float_dtype_of)


class Layer:
    """One box of a network.

    The class is called ``Layer``, as in Keras, and ``Sequential.layers`` lists the boxes; but a
    *layer* in the book's sense (neurons that see the same inputs) is two boxes: ``Dense``, then
    its activation.

    A subclass sets ``self.params`` (name → array) and ``self.grads`` (name → array of the same
    shape) in ``__init__``, implements ``forward`` and ``backward`` (and ``check_input`` if it
    takes only some shapes), and stores every constructor argument under its own name, so that
    ``config()`` can describe it. Defining the class registers it in ``Layer.registry``: a new
    box saves and loads with ``Sequential.save``/``load`` without further code.
    """

    #: every box class by name, filled by ``__init_subclass__``; used by ``layer_from_config``
    registry: dict[str, type["Layer"]] = {}
    #: the number of dimensions of a batch (None: any shape, e.g. element-wise boxes); an input
    #: with one dimension fewer is a single example, which ``__call__`` turns into a batch of one
    input_ndim: int | None = 2
    #: True for a box whose ``check_input`` also judges the number of dimensions (and names the
    #: expected shape, e.g. "(N, 1, H, W)"): the boundary then promotes one example and hands it
    #: any other array as it is, instead of refusing it with a generic message
    checks_ndim: bool = False
    #: the float type the box computes in (None: the input's float type, float64 otherwise)
    dtype: np.dtype | None = None

    params: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        Layer.registry[cls.__name__] = cls

    def __init__(self) -> None:
        self.params = {}
        self.grads = {}
        #: training mode (True) or evaluation mode (False); ``Sequential.train()``/``eval()``
        self.training = True
        #: False when nothing needs ∂C/∂(input): ``backward`` may then skip it and return None
        self.input_grad = True

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def forward(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, dZ: np.ndarray) -> np.ndarray | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def check_input(self, X: np.ndarray) -> None:
        """Raise a ``ValueError`` that names the expected shape if this box cannot take the batch
        ``X`` (already a float array). The base class accepts every batch."""

    def __call__(self, X) -> np.ndarray:
        """The boundary: convert, promote a single example, check, then ``forward``."""
        X, single = to_batch(X, f"the input of {self!r}", self.input_ndim,
                             self.dtype or float_dtype_of(X), strict=not self.checks_ndim)
        self.check_input(X)
        out = self.forward(X)
        check_output(self, out)
        return out[0] if single else out

    @property
    def n_params(self) -> int:
        """Number of trainable numbers in this box."""
        return int(sum(p.size for p in self.params.values()))

    def config(self) -> dict:
        """A JSON-friendly description: ``{"type": class name, constructor argument: value, …}``,
        from which ``nnlib.network.layer_from_config`` rebuilds the box (parameters are saved
        separately). Reads every constructor argument from the attribute of the same name."""
        config = {"type": type(self).__name__}
        for name in inspect.signature(type(self).__init__).parameters:
            if name in ("self", "seed") or name.startswith("_"):
                continue  # the seed only drew the initial weights, which are saved anyway
            value = getattr(self, name)
            config[name] = value.name if isinstance(value, np.dtype) else value
        return config


def to_batch(X, name: str, ndim: int | None, dtype, strict: bool = True) -> tuple[np.ndarray, bool]:
    """``X`` as a finite float array of ``ndim`` dimensions, and whether it was one example
    (``ndim - 1`` dimensions, now a batch of one). ``strict=False`` leaves an array of any other
    number of dimensions as it is, for a ``check_input`` that explains what it expects."""
    if ndim is None:
        return as_array(X, name, dtype=dtype), False
    X = as_array(X, name, ndim=(ndim - 1, ndim) if strict else None, dtype=dtype)
    single = X.ndim == ndim - 1
    return (X[None] if single else X), single


def check_batch(box: "Layer", X: np.ndarray) -> None:
    """``box.check_input(X)`` for a batch inside a network, after checking that ``X`` has the
    number of dimensions of the box's batches (unless ``check_input`` judges that itself)."""
    if box.input_ndim is not None and not box.checks_ndim and X.ndim != box.input_ndim:
        hint = "; a Flatten() before it lays each example out as one row" \
            if box.input_ndim == 2 and X.ndim > 2 else ""
        raise ValueError(f"the input of {box!r} must be a batch of {box.input_ndim} dimensions, "
                         f"got shape {X.shape} from the box before it{hint}")
    box.check_input(X)


class NoInputYet:
    """What a box keeps for ``backward`` before its first ``forward``: using it in a formula
    (as an array, through one of its methods, or by unpacking a stored shape) raises an error
    that says so (instead of numpy's message about an object)."""

    def __init__(self, box) -> None:
        self.box = box

    def fail(self, *args, **kwargs):
        raise RuntimeError(f"{self.box!r}.backward() was called before forward(); run a "
                           "forward pass first")

    __array__ = __iter__ = __index__ = fail

    def __getattr__(self, name: str):
        if name.startswith("__"):  # Python's own look-ups (copy, pickle) find nothing here
            raise AttributeError(name)
        self.fail()


def keep(buffer, X: np.ndarray) -> np.ndarray:
    """A private copy of ``X`` for ``backward``, written into ``buffer`` when that has the shape
    and type of ``X`` (so that training does not ask for new memory at every step).

    An array that is read-only, together with the memory it views (``fit``'s mini-batches),
    cannot change before ``backward``: it is kept as it is, without a copy."""
    if not X.flags.writeable and (X.base is None or not X.base.flags.writeable):
        return X
    if (not isinstance(buffer, np.ndarray) or buffer.shape != X.shape
            or buffer.dtype != X.dtype or not buffer.flags.writeable):
        return X.copy()
    np.copyto(buffer, X)
    return buffer


def hand_on(out: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``out``, a box's output for input ``X``, made read-only before it goes on to the next box
    of a network: no one outside the network holds it, so the next box may keep it for
    ``backward`` without a copy (``keep``), and a box that tried to change its input in place
    (which would spoil what the box before it kept) fails at once. An output that is the input
    itself is passed on unchanged: it may be the caller's array. (Making a view read-only leaves
    the array it views as it was.)"""
    if out is not X:
        out.setflags(write=False)
    return out


def check_output(box, out: np.ndarray) -> None:
    """Refuse an output with NaN or inf, naming the parameter that holds one if any does."""
    if np.isfinite(out).all():
        return
    bad = first_non_finite(box.params.items())
    why = (f"its parameter {bad} contains NaN or inf" if bad is not None else
           "the numbers grew too large or an operation was undefined")
    raise NonFiniteError(f"{box!r} produced NaN or inf: {why}")


def check_float_dtype(dtype) -> np.dtype:
    """``dtype`` as a numpy float type a box with parameters computes in: float64 or float32."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float64 or float32, got {describe(dtype)}") from None
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float64 or float32, got {dtype}")
    return dtype


INITIALISERS = ("gaussian", "xavier", "he", "zeros")


def init_weights(n_in: int, n_out: int, init: str = "xavier", seed=None,
                 dtype=np.float64) -> np.ndarray:
    r"""Random weights of shape ``(n_out, n_in)``.

    * ``"gaussian"``: :math:`W_{jk} \sim \mathcal N(0, 1)` (the classic textbook choice);
    * ``"xavier"`` (Glorot): :math:`\mathcal N(0, 2/(n_{in}+n_{out}))`, good for sigmoid/tanh;
    * ``"he"``: :math:`\mathcal N(0, 2/n_{in})`, good for ReLU;
    * ``"zeros"``: all zero (only useful to show why random initialisation matters).

    ``seed``: an int or a ``numpy.random.Generator`` (None: unseeded).
    """
    init = check_choice(init, "initialiser", INITIALISERS)
    rng = as_rng(seed, "seed")
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
    seed : an int or a ``numpy.random.Generator`` for the initial weights.
    dtype : ``numpy.float64`` (default) or ``numpy.float32``.

    Shapes
    ------
    ``W``: ``(n_out, n_in)`` — row :math:`j` holds the weights of neuron :math:`j`;
    ``b``: ``(n_out,)``; input ``A``: ``(N, n_in)``; output ``Z``: ``(N, n_out)``.
    With rows as examples the batched formula is :math:`Z = A W^\top + b`.

    Backward, for :math:`\Delta = \partial C/\partial Z` of shape ``(N, n_out)``:
    :math:`\partial C/\partial W = \Delta^\top A`, :math:`\partial C/\partial b = \sum_n \Delta_n`,
    :math:`\partial C/\partial A = \Delta W`.
    """

    def __init__(self, n_in: int, n_out: int, *, bias: bool = True, init: str = "xavier",
                 seed=None, dtype=np.float64) -> None:
        super().__init__()
        self.n_in = check_int(n_in, "n_in")
        self.n_out = check_int(n_out, "n_out")
        if not isinstance(bias, bool):
            raise TypeError(f"bias must be True or False, got {describe(bias)}")
        self.dtype = check_float_dtype(dtype)
        self.bias = bias
        self.init = check_choice(init, "initialiser", INITIALISERS)
        self.params["W"] = init_weights(self.n_in, self.n_out, init, seed, self.dtype)
        self.grads["W"] = np.zeros_like(self.params["W"])
        if bias:
            self.params["b"] = np.zeros(self.n_out, dtype=self.dtype)
            self.grads["b"] = np.zeros_like(self.params["b"])
        self.A = NoInputYet(self)  # the last input, kept for backward

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

    def check_input(self, A: np.ndarray) -> None:
        if A.shape[1] != self.n_in:
            raise ValueError(f"{self!r} expects inputs with {self.n_in} features, "
                             f"got {A.shape[1]}")

    def forward(self, A: np.ndarray) -> np.ndarray:
        """:math:`Z = A W^\\top + b` for a batch ``A`` of shape ``(N, n_in)``."""
        self.A = keep(self.A, A)  # backward needs A: a copy, in case the caller changes its array
        Z = A @ self.W.T
        if self.bias:
            Z += self.b
        return Z

    def backward(self, dZ: np.ndarray) -> np.ndarray | None:
        """Writes ∂C/∂W = Δᵀ A and ∂C/∂b = Σₙ Δₙ into ``grads``; returns ∂C/∂A = Δ W."""
        np.matmul(dZ.T, self.A, out=self.grads["W"])
        if self.bias:
            dZ.sum(axis=0, out=self.grads["b"])
        return dZ @ self.W if self.input_grad else None
