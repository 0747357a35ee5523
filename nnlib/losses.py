r"""Loss functions :math:`\mathcal{L}(\hat y, y)` and the gradients :math:`\partial C/\partial \hat y` of their mean, the cost :math:`C`.

Conventions used throughout the book and this module:

* ``y_hat`` (the prediction :math:`\hat y`) and ``y`` (the target) have shape ``(N, K)``:
  ``N`` examples, ``K`` outputs. A 1-D array of length ``K`` is a single example.
* A loss object is called as ``loss(y_hat, y)`` and returns the **mean** over the ``N`` examples
  of the per-example loss, a float. ``loss.per_example(y_hat, y)`` returns the ``N`` values.
* ``loss.gradient(y_hat, y)`` returns :math:`\partial C/\partial \hat y` of that mean, shape of
  ``y_hat`` — this is where the factor :math:`1/N` of the average enters backpropagation.
* Like every box, a loss has one path: the public calls check their arguments and then run
  ``forward(y_hat, y)`` (the mean loss) and ``backward()`` (its gradient), which are also what
  the training loop runs on every mini-batch.
"""
from __future__ import annotations

import numpy as np

from ._checks import as_array, check_choice, describe
from .activations import softmax

__all__ = ["Loss", "MSE", "MAE", "BinaryCrossEntropy", "CategoricalCrossEntropy",
           "SparseCategoricalCrossEntropy", "SoftmaxCrossEntropy", "LOSSES", "get_loss", "mse",
           "binary_cross_entropy", "cross_entropy"]

#: probabilities are clipped to [EPS, 1 - EPS] before taking logs, so log(0) never happens
EPS = 1e-12


def _check_probabilities(p: np.ndarray, loss_name: str) -> None:
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError(f"{loss_name} expects predicted probabilities in [0, 1], got values "
                         f"from {p.min():.4g} to {p.max():.4g}. Put a sigmoid/softmax on the "
                         "output, or use SoftmaxCrossEntropy on raw scores (logits).")


def _check_labels01(y: np.ndarray, loss_name: str) -> None:
    if y.size and (y.min() < 0 or y.max() > 1):
        raise ValueError(f"{loss_name} expects targets in [0, 1], got values from "
                         f"{y.min():.4g} to {y.max():.4g}")


class Loss:
    r"""The last box of a network: it compares the prediction :math:`\hat y` with the target
    :math:`y`.

    Like the other boxes it has one path: ``forward(y_hat, y)`` computes the mean loss
    :math:`L` by the formula of its docstring (and stores what ``backward`` needs, including the
    ``N`` per-example values in ``per_example_loss``); ``backward()`` returns
    :math:`\partial C/\partial \hat y`. Both take batches ``(N, K)`` that are already checked.

    The public calls are the boundary where data enters: ``loss(y_hat, y)`` (the mean),
    ``loss.gradient(y_hat, y)`` and ``loss.per_example(y_hat, y)`` convert the arrays, accept a
    single example ``(K,)``, run ``check_input`` and then ``forward`` (and ``backward``).
    """

    name = "loss"
    #: True for losses meant for classification (used to decide whether accuracy makes sense)
    classification = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    # ---------------------------------------------------------------- the formulas
    def forward(self, y_hat: np.ndarray, y: np.ndarray) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    # ---------------------------------------------------------------- the boundary
    def prepare(self, y_hat, y) -> tuple[np.ndarray, np.ndarray, bool]:
        """Convert ``y_hat`` and ``y`` to float arrays of the same shape ``(N, K)`` (a single
        example ``(K,)`` becomes a batch of one: ``single`` is True) and ``check_input`` them."""
        name = type(self).__name__
        y_hat = as_array(y_hat, f"y_hat (the prediction passed to {name})", ndim=(1, 2))
        y = as_array(y, f"y (the target passed to {name})", ndim=(1, 2))
        if y_hat.shape != y.shape:
            raise ValueError(f"{name}: y_hat and y must have the same shape, got y_hat "
                             f"{y_hat.shape} and y {y.shape}. (For class labels 0..K-1 use "
                             "SparseCategoricalCrossEntropy, or convert them with one_hot.)")
        single = y_hat.ndim == 1
        if single:
            y_hat, y = y_hat[None, :], y[None, :]
        self.check_input(y_hat, y)
        return y_hat, y, single

    def check_input(self, y_hat: np.ndarray, y: np.ndarray) -> None:
        """Raise a clear error for values this loss cannot take (the shapes were checked by
        ``prepare``). The base class accepts all."""

    def __call__(self, y_hat, y) -> float:
        """The mean loss over the examples."""
        y_hat, y, _ = self.prepare(y_hat, y)
        return float(self.forward(y_hat, y))

    def per_example(self, y_hat, y) -> np.ndarray:
        """The loss of every example, shape ``(N,)``."""
        y_hat, y, _ = self.prepare(y_hat, y)
        self.forward(y_hat, y)
        return self.per_example_loss.copy()

    def gradient(self, y_hat, y) -> np.ndarray:
        r""":math:`\partial C/\partial \hat y` of the mean loss, in the shape of ``y_hat``."""
        y_hat, y, single = self.prepare(y_hat, y)
        self.forward(y_hat, y)
        g = self.backward()
        return g[0] if single else g

    def predict_output(self, output: np.ndarray) -> np.ndarray:
        """Turn the network's raw output into the prediction this loss compares (identity here)."""
        return output


class MSE(Loss):
    r"""Mean squared error with the ½ convention.

    Per example: :math:`\mathcal{L}_n = \tfrac12 \sum_k (\hat y_k - y_k)^2`, and
    :math:`C = \frac1N \sum_n \mathcal{L}_n`; gradient
    :math:`\partial C/\partial \hat y_k = (\hat y_k - y_k)/N` — the ½ is there only so that the 2
    from the square cancels. PyTorch's ``MSELoss``, scikit-learn's ``mean_squared_error`` and
    Keras average over the :math:`K` outputs as well and have no ½: for :math:`K` outputs this
    loss is :math:`K/2` times theirs (chapter 2).
    """

    name = "mse"

    def forward(self, y_hat, y):
        self.diff = y_hat - y
        self.per_example_loss = 0.5 * np.sum(self.diff ** 2, axis=1)
        return self.per_example_loss.sum() / len(self.per_example_loss)

    def backward(self):
        return self.diff / self.diff.shape[0]


class MAE(Loss):
    r"""Absolute error :math:`\mathcal{L}_n = \sum_k |\hat y_k - y_k|`, :math:`C = \frac1N\sum_n \mathcal{L}_n`; gradient
    :math:`\operatorname{sign}(\hat y_k - y_k)/N` (not differentiable where :math:`\hat y_k = y_k`;
    we use 0 there)."""

    name = "mae"

    def forward(self, y_hat, y):
        self.diff = y_hat - y
        self.per_example_loss = np.sum(np.abs(self.diff), axis=1)
        return self.per_example_loss.sum() / len(self.per_example_loss)

    def backward(self):
        return np.sign(self.diff) / self.diff.shape[0]


class BinaryCrossEntropy(Loss):
    r"""Binary cross-entropy for outputs that are probabilities :math:`\hat y_k \in [0,1]`.

    Per example: :math:`\mathcal{L}_n = -\sum_k [\,y_k \ln p_k + (1-y_k)\ln(1-p_k)\,]` with the prediction
    clipped, :math:`p_k = \mathrm{clip}(\hat y_k, \mathrm{eps}, 1-\mathrm{eps})`, so that :math:`\ln 0`
    never happens; gradient :math:`\partial C/\partial \hat y_k = (p_k - y_k)/(p_k(1-p_k))/N`,
    and 0 where :math:`\hat y_k` was clipped (there the clipped loss is flat).
    """

    name = "binary_cross_entropy"
    classification = True

    def check_input(self, y_hat, y):
        _check_probabilities(y_hat, "BinaryCrossEntropy")
        _check_labels01(y, "BinaryCrossEntropy")

    def forward(self, y_hat, y):
        self.p = np.clip(y_hat, EPS, 1 - EPS)
        self.unclipped = self.p == y_hat
        self.y = y.copy()
        self.per_example_loss = -np.sum(y * np.log(self.p) + (1 - y) * np.log1p(-self.p),
                                        axis=1)
        return self.per_example_loss.sum() / len(self.per_example_loss)

    def backward(self):
        p, y = self.p, self.y
        return np.where(self.unclipped, (p - y) / (p * (1 - p)), 0.0) / p.shape[0]


class CategoricalCrossEntropy(Loss):
    r"""Cross-entropy between a one-hot (or any probability) target and predicted probabilities.

    Per example: :math:`\mathcal{L}_n = -\sum_k y_k \ln p_k` with :math:`p_k = \max(\hat y_k, \mathrm{eps})`, so
    that :math:`\ln 0` never happens; gradient :math:`\partial C/\partial \hat y_k = -y_k/(N p_k)`,
    and 0 where :math:`\hat y_k < \mathrm{eps}` (there the clipped loss is flat). For a one-hot
    target with the 1 at class :math:`c` the loss is just :math:`-\ln \hat y_c`.
    """

    name = "categorical_cross_entropy"
    classification = True

    def check_input(self, y_hat, y):
        _check_probabilities(y_hat, "CategoricalCrossEntropy")
        _check_labels01(y, "CategoricalCrossEntropy")

    def forward(self, y_hat, y):
        self.p = np.maximum(y_hat, EPS)
        self.unclipped = y_hat >= EPS
        self.y = y.copy()
        self.per_example_loss = -np.sum(y * np.log(self.p), axis=1)
        return self.per_example_loss.sum() / len(self.per_example_loss)

    def backward(self):
        return np.where(self.unclipped, -self.y / self.p, 0.0) / self.p.shape[0]


def _labels(y, n_classes: int, loss_name: str, n: int) -> np.ndarray:
    y = np.asarray(y) if not isinstance(y, (str, bytes, dict, set)) else np.asarray(object)
    if y.ndim == 0:
        y = y[None]
    if y.dtype == object or y.ndim != 1 or not (
            np.issubdtype(y.dtype, np.integer) or
            (np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y)))):
        raise TypeError(f"{loss_name} expects y as whole-number class labels of shape (N,), got "
                        f"{describe(y)}. (For one-hot targets use CategoricalCrossEntropy.)")
    if y.shape[0] != n:
        raise ValueError(f"{loss_name}: y_hat has {n} examples but y has {y.shape[0]} labels")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        bad = int(np.flatnonzero((y < 0) | (y >= n_classes))[0])
        raise ValueError(f"{loss_name}: labels must be in 0..{n_classes - 1} for {n_classes} "
                         f"outputs, got {y[bad]:g} at position {bad} (values from {y.min():g} "
                         f"to {y.max():g})")
    return y.astype(np.intp)


class SparseCategoricalCrossEntropy(Loss):
    r"""Categorical cross-entropy with the target given as a class index :math:`c` instead of a
    one-hot vector: per example :math:`\mathcal{L}_n = -\ln \max(\hat y_c, \mathrm{eps})`; gradient
    :math:`-1/(N \hat y_c)` at the target class (0 where :math:`\hat y_c < \mathrm{eps}`) and 0
    elsewhere. Same numbers as ``CategoricalCrossEntropy`` with one-hot targets, less memory.

    ``y_hat``: ``(N, K)`` probabilities; ``y``: ``(N,)`` integers in ``0..K-1``.
    """

    name = "sparse_categorical_cross_entropy"
    classification = True

    def prepare(self, y_hat, y):
        y_hat = as_array(y_hat, "y_hat (the prediction passed to SparseCategoricalCrossEntropy)",
                         ndim=(1, 2))
        single = y_hat.ndim == 1
        if single:
            y_hat = y_hat[None, :]
        labels = _labels(y, y_hat.shape[1], "SparseCategoricalCrossEntropy", y_hat.shape[0])
        self.check_input(y_hat, labels)
        return y_hat, labels, single

    def check_input(self, y_hat, y):
        _check_probabilities(y_hat, "SparseCategoricalCrossEntropy")

    def forward(self, y_hat, y):
        self.y_hat_shape, self.y = y_hat.shape, y.copy()
        self.picked = y_hat[np.arange(y_hat.shape[0]), y]  # ŷ_c of every example
        self.per_example_loss = -np.log(np.maximum(self.picked, EPS))
        return self.per_example_loss.sum() / len(self.per_example_loss)

    def backward(self):
        n = self.y_hat_shape[0]
        g = np.zeros(self.y_hat_shape)
        g[np.arange(n), self.y] = np.where(self.picked >= EPS,
                                           -1.0 / np.maximum(self.picked, EPS), 0.0) / n
        return g


class SoftmaxCrossEntropy(Loss):
    r"""Softmax followed by cross-entropy, fused into one stable step.

    Takes raw scores (logits) :math:`z`, not probabilities. Per example, with target class
    :math:`c` (or one-hot :math:`y`):
    :math:`\mathcal{L}_n = -\ln \mathrm{softmax}(z)_c = \ln\sum_j e^{z_j} - z_c`, computed with the
    log-sum-exp trick (:math:`z_{\max} = \max_j z_j` is subtracted before the exponential). The gradient
    of the mean is the famously simple :math:`\partial C/\partial z = (\mathrm{softmax}(z) - y)/N`.

    ``y`` may be one-hot ``(N, K)`` or integer labels ``(N,)``. (For a target row that does not
    sum to 1, :math:`\mathcal{L}_n = \ln\sum_j e^{z_j}\,\sum_k y_k - \sum_k y_k z_k` and the gradient is
    :math:`(\mathrm{softmax}(z)\sum_k y_k - y)/N`.)
    """

    name = "softmax_cross_entropy"
    classification = True

    def prepare(self, z, y):
        z = as_array(z, "z (the scores passed to SoftmaxCrossEntropy)", ndim=(1, 2))
        # Labels have one dimension fewer than the scores: (N,) for (N, K), a scalar for (K,).
        is_labels = np.ndim(y) == z.ndim - 1
        single = z.ndim == 1
        if single:
            z = z[None, :]
        if is_labels:
            y = _labels(y, z.shape[1], "SoftmaxCrossEntropy", z.shape[0])
        else:
            y = as_array(y, "y (the target passed to SoftmaxCrossEntropy)", ndim=(1, 2))
            y = y[None, :] if single else y
            if y.shape != z.shape:
                raise ValueError(f"SoftmaxCrossEntropy: y must be class labels of shape "
                                 f"{z.shape[:1]} or one-hot rows of the shape of the scores "
                                 f"{z.shape}, got {y.shape}")
            _check_labels01(y, "SoftmaxCrossEntropy")
        return z, y, single

    def forward(self, z, y):
        n, K = z.shape
        # Row i of z starts at position i·K of z.reshape(-1); indexing that flat view picks one
        # entry per row more quickly than z[rows, cols] or z.max(axis=1) on short rows.
        starts = np.arange(0, n * K, K)
        z_max = z.reshape(-1)[starts + z.argmax(axis=1)]  # max_j z_j of every row
        s = np.exp(z - z_max[:, None])
        total = s.sum(axis=1)
        s /= total[:, None]
        self.s = s  # softmax(z), kept for backward
        log_sum_exp = np.log(total)
        log_sum_exp += z_max  # ln Σ_j e^{z_j} = z_max + ln Σ_j e^{z_j - z_max}
        if y.ndim == 1:  # class labels: z_c of every row
            self.target, self.y = starts + y, None  # where z_c of every row is
            self.per_example_loss = log_sum_exp - z.reshape(-1)[self.target]
        else:
            self.target, self.y = None, y.copy()
            self.per_example_loss = log_sum_exp * y.sum(axis=1) - np.sum(y * z, axis=1)
        return self.per_example_loss.sum() / n

    def backward(self):
        s, n = self.s, len(self.s)
        if self.y is None:  # (softmax(z) - one_hot(y)) / N: subtract 1/N at every target class
            g = s / n
            g.reshape(-1)[self.target] -= 1.0 / n
            return g
        y = self.y
        return (s * y.sum(axis=1, keepdims=True) - y) / n

    def predict_output(self, output):
        return softmax(output)


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
