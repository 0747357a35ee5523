r"""Loss functions :math:`L(\hat y, y)` and their gradients :math:`\partial L/\partial \hat y`.

Conventions used throughout the book and this module:

* ``y_hat`` (the prediction :math:`\hat y`) and ``y`` (the target) have shape ``(N, K)``:
  ``N`` examples, ``K`` outputs. A 1-D array of length ``K`` is a single example.
* A loss object is called as ``loss(y_hat, y)`` and returns the **mean** over the ``N`` examples
  of the per-example loss, a float. ``loss.per_example(y_hat, y)`` returns the ``N`` values.
* ``loss.gradient(y_hat, y)`` returns :math:`\partial L/\partial \hat y` of that mean, shape of
  ``y_hat`` — this is where the factor :math:`1/N` of the average enters backpropagation.
"""
from __future__ import annotations

import numpy as np

from ._checks import as_array, check_choice, describe
from .activations import softmax

#: probabilities are clipped to [EPS, 1 - EPS] before taking logs, so log(0) never happens
EPS = 1e-12


def _pair(y_hat, y, loss_name: str) -> tuple[np.ndarray, np.ndarray, bool]:
    y_hat = as_array(y_hat, f"y_hat (the prediction passed to {loss_name})", ndim=(1, 2))
    y = as_array(y, f"y (the target passed to {loss_name})", ndim=(1, 2))
    if y_hat.shape != y.shape:
        raise ValueError(f"{loss_name}: y_hat and y must have the same shape, got y_hat "
                         f"{y_hat.shape} and y {y.shape}. (For class labels 0..K-1 use "
                         "SparseCategoricalCrossEntropy, or convert them with one_hot.)")
    single = y_hat.ndim == 1
    if single:
        y_hat, y = y_hat[None, :], y[None, :]
    return y_hat, y, single


def _check_probabilities(p: np.ndarray, loss_name: str) -> None:
    if p.min() < 0 or p.max() > 1:
        raise ValueError(f"{loss_name} expects predicted probabilities in [0, 1], got values "
                         f"from {p.min():.4g} to {p.max():.4g}. Put a sigmoid/softmax on the "
                         "output, or use SoftmaxCrossEntropy on raw scores (logits).")


def _check_labels01(y: np.ndarray, loss_name: str) -> None:
    if y.min() < 0 or y.max() > 1:
        raise ValueError(f"{loss_name} expects targets in [0, 1], got values from "
                         f"{y.min():.4g} to {y.max():.4g}")


class Loss:
    """Base class: ``loss(y_hat, y)`` is the mean loss, ``gradient`` its derivative."""

    name = "loss"
    #: True for losses meant for classification (used to decide whether accuracy makes sense)
    classification = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def per_example(self, y_hat, y) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, y_hat, y) -> float:
        return float(np.mean(self.per_example(y_hat, y)))

    def gradient(self, y_hat, y) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def predict_output(self, output: np.ndarray) -> np.ndarray:
        """Turn the network's raw output into the prediction this loss compares (identity here)."""
        return output

    def _value_and_gradient(self, y_hat: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        # Used by the training loop on every mini-batch. A loss may override it to share work
        # between the two and to skip the checks (then it also overrides _check_targets); this
        # default checks every mini-batch.
        return self(y_hat, y), self.gradient(y_hat, y)

    def _check_targets(self, output: np.ndarray, y: np.ndarray) -> None:
        # Called once before training with the output (1, K) of one example and all targets y.
        pass


class MSE(Loss):
    r"""Mean squared error with the ½ convention.

    Per example: :math:`L = \tfrac12 \sum_k (\hat y_k - y_k)^2`; gradient
    :math:`\partial L/\partial \hat y_k = \hat y_k - y_k = -(y_k - \hat y_k)` — the ½ is there
    only so that the 2 from the square cancels. The mean over ``N`` examples divides by ``N``.
    """

    name = "mse"

    def per_example(self, y_hat, y):
        y_hat, y, _ = _pair(y_hat, y, "MSE")
        return 0.5 * np.sum((y_hat - y) ** 2, axis=1)

    def gradient(self, y_hat, y):
        y_hat, y, single = _pair(y_hat, y, "MSE")
        g = (y_hat - y) / y_hat.shape[0]
        return g[0] if single else g


class MAE(Loss):
    r"""Absolute error :math:`L = \sum_k |\hat y_k - y_k|`; gradient :math:`\operatorname{sign}(\hat y_k - y_k)`
    (not differentiable where :math:`\hat y_k = y_k`; we use 0 there)."""

    name = "mae"

    def per_example(self, y_hat, y):
        y_hat, y, _ = _pair(y_hat, y, "MAE")
        return np.sum(np.abs(y_hat - y), axis=1)

    def gradient(self, y_hat, y):
        y_hat, y, single = _pair(y_hat, y, "MAE")
        g = np.sign(y_hat - y) / y_hat.shape[0]
        return g[0] if single else g


class BinaryCrossEntropy(Loss):
    r"""Binary cross-entropy for outputs that are probabilities :math:`\hat y_k \in (0,1)`.

    Per example: :math:`L = -\sum_k [\,y_k \ln \hat y_k + (1-y_k)\ln(1-\hat y_k)\,]`;
    gradient :math:`\partial L/\partial \hat y_k = (\hat y_k - y_k)/(\hat y_k(1-\hat y_k))`.
    """

    name = "binary_cross_entropy"
    classification = True

    def per_example(self, y_hat, y):
        y_hat, y, _ = _pair(y_hat, y, "BinaryCrossEntropy")
        _check_probabilities(y_hat, "BinaryCrossEntropy")
        _check_labels01(y, "BinaryCrossEntropy")
        p = np.clip(y_hat, EPS, 1 - EPS)
        return -np.sum(y * np.log(p) + (1 - y) * np.log1p(-p), axis=1)

    def gradient(self, y_hat, y):
        y_hat, y, single = _pair(y_hat, y, "BinaryCrossEntropy")
        _check_probabilities(y_hat, "BinaryCrossEntropy")
        _check_labels01(y, "BinaryCrossEntropy")
        p = np.clip(y_hat, EPS, 1 - EPS)
        g = (p - y) / (p * (1 - p)) / y_hat.shape[0]
        return g[0] if single else g


class CategoricalCrossEntropy(Loss):
    r"""Cross-entropy between a one-hot (or any probability) target and predicted probabilities.

    Per example: :math:`L = -\sum_k y_k \ln \hat y_k`; gradient
    :math:`\partial L/\partial \hat y_k = -y_k/\hat y_k`. For a one-hot target with the 1 at class
    :math:`c` this is just :math:`-\ln \hat y_c`.
    """

    name = "categorical_cross_entropy"
    classification = True

    def per_example(self, y_hat, y):
        y_hat, y, _ = _pair(y_hat, y, "CategoricalCrossEntropy")
        _check_probabilities(y_hat, "CategoricalCrossEntropy")
        _check_labels01(y, "CategoricalCrossEntropy")
        return -np.sum(y * np.log(np.clip(y_hat, EPS, 1.0)), axis=1)

    def gradient(self, y_hat, y):
        y_hat, y, single = _pair(y_hat, y, "CategoricalCrossEntropy")
        _check_probabilities(y_hat, "CategoricalCrossEntropy")
        _check_labels01(y, "CategoricalCrossEntropy")
        g = -y / np.clip(y_hat, EPS, 1.0) / y_hat.shape[0]
        return g[0] if single else g


def _labels(y, n_classes: int, loss_name: str, n: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 0:
        y = y[None]
    if y.ndim != 1 or not (np.issubdtype(y.dtype, np.integer) or
                           (np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y)))):
        raise TypeError(f"{loss_name} expects y as integer class labels of shape (N,), got "
                        f"{describe(y)}. (For one-hot targets use CategoricalCrossEntropy.)")
    if y.shape[0] != n:
        raise ValueError(f"{loss_name}: y_hat has {n} examples but y has {y.shape[0]} labels")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"{loss_name}: labels must be in 0..{n_classes - 1} for {n_classes} "
                         f"outputs, got values from {y.min()} to {y.max()}")
    return y.astype(np.intp)


class SparseCategoricalCrossEntropy(Loss):
    r"""Categorical cross-entropy with the target given as a class index :math:`c` instead of a
    one-hot vector: per example :math:`L = -\ln \hat y_c`. Same numbers, less memory.

    ``y_hat``: ``(N, K)`` probabilities; ``y``: ``(N,)`` integers in ``0..K-1``.
    """

    name = "sparse_categorical_cross_entropy"
    classification = True

    def _prep(self, y_hat, y):
        y_hat = as_array(y_hat, "y_hat (the prediction passed to SparseCategoricalCrossEntropy)",
                         ndim=(1, 2))
        single = y_hat.ndim == 1
        if single:
            y_hat = y_hat[None, :]
        labels = _labels(y, y_hat.shape[1], "SparseCategoricalCrossEntropy", y_hat.shape[0])
        return y_hat, labels, single

    def per_example(self, y_hat, y):
        y_hat, labels, _ = self._prep(y_hat, y)
        _check_probabilities(y_hat, "SparseCategoricalCrossEntropy")
        picked = y_hat[np.arange(y_hat.shape[0]), labels]
        return -np.log(np.clip(picked, EPS, 1.0))

    def gradient(self, y_hat, y):
        y_hat, labels, single = self._prep(y_hat, y)
        _check_probabilities(y_hat, "SparseCategoricalCrossEntropy")
        g = np.zeros_like(y_hat)
        rows = np.arange(y_hat.shape[0])
        g[rows, labels] = -1.0 / np.clip(y_hat[rows, labels], EPS, 1.0) / y_hat.shape[0]
        return g[0] if single else g


class SoftmaxCrossEntropy(Loss):
    r"""Softmax followed by cross-entropy, fused into one stable step.

    Takes raw scores (logits) :math:`z`, not probabilities. Per example, with target class
    :math:`c` (or one-hot :math:`y`):
    :math:`L = -\ln \mathrm{softmax}(z)_c = \ln\sum_j e^{z_j} - z_c`, computed with the
    log-sum-exp trick. The gradient is the famously simple
    :math:`\partial L/\partial z = \mathrm{softmax}(z) - y`.

    ``y`` may be one-hot ``(N, K)`` or integer labels ``(N,)``.
    """

    name = "softmax_cross_entropy"
    classification = True

    def _prep(self, z, y):
        z = as_array(z, "z (the scores passed to SoftmaxCrossEntropy)", ndim=(1, 2))
        # Labels have one dimension fewer than the scores: (N,) for (N, K), a scalar for (K,).
        is_labels = np.ndim(y) == z.ndim - 1
        single = z.ndim == 1
        if single:
            z = z[None, :]
        if is_labels:
            labels = _labels(y, z.shape[1], "SoftmaxCrossEntropy", z.shape[0])
            Y = np.zeros_like(z)
            Y[np.arange(z.shape[0]), labels] = 1.0
        else:
            Y = as_array(y, "y (the target passed to SoftmaxCrossEntropy)", ndim=(1, 2))
            Y = Y[None, :] if single else Y
            if Y.shape != z.shape:
                raise ValueError(f"SoftmaxCrossEntropy: one-hot y must have the shape of the "
                                 f"scores {z.shape}, got {Y.shape}")
            _check_labels01(Y, "SoftmaxCrossEntropy")
        return z, Y, single

    def per_example(self, z, y):
        z, Y, _ = self._prep(z, y)
        m = z.max(axis=1, keepdims=True)
        log_sum_exp = m[:, 0] + np.log(np.exp(z - m).sum(axis=1))
        return log_sum_exp * Y.sum(axis=1) - np.sum(Y * z, axis=1)

    def gradient(self, z, y):
        z, Y, single = self._prep(z, y)
        g = (softmax(z) * Y.sum(axis=1, keepdims=True) - Y) / z.shape[0]
        return g[0] if single else g

    def predict_output(self, output):
        return softmax(output)

    def _check_targets(self, output, y):
        self._prep(np.broadcast_to(output, (len(y), output.shape[-1])), y)

    def _value_and_gradient(self, z, y):
        # One exponential for both the loss and its gradient softmax(z) - y; the targets were
        # checked once before training. The same operations, in the same order, as above.
        n, k = z.shape
        rows = np.arange(n) * k  # where each row starts in the flattened (n·k,) array
        m = z.reshape(-1)[rows + z.argmax(axis=1)]  # the max of each row (faster than z.max)
        e = np.exp(z - m[:, None])
        total = e.sum(axis=1, keepdims=True)
        log_sum_exp = m + np.log(total[:, 0])
        s = e / total  # softmax(z)
        if y.ndim == 1:  # class labels: subtract 1 at the target class of every row
            target = rows + y.astype(np.intp, copy=False)
            value = (log_sum_exp - z.reshape(-1)[target]).sum() / n
            s.reshape(-1)[target] -= 1.0
            s /= n
            return value, s
        y_sum = y.sum(axis=1, keepdims=True)
        value = (log_sum_exp * y_sum[:, 0] - (y * z).sum(axis=1)).sum() / n
        return value, (s * y_sum - y) / n


LOSSES: dict[str, type[Loss]] = {cls.name: cls for cls in (
    MSE, MAE, BinaryCrossEntropy, CategoricalCrossEntropy, SparseCategoricalCrossEntropy,
    SoftmaxCrossEntropy)}


def get_loss(name) -> Loss:
    """A loss object from its name (``"mse"``, ``"softmax_cross_entropy"``, …) or an instance."""
    if isinstance(name, Loss):
        return name
    if isinstance(name, type) and issubclass(name, Loss):
        return name()
    return LOSSES[check_choice(name, "loss", LOSSES)]()


# Function forms, for hand calculations in the chapters.
def mse(y_hat, y) -> float:
    r"""Mean over examples of :math:`\tfrac12\sum_k(\hat y_k-y_k)^2`."""
    return MSE()(y_hat, y)


def binary_cross_entropy(y_hat, y) -> float:
    r"""Mean over examples of :math:`-\sum_k[y_k\ln\hat y_k+(1-y_k)\ln(1-\hat y_k)]`."""
    return BinaryCrossEntropy()(y_hat, y)


def cross_entropy(y_hat, y) -> float:
    r"""Mean over examples of :math:`-\sum_k y_k\ln\hat y_k` (one-hot ``y``) or :math:`-\ln\hat y_c`
    (integer labels ``y``)."""
    if np.ndim(y) == np.ndim(y_hat) - 1:
        return SparseCategoricalCrossEntropy()(y_hat, y)
    return CategoricalCrossEntropy()(y_hat, y)
