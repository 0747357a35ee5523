"""Tests for nnlib.network: Sequential (forward, backward, parameters, save/load) and mlp."""
import json

import numpy as np
import pytest

from nnlib import (GELU, MSE, BinaryCrossEntropy, CategoricalCrossEntropy, Dense, Layer,
                   LeakyReLU, ReLU, Sequential, Sigmoid, Softmax, SoftmaxCrossEntropy, Tanh, mlp)
from nnlib.gradcheck import gradient_check, numerical_gradient, relative_error
from nnlib.network import layer_from_config

TOL = 1e-7


@pytest.fixture
def net_423():
    """A 4-2-3 network with hand-set weights: ReLU hidden layer, sigmoid output."""
    d1, d2 = Dense(4, 2, seed=0), Dense(2, 3, seed=0)
    d1.W = [[0.5, -1.0, 0.25, 2.0], [-0.5, 0.75, 1.0, -1.5]]
    d1.b = [0.1, -0.2]
    d2.W = [[1.0, -1.0], [0.5, 2.0], [-2.0, 0.3]]
    d2.b = [0.0, 0.5, -0.5]
    return Sequential([d1, ReLU(), d2, Sigmoid()])


@pytest.fixture
def X4():
    return np.random.default_rng(0).normal(size=(5, 4))


# ----------------------------------------------------------------------------- forward
def test_forward_equals_the_nested_formula_written_out(net_423, X4):
    W1, b1 = net_423.layers[0].W, net_423.layers[0].b
    W2, b2 = net_423.layers[2].W, net_423.layers[2].b

    def relu(z):
        return [max(0.0, v) for v in z]

    def sigmoid(z):
        return [1.0 / (1.0 + np.exp(-v)) for v in z]

    def nn(x):  # NN(x) = σ(W2 ReLU(W1 x + b1) + b2), one neuron at a time
        h = relu([sum(W1[j, k] * x[k] for k in range(4)) + b1[j] for j in range(2)])
        return sigmoid([sum(W2[i, j] * h[j] for j in range(2)) + b2[i] for i in range(3)])

    expected = np.array([nn(x) for x in X4])
    np.testing.assert_allclose(net_423(X4), expected, rtol=1e-14)


def test_single_example_equals_batched_row(net_423, X4):
    np.testing.assert_allclose(net_423(X4[2]), net_423(X4)[2], rtol=1e-15)


def test_single_example_backward_equals_batched_row(net_423, X4):
    g = np.array([1.0, -2.0, 0.5])
    net_423(X4[2])
    dx = net_423.backward(g)
    single_grads = [v.copy() for _, v in net_423.gradients()]
    net_423(X4[2:3])
    dX = net_423.backward(g[None, :])
    assert dx.shape == (4,)
    np.testing.assert_allclose(dx, dX[0], rtol=1e-15)
    for a, (_, b) in zip(single_grads, net_423.gradients()):
        np.testing.assert_allclose(a, b, rtol=1e-15)


def test_repr_lists_the_layers(net_423):
    assert repr(net_423) == "Sequential([Dense(4→2), ReLU(), Dense(2→3), Sigmoid()])"


# ----------------------------------------------------------------------------- mlp
def test_mlp_784_16_16_10_has_13002_parameters():
    sizes = [784, 16, 16, 10]
    expected = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
    assert expected == 13002
    net = mlp(sizes, seed=0)
    assert net.n_params == expected
    assert net.summary().splitlines()[-1].split() == ["total", "13,002"]


def test_mlp_structure():
    net = mlp([4, 3, 5, 2], "relu", seed=0)
    kinds = [type(l).__name__ for l in net.layers]
    assert kinds == ["Dense", "ReLU", "Dense", "ReLU", "Dense"]  # identity output is left out
    assert [(l.n_in, l.n_out) for l in net.layers[::2]] == [(4, 3), (3, 5), (5, 2)]
    assert type(mlp([4, 2], output="softmax").layers[-1]) is Softmax


def test_mlp_uses_a_fresh_activation_box_per_layer():
    net = mlp([3, 3, 3, 3], "tanh", "tanh", seed=0)
    boxes = [l for l in net.layers if isinstance(l, Tanh)]
    assert len(boxes) == 3 and len({id(b) for b in boxes}) == 3


def test_mlp_keeps_the_alpha_of_a_leaky_relu_instance():
    net = mlp([3, 3, 1], LeakyReLU(0.3), seed=0)
    assert net.layers[1].alpha == 0.3


def test_mlp_same_seed_same_network_different_seed_different():
    a, b, c = mlp([3, 4, 2], seed=7), mlp([3, 4, 2], seed=7), mlp([3, 4, 2], seed=8)
    for (_, p), (_, q) in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p, q)
    assert not np.array_equal(a.layers[0].W, c.layers[0].W)


def test_mlp_default_initialiser_is_he_for_relu_and_xavier_for_sigmoid():
    relu_W = mlp([600, 400], "relu", seed=0).layers[0].W
    sig_W = mlp([600, 400], "sigmoid", seed=0).layers[0].W
    assert abs(relu_W.std() / np.sqrt(2 / 600) - 1) < 0.02
    assert abs(sig_W.std() / np.sqrt(2 / 1000) - 1) < 0.02


def test_mlp_float32():
    net = mlp([3, 4, 2], "relu", seed=0, dtype=np.float32)
    assert all(p.dtype == np.float32 for _, p in net.parameters())
    assert net(np.ones((2, 3))).dtype == np.float32


# ----------------------------------------------------------------------------- backward
GRADCHECK_CASES = {
    "sigmoid/mse": (lambda: mlp([4, 3, 2], "sigmoid", seed=1), MSE(), "real"),
    "tanh/mse": (lambda: mlp([4, 3, 3, 2], "tanh", seed=1), MSE(), "real"),
    "relu/mse": (lambda: mlp([4, 5, 2], "relu", seed=1), MSE(), "real"),
    "leaky/mse": (lambda: mlp([4, 5, 2], LeakyReLU(0.1), seed=1), MSE(), "real"),
    "gelu/mse": (lambda: mlp([4, 3, 2], "gelu", seed=1), MSE(), "real"),
    "nobias/mse": (lambda: mlp([4, 3, 2], "tanh", bias=False, seed=1), MSE(), "real"),
    "sigmoid-out/bce": (lambda: mlp([4, 3, 2], "tanh", "sigmoid", seed=1),
                        BinaryCrossEntropy(), "binary"),
    "softmax-out/cce": (lambda: mlp([4, 3, 3], "tanh", "softmax", seed=1),
                        CategoricalCrossEntropy(), "onehot"),
    "logits/softmax-ce": (lambda: mlp([4, 3, 3], "relu", seed=1), SoftmaxCrossEntropy(),
                          "labels"),
}


def targets(kind, n, k, rng):
    if kind == "real":
        return rng.normal(size=(n, k))
    if kind == "binary":
        return rng.integers(0, 2, size=(n, k)).astype(float)
    labels = rng.integers(0, k, size=n)
    return labels if kind == "labels" else np.eye(k)[labels]


@pytest.mark.parametrize("case", GRADCHECK_CASES)
def test_backward_matches_gradient_check(case):
    make, loss, kind = GRADCHECK_CASES[case]
    net = make()
    rng = np.random.default_rng(2)
    X = rng.normal(size=(6, 4))
    y = targets(kind, 6, net.layers[-1].n_out if isinstance(net.layers[-1], Dense)
                else net.layers[-2].n_out, rng)
    result = gradient_check(net, X, y, loss)
    assert set(result.errors) == {name for name, _ in net.parameters()}
    assert result.max_relative_error < TOL, result


def test_backward_returns_the_input_gradient(net_423, X4):
    loss, y = MSE(), np.zeros((5, 3))
    dX = net_423.backward(loss.gradient(net_423(X4), y))
    X = X4.copy()
    numeric = numerical_gradient(lambda: loss(net_423(X), y), X)
    assert dX.shape == X4.shape
    assert relative_error(dX, numeric) < TOL


def test_gradient_check_independently_for_one_weight(net_423, X4):
    loss, y = MSE(), np.ones((5, 3))
    net_423.backward(loss.gradient(net_423(X4), y))
    analytic = net_423.layers[0].grads["W"][1, 2]
    W, h = net_423.layers[0].W, 1e-6
    old = W[1, 2]
    W[1, 2] = old + h
    up = loss(net_423(X4), y)
    W[1, 2] = old - h
    down = loss(net_423(X4), y)
    W[1, 2] = old
    assert abs(analytic - (up - down) / (2 * h)) <= 1e-7 * abs(analytic)


def test_backward_overwrites_instead_of_accumulating(net_423, X4):
    g = np.ones((5, 3))
    net_423(X4)
    net_423.backward(g)
    first = [v.copy() for _, v in net_423.gradients()]
    net_423(X4)
    net_423.backward(g)
    for a, (_, b) in zip(first, net_423.gradients()):
        np.testing.assert_array_equal(a, b)


def test_backward_before_forward_names_the_last_layer(net_423):
    with pytest.raises(RuntimeError, match=r"Sigmoid\(\)\.backward\(\) was called before forward"):
        net_423.backward(np.ones((1, 3)))
    with pytest.raises(RuntimeError, match=r"Sigmoid\(\)\.backward\(\) was called before forward"):
        net_423.layers[-1].backward(np.ones((1, 3)))


# ----------------------------------------------------------------------------- parameters
def test_parameters_are_named_and_live(net_423):
    names = [name for name, _ in net_423.parameters()]
    assert names == ["0.W", "0.b", "2.W", "2.b"]
    assert names == [name for name, _ in net_423.gradients()]
    p = dict(net_423.parameters())
    assert p["2.W"] is net_423.layers[2].W
    assert net_423.n_params == 4 * 2 + 2 + 2 * 3 + 3


def test_predict_uses_argmax_and_threshold():
    net = Sequential([Dense(2, 3, init="zeros")])
    net.layers[0].b = [0.0, 2.0, 1.0]
    np.testing.assert_array_equal(net.predict(np.ones((4, 2))), [1, 1, 1, 1])
    single = Sequential([Dense(1, 1, init="zeros", bias=False)])
    single.layers[0].W = [[1.0]]
    np.testing.assert_array_equal(single.predict([[0.2], [0.7], [0.5]]), [0, 1, 1])


# ----------------------------------------------------------------------------- save / load
def test_save_load_round_trip_gives_identical_outputs(net_423, X4, tmp_path):
    path = tmp_path / "net.npz"
    net_423.save(path)
    loaded = Sequential.load(path)
    assert repr(loaded) == repr(net_423)
    np.testing.assert_array_equal(loaded(X4), net_423(X4))


def test_saved_file_loads_without_pickle(net_423, tmp_path):
    net_423.save(tmp_path / "net.npz")
    with np.load(tmp_path / "net.npz", allow_pickle=False) as f:
        keys = set(f.files)
        arch = json.loads(str(f["__architecture__"]))
        np.testing.assert_array_equal(f["param:2.W"], net_423.layers[2].W)
    assert {"__format__", "__architecture__", "param:0.W", "param:0.b"} <= keys
    assert [c["type"] for c in arch] == ["Dense", "ReLU", "Dense", "Sigmoid"]


def test_save_appends_npz_and_leaves_no_temporary_file(net_423, tmp_path):
    net_423.save(tmp_path / "model")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


def test_round_trip_keeps_dtype_bias_alpha_and_softmax(tmp_path):
    net = Sequential([Dense(3, 4, bias=False, seed=0, dtype=np.float32), LeakyReLU(0.25),
                      Dense(4, 2, seed=1, dtype=np.float32), GELU(), Dense(2, 2, seed=2,
                                                                           dtype=np.float32),
                      Softmax()])
    net.save(tmp_path / "n.npz")
    loaded = Sequential.load(tmp_path / "n.npz")
    assert repr(loaded) == repr(net)
    assert loaded.layers[1].alpha == 0.25
    assert all(p.dtype == np.float32 for _, p in loaded.parameters())
    X = np.random.default_rng(0).normal(size=(3, 3)).astype(np.float32)
    np.testing.assert_array_equal(loaded(X), net(X))


def test_loading_a_foreign_npz_raises(tmp_path):
    np.savez(tmp_path / "other.npz", a=np.ones(3))
    with pytest.raises(ValueError, match=r"other\.npz is not a network saved by nnlib's "
                                         r"Sequential\.save"):
        Sequential.load(tmp_path / "other.npz")


def test_loading_a_file_with_a_wrong_parameter_shape_raises(net_423, tmp_path):
    net_423.save(tmp_path / "net.npz")
    with np.load(tmp_path / "net.npz") as f:
        arrays = dict(f)
    arrays["param:0.W"] = np.ones((3, 3))
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match=r"parameter 0\.W is missing or is not a float array of "
                                         r"shape \(2, 4\)"):
        Sequential.load(tmp_path / "bad.npz")


def test_loading_an_unknown_layer_type_raises(net_423, tmp_path):
    net_423.save(tmp_path / "net.npz")
    with np.load(tmp_path / "net.npz") as f:
        arrays = dict(f)
    arrays["__architecture__"] = np.array(json.dumps([{"type": "Conv3D"}]))
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match=r"unknown box type 'Conv3D' in a saved network"):
        Sequential.load(tmp_path / "bad.npz")


def test_layer_from_config_rebuilds_every_activation():
    from nnlib.activations import ACTIVATIONS
    for cls in ACTIVATIONS.values():
        box = cls() if cls is not LeakyReLU else LeakyReLU(0.5)
        rebuilt = layer_from_config(box.config())
        assert type(rebuilt) is cls and rebuilt is not box


# ----------------------------------------------------------------------------- bad input
def test_mismatched_layer_sizes_name_both_layers():
    with pytest.raises(ValueError, match=r"layer sizes do not fit: Dense\(4→2\) outputs 2 numbers "
                                         r"but the next linear layer Dense\(3→1\) expects 3"):
        Sequential([Dense(4, 2), ReLU(), Dense(3, 1)])


def test_empty_network():
    with pytest.raises(ValueError, match="needs at least one box, got none"):
        Sequential([])


def test_non_layer_in_network():
    with pytest.raises(TypeError, match=r"box 1 must be an nnlib box \(a Layer\) such as Dense\(4, 2\) or "
                                        r"Sigmoid\(\), got str 'relu'"):
        Sequential([Dense(2, 2), "relu"])


def test_forward_with_wrong_features_names_the_first_layer(net_423):
    with pytest.raises(ValueError, match=r"Dense\(4→2\) expects inputs with 4 features, got 5"):
        net_423(np.ones((2, 5)))


@pytest.mark.parametrize("sizes, msg", [
    ([3], r"sizes must list at least an input and an output size, e.g. \[4, 2, 3\], got \[3\]"),
    ([3, 0], r"sizes\[1\] must be an integer >= 1, got 0"),
])
def test_mlp_rejects_bad_sizes(sizes, msg):
    with pytest.raises(ValueError, match=msg):
        mlp(sizes)


def test_mlp_rejects_a_string_of_sizes():
    with pytest.raises(TypeError, match=r"sizes must be a list of layer sizes such as \[4, 2, 3\], got str 'abc'"):
        mlp("abc")


def test_mlp_rejects_non_integer_size():
    with pytest.raises(TypeError, match=r"sizes\[0\] must be an integer, got float 2.5"):
        mlp([2.5, 3])


def test_mlp_rejects_a_single_int_with_a_message_about_sizes():
    with pytest.raises((TypeError, ValueError), match="sizes"):
        mlp(5)


@pytest.mark.parametrize("kwargs", [{"activation": "swish"}, {"output": "swish"}])
def test_mlp_rejects_unknown_activation_names(kwargs):
    with pytest.raises(ValueError, match=r"unknown activation 'swish'"):
        mlp([3, 2, 1], **kwargs)


# ------------------------------------------------------------------ arrays between the boxes
class _Echo(Layer):
    """A box whose output is its input itself (allowed: it changes nothing)."""

    def forward(self, X):
        return X

    def backward(self, dZ):
        return dZ


class _InPlace(Layer):
    """A box that (wrongly) changes its input array in place."""

    def forward(self, X):
        X *= 2.0
        return X

    def backward(self, dZ):
        return 2.0 * dZ


@pytest.mark.parametrize("call", ["forward", "__call__"])
def test_arrays_between_boxes_are_read_only_and_kept_without_a_copy(net_423, X4, call):
    out = getattr(net_423, call)(X4)
    d1, relu, d2, _ = net_423.layers
    assert not d2.A.flags.writeable, "the hidden activations passed on are still writeable"
    assert out.flags.writeable, "the network's output must stay the caller's to change"
    assert X4.flags.writeable, "the caller's input must not become read-only"
    X4 += 1.0  # the caller may change its input afterwards; Dense kept a copy
    assert not np.shares_memory(d1.A, X4)


def test_the_second_dense_keeps_the_activations_it_was_given_without_copying():
    d1, relu, d2 = Dense(3, 4, seed=0), ReLU(), Dense(4, 2, seed=1)
    net = Sequential([d1, relu, d2])
    X = np.random.default_rng(0).normal(size=(5, 3))
    net.forward(X)
    A = relu.forward(d1.forward(X))  # the same numbers, computed again outside the network
    np.testing.assert_array_equal(d2.A, A)
    assert d2.A.base is None and not d2.A.flags.writeable  # the box's own output, not a copy


def test_a_box_that_returns_its_input_leaves_the_callers_array_writeable():
    X = np.ones((2, 3))
    net = Sequential([_Echo(), Dense(3, 1, seed=0)])
    net.forward(X)
    net(X)
    assert X.flags.writeable
    X[0, 0] = 5.0  # no error: the caller's array is still the caller's


def test_a_box_that_changes_its_input_in_place_fails_instead_of_spoiling_a_gradient():
    net = Sequential([Dense(3, 4, seed=0), ReLU(), _InPlace(), Dense(4, 1, seed=1)])
    with pytest.raises(ValueError, match="read-only"):
        net.forward(np.ones((2, 3)))
    with pytest.raises(ValueError,
                       match=r"_InPlace\(\)\.forward changed its input array in place"):
        net(np.ones((2, 3)))
