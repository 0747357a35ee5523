"""The visible checks of every exercise catch the mistake the exercise is about.

A student working from the student edition or the HTML book sees only the visible checks (the
graded test cell without its ``### BEGIN/END HIDDEN TESTS`` block). For every solution cell,
``MISTAKES`` lists typical wrong answers; each is run in place of the solution, and the visible
checks must fail on it. ``ALTERNATIVES`` lists right answers in another reasonable form (a list
for a tuple, ``np.int64`` for ``int``); the visible *and* hidden checks must accept them.

Each chapter runs once, top to bottom, in a namespace of its own (``exec``, no kernel: fast, and
widgets are not drawn because nothing displays them). After each wrong answer the reference
solution is run again, so the state is the notebook's own for the rest of the chapter.
"""
import contextlib
import io
import re
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p.stem for p in (ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[ \t]*\n?",
                    re.S | re.M)

# chapter -> grade_id of a solution cell -> the most likely wrong answers (code for that cell)
MISTAKES = {
    "01_neurons": {
        "ex1-solution": [
            # the shapes transposed (columns = neurons)
            "shape_W1 = (64, 32)\nshape_W2 = (32, 10)\nshape_b2 = (10,)\n"
            "n_params_64_32_10 = 64 * 32 + 32 + 32 * 10 + 10",
            # the biases forgotten in the count
            "shape_W1 = (32, 64)\nshape_W2 = (10, 32)\nshape_b2 = (10,)\n"
            "n_params_64_32_10 = 64 * 32 + 32 * 10",
            # the bias of the wrong layer
            "shape_W1 = (32, 64)\nshape_W2 = (10, 32)\nshape_b2 = (32,)\n"
            "n_params_64_32_10 = 64 * 32 + 32 + 32 * 10 + 10",
        ],
        "ex2-solution": [
            "def neuron(x, w, b):\n    return 1.0 / (1.0 + np.exp(-np.dot(w, x)))",      # no b
            "def neuron(x, w, b):\n    return 1.0 / (1.0 + np.exp(np.dot(w, x) + b))",   # sign
            "def neuron(x, w, b):\n    return np.dot(w, x) + b",                         # no σ
        ],
        "ex3-solution": [
            "def count_parameters(sizes):\n"
            "    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))",              # no biases
            "def count_parameters(sizes):\n"
            "    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) + sum(sizes)",  # input biases
        ],
        "ex4-solution": [
            # no activation after the last layer
            "def forward(x, weights, biases, activation):\n    a = x\n"
            "    for W, b in zip(weights[:-1], biases[:-1]):\n        a = activation(W @ a + b)\n"
            "    return weights[-1] @ a + biases[-1]",
            # the activation applied before the weights
            "def forward(x, weights, biases, activation):\n    a = x\n"
            "    for W, b in zip(weights, biases):\n        a = W @ activation(a) + b\n    return a",
        ],
        "ex5-solution": [
            "def softplus_derivative(z):\n    return 1.0 / (1.0 + np.exp(z))",            # sign
            "def softplus_derivative(z):\n    return np.log1p(np.exp(z))",                # softplus
            "def softplus_derivative(z):\n    return np.exp(z)",                          # outer only
        ],
    },
    "02_loss": {
        "ch2-ex1-solution": [
            # without the ½
            "mse_first = (0.78 - 1) ** 2 + 0.05 ** 2 + 0.12 ** 2\n"
            "mse_second = 0.23 ** 2 + 0.59 ** 2 + (0.07 - 1) ** 2\n"
            "ce_first = -np.log(0.78)\nce_second = -np.log(0.07)",
            # the cross-entropy of the predicted class instead of the true class
            "mse_first = 0.5 * ((0.78 - 1) ** 2 + 0.05 ** 2 + 0.12 ** 2)\n"
            "mse_second = 0.5 * (0.23 ** 2 + 0.59 ** 2 + (0.07 - 1) ** 2)\n"
            "ce_first = -np.log(0.78)\nce_second = -np.log(0.59)",
            # the squared error averaged over the outputs instead of summed (with ½)
            "mse_first = 0.5 * ((0.78 - 1) ** 2 + 0.05 ** 2 + 0.12 ** 2) / 3\n"
            "mse_second = 0.5 * (0.23 ** 2 + 0.59 ** 2 + (0.07 - 1) ** 2) / 3\n"
            "ce_first = -np.log(0.78)\nce_second = -np.log(0.07)",
        ],
        "ch2-ex2-solution": [
            "def squared_error(y_hat, y):\n    return np.sum((y - y_hat) ** 2)\n"       # no ½
            "def squared_error_gradient(y_hat, y):\n    return y_hat - y",
            "def squared_error(y_hat, y):\n    return 0.5 * np.sum((y - y_hat) ** 2)\n"
            "def squared_error_gradient(y_hat, y):\n    return y - y_hat",              # sign
        ],
        "ch2-ex3-solution": [
            # the sum over the examples instead of the mean
            "def softmax_cross_entropy(Z, labels):\n    m = Z.max(axis=1, keepdims=True)\n"
            "    lse = m[:, 0] + np.log(np.sum(np.exp(Z - m), axis=1))\n"
            "    return float(np.sum(lse - Z[np.arange(len(Z)), labels]))",
            # not stable: no maximum subtracted
            "def softmax_cross_entropy(Z, labels):\n"
            "    lse = np.log(np.sum(np.exp(Z), axis=1))\n"
            "    return float(np.mean(lse - Z[np.arange(len(Z)), labels]))",
        ],
        "ch2-ex4-solution": [
            "def softmax_cross_entropy_gradient(Z, labels):\n"                       # no 1/N
            "    return nnlib.softmax(Z) - nnlib.one_hot(labels, Z.shape[1])",
            "def softmax_cross_entropy_gradient(Z, labels):\n"                       # sign
            "    return (nnlib.one_hot(labels, Z.shape[1]) - nnlib.softmax(Z)) / len(Z)",
        ],
    },
    "03_gradient_descent": {
        "ch3-ex1-solution": [
            "x1 = 0.0\nx2 = -1.0\neta_max = 1.0",         # the step taken uphill (+η f')
            "x1 = 1.5\nx2 = 1.875\neta_max = 1.0",        # f' without the factor 2
            "x1 = 2.0\nx2 = 2.5\neta_max = 0.5",          # 1/f'' (smooth limit) instead of 2/f''
            "x1 = 2.0\nx2 = 2.5\neta_max = 2.0",          # 2/f' or 2 instead of 2/f''
            "x1 = 2.0\nx2 = 3.0\neta_max = 1.0",          # x2 with the slope at x0 again
        ],
        "ch3-ex2-solution": [
            "def gradient_descent(f_prime, x0, lr, steps):\n    xs, x = [], x0\n"
            "    for _ in range(steps):\n        x = x - lr * f_prime(x)\n        xs.append(x)\n"
            "    return np.array(xs)",                                                  # no x0
            "def gradient_descent(f_prime, x0, lr, steps):\n    xs = [x0]\n"
            "    for _ in range(steps):\n        xs.append(xs[-1] + lr * f_prime(xs[-1]))\n"
            "    return np.array(xs)",                                                  # uphill
        ],
        "ch3-ex3-solution": [
            "def grad_g(r):\n    x, y = r\n    return np.array([2 * x * y, x ** 2])",      # no cos
            "def grad_g(r):\n    x, y = r\n    return np.array([2 * x, x ** 2 + np.cos(y)])",
        ],
        "ch3-ex4-solution": [
            # w moved with the old velocity
            "def momentum_step(w, v, grad, lr, momentum):\n    w_new = w + v\n"
            "    return w_new, momentum * v - lr * grad",
            # sign of the gradient term
            "def momentum_step(w, v, grad, lr, momentum):\n    v_new = momentum * v + lr * grad\n"
            "    return w + v_new, v_new",
            # the arrays that were given changed in place
            "def momentum_step(w, v, grad, lr, momentum):\n    v *= momentum\n    v -= lr * grad\n"
            "    w += v\n    return w, v",
        ],
    },
    "04_chain_rule": {
        "ch4-ex1-solution": [
            "dg_dx = 4.0\ndf_dg = 12.0\ndh_dx = 48.0",      # f' taken at x instead of at g(x)
            "dg_dx = 4.0\ndf_dg = 75.0\ndh_dx = 79.0",      # the rates added, not multiplied
            "dg_dx = 2.0\ndf_dg = 75.0\ndh_dx = 150.0",     # g' = 2x taken at x = 1
        ],
        "ch4-ex2-solution": [
            "def path_contributions(s):\n    x, y = s ** 2, s ** 3\n"
            "    return x * (3 * s ** 2), y * (2 * s)",                                 # swapped
            "def path_contributions(s):\n    return 2 * s, 3 * s ** 2",                # local only
        ],
        "ch4-ex3-solution": [
            # a factor 2 kept although the loss has the ½ (the book's MSE)
            "def last_layer_gradients(a_prev, w, b, y):\n    z = w * a_prev + b\n"
            "    shared = nnlib.sigmoid_derivative(z) * 2 * (nnlib.sigmoid(z) - y)\n"
            "    return a_prev * shared, shared, w * shared",
            # a_prev instead of w in the last partial
            "def last_layer_gradients(a_prev, w, b, y):\n    z = w * a_prev + b\n"
            "    shared = nnlib.sigmoid_derivative(z) * (nnlib.sigmoid(z) - y)\n"
            "    return a_prev * shared, shared, a_prev * shared",
        ],
        "ch4-ex4-solution": [
            # the minus sign of the loss forgotten
            "def neuron_loss_gradients(x1, x2, w1, w2, b):\n"
            "    w1_v, w2_v, b_v = Value(w1), Value(w2), Value(b)\n"
            "    loss = (w1_v * x1 + w2_v * x2 + b_v).sigmoid().log()\n    loss.backward()\n"
            "    return w1_v.grad, w2_v.grad, b_v.grad",
            # the gradients in the wrong order
            "def neuron_loss_gradients(x1, x2, w1, w2, b):\n"
            "    w1_v, w2_v, b_v = Value(w1), Value(w2), Value(b)\n"
            "    loss = -(w1_v * x1 + w2_v * x2 + b_v).sigmoid().log()\n    loss.backward()\n"
            "    return w2_v.grad, w1_v.grad, b_v.grad",
        ],
        "ch4-ex5-solution": [
            "def jacobian_wrt_W(x, n_out):\n"                                          # no δ_ij
            "    return np.ones((n_out, n_out, 1)) * x[None, None, :]",
            "def jacobian_wrt_W(x, n_out):\n"                                          # δ forgotten
            "    return np.broadcast_to(x, (n_out, n_out, len(x))).copy()",
        ],
    },
    "05_backpropagation": {
        "ch5-ex1-solution": [
            # Δ transposed (one column per example)
            "shape_Delta3 = (10, 32)\nshape_dW1 = (16, 64)\nshape_db2 = (16,)\n"
            "shape_dW3 = (10, 16)\nn_gradient_entries = 65 * 16 + 17 * 16 + 17 * 10",
            # dW^(1) with the shape of Wᵀ
            "shape_Delta3 = (32, 10)\nshape_dW1 = (64, 16)\nshape_db2 = (16,)\n"
            "shape_dW3 = (10, 16)\nn_gradient_entries = 65 * 16 + 17 * 16 + 17 * 10",
            # the bias gradient not summed over the batch
            "shape_Delta3 = (32, 10)\nshape_dW1 = (16, 64)\nshape_db2 = (32, 16)\n"
            "shape_dW3 = (10, 16)\nn_gradient_entries = 65 * 16 + 17 * 16 + 17 * 10",
            # the biases forgotten in the count
            "shape_Delta3 = (32, 10)\nshape_dW1 = (16, 64)\nshape_db2 = (16,)\n"
            "shape_dW3 = (10, 16)\nn_gradient_entries = 64 * 16 + 16 * 16 + 16 * 10",
            # dW^(3) transposed
            "shape_Delta3 = (32, 10)\nshape_dW1 = (16, 64)\nshape_db2 = (16,)\n"
            "shape_dW3 = (16, 10)\nn_gradient_entries = 65 * 16 + 17 * 16 + 17 * 10",
        ],
        "ch5-ex2-solution": [
            "def output_delta(y_hat, y, z):\n    return y_hat - y",                      # no σ'
            "def output_delta(y_hat, y, z):\n"                                          # sign
            "    return (y - y_hat) * nnlib.sigmoid_derivative(z)",
            "def output_delta(y_hat, y, z):\n"                                          # σ'(ŷ)
            "    return (y_hat - y) * nnlib.sigmoid_derivative(y_hat)",
        ],
        "ch5-ex3-solution": [
            "def hidden_delta(W_next, delta_next, z, activation_derivative):\n"         # no σ'
            "    return W_next.T @ delta_next",
            "def hidden_delta(W_next, delta_next, z, activation_derivative):\n"         # no ᵀ
            "    return (W_next @ delta_next) * activation_derivative(z)",
        ],
        "ch5-ex4-solution": [
            # the gradient of the sum, not the mean (no 1/N)
            "def backward_two_layer(X, Y, W1, b1, W2, b2):\n"
            "    Z1 = X @ W1.T + b1\n    A1 = nnlib.tanh(Z1)\n    Z2 = A1 @ W2.T + b2\n"
            "    D2 = (nnlib.sigmoid(Z2) - Y) * nnlib.sigmoid_derivative(Z2)\n"
            "    D1 = (D2 @ W2) * nnlib.tanh_derivative(Z1)\n"
            "    return D1.T @ X, D1.sum(axis=0), D2.T @ A1, D2.sum(axis=0)",
            # sigmoid' in the hidden (tanh) layer
            "def backward_two_layer(X, Y, W1, b1, W2, b2):\n"
            "    Z1 = X @ W1.T + b1\n    A1 = nnlib.tanh(Z1)\n    Z2 = A1 @ W2.T + b2\n"
            "    D2 = (nnlib.sigmoid(Z2) - Y) / len(X) * nnlib.sigmoid_derivative(Z2)\n"
            "    D1 = (D2 @ W2) * nnlib.sigmoid_derivative(Z1)\n"
            "    return D1.T @ X, D1.sum(axis=0), D2.T @ A1, D2.sum(axis=0)",
            # bias gradients averaged once more
            "def backward_two_layer(X, Y, W1, b1, W2, b2):\n"
            "    Z1 = X @ W1.T + b1\n    A1 = nnlib.tanh(Z1)\n    Z2 = A1 @ W2.T + b2\n"
            "    D2 = (nnlib.sigmoid(Z2) - Y) / len(X) * nnlib.sigmoid_derivative(Z2)\n"
            "    D1 = (D2 @ W2) * nnlib.tanh_derivative(Z1)\n"
            "    return D1.T @ X, D1.mean(axis=0), D2.T @ A1, D2.mean(axis=0)",
        ],
    },
    "06_biases": {
        "ch6-ex1-solution": [
            "centre_a = -3.0\ncentre_b = -2.0\nbias_c = 6.0\nslope_c = 1.0",     # x = b/w
            "centre_a = 3.0\ncentre_b = 2.0\nbias_c = -6.0\nslope_c = 0.25",     # σ'(0) without w
            "centre_a = 3.0\ncentre_b = -2.0\nbias_c = -6.0\nslope_c = 1.0",     # sign of w lost
            "centre_a = 3.0\ncentre_b = 2.0\nbias_c = 6.0\nslope_c = 1.0",       # b = w·x
        ],
        "ch6-ex2-solution": [
            "def augment(X):\n    X = np.asarray(X, dtype=float)\n"                  # 1 at the end
            "    return np.r_[X, 1.0] if X.ndim == 1 else np.column_stack([X, np.ones(len(X))])\n"
            "def fold(W, b):\n    return np.column_stack([W, b])",
            "def augment(X):\n    X = np.asarray(X, dtype=float)\n"                  # a row of ones
            "    return np.r_[1.0, X] if X.ndim == 1 else np.vstack([np.ones(X.shape[1]), X])\n"
            "def fold(W, b):\n    return np.column_stack([b, W])",
        ],
        "ch6-ex3-solution": [
            "def dense_gradients(A, delta):\n    return delta.T @ A, delta.mean(axis=0)",  # 1/N twice
            "def dense_gradients(A, delta):\n    return A.T @ delta, delta.sum(axis=0)",   # dWᵀ
        ],
        "ch6-ex4-solution": [
            # the line through the origin's slope
            "def fit_line(x, y):\n    w = np.sum(x * y) / np.sum(x ** 2)\n"
            "    return w, y.mean() - w * x.mean()",
            # b = ȳ + w·x̄
            "def fit_line(x, y):\n    dx, dy = x - x.mean(), y - y.mean()\n"
            "    w = np.sum(dx * dy) / np.sum(dx ** 2)\n    return w, y.mean() + w * x.mean()",
        ],
    },
    "07_overfitting": {
        "ch7-ex1-solution": [
            "train_mse_line = 0.75\ntest_mse_line = 2.0",     # the sum, not the mean
            "train_mse_line = 0.375\ntest_mse_line = 1.0",    # ½ convention on one of them
            "train_mse_line = 0.5\ntest_mse_line = 1.0",      # mean |error|, not squared
            "train_mse_line = 0.25\ntest_mse_line = 0.5",     # ½ on the test error
        ],
        "ch7-ex2-solution": [
            # training set first, test set from the end of the order
            "def split(X, y, test_size, seed):\n    n = len(X)\n"
            "    order = np.random.default_rng(seed).permutation(n)\n"
            "    n_test = round(test_size * n)\n"
            "    test, train = order[n - n_test:], order[:n - n_test]\n"
            "    return X[train], X[test], y[train], y[test]",
            # the training part put back into sorted order
            "def split(X, y, test_size, seed):\n    n = len(X)\n"
            "    order = np.random.default_rng(seed).permutation(n)\n"
            "    n_test = round(test_size * n)\n"
            "    test, train = order[:n_test], np.sort(order[n_test:])\n"
            "    return X[train], X[test], y[train], y[test]",
            # X and y shuffled separately
            "def split(X, y, test_size, seed):\n    n = len(X)\n    rng = np.random.default_rng(seed)\n"
            "    ox, oy = rng.permutation(n), rng.permutation(n)\n    k = round(test_size * n)\n"
            "    return X[ox[k:]], X[ox[:k]], y[oy[k:]], y[oy[:k]]",
        ],
        "ch7-ex3-solution": [
            "def choose_best_epoch(test_losses):\n    return int(np.argmin(test_losses))",  # from 0
            "def choose_best_epoch(test_losses):\n"                                     # last tie
            "    t = list(test_losses)\n    return len(t) - int(np.argmin(t[::-1]))",
        ],
        "ch7-ex4-solution": [
            "def l2_penalty(weights, lam):\n    return lam * sum(np.sum(W ** 2) for W in weights)\n"
            "def l2_gradient(weights, lam):\n    return [lam * W for W in weights]",     # no ½
            "def l2_penalty(weights, lam):\n"
            "    return lam / 2 * sum(np.sum(W ** 2) for W in weights)\n"
            "def l2_gradient(weights, lam):\n    return [2 * lam * W for W in weights]",  # 2λW
        ],
        "ch7-ex5-solution": [
            # a tie counted as an improvement
            "def stopping_epoch(test_losses, patience):\n    best, since = np.inf, 0\n"
            "    for epoch, value in enumerate(test_losses, start=1):\n"
            "        if value <= best:\n            best, since = value, 0\n"
            "        else:\n            since += 1\n"
            "        if since >= patience:\n            return epoch\n    return len(test_losses)",
            # one epoch too late
            "def stopping_epoch(test_losses, patience):\n    best, since = np.inf, 0\n"
            "    for epoch, value in enumerate(test_losses, start=1):\n"
            "        if value < best:\n            best, since = value, 0\n"
            "        else:\n            since += 1\n"
            "        if since > patience:\n            return epoch\n    return len(test_losses)",
        ],
    },
    "08_digits": {
        "ch8-ex1-solution": [
            "def accuracy_from_confusion(C):\n    C = np.asarray(C)\n"
            "    return float(np.mean(np.diag(C) / C.sum(axis=1)))",          # mean per-class recall
            "def accuracy_from_confusion(C):\n    C = np.asarray(C)\n"
            "    return float(np.trace(C) / len(C))",                           # by the classes
            "def accuracy_from_confusion(C):\n    C = np.asarray(C)\n"
            "    return float(1 - np.trace(C) / C.sum())",                      # the error rate
        ],
        "ch8-ex2-solution": [
            "def predict_from_probabilities(P):\n    return np.argmax(P, axis=0)",
            "def predict_from_probabilities(P):\n    return np.max(P, axis=1)",
        ],
        "ch8-ex3-solution": [
            # the diagonal not ignored
            "def most_confused_pair(C):\n    t, p = np.unravel_index(np.argmax(C), np.shape(C))\n"
            "    return int(t), int(p)",
            # (predicted, true)
            "def most_confused_pair(C):\n    C = np.array(C)\n    np.fill_diagonal(C, -1)\n"
            "    t, p = np.unravel_index(np.argmax(C), C.shape)\n    return int(p), int(t)",
            # the caller's matrix changed
            "def most_confused_pair(C):\n    np.fill_diagonal(C, -1)\n"
            "    t, p = np.unravel_index(np.argmax(C), C.shape)\n    return int(t), int(p)",
        ],
        "ch8-ex4-solution": [
            # too many parameters
            "def train_small_net(X_train, y_train):\n"
            "    net = nnlib.mlp([64, 64, 10], activation='relu', output='identity', seed=0)\n"
            "    nnlib.fit(net, X_train, y_train, loss='softmax_cross_entropy',\n"
            "              optimizer=Adam(lr=0.01), epochs=10, batch_size=32, progress=False)\n"
            "    return net",
            # far too little training
            "def train_small_net(X_train, y_train):\n"
            "    net = nnlib.mlp([64, 32, 10], activation='relu', output='identity', seed=0)\n"
            "    nnlib.fit(net, X_train, y_train, loss='softmax_cross_entropy',\n"
            "              optimizer=SGD(lr=0.01), epochs=2, batch_size=32, progress=False)\n"
            "    return net",
        ],
    },
}

# chapter -> grade_id -> right answers in another reasonable form: visible and hidden checks pass
# Chapters 9 and 10 keep their lists beside this file.
from exercise_mistakes_09 import MISTAKES as _MISTAKES_09  # noqa: E402
from exercise_mistakes_10 import MISTAKES as _MISTAKES_10  # noqa: E402

MISTAKES.update(_MISTAKES_09)
MISTAKES.update(_MISTAKES_10)

ALTERNATIVES = {
    "01_neurons": {
        "ex1-solution": ["shape_W1 = [32, 64]\nshape_W2 = [10, 32]\nshape_b2 = [10]\n"
                         "n_params_64_32_10 = np.int64(64 * 32 + 32 + 32 * 10 + 10)"],
        "ex3-solution": ["def count_parameters(sizes):\n    s = np.array(sizes)\n"
                         "    return np.sum(s[:-1] * s[1:] + s[1:])"],
    },
    "03_gradient_descent": {
        "ch3-ex1-solution": ["x1 = 2\nx2 = 5 / 2\neta_max = np.float64(1)"],
        "ch3-ex2-solution": ["def gradient_descent(f_prime, x0, lr, steps):\n    xs = [x0]\n"
                             "    for _ in range(steps):\n"
                             "        xs.append(xs[-1] - lr * f_prime(xs[-1]))\n    return xs"],
    },
    "04_chain_rule": {
        "ch4-ex2-solution": ["def path_contributions(s):\n"
                             "    return [s ** 3 * 2 * s, s ** 2 * 3 * s ** 2]"],
        "ch4-ex4-solution": ["def neuron_loss_gradients(x1, x2, w1, w2, b):\n"
                             "    s = nnlib.sigmoid(w1 * x1 + w2 * x2 + b)\n"
                             "    return [np.float64((s - 1) * x1), (s - 1) * x2, s - 1]"],
    },
    "05_backpropagation": {
        "ch5-ex1-solution": ["shape_Delta3 = [32, 10]\nshape_dW1 = [16, 64]\nshape_db2 = [16]\n"
                             "shape_dW3 = [10, 16]\n"
                             "n_gradient_entries = np.int64(65 * 16 + 17 * 16 + 17 * 10)"],
    },
    "07_overfitting": {
        "ch7-ex3-solution": ["def choose_best_epoch(test_losses):\n"
                             "    return np.argmin(test_losses) + 1"],
    },
    "08_digits": {
        "ch8-ex1-solution": ["def accuracy_from_confusion(C):\n"
                             "    return np.trace(C) / np.sum(C)"],
        "ch8-ex3-solution": ["def most_confused_pair(C):\n    C = np.array(C)\n"
                             "    np.fill_diagonal(C, -1)\n"
                             "    return list(np.unravel_index(np.argmax(C), C.shape))"],
    },
}


def exercises(nb):
    """(solution cell, graded test cell) pairs of a notebook, with the solution's grade_id."""
    pairs = []
    cells = nb.cells
    for i, cell in enumerate(cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution") and not meta.get("grade"):
            test = next(c for c in cells[i + 1:] if c.metadata.get("nbgrader", {}).get("grade"))
            pairs.append((meta["grade_id"], i, cells.index(test)))
    return pairs


def visible(test_source: str) -> str:
    """The checks a student sees: the graded test cell without its hidden tests."""
    return HIDDEN.sub("", test_source)


def run(code, ns):
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "<cell>", "exec"), ns)
    plt.close("all")


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setenv("NNLIB_NO_FRAMES", "1")
    monkeypatch.chdir(ROOT / "chapters")


def test_every_solution_cell_has_typical_mistakes():
    assert CHAPTERS, "no chapters found"
    for chapter in CHAPTERS:
        nb = nbformat.read(ROOT / "chapters" / f"{chapter}.ipynb", 4)
        ids = [grade_id for grade_id, _, _ in exercises(nb)]
        missing = [g for g in ids if not MISTAKES.get(chapter, {}).get(g)]
        assert not missing, f"{chapter}: add typical wrong answers to MISTAKES for {missing}"
        unknown = set(MISTAKES.get(chapter, {})) - set(ids)
        assert not unknown, f"{chapter}: MISTAKES names cells that do not exist: {unknown}"


@pytest.mark.exercises
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_visible_checks_catch_the_typical_mistakes(chapter):
    nb = nbformat.read(ROOT / "chapters" / f"{chapter}.ipynb", 4)
    pairs = {solution: (grade_id, test) for grade_id, solution, test in exercises(nb)}
    ns = {"__name__": "__main__"}
    passed_wrongly, rejected_right = [], []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        run(cell.source, ns)           # every cell as in the notebook, reference solutions too
        if i not in pairs:
            continue
        grade_id, test = pairs[i]
        for wrong in MISTAKES.get(chapter, {}).get(grade_id, []):
            run(wrong, ns)
            try:
                run(visible(nb.cells[test].source), ns)
            except NameError as err:   # the mistake left a name undefined: a harness bug
                raise AssertionError(f"{grade_id}: {err} in\n{wrong}") from err
            except Exception:          # the visible checks fail, as they should
                pass
            else:
                passed_wrongly.append(f"{grade_id}:\n{wrong}")
            run(cell.source, ns)       # back to the reference solution
        for right in ALTERNATIVES.get(chapter, {}).get(grade_id, []):
            run(right, ns)
            try:
                run(nb.cells[test].source, ns)
            except Exception as err:
                rejected_right.append(f"{grade_id}: {err}\n{right}")
            run(cell.source, ns)
    assert not passed_wrongly, "the visible checks accept these wrong answers:\n\n" + \
        "\n\n".join(passed_wrongly)
    assert not rejected_right, "the checks reject these right answers:\n\n" + \
        "\n\n".join(rejected_right)
