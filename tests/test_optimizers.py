"""Tests for nnlib.optimizers: exact update rules, in-place updates, convergence, bad input."""
import numpy as np
import pytest

from nnlib import MSE, SGD, Adagrad, Adam, AdamW, Dense, Momentum, Sequential, mlp
from nnlib.optimizers import OPTIMIZERS

RNG = np.random.default_rng(0)
GRADS = [RNG.normal(size=(3, 2)) for _ in range(3)]  # three different gradients, one per step
W0 = RNG.normal(size=(3, 2))


@pytest.fixture
def net():
    return mlp([3, 4, 2], "tanh", seed=0)


def backprop(net, seed=0):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    loss = MSE()
    net.backward(loss.gradient(net(X), y))


def run(opt, grads=GRADS, w0=W0):
    w = w0.copy()
    for g in grads:
        opt.step_arrays([w], [g])
    return w


# ----------------------------------------------------------------------------- SGD
def test_one_sgd_step_is_w_minus_lr_times_g_exactly():
    w = W0.copy()
    SGD(0.1).step_arrays([w], [GRADS[0]])
    np.testing.assert_array_equal(w, W0 - 0.1 * GRADS[0])


def test_sgd_step_on_a_network_uses_its_gradients(net):
    backprop(net)
    before = {n: p.copy() for n, p in net.parameters()}
    grads = {n: g.copy() for n, g in net.gradients()}
    SGD(0.5).step(net)
    for name, p in net.parameters():
        np.testing.assert_array_equal(p, before[name] - 0.5 * grads[name])


@pytest.mark.parametrize("make", [lambda: SGD(0.1), lambda: Momentum(0.1), lambda: Adagrad(0.1),
                                  lambda: Adam(0.1)], ids=["sgd", "momentum", "adagrad", "adam"])
def test_update_is_in_place(net, make):
    backprop(net)
    W = net.layers[0].W
    before = W.copy()
    ids = [id(p) for _, p in net.parameters()]
    make().step(net)
    assert [id(p) for _, p in net.parameters()] == ids
    assert net.layers[0].W is W
    assert np.shares_memory(dict(net.parameters())["0.W"], net.layers[0].params["W"])
    assert not np.array_equal(W, before)  # it did change, in the same array


def test_step_does_not_touch_the_gradients(net):
    backprop(net)
    grads = [g.copy() for _, g in net.gradients()]
    Adam(0.1).step(net)
    for a, (_, b) in zip(grads, net.gradients()):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------------- references
def reference_momentum(lr, mu, grads, w):
    w, v = w.copy(), np.zeros_like(w)
    for g in grads:
        v = mu * v - lr * g
        w = w + v
    return w


def reference_adagrad(lr, eps, grads, w):
    w, G = w.copy(), np.zeros_like(w)
    for g in grads:
        G = G + g ** 2
        w = w - lr * g / (np.sqrt(G) + eps)
    return w


def reference_adam(lr, b1, b2, eps, grads, w):
    w, m, v = w.copy(), np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return w


def test_sgd_matches_reference_for_three_steps():
    expected = W0 - 0.3 * (GRADS[0] + GRADS[1] + GRADS[2])
    np.testing.assert_allclose(run(SGD(0.3)), expected, rtol=1e-14)


def test_momentum_matches_reference_for_three_steps():
    np.testing.assert_allclose(run(Momentum(0.1, momentum=0.8)),
                               reference_momentum(0.1, 0.8, GRADS, W0), rtol=1e-13)


def test_adagrad_matches_reference_for_three_steps():
    np.testing.assert_allclose(run(Adagrad(0.2, eps=1e-6)),
                               reference_adagrad(0.2, 1e-6, GRADS, W0), rtol=1e-13)


def test_adam_matches_reference_for_three_steps():
    np.testing.assert_allclose(run(Adam(0.05, beta1=0.8, beta2=0.95, eps=1e-7)),
                               reference_adam(0.05, 0.8, 0.95, 1e-7, GRADS, W0), rtol=1e-13)


def test_adam_first_step_moves_every_weight_by_about_lr():
    w = run(Adam(0.01), grads=GRADS[:1])
    np.testing.assert_allclose(np.abs(w - W0), 0.01, rtol=1e-5)


def test_momentum_differs_from_sgd_after_the_first_step():
    assert np.array_equal(run(Momentum(0.1), GRADS[:1]), run(SGD(0.1), GRADS[:1]))
    assert not np.allclose(run(Momentum(0.1)), run(SGD(0.1)))


def test_step_counter_and_state_per_parameter():
    opt = Adam(0.1)
    a, b = W0.copy(), np.zeros(4)
    for g in GRADS:
        opt.step_arrays([a, b], [g, np.ones(4)])
    assert opt.t == 3
    np.testing.assert_allclose(a, reference_adam(0.1, 0.9, 0.999, 1e-8, GRADS, W0), rtol=1e-13)
    np.testing.assert_allclose(b, reference_adam(0.1, 0.9, 0.999, 1e-8, [np.ones(4)] * 3,
                                                 np.zeros(4)), rtol=1e-13)


def test_an_optimizer_belongs_to_the_parameters_it_first_updated():
    opt = Momentum(0.1, 0.5)
    opt.step_arrays([np.zeros(3)], [np.ones(3)])
    w = np.zeros(2)
    with pytest.raises(ValueError, match=r"this Momentum already updates other parameters "
                                         r"\(another network, after 1 steps\).*reset\(\)"):
        opt.step_arrays([w], [np.ones(2)])
    np.testing.assert_array_equal(w, [0.0, 0.0])  # nothing was updated
    opt.reset()
    opt.step_arrays([w], [np.ones(2)])  # fresh velocity: behaves like a first step
    np.testing.assert_array_equal(w, [-0.1, -0.1])
    assert opt.t == 1


def test_float32_parameters_stay_float32():
    w = np.ones(3, dtype=np.float32)
    for opt in (SGD(0.1), Momentum(0.1), Adagrad(0.1), Adam(0.1)):
        opt.step_arrays([w], [np.ones(3, dtype=np.float32)])
        assert w.dtype == np.float32


# ----------------------------------------------------------------------------- convergence
A = np.array([[3.0, 0.5], [0.5, 1.0]])  # positive definite
C = np.array([1.0, -2.0])


def quadratic(w):
    return 0.5 * (w - C) @ A @ (w - C)


@pytest.mark.parametrize("opt", [SGD(0.2), Momentum(0.05, 0.9), Adagrad(0.5), Adam(0.1)],
                         ids=repr)
def test_each_optimizer_minimises_a_convex_quadratic(opt):
    w = np.array([4.0, 3.0])
    start = quadratic(w)
    for _ in range(300):
        opt.step_arrays([w], [A @ (w - C)])
    assert quadratic(w) < 1e-4 * start
    np.testing.assert_allclose(w, C, atol=0.02)


def test_too_large_sgd_step_diverges_on_the_quadratic():
    w = np.array([4.0, 3.0])
    start = quadratic(w)
    opt = SGD(1.0)  # above 2 / largest eigenvalue of A
    for _ in range(50):
        opt.step_arrays([w], [A @ (w - C)])
    assert quadratic(w) > start


def test_sgd_training_steps_reduce_a_network_loss():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 1))
    net, loss, opt = Sequential([Dense(3, 1, seed=0)]), MSE(), SGD(0.1)
    start = loss(net(X), y)
    for _ in range(20):
        net.backward(loss.gradient(net(X), y))
        opt.step(net)
    assert loss(net(X), y) < start


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("cls", [SGD, Momentum, Adagrad, Adam], ids=lambda c: c.__name__)
@pytest.mark.parametrize("lr, exc, msg", [
    (0, ValueError, r"learning rate lr must be a finite number > 0, got 0"),
    (-1, ValueError, r"learning rate lr must be a finite number > 0, got -1"),
    (float("nan"), ValueError, r"learning rate lr must be a finite number > 0, got nan"),
    (float("inf"), ValueError, r"learning rate lr must be a finite number > 0, got inf"),
    ("0.1", TypeError, r"learning rate lr must be a real number, got str '0.1'"),
    (True, TypeError, r"learning rate lr must be a real number, got bool True"),
    (None, TypeError, r"learning rate lr must be a real number"),
])
def test_invalid_learning_rate(cls, lr, exc, msg):
    with pytest.raises(exc, match=msg):
        cls(lr)


def test_numpy_float_learning_rate_is_accepted():
    assert SGD(np.float32(0.5)).lr == 0.5


@pytest.mark.parametrize("make, exc, msg", [
    (lambda: Momentum(0.1, momentum=1.0), ValueError,
     r"momentum must be in \[0, 1\), got 1.0"),
    (lambda: Momentum(0.1, momentum=-0.5), ValueError, r"momentum must be a finite number >= 0"),
    (lambda: Momentum(0.1, momentum="0.9"), TypeError, r"momentum must be a real number, got str"),
    (lambda: Adam(beta1=1.5), ValueError, r"beta1 must be strictly between 0 and 1, got 1.5"),
    (lambda: Adam(beta2=0.0), ValueError, r"beta2 must be strictly between 0 and 1"),
    (lambda: Adam(eps=0), ValueError, r"eps must be a finite number > 0, got 0"),
    (lambda: Adagrad(eps=-1e-8), ValueError, r"eps must be a finite number > 0"),
])
def test_invalid_hyperparameters(make, exc, msg):
    with pytest.raises(exc, match=msg):
        make()


def test_step_arrays_length_mismatch():
    with pytest.raises(ValueError, match=r"got 2 parameters but 1 gradients"):
        SGD(0.1).step_arrays([np.zeros(2), np.zeros(2)], [np.zeros(2)])


def test_step_arrays_shape_mismatch():
    with pytest.raises(ValueError, match=r"a gradient of shape \(2,\) does not match its parameter "
                                         r"of shape \(3,\)"):
        SGD(0.1).step_arrays([np.zeros(3)], [np.zeros(2)])


def test_step_arrays_non_arrays():
    with pytest.raises(TypeError, match=r"parameters and gradients must be numpy arrays"):
        SGD(0.1).step_arrays([[0.0, 1.0]], [np.zeros(2)])


def test_step_on_something_that_is_not_a_network():
    with pytest.raises(TypeError, match=r"step\(\) expects a network \(e\.g\. Sequential\), got "
                                        r"list"):
        SGD(0.1).step([np.zeros(2)])


def test_failed_step_leaves_parameters_untouched():
    first, second = np.ones(2), np.ones(3)
    with pytest.raises(ValueError, match="does not match"):
        SGD(0.1).step_arrays([first, second], [np.ones(2), np.ones(4)])
    np.testing.assert_array_equal(first, 1.0)  # validation happens before any update
    np.testing.assert_array_equal(second, 1.0)


def test_registry_and_repr():
    assert OPTIMIZERS == {"sgd": SGD, "momentum": Momentum, "adagrad": Adagrad, "adam": Adam,
                          "adamw": AdamW}
    assert repr(SGD(0.1)) == "SGD(lr=0.1)"
    assert repr(Momentum(0.1, 0.5)) == "Momentum(lr=0.1, momentum=0.5)"


# ---------------------------------------------------------------- descend (paths on a function)
from nnlib import descend  # noqa: E402


def test_descend_follows_the_sgd_rule_on_a_quadratic():
    # f(r) = |r|², ∇f = 2r: each SGD step multiplies r by (1 - 2η)
    path = descend(lambda r: 2 * r, [3.0, -1.0], SGD(0.1), steps=5)
    assert path.shape == (6, 2)
    np.testing.assert_allclose(path, np.array([[3.0, -1.0]]) * 0.8 ** np.arange(6)[:, None])


def test_descend_does_not_modify_x0():
    x0 = np.array([1.0, 2.0])
    descend(lambda r: r, x0, SGD(0.5), steps=3)
    np.testing.assert_array_equal(x0, [1.0, 2.0])


def test_descend_reports_a_path_that_blows_up_and_keeps_its_finite_part():
    from nnlib import PathDiverged

    # f = x², SGD with η = 2: x ← x - 4x = -3x, finite for a while, then overflow
    with pytest.raises(PathDiverged, match="smaller learning rate") as info:
        descend(lambda r: 2 * r, [1.0], SGD(2.0), steps=1000)
    path = info.value.path
    assert isinstance(info.value, FloatingPointError)
    assert np.isfinite(path).all() and len(path) > 100
    np.testing.assert_allclose(path[:5, 0], (-3.0) ** np.arange(5))


def test_momentum_zero_is_plain_gradient_descent():
    a, b = np.array([1.0, -2.0]), np.array([1.0, -2.0])
    g = np.array([0.5, 0.25])
    Momentum(0.1, momentum=0.0).step_arrays([a], [g.copy()])
    SGD(0.1).step_arrays([b], [g.copy()])
    np.testing.assert_array_equal(a, b)
    assert repr(Momentum(0.1, 0.0)) == "Momentum(lr=0.1, momentum=0)"


def test_descend_checks_its_arguments():
    with pytest.raises(TypeError, match="grad must be a function"):
        descend(3, [1.0], SGD(0.1), 2)
    with pytest.raises(TypeError, match="optimizer must be an nnlib optimizer"):
        descend(lambda r: r, [1.0], 0.1, 2)
    with pytest.raises(ValueError, match=r"grad\(x\) must have the shape of x \(2,\), got \(3,\)"):
        descend(lambda r: np.ones(3), [1.0, 2.0], SGD(0.1), 2)


# ---------------------------------------------------------------- L2 weight decay
@pytest.mark.parametrize("make", [lambda wd: SGD(0.1, weight_decay=wd),
                                  lambda wd: Momentum(0.1, weight_decay=wd),
                                  lambda wd: Adagrad(0.1, weight_decay=wd),
                                  lambda wd: Adam(0.1, weight_decay=wd)])
def test_weight_decay_equals_adding_lambda_w_to_the_gradient_of_matrices_only(make):
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(3, 2)), rng.normal(size=3)
    gW, gb = rng.normal(size=(3, 2)), rng.normal(size=3)
    with_wd = [W.copy(), b.copy()]
    by_hand = [W.copy(), b.copy()]
    make(0.5).step_arrays(with_wd, [gW.copy(), gb.copy()])
    make(0.0).step_arrays(by_hand, [gW + 0.5 * W, gb.copy()])
    np.testing.assert_allclose(with_wd[0], by_hand[0], rtol=1e-12)
    np.testing.assert_allclose(with_wd[1], by_hand[1], rtol=1e-12)


def test_weight_decay_shrinks_weights_when_the_gradient_is_zero():
    W = np.ones((2, 2))
    SGD(0.1, weight_decay=0.5).step_arrays([W], [np.zeros((2, 2))])
    np.testing.assert_allclose(W, 0.95)


def test_weight_decay_must_be_non_negative():
    with pytest.raises(ValueError, match="weight_decay must be a finite number >= 0, got -0.1"):
        SGD(0.1, weight_decay=-0.1)
