"""Tests for nnlib.layers: the Dense box (shapes, initialisers, forward, backward, dtypes, errors)."""
import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib import MSE, Sequential
from nnlib.gradcheck import gradient_check, numerical_gradient, relative_error
from nnlib.layers import INITIALISERS, Dense, init_weights

from conftest import central_difference_gradient

FAST = settings(max_examples=30, deadline=None)
TOL = 1e-7


def nonzero(limit=2.0):
    return st.one_of(st.floats(-limit, -0.1), st.floats(0.1, limit))


@st.composite
def dense_case(draw):
    """A Dense layer with hypothesis-drawn W, b, an input batch A and an upstream gradient V."""
    n = draw(st.integers(1, 6))
    n_in, n_out = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    layer = Dense(n_in, n_out, seed=0)
    layer.W = draw(hnp.arrays(np.float64, (n_out, n_in), elements=nonzero()))
    layer.b = draw(hnp.arrays(np.float64, n_out, elements=nonzero()))
    X = draw(hnp.arrays(np.float64, (n, n_in), elements=nonzero()))
    V = draw(hnp.arrays(np.float64, (n, n_out), elements=nonzero()))
    return layer, X, V


@pytest.fixture
def layer():
    d = Dense(3, 2, seed=0)
    d.W = [[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]]
    d.b = [0.1, -0.2]
    return d


# ----------------------------------------------------------------------------- shapes
def test_parameter_shapes():
    d = Dense(5, 3, seed=0)
    assert d.W.shape == (3, 5)
    assert d.b.shape == (3,)
    assert d.n_params == 5 * 3 + 3
    assert set(d.grads) == {"W", "b"}
    assert d.grads["W"].shape == (3, 5) and d.grads["b"].shape == (3,)


def test_bias_false_has_no_b():
    d = Dense(5, 3, bias=False, seed=0)
    assert d.b is None
    assert set(d.params) == {"W"} and set(d.grads) == {"W"}
    assert d.n_params == 15
    X = np.ones((2, 5))
    np.testing.assert_allclose(d(X), X @ d.W.T)


def test_repr_and_config():
    assert repr(Dense(4, 2)) == "Dense(4→2)"
    assert repr(Dense(4, 2, bias=False)) == "Dense(4→2, bias=False)"
    assert Dense(4, 2, dtype=np.float32).config() == {
        "type": "Dense", "n_in": 4, "n_out": 2, "bias": True, "init": "xavier",
        "dtype": "float32"}


def test_bias_starts_at_zero():
    np.testing.assert_array_equal(Dense(4, 3, seed=0).b, np.zeros(3))


# ----------------------------------------------------------------------------- initialisers
@pytest.mark.parametrize("init, expected_std", [
    ("gaussian", 1.0),
    ("xavier", np.sqrt(2 / (400 + 300))),
    ("he", np.sqrt(2 / 400)),
])
def test_initialiser_standard_deviation(init, expected_std):
    W = Dense(400, 300, init=init, seed=0).W
    assert abs(W.std() / expected_std - 1) < 0.02
    assert abs(W.mean()) < 0.02 * expected_std  # ~7 standard errors of the mean of 120,000 draws


def test_zeros_initialiser():
    np.testing.assert_array_equal(Dense(4, 3, init="zeros").W, np.zeros((3, 4)))


def test_init_weights_function_shape_and_case_insensitive_name():
    W = init_weights(7, 3, "He", seed=0)
    assert W.shape == (3, 7)
    np.testing.assert_array_equal(W, init_weights(7, 3, "he", seed=0))
    assert set(INITIALISERS) == {"gaussian", "xavier", "he", "zeros"}


def test_same_seed_same_weights_different_seed_different_weights():
    np.testing.assert_array_equal(Dense(6, 4, seed=1).W, Dense(6, 4, seed=1).W)
    assert not np.array_equal(Dense(6, 4, seed=1).W, Dense(6, 4, seed=2).W)


def test_generator_as_rng_advances_between_layers():
    g = np.random.default_rng(0)
    a, b = Dense(3, 3, seed=g), Dense(3, 3, seed=g)
    assert not np.array_equal(a.W, b.W)


# ----------------------------------------------------------------------------- forward
def test_forward_matches_the_formula_neuron_by_neuron(layer):
    X = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 4.0]])
    expected = np.empty((2, 2))
    for n in range(2):
        for j in range(2):
            expected[n, j] = sum(layer.W[j, k] * X[n, k] for k in range(3)) + layer.b[j]
    np.testing.assert_allclose(layer(X), expected, rtol=1e-15)
    np.testing.assert_allclose(layer(X)[0], [1 - 4 + 1.5 + 0.1, 6 - 3 - 0.2])


def test_single_example_equals_batched_row(layer):
    X = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 4.0]])
    batched = layer(X)
    single = layer(X[1])
    assert single.shape == (2,)
    np.testing.assert_array_equal(single, batched[1])


def test_a_single_example_is_a_batch_of_one_at_the_boundary(layer):
    x = np.array([1.0, 2.0, 3.0])
    z = layer(x)
    assert z.shape == (2,)
    np.testing.assert_array_equal(z, layer(x[None, :])[0])
    assert layer.A.shape == (1, 3)  # forward saw a batch of one: backward takes (1, 2)


def test_forward_does_not_modify_the_input(layer):
    X = np.array([[1.0, 2.0, 3.0]])
    before = X.copy()
    layer(X)
    np.testing.assert_array_equal(X, before)


def test_list_input_accepted(layer):
    np.testing.assert_array_equal(layer([[1, 2, 3]]), layer(np.array([[1.0, 2.0, 3.0]])))


# ----------------------------------------------------------------------------- backward
def test_backward_hand_formulas(layer):
    X = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 4.0]])
    D = np.array([[1.0, -1.0], [2.0, 0.5]])
    layer(X)
    dX = layer.backward(D)
    np.testing.assert_allclose(layer.grads["W"], D.T @ X)
    np.testing.assert_allclose(layer.grads["b"], D.sum(axis=0))
    np.testing.assert_allclose(dX, D @ layer.W)


@FAST
@given(case=dense_case())
def test_gradients_match_nnlib_numerical_gradient(case):
    d, X, V = case
    Z0 = d(X).copy()
    dX = d.backward(V)
    gW, gb = d.grads["W"].copy(), d.grads["b"].copy()

    def f():  # centred on Z0 so that rounding of a large sum does not swamp the differences
        return float(np.sum((d.forward(X) - Z0) * V))

    assert relative_error(gW, numerical_gradient(f, d.W)) < TOL
    assert relative_error(gb, numerical_gradient(f, d.b)) < TOL
    assert relative_error(dX, numerical_gradient(f, X)) < TOL


@FAST
@given(case=dense_case())
def test_gradients_match_independent_central_differences(case):
    d, X, V = case
    Z0 = d(X).copy()
    dX = d.backward(V)
    gW, gb = d.grads["W"].copy(), d.grads["b"].copy()

    def f():
        return float(np.sum((d.forward(X) - Z0) * V))

    assert relative_error(gW, central_difference_gradient(f, d.W)) < TOL
    assert relative_error(gb, central_difference_gradient(f, d.b)) < TOL
    assert relative_error(dX, central_difference_gradient(f, X)) < TOL


@FAST
@given(case=dense_case(), bias=st.booleans())
def test_gradient_check_of_a_dense_network_with_mse(case, bias):
    d, X, V = case
    net = Sequential([Dense(d.n_in, d.n_out, bias=bias, seed=3)])
    result = gradient_check(net, X, V, MSE())
    assert set(result.errors) == ({"0.W", "0.b"} if bias else {"0.W"})
    assert result.max_relative_error < TOL


def test_backward_overwrites_gradients_in_the_same_arrays(layer):
    X, D = np.ones((2, 3)), np.ones((2, 2))
    gW, gb = layer.grads["W"], layer.grads["b"]
    layer(X)
    layer.backward(D)
    first = gW.copy()
    layer(X)
    layer.backward(D)
    assert layer.grads["W"] is gW and layer.grads["b"] is gb
    np.testing.assert_array_equal(gW, first)  # overwritten, not accumulated


# ----------------------------------------------------------------------------- setters
def test_setting_W_writes_in_place(layer):
    W = layer.W
    layer.W = np.zeros((2, 3))
    assert layer.W is W
    np.testing.assert_array_equal(W, 0.0)


def test_setting_W_with_wrong_shape():
    with pytest.raises(ValueError, match=r"Dense\(2→3\)\.W must have shape \(3, 2\), got \(2, 3\)"):
        Dense(2, 3).W = np.ones((2, 3))


def test_setting_b_without_bias():
    with pytest.raises(ValueError, match=r"was created with bias=False and has no b to set"):
        Dense(2, 3, bias=False).b = np.ones(3)


def test_setting_W_with_nan():
    with pytest.raises(ValueError, match=r"Dense\(2→3\)\.W contains NaN or inf"):
        Dense(2, 3).W = np.full((3, 2), np.nan)


# ----------------------------------------------------------------------------- dtypes
def test_float32_layer_stays_float32():
    d = Dense(3, 2, seed=0, dtype=np.float32)
    assert d.W.dtype == np.float32 and d.b.dtype == np.float32
    Z = d(np.ones((4, 3)))  # float64 input is converted
    assert Z.dtype == np.float32
    dX = d.backward(np.ones((4, 2), dtype=np.float32))
    assert dX.dtype == np.float32
    assert d.grads["W"].dtype == np.float32 and d.grads["b"].dtype == np.float32


def test_float32_same_seed_matches_float64_weights_to_float32_precision():
    np.testing.assert_allclose(Dense(5, 4, seed=3, dtype=np.float32).W, Dense(5, 4, seed=3).W,
                               rtol=1e-6)


# ----------------------------------------------------------------------------- bad input
def test_wrong_number_of_features():
    with pytest.raises(ValueError,
                       match=r"^Dense\(4→2\) expects inputs with 4 features, got 3$"):
        Dense(4, 2)(np.ones((1, 3)))


def test_wrong_number_of_features_single_example():
    with pytest.raises(ValueError, match=r"expects inputs with 4 features, got 3$"):
        Dense(4, 2)(np.ones(3))


def test_wrong_ndim():
    with pytest.raises(ValueError, match=r"the input of Dense\(2→2\) must be a 1-D or 2-D array, "
                                         r"got shape \(1, 1, 2\) \(3-D\)"):
        Dense(2, 2)(np.ones((1, 1, 2)))


def test_nan_input():
    with pytest.raises(ValueError, match=r"the input of Dense\(2→2\) contains NaN or inf "
                                         r"\(first at index \(1, 0\)\)"):
        Dense(2, 2)(np.array([[0.0, 1.0], [np.nan, 1.0]]))


def test_string_input():
    with pytest.raises(TypeError, match=r"the input of Dense\(2→2\) must be a number or an array "
                                        r"of numbers, got str"):
        Dense(2, 2)("1 2")


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match=r"Dense\(2→2\)\.backward\(\) was called before "
                                           r"forward\(\); run a forward pass first"):
        Dense(2, 2).backward(np.ones((1, 2)))


def test_backward_wrong_shape_through_the_network(layer):
    # A box's backward is only formulas; the network checks the gradient it is given.
    net = Sequential([layer])
    net(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"expects a gradient of shape \(4, 2\) \(the shape of "
                                         r"the last output\), got \(4, 3\)"):
        net.backward(np.ones((4, 3)))


@pytest.mark.parametrize("kwargs, exc, msg", [
    ({"n_in": 0, "n_out": 2}, ValueError, r"n_in must be an integer >= 1, got 0"),
    ({"n_in": 2, "n_out": -1}, ValueError, r"n_out must be an integer >= 1, got -1"),
    ({"n_in": 2.5, "n_out": 2}, TypeError, r"n_in must be an integer, got float 2.5"),
    ({"n_in": True, "n_out": 2}, TypeError, r"n_in must be an integer"),
    ({"n_in": 2, "n_out": "3"}, TypeError, r"n_out must be an integer, got str '3'"),
    ({"n_in": 2, "n_out": 2, "bias": 1}, TypeError, r"bias must be True or False, got int 1"),
    ({"n_in": 2, "n_out": 2, "dtype": int}, TypeError, r"dtype must be float64 or float32, got int64"),
    ({"n_in": 2, "n_out": 2, "dtype": np.float16}, TypeError, r"dtype must be float64 or float32"),
    ({"n_in": 2, "n_out": 2, "init": "uniform"}, ValueError,
     r"unknown initialiser 'uniform'; choose one of \['gaussian', 'he', 'xavier', 'zeros'\]"),
    ({"n_in": 2, "n_out": 2, "init": None}, TypeError, r"initialiser must be one of"),
    ({"n_in": 2, "n_out": 2, "seed": -1}, ValueError, r"seed must be >= 0, got -1"),
    ({"n_in": 2, "n_out": 2, "seed": "1"}, TypeError,
     r"seed must be an int seed or a numpy.random.Generator, got str '1'"),
])
def test_constructor_rejects_bad_arguments(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        Dense(**kwargs)
