"""Tests for nnlib.data: one_hot, train_test_split, load_digits, toy data sets, flatten_images."""
import subprocess
import sys
import tomllib
from pathlib import Path

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib.data import (flatten_images, load_digits, noisy_quadratic, one_hot, spirals,
                        train_test_split, two_moons, xor)

FAST = settings(max_examples=30, deadline=None)


# ----------------------------------------------------------------------------- one_hot
def test_one_hot_hand_example():
    np.testing.assert_array_equal(one_hot([2, 0, 1]), [[0, 0, 1], [1, 0, 0], [0, 1, 0]])


@FAST
@given(labels=hnp.arrays(np.intp, st.integers(1, 30), elements=st.integers(0, 9)),
       extra=st.integers(0, 3))
def test_one_hot_shape_values_and_argmax_round_trip(labels, extra):
    k = int(labels.max()) + 1 + extra
    Y = one_hot(labels, n_classes=k)
    assert Y.shape == (labels.size, k) and Y.dtype == np.float64
    assert set(np.unique(Y)) <= {0.0, 1.0}
    np.testing.assert_array_equal(Y.sum(axis=1), 1.0)
    np.testing.assert_array_equal(np.argmax(Y, axis=1), labels)


def test_one_hot_default_number_of_classes_is_max_plus_one():
    assert one_hot(np.array([0, 4])).shape == (2, 5)


def test_one_hot_accepts_whole_floats_and_a_dtype():
    Y = one_hot(np.array([1.0, 0.0]), dtype=np.float32)
    assert Y.dtype == np.float32
    np.testing.assert_array_equal(Y, [[0, 1], [1, 0]])


@pytest.mark.parametrize("labels, kwargs, exc, msg", [
    ([0, -1], {}, ValueError, r"labels must be >= 0, got -1"),
    ([0.5, 1.0], {}, TypeError, r"labels must be whole numbers \(class indices\), got an array of "
                                r"shape \(2,\) and dtype float64"),
    ([np.nan], {}, TypeError, r"labels must be whole numbers"),
    (["a", "b"], {}, TypeError, r"labels must be whole numbers"),
    ([[0, 1]], {}, ValueError, r"labels must be a 1-D array of class indices, got shape \(1, 2\)"),
    (5, {}, ValueError, r"labels must be a 1-D array of class indices, got shape \(\)"),
    ([0, 3], {"n_classes": 3}, ValueError,
     r"label 3 does not fit in n_classes=3 \(labels go 0\.\.2\)"),
    ([0], {"n_classes": 0}, ValueError, r"n_classes must be an integer >= 1, got 0"),
    ([0], {"n_classes": 2.0}, TypeError, r"n_classes must be an integer, got float 2.0"),
])
def test_one_hot_rejects_bad_labels(labels, kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        one_hot(np.asarray(labels), **kwargs)


# ----------------------------------------------------------------------------- train_test_split
def ids_split(n=50, test_size=0.2, seed=0, **kwargs):
    X = np.arange(n)[:, None] * np.ones((1, 3))  # row i holds the number i: X[:, 0] is an id
    y = np.arange(n) % 3
    return train_test_split(X, y, test_size, seed=seed, **kwargs)


@pytest.mark.parametrize("test_size, n_test", [(0.2, 10), (0.3, 15)])
def test_split_sizes(test_size, n_test):
    X_train, X_test, y_train, y_test = ids_split(50, test_size)
    assert X_test.shape == (n_test, 3) and y_test.shape == (n_test,)
    assert X_train.shape == (50 - n_test, 3) and y_train.shape == (50 - n_test,)


def test_split_is_disjoint_covering_and_keeps_rows_aligned():
    X_train, X_test, y_train, y_test = ids_split(50, 0.3)
    train_ids, test_ids = X_train[:, 0].astype(int), X_test[:, 0].astype(int)
    assert set(train_ids).isdisjoint(test_ids)
    assert sorted(np.concatenate([train_ids, test_ids])) == list(range(50))
    np.testing.assert_array_equal(y_train, train_ids % 3)
    np.testing.assert_array_equal(y_test, test_ids % 3)


def test_split_shuffles():
    X_train, _, _, _ = ids_split(50, 0.2)
    assert not np.array_equal(X_train[:, 0], np.sort(X_train[:, 0]))


def test_split_is_reproducible_with_the_seed():
    a, b, c = ids_split(seed=3), ids_split(seed=3), ids_split(seed=4)
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p, q)
    assert not np.array_equal(a[1], c[1])


@pytest.mark.parametrize("test_size", [0.2, 0.3, 0.5])
@pytest.mark.parametrize("one_hot_targets", [False, True])
def test_stratify_keeps_class_proportions_within_one_example(test_size, one_hot_targets):
    counts = {0: 50, 1: 30, 2: 7, 3: 13}
    y = np.repeat(list(counts), list(counts.values()))
    np.random.default_rng(0).shuffle(y)
    X = np.arange(y.size)[:, None]
    target = one_hot(y) if one_hot_targets else y
    X_train, X_test, y_train, y_test = train_test_split(X, target, test_size, seed=1,
                                                        stratify=True)
    test_labels = np.argmax(y_test, axis=1) if one_hot_targets else y_test
    for c, n_c in counts.items():
        assert abs(np.sum(test_labels == c) - test_size * n_c) <= 1
    ids = np.concatenate([X_train[:, 0], X_test[:, 0]])
    assert sorted(ids) == list(range(y.size))
    np.testing.assert_array_equal(target[X_test[:, 0]], y_test)


def test_stratify_is_reproducible():
    y = np.arange(40) % 4
    a = train_test_split(np.arange(40), y, 0.25, seed=5, stratify=True)
    b = train_test_split(np.arange(40), y, 0.25, seed=5, stratify=True)
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("test_size, exc, msg", [
    (0, ValueError, r"test_size must be strictly between 0 and 1, got 0"),
    (1.0, ValueError, r"test_size must be strictly between 0 and 1, got 1.0"),
    (20, ValueError, r"test_size must be strictly between 0 and 1"),
    ("0.2", TypeError, r"test_size must be a number between 0 and 1, got str '0.2'"),
])
def test_split_rejects_bad_test_size(test_size, exc, msg):
    with pytest.raises(exc, match=msg):
        train_test_split(np.ones((10, 2)), np.ones(10), test_size)


def test_split_rejects_mismatched_rows():
    with pytest.raises(ValueError, match=r"X and y must have the same number of rows, got 10 and 9"):
        train_test_split(np.ones((10, 2)), np.ones(9))


def test_split_rejects_scalars():
    with pytest.raises(ValueError, match=r"X and y must be arrays with one row per example"):
        train_test_split(1.0, 1.0)


def test_split_rejects_an_empty_part():
    with pytest.raises(ValueError, match=r"test_size=0.1 of 2 examples leaves an empty part"):
        train_test_split(np.ones((2, 1)), np.ones(2), 0.1)


def test_stratified_split_rejects_an_empty_part():
    with pytest.raises(ValueError, match="empty part"):
        train_test_split(np.arange(4), np.array([0, 1, 2, 3]), 0.2, stratify=True)


def test_split_rejects_a_bad_seed():
    with pytest.raises(TypeError, match=r"seed must be an int seed or a numpy.random.Generator"):
        train_test_split(np.ones((10, 2)), np.ones(10), seed="0")


# ----------------------------------------------------------------------------- digits
@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_load_digits_shapes_range_and_labels(digits):
    X, y = digits
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.dtype == np.float64 and np.issubdtype(y.dtype, np.integer)
    assert X.min() == 0.0 and X.max() == 1.0
    assert sorted(np.unique(y)) == list(range(10))
    assert np.all(np.bincount(y) > 150)  # every digit is well represented


def test_load_digits_unflattened_is_the_same_data(digits):
    images, y = load_digits(flatten=False)
    assert images.shape == (1797, 8, 8)
    np.testing.assert_array_equal(images.reshape(1797, 64), digits[0])
    np.testing.assert_array_equal(y, digits[1])


def test_load_digits_is_scikit_learns_data_set_without_importing_it(digits):
    sk = pytest.importorskip("sklearn.datasets").load_digits()
    np.testing.assert_array_equal(digits[0], sk.data / 16.0)
    np.testing.assert_array_equal(digits[1], sk.target)
    # the in-browser edition relies on this: no scikit-learn (nor SciPy) behind load_digits
    code = ("import sys, nnlib; nnlib.load_digits(); "
            "print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_wheel_ships_the_digits():
    config = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert "digits.npz" in config["tool"]["setuptools"]["package-data"]["nnlib"]


def test_digits_pixels_are_sixteenths(digits):
    X, _ = digits
    np.testing.assert_allclose(X * 16, np.round(X * 16), atol=1e-12)


# ----------------------------------------------------------------------------- toy data sets
GENERATORS = {
    "xor": (lambda seed: xor(40, seed=seed), 40),
    "two_moons": (lambda seed: two_moons(40, seed=seed), 40),
    "spirals": (lambda seed: spirals(45, classes=3, seed=seed), 45),
}


@pytest.mark.parametrize("name", GENERATORS)
def test_toy_data_shapes_and_labels(name):
    make, n = GENERATORS[name]
    X, y = make(0)
    assert X.shape == (n, 2) and y.shape == (n,)
    assert X.dtype == np.float64 and np.issubdtype(y.dtype, np.integer)
    assert np.all(np.isfinite(X))
    assert set(np.unique(y)) == ({0, 1, 2} if name == "spirals" else {0, 1})


@pytest.mark.parametrize("name", GENERATORS)
def test_toy_data_is_reproducible_with_the_seed(name):
    make, _ = GENERATORS[name]
    (X1, y1), (X2, y2), (X3, _) = make(7), make(7), make(8)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


def test_xor_labels_without_noise():
    X, y = xor(100, noise=0.0, seed=0)
    assert set(map(tuple, X)) <= {(0, 0), (0, 1), (1, 0), (1, 1)}
    np.testing.assert_array_equal(y, X[:, 0].astype(int) ^ X[:, 1].astype(int))


def test_two_moons_without_noise_lie_on_two_half_circles():
    X, y = two_moons(100, noise=0.0, seed=0)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(X[y == 1, 0] - 1, X[y == 1, 1] - 0.5), 1.0)
    assert np.bincount(y).tolist() == [50, 50]


def test_spirals_balanced_classes_inside_the_unit_disc():
    X, y = spirals(300, classes=4, noise=0.0, seed=0)
    assert np.bincount(y).tolist() == [75] * 4
    assert np.all(np.hypot(*X.T) <= 1.0)


def test_noisy_quadratic():
    x, y = noisy_quadratic(25, noise=0.0, x_range=(-2.0, 3.0), seed=0)
    assert x.shape == y.shape == (25,)
    assert np.all(np.diff(x) >= 0) and x.min() >= -2.0 and x.max() <= 3.0
    np.testing.assert_array_equal(y, x ** 2)
    x1, y1 = noisy_quadratic(25, noise=1.0, seed=3)
    x2, y2 = noisy_quadratic(25, noise=1.0, seed=3)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(y1, x1 ** 2)


@pytest.mark.parametrize("call, exc, msg", [
    (lambda: xor(3), ValueError, r"n must be an integer >= 4, got 3"),
    (lambda: xor(noise=-1), ValueError, r"noise must be a finite number >= 0, got -1"),
    (lambda: two_moons(1), ValueError, r"n must be an integer >= 2, got 1"),
    (lambda: two_moons(seed="a"), TypeError,
     r"seed must be an int seed or a numpy.random.Generator, got str 'a'"),
    (lambda: two_moons(seed=-1), ValueError, r"seed must be >= 0, got -1"),
    (lambda: spirals(classes=1), ValueError, r"classes must be an integer >= 2, got 1"),
    (lambda: spirals(n=2, classes=3), ValueError, r"n must be an integer >= 3, got 2"),
    (lambda: noisy_quadratic(0), ValueError, r"n must be an integer >= 1, got 0"),
    (lambda: noisy_quadratic(10.5), TypeError, r"n must be an integer, got float 10.5"),
    (lambda: noisy_quadratic(noise=float("nan")), ValueError, r"noise must be a finite number"),
])
def test_generators_reject_bad_arguments(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


def test_spirals_rejects_a_string_number_of_classes():
    with pytest.raises(TypeError, match="classes must be an integer"):
        spirals(classes="3")


def test_negative_seed_message_does_not_repeat_seed():
    with pytest.raises(ValueError, match=r"^seed must be >= 0, got -1$"):
        xor(seed=-1)


# ----------------------------------------------------------------------------- flatten_images
def test_flatten_images_goes_row_by_row():
    images = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    flat = flatten_images(images)
    assert flat.shape == (2, 12)
    np.testing.assert_array_equal(flat[1], [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23])
    assert flatten_images(np.zeros((5, 28, 28))).shape == (5, 784)


def test_flatten_images_rejects_wrong_ndim():
    with pytest.raises(ValueError, match=r"images must be a 3-D array, got shape \(2, 3\) \(2-D\)"):
        flatten_images(np.ones((2, 3)))
