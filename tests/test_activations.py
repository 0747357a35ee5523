"""Tests for nnlib.activations: values, derivatives (gradient-checked), laws, stability, boxes."""
import sys
import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.special import expit
from scipy.stats import norm

import nnlib.activations as A
from nnlib.gradcheck import numerical_derivative, numerical_gradient, relative_error

FAST = settings(max_examples=30, deadline=None)
TOL = 1e-7  # relative error required of every gradient in float64

# name -> (box factory, function, derivative function)
ELEMENTWISE = {
    "identity": (A.Identity, A.identity, A.identity_derivative),
    "sign": (A.Sign, A.sign, A.sign_derivative),
    "step": (A.Step, A.step, A.step_derivative),
    "sigmoid": (A.Sigmoid, A.sigmoid, A.sigmoid_derivative),
    "tanh": (A.Tanh, A.tanh, A.tanh_derivative),
    "relu": (A.ReLU, A.relu, A.relu_derivative),
    "leaky_relu": (lambda: A.LeakyReLU(alpha=0.1),
                   lambda z: A.leaky_relu(z, 0.1), lambda z: A.leaky_relu_derivative(z, 0.1)),
    "gelu": (A.GELU, A.gelu, A.gelu_derivative),
}
ALL_BOXES = {**{k: v[0] for k, v in ELEMENTWISE.items()}, "softmax": A.Softmax}


# ----------------------------------------------------------------------------- strategies
def away_from_kinks(limit=3.0):
    """Floats in [-limit, limit] with |z| > 1e-3, so ReLU/step/sign kinks are never straddled."""
    return st.one_of(st.floats(-limit, -1e-3), st.floats(1e-3, limit))


@st.composite
def z_and_v(draw, limit=3.0):
    """A batch z of shape (N, K) and an upstream gradient v of the same shape, |v| in [0.5, 1.5]."""
    shape = draw(st.tuples(st.integers(1, 6), st.integers(1, 5)))
    z = draw(hnp.arrays(np.float64, shape, elements=away_from_kinks(limit)))
    v = draw(hnp.arrays(np.float64, shape, elements=st.floats(0.5, 1.5)))
    signs = draw(hnp.arrays(np.int8, shape, elements=st.sampled_from([-1, 1])))
    return z, v * signs


#: GELU has a minimum here, where GELU' = 0 and a relative error is meaningless
GELU_STATIONARY_POINT = -0.7517915246935644


def skip_gelu_minimum(name, z):
    """Relative error needs a gradient that is not almost zero: keep GELU away from its minimum."""
    if name == "gelu":
        assume(np.all(np.abs(z - GELU_STATIONARY_POINT) > 1e-2))


def central_difference(fn, z, h=1e-6):
    """Independent element-wise central difference, written here rather than taken from nnlib."""
    z = np.asarray(z, dtype=np.float64)
    return (fn(z + h) - fn(z - h)) / (2 * h)


def box_gradient_errors(box, z, v):
    """Relative errors of box.backward(v) against (1) nnlib's numerical gradient of sum(a * v)
    and (2) an independent element-wise central difference of the forward map times v.

    The loss in (1) is centred on the unperturbed output so that its value is ~1e-6 and rounding
    of a large sum does not swamp the finite differences.
    """
    a0 = box.forward(z).copy()
    analytic = box.backward(v)
    x = z.copy()

    def f():
        return float(np.sum((box.forward(x) - a0) * v))

    nnlib_error = relative_error(analytic, numerical_gradient(f, x))
    own_error = relative_error(analytic, central_difference(box.forward, z) * v)
    return nnlib_error, own_error


# ----------------------------------------------------------------------------- gradient checks
@pytest.mark.parametrize("name", ELEMENTWISE)
@FAST
@given(zv=z_and_v())
def test_box_backward_matches_finite_differences(name, zv):
    z, v = zv
    skip_gelu_minimum(name, z)
    assert max(box_gradient_errors(ELEMENTWISE[name][0](), z, v)) < TOL


@pytest.mark.parametrize("name", ELEMENTWISE)
@FAST
@given(z=hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 5)),
                    elements=away_from_kinks()))
def test_derivative_function_matches_independent_central_difference(name, z):
    skip_gelu_minimum(name, z)
    _, fn, dfn = ELEMENTWISE[name]
    assert relative_error(dfn(z), central_difference(fn, z)) < TOL


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_function_matches_nnlib_derivative_helper(name):
    _, fn, dfn = ELEMENTWISE[name]
    z = np.linspace(-3, 3, 50)  # 0 is not on this grid, so no kink is straddled
    assert relative_error(dfn(z), numerical_derivative(fn, z)) < TOL


@FAST
@given(zv=z_and_v(limit=2.0))
def test_softmax_box_backward_matches_numerical_gradient(zv):
    z, _ = zv
    n, k = z.shape
    # an upstream gradient that varies along each row (a constant row has J^T v = 0 exactly)
    v = np.arange(k, dtype=np.float64)[None, :] + np.linspace(0, 0.3, n)[:, None]
    nnlib_error, _ = box_gradient_errors(A.Softmax(), z, v)  # softmax is not element-wise
    assert nnlib_error < TOL


@FAST
@given(z=hnp.arrays(np.float64, st.integers(1, 5), elements=st.floats(-3, 3)))
def test_softmax_jacobian_matches_independent_central_difference(z):
    k = z.size
    h = 1e-6
    numeric = np.empty((k, k))
    for j in range(k):
        e = np.zeros(k)
        e[j] = h
        numeric[:, j] = (A.softmax(z + e) - A.softmax(z - e)) / (2 * h)
    assert np.abs(A.softmax_jacobian(z) - numeric).max() < 1e-8


# ----------------------------------------------------------------------------- laws
@FAST
@given(z=hnp.arrays(np.float64, st.integers(1, 20), elements=st.floats(-50, 50)))
def test_sigmoid_is_symmetric(z):
    np.testing.assert_allclose(A.sigmoid(-z), 1 - A.sigmoid(z), rtol=0, atol=1e-15)


@FAST
@given(z=hnp.arrays(np.float64, st.integers(1, 20), elements=st.floats(-30, 30)))
def test_sigmoid_matches_scipy_expit_and_derivative_is_s_times_one_minus_s(z):
    s = expit(z)
    np.testing.assert_allclose(A.sigmoid(z), s, rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(A.sigmoid_derivative(z), s * (1 - s), rtol=1e-12, atol=1e-300)


@FAST
@given(z=hnp.arrays(np.float64, st.integers(1, 20), elements=st.floats(-20, 20)))
def test_tanh_derivative_is_one_minus_tanh_squared(z):
    np.testing.assert_allclose(A.tanh_derivative(z), 1 - np.tanh(z) ** 2, rtol=1e-12, atol=1e-15)


@FAST
@given(z=hnp.arrays(np.float64, st.integers(1, 20), elements=st.floats(-8, 8)))
def test_gelu_is_z_times_normal_cdf_and_derivative_is_cdf_plus_z_pdf(z):
    np.testing.assert_allclose(A.gelu(z), z * norm.cdf(z), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(A.gelu_derivative(z), norm.cdf(z) + z * norm.pdf(z),
                               rtol=1e-12, atol=1e-15)


@FAST
@given(z=hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 5)),
                    elements=st.floats(-50, 50)))
def test_softmax_rows_are_positive_and_sum_to_one(z):
    s = A.softmax(z)
    assert s.shape == z.shape
    assert np.all(s >= 0)
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=0, atol=1e-12)


@FAST
@given(z=hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 5)),
                    elements=st.floats(-10, 10)),
       c=hnp.arrays(np.float64, 6, elements=st.floats(-100, 100)))
def test_softmax_is_invariant_to_adding_a_constant_per_row(z, c):
    shifted = z + c[:z.shape[0], None]
    np.testing.assert_allclose(A.softmax(shifted), A.softmax(z), rtol=1e-9, atol=1e-15)


@FAST
@given(zv=z_and_v(limit=5.0))
def test_softmax_jvp_equals_jacobian_transpose_times_v(zv):
    z, v = zv
    expected = np.einsum("nij,ni->nj", A.softmax_jacobian(z), v)
    np.testing.assert_allclose(A.softmax_vjp(z, v), expected, rtol=1e-10, atol=1e-14)


def test_softmax_jacobian_shapes_and_symmetry():
    z = np.array([[0.5, -1.0, 2.0], [1.0, 1.0, 1.0]])
    J = A.softmax_jacobian(z)
    assert J.shape == (2, 3, 3)
    assert A.softmax_jacobian(z[0]).shape == (3, 3)
    np.testing.assert_allclose(J, np.swapaxes(J, 1, 2))
    s = A.softmax(z[1])
    np.testing.assert_allclose(J[1], np.diag(s) - np.outer(s, s))


# ----------------------------------------------------------------------------- hand values
def test_hand_computed_values():
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(A.relu(z), [0.0, 0.0, 3.0])
    np.testing.assert_array_equal(A.relu_derivative(z), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(A.step(z), [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(A.sign(z), [-1.0, 0.0, 1.0])
    np.testing.assert_allclose(A.leaky_relu(z, 0.1), [-0.2, 0.0, 3.0])
    np.testing.assert_allclose(A.leaky_relu_derivative(z, 0.1), [0.1, 0.1, 1.0])
    assert A.sigmoid(0.0) == 0.5
    np.testing.assert_allclose(A.softmax([0.0, np.log(3.0)]), [0.25, 0.75])


def test_identity_returns_a_copy_not_the_input():
    z = np.array([1.0, 2.0])
    out = A.identity(z)
    out[0] = 99.0
    assert z[0] == 1.0


def test_leaky_relu_box_uses_its_alpha():
    box = A.LeakyReLU(alpha=0.2)
    np.testing.assert_allclose(box(np.array([[-1.0, 2.0]])), [[-0.2, 2.0]])
    np.testing.assert_allclose(box.backward(np.ones((1, 2))), [[0.2, 1.0]])


# ----------------------------------------------------------------------------- stability
@pytest.mark.parametrize("fn", [A.sigmoid, A.sigmoid_derivative, A.tanh, A.tanh_derivative,
                                A.softmax, A.gelu, A.gelu_derivative], ids=lambda f: f.__name__)
def test_huge_inputs_are_finite_and_silent(fn):
    z = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fn(z)
    assert np.all(np.isfinite(out))


def test_sigmoid_and_softmax_of_huge_inputs_have_the_limit_values():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(A.sigmoid(np.array([1000.0, -1000.0])), [1.0, 0.0])
        np.testing.assert_array_equal(A.softmax(np.array([1000.0, -1000.0])), [1.0, 0.0])
        np.testing.assert_array_equal(A.softmax_vjp(np.array([1000.0, -1000.0]),
                                                    np.array([1.0, 2.0])), [0.0, 0.0])


# ----------------------------------------------------------------------------- dtypes
FLOAT32_SAFE = [n for n in ELEMENTWISE if n != "gelu"]


@pytest.mark.parametrize("name", FLOAT32_SAFE)
def test_functions_keep_float32(name):
    _, fn, dfn = ELEMENTWISE[name]
    z = np.array([-1.5, 0.5, 2.0], dtype=np.float32)
    assert fn(z).dtype == np.float32
    assert dfn(z).dtype == np.float32


def test_integer_and_list_inputs_become_float64():
    assert A.sigmoid([1, 2]).dtype == np.float64
    assert A.relu(np.array([1, -2])).dtype == np.float64


@pytest.mark.parametrize("name", [n for n in ALL_BOXES if n != "gelu"])
def test_box_forward_keeps_float32(name):
    box = ALL_BOXES[name]()
    assert box(np.ones((2, 3), dtype=np.float32)).dtype == np.float32


def test_gelu_keeps_float32():
    z = np.array([-1.5, 0.5, 2.0], dtype=np.float32)
    assert A.gelu(z).dtype == np.float32
    assert A.gelu_derivative(z).dtype == np.float32
    assert A.GELU()(z[None, :]).dtype == np.float32


def test_box_backward_keeps_float32():
    box = A.Sigmoid()
    box(np.ones((2, 3), dtype=np.float32))
    assert box.backward(np.ones((2, 3), dtype=np.float32)).dtype == np.float32


# ----------------------------------------------------------------------------- registry
def test_registry_has_every_box_by_name():
    assert set(A.ACTIVATIONS) == set(ALL_BOXES)
    for name, cls in A.ACTIVATIONS.items():
        assert cls.name == name


def test_get_activation_accepts_names_case_insensitively_classes_and_instances():
    assert isinstance(A.get_activation("ReLU"), A.ReLU)
    assert isinstance(A.get_activation(A.Tanh), A.Tanh)
    box = A.Sigmoid()
    assert A.get_activation(box) is box


def test_get_activation_returns_a_fresh_box_each_time():
    assert A.get_activation("relu") is not A.get_activation("relu")


def test_leaky_relu_config_round_trips_alpha():
    assert A.LeakyReLU(0.3).config() == {"type": "LeakyReLU", "alpha": 0.3}
    assert repr(A.LeakyReLU(0.3)) == "LeakyReLU(alpha=0.3)"


# ----------------------------------------------------------------------------- bad input
def test_get_activation_unknown_name():
    with pytest.raises(ValueError, match=r"unknown activation 'swish'; choose one of \["):
        A.get_activation("swish")


def test_get_activation_non_string():
    with pytest.raises(TypeError, match=r"activation must be one of .*got int 3"):
        A.get_activation(3)


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match=r"Sigmoid\(\)\.backward\(\) was called before forward"):
        A.Sigmoid().backward(np.ones((2, 3)))


@pytest.mark.parametrize("name", ALL_BOXES)
def test_backward_with_wrong_shape(name):
    # A box's backward is only its formula (a (1, 3) gradient would broadcast); the network,
    # where a reader passes a gradient in, checks its shape.
    from nnlib import Sequential

    net = Sequential([ALL_BOXES[name]()])
    net(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"expects a gradient of shape \(2, 3\).*got \(1, 3\)"):
        net.backward(np.ones((1, 3)))


@pytest.mark.parametrize("name", ALL_BOXES)
def test_box_rejects_nan(name):
    with pytest.raises(ValueError, match=r"the input of .* contains NaN or inf \(first at index "
                                         r"\(0, 1\)\)"):
        ALL_BOXES[name]()(np.array([[1.0, np.nan]]))


def test_box_rejects_strings():
    with pytest.raises(TypeError, match=r"the input of ReLU\(\) must be a number or an array of "
                                        r"numbers, got str 'abc'"):
        A.ReLU()("abc")
    with pytest.raises(TypeError, match=r"the input of ReLU\(\) must contain numbers"):
        A.ReLU()(["a", "b"])


@pytest.mark.parametrize("fn", [A.sigmoid, A.relu, A.softmax, A.gelu], ids=lambda f: f.__name__)
def test_functions_reject_nan_inf_strings_and_complex(fn):
    with pytest.raises(ValueError, match="z contains NaN or inf"):
        fn([0.0, np.inf])  # a list is converted and checked
    # A float array is used as it is (boxes call these on every mini-batch): NaN gives NaN.
    assert np.isnan(fn(np.array([0.0, np.nan]))).any()
    with pytest.raises(TypeError, match="z must be a number or an array of numbers"):
        fn("1.0")
    with pytest.raises(TypeError, match="z must contain real numbers, got complex"):
        fn(np.array([1 + 2j]))
    with pytest.raises(TypeError, match="z must be a number"):
        fn(None)


def test_softmax_has_no_elementwise_derivative():
    with pytest.raises(TypeError, match="softmax has no element-wise derivative"):
        A.Softmax().derivative(np.ones(3))


def test_softmax_jvp_shape_mismatch():
    with pytest.raises(ValueError, match=r"v must have the shape of z \(2, 3\), got \(2, 2\)"):
        A.softmax_vjp(np.ones((2, 3)), np.ones((2, 2)))


@pytest.mark.parametrize("alpha, exc, msg", [
    (0, ValueError, r"alpha must be a finite number > 0, got 0"),
    (-0.1, ValueError, r"alpha must be a finite number > 0"),
    (float("nan"), ValueError, r"alpha must be a finite number > 0"),
    ("0.1", TypeError, r"alpha must be a real number, got str '0.1'"),
])
def test_leaky_relu_rejects_bad_alpha(alpha, exc, msg):
    with pytest.raises(exc, match=msg):
        A.LeakyReLU(alpha)



def test_erf_without_scipy_is_math_erf_and_agrees_with_scipy(monkeypatch):
    # the in-browser edition may run GELU before any chapter cell has loaded SciPy
    z = np.linspace(-6, 6, 1001)
    with_scipy, gelu_with_scipy = A.erf(z), A.gelu(z)
    monkeypatch.setitem(sys.modules, "scipy.special", None)  # now `from scipy.special` fails
    without = A.erf(z)
    assert without.dtype == np.float64
    np.testing.assert_allclose(without, with_scipy, rtol=2e-16, atol=2e-16)
    assert A.erf(np.float32(0.5)).dtype == np.float32
    # (1 + erf) cancels for very negative z, so the GELU values agree in absolute terms
    np.testing.assert_allclose(A.gelu(z), gelu_with_scipy, rtol=1e-15, atol=1e-15)
