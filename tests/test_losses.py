"""Tests for nnlib.losses: hand values, means over N, gradients (checked), the fused softmax loss."""
import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib import Dense, Sequential, Sigmoid, Softmax, one_hot, softmax
from nnlib.gradcheck import gradient_check, numerical_gradient, relative_error
from nnlib.losses import (EPS, LOSSES, MAE, MSE, BinaryCrossEntropy, CategoricalCrossEntropy,
                          SoftmaxCrossEntropy, SparseCategoricalCrossEntropy,
                          binary_cross_entropy, cross_entropy, get_loss, mse)

from conftest import central_difference_gradient

FAST = settings(max_examples=30, deadline=None)
TOL = 1e-7
shapes = st.tuples(st.integers(1, 6), st.integers(1, 5))


def assert_gradient_correct(loss, y_hat, y):
    analytic = loss.gradient(y_hat, y)
    x = y_hat.copy()
    f = lambda: loss(x, y)  # noqa: E731
    assert relative_error(analytic, numerical_gradient(f, x)) < TOL
    assert relative_error(analytic, central_difference_gradient(f, x)) < TOL


# ----------------------------------------------------------------------------- strategies
@st.composite
def regression_pair(draw):
    """y_hat and y with |y_hat - y| >= 0.1 everywhere (MAE has a kink at y_hat == y)."""
    shape = draw(shapes)
    y_hat = draw(hnp.arrays(np.float64, shape, elements=st.floats(-2, 2)))
    d = draw(hnp.arrays(np.float64, shape,
                        elements=st.one_of(st.floats(-2, -0.1), st.floats(0.1, 2))))
    return y_hat, y_hat - d


@st.composite
def probabilities(draw, shape=None):
    shape = shape or draw(shapes)
    return draw(hnp.arrays(np.float64, shape, elements=st.floats(0.05, 0.95)))


@st.composite
def probs_and_labels(draw):
    n, k = draw(shapes)
    p = draw(probabilities((n, k)))
    labels = draw(hnp.arrays(np.intp, n, elements=st.integers(0, k - 1)))
    return p, labels


@st.composite
def logits_and_labels(draw, limit=2.0):
    n, k = draw(shapes)
    z = draw(hnp.arrays(np.float64, (n, k), elements=st.floats(-limit, limit)))
    labels = draw(hnp.arrays(np.intp, n, elements=st.integers(0, k - 1)))
    return z, labels


# ----------------------------------------------------------------------------- hand values
def test_mse_hand_value_uses_the_half_convention():
    assert MSE()(np.array([1.0, 2.0]), np.array([0.0, 0.0])) == 2.5  # ½(1 + 4)
    assert mse([[1.0, 2.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 1.0]]) == pytest.approx((2.5 + 0.5) / 2)


def test_mae_hand_value():
    assert MAE()(np.array([1.0, -2.0]), np.array([0.0, 0.0])) == 3.0


def test_binary_cross_entropy_hand_value():
    expected = -(np.log(0.8) + np.log(1 - 0.3))
    assert BinaryCrossEntropy()(np.array([0.8, 0.3]), np.array([1.0, 0.0])) == pytest.approx(
        expected, rel=1e-14)
    assert binary_cross_entropy([[0.8, 0.3]], [[1.0, 0.0]]) == pytest.approx(expected, rel=1e-14)


def test_categorical_cross_entropy_hand_value():
    y_hat = np.array([0.78, 0.05, 0.12])
    assert CategoricalCrossEntropy()(y_hat, np.array([1.0, 0.0, 0.0])) == pytest.approx(
        -np.log(0.78), rel=1e-14)


GOOD = (np.array([0.78, 0.05, 0.12]), np.array([1.0, 0.0, 0.0]))
BAD = (np.array([0.23, 0.59, 0.07]), np.array([0.0, 0.0, 1.0]))


@pytest.mark.parametrize("loss", [MSE(), MAE(), CategoricalCrossEntropy()], ids=repr)
def test_book_example_good_prediction_has_smaller_loss(loss):
    assert loss(*GOOD) < loss(*BAD)


def test_book_example_values():
    assert MSE()(*GOOD) == pytest.approx(0.5 * (0.22 ** 2 + 0.05 ** 2 + 0.12 ** 2))
    assert MSE()(*BAD) == pytest.approx(0.5 * (0.23 ** 2 + 0.59 ** 2 + 0.93 ** 2))
    assert MAE()(*GOOD) == pytest.approx(0.22 + 0.05 + 0.12)
    assert MAE()(*BAD) == pytest.approx(0.23 + 0.59 + 0.93)
    assert CategoricalCrossEntropy()(*BAD) == pytest.approx(-np.log(0.07))


def test_perfect_prediction_has_zero_loss():
    y = np.eye(3)
    assert MSE()(y, y) == 0 and MAE()(y, y) == 0
    assert CategoricalCrossEntropy()(y, y) == 0
    assert BinaryCrossEntropy()(y, y) == pytest.approx(0, abs=1e-10)


def test_probability_zero_is_clipped_instead_of_log_zero():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = CategoricalCrossEntropy()(np.array([0.0, 1.0]), np.array([1.0, 0.0]))
    assert value == pytest.approx(-np.log(EPS))


# ----------------------------------------------------------------------------- means over N
ALL_LOSSES = [MSE(), MAE(), BinaryCrossEntropy(), CategoricalCrossEntropy()]


@pytest.mark.parametrize("loss", ALL_LOSSES, ids=repr)
@FAST
@given(p=probabilities(), seed=st.integers(0, 2 ** 16))
def test_batch_loss_is_the_mean_of_per_example_losses(loss, p, seed):
    y = np.random.default_rng(seed).integers(0, 2, size=p.shape).astype(float)
    per = loss.per_example(p, y)
    assert per.shape == (p.shape[0],)
    assert loss(p, y) == pytest.approx(per.mean(), rel=1e-14)
    for n in range(p.shape[0]):
        assert per[n] == pytest.approx(loss(p[n], y[n]), rel=1e-14)


@pytest.mark.parametrize("loss", ALL_LOSSES, ids=repr)
@FAST
@given(p=probabilities(), seed=st.integers(0, 2 ** 16))
def test_batch_gradient_is_the_single_example_gradient_divided_by_n(loss, p, seed):
    y = np.random.default_rng(seed).integers(0, 2, size=p.shape).astype(float)
    g = loss.gradient(p, y)
    n = p.shape[0]
    for i in range(n):
        np.testing.assert_allclose(g[i], loss.gradient(p[i], y[i]) / n, rtol=1e-14)


@FAST
@given(pl=probs_and_labels())
def test_sparse_per_example_mean(pl):
    p, labels = pl
    loss = SparseCategoricalCrossEntropy()
    assert loss(p, labels) == pytest.approx(loss.per_example(p, labels).mean(), rel=1e-14)
    np.testing.assert_allclose(loss.per_example(p, labels),
                               -np.log(p[np.arange(len(labels)), labels]), rtol=1e-14)


# ----------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("loss", [MSE(), MAE()], ids=repr)
@FAST
@given(pair=regression_pair())
def test_regression_loss_gradients(loss, pair):
    assert_gradient_correct(loss, *pair)


@FAST
@given(p=probabilities(), seed=st.integers(0, 2 ** 16))
def test_binary_cross_entropy_gradient(p, seed):
    y = np.random.default_rng(seed).integers(0, 2, size=p.shape).astype(float)
    assert_gradient_correct(BinaryCrossEntropy(), p, y)


@FAST
@given(pl=probs_and_labels())
def test_categorical_cross_entropy_gradient_one_hot(pl):
    p, labels = pl
    assert_gradient_correct(CategoricalCrossEntropy(), p, one_hot(labels, p.shape[1]))


@FAST
@given(shape=shapes, data=st.data())
def test_categorical_cross_entropy_gradient_soft_targets(shape, data):
    p = data.draw(probabilities(shape))
    w = data.draw(probabilities(shape))
    assert_gradient_correct(CategoricalCrossEntropy(), p, w / w.sum(axis=1, keepdims=True))


@FAST
@given(pl=probs_and_labels())
def test_sparse_categorical_cross_entropy_gradient(pl):
    assert_gradient_correct(SparseCategoricalCrossEntropy(), *pl)


@FAST
@given(zl=logits_and_labels())
def test_softmax_cross_entropy_gradient_with_labels_and_one_hot(zl):
    z, labels = zl
    assert_gradient_correct(SoftmaxCrossEntropy(), z, labels)
    assert_gradient_correct(SoftmaxCrossEntropy(), z, one_hot(labels, z.shape[1]))


@FAST
@given(zl=logits_and_labels(limit=30.0))
def test_softmax_cross_entropy_gradient_is_softmax_minus_one_hot_over_n(zl):
    z, labels = zl
    expected = (softmax(z) - one_hot(labels, z.shape[1])) / z.shape[0]
    np.testing.assert_allclose(SoftmaxCrossEntropy().gradient(z, labels), expected,
                               rtol=1e-12, atol=1e-16)


NET_CASES = {
    "mse": (MSE(), lambda: Sequential([Dense(3, 2, seed=0)]), "real"),
    "mae": (MAE(), lambda: Sequential([Dense(3, 2, seed=0)]), "real"),
    "bce": (BinaryCrossEntropy(), lambda: Sequential([Dense(3, 2, seed=0), Sigmoid()]), "binary"),
    "cce": (CategoricalCrossEntropy(), lambda: Sequential([Dense(3, 4, seed=0), Softmax()]),
            "onehot"),
    "sparse": (SparseCategoricalCrossEntropy(),
               lambda: Sequential([Dense(3, 4, seed=0), Softmax()]), "labels"),
    "softmax_ce": (SoftmaxCrossEntropy(), lambda: Sequential([Dense(3, 4, seed=0)]), "labels"),
}


@pytest.mark.parametrize("case", NET_CASES)
def test_gradient_check_through_a_dense_layer(case):
    loss, make, kind = NET_CASES[case]
    net = make()
    rng = np.random.default_rng(1)
    X = rng.normal(size=(5, 3))
    k = net.layers[0].n_out
    y = {"real": lambda: rng.normal(size=(5, k)) + 3.0,  # far from the output: no MAE kink
         "binary": lambda: rng.integers(0, 2, size=(5, k)).astype(float),
         "onehot": lambda: np.eye(k)[rng.integers(0, k, 5)],
         "labels": lambda: rng.integers(0, k, 5)}[kind]()
    assert gradient_check(net, X, y, loss).max_relative_error < TOL


def test_single_example_gradient_is_one_dimensional():
    g = MSE().gradient(np.array([1.0, 2.0]), np.array([0.0, 0.0]))
    np.testing.assert_array_equal(g, [1.0, 2.0])
    assert SoftmaxCrossEntropy().gradient(np.array([0.0, 0.0]), 1).shape == (2,)
    assert SparseCategoricalCrossEntropy().gradient(np.array([0.5, 0.5]), 0).shape == (2,)


# ----------------------------------------------------------------------------- sparse vs one-hot
@FAST
@given(pl=probs_and_labels())
def test_sparse_cross_entropy_equals_cross_entropy_with_one_hot(pl):
    p, labels = pl
    Y = one_hot(labels, p.shape[1])
    sparse, dense = SparseCategoricalCrossEntropy(), CategoricalCrossEntropy()
    assert sparse(p, labels) == pytest.approx(dense(p, Y), rel=1e-14)
    np.testing.assert_allclose(sparse.gradient(p, labels), dense.gradient(p, Y), rtol=1e-14)
    assert cross_entropy(p, labels) == pytest.approx(cross_entropy(p, Y), rel=1e-14)


def test_sparse_accepts_whole_float_labels():
    p = np.array([[0.2, 0.8], [0.6, 0.4]])
    assert SparseCategoricalCrossEntropy()(p, np.array([1.0, 0.0])) == pytest.approx(
        SparseCategoricalCrossEntropy()(p, [1, 0]))


# ----------------------------------------------------------------------------- fused softmax
@FAST
@given(zl=logits_and_labels(limit=10.0))
def test_softmax_cross_entropy_equals_cross_entropy_of_softmax(zl):
    z, labels = zl
    fused = SoftmaxCrossEntropy()(z, labels)
    separate = CategoricalCrossEntropy()(softmax(z), one_hot(labels, z.shape[1]))
    assert fused == pytest.approx(separate, rel=1e-10, abs=1e-12)
    assert SoftmaxCrossEntropy()(z, one_hot(labels, z.shape[1])) == pytest.approx(
        fused, rel=1e-14, abs=1e-15)


def test_softmax_cross_entropy_of_huge_logits_is_finite_and_exact():
    z = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]])
    loss = SoftmaxCrossEntropy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        per = loss.per_example(z, np.array([0, 0]))
        g = loss.gradient(z, np.array([0, 0]))
    np.testing.assert_array_equal(per, [0.0, 2000.0])
    assert loss(z, np.array([0, 0])) == 1000.0
    np.testing.assert_array_equal(g, [[0.0, 0.0], [-0.5, 0.5]])


def test_softmax_cross_entropy_predict_output_is_softmax():
    z = np.array([[1.0, 2.0, 0.5]])
    np.testing.assert_allclose(SoftmaxCrossEntropy().predict_output(z), softmax(z))
    np.testing.assert_array_equal(MSE().predict_output(z), z)


def test_softmax_cross_entropy_single_example_with_scalar_label():
    z = np.array([2.0, 1.0, 0.0])
    expected = np.log(np.exp(z).sum()) - 2.0
    assert SoftmaxCrossEntropy()(z, 0) == pytest.approx(expected, rel=1e-14)


# ----------------------------------------------------------------------------- registry
def test_get_loss_by_name_class_and_instance():
    assert isinstance(get_loss("MSE"), MSE)
    assert isinstance(get_loss(SoftmaxCrossEntropy), SoftmaxCrossEntropy)
    loss = MAE()
    assert get_loss(loss) is loss
    assert set(LOSSES) == {"mse", "mae", "binary_cross_entropy", "categorical_cross_entropy",
                           "sparse_categorical_cross_entropy", "softmax_cross_entropy"}


def test_classification_flags():
    assert not MSE.classification and not MAE.classification
    assert all(get_loss(n).classification for n in LOSSES if n not in ("mse", "mae"))


# ----------------------------------------------------------------------------- bad input
def test_unknown_loss_name():
    with pytest.raises(ValueError, match=r"unknown loss 'hinge'; choose one of \["):
        get_loss("hinge")
    with pytest.raises(TypeError, match=r"loss must be one of .*got NoneType None"):
        get_loss(None)


@pytest.mark.parametrize("loss", [MSE(), MAE(), BinaryCrossEntropy(), CategoricalCrossEntropy()],
                         ids=repr)
def test_shape_mismatch(loss):
    name = type(loss).__name__
    with pytest.raises(ValueError, match=rf"{name}: y_hat and y must have the same shape, got "
                                         r"y_hat \(2, 3\) and y \(2, 2\)"):
        loss(np.full((2, 3), 0.5), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="must have the same shape"):
        loss.gradient(np.full((2, 3), 0.5), np.zeros((2, 2)))


def test_shape_mismatch_suggests_sparse_loss_for_labels():
    with pytest.raises(ValueError, match=r"use SparseCategoricalCrossEntropy, or convert them with "
                                         r"one_hot"):
        CategoricalCrossEntropy()(np.full((3, 2), 0.5), np.array([0, 1, 1]))


@pytest.mark.parametrize("loss", [BinaryCrossEntropy(), CategoricalCrossEntropy()], ids=repr)
@pytest.mark.parametrize("bad", [1.2, -0.2])
def test_cross_entropy_rejects_probabilities_outside_0_1(loss, bad):
    y_hat = np.array([[bad, 0.5]])
    msg = rf"{type(loss).__name__} expects predicted probabilities in \[0, 1\], got values from"
    with pytest.raises(ValueError, match=msg):
        loss(y_hat, np.array([[1.0, 0.0]]))
    with pytest.raises(ValueError, match=msg):
        loss.gradient(y_hat, np.array([[1.0, 0.0]]))


def test_sparse_cross_entropy_rejects_probabilities_outside_0_1():
    with pytest.raises(ValueError, match=r"SparseCategoricalCrossEntropy expects predicted "
                                         r"probabilities in \[0, 1\].*use SoftmaxCrossEntropy"):
        SparseCategoricalCrossEntropy()(np.array([[3.0, -1.0]]), [0])


@pytest.mark.parametrize("loss", [BinaryCrossEntropy(), CategoricalCrossEntropy(),
                                  SoftmaxCrossEntropy()], ids=repr)
def test_cross_entropy_rejects_targets_outside_0_1(loss):
    with pytest.raises(ValueError, match=rf"{type(loss).__name__} expects targets in \[0, 1\], "
                                         r"got values from 0 to 2"):
        loss(np.array([[0.5, 0.5]]), np.array([[2.0, 0.0]]))


@pytest.mark.parametrize("loss", [BinaryCrossEntropy(), CategoricalCrossEntropy()], ids=repr)
def test_cross_entropy_gradient_rejects_targets_outside_0_1(loss):
    with pytest.raises(ValueError, match=r"expects targets in \[0, 1\]"):
        loss.gradient(np.array([[0.5, 0.5]]), np.array([[2.0, 0.0]]))


@pytest.mark.parametrize("loss", [SparseCategoricalCrossEntropy(), SoftmaxCrossEntropy()],
                         ids=repr)
@pytest.mark.parametrize("labels, shown", [([0, 3], "from 0 to 3"), ([-1, 0], "from -1 to 0")])
def test_labels_out_of_range(loss, labels, shown):
    name = type(loss).__name__
    with pytest.raises(ValueError, match=rf"{name}: labels must be in 0\.\.2 for 3 outputs, got "
                                         rf"-?\d at position \d \(values {shown}\)"):
        loss(np.full((2, 3), 1 / 3), labels)
    with pytest.raises(ValueError, match="labels must be in 0..2"):
        loss.gradient(np.full((2, 3), 1 / 3), labels)


@pytest.mark.parametrize("loss", [SparseCategoricalCrossEntropy(), SoftmaxCrossEntropy()],
                         ids=repr)
@pytest.mark.parametrize("labels", [[0.5, 1.0], [True, False], ["a", "b"], [np.nan, 1.0]])
def test_non_integer_labels(loss, labels):
    with pytest.raises(TypeError, match=rf"{type(loss).__name__} expects y as whole-number class labels "
                                        r"of shape \(N,\)"):
        loss(np.full((2, 3), 1 / 3), np.array(labels))


def test_sparse_label_count_mismatch():
    with pytest.raises(ValueError, match=r"SparseCategoricalCrossEntropy: y_hat has 2 examples but "
                                         r"y has 3 labels"):
        SparseCategoricalCrossEntropy()(np.full((2, 3), 1 / 3), [0, 1, 2])


def test_softmax_cross_entropy_one_hot_shape_mismatch():
    with pytest.raises(ValueError, match=r"SoftmaxCrossEntropy: y must be class labels of shape "
                                         r"\(2,\) or one-hot rows of the shape of the scores "
                                         r"\(2, 3\), got \(2, 2\)"):
        SoftmaxCrossEntropy()(np.zeros((2, 3)), np.ones((2, 2)))


@pytest.mark.parametrize("loss", [MSE(), SparseCategoricalCrossEntropy(), SoftmaxCrossEntropy()],
                         ids=repr)
def test_nan_predictions(loss):
    with pytest.raises(ValueError, match=r"contains NaN or inf \(first at index \(1, 0\)\)"):
        loss(np.array([[0.5, 0.5], [np.nan, 0.5]]), np.array([0, 1]) if loss.classification
             else np.zeros((2, 2)))


def test_nan_targets():
    with pytest.raises(ValueError, match=r"y \(the target passed to MSE\) contains NaN or inf"):
        MSE()(np.zeros(2), np.array([0.0, np.inf]))


def test_string_and_3d_predictions():
    with pytest.raises(TypeError, match=r"y_hat \(the prediction passed to MSE\) must be a number "
                                        r"or an array of numbers, got str 'a'"):
        MSE()("a", np.ones(2))
    with pytest.raises(ValueError, match=r"y_hat \(the prediction passed to MSE\) must be a 1-D or "
                                         r"2-D array, got shape \(2, 3, 1\) \(3-D\)"):
        MSE()(np.ones((2, 3, 1)), np.ones((2, 3, 1)))
