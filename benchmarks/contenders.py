"""The contenders of ``make bench``: one multi-layer perceptron, trained five ways.

Every contender trains the same network (ReLU between ``Dense`` layers, softmax cross-entropy
on the logits, plain mini-batch SGD without momentum or weight decay) from the same initial
weights, with the same batch size, learning rate and number of epochs. Each one shuffles the
training set at every epoch with its own seeded generator, as its library does.

A contender is built from the initial weights ``[(W, b), ...]`` (``W`` of shape
``(n_out, n_in)``, as in nnlib) and offers

* ``prepare(X, y)``: the data in the form and type the contender trains on (not timed);
* ``train(data, epochs)``: ``epochs`` full epochs; this is what is timed;
* ``predict(X)``: class labels, for the accuracy table;
* ``weights()``: the current ``[(W, b), ...]`` as float64 numpy arrays.
"""
from __future__ import annotations

import warnings

import numpy as np

import nnlib
from nnlib.training import train_epoch


def initial_weights(sizes, seed: int):
    """He-initialised weights of ``nnlib.mlp(sizes, activation="relu", seed=seed)``."""
    net = nnlib.mlp(sizes, activation="relu", seed=seed)
    return [(layer.W.copy(), layer.b.copy()) for layer in net.layers
            if isinstance(layer, nnlib.Dense)]


# ----------------------------------------------------------------------------- nnlib
class NnlibContender:
    """nnlib as a reader uses it: ``mlp`` + ``SGD``, epochs of ``nnlib.training.train_epoch``,
    which is ``fit`` without the evaluation after each epoch. Like ``fit``, one call of
    ``train`` checks the data once (first epoch) and then trains without checks."""

    def __init__(self, weights, *, lr, batch_size, seed, dtype=np.float64):
        self.dtype = np.dtype(dtype)
        sizes = [weights[0][0].shape[1]] + [W.shape[0] for W, _ in weights]
        self.net = nnlib.mlp(sizes, activation="relu", seed=seed, dtype=self.dtype)
        for layer, (W, b) in zip(self.net.layers[::2], weights):
            layer.W, layer.b = W, b
        self.optimizer = nnlib.SGD(lr)
        self.loss = nnlib.SoftmaxCrossEntropy()
        self.batch_size = batch_size
        self.rng = np.random.default_rng(seed)

    def prepare(self, X, y):
        return np.ascontiguousarray(X, dtype=self.dtype), np.asarray(y, dtype=np.intp)

    def train(self, data, epochs):
        X, y = data
        for epoch in range(epochs):
            train_epoch(self.net, X, y, loss=self.loss, optimizer=self.optimizer,
                        batch_size=self.batch_size, seed=self.rng, check=epoch == 0)

    def predict(self, X):
        return self.net.predict(X)

    def weights(self):
        return [(l.W.astype(np.float64), l.b.astype(np.float64)) for l in self.net.layers[::2]]


# ----------------------------------------------------------------------------- PyTorch
class TorchContender:
    """PyTorch on the CPU, written the usual way: ``nn.Sequential`` of ``nn.Linear`` and
    ``nn.ReLU``, ``nn.CrossEntropyLoss``, ``optim.SGD`` with its defaults, and mini-batches
    taken by indexing the data tensors with a ``torch.randperm`` permutation (faster than a
    ``DataLoader``, which collates one example at a time)."""

    def __init__(self, weights, *, lr, batch_size, seed, dtype=np.float64):
        import torch

        self.torch = torch
        self.tdtype = torch.float64 if np.dtype(dtype) == np.float64 else torch.float32
        self.dtype = np.dtype(dtype)
        layers = []
        for i, (W, b) in enumerate(weights):
            linear = torch.nn.Linear(W.shape[1], W.shape[0], dtype=self.tdtype)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(W))
                linear.bias.copy_(torch.from_numpy(b))
            layers.append(linear)
            if i < len(weights) - 1:
                layers.append(torch.nn.ReLU())
        self.model = torch.nn.Sequential(*layers)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=lr)
        self.loss = torch.nn.CrossEntropyLoss()
        self.batch_size = batch_size
        self.generator = torch.Generator().manual_seed(seed)

    def prepare(self, X, y):
        X = np.ascontiguousarray(X, dtype=self.dtype)
        return self.torch.from_numpy(X), self.torch.from_numpy(np.asarray(y, dtype=np.int64))

    def train(self, data, epochs):
        X, y = data
        n = X.shape[0]
        for _ in range(epochs):
            order = self.torch.randperm(n, generator=self.generator)
            for start in range(0, n, self.batch_size):
                idx = order[start:start + self.batch_size]
                self.optimizer.zero_grad()
                loss = self.loss(self.model(X[idx]), y[idx])
                loss.backward()
                self.optimizer.step()

    def predict(self, X):
        with self.torch.no_grad():
            out = self.model(self.torch.from_numpy(np.ascontiguousarray(X, dtype=self.dtype)))
        return out.argmax(dim=1).numpy()

    def weights(self):
        linears = [m for m in self.model if isinstance(m, self.torch.nn.Linear)]
        return [(m.weight.detach().numpy().astype(np.float64),
                 m.bias.detach().numpy().astype(np.float64)) for m in linears]


# ----------------------------------------------------------------------------- scikit-learn
class SklearnContender:
    """scikit-learn's ``MLPClassifier(solver="sgd")`` with everything extra switched off (no L2
    penalty, no momentum, constant learning rate, no early stopping or tolerance stop). Its
    weights are set to the shared initial weights through ``warm_start``; ``train`` is one
    ``fit`` call of ``max_iter=epochs`` epochs."""

    def __init__(self, weights, *, lr, batch_size, seed, dtype=np.float64):
        from sklearn.neural_network import MLPClassifier

        hidden = tuple(W.shape[0] for W, _ in weights[:-1])
        self.clf = MLPClassifier(
            hidden_layer_sizes=hidden, activation="relu", solver="sgd", alpha=0.0,
            batch_size=batch_size, learning_rate="constant", learning_rate_init=lr,
            momentum=0.0, nesterovs_momentum=False, shuffle=True, random_state=seed,
            tol=0.0, n_iter_no_change=10**9, early_stopping=False, warm_start=True, max_iter=1)
        self.initial = weights
        self.dtype = np.dtype(dtype)
        self._ready = False

    def prepare(self, X, y):
        X = np.ascontiguousarray(X, dtype=self.dtype)
        y = np.asarray(y)
        if not self._ready:
            # One short fit on one example of every class creates the fitted attributes; then
            # the shared initial weights replace scikit-learn's own initialisation.
            first = np.unique(y, return_index=True)[1]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.clf.set_params(max_iter=1).fit(X[first], y[first])
            for coef, intercept, (W, b) in zip(self.clf.coefs_, self.clf.intercepts_,
                                               self.initial):
                coef[...] = W.T
                intercept[...] = b
            self._ready = True
        return X, y

    def train(self, data, epochs):
        X, y = data
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning: we stop after `epochs` on purpose
            self.clf.set_params(max_iter=epochs).fit(X, y)

    def predict(self, X):
        return self.clf.predict(np.ascontiguousarray(X, dtype=self.dtype))

    def weights(self):
        return [(c.T.astype(np.float64), b.astype(np.float64))
                for c, b in zip(self.clf.coefs_, self.clf.intercepts_)]


# ----------------------------------------------------------------------------- per-sample loop
class PerSampleLoop:
    """The classic from-scratch loop: inside each mini-batch, one example at a time — forward
    with matrix–vector products, backpropagation of that one example, gradients added up —
    then one update per mini-batch with the averaged gradient (done in place)."""

    def __init__(self, weights, *, lr, batch_size, seed, dtype=np.float64):
        self.W = [W.astype(dtype) for W, _ in weights]
        self.b = [b.astype(dtype) for _, b in weights]
        self.lr, self.batch_size = lr, batch_size
        self.rng = np.random.default_rng(seed)
        self.dtype = np.dtype(dtype)

    def prepare(self, X, y):
        return np.ascontiguousarray(X, dtype=self.dtype), np.asarray(y, dtype=np.intp)

    def train(self, data, epochs):
        X, y = data
        W, b, L = self.W, self.b, len(self.W)
        for _ in range(epochs):
            order = self.rng.permutation(len(X))
            for start in range(0, len(X), self.batch_size):
                batch = order[start:start + self.batch_size]
                dW = [np.zeros_like(w) for w in W]
                db = [np.zeros_like(v) for v in b]
                for i in batch:
                    # forward, keeping every layer's input a and pre-activation z
                    a, zs = [X[i]], []
                    for l in range(L):
                        z = W[l] @ a[-1] + b[l]
                        zs.append(z)
                        a.append(np.maximum(z, 0.0) if l < L - 1 else z)
                    # softmax cross-entropy: delta = softmax(z) - one_hot(y)
                    e = np.exp(zs[-1] - zs[-1].max())
                    delta = e / e.sum()
                    delta[y[i]] -= 1.0
                    # backward, one layer at a time
                    for l in range(L - 1, -1, -1):
                        dW[l] += np.outer(delta, a[l])
                        db[l] += delta
                        if l > 0:
                            delta = (W[l].T @ delta) * (zs[l - 1] > 0)
                step = self.lr / len(batch)
                for l in range(L):
                    W[l] -= step * dW[l]
                    b[l] -= step * db[l]

    def predict(self, X):
        A = np.asarray(X, dtype=self.dtype)
        for l in range(len(self.W)):
            A = A @ self.W[l].T + self.b[l]
            if l < len(self.W) - 1:
                A = np.maximum(A, 0.0)
        return A.argmax(axis=1)

    def weights(self):
        return [(W.astype(np.float64), b.astype(np.float64)) for W, b in zip(self.W, self.b)]


#: name → (class, dtype, label used in the tables)
CONTENDERS = {
    "nnlib64": (NnlibContender, np.float64, "nnlib float64"),
    "nnlib32": (NnlibContender, np.float32, "nnlib float32"),
    "torch64": (TorchContender, np.float64, "PyTorch float64"),
    "torch32": (TorchContender, np.float32, "PyTorch float32"),
    "sklearn": (SklearnContender, np.float64, "scikit-learn float64"),
    "loop": (PerSampleLoop, np.float64, "per-sample loop float64"),
}


def make(name, weights, *, lr, batch_size, seed):
    cls, dtype, _ = CONTENDERS[name]
    return cls(weights, lr=lr, batch_size=batch_size, seed=seed, dtype=dtype)
