r"""A network as a chain of boxes: ``Sequential``.

``Sequential([Dense(4, 2), ReLU(), Dense(2, 3), Sigmoid()])`` is the function
:math:`\mathrm{NN}(x) = \sigma(W_2\,\mathrm{ReLU}(W_1 x + b_1) + b_2)`. ``forward`` runs the boxes
left to right; ``backward`` runs them right to left, each box turning the gradient of its output
into the gradient of its input and storing the gradients of its own parameters on the way.
Calling the network, ``net(X)``, is the boundary where data enters: it checks ``X`` and every
box's input and output, then runs the same ``forward`` of every box.
"""
from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Iterable

import numpy as np

from ._checks import as_array, as_rng, check_int, describe, float_dtype_of
from .activations import get_activation
from .layers import Dense, Layer, check_batch, check_output, hand_on, to_batch
from .metrics import to_labels

_FORMAT = "nnlib-sequential-1"


class Sequential:
    """Boxes applied one after the other.

    Shapes: ``forward`` takes a batch ``(N, n_in)`` and returns ``(N, n_out)``; ``backward``
    takes :math:`\\partial C/\\partial \\hat y` of that shape. ``net(X)`` also takes one example
    ``(n_in,)`` and then returns one output ``(n_out,)``. A network whose first box takes images
    ``(N, C, H, W)`` or sequences ``(N, T)`` takes batches of those, and one image or sequence
    (``input_ndim``).

    Each box may appear only once: a box remembers its last input for ``backward``, so a box used
    twice would compute the gradient of its second use with the input of the first.
    """

    def __init__(self, layers: Iterable[Layer]) -> None:
        if isinstance(layers, Layer) or not hasattr(layers, "__iter__"):
            raise TypeError(f"Sequential takes a list of boxes, e.g. Sequential([Dense(4, 2), "
                            f"ReLU()]), got {describe(layers)}")
        layers = list(layers)
        if not layers:
            raise ValueError("a Sequential network needs at least one box, got none")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"box {i} must be an nnlib box (a Layer) such as Dense(4, 2) or "
                                f"Sigmoid(), got {describe(layer)}")
        seen = {}
        for i, layer in enumerate(layers):
            if id(layer) in seen:
                raise ValueError(f"the same box {layer!r} is used twice (layers {seen[id(layer)]} "
                                 f"and {i}); a box remembers its last input for backward, so "
                                 "create a new box for every position")
            seen[id(layer)] = i
        dense = [l for l in layers if isinstance(l, Dense)]
        for a, b in zip(dense, dense[1:]):
            if a.n_out != b.n_in:
                raise ValueError(f"layer sizes do not fit: {a!r} outputs {a.n_out} numbers but "
                                 f"the next linear layer {b!r} expects {b.n_in}")
        self._layers = tuple(layers)
        self._inner, self._last = self._layers[:-1], self._layers[-1]
        self.output_shape: tuple | None = None  # of the last forward pass, checked by backward
        self.single = False  # whether that pass was one example (then backward takes one too)
        # (name, box, key) of every parameter, named once here rather than at every step
        self._slots = [(f"{i}.{k}", l, k) for i, l in enumerate(layers) for k in l.params]

    def __repr__(self) -> str:
        return "Sequential([" + ", ".join(map(repr, self.layers)) + "])"

    # ------------------------------------------------------------------ passes
    def forward(self, X: np.ndarray) -> np.ndarray:
        """The network's output for a batch ``X`` of shape ``(N, n_in)``: every box's
        ``forward``, left to right.

        The arrays passed from box to box are made read-only (see ``hand_on``), so that a box
        keeps its input for ``backward`` without copying it."""
        for layer in self._inner:
            X = hand_on(layer.forward(X), X)
        X = self._last.forward(X)
        self.output_shape, self.single = X.shape, False
        return X

    def backward(self, dY: np.ndarray) -> np.ndarray | None:
        """Backpropagate :math:`\\partial C/\\partial \\hat y` through every box's ``backward``,
        right to left; returns :math:`\\partial C/\\partial X` (None when ``input_grad`` is False).

        Every box's ``grads`` are overwritten (not accumulated). ``dY`` must have the shape of
        the last output (one example's shape after ``net(x)`` of one example ``x``).
        """
        if getattr(dY, "shape", None) != self.output_shape:
            dY = self._gradient_as_batch(dY)
        for layer in reversed(self._layers):
            dY = layer.backward(dY)
        return dY[0] if self.single and dY is not None else dY

    def _gradient_as_batch(self, dY) -> np.ndarray:
        # The boundary of backward: a gradient that is not a batch of the last output's shape.
        if self.output_shape is None:
            raise RuntimeError(f"{self._layers[-1]!r}.backward() was called before forward(); "
                               "run a forward pass first")
        dY = as_array(dY, "the gradient passed to backward()", finite=False)
        if self.single and dY.shape == self.output_shape[1:]:
            return dY[None]
        expected = self.output_shape[1:] if self.single else self.output_shape
        raise ValueError(f"backward() expects a gradient of shape {expected} (the shape of the "
                         f"last output), got {dY.shape}")

    def __call__(self, X) -> np.ndarray:
        """The boundary: ``X`` (a batch, or one example) is converted and checked, and so is every
        box's input (``check_input``) and output (no NaN or inf); then the boxes' ``forward``."""
        first = self._layers[0]
        X, single = to_batch(X, "the input of the network", first.input_ndim,
                             first.dtype or float_dtype_of(X), strict=not first.checks_ndim)
        for layer in self._layers:
            check_batch(layer, X)
            try:
                out = layer.forward(X)
            except ValueError as e:
                if "read-only" not in str(e) or X.flags.writeable:
                    raise
                raise ValueError(f"{layer!r}.forward changed its input array in place. A box must "
                                 "leave its input as it is and return a new array: the box "
                                 "before it keeps that array for backward.") from None
            check_output(layer, out)
            X = out if layer is self._last else hand_on(out, X)
        self.output_shape, self.single = X.shape, single
        return X[0] if single else X

    def predict(self, X) -> np.ndarray:
        """Predicted class labels ``(N,)``: the argmax of the output (a threshold of 0.5 for a
        single output)."""
        out = self(X)
        return to_labels(out if out.ndim == 2 else out[None, :])

    # ------------------------------------------------------------------ modes
    def train(self) -> "Sequential":
        """Training mode for every box (``training = True``); returns the network."""
        for layer in self._layers:
            layer.training = True
        return self

    def eval(self) -> "Sequential":
        """Evaluation mode for every box (``training = False``); returns the network."""
        for layer in self._layers:
            layer.training = False
        return self

    @property
    def input_ndim(self) -> int | None:
        """The number of dimensions of a batch for this network: the first box's ``input_ndim``
        (2 for ``Dense``: ``(N, n_in)``; 4 for ``Conv2D``: ``(N, C, H, W)``; None: any)."""
        return self._layers[0].input_ndim

    @property
    def input_grad(self) -> bool:
        """Whether ``backward`` computes ∂C/∂X (the first box's ``input_grad``). The training loop
        switches it off: the input is the data, which nothing updates."""
        return self._layers[0].input_grad

    @input_grad.setter
    def input_grad(self, value: bool) -> None:
        self._layers[0].input_grad = bool(value)

    # ------------------------------------------------------------------ parameters
    @property
    def layers(self) -> tuple[Layer, ...]:
        """The boxes, first to last (a tuple: to change them, build a new network)."""
        return self._layers

    def parameters(self) -> list[tuple[str, np.ndarray]]:
        """``(name, array)`` for every parameter, e.g. ``("0.W", W)``; arrays are the live ones."""
        return [(name, layer.params[k]) for name, layer, k in self._slots]

    def gradients(self) -> list[tuple[str, np.ndarray]]:
        """``(name, array)`` for every gradient, in the order of ``parameters()``."""
        return [(name, layer.grads[k]) for name, layer, k in self._slots]

    @property
    def n_params(self) -> int:
        """Total number of weights and biases."""
        return int(sum(l.n_params for l in self.layers))

    def summary(self) -> str:
        """A table of the boxes and their parameter counts."""
        rows = [("box", "parameters")]
        rows += [(repr(l), f"{l.n_params:,}") for l in self.layers]
        rows.append(("total", f"{self.n_params:,}"))
        w = max(len(r[0]) for r in rows)
        return "\n".join(f"{a:<{w}}  {b:>10}" for a, b in rows)

    # ------------------------------------------------------------------ saving
    def save(self, path) -> None:
        """Save architecture and parameters to an ``.npz`` file (no pickle)."""
        path = Path(os.fspath(path))
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        if not path.parent.is_dir():
            raise FileNotFoundError(f"cannot save the network to {path}: the folder "
                                    f"{path.parent} does not exist")
        arch = json.dumps([l.config() for l in self.layers])
        arrays = {f"param:{name}": p for name, p in self.parameters()}
        tmp = path.with_name(path.name[:-4] + ".tmp.npz")  # a crash never leaves half a file
        np.savez(tmp, __format__=np.array(_FORMAT), __architecture__=np.array(arch), **arrays)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path) -> "Sequential":
        """Load a network saved with ``save`` (``allow_pickle=False``: a file can hold only
        numbers and text, never code)."""
        path = os.fspath(path)
        not_ours = f"{path} is not a network saved by nnlib's Sequential.save"
        try:
            f = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            raise FileNotFoundError(f"no such file: {path}") from None
        except (ValueError, OSError, zipfile.BadZipFile, EOFError) as e:
            raise ValueError(f"{not_ours} (it could not be read as an .npz file: "
                             f"{type(e).__name__})") from None
        if not isinstance(f, np.lib.npyio.NpzFile):
            raise ValueError(f"{not_ours} (it holds a single array, not an .npz archive)")
        with f:
            try:  # read everything first: a damaged archive fails here, with numpy's errors
                fmt = str(f["__format__"]) if "__format__" in f.files else None
                arch = str(f["__architecture__"]) if fmt == _FORMAT else None
                stored = {k[6:]: f[k] for k in f.files if k.startswith("param:")}
            except Exception as e:  # noqa: BLE001 - any failure here means a damaged file
                raise ValueError(f"{not_ours}, or it is damaged ({type(e).__name__})") from None
        if fmt != _FORMAT:
            raise ValueError(f"{not_ours} (it has no nnlib format marker)")
        try:
            configs = json.loads(arch)
        except json.JSONDecodeError:
            raise ValueError(f"{not_ours}, or it is damaged (its architecture is not JSON)") from None
        if not isinstance(configs, list) or not configs:
            raise ValueError(f"{not_ours} (its architecture is not a list of boxes)")
        net = cls(layer_from_config(c) for c in configs)
        for name, p in net.parameters():
            a = stored.get(name)
            if a is None or a.shape != p.shape or a.dtype.kind != "f":
                raise ValueError(f"{path}: parameter {name} is missing or is not a float array of "
                                 f"shape {p.shape}")
            p[...] = a
        return net


def layer_from_config(config: dict) -> Layer:
    """Rebuild a box from ``Layer.config()``: the class named by ``"type"`` (any subclass of
    ``Layer``, found in ``Layer.registry``) called with the other entries as keyword arguments."""
    if not isinstance(config, dict) or "type" not in config:
        raise ValueError(f"a box description must be a dict with a 'type', got {describe(config)}")
    kind = config["type"]
    cls = Layer.registry.get(kind)
    if cls is None:
        raise ValueError(f"unknown box type {kind!r} in a saved network; known types: "
                         f"{sorted(Layer.registry)} (import the module that defines it first)")
    kwargs = {k: v for k, v in config.items() if k != "type"}
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise ValueError(f"the saved description of a {kind} box does not fit its constructor: "
                         f"{e}") from None


def mlp(sizes, activation="sigmoid", output="identity", *, init: str | None = None,
        bias: bool = True, seed=None, dtype=np.float64) -> Sequential:
    """A multi-layer perceptron: ``Dense`` layers of the given ``sizes`` with ``activation``
    between them and ``output`` after the last one.

    ``mlp([784, 16, 16, 10])`` has 784·16+16 + 16·16+16 + 16·10+10 = 13,002 parameters.
    ``init`` defaults to He for ReLU-like activations and Xavier otherwise. ``seed`` (an int or a
    ``numpy.random.Generator``) draws all layers from one generator, so the same seed gives the
    same network.
    """
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
    rng = as_rng(seed, "seed")
    layers: list[Layer] = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(Dense(a, b, init=init, bias=bias, seed=rng, dtype=dtype))
        last = i == len(sizes) - 2
        # A fresh box per layer: a box remembers its last input, so it must not be shared.
        box = layer_from_config(get_activation(output if last else activation).config())
        if not (last and box.name == "identity"):
            layers.append(box)
    return Sequential(layers)


__all__ = ["Sequential", "mlp", "layer_from_config"]
