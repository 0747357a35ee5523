"""Data: one-hot targets, a seeded train/test split, the bundled digits and toy data sets.

Every generator takes a ``seed`` and returns the same data for the same seed.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ._checks import as_array, as_rng, check_fraction, check_int, check_positive, describe


def one_hot(labels, n_classes: int | None = None, dtype=np.float64) -> np.ndarray:
    """Class labels ``(N,)`` in ``0..K-1`` → one-hot rows ``(N, K)``: row ``n`` has a 1 in column
    ``labels[n]`` and 0 elsewhere. ``K`` defaults to ``max(labels) + 1``."""
    y = np.asarray(labels)
    if y.ndim != 1:
        raise ValueError(f"labels must be a 1-D array of class indices, got shape {y.shape}")
    if y.size and not (np.issubdtype(y.dtype, np.integer) or
                       (y.dtype.kind == "f" and np.all(y == np.round(y)))):
        raise TypeError(f"labels must be whole numbers (class indices), got {describe(y)}")
    y = y.astype(np.intp)
    if y.size and y.min() < 0:
        raise ValueError(f"labels must be >= 0, got {y.min()}")
    k = int(y.max()) + 1 if n_classes is None and y.size else n_classes
    k = check_int(k, "n_classes")
    if y.size and y.max() >= k:
        raise ValueError(f"label {y.max()} does not fit in n_classes={k} (labels go 0..{k - 1})")
    out = np.zeros((y.size, k), dtype=dtype)
    out[np.arange(y.size), y] = 1
    return out


def train_test_split(X, y, test_size: float = 0.2, seed=0, stratify: bool = False):
    """Shuffle the examples (seeded) and split them into a training and a test set.

    Returns ``X_train, X_test, y_train, y_test``. ``test_size`` is the fraction that goes to the
    test set (0.2 = an 80/20 split, 0.3 = 70/30). With ``stratify=True`` each class keeps its
    proportion in both parts.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError("X and y must be arrays with one row per example")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must have the same number of rows, got {X.shape[0]} and "
                         f"{y.shape[0]}")
    test_size = check_fraction(test_size, "test_size")
    n = X.shape[0]
    rng = as_rng(seed, "seed")
    if stratify:
        labels = y if y.ndim == 1 else np.argmax(y, axis=1)
        test_idx = []
        for c in np.unique(labels):
            members = rng.permutation(np.flatnonzero(labels == c))
            test_idx.append(members[:int(round(test_size * members.size))])
        test = np.sort(np.concatenate(test_idx))
        train = np.setdiff1d(np.arange(n), test)
        if test.size == 0 or train.size == 0:
            raise ValueError(f"test_size={test_size} with stratify=True leaves an empty part: "
                             "each class has too few examples; use more data or stratify=False")
        train, test = rng.permutation(train), rng.permutation(test)
    else:
        n_test = int(round(test_size * n))
        if n_test == 0 or n_test == n:
            raise ValueError(f"test_size={test_size} of {n} examples leaves an empty part")
        order = rng.permutation(n)
        test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


def load_digits(flatten: bool = True):
    """The handwritten digits that scikit-learn bundles: 1,797 images of 8×8 pixels, offline.

    Returns ``X, y``: ``X`` of shape ``(1797, 64)`` (or ``(1797, 8, 8)`` with ``flatten=False``)
    with pixel values scaled from 0..16 to 0..1, and integer labels ``y`` in 0..9.

    The images are the test set of E. Alpaydin and C. Kaynak's *Optical Recognition of
    Handwritten Digits* (UCI Machine Learning Repository, 1998, CC BY 4.0), in scikit-learn's
    order. nnlib ships them (``nnlib/digits.npz``, 45 kB) rather than importing scikit-learn,
    which the in-browser edition would otherwise have to load for every chapter.
    """
    with np.load(Path(__file__).with_name("digits.npz")) as d:
        images, target = d["images"], d["target"]
    X = images.astype(np.float64) / 16.0
    return (X.reshape(len(X), -1) if flatten else X), target.astype(np.intp)


def noisy_quadratic(n: int = 20, noise: float = 1.0, x_range=(-4.0, 4.0), seed=0):
    """Samples of :math:`y = x^2 + \\text{noise}`: ``x`` uniform in ``x_range``, Gaussian noise of
    standard deviation ``noise``. Returns ``x, y`` of shape ``(n,)``, sorted by ``x``."""
    n = check_int(n, "n")
    noise = check_positive(noise, "noise", allow_zero=True)
    lo, hi = x_range
    rng = as_rng(seed, "seed")
    x = np.sort(rng.uniform(lo, hi, n))
    return x, x ** 2 + noise * rng.standard_normal(n)


def xor(n: int = 200, noise: float = 0.15, seed=0):
    """The XOR problem: points around the four corners of the unit square; label 1 where exactly
    one coordinate is near 1. Returns ``X (n, 2)`` and labels ``y (n,)``."""
    n = check_int(n, "n", minimum=4)
    noise = check_positive(noise, "noise", allow_zero=True)
    rng = as_rng(seed, "seed")
    corners = rng.integers(0, 2, size=(n, 2))
    X = corners + noise * rng.standard_normal((n, 2))
    return X, (corners[:, 0] ^ corners[:, 1]).astype(np.intp)


def two_moons(n: int = 200, noise: float = 0.1, seed=0):
    """Two interleaving half circles (classes 0 and 1). Returns ``X (n, 2)``, ``y (n,)``."""
    n = check_int(n, "n", minimum=2)
    noise = check_positive(noise, "noise", allow_zero=True)
    rng = as_rng(seed, "seed")
    y = np.arange(n) % 2
    t = rng.uniform(0, np.pi, n)
    X = np.where(y[:, None] == 0,
                 np.column_stack([np.cos(t), np.sin(t)]),
                 np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)]))
    X = X + noise * rng.standard_normal((n, 2))
    perm = rng.permutation(n)
    return X[perm], y[perm].astype(np.intp)


def spirals(n: int = 300, classes: int = 3, noise: float = 0.2, seed=0):
    """``classes`` interleaved spiral arms around the origin. Returns ``X (n, 2)``, ``y (n,)``."""
    classes = check_int(classes, "classes", minimum=2)
    n = check_int(n, "n", minimum=classes)
    noise = check_positive(noise, "noise", allow_zero=True)
    rng = as_rng(seed, "seed")
    y = np.arange(n) % classes
    r = rng.uniform(0.05, 1.0, n)
    theta = 4.0 * r + 2 * np.pi * y / classes + noise * rng.standard_normal(n)
    X = np.column_stack([r * np.sin(theta), r * np.cos(theta)])
    perm = rng.permutation(n)
    return X[perm], y[perm].astype(np.intp)


def flatten_images(images) -> np.ndarray:
    """Images ``(N, h, w)`` → input vectors ``(N, h·w)``, row by row (a 28×28 image → 784)."""
    images = as_array(images, "images", ndim=3)
    return images.reshape(images.shape[0], -1)
