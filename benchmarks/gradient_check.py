"""Max relative error of backpropagation against central differences, for every activation and
loss in nnlib, on small float64 networks. Run: .venv/bin/python benchmarks/gradient_check.py

Prints one row per (activation, loss) pair, then the boxes of chapter 9 (Dropout with a fixed
mask, and a network fed through a Standardizer), one row per network of the boxes of chapter 10
(convolution, pooling, embedding, attention), and the overall maximum.
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
    # Dropout: finite differences run the forward pass many times, so the mask is fixed after
    # the first pass (fixed_mask); with a new mask per pass no gradient check could agree.
    print()
    for p in (0.1, 0.5, 0.8):
        net = nn.Sequential([nn.Dense(5, 4, seed=1), nn.Tanh(), nn.Dropout(p, seed=2),
                             nn.Dense(4, 3, seed=3)])
        X, Y = rng.normal(size=(6, 5)), rng.normal(size=(6, 3))
        net.train()(X)
        net.layers[2].fixed_mask = True
        result = nn.gradient_check(net, X, Y, "mse")
        worst = max(worst, result.max_relative_error)
        print(f"{'dropout p=' + format(p, 'g'):<18}{'mse':<36}"
              f"{result.max_relative_error:.1e}")
    # Standardizer: a fixed affine map in front of the network; gradients of the weights only
    X_raw = rng.normal(size=(6, 5)) * [1, 10, 100, 0.1, 1000]
    X = nn.Standardizer().fit_transform(X_raw)
    result = nn.gradient_check(nn.mlp([5, 4, 3], "tanh", seed=4), X, rng.normal(size=(6, 3)),
                               "mse")
    worst = max(worst, result.max_relative_error)
    print(f"{'standardised X':<18}{'mse':<36}{result.max_relative_error:.1e}")
    print(f"\n{'network of chapter 10 boxes':<74}max relative error")
    for name, net, X, y in box_networks(rng):
        result = nn.gradient_check(net, X, y, "softmax_cross_entropy")
        worst = max(worst, result.max_relative_error)
        print(f"{name:<74}{result.max_relative_error:.1e}")
    print(f"\nlargest relative error over all pairs and networks: {worst:.1e}")


def box_networks(rng):
    """Small float64 networks with every box of nnlib.conv and nnlib.attention."""
    conv = nn.Sequential([nn.Conv2D(2, 3, 3, padding=1, seed=1), nn.ReLU(), nn.MaxPool2D(2),
                          nn.Flatten(), nn.Dense(3 * 2 * 2, 3, seed=1)])
    conv.layers[0].params["b"][:] = rng.normal(size=3)  # keep ReLU off its kink
    strided = nn.Sequential([nn.Conv2D(1, 2, 2, stride=2, seed=2), nn.Tanh(),
                             nn.Conv2D(2, 2, 2, seed=3), nn.Flatten(), nn.Dense(2, 3, seed=2)])
    images = rng.normal(size=(4, 2, 5, 4))
    labels = rng.integers(0, 3, 4)
    yield "Conv2D(pad 1) > ReLU > MaxPool2D > Flatten > Dense", conv, images, labels
    yield "Conv2D(stride 2) > tanh > Conv2D > Flatten > Dense", strided, images[:, :1, :4, :4], labels
    tokens = rng.integers(0, 6, size=(4, 5)).astype(float)
    for causal in (False, True):
        net = nn.Sequential([nn.Embedding(6, 4, seed=1), nn.PositionEmbedding(5, 4, seed=2),
                             nn.SelfAttention(4, 3, causal=causal, seed=3), nn.Flatten(),
                             nn.Dense(15, 3, seed=3)])
        name = "Embedding > PositionEmbedding > SelfAttention" + (" (causal)" if causal else "")
        yield name + " > Flatten > Dense", net, tokens, labels


if __name__ == "__main__":
    main()
