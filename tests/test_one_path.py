"""One path: ``fit`` runs the same public methods a reader calls (numpy only, no torch).

For every activation × loss, one mini-batch step of ``nnlib.training.train_epoch`` (one epoch of
``fit`` without the evaluation) must give bit for bit the weights of the reader's step on the
same batch: ``net(X)``, ``loss.gradient``, ``net.backward``, ``optimizer.step(net)``.
"""
import numpy as np
import pytest

import nnlib as nn
from nnlib.training import train_epoch

#: the output box each loss needs (probability losses need probabilities)
OUTPUT = {"binary_cross_entropy": "sigmoid", "categorical_cross_entropy": "softmax",
          "sparse_categorical_cross_entropy": "softmax"}
LOSSES = sorted(nn.LOSSES) + ["softmax_cross_entropy_onehot"]
N, SIZES = 8, [5, 4, 3]


def targets(loss_name, rng):
    labels = rng.integers(0, SIZES[-1], N)
    if loss_name in ("mse", "mae"):
        return rng.normal(size=(N, SIZES[-1]))
    if loss_name == "binary_cross_entropy":
        return rng.integers(0, 2, (N, SIZES[-1])).astype(np.float64)
    if loss_name in ("categorical_cross_entropy", "softmax_cross_entropy_onehot"):
        return nn.one_hot(labels, SIZES[-1])
    return labels


@pytest.mark.parametrize("loss_name", LOSSES)
@pytest.mark.parametrize("activation", sorted(nn.ACTIVATIONS))
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_a_step_of_fit_is_the_public_forward_backward_step(activation, loss_name, optimizer):
    rng = np.random.default_rng(7)
    X, y = rng.normal(size=(N, SIZES[0])), targets(loss_name, rng)
    loss = nn.get_loss(loss_name.replace("_onehot", ""))
    kw = {"lr": 0.1} if optimizer == "sgd" else {"lr": 0.01}
    nets = [nn.mlp(SIZES, activation, OUTPUT.get(loss_name, "identity"), seed=3) for _ in "ab"]

    train_epoch(nets[0], X, y, loss=loss, optimizer=nn.get_optimizer(optimizer, **kw),
                batch_size=N, seed=11)

    order = np.random.default_rng(11).permutation(N)  # the shuffle of train_epoch
    Xb, yb = X[order], y[order]
    net, opt = nets[1], nn.get_optimizer(optimizer, **kw)
    net.backward(loss.gradient(net(Xb), yb))
    opt.step(net)

    for (name, a), (_, b) in zip(nets[0].parameters(), net.parameters()):
        assert np.array_equal(a, b), f"{name} differs after one step"
    start = nn.mlp(SIZES, activation, OUTPUT.get(loss_name, "identity"), seed=3)
    assert any(not np.array_equal(p, q) for (_, p), (_, q) in
               zip(net.parameters(), start.parameters())), "the step changed nothing"


# ----------------------------------------------------------------------------- the boxes of
# chapters 9 and 10: images, sequences, dropout (its mask is drawn by the same seeded generator
# on both paths; fit's trial pass before training runs in evaluation mode and draws none)
def conv_net():
    return nn.Sequential([nn.Conv2D(2, 3, 3, padding=1, seed=1), nn.ReLU(), nn.MaxPool2D(2),
                          nn.Flatten(), nn.Dense(12, 3, seed=2)])


def attention_net():
    return nn.Sequential([nn.Embedding(6, 4, seed=1), nn.PositionEmbedding(5, 4, seed=2),
                          nn.SelfAttention(4, 3, causal=True, seed=3), nn.Flatten(),
                          nn.Dense(15, 3, seed=4)])


def dropout_net():
    return nn.Sequential([nn.Dense(5, 6, seed=1), nn.Tanh(), nn.Dropout(0.4, seed=2),
                          nn.Dense(6, 3, seed=3)])


NETWORKS = {
    "conv": (conv_net, lambda rng: rng.normal(size=(N, 2, 4, 5))),
    "attention": (attention_net, lambda rng: rng.integers(0, 6, size=(N, 5)).astype(float)),
    "dropout": (dropout_net, lambda rng: rng.normal(size=(N, 5))),
}


@pytest.mark.parametrize("name", sorted(NETWORKS))
@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw"])
def test_a_step_of_fit_is_the_public_step_for_the_new_boxes(name, optimizer):
    make, inputs = NETWORKS[name]
    rng = np.random.default_rng(5)
    X, y = inputs(rng), rng.integers(0, 3, N)
    kw = {"lr": 0.1} if optimizer == "sgd" else {"lr": 0.01}
    nets = [make(), make()]

    train_epoch(nets[0], X, y, loss="softmax_cross_entropy",
                optimizer=nn.get_optimizer(optimizer, **kw), batch_size=N, seed=11)

    order = np.random.default_rng(11).permutation(N)
    Xb, yb = X[order], y[order]
    net, opt, loss = nets[1], nn.get_optimizer(optimizer, **kw), nn.SoftmaxCrossEntropy()
    net.backward(loss.gradient(net(Xb), yb))
    opt.step(net)

    for (pname, a), (_, b) in zip(nets[0].parameters(), net.parameters()):
        assert np.array_equal(a, b), f"{pname} differs after one step"
    start = make()
    assert all(not np.array_equal(p, q) for (_, p), (_, q) in
               zip(net.parameters(), start.parameters())), "a parameter did not change"
