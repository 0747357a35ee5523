"""Tests for nnlib.training: fit (reproducibility, learning, validation, early stopping,
divergence, progress output) and evaluate."""
import numpy as np
import pytest

from nnlib import (SGD, Adam, Dense, History, Sequential, TrainingDiverged, evaluate, fit, mlp,
                   noisy_quadratic, train_test_split, two_moons, xor)
from nnlib.training import train_epoch

LOSS = "softmax_cross_entropy"


@pytest.fixture(scope="module")
def xor_data():
    return xor(200, noise=0.1, seed=0)


@pytest.fixture(scope="module")
def moons_split():
    X, y = two_moons(120, noise=0.2, seed=0)
    return train_test_split(X, y, 0.3, seed=0)  # X_train, X_test, y_train, y_test


@pytest.fixture(scope="module")
def noisy_regression():
    """A tiny noisy regression problem that a big network overfits, for early stopping."""
    x, y = noisy_quadratic(30, noise=3.0, seed=0)
    xv, yv = noisy_quadratic(30, noise=3.0, seed=1)
    return x[:, None], y[:, None], xv[:, None], yv[:, None]


def small_net(seed=0):
    return mlp([2, 8, 2], "tanh", seed=seed)


def train(X, y, *, net=None, seed=0, epochs=5, **kwargs):
    net = net or small_net()
    kwargs.setdefault("optimizer", Adam(0.05))
    return net, fit(net, X, y, loss=kwargs.pop("loss", LOSS), epochs=epochs, batch_size=16,
                    seed=seed, progress=False, **kwargs)


# ----------------------------------------------------------------------------- reproducibility
def test_same_seed_gives_identical_history_and_weights(moons_split):
    Xtr, Xte, ytr, yte = moons_split
    net_a, a = train(Xtr, ytr, validation_data=(Xte, yte))
    net_b, b = train(Xtr, ytr, validation_data=(Xte, yte))
    assert a == b  # dataclass equality: every list, best_epoch and stopped_early
    for (_, p), (_, q) in zip(net_a.parameters(), net_b.parameters()):
        np.testing.assert_array_equal(p, q)


def test_different_seed_gives_a_different_history(moons_split):
    Xtr, _, ytr, _ = moons_split
    _, a = train(Xtr, ytr, seed=0)
    _, b = train(Xtr, ytr, seed=1)
    assert a.train_loss != b.train_loss


def test_fit_does_not_modify_the_data(moons_split):
    Xtr, _, ytr, _ = moons_split
    X, y = Xtr.copy(), ytr.copy()
    train(X, y)
    np.testing.assert_array_equal(X, Xtr)
    np.testing.assert_array_equal(y, ytr)


# ----------------------------------------------------------------------------- learning
def test_loss_decreases_and_xor_is_learned(xor_data):
    X, y = xor_data
    net = small_net()
    start, start_acc = evaluate(net, X, y, LOSS)
    _, history = train(X, y, net=net, epochs=30)
    assert history.train_loss[-1] < 0.1 * start
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.train_acc[-1] == 1.0 > start_acc


def test_plain_sgd_also_reduces_the_loss(xor_data):
    X, y = xor_data
    net = small_net()
    start, _ = evaluate(net, X, y, LOSS)
    _, history = train(X, y, net=net, epochs=20, optimizer=SGD(0.5))
    assert history.train_loss[-1] < 0.5 * start


def test_history_records_the_loss_of_the_trained_network(xor_data):
    X, y = xor_data
    net, history = train(X, y, epochs=3)
    loss, acc = evaluate(net, X, y, LOSS)
    assert history.train_loss[-1] == loss
    assert history.train_acc[-1] == acc


def test_batch_size_larger_than_the_data_is_one_batch(xor_data):
    X, y = xor_data
    net = small_net()
    fit(net, X[:10], y[:10], loss=LOSS, optimizer=SGD(0.1), epochs=2, batch_size=1000,
        progress=False)
    # one full-batch step per epoch equals two hand-made gradient-descent steps
    ref = small_net()
    from nnlib import get_loss
    loss = get_loss(LOSS)
    for _ in range(2):
        ref.backward(loss.gradient(ref(X[:10]), y[:10]))
        SGD(0.1).step(ref)
    for (_, p), (_, q) in zip(net.parameters(), ref.parameters()):
        np.testing.assert_allclose(p, q, rtol=1e-12)


# ----------------------------------------------------------------------------- validation
def test_validation_lists_have_one_entry_per_epoch(moons_split):
    Xtr, Xte, ytr, yte = moons_split
    _, h = train(Xtr, ytr, epochs=7, validation_data=(Xte, yte))
    assert h.epochs == 7
    assert len(h.train_loss) == len(h.train_acc) == len(h.val_loss) == len(h.val_acc) == 7
    assert h.best_epoch == int(np.argmin(h.val_loss)) + 1
    assert not h.stopped_early
    assert all(0 <= a <= 1 for a in h.val_acc)


def test_without_validation_test_lists_stay_empty(moons_split):
    Xtr, _, ytr, _ = moons_split
    _, h = train(Xtr, ytr, epochs=3)
    assert h.val_loss == [] and h.val_acc == [] and h.best_epoch is None
    assert h.as_dict() == {"train_loss": h.train_loss, "train_acc": h.train_acc,
                           "val_loss": [], "val_acc": []}


def test_validation_data_may_be_a_list(moons_split):
    Xtr, Xte, ytr, yte = moons_split
    _, h = train(Xtr, ytr, epochs=2, validation_data=[Xte, yte])
    assert len(h.val_loss) == 2


# ----------------------------------------------------------------------------- early stopping
def test_early_stopping_stops_and_restores_the_best_weights(noisy_regression):
    x, y, xv, yv = noisy_regression
    net = mlp([1, 32, 32, 1], "tanh", seed=0)
    h = fit(net, x, y, loss="mse", optimizer=Adam(0.05), epochs=300, batch_size=8, seed=0,
            validation_data=(xv, yv), early_stopping=5, progress=False)
    assert h.stopped_early and h.epochs < 300
    assert h.epochs == h.best_epoch + 5
    assert h.val_loss[-1] > min(h.val_loss)  # the last epoch was worse: restoring matters
    val_loss, _ = evaluate(net, xv, yv, "mse")
    assert val_loss == min(h.val_loss)


def test_early_stopping_needs_validation_data(xor_data):
    X, y = xor_data
    with pytest.raises(ValueError, match="early_stopping needs validation_data to watch the validation "
                                         "loss"):
        train(X, y, early_stopping=3)


def test_early_stopping_patience_must_be_a_positive_integer(moons_split):
    Xtr, Xte, ytr, yte = moons_split
    with pytest.raises(ValueError, match=r"early_stopping must be an integer >= 1, got 0"):
        train(Xtr, ytr, validation_data=(Xte, yte), early_stopping=0)


# ----------------------------------------------------------------------------- divergence
def test_huge_learning_rate_raises_training_diverged(xor_data):
    X, y = xor_data
    net = Sequential([Dense(2, 1, seed=0)])
    with pytest.raises(TrainingDiverged, match=r"smaller learning rate \(currently lr=1e\+06\)"):
        fit(net, X, y[:, None].astype(float), loss="mse", optimizer=SGD(1e6), epochs=20,
            progress=False)


def test_training_diverged_is_a_floating_point_error():
    assert issubclass(TrainingDiverged, FloatingPointError)


def test_divergence_inside_a_deep_relu_network_raises_training_diverged():
    X, y = xor(64, seed=0)
    net = mlp([2, 16, 16, 16, 1], "relu", seed=0)
    with pytest.raises(TrainingDiverged, match="smaller learning rate"):
        fit(net, X, y[:, None].astype(float), loss="mse", optimizer=SGD(10.0), epochs=50,
            progress=False)


# ----------------------------------------------------------------------------- output
def test_progress_false_prints_nothing(xor_data, capsys):
    X, y = xor_data
    train(X, y, epochs=2)
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_progress_true_shows_a_bar(xor_data, capsys):
    X, y = xor_data
    fit(small_net(), X, y, loss=LOSS, optimizer=SGD(0.1), epochs=2, progress=True)
    _, err = capsys.readouterr()
    assert "epochs" in err and "2/2" in err


# ----------------------------------------------------------------------------- regression
def test_regression_targets_give_empty_accuracy_lists(noisy_regression):
    x, y, xv, yv = noisy_regression
    net = mlp([1, 8, 1], "tanh", seed=0)
    h = fit(net, x, y, loss="mse", optimizer=Adam(0.01), epochs=3, validation_data=(xv, yv),
            progress=False)
    assert h.train_acc == [] and h.val_acc == []
    assert len(h.train_loss) == len(h.val_loss) == 3


def test_evaluate_returns_loss_and_accuracy_or_none(xor_data, noisy_regression):
    X, y = xor_data
    loss, acc = evaluate(small_net(), X, y, LOSS)
    assert loss > 0 and 0 <= acc <= 1
    x, yq, _, _ = noisy_regression
    loss, acc = evaluate(mlp([1, 1], seed=0), x, yq, "mse")
    assert acc is None and loss > 0


def test_history_defaults():
    h = History()
    assert h.epochs == 0 and h.best_epoch is None and not h.stopped_early


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs, exc, msg", [
    ({"optimizer": "sgd"}, TypeError,
     r"optimizer must be an nnlib optimizer such as SGD\(lr=0.1\), got str 'sgd'"),
    ({"epochs": 0}, ValueError, r"epochs must be an integer >= 1, got 0"),
    ({"epochs": 2.5}, TypeError, r"epochs must be an integer, got float 2.5"),
    ({"batch_size": 0}, ValueError, r"batch_size must be an integer >= 1, got 0"),
    ({"loss": "hinge"}, ValueError, r"unknown loss 'hinge'"),
    ({"seed": "0"}, TypeError, r"seed must be an int seed or a numpy.random.Generator"),
    ({"validation_data": np.ones((3, 2))}, TypeError,
     r"validation_data must be a pair \(X_val, y_val\)"),
])
def test_fit_rejects_bad_arguments(xor_data, kwargs, exc, msg):
    X, y = xor_data
    args = {"loss": LOSS, "optimizer": SGD(0.1), "epochs": 1, "progress": False, **kwargs}
    with pytest.raises(exc, match=msg):
        fit(small_net(), X, y, **args)


@pytest.mark.parametrize("X, y, exc, msg", [
    (np.ones(10), np.zeros(10, int), ValueError,
     r"X \(training inputs\) must be a 2-D array, got shape \(10,\) \(1-D\)"),
    (np.ones((10, 2)), np.zeros(9, int), ValueError,
     r"X and y must have one row per example: X has 10 rows, y has 9"),
    (np.ones((0, 2)), np.zeros(0, int), ValueError, r"no training examples: X has 0 rows"),
    (np.ones((4, 2)), np.zeros((4, 1, 1)), ValueError,
     r"y \(training targets\) must be labels \(N,\) or targets \(N, K\)"),
    (np.array([[0.0, np.nan]] * 4), np.zeros(4, int), ValueError,
     r"X \(training inputs\) contains NaN or inf \(first at index \(0, 1\)\)"),
    ("data", np.zeros(4, int), TypeError, r"X \(training inputs\) must be a number or an array"),
])
def test_fit_rejects_bad_data(X, y, exc, msg):
    with pytest.raises(exc, match=msg):
        fit(small_net(), X, y, loss=LOSS, optimizer=SGD(0.1), epochs=1, progress=False)


def test_fit_rejects_bad_validation_data(xor_data):
    X, y = xor_data
    with pytest.raises(ValueError, match=r"X and y must have one row per example: X has 5 rows, "
                                         r"y has 4"):
        fit(small_net(), X, y, loss=LOSS, optimizer=SGD(0.1), epochs=1, progress=False,
            validation_data=(X[:5], y[:4]))


# ---------------------------------------------------------------- train_epoch
def test_train_epoch_is_one_epoch_of_fit_without_evaluation(moons_split):
    from nnlib.training import train_epoch

    X_train, _, y_train, _ = moons_split
    a, b = mlp([2, 8, 2], "tanh", seed=3), mlp([2, 8, 2], "tanh", seed=3)
    fit(a, X_train, y_train, loss=LOSS, optimizer=SGD(0.3), epochs=1, batch_size=16, seed=5,
        progress=False)
    train_epoch(b, X_train, y_train, loss=LOSS, optimizer=SGD(0.3), batch_size=16, seed=5)
    for (_, p), (_, q) in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p, q)


def test_train_epoch_with_one_generator_continues_the_shuffles(moons_split):
    from nnlib.training import train_epoch

    X_train, _, y_train, _ = moons_split
    a, b = mlp([2, 8, 2], "tanh", seed=3), mlp([2, 8, 2], "tanh", seed=3)
    fit(a, X_train, y_train, loss=LOSS, optimizer=SGD(0.3), epochs=3, batch_size=16, seed=5,
        progress=False)
    rng, opt = np.random.default_rng(5), SGD(0.3)
    for epoch in range(3):
        train_epoch(b, X_train, y_train, loss=LOSS, optimizer=opt, batch_size=16, seed=rng,
                    check=epoch == 0)
    for (_, p), (_, q) in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p, q)


def test_train_epoch_checks_its_arguments(xor_data):
    from nnlib.training import train_epoch

    X, y = xor_data
    with pytest.raises(TypeError, match="optimizer must be an nnlib optimizer"):
        train_epoch(mlp([2, 2]), X, y, loss=LOSS, optimizer="sgd")


def test_the_first_box_keeps_the_mini_batch_without_a_copy():
    # The batches are read-only while they are in use, so Dense keeps them as they are (keep()).
    X = np.random.default_rng(0).normal(size=(70, 3))
    y = (X[:, 0] > 0).astype(int)
    net = mlp([3, 4, 2], activation="relu", seed=0)
    train_epoch(net, X, y, loss="softmax_cross_entropy", optimizer=SGD(0.1), batch_size=32,
                seed=0)
    first, second = net.layers[0], net.layers[2]
    assert not first.A.flags.writeable and not first.A.base.flags.writeable
    assert first.A.shape == (70 - 64, 3)  # the last, short mini-batch
    assert not second.A.flags.writeable and second.A.base is None  # the ReLU's own output
