"""Max relative error of backpropagation against central differences, for every activation and
loss in nnlib, on small float64 networks. Run: .venv/bin/python benchmarks/gradient_check.py

Prints one row per (activation, loss) pair and the overall maximum.
"""
import numpy as np

import nnlib as nn

ACTIVATIONS = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "gelu", "softmax"]
LOSSES = ["mse", "mae", "binary_cross_entropy", "categorical_cross_entropy",
          "sparse_categorical_cross_entropy", "softmax_cross_entropy"]


def targets(loss, rng, n, k):
    labels = rng.integers(0, k, n)
    if loss in ("sparse_categorical_cross_entropy", "softmax_cross_entropy"):
        return labels
    if loss in ("binary_cross_entropy", "categorical_cross_entropy"):
        return nn.one_hot(labels, k)
    return rng.normal(size=(n, k))


def main():
    rng = np.random.default_rng(0)
    worst = 0.0
    print(f"{'hidden activation':<18}{'loss':<36}max relative error")
    for act in ACTIVATIONS:
        for loss in LOSSES:
            # probability losses need outputs in (0, 1): sigmoid/softmax on the last layer
            output = {"binary_cross_entropy": "sigmoid", "categorical_cross_entropy": "softmax",
                      "sparse_categorical_cross_entropy": "softmax"}.get(loss, "identity")
            net = nn.mlp([5, 4, 3], activation=act, output=output, seed=1)
            for _, b in net.parameters():
                if b.ndim == 1:
                    b[:] = rng.normal(size=b.shape)  # non-zero biases keep ReLU off its kink
            X = rng.normal(size=(6, 5))
            result = nn.gradient_check(net, X, targets(loss, rng, 6, 3), loss)
            worst = max(worst, result.max_relative_error)
            print(f"{act:<18}{loss:<36}{result.max_relative_error:.1e}")
    print(f"\nlargest relative error over all pairs: {worst:.1e}")


if __name__ == "__main__":
    main()
