r"""Boxes for sequences: ``Embedding``, ``PositionEmbedding`` and ``SelfAttention``.

A sequence of ``T`` tokens (whole numbers ``0 .. vocab_size-1``, such as digits or word numbers)
travels through a network as a batch of shape ``(N, T)``; after the embedding every token is a
vector, and the batch has shape ``(N, T, d_model)``. One sequence given to ``box(x)`` or
``net(x)`` is a batch of one.
"""
from __future__ import annotations

import math

import numpy as np

from ._checks import as_rng, check_int, describe
from .activations import softmax
from .layers import Layer, NoInputYet, check_float_dtype, keep


class Embedding(Layer):
    r"""A lookup table: token :math:`t` becomes row :math:`t` of the table :math:`E`.

    Shapes: ``E`` is ``(vocab_size, d_model)``; input ``(N, T)`` of token indices; output
    ``(N, T, d_model)`` with :math:`Z_{n,t} = E_{x_{n,t}}`. This is a ``Dense`` layer without bias
    applied to one-hot vectors, :math:`\mathrm{onehot}(x)\,E`, computed without building them.

    Backward: :math:`\partial C/\partial E_v = \sum_{n,t:\ x_{n,t} = v} \partial C/\partial Z_{n,t}`
    (each row collects the gradients of the positions where its token occurs). The input holds
    indices, which have no gradient: ``backward`` returns None, so an embedding comes first.
    """

    input_ndim = 2
    checks_ndim = True

    def __init__(self, vocab_size: int, d_model: int, *, seed=None, dtype=np.float64) -> None:
        super().__init__()
        self.vocab_size = check_int(vocab_size, "vocab_size")
        self.d_model = check_int(d_model, "d_model")
        self.dtype = check_float_dtype(dtype)
        E = as_rng(seed, "seed").standard_normal((self.vocab_size, self.d_model))
        self.params["E"] = E.astype(self.dtype)
        self.grads["E"] = np.zeros_like(self.params["E"])
        self.tokens = NoInputYet(self)  # the last input, as indices, kept for backward

    def __repr__(self) -> str:
        return f"Embedding({self.vocab_size}→{self.d_model})"

    def check_input(self, X: np.ndarray) -> None:
        V = self.vocab_size
        if X.ndim != 2:
            raise ValueError(f"{self!r} expects token indices of shape (N, T), got {describe(X)}")
        if X.size and (X.min() < 0 or X.max() > V - 1 or np.any(X != np.round(X))):
            raise ValueError(f"{self!r} expects whole-number tokens from 0 to {V - 1}, got "
                             f"values from {X.min():g} to {X.max():g}"
                             + ("" if np.all(X == np.round(X)) else " that are not whole numbers"))

    def forward(self, X: np.ndarray) -> np.ndarray:
        """:math:`Z_{n,t} = E_{x_{n,t}}`; keeps the tokens (a new integer array) for backward."""
        self.tokens = X.astype(np.intp)
        return self.params["E"][self.tokens]

    def backward(self, dZ: np.ndarray) -> None:
        """Writes ∂C/∂E (row v: the sum of ∂C/∂Z over the positions of token v) into ``grads``;
        returns None (token indices have no gradient)."""
        dE = self.grads["E"]
        dE[...] = 0.0
        np.add.at(dE, self.tokens, dZ)
        return None


class PositionEmbedding(Layer):
    r"""Adds a learned vector for every position: :math:`Z_{n,t} = X_{n,t} + P_t`.

    Attention by itself treats a sequence as a set (swap two tokens and their outputs swap too);
    this table tells the network where each token stands. Shapes: ``P`` is
    ``(max_len, d_model)``; input and output ``(N, T, d_model)`` with ``T <= max_len``.
    Backward: :math:`\partial C/\partial P_t = \sum_n \partial C/\partial Z_{n,t}`,
    :math:`\partial C/\partial X = \partial C/\partial Z`.
    """

    input_ndim = 3
    checks_ndim = True

    def __init__(self, max_len: int, d_model: int, *, seed=None, dtype=np.float64) -> None:
        super().__init__()
        self.max_len = check_int(max_len, "max_len")
        self.d_model = check_int(d_model, "d_model")
        self.dtype = check_float_dtype(dtype)
        P = as_rng(seed, "seed").standard_normal((self.max_len, self.d_model))
        self.params["P"] = P.astype(self.dtype)
        self.grads["P"] = np.zeros_like(self.params["P"])

    def __repr__(self) -> str:
        return f"PositionEmbedding({self.max_len}, {self.d_model})"

    def check_input(self, X: np.ndarray) -> None:
        if X.ndim != 3 or X.shape[2] != self.d_model:
            raise ValueError(f"{self!r} expects inputs of shape (N, T, {self.d_model}), got "
                             f"{describe(X)}")
        if X.shape[1] > self.max_len:
            raise ValueError(f"{self!r} has positions for at most {self.max_len} tokens, got a "
                             f"sequence of {X.shape[1]}")

    def forward(self, X: np.ndarray) -> np.ndarray:
        """:math:`Z_{n,t} = X_{n,t} + P_t` (nothing to keep: backward needs only the length)."""
        return X + self.params["P"][:X.shape[1]]

    def backward(self, dZ: np.ndarray) -> np.ndarray | None:
        """Writes ∂C/∂P_t = Σₙ ∂C/∂Z_{n,t} into ``grads``; returns ∂C/∂X = ∂C/∂Z."""
        dP = self.grads["P"]
        dP[...] = 0.0
        np.sum(dZ, axis=0, out=dP[:dZ.shape[1]])
        return dZ if self.input_grad else None


def causal_mask(T: int) -> np.ndarray:
    """``(T, T)`` booleans, True where position ``i`` may look at position ``j`` (``j <= i``)."""
    return np.tril(np.ones((T, T), dtype=bool))


class SelfAttention(Layer):
    r"""Single-head scaled dot-product self-attention.

    For one sequence :math:`X` of shape ``(T, d_model)`` (rows are tokens):

    .. math::
        Q = X W_Q^\top,\quad K = X W_K^\top,\quad V = X W_V^\top,\qquad
        S = \frac{Q K^\top}{\sqrt{d_{\text{head}}}},\quad A = \mathrm{softmax}(S)\ \text{(each row)},
        \quad Z = A V .

    Row :math:`i` of :math:`A` says how much token :math:`i` takes from every token :math:`j`;
    each row sums to 1. With ``causal=True`` token :math:`i` only sees tokens :math:`j \le i`
    (:math:`S_{ij} = -\infty` above the diagonal, so :math:`A_{ij} = 0`).

    Shapes: ``W_Q``, ``W_K``, ``W_V``: ``(d_head, d_model)``; input ``(N, T, d_model)``; output
    ``(N, T, d_head)``; ``self.A`` (the last attention weights): ``(N, T, T)``.

    Backward, for :math:`G = \partial C/\partial Z`, with the softmax Jacobian applied row by row
    (:math:`J^\top g = a \odot (g - (g\cdot a))`, ``softmax_vjp``, chapter 4):

    .. math::
        \partial C/\partial A = G V^\top,\quad \partial C/\partial V = A^\top G,\quad
        \partial C/\partial S = A \odot \big(\partial C/\partial A
            - \mathrm{rowsum}(A \odot \partial C/\partial A)\big),

        \partial C/\partial Q = \tfrac{1}{\sqrt{d_{\text{head}}}}\,(\partial C/\partial S)\,K,\quad
        \partial C/\partial K = \tfrac{1}{\sqrt{d_{\text{head}}}}\,(\partial C/\partial S)^\top Q,

        \partial C/\partial W_Q = \textstyle\sum_n (\partial C/\partial Q)^\top X \ \text{(same for K, V)},
        \quad \partial C/\partial X = (\partial C/\partial Q) W_Q + (\partial C/\partial K) W_K
            + (\partial C/\partial V) W_V .
    """

    input_ndim = 3
    checks_ndim = True

    def __init__(self, d_model: int, d_head: int, *, causal: bool = False, seed=None,
                 dtype=np.float64) -> None:
        super().__init__()
        self.d_model = check_int(d_model, "d_model")
        self.d_head = check_int(d_head, "d_head")
        if not isinstance(causal, bool):
            raise TypeError(f"causal must be True or False, got {describe(causal)}")
        self.causal = causal
        self.dtype = check_float_dtype(dtype)
        rng = as_rng(seed, "seed")
        std = math.sqrt(1.0 / self.d_model)  # keeps Q, K, V of the size of X's entries
        for name in ("W_Q", "W_K", "W_V"):
            W = rng.standard_normal((self.d_head, self.d_model)) * std
            self.params[name] = W.astype(self.dtype)
            self.grads[name] = np.zeros_like(self.params[name])
        # what backward needs from the last forward pass (A: the attention weights)
        self.X = self.Q = self.K = self.V = self.A = NoInputYet(self)

    def __repr__(self) -> str:
        return f"SelfAttention({self.d_model}→{self.d_head}{', causal' if self.causal else ''})"

    def check_input(self, X: np.ndarray) -> None:
        if X.ndim != 3 or X.shape[2] != self.d_model:
            raise ValueError(f"{self!r} expects inputs of shape (N, T, {self.d_model}), got "
                             f"{describe(X)}")

    def forward(self, X: np.ndarray) -> np.ndarray:
        """:math:`Z = \\mathrm{softmax}(Q K^\\top/\\sqrt{d_{\\text{head}}})\\, V` for every sequence
        of the batch ``X`` ``(N, T, d_model)``; keeps ``X``, ``Q``, ``K``, ``V`` and ``A``."""
        p = self.params
        self.X = keep(self.X, X)  # a copy, in case the caller changes its array
        self.Q, self.K, self.V = X @ p["W_Q"].T, X @ p["W_K"].T, X @ p["W_V"].T
        S = self.Q @ self.K.transpose(0, 2, 1) / math.sqrt(self.d_head)
        if self.causal:
            S = np.where(causal_mask(X.shape[1]), S, -np.inf)
        self.A = softmax(S)                                       # A = softmax(S), row by row
        return self.A @ self.V                                    # Z = A V

    def backward(self, G: np.ndarray) -> np.ndarray | None:
        """The formulas of the class docstring: writes ∂C/∂W_Q, ∂C/∂W_K, ∂C/∂W_V into ``grads``
        and returns ∂C/∂X."""
        p, g, A, X = self.params, self.grads, self.A, self.X
        Q, K, V = self.Q, self.K, self.V
        dA = G @ V.transpose(0, 2, 1)                             # ∂C/∂A = G Vᵀ
        dV = A.transpose(0, 2, 1) @ G                             # ∂C/∂V = Aᵀ G
        dS = A * (dA - (A * dA).sum(axis=-1, keepdims=True))      # softmax Jacobian, each row
        scale = 1.0 / math.sqrt(self.d_head)
        dQ = dS @ K * scale                                       # ∂C/∂Q = ∂C/∂S K / √d
        dK = dS.transpose(0, 2, 1) @ Q * scale                    # ∂C/∂K = ∂C/∂Sᵀ Q / √d
        X2 = X.reshape(-1, self.d_model)
        for name, d in (("W_Q", dQ), ("W_K", dK), ("W_V", dV)):
            np.matmul(d.reshape(-1, self.d_head).T, X2, out=g[name])  # Σ_n dᵀ X
        if not self.input_grad:
            return None
        return dQ @ p["W_Q"] + dK @ p["W_K"] + dV @ p["W_V"]


__all__ = ["Embedding", "PositionEmbedding", "SelfAttention", "causal_mask"]
