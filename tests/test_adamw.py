"""Tests for nnlib.optimizers.AdamW: the decoupled weight-decay update, against a hand-written
reference, Adam, and L2 through Adam."""
import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnlib
from nnlib import Adam, AdamW, mlp

FAST = settings(max_examples=30, deadline=None)


def reference_adamw(w, b, grads_w, grads_b, lr, lam, beta1=0.9, beta2=0.999, eps=1e-8):
    """AdamW written out: w ← w − η(m̂/(√v̂+ε) + λw); biases get plain Adam."""
    w, b = w.copy(), b.copy()
    state = {"w": [0 * w, 0 * w], "b": [0 * b, 0 * b]}
    for t, (gw, gb) in enumerate(zip(grads_w, grads_b), start=1):
        for name, p, g, decay in (("w", w, gw, lam), ("b", b, gb, 0.0)):
            m, v = state[name]
            m[...] = beta1 * m + (1 - beta1) * g
            v[...] = beta2 * v + (1 - beta2) * g ** 2
            m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
            p -= lr * (m_hat / (np.sqrt(v_hat) + eps) + decay * p)
    return w, b


@FAST
@given(w0=hnp.arrays(np.float64, (3, 2), elements=st.floats(-2, 2)),
       g=hnp.arrays(np.float64, (4, 3, 2), elements=st.floats(-2, 2)),
       gb=hnp.arrays(np.float64, (4, 2), elements=st.floats(-2, 2)),
       lr=st.sampled_from([0.001, 0.01, 0.1]), lam=st.sampled_from([0.0, 0.01, 0.1, 1.0]))
def test_update_equals_the_formula(w0, g, gb, lr, lam):
    b0 = np.zeros(2)
    w, b = w0.copy(), b0.copy()
    opt = AdamW(lr=lr, weight_decay=lam)
    for t in range(4):
        opt.step_arrays([w, b], [g[t], gb[t]])
    w_ref, b_ref = reference_adamw(w0, b0, g, gb, lr, lam)
    np.testing.assert_allclose(w, w_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b, b_ref, rtol=1e-10, atol=1e-12)


def test_without_decay_it_is_adam_exactly():
    rng = np.random.default_rng(0)
    w1, w2 = rng.normal(size=(3, 4)), None
    w2 = w1.copy()
    a, aw = Adam(0.01), AdamW(0.01, weight_decay=0.0)
    for _ in range(5):
        g = rng.normal(size=(3, 4))
        a.step_arrays([w1], [g])
        aw.step_arrays([w2], [g])
    np.testing.assert_array_equal(w1, w2)


def test_with_zero_gradient_the_weights_shrink_by_exactly_one_minus_lr_lambda_per_step():
    w0 = np.random.default_rng(1).normal(size=(2, 3))
    w = w0.copy()
    opt = AdamW(lr=0.1, weight_decay=0.5)
    for _ in range(10):
        opt.step_arrays([w], [np.zeros_like(w)])
    np.testing.assert_allclose(w, (1 - 0.1 * 0.5) ** 10 * w0, rtol=1e-13)


def test_differs_from_l2_through_adam():
    # With L2 inside Adam the decay λw is divided by √v̂: a zero loss gradient gives steps of
    # about η·sign(w), not the factor (1 − ηλ).
    w0 = np.array([[4.0, -0.01]])
    w_l2, w_dec = w0.copy(), w0.copy()
    Adam(0.1, weight_decay=0.5).step_arrays([w_l2], [np.zeros_like(w0)])
    AdamW(0.1, weight_decay=0.5).step_arrays([w_dec], [np.zeros_like(w0)])
    np.testing.assert_allclose(w_dec, 0.95 * w0)
    np.testing.assert_allclose(w_l2, w0 - 0.1 * np.sign(w0), atol=1e-6)


def test_biases_do_not_decay_and_update_is_in_place():
    net = mlp([3, 4, 2], "tanh", seed=0)
    for _, g in net.gradients():
        g[...] = 0.0
    before = {n: p.copy() for n, p in net.parameters()}
    arrays = [p for _, p in net.parameters()]
    AdamW(0.1, weight_decay=0.2).step(net)
    for (name, p), same in zip(net.parameters(), arrays):
        assert p is same
        expected = 0.98 * before[name] if p.ndim == 2 else before[name]
        np.testing.assert_allclose(p, expected)


def test_fit_with_adamw_learns_xor():
    X, y = nnlib.xor(200, seed=0)
    net = mlp([2, 8, 2], "tanh", seed=0)
    h = nnlib.fit(net, X, y, loss="softmax_cross_entropy", optimizer=AdamW(0.05), epochs=60,
                  batch_size=20, seed=0, progress=False)
    assert h.train_acc[-1] > 0.95


def test_repr_and_default():
    assert AdamW().weight_decay == 0.01
    assert repr(AdamW(0.01, weight_decay=0.1)) == "AdamW(lr=0.01, weight_decay=0.1)"


@pytest.mark.parametrize("kwargs, exc, msg", [
    ({"weight_decay": -0.1}, ValueError, r"weight_decay must be a finite number >= 0, got -0.1"),
    ({"lr": 0}, ValueError, r"learning rate lr must be a finite number > 0"),
    ({"beta1": 1.0}, ValueError, r"beta1 must be strictly between 0 and 1"),
])
def test_bad_arguments(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        AdamW(**kwargs)
