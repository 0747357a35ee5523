"""The training loop: epochs of shuffled mini-batches, forward, backward, update, evaluate.

::

    history = fit(net, X_train, y_train, loss="softmax_cross_entropy", optimizer=SGD(0.1),
                  epochs=20, batch_size=32, seed=0, validation_data=(X_test, y_test))

The same ``seed`` gives the same shuffles and so the same history, every time.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._checks import NonFiniteError, as_array, as_rng, check_int, describe
from .losses import Loss, get_loss
from .metrics import accuracy, is_classification_target
from .optimizers import Optimizer


class TrainingDiverged(FloatingPointError):
    """Raised when the loss becomes NaN or infinite during training."""


@dataclass
class History:
    """Per-epoch numbers recorded by ``fit``. Lists have one entry per finished epoch.

    ``test_*`` lists stay empty without validation data; ``*_acc`` lists stay empty for
    targets that are not class labels (regression).
    """

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    #: the epoch (1-based) with the lowest test loss, if validation data was given
    best_epoch: int | None = None
    #: True if early stopping ended training before the last epoch
    stopped_early: bool = False

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def as_dict(self) -> dict[str, list[float]]:
        return {k: getattr(self, k) for k in ("train_loss", "train_acc", "test_loss", "test_acc")}


def evaluate(net, X, y, loss) -> tuple[float, float | None]:
    """Mean loss and (for class targets) accuracy of ``net`` on ``(X, y)``."""
    loss = get_loss(loss)
    out = net.forward(X)
    value = loss(out, y)
    acc = accuracy(loss.predict_output(out), y) if is_classification_target(y) else None
    return value, acc


def _diverged(where: str, value, optimizer) -> TrainingDiverged:
    return TrainingDiverged(
        f"training diverged {where}: {value}. The steps were too large; try a smaller "
        f"learning rate (currently lr={optimizer.lr:g}).")


def _check_xy(X, y, what: str) -> tuple[np.ndarray, np.ndarray]:
    X = as_array(X, f"X ({what} inputs)", ndim=2)
    y_arr = np.asarray(y)
    if y_arr.dtype == object or y_arr.ndim not in (1, 2):
        raise ValueError(f"y ({what} targets) must be labels (N,) or targets (N, K), "
                         f"got {describe(y_arr)}")
    y_arr = as_array(y_arr, f"y ({what} targets)", dtype=None)
    if y_arr.shape[0] != X.shape[0]:
        raise ValueError(f"X and y must have one row per example: X has {X.shape[0]} rows, "
                         f"y has {y_arr.shape[0]}")
    if X.shape[0] == 0:
        raise ValueError(f"no {what} examples: X has 0 rows")
    return X, y_arr


def fit(net, X, y, *, loss, optimizer: Optimizer, epochs: int, batch_size: int = 32,
        seed=0, validation_data=None, early_stopping: int | None = None,
        progress: bool = True) -> History:
    """Train ``net`` on ``(X, y)`` with mini-batch gradient descent.

    Each epoch: shuffle the examples (seeded), split them into mini-batches of ``batch_size``
    rows, and for each batch run forward, ``loss.gradient``, backward and ``optimizer.step``.
    After the epoch, record the loss (and accuracy) on the whole training set and on
    ``validation_data=(X_test, y_test)``.

    ``early_stopping=p`` stops when the test loss has not improved for ``p`` epochs and puts
    back the weights of the best epoch. ``progress`` shows a tqdm bar over epochs.

    Raises ``TrainingDiverged`` when the loss becomes NaN or infinite.
    """
    from tqdm.auto import tqdm

    loss = get_loss(loss)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an nnlib optimizer such as SGD(lr=0.1), "
                        f"got {describe(optimizer)}")
    epochs = check_int(epochs, "epochs")
    batch_size = check_int(batch_size, "batch_size")
    X, y = _check_xy(X, y, "training")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError("validation_data must be a pair (X_test, y_test), got "
                            f"{describe(validation_data)}")
        X_val, y_val = _check_xy(*validation_data, "validation")
    if early_stopping is not None:
        early_stopping = check_int(early_stopping, "early_stopping")
        if validation_data is None:
            raise ValueError("early_stopping needs validation_data to watch the test loss")
    rng = as_rng(seed, "seed")
    n = X.shape[0]
    # Reused batch buffers: gathering a batch allocates nothing after the first epoch.
    Xb_buf = np.empty((min(batch_size, n),) + X.shape[1:], dtype=X.dtype)
    yb_buf = np.empty((min(batch_size, n),) + y.shape[1:], dtype=y.dtype)
    history = History()
    classify = is_classification_target(y)
    best, best_params, since_best = np.inf, None, 0

    bar = tqdm(range(1, epochs + 1), disable=not progress, desc="epochs", unit="epoch")
    for epoch in bar:
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            Xb = np.take(X, idx, axis=0, out=Xb_buf[:len(idx)])
            yb = np.take(y, idx, axis=0, out=yb_buf[:len(idx)])
            # Overflow shows up as inf/NaN somewhere in the chain; the boxes refuse non-finite
            # inputs (NonFiniteError), and we turn that into one clear message.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                try:
                    out = net.forward(Xb)
                    batch_loss = loss(out, yb)
                    if not np.isfinite(batch_loss):
                        raise NonFiniteError(f"the loss became {batch_loss}")
                    net.backward(loss.gradient(out, yb))
                except NonFiniteError as e:
                    raise _diverged(f"in epoch {epoch}, batch {start // batch_size + 1}", e,
                                    optimizer) from None
                optimizer.step(net)
        train_loss, train_acc = _evaluate_checked(net, X, y, loss, epoch, optimizer)
        history.train_loss.append(train_loss)
        if classify:
            history.train_acc.append(train_acc)
        postfix = {"loss": f"{train_loss:.4f}"}
        if validation_data is not None:
            test_loss, test_acc = _evaluate_checked(net, X_val, y_val, loss, epoch, optimizer)
            history.test_loss.append(test_loss)
            if test_acc is not None:
                history.test_acc.append(test_acc)
            postfix["test_loss"] = f"{test_loss:.4f}"
            if test_loss < best:
                best, history.best_epoch, since_best = test_loss, epoch, 0
                if early_stopping is not None:
                    best_params = [p.copy() for _, p in net.parameters()]
            else:
                since_best += 1
        bar.set_postfix(postfix)
        if early_stopping is not None and since_best >= early_stopping:
            history.stopped_early = epoch < epochs
            break
    bar.close()
    if best_params is not None:
        for (_, p), saved in zip(net.parameters(), best_params):
            p[...] = saved
    return history


def _evaluate_checked(net, X, y, loss, epoch, optimizer):
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        try:
            value, acc = evaluate(net, X, y, loss)
            if not np.isfinite(value):
                raise NonFiniteError(f"the loss became {value}")
        except NonFiniteError as e:
            raise _diverged(f"in epoch {epoch}", e, optimizer) from None
    return value, acc
