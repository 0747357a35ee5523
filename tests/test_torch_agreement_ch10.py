"""The boxes of chapter 10 agree with PyTorch autograd in float64: Conv2D (strides, padding,
channels), MaxPool2D, SelfAttention (causal or not) with Embedding and PositionEmbedding, and
the conv net of the benchmark. PyTorch is optional: these tests are skipped without it.
"""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed; install the CPU build with "
                    "`.venv/bin/pip install torch==2.13.0` to compare gradients with autograd")
F = torch.nn.functional

import nnlib  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "nnlib_benchmarks_convnet", Path(__file__).resolve().parents[1] / "benchmarks" / "convnet.py")
convnet = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(convnet)

TOLERANCE = 1e-10


def rel_diff(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = np.max(np.abs(b))
    return float(np.max(np.abs(a - b)) / scale) if scale else float(np.max(np.abs(a)))


def t(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


@pytest.mark.parametrize("c_in, c_out, k, stride, padding", [
    (1, 8, 3, 1, 0), (3, 4, 3, 1, 1), (2, 3, 2, 2, 0), (2, 2, 5, 3, 2)])
def test_conv2d_agrees_with_torch(c_in, c_out, k, stride, padding):
    rng = np.random.default_rng(0)
    box = nnlib.Conv2D(c_in, c_out, k, stride=stride, padding=padding, seed=1)
    box.params["b"][:] = rng.normal(size=c_out)
    X = rng.normal(size=(3, c_in, 9, 8))
    Z = box(X)
    G = rng.normal(size=Z.shape)
    dX = box.backward(G)
    Xt, Wt, bt = t(X, True), t(box.params["W"], True), t(box.params["b"], True)
    Zt = F.conv2d(Xt, Wt, bt, stride=stride, padding=padding)
    (Zt * t(G)).sum().backward()
    assert rel_diff(Z, Zt.detach().numpy()) <= TOLERANCE
    assert rel_diff(dX, Xt.grad.numpy()) <= TOLERANCE
    assert rel_diff(box.grads["W"], Wt.grad.numpy()) <= TOLERANCE
    assert rel_diff(box.grads["b"], bt.grad.numpy()) <= TOLERANCE


@pytest.mark.parametrize("size", [2, 3])
def test_maxpool_agrees_with_torch(size):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(2, 3, 7, 8))
    box = nnlib.MaxPool2D(size)
    Z = box(X)
    G = rng.normal(size=Z.shape)
    dX = box.backward(G)
    Xt = t(X, True)
    Zt = F.max_pool2d(Xt, size)
    (Zt * t(G)).sum().backward()
    assert rel_diff(Z, Zt.detach().numpy()) <= TOLERANCE
    assert rel_diff(dX, Xt.grad.numpy()) <= TOLERANCE


@pytest.mark.parametrize("causal", [False, True])
def test_attention_network_agrees_with_torch(causal):
    rng = np.random.default_rng(2)
    emb, pos = nnlib.Embedding(7, 5, seed=0), nnlib.PositionEmbedding(6, 5, seed=1)
    attn = nnlib.SelfAttention(5, 4, causal=causal, seed=2)
    net = nnlib.Sequential([emb, pos, attn, nnlib.Flatten(), nnlib.Dense(24, 3, seed=3)])
    tokens = rng.integers(0, 7, size=(4, 6))
    labels = np.array([0, 2, 1, 2])
    loss = nnlib.SoftmaxCrossEntropy()
    out = net(tokens)
    net.backward(loss.gradient(out, labels))

    p = {name: t(a, True) for name, a in net.parameters()}
    X = p["0.E"][torch.from_numpy(tokens)] + p["1.P"][:6]
    Q, K, V = X @ p["2.W_Q"].T, X @ p["2.W_K"].T, X @ p["2.W_V"].T
    S = Q @ K.transpose(1, 2) / np.sqrt(4)
    if causal:
        S = S.masked_fill(~torch.tril(torch.ones(6, 6, dtype=torch.bool)), float("-inf"))
    Z = torch.softmax(S, dim=-1) @ V
    logits = Z.reshape(4, -1) @ p["4.W"].T + p["4.b"]
    F.cross_entropy(logits, torch.from_numpy(labels)).backward()
    assert rel_diff(out, logits.detach().numpy()) <= TOLERANCE
    for name, g in net.gradients():
        assert rel_diff(g, p[name].grad.numpy()) <= TOLERANCE, name


def test_benchmark_conv_net_agrees_with_torch():
    assert convnet.gradient_agreement() <= TOLERANCE
