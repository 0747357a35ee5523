"""Tests for nnlib.gradcheck: numerical_gradient, derivative, relative_error, gradient_check."""
import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib import MSE, Dense, Sequential, Tanh, mlp
from nnlib.gradcheck import (GradientCheck, numerical_derivative, gradient_check, numerical_gradient,
                             relative_error)

FAST = settings(max_examples=30, deadline=None)
arrays = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                    elements=st.floats(-10, 10))


class WrongBackwardDense(Dense):
    """A Dense box whose weight gradient is off by a factor of 2 — gradient_check must notice."""

    def backward(self, dZ):
        dA = super().backward(dZ)
        self.grads["W"] *= 2
        return dA


# ----------------------------------------------------------------------------- numerical_gradient
@FAST
@given(x=arrays)
def test_gradient_of_sum_of_squares_is_2x(x):
    x = x.copy()
    g = numerical_gradient(lambda: float(np.sum(x ** 2)), x)
    assert g.shape == x.shape
    np.testing.assert_allclose(g, 2 * x, rtol=1e-6, atol=1e-6)


@FAST
@given(x=arrays)
def test_x_is_restored_bit_for_bit(x):
    x = x.copy()
    before = x.copy()
    numerical_gradient(lambda: float(np.sum(np.sin(x))), x)
    np.testing.assert_array_equal(x, before)


def test_gradient_of_sin_is_cos():
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(numerical_gradient(lambda: np.sin(x).sum(), x), np.cos(x),
                               atol=1e-9)


def test_gradient_of_a_linear_function_with_a_matrix_argument():
    x = np.arange(6.0).reshape(2, 3)
    c = np.array([[1.0, -2.0, 3.0], [0.5, 0.0, -1.0]])
    np.testing.assert_allclose(numerical_gradient(lambda: np.sum(c * x), x), c, atol=1e-9)


def test_each_entry_costs_two_calls():
    calls = []
    x = np.zeros((2, 3))
    numerical_gradient(lambda: calls.append(1) or 0.0, x)
    assert len(calls) == 2 * x.size


def test_eps_controls_the_step():
    x = np.array([1.0])
    # for x^3 the central difference is 3x^2 + eps^2 exactly
    g = numerical_gradient(lambda: float(x[0] ** 3), x, eps=0.1)
    assert g[0] == pytest.approx(3.0 + 0.01, rel=1e-12)


def test_float32_x_gives_a_float64_gradient():
    x = np.ones(3, dtype=np.float32)
    assert numerical_gradient(lambda: float(np.sum(x)), x, eps=1e-2).dtype == np.float64


# ----------------------------------------------------------------------------- derivative
def test_derivative_of_an_elementwise_function():
    z = np.linspace(-2, 2, 9)
    np.testing.assert_allclose(numerical_derivative(np.exp, z), np.exp(z), rtol=1e-8)
    np.testing.assert_allclose(numerical_derivative(lambda t: t ** 2, [1.0, -3.0]), [2.0, -6.0], rtol=1e-8)


def test_derivative_rejects_bad_input():
    with pytest.raises(ValueError, match="z contains NaN or inf"):
        numerical_derivative(np.sin, [np.nan])
    with pytest.raises(ValueError, match=r"eps must be a finite number > 0, got 0"):
        numerical_derivative(np.sin, [1.0], eps=0)


# ----------------------------------------------------------------------------- relative_error
def test_relative_error_values():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([1.0], [-1.0]) == 1.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error([3.0, 0.0], [0.0, 4.0]) == pytest.approx(5.0 / 7.0)


@FAST
@given(a=hnp.arrays(np.float64, 5, elements=st.floats(-10, 10)),
       b=hnp.arrays(np.float64, 5, elements=st.floats(-10, 10)))
def test_relative_error_is_symmetric_and_between_0_and_1(a, b):
    e = relative_error(a, b)
    assert e == relative_error(b, a)
    assert 0.0 <= e <= 1.0


def test_relative_error_shape_mismatch():
    with pytest.raises(ValueError, match=r"relative_error: shapes differ, \(2,\) vs \(3,\)"):
        relative_error(np.zeros(2), np.zeros(3))


# ----------------------------------------------------------------------------- gradient_check
@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(4, 3)), rng.normal(size=(4, 2))


def test_gradient_check_passes_on_a_correct_network(data):
    result = gradient_check(mlp([3, 4, 2], "tanh", seed=0), *data, "mse")
    assert isinstance(result, GradientCheck)
    assert set(result.errors) == {"0.W", "0.b", "2.W", "2.b"}
    assert result.passed() and result.max_relative_error < 1e-7
    for name in result.errors:
        assert result.analytic[name].shape == result.numeric[name].shape
    assert "max relative error" in repr(result)


def test_gradient_check_catches_a_wrong_backward(data):
    net = Sequential([WrongBackwardDense(3, 4, seed=0), Tanh(), Dense(4, 2, seed=1)])
    result = gradient_check(net, *data, MSE())
    assert not result.passed()
    assert result.errors["0.W"] == pytest.approx(1 / 3, rel=1e-6)  # |2g - g| / (|2g| + |g|)
    assert result.errors["2.W"] < 1e-7


def test_gradient_check_leaves_the_parameters_unchanged(data):
    net = mlp([3, 4, 2], "sigmoid", seed=0)
    before = [p.copy() for _, p in net.parameters()]
    gradient_check(net, *data, "mse")
    for a, (_, b) in zip(before, net.parameters()):
        np.testing.assert_array_equal(a, b)


def test_gradient_check_on_float32_network_raises(data):
    net = mlp([3, 4, 2], seed=0, dtype=np.float32)
    with pytest.raises(TypeError, match="gradient_check needs a float64 network: float32 rounding"):
        gradient_check(net, *data, "mse")


def test_passed_uses_the_tolerance():
    check = GradientCheck({"a": 1e-8, "b": 1e-5}, {}, {})
    assert check.max_relative_error == 1e-5
    assert not check.passed() and check.passed(tol=1e-4)
    assert GradientCheck({}, {}, {}).max_relative_error == 0.0


# ----------------------------------------------------------------------------- bad input
def test_f_must_be_callable():
    with pytest.raises(TypeError, match=r"f must be a function of no arguments returning a number, "
                                        r"got float 1.0"):
        numerical_gradient(1.0, np.zeros(2))


@pytest.mark.parametrize("x, msg", [
    ([1.0, 2.0], r"x must be a float numpy array that f reads, got list"),
    (np.arange(3), r"x must be a float numpy array that f reads, got an array of shape \(3,\) "
                   r"and dtype int64"),
])
def test_x_must_be_a_float_array(x, msg):
    with pytest.raises(TypeError, match=msg):
        numerical_gradient(lambda: 0.0, x)


def test_x_must_be_contiguous():
    x = np.zeros((3, 4))[:, ::2]
    with pytest.raises(ValueError, match="x must be a C-contiguous array so that it can be nudged "
                                         "in place"):
        numerical_gradient(lambda: 0.0, x)


@pytest.mark.parametrize("eps, exc, msg", [
    (0, ValueError, r"eps must be a finite number > 0, got 0"),
    (-1e-6, ValueError, r"eps must be a finite number > 0"),
    ("1e-6", TypeError, r"eps must be a real number, got str '1e-6'"),
])
def test_eps_must_be_positive(eps, exc, msg):
    with pytest.raises(exc, match=msg):
        numerical_gradient(lambda: 0.0, np.zeros(2), eps=eps)
