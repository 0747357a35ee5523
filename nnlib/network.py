r"""A network as a chain of boxes: ``Sequential``.

``Sequential([Dense(4, 2), ReLU(), Dense(2, 3), Sigmoid()])`` is the function
:math:`\mathrm{NN}(x) = \sigma(W_2\,\mathrm{ReLU}(W_1 x + b_1) + b_2)`. ``forward`` runs the boxes
left to right; ``backward`` runs them right to left, each box turning the gradient of its output
into the gradient of its input and storing the gradients of its own parameters on the way.
"""
from __future__ import annotations

import json
import os
from typing import Iterable

import numpy as np

from ._checks import as_array, check_int, describe
from .activations import ACTIVATIONS, Activation, LeakyReLU, get_activation
from .layers import Dense, Layer
from .metrics import to_labels

_FORMAT = "nnlib-sequential-1"


class Sequential:
    """Boxes applied one after the other.

    Shapes: ``forward`` takes ``(N, n_in)`` (or one example ``(n_in,)``) and returns
    ``(N, n_out)``; ``backward`` takes :math:`\\partial L/\\partial \\hat y` of that shape.
    """

    def __init__(self, layers: Iterable[Layer]) -> None:
        layers = list(layers)
        if not layers:
            raise ValueError("a Sequential network needs at least one layer, got none")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layer {i} must be an nnlib Layer such as Dense(4, 2) or "
                                f"Sigmoid(), got {describe(layer)}")
        dense = [l for l in layers if isinstance(l, Dense)]
        for a, b in zip(dense, dense[1:]):
            if a.n_out != b.n_in:
                raise ValueError(f"layer sizes do not fit: {a!r} outputs {a.n_out} numbers but "
                                 f"the next linear layer {b!r} expects {b.n_in}")
        self.layers = layers

    def __repr__(self) -> str:
        return "Sequential([" + ", ".join(map(repr, self.layers)) + "])"

    # ------------------------------------------------------------------ passes
    def forward(self, X) -> np.ndarray:
        """The network's output for a batch ``X`` of shape ``(N, n_in)``."""
        A = X
        for layer in self.layers:
            A = layer.forward(A)
        return A

    __call__ = forward

    def backward(self, dY) -> np.ndarray:
        """Backpropagate :math:`\\partial L/\\partial \\hat y`; returns :math:`\\partial L/\\partial X`.

        Every layer's ``grads`` are overwritten (not accumulated).
        """
        g = dY
        for layer in reversed(self.layers):
            g = layer.backward(g)
        return g

    # The training loop's versions of the two passes: ``fit`` checks the data once, so the boxes
    # skip their checks, and the first box does not compute ∂L/∂X, which nothing uses.
    def _forward(self, X: np.ndarray) -> np.ndarray:
        A = X
        for layer in self.layers:
            A = layer._forward(A)
        return A

    def _backward(self, dY: np.ndarray) -> None:
        g = dY
        for layer in reversed(self.layers[1:]):
            g = layer._backward(g)
        self.layers[0]._backward(g, input_grad=False)

    def predict(self, X) -> np.ndarray:
        """Predicted class labels ``(N,)``: the argmax of the output (a threshold of 0.5 for a
        single output)."""
        out = self.forward(X)
        return to_labels(out if out.ndim == 2 else out[None, :])

    # ------------------------------------------------------------------ modes
    def train(self) -> "Sequential":
        """Training mode for every box (``layer.training = True``): Dropout drops."""
        for layer in self.layers:
            layer.training = True
        return self

    def eval(self) -> "Sequential":
        """Evaluation mode for every box (``layer.training = False``): Dropout passes all."""
        for layer in self.layers:
            layer.training = False
        return self

    # ------------------------------------------------------------------ parameters
    def parameters(self) -> list[tuple[str, np.ndarray]]:
        """``(name, array)`` for every parameter, e.g. ``("0.W", W)``; arrays are the live ones."""
        return [(f"{i}.{k}", v) for i, l in enumerate(self.layers) for k, v in l.params.items()]

    def gradients(self) -> list[tuple[str, np.ndarray]]:
        """``(name, array)`` for every gradient, in the order of ``parameters()``."""
        return [(f"{i}.{k}", l.grads[k]) for i, l in enumerate(self.layers) for k in l.params]

    @property
    def n_params(self) -> int:
        """Total number of weights and biases."""
        return int(sum(l.n_params for l in self.layers))

    def summary(self) -> str:
        """A table of layers, output sizes and parameter counts."""
        rows = [("layer", "parameters")]
        rows += [(repr(l), f"{l.n_params:,}") for l in self.layers]
        rows.append(("total", f"{self.n_params:,}"))
        w = max(len(r[0]) for r in rows)
        return "\n".join(f"{a:<{w}}  {b:>10}" for a, b in rows)

    # ------------------------------------------------------------------ saving
    def save(self, path) -> None:
        """Save architecture and parameters to an ``.npz`` file (no pickle)."""
        path = os.fspath(path)
        arch = json.dumps([l.config() for l in self.layers])
        arrays = {f"param:{name}": p for name, p in self.parameters()}
        if not path.endswith(".npz"):
            path += ".npz"
        tmp = path[:-4] + ".tmp.npz"  # write then rename: a crash never leaves half a file
        np.savez(tmp, __format__=np.array(_FORMAT), __architecture__=np.array(arch), **arrays)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path) -> "Sequential":
        """Load a network saved with ``save``. Uses ``allow_pickle=False``."""
        with np.load(os.fspath(path), allow_pickle=False) as f:
            if "__format__" not in f or str(f["__format__"]) != _FORMAT:
                raise ValueError(f"{path} is not a network saved by nnlib's Sequential.save")
            net = cls(layer_from_config(c) for c in json.loads(str(f["__architecture__"])))
            for name, p in net.parameters():
                key = f"param:{name}"
                if key not in f or f[key].shape != p.shape:
                    raise ValueError(f"{path}: parameter {name} is missing or has the wrong "
                                     f"shape (expected {p.shape})")
                p[...] = f[key]
        return net


def layer_from_config(config: dict) -> Layer:
    """Rebuild a layer from ``Layer.config()``."""
    kind = config.get("type")
    if kind == "Dense":
        return Dense(config["n_in"], config["n_out"], bias=config["bias"],
                     init="zeros", dtype=np.dtype(config.get("dtype", "float64")))
    if kind == "LeakyReLU":
        return LeakyReLU(config["alpha"])
    if kind == "Dropout":
        from .regularization import Dropout

        return Dropout(config["p"], seed=config.get("seed"))
    for act in ACTIVATIONS.values():
        if act.__name__ == kind:
            return act()
    raise ValueError(f"unknown layer type {kind!r} in a saved network")


def mlp(sizes, activation="sigmoid", output="identity", *, init: str | None = None,
        bias: bool = True, rng=None, dtype=np.float64) -> Sequential:
    """A multi-layer perceptron: ``Dense`` layers of the given ``sizes`` with ``activation``
    between them and ``output`` after the last one.

    ``mlp([784, 16, 16, 10])`` has 784·16+16 + 16·16+16 + 16·10+10 = 13,002 parameters.
    ``init`` defaults to He for ReLU-like activations and Xavier otherwise. ``rng`` seeds all
    layers from one generator, so the same seed gives the same network.
    """
    from ._checks import as_rng

    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise TypeError(f"sizes must be a list of layer sizes such as [4, 2, 3], got "
                        f"{describe(sizes)}")
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output size, e.g. "
                         f"[4, 2, 3], got {sizes!r}")
    sizes = [check_int(s, f"sizes[{i}]") for i, s in enumerate(sizes)]
    act = get_activation(activation)
    get_activation(output)  # fail early on a bad name
    if init is None:
        init = "he" if act.name in ("relu", "leaky_relu", "gelu") else "xavier"
    rng = as_rng(rng)
    layers: list[Layer] = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(Dense(a, b, init=init, bias=bias, rng=rng, dtype=dtype))
        last = i == len(sizes) - 2
        # A fresh box per layer: a box remembers its last input, so it must not be shared.
        box = layer_from_config(get_activation(output if last else activation).config())
        if not (last and box.name == "identity"):
            layers.append(box)
    return Sequential(layers)


__all__ = ["Sequential", "mlp", "layer_from_config", "Activation"]
