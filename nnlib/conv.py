r"""Boxes for images: ``Conv2D``, ``MaxPool2D`` and ``Flatten``.

Images travel through a network as batches of shape ``(N, C, H, W)``: ``N`` examples, ``C``
channels (1 for a grey image; one per filter after a convolution), ``H`` rows and ``W`` columns.
One image ``(C, H, W)`` given to ``box(x)`` or ``net(x)`` is a batch of one.

A convolution is a ``Dense`` layer with two restrictions: each output pixel sees only a small
``k × k`` patch of the input (a *local receptive field*), and every patch is multiplied by the same
kernel (*weight sharing*). Both boxes are vectorised: the patches are gathered once with
``numpy.lib.stride_tricks.sliding_window_view`` into a matrix with one row per patch, and the
convolution becomes one matrix product, exactly like ``Dense``.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._checks import check_int, describe
from .layers import Layer, NoInputYet, check_float_dtype, init_weights


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    r"""Length of the output along one side: :math:`\lfloor (H + 2p - k)/s \rfloor + 1`."""
    return (size + 2 * padding - kernel_size) // stride + 1


class Conv2D(Layer):
    r"""A 2-D convolution: ``out_channels`` kernels of shape ``(in_channels, k, k)`` slide over
    the image.

    For output channel :math:`o` at row :math:`r`, column :math:`c` (stride :math:`s`, input
    :math:`X` already padded with :math:`p` zeros on every side):

    .. math:: Z_{n,o,r,c} = b_o + \sum_{i=1}^{C}\sum_{u=0}^{k-1}\sum_{v=0}^{k-1}
              W_{o,i,u,v}\, X_{n,i,\,s r+u,\,s c+v}

    (a *cross-correlation*, as every deep-learning library computes it). Shapes: input
    ``(N, C, H, W)``; ``W``: ``(out_channels, C, k, k)``; ``b``: ``(out_channels,)``; output
    ``(N, out_channels, H', W')`` with :math:`H' = \lfloor (H + 2p - k)/s \rfloor + 1`.
    The initial kernels are He-initialised (``init_weights(C·k·k, out_channels, "he")``).

    Written with the patch matrix :math:`P` (one row per example and output pixel, one column per
    entry :math:`(i, u, v)` of a kernel) and :math:`W` reshaped to ``(out_channels, C·k·k)``, the
    forward pass is :math:`Z = P W^\top + b`, the ``Dense`` formula. So the backward pass is
    ``Dense``'s too, for :math:`\Delta = \partial C/\partial Z` as rows:
    :math:`\partial C/\partial W = \Delta^\top P`, :math:`\partial C/\partial b = \sum \Delta`,
    :math:`\partial C/\partial P = \Delta W`, and every entry of :math:`\partial C/\partial P` is
    added back to the input pixel it was copied from (a pixel lies in up to :math:`k^2` patches).
    """

    input_ndim = 4
    checks_ndim = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *,
                 stride: int = 1, padding: int = 0, seed=None, dtype=np.float64) -> None:
        super().__init__()
        self.in_channels = check_int(in_channels, "in_channels")
        self.out_channels = check_int(out_channels, "out_channels")
        self.kernel_size = check_int(kernel_size, "kernel_size")
        self.stride = check_int(stride, "stride")
        self.padding = check_int(padding, "padding", minimum=0)
        self.dtype = check_float_dtype(dtype)
        k = self.kernel_size
        fan_in = self.in_channels * k * k  # the inputs of one output pixel
        W = init_weights(fan_in, self.out_channels, "he", seed, self.dtype)
        self.params["W"] = W.reshape(self.out_channels, self.in_channels, k, k)
        self.params["b"] = np.zeros(self.out_channels, dtype=self.dtype)
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}
        self.P = NoInputYet(self)  # the patch matrix of the last input, kept for backward
        self.input_shape = NoInputYet(self)

    def __repr__(self) -> str:
        extra = (f", stride={self.stride}" if self.stride != 1 else "") + \
                (f", padding={self.padding}" if self.padding else "")
        k = self.kernel_size
        return f"Conv2D({self.in_channels}→{self.out_channels}, {k}×{k}{extra})"

    def check_input(self, X: np.ndarray) -> None:
        c = self.in_channels
        if X.ndim != 4 or X.shape[1] != c:
            hint = ""
            if X.ndim == 2 and X.shape[1] % c == 0 and int(np.sqrt(X.shape[1] // c)) ** 2 * c \
                    == X.shape[1]:
                side = int(np.sqrt(X.shape[1] // c))
                hint = f"; reshape flat images with X.reshape(-1, {c}, {side}, {side})"
            raise ValueError(f"{self!r} expects inputs of shape (N, {c}, H, W), got "
                             f"{describe(X)}{hint}")
        k, p = self.kernel_size, self.padding
        if X.shape[2] + 2 * p < k or X.shape[3] + 2 * p < k:
            raise ValueError(f"{self!r}: the image {X.shape[2]}×{X.shape[3]} (with padding "
                             f"{p}) is smaller than the {k}×{k} kernel")

    def output_shape(self, H: int, W: int) -> tuple[int, int, int]:
        """``(out_channels, H', W')`` for an input image of ``H × W`` pixels."""
        k, s, p = self.kernel_size, self.stride, self.padding
        return self.out_channels, conv_output_size(H, k, s, p), conv_output_size(W, k, s, p)

    def forward(self, X: np.ndarray) -> np.ndarray:
        """:math:`Z = P W^\\top + b` with the patch matrix :math:`P` of the batch ``X``
        ``(N, C, H, W)``; returns ``(N, out_channels, H', W')``."""
        k, s, p = self.kernel_size, self.stride, self.padding
        self.input_shape = X.shape
        if p:
            X = np.pad(X, ((0, 0), (0, 0), (p, p), (p, p)))
        # every k×k patch of every channel: (N, C, H', W', k, k), a view without copying
        windows = sliding_window_view(X, (k, k), axis=(2, 3))[:, :, ::s, ::s]
        N, C, Ho, Wo = windows.shape[:4]
        # P: one row per (example, output pixel), one column per (i, u, v); a copy of the
        # patches (written into last step's P when the shape fits), so X may change afterwards
        if not (isinstance(self.P, np.ndarray) and self.P.shape == (N * Ho * Wo, C * k * k)
                and self.P.dtype == X.dtype):
            self.P = np.empty((N * Ho * Wo, C * k * k), dtype=X.dtype)
        np.copyto(self.P.reshape(N, Ho, Wo, C, k, k), windows.transpose(0, 2, 3, 1, 4, 5))
        Z = self.P @ self.params["W"].reshape(self.out_channels, -1).T
        Z += self.params["b"]                                     # Z = P Wᵀ + b
        return Z.reshape(N, Ho, Wo, self.out_channels).transpose(0, 3, 1, 2)

    def backward(self, dZ: np.ndarray) -> np.ndarray | None:
        """Writes ∂C/∂W = Δᵀ P and ∂C/∂b = Σ Δ into ``grads``; returns ∂C/∂X, the rows of
        ∂C/∂P = Δ W added back to the pixels they were copied from."""
        N, O, Ho, Wo = dZ.shape
        k, s, p = self.kernel_size, self.stride, self.padding
        D = dZ.transpose(0, 2, 3, 1).reshape(N * Ho * Wo, O)                  # Δ, as rows
        np.matmul(D.T, self.P, out=self.grads["W"].reshape(O, -1))            # Δᵀ P
        np.sum(D, axis=0, out=self.grads["b"])                                # Σ Δ
        if not self.input_grad:
            return None
        _, C, H, W = self.input_shape
        dP = (D @ self.params["W"].reshape(O, -1)).reshape(N, Ho, Wo, C, k, k)  # Δ W
        # add each patch's gradient back to the pixels it came from: one slice per kernel
        # position (u, v), so k·k vectorised additions, no loop over pixels or examples
        dX = np.zeros((N, C, H + 2 * p, W + 2 * p), dtype=dP.dtype)
        for u in range(k):
            for v in range(k):
                dX[:, :, u:u + s * Ho:s, v:v + s * Wo:s] += dP[:, :, :, :, u, v].transpose(0, 3, 1, 2)
        return dX[:, :, p:p + H, p:p + W] if p else dX


class MaxPool2D(Layer):
    r"""Max pooling over non-overlapping ``size × size`` blocks of every channel.

    :math:`Z_{n,c,r,q} = \max_{0 \le u, v < s} X_{n,c,\,s r+u,\,s q+v}` with :math:`s` = ``size``.
    Input ``(N, C, H, W)``, output ``(N, C, ⌊H/s⌋, ⌊W/s⌋)`` (rows and columns that do not fill a
    block are dropped). Backward: the gradient of each output goes to the one input that was the
    maximum of its block (the first one, if several tie); every other input gets 0.
    """

    input_ndim = 4
    checks_ndim = True

    def __init__(self, size: int = 2) -> None:
        super().__init__()
        self.size = check_int(size, "size")
        self.argmax = NoInputYet(self)  # where the maximum of each block was, for backward
        self.input_shape = NoInputYet(self)

    def __repr__(self) -> str:
        return f"MaxPool2D({self.size})"

    def check_input(self, X: np.ndarray) -> None:
        s = self.size
        if X.ndim != 4:
            raise ValueError(f"{self!r} expects inputs of shape (N, C, H, W), got {describe(X)}")
        if X.shape[2] < s or X.shape[3] < s:
            raise ValueError(f"{self!r} needs images of at least {s}×{s} pixels, got "
                             f"{X.shape[2]}×{X.shape[3]}")

    def forward(self, X: np.ndarray) -> np.ndarray:
        """The maximum of every ``size × size`` block; keeps where each maximum was."""
        s = self.size
        N, C, H, W = self.input_shape = X.shape
        Ho, Wo = H // s, W // s
        # blocks as the last axis: (N, C, Ho, Wo, s·s)
        blocks = X[:, :, :Ho * s, :Wo * s].reshape(N, C, Ho, s, Wo, s) \
            .transpose(0, 1, 2, 4, 3, 5).reshape(N, C, Ho, Wo, s * s)
        self.argmax = blocks.argmax(axis=-1)[..., None]
        return np.take_along_axis(blocks, self.argmax, axis=-1)[..., 0]

    def backward(self, dZ: np.ndarray) -> np.ndarray | None:
        """∂C/∂X: each output's gradient at the position of its block's maximum, 0 elsewhere."""
        if not self.input_grad:
            return None
        s = self.size
        N, C, Ho, Wo = dZ.shape
        dblocks = np.zeros((N, C, Ho, Wo, s * s), dtype=dZ.dtype)
        np.put_along_axis(dblocks, self.argmax, dZ[..., None], axis=-1)  # only the maxima
        dX = np.zeros(self.input_shape, dtype=dZ.dtype)
        dX[:, :, :Ho * s, :Wo * s] = dblocks.reshape(N, C, Ho, Wo, s, s) \
            .transpose(0, 1, 2, 4, 3, 5).reshape(N, C, Ho * s, Wo * s)
        return dX


class Flatten(Layer):
    r"""Lays every example out as one row: ``(N, d_1, d_2, …)`` → ``(N, d_1·d_2·…)``, so that a
    ``Dense`` layer can follow a convolution. Backward reshapes the gradient back."""

    input_ndim = None  # any batch of at least two dimensions (checked by check_input)

    def __init__(self) -> None:
        super().__init__()
        self.input_shape = NoInputYet(self)

    def __repr__(self) -> str:
        return "Flatten()"

    def check_input(self, X: np.ndarray) -> None:
        if X.ndim < 2:
            raise ValueError(f"Flatten() expects a batch of shape (N, ...) with at least 2 "
                             f"dimensions, got {describe(X)}")

    def forward(self, X: np.ndarray) -> np.ndarray:
        """``X.reshape(N, -1)``, a new array (the caller may change ``X`` afterwards)."""
        self.input_shape = X.shape
        return X.reshape(X.shape[0], -1).copy()

    def backward(self, dZ: np.ndarray) -> np.ndarray | None:
        """``dZ`` reshaped to the shape of the last input."""
        return dZ.reshape(self.input_shape) if self.input_grad else None


__all__ = ["Conv2D", "MaxPool2D", "Flatten", "conv_output_size"]
