r"""Optimizers: rules that move every parameter a small step against its gradient.

All of them update the parameter arrays **in place**. The textbook line ``W = W - lr * dW``
allocates a new array for every parameter at every step; here each optimizer keeps one scratch
buffer per parameter and writes into ``W`` itself (measured in ``benchmarks/``).

Usage: ``opt.step(net)`` after ``net.backward(...)``, or ``opt.step_arrays(params, grads)``
with two lists of arrays.
"""
from __future__ import annotations

import numpy as np

from ._checks import check_fraction, check_positive, describe


class PathDiverged(FloatingPointError):
    """``descend`` left the finite numbers; ``.path`` holds the points reached before that."""

    def __init__(self, message: str, path) -> None:
        super().__init__(message)
        self.path = path


class Optimizer:
    r"""Base class. ``lr`` is the learning rate :math:`\eta`.

    ``weight_decay`` :math:`\lambda \ge 0` adds the L2 regulariser
    :math:`\tfrac{\lambda}{2}\sum W^2` to the loss for every weight *matrix* (not the biases):
    its gradient :math:`\lambda W` is added to :math:`\partial L/\partial W` before the update,
    which shrinks ("decays") the weights a little at every step.
    """

    def __init__(self, lr: float, weight_decay: float = 0.0) -> None:
        self.lr = check_positive(lr, "learning rate lr")
        self.weight_decay = check_positive(weight_decay, "weight_decay", allow_zero=True)
        self.t = 0  # number of steps taken
        self._state: list[dict[str, np.ndarray]] | None = None

    def __repr__(self) -> str:
        wd = f", weight_decay={self.weight_decay:g}" if self.weight_decay else ""
        return f"{type(self).__name__}(lr={self.lr:g}{wd})"

    def step(self, net) -> None:
        """One update of every parameter of ``net`` from the gradients its ``backward`` stored."""
        if not hasattr(net, "parameters") or not hasattr(net, "gradients"):
            raise TypeError(f"step() expects a network (e.g. Sequential), got {describe(net)}")
        self.step_arrays([p for _, p in net.parameters()], [g for _, g in net.gradients()])

    def step_arrays(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Update each array in ``params`` in place using the matching array in ``grads``."""
        if len(params) != len(grads):
            raise ValueError(f"got {len(params)} parameters but {len(grads)} gradients")
        for p, g in zip(params, grads):
            if not isinstance(p, np.ndarray) or not isinstance(g, np.ndarray):
                raise TypeError("parameters and gradients must be numpy arrays")
            if p.shape != g.shape:
                raise ValueError(f"a gradient of shape {g.shape} does not match its parameter "
                                 f"of shape {p.shape}")
        self._ensure_state(params)
        self._step(params, grads)

    def _ensure_state(self, params: list[np.ndarray]) -> None:
        """(Re)create the per-parameter buffers when the parameters changed shape."""
        if self._state is None or len(self._state) != len(params) or any(
                s["buf"].shape != p.shape for s, p in zip(self._state, params)):
            self._state = [self._init_state(p) for p in params]

    def _step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        # The update itself, on checked arrays; the training loop calls it once per mini-batch.
        self.t += 1
        for p, g, s in zip(params, grads, self._state):
            if self.weight_decay and p.ndim >= 2:  # weights only, not biases
                gwd = s.setdefault("gwd", np.empty_like(p))
                np.multiply(p, self.weight_decay, out=gwd)
                gwd += g
                g = gwd
            self._update(p, g, s)

    def _init_state(self, p: np.ndarray) -> dict[str, np.ndarray]:
        return {"buf": np.empty_like(p)}

    def _update(self, p, g, s) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class SGD(Optimizer):
    r"""Plain gradient descent: :math:`w \leftarrow w - \eta\,\partial L/\partial w`."""

    def _update(self, p, g, s):
        np.multiply(g, self.lr, out=s["buf"])
        p -= s["buf"]


class Momentum(Optimizer):
    r"""Gradient descent with momentum (a ball that keeps rolling):

    :math:`v \leftarrow \mu v - \eta\,\nabla L`, then :math:`w \leftarrow w + v`.
    ``momentum`` is :math:`\mu` (default 0.9).
    """

    def __init__(self, lr: float, momentum: float = 0.9, weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)
        momentum = check_positive(momentum, "momentum", allow_zero=True)
        if momentum >= 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}; with 1 or more "
                             "the velocity never decays")
        self.momentum = momentum  # 0 gives plain gradient descent

    def __repr__(self) -> str:
        return f"Momentum(lr={self.lr:g}, momentum={self.momentum:g})"

    def _init_state(self, p):
        return {"buf": np.empty_like(p), "v": np.zeros_like(p)}

    def _update(self, p, g, s):
        v = s["v"]
        v *= self.momentum
        np.multiply(g, self.lr, out=s["buf"])
        v -= s["buf"]
        p += v


class Adagrad(Optimizer):
    r"""Adagrad: each weight gets its own, shrinking learning rate.

    :math:`G \leftarrow G + g^2`, :math:`w \leftarrow w - \eta\, g/(\sqrt{G}+\epsilon)`.
    """

    def __init__(self, lr: float = 0.01, eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)
        self.eps = check_positive(eps, "eps")

    def _init_state(self, p):
        return {"buf": np.empty_like(p), "G": np.zeros_like(p)}

    def _update(self, p, g, s):
        G, buf = s["G"], s["buf"]
        np.multiply(g, g, out=buf)
        G += buf
        np.sqrt(G, out=buf)
        buf += self.eps
        np.divide(g, buf, out=buf)
        buf *= self.lr
        p -= buf


class Adam(Optimizer):
    r"""Adam: momentum on the gradient and on its square, with bias correction.

    :math:`m \leftarrow \beta_1 m + (1-\beta_1) g`, :math:`v \leftarrow \beta_2 v + (1-\beta_2) g^2`,
    :math:`\hat m = m/(1-\beta_1^t)`, :math:`\hat v = v/(1-\beta_2^t)`,
    :math:`w \leftarrow w - \eta\,\hat m/(\sqrt{\hat v}+\epsilon)`.
    """

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)
        self.beta1 = check_fraction(beta1, "beta1")
        self.beta2 = check_fraction(beta2, "beta2")
        self.eps = check_positive(eps, "eps")

    def _init_state(self, p):
        return {"buf": np.empty_like(p), "m": np.zeros_like(p), "v": np.zeros_like(p)}

    def _update(self, p, g, s):
        m, v, buf = s["m"], s["v"], s["buf"]
        m *= self.beta1
        np.multiply(g, 1 - self.beta1, out=buf)
        m += buf
        v *= self.beta2
        np.multiply(g, g, out=buf)
        buf *= 1 - self.beta2
        v += buf
        # sqrt(v_hat) + eps, with the bias corrections folded into two scalars
        np.sqrt(v, out=buf)
        buf /= np.sqrt(1 - self.beta2 ** self.t)
        buf += self.eps
        np.divide(m, buf, out=buf)
        buf *= self.lr / (1 - self.beta1 ** self.t)
        p -= buf


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adagrad": Adagrad, "adam": Adam}


def descend(grad, x0, optimizer: Optimizer, steps: int):
    r"""Run ``optimizer`` on a function given by its gradient, starting at ``x0``.

    ``grad(x)`` returns :math:`\nabla f(x)` (same shape as ``x``). Returns the path: an array of
    shape ``(steps + 1,) + x0.shape`` whose row ``t`` is the point after ``t`` steps. Used to draw
    paths of gradient descent on contour plots and to race optimizers. A path that leaves the
    finite numbers stops there with ``PathDiverged`` (a ``FloatingPointError``) that suggests a
    smaller step; its ``.path`` holds the finite points reached before that.
    """
    import numpy as np

    from ._checks import as_array, check_int

    if not callable(grad):
        raise TypeError(f"grad must be a function returning the gradient, got {describe(grad)}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an nnlib optimizer, got {describe(optimizer)}")
    steps = check_int(steps, "steps", minimum=0)
    x = as_array(x0, "x0").copy()
    path = np.empty((steps + 1,) + x.shape)
    path[0] = x
    for t in range(1, steps + 1):
        g = as_array(grad(x), "the gradient returned by grad(x)", finite=False)
        if g.shape != x.shape:
            raise ValueError(f"grad(x) must have the shape of x {x.shape}, got {g.shape}")
        with np.errstate(over="ignore", invalid="ignore"):  # reported below, in words
            optimizer.step_arrays([x], [g])
        if not np.isfinite(x).all():
            raise PathDiverged(f"the path left the finite numbers after {t} steps; "
                               f"try a smaller learning rate (lr={optimizer.lr:g})", path[:t].copy())
        path[t] = x
    return path


class AdamW(Adam):
    r"""Adam with *decoupled* weight decay (Loshchilov and Hutter).

    ``Adam(weight_decay=λ)`` adds :math:`\lambda W` to the gradient, so the decay passes through
    Adam's division by :math:`\sqrt{\hat v}` like any gradient and is rescaled weight by weight.
    AdamW keeps it out of :math:`m` and :math:`v` and shrinks the weights directly:

    .. math::
        w \leftarrow w - \eta\Big(\frac{\hat m}{\sqrt{\hat v}+\epsilon} + \lambda w\Big),

    with :math:`\hat m`, :math:`\hat v` computed from the loss gradient :math:`g` alone. As for every
    optimizer here, only weight matrices decay, not biases. Default :math:`\lambda = 0.01`.
    """

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.01) -> None:
        super().__init__(lr, beta1, beta2, eps, weight_decay)

    def _step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        self.t += 1
        shrink = 1.0 - self.lr * self.weight_decay
        for p, g, s in zip(params, grads, self._state):
            if self.weight_decay and p.ndim >= 2:  # weights only, not biases
                p *= shrink                        # w − ηλw, in place
            self._update(p, g, s)                  # − η m̂/(√v̂ + ε), from g alone

