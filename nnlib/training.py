"""The training loop: epochs of shuffled mini-batches, forward, backward, update, evaluate.

::

    history = fit(net, X_train, y_train, loss="softmax_cross_entropy", optimizer=SGD(0.1),
                  epochs=20, batch_size=32, seed=0, validation_data=(X_val, y_val))

The same ``seed`` gives the same shuffles and so the same history, every time.

``fit`` checks everything once, before the first update: the data, the targets against the
loss (e.g. every label is a class of the output), the network's weights (finite) and every
box's input on a first mini-batch. Then each mini-batch runs the same public methods a reader
calls: ``net.forward``, ``loss.forward``, ``loss.backward``, ``net.backward``,
``optimizer.step(net)``. ``train_epoch`` is one epoch of ``fit`` without the evaluation.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sys

import numpy as np

from ._checks import as_array, as_rng, check_int, describe, first_non_finite
from .losses import Loss, get_loss
from .metrics import accuracy, is_classification_target
from .optimizers import Optimizer

#: a loss that grows to more than this many times its value at the start (or 1, if that is
#: larger) means the training diverged: the steps are too large
DIVERGENCE_FACTOR = 1e10

__all__ = ["fit", "evaluate", "train_epoch", "History", "TrainingDiverged", "DIVERGENCE_FACTOR"]


class TrainingDiverged(FloatingPointError):
    """Raised when the loss becomes NaN, infinite, or grows by more than ``DIVERGENCE_FACTOR``."""


@dataclass
class History:
    """Per-epoch numbers recorded by ``fit``. Lists have one entry per finished epoch.

    ``val_*`` lists stay empty without validation data; ``*_acc`` lists stay empty for
    targets that are not class labels (regression).
    """

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    #: the epoch (1-based) with the lowest validation loss, if validation data was given
    best_epoch: int | None = None
    #: True if early stopping ended training before the last epoch
    stopped_early: bool = False

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def as_dict(self) -> dict[str, list[float]]:
        return {k: getattr(self, k) for k in ("train_loss", "train_acc", "val_loss", "val_acc")}


#: ``evaluate`` runs the network on this many examples at a time (bounded memory)
EVAL_CHUNK = 1024


def evaluate(net, X, y, loss) -> tuple[float, float | None]:
    """Mean loss and (for class targets) accuracy of ``net`` on ``(X, y)``; runs ``net(...)``,
    which checks the inputs, on chunks of ``EVAL_CHUNK`` examples."""
    loss = get_loss(loss)
    X = np.asarray(X) if isinstance(X, (list, tuple)) else X
    if isinstance(X, np.ndarray) and X.ndim == _ndim_of(net) and len(X) > EVAL_CHUNK:
        out = np.concatenate([net(X[i:i + EVAL_CHUNK]) for i in range(0, len(X), EVAL_CHUNK)])
    else:
        out = net(X)
    value = loss(out, y)
    acc = accuracy(loss.predict_output(out), y) if is_classification_target(y) else None
    return value, acc


def _diverged(where: str, why, optimizer) -> TrainingDiverged:
    return TrainingDiverged(
        f"training diverged {where}: {why}. The steps were too large; try a smaller "
        f"learning rate (currently lr={optimizer.lr:g}).")


def _check_xy(X, y, what: str, dtype=np.float64, ndim: int | None = 2) -> tuple[np.ndarray,
                                                                               np.ndarray]:
    # ndim: that of a batch of the network's first box (None: any, at least 2)
    X = as_array(X, f"X ({what} inputs)", ndim=ndim, dtype=dtype)
    if X.ndim < 2:
        raise ValueError(f"X ({what} inputs) must be a batch with one example per row, got shape "
                         f"{X.shape}")
    if isinstance(y, (str, bytes, dict, set)) or y is None:
        raise TypeError(f"y ({what} targets) must be an array of labels or targets, got "
                        f"{describe(y)}")
    if np.ndim(y) not in (1, 2):
        raise ValueError(f"y ({what} targets) must be labels (N,) or targets (N, K), got "
                         f"{describe(np.asarray(y))}")
    y_arr = as_array(y, f"y ({what} targets)", dtype=None)
    if y_arr.shape[0] != X.shape[0]:
        raise ValueError(f"X and y must have one row per example: X has {X.shape[0]} rows, "
                         f"y has {y_arr.shape[0]}")
    if X.shape[0] == 0:
        raise ValueError(f"no {what} examples: X has 0 rows")
    return X, y_arr


def _prepare(net, X, y, loss: Loss, optimizer, what: str):
    """Check once, before any update, that the network takes ``X`` (a first mini-batch through
    ``net(...)``, which checks every box) and that the loss accepts every target. Returns the
    targets as the loss uses them (e.g. whole-number float labels as integers) and the loss of
    that first output. The trial pass runs in evaluation mode, so that it draws nothing from a
    box's random numbers (Dropout)."""
    net.eval()
    out = net(X[:32])
    K = out.shape[1]
    _, y, _ = loss.prepare(np.broadcast_to(out[:1], (len(y), K)), y)
    return y, loss(out, y[:32])


def _check_net_and_optimizer(net, optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an nnlib optimizer such as SGD(lr=0.1), "
                        f"got {describe(optimizer)}")
    if not (hasattr(net, "forward") and hasattr(net, "parameters") and hasattr(net, "eval")):
        raise TypeError(f"net must be a network such as Sequential([...]) or mlp([...]), got "
                        f"{describe(net)}")
    bad = first_non_finite(net.parameters())
    if bad is not None:
        raise ValueError(f"the network's parameter {bad} contains NaN or inf before training; "
                         "set it to finite numbers (or build a new network)")
    params = [p for _, p in net.parameters()]
    if optimizer.params is not None and (len(params) != len(optimizer.params) or any(
            p is not q for p, q in zip(params, optimizer.params))):
        raise ValueError(f"this {type(optimizer).__name__} already updates another network "
                         f"(after {optimizer.t} steps), and its state belongs to it. Create a "
                         "new optimizer for this network, or call optimizer.reset() first.")


def fit(net, X, y, *, loss, optimizer: Optimizer, epochs: int, batch_size: int = 32,
        seed=0, validation_data=None, early_stopping: int | None = None,
        progress: bool = True) -> History:
    """Train ``net`` on ``(X, y)`` with mini-batch gradient descent.

    Each epoch (in training mode, ``net.train()``): shuffle the examples (``seed``: an int or a
    ``numpy.random.Generator``), split them into mini-batches of ``batch_size`` rows, and for
    each batch run ``net.forward``, ``loss.forward``, ``loss.backward``, ``net.backward`` and
    ``optimizer.step(net)``. After the epoch, in evaluation mode (``net.eval()``), record the
    loss (and accuracy) on the whole training set and on ``validation_data=(X_val, y_val)``.
    The network is left in evaluation mode.

    ``best_epoch`` is the epoch with the lowest validation loss. ``early_stopping=patience``
    stops when the validation loss has not improved for ``patience`` epochs and puts back the
    weights of the best epoch. ``progress`` shows a tqdm bar over epochs.

    Raises ``TrainingDiverged`` when the loss becomes NaN or infinite or grows by more than
    ``DIVERGENCE_FACTOR``.
    """
    from tqdm.auto import tqdm

    if sys.platform == "emscripten":  # Pyodide (the in-browser book) has no threads to monitor
        tqdm.monitor_interval = 0

    loss = get_loss(loss)
    _check_net_and_optimizer(net, optimizer)
    epochs = check_int(epochs, "epochs")
    batch_size = check_int(batch_size, "batch_size")
    X, y = _check_xy(X, y, "training", _dtype_of(net),
                     _data_ndim(net, X, "training", _dtype_of(net)))
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError("validation_data must be a pair (X_val, y_val), got "
                            f"{describe(validation_data)}")
        X_val, y_val = _check_xy(*validation_data, "validation", _dtype_of(net),
                                 _data_ndim(net, validation_data[0], "validation",
                                            _dtype_of(net)))
    if early_stopping is not None:
        early_stopping = check_int(early_stopping, "early_stopping")
        if validation_data is None:
            raise ValueError("early_stopping needs validation_data to watch the validation loss")
    rng = as_rng(seed, "seed")
    y_train, start_loss = _prepare(net, X, y, loss, optimizer, "training")
    if validation_data is not None:
        y_val, _ = _prepare(net, X_val, y_val, loss, optimizer, "validation")
    history = History()
    classify = is_classification_target(y)
    best, best_params, since_best = np.inf, None, 0
    batches = _Batches(X, y_train, batch_size)
    limit = DIVERGENCE_FACTOR * max(1.0, start_loss)

    bar = tqdm(range(1, epochs + 1), disable=not progress, desc="epochs", unit="epoch")
    for epoch in bar:
        net.train()
        _run_epoch(net, batches, loss, optimizer, rng, epoch, limit)
        net.eval()
        train_loss, train_acc = _evaluate_checked(net, X, y_train, loss, epoch, optimizer, limit,
                                                  classify)
        history.train_loss.append(train_loss)
        if classify:
            history.train_acc.append(train_acc)
        postfix = {"loss": f"{train_loss:.4f}"}
        if validation_data is not None:
            val_loss, val_acc = _evaluate_checked(net, X_val, y_val, loss, epoch, optimizer,
                                                  np.inf, classify)
            history.val_loss.append(val_loss)
            if val_acc is not None:
                history.val_acc.append(val_acc)
            postfix["val_loss"] = f"{val_loss:.4f}"
            if val_loss < best:
                best, history.best_epoch, since_best = val_loss, epoch, 0
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
    mini-batch of ``batch_size`` rows run ``net.forward``, ``loss.forward``, ``loss.backward``,
    ``net.backward`` and ``optimizer.step(net)``.

    ``seed`` is an int or a ``numpy.random.Generator`` (pass the same Generator to every epoch
    for one stream of shuffles). ``check=False`` skips checking ``X`` and ``y``, for a loop that
    checked them once already (with a first call that has ``check=True``).

    Raises ``TrainingDiverged`` when the loss becomes NaN or infinite.
    """
    loss = get_loss(loss)
    limit = np.inf
    if check:
        _check_net_and_optimizer(net, optimizer)
        batch_size = check_int(batch_size, "batch_size")
        X, y = _check_xy(X, y, "training", _dtype_of(net),
                         _data_ndim(net, X, "training", _dtype_of(net)))
        y, start_loss = _prepare(net, X, y, loss, optimizer, "training")
        limit = DIVERGENCE_FACTOR * max(1.0, start_loss)
    elif X.dtype != _dtype_of(net):
        X = X.astype(_dtype_of(net))
    net.train()
    _run_epoch(net, _Batches(X, y, batch_size), loss, optimizer, as_rng(seed, "seed"), 1, limit)


def _ndim_of(net) -> int | None:
    """The number of dimensions of a batch of the network's inputs (2 for ``(N, n_in)``)."""
    return getattr(net, "input_ndim", 2)


def _data_ndim(net, X, what: str, dtype) -> int | None:
    """The number of dimensions ``X`` must have (None: any, at least 2). A first box that judges
    dimensions itself sees an ``X`` of another number first, so that its ``check_input`` explains
    the shape it expects (e.g. Conv2D: "(N, 1, H, W)", with a hint for flat images)."""
    ndim, layers = _ndim_of(net), getattr(net, "layers", ())
    if layers and layers[0].checks_ndim and np.ndim(X) != ndim:
        layers[0].check_input(as_array(X, f"X ({what} inputs)", dtype=dtype))
    return ndim


def _dtype_of(net) -> np.dtype:
    """The floating-point type of the network's parameters (float64 for one without any)."""
    params = net.parameters() if hasattr(net, "parameters") else []
    return params[0][1].dtype if params else np.dtype(np.float64)


class _Batches:
    """Shuffled mini-batches gathered into two buffers that are reused at every step, so that
    gathering a batch allocates nothing."""

    def __init__(self, X: np.ndarray, y: np.ndarray, batch_size: int) -> None:
        self.X, self.y, self.batch_size = X, y, batch_size
        size = min(batch_size, X.shape[0])
        self.Xb = np.empty((size,) + X.shape[1:], dtype=X.dtype)
        self.yb = np.empty((size,) + y.shape[1:], dtype=y.dtype)

    def shuffled(self, rng: np.random.Generator):
        """Yield ``(Xb, yb)`` for every mini-batch of one shuffled pass over the data.

        The inputs are read-only while they are in use: the first box may then keep them for
        backward without copying them (see ``nnlib.layers.keep``). (The loss keeps what it
        needs of the targets in arrays of its own.)"""
        order = rng.permutation(self.X.shape[0])
        Xb, yb = self.Xb, self.yb
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            n = len(idx)
            Xb.setflags(write=True)
            # mode="clip" (the indices are always valid) lets numpy write straight into the
            # buffer; the default mode="raise" copies through a temporary array first.
            np.take(self.X, idx, axis=0, out=Xb[:n], mode="clip")
            y_batch = np.take(self.y, idx, axis=0, out=yb[:n], mode="clip")  # returns its out
            Xb.setflags(write=False)
            yield Xb[:n], y_batch  # a view taken now is read-only like its buffer


def _run_epoch(net, batches: _Batches, loss: Loss, optimizer: Optimizer, rng, epoch: int,
               limit: float) -> None:
    # The data was checked once (fit, train_epoch), so here each mini-batch runs only the
    # formulas. The first box need not compute ∂C/∂X: the input is the data.
    # Overflow shows up as a loss that is inf or NaN; we turn it into one clear message.
    batch = 0
    net.input_grad = False
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for batch, (Xb, yb) in enumerate(batches.shuffled(rng), start=1):
                value = loss.forward(net.forward(Xb), yb)
                if not value <= limit:  # also catches NaN
                    raise _diverged(f"in epoch {epoch}, batch {batch}",
                                    f"the loss became {value:.4g}", optimizer)
                net.backward(loss.backward())
                optimizer.step(net)
    finally:
        net.input_grad = True


def _evaluate_checked(net, X, y, loss, epoch, optimizer, limit, classify):
    # evaluate() on data that fit checked already: the same net.forward and loss.forward that
    # training runs, on chunks of EVAL_CHUNK examples.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = np.concatenate([net.forward(X[i:i + EVAL_CHUNK])
                              for i in range(0, len(X), EVAL_CHUNK)])
        value = float(loss.forward(out, y))
    acc = accuracy(loss.predict_output(out), y) if classify and np.isfinite(value) else None
    if not value <= limit:
        raise _diverged(f"in epoch {epoch}", f"the loss became {value:.4g}", optimizer)
    return value, acc
