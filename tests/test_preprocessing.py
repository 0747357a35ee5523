"""Tests for nnlib.preprocessing: Standardizer (formula, fit on training data only, constant
features, inverse, errors)."""
import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib import Standardizer

FAST = settings(max_examples=40, deadline=None)


@FAST
@given(X=hnp.arrays(np.float64, st.tuples(st.integers(2, 30), st.integers(1, 5)),
                    elements=st.floats(-1e3, 1e3)))
def test_standardised_columns_have_mean_0_and_sd_1_or_are_constant(X):
    s = Standardizer()
    Z = s.fit_transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-8)
    sd = Z.std(axis=0)
    np.testing.assert_allclose(sd[~s.constant], 1.0, rtol=1e-6)
    np.testing.assert_allclose(Z[:, s.constant], 0.0, atol=1e-8)
    np.testing.assert_allclose(s.inverse_transform(Z), X, rtol=1e-9, atol=1e-6)


def test_formula_by_hand():
    X = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 20.0]])
    s = Standardizer().fit(X)
    np.testing.assert_allclose(s.mean, [3.0, 20.0])
    np.testing.assert_allclose(s.scale, [np.sqrt(8 / 3), np.sqrt(200 / 3)])
    np.testing.assert_allclose(s.transform([7.0, 20.0]), [4 / np.sqrt(8 / 3), 0.0])


def test_other_data_uses_the_training_mean_and_scale():
    rng = np.random.default_rng(0)
    X_train, X_val = rng.normal(5, 2, size=(50, 3)), rng.normal(-1, 9, size=(20, 3))
    s = Standardizer().fit(X_train)
    np.testing.assert_allclose(s.transform(X_val), (X_val - X_train.mean(0)) / X_train.std(0))
    assert abs(s.transform(X_val).mean()) > 0.5  # not re-centred on the validation data


def test_constant_feature_is_centred_not_divided_by_zero():
    X = np.array([[1.0, 4.0], [2.0, 4.0], [3.0, 4.0]])
    s = Standardizer()
    with np.errstate(all="raise"):
        Z = s.fit_transform(X)
    np.testing.assert_array_equal(s.constant, [False, True])
    np.testing.assert_array_equal(Z[:, 1], 0.0)
    assert s.scale[1] == 1.0
    np.testing.assert_allclose(s.transform([[2.0, 6.0]]), [[0.0, 2.0]])


def test_one_example_batch_is_all_constant():
    s = Standardizer().fit([[2.0, -1.0]])
    np.testing.assert_array_equal(s.constant, [True, True])
    np.testing.assert_array_equal(s.transform([[2.0, -1.0]]), [[0.0, 0.0]])


def test_repr():
    assert repr(Standardizer()) == "Standardizer(not fitted)"
    assert repr(Standardizer().fit(np.ones((3, 2)))) == "Standardizer(2 features)"


def test_transform_before_fit():
    with pytest.raises(RuntimeError, match=r"not fitted yet: call fit\(X_train\) on the training "
                                           r"inputs first"):
        Standardizer().transform(np.ones((2, 2)))
    with pytest.raises(RuntimeError, match=r"not fitted yet"):
        Standardizer().inverse_transform(np.ones((2, 2)))


@pytest.mark.parametrize("X, exc, msg", [
    (np.ones(3), ValueError, r"X \(the training inputs of Standardizer.fit\) must be a 2-D array, "
                             r"got shape \(3,\)"),
    (np.ones((0, 3)), ValueError, r"needs at least one example, got an array with 0 rows"),
    (np.array([[1.0, np.inf]]), ValueError, r"contains NaN or inf \(first at index \(0, 1\)\)"),
    ("abc", TypeError, r"must be a number or an array of numbers, got str"),
])
def test_fit_rejects_bad_input(X, exc, msg):
    with pytest.raises(exc, match=msg):
        Standardizer().fit(X)


def test_transform_rejects_the_wrong_number_of_features():
    s = Standardizer().fit(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"fitted on inputs with 3 features, got 2 "
                                         r"\(input shape \(5, 2\)\)"):
        s.transform(np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"fitted on inputs with 3 features, got 4"):
        s.inverse_transform(np.ones(4))
    with pytest.raises(ValueError, match=r"must be a 1-D or 2-D array"):
        s.transform(np.ones((1, 1, 3)))
