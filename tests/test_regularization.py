"""Tests for nnlib.regularization: the Dropout box (modes, mask, gradients, fit, save/load, errors)
and the mode switches it needs (Layer.training, Sequential.train/eval, fit)."""
import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnlib
from nnlib import SGD, Dense, Dropout, ReLU, Sequential, Tanh, fit
from nnlib.gradcheck import gradient_check, numerical_gradient, relative_error

from conftest import central_difference_gradient

FAST = settings(max_examples=30, deadline=None)
TOL = 1e-7


@st.composite
def dropout_case(draw):
    """A Dropout box with a drawn p and seed, an input batch X and an upstream gradient V."""
    n, k = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    p = draw(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.8]))
    box = Dropout(p, seed=draw(st.integers(0, 1000)))
    X = draw(hnp.arrays(np.float64, (n, k), elements=st.floats(-3, 3)))
    V = draw(hnp.arrays(np.float64, (n, k), elements=st.floats(-3, 3)))
    return box, X, V


# ----------------------------------------------------------------------------- forward
def test_training_mode_keeps_or_zeroes_and_scales_by_one_over_keep_probability():
    box = Dropout(0.25, seed=0)
    X = np.arange(1.0, 201.0).reshape(20, 10)
    A = box(X)
    kept = A != 0
    np.testing.assert_allclose(A[kept], X[kept] / 0.75)
    assert kept.sum() < X.size  # something was dropped
    np.testing.assert_array_equal(box.mask, kept / 0.75)


def test_evaluation_mode_is_the_identity_and_forgets_the_mask():
    box = Dropout(0.5, seed=0)
    X = np.random.default_rng(0).normal(size=(4, 3))
    box(X)
    box.training = False
    np.testing.assert_array_equal(box(X), X)
    assert box.mask is None
    np.testing.assert_array_equal(box.backward(np.ones((4, 3))), np.ones((4, 3)))


def test_p_zero_is_the_identity_in_training_mode():
    X = np.random.default_rng(0).normal(size=(3, 5))
    np.testing.assert_array_equal(Dropout(0.0, seed=0)(X), X)


def test_expected_output_equals_the_input():
    # inverted dropout: E[A] = X; over 200,000 entries the mean is within ~4 standard errors
    box = Dropout(0.4, seed=1)
    A = box(np.ones((400, 500)))
    se = np.sqrt(0.4 / 0.6 / A.size)       # sd of one entry is sqrt(p/(1-p)) for X = 1
    assert abs(A.mean() - 1.0) < 4 * se
    assert abs((A == 0).mean() - 0.4) < 0.005


def test_same_seed_same_masks_and_new_mask_every_pass():
    X = np.ones((6, 7))
    a, b = Dropout(0.5, seed=3), Dropout(0.5, seed=3)
    first = a(X)
    np.testing.assert_array_equal(first, b(X))
    assert not np.array_equal(first, a(X))  # a fresh mask at the next pass


def test_fixed_mask_reuses_the_mask_until_the_shape_changes():
    box = Dropout(0.5, seed=0)
    X = np.ones((5, 4))
    first = box(X)
    box.fixed_mask = True
    np.testing.assert_array_equal(box(2 * X), 2 * first)
    assert box(np.ones((2, 4))).shape == (2, 4)  # another shape: a new mask is drawn


def test_forward_does_not_modify_the_input_and_single_example_works():
    X = np.ones((3, 4))
    Dropout(0.5, seed=0)(X)
    np.testing.assert_array_equal(X, np.ones((3, 4)))
    assert Dropout(0.5, seed=0)(np.ones(4)).shape == (4,)


def test_backward_returns_none_when_the_input_gradient_is_not_needed():
    box = Dropout(0.5, seed=0)
    box(np.ones((2, 3)))
    box.input_grad = False
    assert box.backward(np.ones((2, 3))) is None


def test_float32_stays_float32():
    box = Dropout(0.5, seed=0)
    A = box(np.ones((3, 4), dtype=np.float32))
    assert A.dtype == np.float32 and box.mask.dtype == np.float32
    assert box.backward(np.ones((3, 4), dtype=np.float32)).dtype == np.float32


# ----------------------------------------------------------------------------- backward
def test_backward_multiplies_by_the_same_mask():
    box = Dropout(0.3, seed=2)
    X = np.random.default_rng(0).normal(size=(4, 6))
    A = box(X)
    V = np.random.default_rng(1).normal(size=(4, 6))
    dX = box.backward(V)
    np.testing.assert_array_equal(dX, V * box.mask)
    np.testing.assert_array_equal(dX == 0, A == 0)  # dropped entries pass no gradient


@FAST
@pytest.mark.parametrize("numerical", [numerical_gradient, central_difference_gradient],
                         ids=["nnlib numerical_gradient", "independent central differences"])
@given(case=dropout_case())
def test_gradient_with_a_fixed_mask_matches_finite_differences(numerical, case):
    box, X, V = case
    box(X)
    box.fixed_mask = True
    dX = box.backward(V)

    def f():
        return float(np.sum(box(X) * V))

    assert relative_error(dX, numerical(f, X)) < TOL


@FAST
@given(p=st.sampled_from([0.1, 0.5, 0.7]), seed=st.integers(0, 100))
def test_gradient_check_of_a_network_with_dropout(p, seed):
    rng = np.random.default_rng(seed)
    net = Sequential([Dense(3, 6, seed=seed), Tanh(), Dropout(p, seed=seed), Dense(6, 2, seed=1)])
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    net(X)
    net.layers[2].fixed_mask = True
    assert gradient_check(net, X, Y, "mse").max_relative_error < TOL


def test_the_gradient_check_can_fail_without_a_fixed_mask():
    # the check above is only meaningful because the mask is fixed: a new mask per pass breaks it
    rng = np.random.default_rng(0)
    net = Sequential([Dense(3, 6, seed=0), Tanh(), Dropout(0.5, seed=0), Dense(6, 2, seed=1)])
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    assert gradient_check(net, X, Y, "mse").max_relative_error > 1e-2


# ----------------------------------------------------------------------------- modes and fit
def test_layer_training_defaults_to_true_and_sequential_switches_every_box():
    net = Sequential([Dense(2, 3, seed=0), ReLU(), Dropout(0.5, seed=0), Dense(3, 1, seed=0)])
    assert all(layer.training for layer in net.layers)
    assert net.eval() is net and not any(layer.training for layer in net.layers)
    assert net.train() is net and all(layer.training for layer in net.layers)


def test_fit_trains_in_training_mode_and_records_losses_in_evaluation_mode():
    X, y = nnlib.two_moons(60, noise=0.2, seed=0)
    seen = []

    class Spy(Dropout):
        def forward(self, X):
            seen.append((X.shape[0], self.training))
            return super().forward(X)

    net = Sequential([Dense(2, 8, seed=0), ReLU(), Spy(0.5, seed=0), Dense(8, 2, seed=0)])
    h = fit(net, X, y, loss="softmax_cross_entropy", optimizer=SGD(0.1), epochs=2,
            batch_size=20, seed=0, validation_data=(X[:10], y[:10]), progress=False)
    # fit's trial passes (a first mini-batch of 32 training and of the validation examples),
    # before training, run in evaluation mode: they draw no mask
    assert seen[:2] == [(32, False), (10, False)]
    seen = seen[2:]
    batches = [t for n, t in seen if n == 20]
    assert len(batches) == 6 and all(batches)                  # 3 batches × 2 epochs, training
    recorded = [t for n, t in seen if n in (60, 10)]
    assert len(recorded) == 4 and not any(recorded)            # train + validation, 2 epochs
    assert not net.layers[2].training                          # fit leaves evaluation mode
    # the recorded loss is the loss of the network without dropout
    assert h.train_loss[-1] == pytest.approx(nnlib.evaluate(net, X, y, "softmax_cross_entropy")[0])


def test_fit_with_dropout_is_reproducible():
    X, y = nnlib.two_moons(60, noise=0.2, seed=0)

    def run():
        net = Sequential([Dense(2, 8, seed=0), ReLU(), Dropout(0.5, seed=4), Dense(8, 2, seed=0)])
        return fit(net, X, y, loss="softmax_cross_entropy", optimizer=SGD(0.1), epochs=3,
                   batch_size=20, seed=0, progress=False).train_loss

    assert run() == run()


def test_save_and_load_keep_dropout(tmp_path):
    net = Sequential([Dense(2, 3, seed=0), Dropout(0.2, seed=5), Dense(3, 1, seed=0)])
    net.save(tmp_path / "net")
    back = Sequential.load(tmp_path / "net.npz")
    assert repr(back.layers[1]) == "Dropout(p=0.2)" and back.layers[1].seed == 5
    X = np.ones((2, 2))
    np.testing.assert_array_equal(back.eval()(X), net.eval()(X))


def test_config():
    assert Dropout(0.3, seed=2).config() == {"type": "Dropout", "p": 0.3, "seed": 2}
    assert Dropout(0.3).config()["seed"] is None
    assert Dropout(0.3).n_params == 0 and Dropout(0.3).params == {}


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("p, exc, msg", [
    (1.0, ValueError, r"must be in \[0, 1\), got 1.0 \(p = 1 would drop everything\)"),
    (-0.1, ValueError, r"must be in \[0, 1\), got -0.1"),
    (1.5, ValueError, r"must be in \[0, 1\), got 1.5"),
    ("0.5", TypeError, r"Dropout's p must be a number in \[0, 1\), got str '0.5'"),
    (True, TypeError, r"Dropout's p must be a number"),
])
def test_bad_p(p, exc, msg):
    with pytest.raises(exc, match=msg):
        Dropout(p)


def test_bad_seed():
    with pytest.raises(TypeError, match=r"seed must be an int seed or a numpy.random.Generator"):
        Dropout(0.5, seed="1")


def test_bad_input():
    with pytest.raises(TypeError, match=r"the input of Dropout\(p=0.5\) must be a number or an "
                                        r"array of numbers, got str"):
        Dropout(0.5)("abc")
    with pytest.raises(ValueError, match=r"the input of Dropout\(p=0.5\) contains NaN or inf"):
        Dropout(0.5)(np.array([[1.0, np.nan]]))
    with pytest.raises(RuntimeError, match=r"Dropout\(p=0.5\)\.backward\(\) was called before "
                                           r"forward\(\)"):
        Dropout(0.5).backward(np.ones((2, 3)))
