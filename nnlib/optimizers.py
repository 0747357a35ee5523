r"""Optimizers: rules that move every parameter a small step against its gradient.

All of them update the parameter arrays **in place**. The textbook line ``W = W - lr * dW``
allocates a new array for every parameter at every step; here each optimizer keeps one scratch
buffer per parameter and writes into ``W`` itself (measured in ``benchmarks/``).

Usage: ``opt.step(net)`` after ``net.backward(...)``, or ``opt.step_arrays(params, grads)``
with two lists of arrays. Each ``update`` method is its docstring's formula, one line per
symbol. An optimizer belongs to the parameters it first updates (its velocities, moments and
step count are theirs): using it on another network raises an error; ``reset()`` starts afresh.
Optimizers can also be made by name: ``get_optimizer("adam", lr=0.01)``.
"""
from __future__ import annotations

import operator

import numpy as np

from ._checks import check_choice, check_fraction, check_positive, describe


class PathDiverged(FloatingPointError):
    """``descend`` left the finite numbers; ``.path`` holds the points reached before that."""

    def __init__(self, message: str, path) -> None:
        super().__init__(message)
        self.path = path


class Optimizer:
    r"""Base class. ``lr`` is the learning rate :math:`\eta`.

    ``weight_decay`` :math:`\lambda \ge 0` adds the L2 regulariser
    :math:`\tfrac{\lambda}{2}\sum W^2` to the loss for every weight *matrix* (not the biases):
    its gradient :math:`\lambda W` is added to :math:`\partial C/\partial W` before the update,
    which shrinks ("decays") the weights a little at every step.

    An optimizer keeps a state per parameter (velocities, moments, the step count ``t``), so it
    belongs to the parameters it first updated: using it on other parameters (another network)
    raises a ``ValueError``. ``reset()`` forgets the state and the parameters, for a fresh start.
    """

    def __init__(self, lr: float, weight_decay: float = 0.0) -> None:
        self.lr = check_positive(lr, "learning rate lr")
        self.weight_decay = check_positive(weight_decay, "weight_decay", allow_zero=True)
        self.reset()

    def reset(self) -> None:
        """Forget the parameters, their state and the step count: the next step is a first step."""
        self.t = 0  # number of steps taken
        self.params: list[np.ndarray] | None = None  # the arrays this optimizer updates
        self.state: list[dict[str, np.ndarray]] = []

    def __repr__(self) -> str:
        wd = f", weight_decay={self.weight_decay:g}" if self.weight_decay else ""
        return f"{type(self).__name__}(lr={self.lr:g}{wd})"

    def step(self, net) -> None:
        """One update of every parameter of ``net`` from the gradients its ``backward`` stored."""
        try:
            params = [p for _, p in net.parameters()]
            grads = [g for _, g in net.gradients()]
        except AttributeError:
            raise TypeError(f"step() expects a network (e.g. Sequential), got {describe(net)}") \
                from None
        if self.params is None or len(params) != len(self.params) or any(
                map(operator.is_not, params, self.params)):
            self._bind(params, grads)
        self._update_all(params, grads)

    def step_arrays(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Update each array in ``params`` in place using the matching array in ``grads``."""
        if (self.params is None or len(params) != len(self.params)
                or any(map(operator.is_not, params, self.params))
                or len(grads) != len(params)
                or any(not isinstance(g, np.ndarray) or g.shape != p.shape
                       for p, g in zip(params, grads))):
            self._bind(params, grads)  # checks the arrays, or says what does not match
        self._update_all(params, grads)

    def _update_all(self, params, grads) -> None:
        # t ← t + 1, then every parameter: g ← g + λW for weight matrices, and the update rule
        self.t += 1
        for w, g, s in zip(params, grads, self.state):
            if self.weight_decay and w.ndim >= 2:  # weights only, not biases
                g = self.decay(w, g, s)
            self.update(w, g, s)

    def decay(self, w: np.ndarray, g: np.ndarray, s: dict) -> np.ndarray:
        r"""Weight decay as L2: the gradient :math:`\lambda W` of the regulariser is added to
        the loss gradient, ``g + λW`` (in scratch space; ``g`` itself is not changed)."""
        return np.add(g, np.multiply(self.weight_decay, w, out=s["g"]), out=s["g"])

    def _bind(self, params, grads) -> None:
        """Check the arrays of a first step and create their state; refuse other parameters."""
        if len(params) != len(grads):
            raise ValueError(f"got {len(params)} parameters but {len(grads)} gradients")
        for p, g in zip(params, grads):
            if not isinstance(p, np.ndarray) or not isinstance(g, np.ndarray):
                raise TypeError(f"parameters and gradients must be numpy arrays, got "
                                f"{describe(p)} and {describe(g)}")
            if p.dtype.kind != "f":
                raise TypeError(f"parameters must be float arrays (updated in place), got "
                                f"dtype {p.dtype}")
            if p.shape != g.shape:
                raise ValueError(f"a gradient of shape {g.shape} does not match its parameter "
                                 f"of shape {p.shape}")
        if self.params is not None and (len(params) != len(self.params) or any(
                map(operator.is_not, params, self.params))):
            raise ValueError(f"this {type(self).__name__} already updates other parameters "
                             f"(another network, after {self.t} steps), and its state (step "
                             "count, velocities or moments) belongs to them. Create a new "
                             "optimizer for this network, or call reset() first.")
        if self.params is not None:
            return
        self.params = list(params)
        self.state = [self.init_state(p) for p in params]

    def init_state(self, w: np.ndarray) -> dict[str, np.ndarray]:
        """The arrays this optimizer keeps for parameter ``w`` (``buf`` is scratch space)."""
        return {"buf": np.empty_like(w), "g": np.empty_like(w)}

    def update(self, w: np.ndarray, g: np.ndarray, s: dict) -> None:  # pragma: no cover
        """Update ``w`` in place from its gradient ``g`` and its state ``s``."""
        raise NotImplementedError


class SGD(Optimizer):
    r"""Plain gradient descent: :math:`w \leftarrow w - \eta\,\partial C/\partial w`."""

    def update(self, w, g, s):
        w -= np.multiply(self.lr, g, out=s["buf"])  # w ← w − η g


class Momentum(Optimizer):
    r"""Gradient descent with momentum (a ball that keeps rolling):

    :math:`v \leftarrow \mu v - \eta\,\nabla C`, then :math:`w \leftarrow w + v`.
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

    def init_state(self, w):
        return {**super().init_state(w), "v": np.zeros_like(w)}

    def update(self, w, g, s):
        v = s["v"]
        v *= self.momentum                              # v ← μ v
        v -= np.multiply(self.lr, g, out=s["buf"])      #       − η g
        w += v                                          # w ← w + v


class Adagrad(Optimizer):
    r"""Adagrad: each weight gets its own, shrinking learning rate.

    :math:`G \leftarrow G + g^2`, :math:`w \leftarrow w - \eta\, g/(\sqrt{G}+\mathrm{eps})`.
    """

    def __init__(self, lr: float = 0.01, eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)
        self.eps = check_positive(eps, "eps")

    def init_state(self, w):
        return {**super().init_state(w), "G": np.zeros_like(w)}

    def update(self, w, g, s):
        G, buf = s["G"], s["buf"]
        G += np.square(g, out=buf)                      # G ← G + g²
        np.sqrt(G, out=buf)                             # √G
        buf += self.eps                                 # √G + ε
        np.divide(g, buf, out=buf)                      # g / (√G + eps)
        buf *= self.lr
        w -= buf                                        # w ← w − η g / (√G + eps)


class Adam(Optimizer):
    r"""Adam: momentum on the gradient and on its square, with bias correction.

    :math:`m \leftarrow \beta_1 m + (1-\beta_1) g`, :math:`v \leftarrow \beta_2 v + (1-\beta_2) g^2`,
    :math:`\hat m = m/(1-\beta_1^t)`, :math:`\hat v = v/(1-\beta_2^t)`,
    :math:`w \leftarrow w - \eta\,\hat m/(\sqrt{\hat v}+\mathrm{eps})`.
    """

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)
        self.beta1 = check_fraction(beta1, "beta1")
        self.beta2 = check_fraction(beta2, "beta2")
        self.eps = check_positive(eps, "eps")

    def init_state(self, w):
        return {**super().init_state(w), "m": np.zeros_like(w), "v": np.zeros_like(w),
                "m_hat": np.empty_like(w)}

    def update(self, w, g, s):
        b1, b2, t = self.beta1, self.beta2, self.t
        m, v, m_hat, v_hat = s["m"], s["v"], s["m_hat"], s["buf"]
        m *= b1
        m += np.multiply(1 - b1, g, out=m_hat)          # m ← β₁ m + (1 − β₁) g
        v *= b2
        v += np.multiply(1 - b2, np.square(g, out=v_hat), out=v_hat)  # v ← β₂ v + (1 − β₂) g²
        np.divide(m, 1 - b1 ** t, out=m_hat)            # m̂ = m / (1 − β₁ᵗ)
        np.divide(v, 1 - b2 ** t, out=v_hat)            # v̂ = v / (1 − β₂ᵗ)
        np.sqrt(v_hat, out=v_hat)
        v_hat += self.eps                               # √v̂ + ε
        np.divide(m_hat, v_hat, out=m_hat)
        m_hat *= self.lr
        w -= m_hat                                      # w ← w − η m̂ / (√v̂ + eps)


class AdamW(Adam):
    r"""Adam with *decoupled* weight decay (Loshchilov and Hutter).

    ``Adam(weight_decay=λ)`` adds :math:`\lambda W` to the gradient, so the decay passes through
    Adam's division by :math:`\sqrt{\hat v}` like any gradient and is rescaled weight by weight.
    AdamW keeps it out of :math:`m` and :math:`v` and shrinks the weights directly:

    .. math::
        w \leftarrow w - \eta\Big(\frac{\hat m}{\sqrt{\hat v}+\mathrm{eps}} + \lambda w\Big),

    with :math:`\hat m`, :math:`\hat v` computed from the loss gradient :math:`g` alone. As for
    every optimizer here, only weight matrices decay, not biases. Default :math:`\lambda = 0.01`.
    """

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.01) -> None:
        super().__init__(lr, beta1, beta2, eps, weight_decay)

    def decay(self, w, g, s):
        w *= 1.0 - self.lr * self.weight_decay          # w ← w − ηλw (then Adam's step from g)
        return g


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "momentum": Momentum, "adagrad": Adagrad,
                                          "adam": Adam, "adamw": AdamW}


def get_optimizer(name, **kwargs) -> Optimizer:
    """A new optimizer from its name (``"sgd"``, ``"momentum"``, ``"adagrad"``, ``"adam"``,
    ``"adamw"``) and its keyword arguments, e.g. ``get_optimizer("adam", lr=0.01)``; an optimizer
    is returned as it is (then no keyword arguments are allowed)."""
    if isinstance(name, Optimizer):
        if kwargs:
            raise TypeError(f"got an optimizer {name!r} and keyword arguments {sorted(kwargs)}; "
                            "pass one or the other")
        return name
    cls = OPTIMIZERS[check_choice(name, "optimizer", OPTIMIZERS)]
    if cls is SGD and "lr" not in kwargs:
        raise TypeError("get_optimizer('sgd') needs a learning rate, e.g. lr=0.1")
    return cls(**kwargs)


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
