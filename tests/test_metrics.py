"""Tests for nnlib.metrics: accuracy, confusion_matrix and the label helpers."""
import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib import accuracy, confusion_matrix, one_hot
from nnlib.metrics import is_classification_target, to_labels

FAST = settings(max_examples=30, deadline=None)


@st.composite
def label_pairs(draw):
    k = draw(st.integers(1, 5))
    n = draw(st.integers(1, 30))
    labels = hnp.arrays(np.intp, n, elements=st.integers(0, k - 1))
    return draw(labels), draw(labels), k


# ----------------------------------------------------------------------------- accuracy
def test_accuracy_hand_value():
    assert accuracy(np.array([0, 1, 2, 2]), np.array([0, 1, 1, 2])) == 0.75


def test_accuracy_of_scores_uses_argmax():
    scores = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    assert accuracy(scores, np.array([0, 1, 1])) == pytest.approx(2 / 3)
    assert accuracy(scores, one_hot([0, 1, 1])) == pytest.approx(2 / 3)


def test_accuracy_of_a_single_probability_column_uses_threshold_half():
    p = np.array([[0.2], [0.5], [0.7], [0.4]])
    assert accuracy(p, np.array([0, 1, 1, 1])) == 0.75


@FAST
@given(pair=label_pairs())
def test_accuracy_is_the_fraction_of_equal_labels(pair):
    pred, true, k = pair
    assert accuracy(pred, true) == pytest.approx(np.mean(pred == true))
    assert accuracy(true, true) == 1.0
    assert accuracy(one_hot(pred, k), one_hot(true, k)) == accuracy(pred, true)


def test_accuracy_of_nothing_is_nan():
    assert math.isnan(accuracy(np.array([], dtype=int), np.array([], dtype=int)))


def test_accuracy_length_mismatch():
    with pytest.raises(ValueError, match=r"accuracy: 3 predictions but 2 true labels"):
        accuracy([0, 1, 2], [0, 1])


def test_accuracy_rejects_nan_and_strings():
    with pytest.raises(ValueError, match=r"y_pred contains NaN or inf \(first at index \(1,\)\)"):
        accuracy([0, np.nan], [0, 1])
    with pytest.raises(TypeError, match=r"y_true must be a number or an array of numbers, got str"):
        accuracy([0, 1], "01")


def test_accuracy_rejects_fractional_one_dimensional_predictions():
    with pytest.raises((TypeError, ValueError), match="y_pred"):
        accuracy(np.array([0.9, 0.2]), np.array([1, 0]))


# ----------------------------------------------------------------------------- confusion matrix
def test_confusion_matrix_hand_example():
    true = np.array([0, 0, 1, 1, 1, 2])
    pred = np.array([0, 1, 1, 1, 2, 2])
    np.testing.assert_array_equal(confusion_matrix(pred, true), [[1, 1, 0], [0, 2, 1], [0, 0, 1]])


@FAST
@given(pair=label_pairs())
def test_confusion_matrix_counts_and_diagonal(pair):
    pred, true, k = pair
    C = confusion_matrix(pred, true, n_classes=k)
    assert C.shape == (k, k)
    assert C.sum() == len(true)
    np.testing.assert_array_equal(C.sum(axis=1), np.bincount(true, minlength=k))
    np.testing.assert_array_equal(C.sum(axis=0), np.bincount(pred, minlength=k))
    assert np.trace(C) / len(true) == pytest.approx(accuracy(pred, true))


def test_confusion_matrix_n_classes_pads_and_accepts_scores():
    C = confusion_matrix(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 0]), n_classes=4)
    expected = np.zeros((4, 4), dtype=int)
    expected[1, 1] = expected[0, 0] = 1
    np.testing.assert_array_equal(C, expected)


def test_confusion_matrix_length_mismatch():
    with pytest.raises(ValueError, match=r"confusion_matrix: 2 predictions but 3 labels"):
        confusion_matrix([0, 1], [0, 1, 1])


def test_confusion_matrix_rejects_labels_beyond_n_classes():
    with pytest.raises(ValueError, match="label"):
        confusion_matrix(np.array([3, 0]), np.array([0, 0]), n_classes=2)


def test_confusion_matrix_rejects_negative_labels():
    with pytest.raises(ValueError, match="label"):
        confusion_matrix(np.array([-1, 0]), np.array([0, 0]), n_classes=2)


# ----------------------------------------------------------------------------- helpers
def test_to_labels():
    np.testing.assert_array_equal(to_labels(np.array([2, 0])), [2, 0])
    np.testing.assert_array_equal(to_labels(np.array([[0.1, 0.7, 0.2]])), [1])
    np.testing.assert_array_equal(to_labels(np.array([[0.49], [0.5]])), [0, 1])
    with pytest.raises(ValueError, match=r"expected labels of shape \(N,\) or scores of shape "
                                         r"\(N, K\), got \(2, 2, 2\)"):
        to_labels(np.ones((2, 2, 2)))


@pytest.mark.parametrize("y, expected", [
    (np.array([0, 2, 1]), True),            # integer labels
    (np.eye(3), True),                      # one-hot rows
    (np.array([[0.0], [1.0]]), True),       # a 0/1 column
    (np.array([0.0, 1.0]), True),           # 1-D whole-number floats are labels
    (np.array([0.0, 1.5]), False),          # 1-D fractions are not
    (np.array([[0.3], [1.2]]), False),      # regression column
    (np.array([[1.0, 1.0], [0.0, 1.0]]), False),  # 0/1 but not one-hot
    (np.zeros((0, 2)), False),
])
def test_is_classification_target(y, expected):
    assert is_classification_target(y) is expected
