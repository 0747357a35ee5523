"""The training loop: epochs of shuffled mini-batches, forward, backward, update, evaluate.

::

    history = fit(net, X_train, y_train, loss="softmax_cross_entropy", optimizer=SGD(0.1),
                  epochs=20, batch_size=32, seed=0, validation_data=(X_test, y_test))

The same ``seed`` gives the same shuffles and so the same history, every time.

``fit`` checks the data once, before the first epoch; inside the epochs the boxes skip their
per-array checks (``net._forward``, ``net._backward``), which makes an epoch 1.5 to 3 times
faster. ``train_epoch`` is one epoch of ``fit`` without the evaluation.
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


def _check_xy(X, y, what: str, dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    X = as_array(X, f"X ({what} inputs)", ndim=2, dtype=dtype, finite=False)
    with np.errstate(over="ignore", invalid="ignore"):
        all_finite = np.isfinite(X.sum())  # a finite sum means every entry is finite
    if not all_finite:
        as_array(X, f"X ({what} inputs)")  # finds the first NaN or inf and says where
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

    The mini-batches run in training mode (``net.train()``: Dropout drops) and the recorded
    losses in evaluation mode (``net.eval()``), in which ``fit`` leaves the network.

    Raises ``TrainingDiverged`` when the loss becomes NaN or infinite.
    """
    from tqdm.auto import tqdm

    loss = get_loss(loss)
    _check_optimizer(optimizer)
    epochs = check_int(epochs, "epochs")
    batch_size = check_int(batch_size, "batch_size")
    X, y = _check_xy(X, y, "training", _dtype_of(net))
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
    _check_targets(net, X, y, loss, optimizer, batch_size)
    history = History()
    classify = is_classification_target(y)
    best, best_params, since_best = np.inf, None, 0
    batches = _Batches(X, y, batch_size)

    bar = tqdm(range(1, epochs + 1), disable=not progress, desc="epochs", unit="epoch")
    for epoch in bar:
        _run_epoch(net, batches, loss, optimizer, rng, epoch)
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


def train_epoch(net, X, y, *, loss, optimizer: Optimizer, batch_size: int = 32, seed=None,
                check: bool = True) -> None:
    """One epoch of ``fit`` without any evaluation: shuffle the examples (seeded), then for each
    mini-batch of ``batch_size`` rows run forward, the loss gradient, backward and
    ``optimizer.step``.

    ``seed`` is an int or a ``numpy.random.Generator`` (pass the same Generator to every epoch
    for one stream of shuffles). ``check=False`` skips checking ``X`` and ``y``, for a loop that
    checked them once already (with a first call that has ``check=True``).

    Raises ``TrainingDiverged`` when the loss becomes NaN or infinite.
    """
    loss = get_loss(loss)
    if check:
        _check_optimizer(optimizer)
        batch_size = check_int(batch_size, "batch_size")
        X, y = _check_xy(X, y, "training", _dtype_of(net))
        _check_targets(net, X, y, loss, optimizer, batch_size)
    elif X.dtype != _dtype_of(net):
        X = X.astype(_dtype_of(net))
    _run_epoch(net, _Batches(X, y, batch_size), loss, optimizer, as_rng(seed, "seed"), 1)


def _check_optimizer(optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an nnlib optimizer such as SGD(lr=0.1), "
                        f"got {describe(optimizer)}")


def _dtype_of(net) -> np.dtype:
    """The floating-point type of the network's parameters (float64 for one without any)."""
    params = net.parameters() if hasattr(net, "parameters") else []
    return params[0][1].dtype if params else np.dtype(np.float64)


def _check_targets(net, X, y, loss, optimizer, batch_size: int) -> None:
    """Check once, before training, that the network takes a mini-batch of ``X`` and that the
    loss accepts every target (the mini-batches are not checked again)."""
    _set_mode(net, False)  # a trial pass: it must not draw from a Dropout's random masks
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        try:
            loss._check_targets(net.forward(X[:batch_size])[:1], y)
        except NonFiniteError as e:
            raise _diverged("in epoch 1, batch 1", e, optimizer) from None


class _Batches:
    """Shuffled mini-batches gathered into two buffers that are reused at every step, so that
    gathering a batch allocates nothing."""

    def __init__(self, X: np.ndarray, y: np.ndarray, batch_size: int) -> None:
        self.X, self.y, self.batch_size = X, y, batch_size
        size = min(batch_size, X.shape[0])
        self.Xb = np.empty((size,) + X.shape[1:], dtype=X.dtype)
        self.yb = np.empty((size,) + y.shape[1:], dtype=y.dtype)

    def shuffled(self, rng: np.random.Generator):
        """Yield ``(Xb, yb)`` for every mini-batch of one shuffled pass over the data."""
        order = rng.permutation(self.X.shape[0])
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            # mode="clip" (the indices are always valid) lets numpy write straight into the
            # buffer; the default mode="raise" copies through a temporary array first.
            yield (np.take(self.X, idx, axis=0, out=self.Xb[:len(idx)], mode="clip"),
                   np.take(self.y, idx, axis=0, out=self.yb[:len(idx)], mode="clip"))


def _set_mode(net, training: bool) -> None:
    # Sequential.train()/eval(): Dropout drops during the batches, not when losses are recorded.
    switch = getattr(net, "train" if training else "eval", None)
    if callable(switch):
        switch()


def _run_epoch(net, batches: _Batches, loss: Loss, optimizer: Optimizer, rng, epoch: int):
    _set_mode(net, True)
    # The data was checked once (fit, train_epoch), so the boxes skip their checks here
    # (net._forward, net._backward). Overflow shows up as a loss that is inf or NaN; we turn it
    # into one clear message.
    # (A network without these unchecked passes, or an optimizer whose own class replaces
    # step, is run through its public methods.)
    forward = getattr(net, "_forward", net.forward)
    backward = getattr(net, "_backward", net.backward)
    params = [p for _, p in net.parameters()]
    grads = [g for _, g in net.gradients()]
    own_step = (type(optimizer).step is not Optimizer.step
                or type(optimizer).step_arrays is not Optimizer.step_arrays)
    if not own_step:
        optimizer._ensure_state(params)
    batch = 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        try:
            for batch, (Xb, yb) in enumerate(batches.shuffled(rng), start=1):
                out = forward(Xb)
                batch_loss, grad_out = loss._value_and_gradient(out, yb)
                if not np.isfinite(batch_loss):
                    raise NonFiniteError(f"the loss became {batch_loss}")
                backward(grad_out)
                if own_step:
                    optimizer.step(net)
                else:
                    optimizer._step(params, grads)
        except NonFiniteError as e:  # from the loss, or from a box that checks its input
            raise _diverged(f"in epoch {epoch}, batch {batch}", e, optimizer) from None


def _evaluate_checked(net, X, y, loss, epoch, optimizer):
    _set_mode(net, False)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        try:
            value, acc = evaluate(net, X, y, loss)
            if not np.isfinite(value):
                raise NonFiniteError(f"the loss became {value}")
        except NonFiniteError as e:
            raise _diverged(f"in epoch {epoch}", e, optimizer) from None
    return value, acc
