"""One epoch of a small convolutional network on the digits (chapter 10), nnlib against PyTorch.

The network: ``Conv2D(1, 8, 3)`` → ReLU → ``MaxPool2D(2)`` → ``Flatten`` → ``Dense(72, 10)``,
softmax cross-entropy, plain SGD (learning rate 0.1), mini-batches of 32, on the training part of
the chapter 8 split of the digits (images of shape (1, 8, 8)). nnlib trains in float64 and
float32 through ``nnlib.training.train_epoch`` (``fit`` without the evaluation); PyTorch, if it is
installed, trains the same network from the same initial weights with ``torch.nn`` modules.

Used by ``bench.py`` (the appendix page) and by ``tests/test_torch_agreement.py``; run alone::

    nice .venv/bin/python benchmarks/convnet.py
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import nnlib  # noqa: E402
from nnlib.training import train_epoch  # noqa: E402

LR, BATCH, SEED = 0.1, 32, 0
#: the bench's target for one epoch of nnlib float64, 1 thread, in seconds
TARGET_SECONDS = 2.0
#: nnlib's time over PyTorch's, float64, should stay at or below this
TARGET_TORCH_RATIO = 1.5


def data():
    X, y = nnlib.load_digits()
    X_train, _, y_train, _ = nnlib.train_test_split(X, y, test_size=0.2, seed=3, stratify=True)
    return X_train.reshape(-1, 1, 8, 8), y_train


def nnlib_net(dtype=np.float64, seed=SEED):
    return nnlib.Sequential([nnlib.Conv2D(1, 8, 3, seed=seed, dtype=dtype), nnlib.ReLU(),
                             nnlib.MaxPool2D(2), nnlib.Flatten(),
                             nnlib.Dense(72, 10, init="he", seed=seed, dtype=dtype)])


def torch_net(net, dtype="float64"):
    """The same network in PyTorch, with the weights of the nnlib network ``net``."""
    import torch

    tdtype = getattr(torch, dtype)
    conv, dense = net.layers[0], net.layers[4]
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                torch.nn.Flatten(), torch.nn.Linear(72, 10)).to(tdtype)
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(conv.params["W"].astype(np.float64)))
        model[0].bias.copy_(torch.from_numpy(conv.params["b"].astype(np.float64)))
        model[4].weight.copy_(torch.from_numpy(dense.W.astype(np.float64)))
        model[4].bias.copy_(torch.from_numpy(dense.b.astype(np.float64)))
    return model


class NnlibConv:
    def __init__(self, dtype=np.float64):
        self.net, self.dtype = nnlib_net(dtype), np.dtype(dtype)
        self.optimizer, self.rng = nnlib.SGD(LR), np.random.default_rng(SEED)

    def train(self, X, y, epochs):
        X = X.astype(self.dtype)
        for epoch in range(epochs):
            train_epoch(self.net, X, y, loss="softmax_cross_entropy", optimizer=self.optimizer,
                        batch_size=BATCH, seed=self.rng, check=epoch == 0)


class TorchConv:
    def __init__(self, dtype="float64"):
        import torch

        torch.manual_seed(SEED)
        self.torch = torch
        self.tdtype = getattr(torch, dtype)
        self.model = torch_net(nnlib_net(), dtype)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LR)
        self.loss = torch.nn.CrossEntropyLoss()

    def train(self, X, y, epochs):
        torch = self.torch
        Xt, yt = torch.from_numpy(X).to(self.tdtype), torch.from_numpy(y).long()
        for _ in range(epochs):
            order = torch.randperm(len(Xt))
            for start in range(0, len(Xt), BATCH):
                idx = order[start:start + BATCH]
                self.optimizer.zero_grad()
                self.loss(self.model(Xt[idx]), yt[idx]).backward()
                self.optimizer.step()


def torch_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    torch.set_num_threads(1)
    return True


def time_epochs(reps: int = 5, epochs: int = 3) -> dict:
    """Seconds per epoch (median of ``reps`` blocks of ``epochs`` epochs, contenders
    interleaved) for nnlib float64/float32 and, if installed, PyTorch float64/float32."""
    X, y = data()
    makers = {"nnlib64": lambda: NnlibConv(np.float64), "nnlib32": lambda: NnlibConv(np.float32)}
    if torch_available():
        makers.update({"torch64": lambda: TorchConv("float64"),
                       "torch32": lambda: TorchConv("float32")})
    for make in makers.values():  # warm-up, not timed
        make().train(X[:20 * BATCH], y[:20 * BATCH], 1)
    times = {name: [] for name in makers}
    for r in range(reps):
        names = list(makers)
        for name in names[r % len(names):] + names[:r % len(names)]:
            contender = makers[name]()
            t0 = time.perf_counter()
            contender.train(X, y, epochs)
            times[name].append((time.perf_counter() - t0) / epochs)
    median = {n: statistics.median(t) for n, t in times.items()}
    result = {"network": "Conv2D(1→8, 3×3) > ReLU > MaxPool2D(2) > Flatten > Dense(72→10)",
              "train_size": len(X), "batch": BATCH, "lr": LR, "reps": reps,
              "epochs_per_block": epochs, "times": times, "median": median,
              "target_seconds": TARGET_SECONDS, "target_torch_ratio": TARGET_TORCH_RATIO}
    if "torch64" in median:
        result["ratio_torch64"] = median["nnlib64"] / median["torch64"]
        result["ratio_torch32"] = median["nnlib32"] / median["torch32"]
    return result


def gradient_agreement() -> float:
    """Largest relative difference between nnlib's and PyTorch's float64 gradients (every
    parameter and the input) of the conv net on a batch of 16 digits."""
    import torch

    X, y = data()
    Xb, yb = X[:16], y[:16]
    net = nnlib_net()
    net.layers[0].input_grad = True
    out = net(Xb)
    loss = nnlib.SoftmaxCrossEntropy()
    dX = net.backward(loss.gradient(out, yb))
    model = torch_net(net)
    Xt = torch.from_numpy(Xb.copy()).requires_grad_(True)
    torch_loss = torch.nn.functional.cross_entropy(model(Xt), torch.from_numpy(yb).long())
    torch_loss.backward()
    pairs = [(out, model(Xt).detach().numpy()), (dX, Xt.grad.numpy()),
             (net.layers[0].grads["W"], model[0].weight.grad.numpy()),
             (net.layers[0].grads["b"], model[0].bias.grad.numpy()),
             (net.layers[4].grads["W"], model[4].weight.grad.numpy()),
             (net.layers[4].grads["b"], model[4].bias.grad.numpy())]
    return max(float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)) for a, b in pairs)


if __name__ == "__main__":
    res = time_epochs()
    for name, t in res["median"].items():
        print(f"{name}: {t * 1e3:.1f} ms per epoch ({res['train_size']} images, batch {BATCH})")
    if "ratio_torch64" in res:
        print(f"nnlib / PyTorch: float64 {res['ratio_torch64']:.2f}×, "
              f"float32 {res['ratio_torch32']:.2f}×")
        print(f"gradients against PyTorch, largest relative difference: "
              f"{gradient_agreement():.1e}")
