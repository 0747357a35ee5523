"""Likely wrong answers to the exercises of chapter 9, for the exercise-check test.

``MISTAKES[notebook][grade_id of the solution cell]`` lists replacement sources for that solution
cell; with each of them, the exercise's test cell (visible checks and hidden tests) must fail.
"""

MISTAKES = {
    "09_deep_networks": {
        "ch9-ex1-solution": [
            # the Xavier-style answer: forgets that ReLU zeroes half of its inputs
            "def relu_second_moment(var_z):\n    return var_z / 2\n\n\n"
            "def he_variance(n_in):\n    return 1 / n_in\n",
            # E[a²] taken as the full variance of z
            "def relu_second_moment(var_z):\n    return var_z\n\n\n"
            "def he_variance(n_in):\n    return 2 / n_in\n",
            # a standard deviation instead of a variance
            "import numpy as np\n\n\ndef relu_second_moment(var_z):\n    return var_z / 2\n\n\n"
            "def he_variance(n_in):\n    return np.sqrt(2 / n_in)\n",
        ],
        "ch9-ex2-solution": [
            # the mask without the 1/(1 − p) of inverted dropout
            "def dropout_backward(dA, keep, p):\n    return dA * keep\n",
            # scaled the wrong way
            "def dropout_backward(dA, keep, p):\n    return dA * keep * (1 - p)\n",
            # scaled, but the dropped entries still pass a gradient
            "def dropout_backward(dA, keep, p):\n    return dA / (1 - p)\n",
        ],
        "ch9-ex3-solution": [
            # the other set standardised with its own statistics
            "def standardize(X_train, X_other):\n"
            "    f = lambda X: (X - X.mean(axis=0)) / X.std(axis=0)\n"
            "    return f(X_train), f(X_other)\n",
            # divided by the variance
            "def standardize(X_train, X_other):\n"
            "    mu, v = X_train.mean(axis=0), X_train.var(axis=0)\n"
            "    return (X_train - mu) / v, (X_other - mu) / v\n",
            # statistics over all entries instead of per column
            "def standardize(X_train, X_other):\n"
            "    mu, s = X_train.mean(), X_train.std()\n"
            "    return (X_train - mu) / s, (X_other - mu) / s\n",
        ],
        "ch9-ex4-solution": [
            # forgot the column of ones for the bias
            "import numpy as np\n\n\ndef max_learning_rate(X):\n"
            "    return 2 / np.linalg.eigvalsh(X.T @ X / len(X))[-1]\n",
            # 1/λ (the one-step rate) instead of the limit 2/λ
            "import numpy as np\n\n\ndef max_learning_rate(X):\n"
            "    X1 = np.column_stack([np.ones(len(X)), X])\n"
            "    return 1 / np.linalg.eigvalsh(X1.T @ X1 / len(X))[-1]\n",
            # the smallest eigenvalue instead of the largest
            "import numpy as np\n\n\ndef max_learning_rate(X):\n"
            "    X1 = np.column_stack([np.ones(len(X)), X])\n"
            "    return 2 / np.linalg.eigvalsh(X1.T @ X1 / len(X))[0]\n",
        ],
    },
}
