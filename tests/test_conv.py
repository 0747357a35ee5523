"""Tests for nnlib.conv: Conv2D, MaxPool2D and Flatten (formulas, gradients against finite
differences on random shapes, the tied dense matrix, errors, save/load, float32)."""
import json

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnlib
from nnlib import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential
from nnlib.conv import conv_output_size
from nnlib.gradcheck import gradient_check

from conftest import box_gradient_errors, central_difference_gradient

FAST = settings(max_examples=25, deadline=None)
TOL = 1e-7


@st.composite
def conv_case(draw):
    n, c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    k, stride, pad = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(0, 2))
    H, W = draw(st.integers(max(1, k - 2 * pad), 6)), draw(st.integers(max(1, k - 2 * pad), 6))
    box = Conv2D(c_in, c_out, k, stride=stride, padding=pad, seed=draw(st.integers(0, 99)))
    box.params["b"][:] = draw(hnp.arrays(np.float64, c_out, elements=st.floats(-1, 1)))
    X = draw(hnp.arrays(np.float64, (n, c_in, H, W), elements=st.floats(-2, 2)))
    V = draw(hnp.arrays(np.float64, (n,) + box.output_shape(H, W), elements=st.floats(-2, 2)))
    return box, X, V


def reference_conv(X, W, b, stride, pad):
    """The docstring's formula with plain loops (slow, obviously right)."""
    N, C, H, Wd = X.shape
    O, _, k, _ = W.shape
    Xp = np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Ho, Wo = conv_output_size(H, k, stride, pad), conv_output_size(Wd, k, stride, pad)
    Z = np.zeros((N, O, Ho, Wo))
    for n in range(N):
        for o in range(O):
            for r in range(Ho):
                for c in range(Wo):
                    patch = Xp[n, :, stride * r:stride * r + k, stride * c:stride * c + k]
                    Z[n, o, r, c] = b[o] + np.sum(W[o] * patch)
    return Z


# ----------------------------------------------------------------------------- Conv2D forward
@FAST
@given(case=conv_case())
def test_conv_forward_matches_the_formula(case):
    box, X, _ = case
    expected = reference_conv(X, box.params["W"], box.params["b"], box.stride, box.padding)
    np.testing.assert_allclose(box(X), expected, rtol=1e-12, atol=1e-12)


def test_conv_output_size():
    assert conv_output_size(8, 3) == 6
    assert conv_output_size(8, 3, padding=1) == 8
    assert conv_output_size(8, 3, stride=2, padding=1) == 4
    assert conv_output_size(28, 5, stride=2) == 12
    assert Conv2D(1, 4, 3, stride=2).output_shape(9, 7) == (4, 4, 3)


def test_conv_shapes_and_parameter_count():
    box = Conv2D(3, 8, 5)
    assert box.params["W"].shape == (8, 3, 5, 5) and box.params["b"].shape == (8,)
    assert box.n_params == 8 * 3 * 25 + 8
    assert box(np.zeros((2, 3, 9, 9))).shape == (2, 8, 5, 5)


def test_conv_single_image_is_promoted_to_a_batch():
    box = Conv2D(1, 2, 3, seed=0)
    x = np.random.default_rng(0).normal(size=(1, 5, 5))
    np.testing.assert_array_equal(box(x), box(x[None])[0])


def test_conv_is_a_dense_layer_with_tied_sparse_weights():
    """Build the (out pixels × in pixels) matrix of a 3×3 kernel on a 4×4 image: the same output
    as Conv2D, and the gradient of the kernel is the sum of the dense gradient over tied entries."""
    rng = np.random.default_rng(1)
    box = Conv2D(1, 1, 3, seed=0)
    K = box.params["W"][0, 0]
    M = np.zeros((4, 16))
    where = {}  # kernel entry (u, v) → the matrix entries that share it
    for r in range(2):
        for c in range(2):
            for u in range(3):
                for v in range(3):
                    M[2 * r + c, 4 * (r + u) + (c + v)] = K[u, v]
                    where.setdefault((u, v), []).append((2 * r + c, 4 * (r + u) + (c + v)))
    X = rng.normal(size=(3, 1, 4, 4))
    np.testing.assert_allclose(box(X).reshape(3, 4), X.reshape(3, 16) @ M.T + box.params["b"])
    G = rng.normal(size=(3, 1, 2, 2))
    box.backward(G)
    dM = G.reshape(3, 4).T @ X.reshape(3, 16)  # Dense's ∂C/∂W
    tied = np.array([[sum(dM[i, j] for i, j in where[u, v]) for v in range(3)] for u in range(3)])
    np.testing.assert_allclose(box.grads["W"][0, 0], tied)
    assert np.count_nonzero(M) == 4 * 9


# ----------------------------------------------------------------------------- Conv2D backward
@FAST
@given(case=conv_case())
def test_conv_gradients_match_numerical_gradient(case):
    box, X, V = case
    errors = box_gradient_errors(box, X, V)
    assert max(errors.values()) < TOL, errors


@FAST
@given(case=conv_case())
def test_conv_gradients_match_independent_central_differences(case):
    box, X, V = case
    errors = box_gradient_errors(box, X, V, central_difference_gradient)
    assert max(errors.values()) < TOL, errors


def test_conv_backward_hand_case():
    # one 2×2 kernel on one 3×3 image: ∂C/∂W[u, v] = Σ_rc G[r, c] X[r+u, c+v]
    box = Conv2D(1, 1, 2, seed=0)
    X = np.arange(9.0).reshape(1, 1, 3, 3)
    G = np.array([[[[1.0, 0.0], [0.0, 2.0]]]])
    box(X)
    dX = box.backward(G)
    np.testing.assert_allclose(box.grads["W"][0, 0], [[0 + 2 * 4, 1 + 2 * 5], [3 + 2 * 7, 4 + 2 * 8]])
    np.testing.assert_allclose(box.grads["b"], [3.0])
    K = box.params["W"][0, 0]
    expected = np.zeros((3, 3))
    expected[0:2, 0:2] += 1.0 * K
    expected[1:3, 1:3] += 2.0 * K
    np.testing.assert_allclose(dX[0, 0], expected)


def test_conv_backward_writes_into_the_same_arrays_and_skips_input_grad():
    box = Conv2D(1, 2, 3, seed=0)
    gW, gb = box.grads["W"], box.grads["b"]
    X = np.random.default_rng(0).normal(size=(2, 1, 5, 5))
    box(X)
    box.backward(np.ones((2, 2, 3, 3)))
    assert box.grads["W"] is gW and box.grads["b"] is gb
    box.input_grad = False
    assert box.backward(np.ones((2, 2, 3, 3))) is None


def test_conv_forward_keeps_no_reference_to_the_input():
    box = Conv2D(1, 1, 2, seed=0)
    X = np.random.default_rng(0).normal(size=(1, 1, 3, 3))
    box(X)
    G = np.ones((1, 1, 2, 2))
    box.backward(G)
    before = box.grads["W"].copy()
    X[...] = 100.0  # the caller changes its array after the forward pass
    box.backward(G)
    np.testing.assert_array_equal(box.grads["W"], before)


# ----------------------------------------------------------------------------- pooling, flatten
def test_maxpool_forward_and_backward_by_hand():
    X = np.array([[[[1.0, 5.0, 2.0, 0.0, 9.0],
                    [3.0, 4.0, 8.0, 1.0, 9.0],
                    [0.0, 0.0, 6.0, 7.0, 9.0]]]])
    box = MaxPool2D(2)
    np.testing.assert_array_equal(box(X), [[[[5.0, 8.0]]]])  # the last row/column is dropped
    dX = box.backward(np.array([[[[10.0, 20.0]]]]))
    expected = np.zeros_like(X)
    expected[0, 0, 0, 1], expected[0, 0, 1, 2] = 10.0, 20.0
    np.testing.assert_array_equal(dX, expected)


@FAST
@given(n=st.integers(1, 3), c=st.integers(1, 3), h=st.integers(2, 7), w=st.integers(2, 7),
       size=st.integers(1, 3), seed=st.integers(0, 999))
def test_maxpool_gradient_matches_finite_differences(n, c, h, w, size, seed):
    if h < size or w < size:
        return
    rng = np.random.default_rng(seed)
    X = rng.permutation(n * c * h * w).reshape(n, c, h, w) * 0.01  # distinct: no ties
    box = MaxPool2D(size)
    V = rng.normal(size=box(X).shape)
    errors = box_gradient_errors(box, X, V)
    assert errors["X"] < TOL


def test_flatten_round_trip():
    X = np.arange(24.0).reshape(2, 3, 2, 2)
    box = Flatten()
    Z = box(X)
    assert Z.shape == (2, 12)
    np.testing.assert_array_equal(Z[1], X[1].ravel())
    np.testing.assert_array_equal(box.backward(Z), X)


# ----------------------------------------------------------------------------- in a network
def small_convnet(seed=0, dtype=np.float64):
    return Sequential([Conv2D(1, 3, 3, padding=1, seed=seed, dtype=dtype), ReLU(),
                       MaxPool2D(2), Flatten(),
                       Dense(3 * 2 * 2, 4, seed=seed, dtype=dtype)])


def test_a_single_image_through_a_conv_network():
    net = small_convnet()
    X = np.random.default_rng(0).normal(size=(3, 1, 4, 4))
    np.testing.assert_allclose(net(X[1]), net(X)[1])
    assert net.predict(X[1]).shape == (1,)


def test_gradient_check_of_a_conv_network():
    rng = np.random.default_rng(0)
    net = small_convnet()
    net.layers[0].params["b"][:] = 0.1  # keep pre-activations off ReLU's kink
    X = rng.normal(size=(3, 1, 4, 4))
    result = gradient_check(net, X, np.array([0, 3, 1]), "softmax_cross_entropy")
    assert set(result.errors) == {"0.W", "0.b", "4.W", "4.b"}
    assert result.max_relative_error < TOL


def test_fit_trains_a_conv_network_on_digits():
    X, y = nnlib.load_digits()
    X = X[:300].reshape(-1, 1, 8, 8)
    net = Sequential([Conv2D(1, 4, 3, seed=0), ReLU(), MaxPool2D(2), Flatten(),
                      Dense(36, 10, seed=0)])
    history = nnlib.fit(net, X, y[:300], loss="softmax_cross_entropy",
                        optimizer=nnlib.Adam(0.01), epochs=5, seed=0, progress=False)
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]


def test_save_load_round_trip(tmp_path):
    net = small_convnet(seed=3)
    X = np.random.default_rng(0).normal(size=(2, 1, 4, 4))
    net.save(tmp_path / "conv.npz")
    with np.load(tmp_path / "conv.npz", allow_pickle=False) as f:
        arch = json.loads(str(f["__architecture__"]))
    assert arch[0] == {"type": "Conv2D", "in_channels": 1, "out_channels": 3, "kernel_size": 3,
                       "stride": 1, "padding": 1, "dtype": "float64"}
    loaded = Sequential.load(tmp_path / "conv.npz")
    assert repr(loaded) == repr(net)
    np.testing.assert_array_equal(loaded(X), net(X))


def test_float32_stays_float32_and_agrees_with_float64(tmp_path):
    X = np.random.default_rng(0).normal(size=(2, 1, 4, 4))
    net32, net64 = small_convnet(dtype=np.float32), small_convnet()
    Z = net32(X)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(Z, net64(X), rtol=1e-5, atol=1e-5)
    dX = net32.backward(np.ones_like(Z))
    assert dX.dtype == np.float32
    assert all(g.dtype == np.float32 for _, g in net32.gradients())
    net32.save(tmp_path / "n.npz")
    assert all(p.dtype == np.float32 for _, p in Sequential.load(tmp_path / "n.npz").parameters())


def test_fit_trains_a_float32_conv_network():
    X, y = nnlib.load_digits()
    net = Sequential(small_convnet(dtype=np.float32).layers[:-1]
                     + (Dense(12, 10, seed=0, dtype=np.float32),))
    X8 = X[:64].reshape(-1, 1, 8, 8)[:, :, ::2, ::2]  # 4×4 images
    history = nnlib.fit(net, X8, y[:64], loss="softmax_cross_entropy",
                        optimizer=nnlib.Adam(0.01), epochs=3, seed=0, progress=False)
    assert all(p.dtype == np.float32 for _, p in net.parameters())
    assert np.isfinite(history.train_loss).all()


# ----------------------------------------------------------------------------- bad input
def test_flat_images_get_a_clear_message():
    with pytest.raises(ValueError, match=r"^Conv2D\(1→8, 3×3\) expects inputs of shape "
                                         r"\(N, 1, H, W\), got an array of shape \(5, 64\).*"
                                         r"reshape flat images with X\.reshape\(-1, 1, 8, 8\)$"):
        Conv2D(1, 8, 3)(np.ones((5, 64)))


def test_wrong_number_of_channels():
    with pytest.raises(ValueError, match=r"Conv2D\(3→8, 3×3\) expects inputs of shape "
                                         r"\(N, 3, H, W\), got an array of shape \(2, 1, 8, 8\)"):
        Conv2D(3, 8, 3)(np.ones((2, 1, 8, 8)))


def test_image_smaller_than_kernel():
    with pytest.raises(ValueError, match=r"the image 2×2 \(with padding 0\) is smaller than the "
                                         r"3×3 kernel"):
        Conv2D(1, 1, 3)(np.ones((1, 1, 2, 2)))


def test_conv_net_in_sequential_checks_its_input():
    with pytest.raises(ValueError, match=r"expects inputs of shape \(N, 1, H, W\)"):
        small_convnet()(np.ones((2, 16)))


def test_nan_input():
    with pytest.raises(ValueError, match=r"the input of Conv2D\(1→1, 3×3\) contains NaN"):
        Conv2D(1, 1, 3)(np.full((1, 1, 3, 3), np.nan))


def test_maxpool_and_flatten_errors():
    with pytest.raises(ValueError, match=r"MaxPool2D\(2\) expects inputs of shape \(N, C, H, W\), "
                                         r"got an array of shape \(4, 64\)"):
        MaxPool2D(2)(np.ones((4, 64)))
    with pytest.raises(ValueError, match=r"MaxPool2D\(3\) needs images of at least 3×3 pixels, "
                                         r"got 2×5"):
        MaxPool2D(3)(np.ones((1, 1, 2, 5)))
    with pytest.raises(ValueError, match=r"Flatten\(\) expects a batch of shape \(N, \.\.\.\)"):
        Flatten()(np.ones(3))


@pytest.mark.parametrize("kwargs, exc, msg", [
    ({"in_channels": 0, "out_channels": 2, "kernel_size": 3}, ValueError,
     r"in_channels must be an integer >= 1, got 0"),
    ({"in_channels": 1, "out_channels": 2.0, "kernel_size": 3}, TypeError,
     r"out_channels must be an integer, got float 2.0"),
    ({"in_channels": 1, "out_channels": 2, "kernel_size": 3, "padding": -1}, ValueError,
     r"padding must be an integer >= 0, got -1"),
    ({"in_channels": 1, "out_channels": 2, "kernel_size": 3, "stride": 0}, ValueError,
     r"stride must be an integer >= 1, got 0"),
    ({"in_channels": 1, "out_channels": 2, "kernel_size": 3, "dtype": np.int64}, TypeError,
     r"dtype must be float64 or float32, got int64"),
    ({"in_channels": 1, "out_channels": 2, "kernel_size": 3, "seed": "0"}, TypeError,
     r"seed must be an int seed or a numpy.random.Generator"),
])
def test_constructor_rejects_bad_arguments(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        Conv2D(**kwargs)
