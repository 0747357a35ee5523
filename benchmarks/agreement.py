"""Gradients of nnlib against PyTorch autograd, in float64, from the same weights.

For every hidden activation and every loss that both libraries provide, a small network
(5 inputs, 4 hidden neurons, 3 outputs) gets the same weights in nnlib and in PyTorch; both
compute the loss on the same mini-batch and its gradient with respect to every weight, every
bias and the input. nnlib's gradients come from its own backpropagation, twice: through the
checked boundary (``net(X)``, ``loss(ŷ, y)``, ``loss.gradient``) and through the calls that
``fit`` makes on every mini-batch (``net.forward``, ``loss.forward``, ``loss.backward``,
``net.backward``).

The relative difference of two arrays is ``max|a - b| / max|b|`` (0 when both are all zero);
a pair's number is the largest over the output, the loss, every gradient array and both paths.

Used by ``tests/test_torch_agreement.py`` and by ``make bench`` (the appendix table).
Run alone: ``.venv/bin/python benchmarks/agreement.py``.
"""
from __future__ import annotations

import numpy as np

import nnlib as nn

#: nnlib activations with a PyTorch counterpart (``step``: torch.heaviside has no derivative)
ACTIVATIONS = ["identity", "sign", "sigmoid", "tanh", "relu", "leaky_relu", "gelu", "softmax"]
NOT_COMPARED = {"step": "PyTorch's heaviside has no derivative (autograd raises an error)"}
LOSSES = ["mse", "mae", "binary_cross_entropy", "categorical_cross_entropy",
          "sparse_categorical_cross_entropy", "softmax_cross_entropy",
          "softmax_cross_entropy_onehot"]
#: what each nnlib loss is compared with
TORCH_LOSS_NAMES = {
    "mse": "0.5 * mse_loss(sum) / N",
    "mae": "l1_loss(sum) / N",
    "binary_cross_entropy": "binary_cross_entropy(sum) / N",
    "categorical_cross_entropy": "nll_loss(log p, labels)",
    "sparse_categorical_cross_entropy": "nll_loss(log p, labels)",
    "softmax_cross_entropy": "cross_entropy(z, labels)",
    "softmax_cross_entropy_onehot": "cross_entropy(z, one-hot probabilities)",
}
#: the output box each loss needs (probability losses need probabilities)
OUTPUT = {"binary_cross_entropy": "sigmoid", "categorical_cross_entropy": "softmax",
          "sparse_categorical_cross_entropy": "softmax"}


def _torch_activation(name):
    import torch
    import torch.nn.functional as F

    return {"identity": lambda z: z, "sign": torch.sign, "sigmoid": torch.sigmoid,
            "tanh": torch.tanh, "relu": torch.relu,
            "leaky_relu": lambda z: F.leaky_relu(z, 0.01), "gelu": F.gelu,
            "softmax": lambda z: torch.softmax(z, dim=-1)}[name]


def _torch_loss(name, out, y, labels):
    import torch
    import torch.nn.functional as F

    n = out.shape[0]
    if name == "mse":
        return 0.5 * F.mse_loss(out, y, reduction="sum") / n
    if name == "mae":
        return F.l1_loss(out, y, reduction="sum") / n
    if name == "binary_cross_entropy":
        return F.binary_cross_entropy(out, y, reduction="sum") / n
    if name in ("categorical_cross_entropy", "sparse_categorical_cross_entropy"):
        return F.nll_loss(torch.log(out), labels)
    if name == "softmax_cross_entropy":
        return F.cross_entropy(out, labels)
    if name == "softmax_cross_entropy_onehot":
        return F.cross_entropy(out, y)
    raise ValueError(name)


def rel_diff(a, b) -> float:
    """``max|a - b| / max|b|``; 0 when both are all zero."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    num, den = np.max(np.abs(a - b)), np.max(np.abs(b))
    return 0.0 if num == 0 else float(num / den) if den > 0 else float("inf")


def compare(activation: str, loss_name: str, seed: int = 0) -> float:
    """The largest relative difference between nnlib and PyTorch for one pair."""
    import torch

    rng = np.random.default_rng(seed)
    n, sizes = 6, [5, 4, 3]
    net = nn.mlp(sizes, activation=activation, output=OUTPUT.get(loss_name, "identity"), seed=1)
    for _, p in net.parameters():
        if p.ndim == 1:
            p[:] = rng.normal(size=p.shape)  # non-zero biases keep ReLU off its kink
    X = rng.normal(size=(n, sizes[0]))
    labels = rng.integers(0, sizes[-1], n)
    if loss_name in ("mse", "mae"):
        y = rng.normal(size=(n, sizes[-1]))
    elif loss_name == "binary_cross_entropy":
        y = rng.integers(0, 2, (n, sizes[-1])).astype(np.float64)
    else:
        y = nn.one_hot(labels, sizes[-1])
    nn_loss = nn.get_loss(loss_name.replace("_onehot", ""))
    nn_target = labels if loss_name in ("sparse_categorical_cross_entropy",
                                        "softmax_cross_entropy") else y

    # nnlib, through the checked boundary: net(X), loss(ŷ, y), loss.gradient(ŷ, y)
    out = net(X)
    value = nn_loss(out, nn_target)
    dX = net.backward(nn_loss.gradient(out, nn_target))
    grads = [g.copy() for _, g in net.gradients()]
    # nnlib, the calls of the training loop: forward, loss.forward, loss.backward, backward
    out_fast = net.forward(X)
    value_fast = nn_loss.forward(out_fast, nn_target)
    net.backward(nn_loss.backward())
    grads_fast = [g.copy() for _, g in net.gradients()]

    # PyTorch autograd on the same weights
    act = _torch_activation(activation)
    out_act = _torch_activation(OUTPUT.get(loss_name, "identity"))
    params = [torch.tensor(p, dtype=torch.float64, requires_grad=True)
              for _, p in net.parameters()]
    Xt = torch.tensor(X, requires_grad=True)
    A = Xt
    for i in range(0, len(params), 2):
        A = A @ params[i].T + params[i + 1]
        A = act(A) if i + 2 < len(params) else out_act(A)
    t_loss = _torch_loss(loss_name, A, torch.tensor(y), torch.tensor(labels))
    t_loss.backward()

    t_grads = [p.grad.numpy() for p in params]
    diffs = [rel_diff(out, A.detach().numpy()), rel_diff(out_fast, A.detach().numpy()),
             rel_diff(value, t_loss.item()), rel_diff(value_fast, t_loss.item()),
             rel_diff(dX, Xt.grad.numpy())]
    diffs += [rel_diff(g, t) for g, t in zip(grads, t_grads)]
    diffs += [rel_diff(g, t) for g, t in zip(grads_fast, t_grads)]
    return max(diffs)


def all_pairs(seed: int = 0) -> list[tuple[str, str, float]]:
    """``(activation, loss, max relative difference)`` for every pair."""
    return [(a, l, compare(a, l, seed)) for a in ACTIVATIONS for l in LOSSES]


def main():
    rows = all_pairs()
    print(f"{'hidden activation':<18}{'loss':<34}max relative difference to PyTorch")
    for a, l, d in rows:
        print(f"{a:<18}{l:<34}{d:.1e}")
    print(f"\nlargest over all pairs: {max(d for *_, d in rows):.1e}")


if __name__ == "__main__":
    main()
