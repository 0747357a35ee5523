"""Tests for nnlib.attention: Embedding, PositionEmbedding and SelfAttention (formulas, gradients
against finite differences on random shapes, causal mask, errors, save/load, float32)."""
import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnlib
from nnlib import Dense, Embedding, Flatten, PositionEmbedding, SelfAttention, Sequential
from nnlib.gradcheck import gradient_check

from conftest import box_gradient_errors, central_difference_gradient

FAST = settings(max_examples=25, deadline=None)
TOL = 1e-7


@st.composite
def attention_case(draw):
    n, T = draw(st.integers(1, 3)), draw(st.integers(1, 5))
    d_model, d_head = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    box = SelfAttention(d_model, d_head, causal=draw(st.booleans()),
                        seed=draw(st.integers(0, 99)))
    X = draw(hnp.arrays(np.float64, (n, T, d_model), elements=st.floats(-2, 2)))
    V = draw(hnp.arrays(np.float64, (n, T, d_head), elements=st.floats(-2, 2)))
    return box, X, V


def reference_attention(X, Wq, Wk, Wv, causal):
    """softmax(QKᵀ/√d)V for each sequence, written out with a loop over sequences."""
    out = []
    for x in X:
        Q, K, V = x @ Wq.T, x @ Wk.T, x @ Wv.T
        S = Q @ K.T / np.sqrt(Wq.shape[0])
        if causal:
            S = S + np.triu(np.full(S.shape, -1e300), k=1)
        out.append(nnlib.softmax(S) @ V)
    return np.array(out)


# ----------------------------------------------------------------------------- SelfAttention
@FAST
@given(case=attention_case())
def test_attention_forward_matches_the_formula(case):
    box, X, _ = case
    p = box.params
    np.testing.assert_allclose(box(X), reference_attention(X, p["W_Q"], p["W_K"], p["W_V"],
                                                           box.causal), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(box.A.sum(axis=-1), 1.0)


@FAST
@given(case=attention_case())
def test_attention_gradients_match_numerical_gradient(case):
    box, X, V = case
    errors = box_gradient_errors(box, X, V)
    assert max(errors.values()) < TOL, errors


@FAST
@given(case=attention_case())
def test_attention_gradients_match_independent_central_differences(case):
    box, X, V = case
    errors = box_gradient_errors(box, X, V, central_difference_gradient)
    assert max(errors.values()) < TOL, errors


def test_causal_attention_ignores_the_future():
    rng = np.random.default_rng(0)
    box = SelfAttention(3, 2, causal=True, seed=0)
    X = rng.normal(size=(1, 5, 3))
    Z = box(X).copy()
    assert np.all(np.triu(box.A[0], k=1) == 0)
    X2 = X.copy()
    X2[0, 3:] += 10.0  # change the last two tokens
    np.testing.assert_allclose(box(X2)[0, :3], Z[0, :3])


def test_attention_without_positions_is_permutation_equivariant():
    rng = np.random.default_rng(1)
    box = SelfAttention(4, 3, seed=0)
    X = rng.normal(size=(1, 6, 4))
    order = rng.permutation(6)
    np.testing.assert_allclose(box(X[:, order]), box(X)[:, order])


def test_attention_keeps_no_reference_to_the_input():
    rng = np.random.default_rng(2)
    box = SelfAttention(3, 2, seed=0)
    X = rng.normal(size=(2, 4, 3))
    box(X)
    G = rng.normal(size=(2, 4, 2))
    dX = box.backward(G).copy()
    X[...] = 0.0
    np.testing.assert_array_equal(box.backward(G), dX)


def test_attention_softmax_gradient_is_the_jacobian_product():
    # ∂C/∂S row by row equals softmax_vjp(S, ∂C/∂A), the chapter 4 formula
    rng = np.random.default_rng(3)
    box = SelfAttention(3, 3, seed=1)
    X = rng.normal(size=(1, 4, 3))
    box(X)
    S = box.Q[0] @ box.K[0].T / np.sqrt(3)
    np.testing.assert_allclose(box.A[0], nnlib.softmax(S))
    G = rng.normal(size=(1, 4, 3))
    dA = G[0] @ box.V[0].T
    dS = nnlib.softmax_vjp(S, dA)
    box.backward(G)
    np.testing.assert_allclose(box.grads["W_Q"], (dS @ box.K[0] / np.sqrt(3)).T @ X[0])


# ----------------------------------------------------------------------------- Embedding
def test_embedding_is_dense_on_one_hot():
    rng = np.random.default_rng(0)
    emb = Embedding(5, 3, seed=0)
    dense = Dense(5, 3, bias=False)
    dense.W = emb.params["E"].T
    tokens = rng.integers(0, 5, size=(4, 6))
    one_hot = nnlib.one_hot(tokens.ravel(), 5)
    np.testing.assert_allclose(emb(tokens).reshape(-1, 3), dense(one_hot))
    G = rng.normal(size=(4, 6, 3))
    assert emb.backward(G) is None  # indices have no gradient
    dense.backward(G.reshape(-1, 3))
    np.testing.assert_allclose(emb.grads["E"], dense.grads["W"].T)


@FAST
@given(n=st.integers(1, 3), T=st.integers(1, 5), vocab=st.integers(1, 6), d=st.integers(1, 4),
       seed=st.integers(0, 999))
def test_embedding_gradient_matches_finite_differences(n, T, vocab, d, seed):
    rng = np.random.default_rng(seed)
    emb = Embedding(vocab, d, seed=seed)
    X = rng.integers(0, vocab, size=(n, T)).astype(float)
    errors = box_gradient_errors(emb, X, rng.normal(size=(n, T, d)), input_grad=False)
    assert errors["E"] < TOL


@FAST
@given(n=st.integers(1, 3), T=st.integers(1, 5), d=st.integers(1, 4), seed=st.integers(0, 999))
def test_position_embedding_gradient_matches_finite_differences(n, T, d, seed):
    rng = np.random.default_rng(seed)
    box = PositionEmbedding(6, d, seed=seed)
    errors = box_gradient_errors(box, rng.normal(size=(n, T, d)), rng.normal(size=(n, T, d)))
    assert max(errors.values()) < TOL, errors


# ----------------------------------------------------------------------------- in a network
def small_attention_net(seed=0, dtype=np.float64, causal=False):
    return Sequential([Embedding(6, 4, seed=seed, dtype=dtype),
                       PositionEmbedding(5, 4, seed=seed + 1, dtype=dtype),
                       SelfAttention(4, 3, causal=causal, seed=seed + 2, dtype=dtype),
                       Flatten(), Dense(15, 3, seed=seed, dtype=dtype)])


@pytest.mark.parametrize("causal", [False, True])
def test_gradient_check_of_an_attention_network(causal):
    rng = np.random.default_rng(0)
    net = small_attention_net(causal=causal)
    X = rng.integers(0, 6, size=(4, 5)).astype(float)
    result = gradient_check(net, X, np.array([0, 2, 1, 2]), "softmax_cross_entropy")
    assert set(result.errors) == {"0.E", "1.P", "2.W_Q", "2.W_K", "2.W_V", "4.W", "4.b"}
    assert result.max_relative_error < TOL


def test_fit_learns_to_find_the_copy_of_the_last_token():
    rng = np.random.default_rng(0)
    seqs = np.array([rng.permutation(6)[:4] for _ in range(400)])
    pos = rng.integers(0, 4, 400)
    X = np.column_stack([seqs, seqs[np.arange(400), pos]]).astype(float)
    net = Sequential([Embedding(6, 8, seed=0), PositionEmbedding(5, 8, seed=1),
                      SelfAttention(8, 8, seed=2), Flatten(), Dense(40, 4, seed=3)])
    history = nnlib.fit(net, X, pos, loss="softmax_cross_entropy", optimizer=nnlib.Adam(0.01),
                        epochs=15, seed=0, progress=False)
    assert history.train_acc[-1] > 0.9


def test_save_load_round_trip(tmp_path):
    net = small_attention_net(seed=4, causal=True)
    X = np.random.default_rng(0).integers(0, 6, size=(3, 5))
    net.save(tmp_path / "attn.npz")
    loaded = Sequential.load(tmp_path / "attn.npz")
    assert repr(loaded) == repr(net)
    assert loaded.layers[2].causal
    np.testing.assert_array_equal(loaded(X), net(X))


def test_float32_stays_float32_and_agrees_with_float64(tmp_path):
    X = np.random.default_rng(0).integers(0, 6, size=(3, 5))
    net32, net64 = small_attention_net(dtype=np.float32), small_attention_net()
    Z = net32(X)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(Z, net64(X), rtol=1e-4, atol=1e-5)
    net32.backward(np.ones_like(Z))
    assert all(g.dtype == np.float32 for _, g in net32.gradients())
    net32.save(tmp_path / "n.npz")
    assert all(p.dtype == np.float32 for _, p in Sequential.load(tmp_path / "n.npz").parameters())


def test_single_sequence_is_promoted_to_a_batch():
    net = small_attention_net()
    X = np.array([[0, 1, 2, 3, 4], [5, 4, 3, 2, 1]])
    np.testing.assert_allclose(Embedding(6, 4, seed=0)(X[0]), Embedding(6, 4, seed=0)(X)[0])
    box = SelfAttention(4, 3, seed=0)
    x = np.random.default_rng(0).normal(size=(5, 4))
    np.testing.assert_allclose(box(x), box(x[None])[0])
    assert net(X).shape == (2, 3)
    np.testing.assert_allclose(net(X[1]), net(X)[1])


# ----------------------------------------------------------------------------- bad input
def test_embedding_errors():
    with pytest.raises(ValueError, match=r"Embedding\(10→4\) expects whole-number tokens from 0 "
                                         r"to 9, got values from 0 to 10$"):
        Embedding(10, 4)(np.array([[0, 10]]))
    with pytest.raises(ValueError, match=r"got values from 0 to 1.5 that are not whole numbers"):
        Embedding(10, 4)(np.array([[0, 1.5]]))
    with pytest.raises(ValueError, match=r"Embedding\(10→4\) expects token indices of shape "
                                         r"\(N, T\), got an array of shape \(1, 2, 3\)"):
        Embedding(10, 4)(np.zeros((1, 2, 3)))


def test_attention_errors():
    with pytest.raises(ValueError, match=r"SelfAttention\(8→4\) expects inputs of shape "
                                         r"\(N, T, 8\), got an array of shape \(2, 5, 6\)"):
        SelfAttention(8, 4)(np.ones((2, 5, 6)))
    with pytest.raises(TypeError, match=r"causal must be True or False, got int 1"):
        SelfAttention(8, 4, causal=1)
    with pytest.raises(ValueError, match=r"d_head must be an integer >= 1, got 0"):
        SelfAttention(8, 0)


def test_position_embedding_errors():
    with pytest.raises(ValueError, match=r"PositionEmbedding\(4, 3\) has positions for at most 4 "
                                         r"tokens, got a sequence of 6"):
        PositionEmbedding(4, 3)(np.ones((1, 6, 3)))
    with pytest.raises(ValueError, match=r"expects inputs of shape \(N, T, 3\)"):
        PositionEmbedding(4, 3)(np.ones((1, 6)))
