"""Typical wrong answers to the exercises of chapter 10, by the grade_id of the solution cell.

Each entry replaces the whole solution cell; the visible checks of the exercise must reject every
one of them (a check that cannot fail teaches nothing).
"""

MISTAKES = {"10_beyond_dense": {
    "ex1-solution": [
        # padding added on one side only
        "def conv_output_side(h, k, stride=1, padding=0):\n"
        "    return int((h + padding - k) // stride + 1)\n",
        # the +1 forgotten
        "def conv_output_side(h, k, stride=1, padding=0):\n"
        "    return int((h + 2 * padding - k) // stride)\n",
        # no rounding down
        "def conv_output_side(h, k, stride=1, padding=0):\n"
        "    return (h + 2 * padding - k) / stride + 1\n",
        # stride applied to the whole length
        "def conv_output_side(h, k, stride=1, padding=0):\n"
        "    return int((h + 2 * padding) // stride - k + 1)\n",
    ],
    "ex2-solution": [
        # the kernel flipped (a convolution in the strict mathematical sense)
        "def feature_map(x, w):\n"
        "    k = w.shape[0]\n"
        "    side = x.shape[0] - k + 1\n"
        "    z = np.zeros((side, side))\n"
        "    for r in range(side):\n"
        "        for c in range(side):\n"
        "            z[r, c] = np.sum(w[::-1, ::-1] * x[r:r + k, c:c + k])\n"
        "    return z\n",
        # one output too few along each side
        "def feature_map(x, w):\n"
        "    k = w.shape[0]\n"
        "    side = x.shape[0] - k\n"
        "    z = np.zeros((side, side))\n"
        "    for r in range(side):\n"
        "        for c in range(side):\n"
        "            z[r, c] = np.sum(w * x[r:r + k, c:c + k])\n"
        "    return z\n",
        # the kernel transposed
        "def feature_map(x, w):\n"
        "    k = w.shape[0]\n"
        "    side = x.shape[0] - k + 1\n"
        "    z = np.zeros((side, side))\n"
        "    for r in range(side):\n"
        "        for c in range(side):\n"
        "            z[r, c] = np.sum(w.T * x[r:r + k, c:c + k])\n"
        "    return z\n",
    ],
    "ex3-solution": [
        # the input patch flipped
        "def kernel_gradient(x, g):\n"
        "    k = x.shape[0] - g.shape[0] + 1\n"
        "    side = g.shape[0]\n"
        "    dw = np.zeros((k, k))\n"
        "    for u in range(k):\n"
        "        for v in range(k):\n"
        "            dw[u, v] = np.sum(g * x[::-1, ::-1][u:u + side, v:v + side])\n"
        "    return dw\n",
        # only the gradient at the first output pixel
        "def kernel_gradient(x, g):\n"
        "    k = x.shape[0] - g.shape[0] + 1\n"
        "    return g[0, 0] * x[:k, :k]\n",
        # the sum of g times the pixel, instead of a sum over the outputs
        "def kernel_gradient(x, g):\n"
        "    k = x.shape[0] - g.shape[0] + 1\n"
        "    return np.sum(g) * x[:k, :k]\n",
    ],
    "ex4-solution": [
        # no scaling by √d
        "def attention(Q, K, V):\n"
        "    return nnlib.softmax(Q @ K.T) @ V\n",
        # scaled by d instead of √d
        "def attention(Q, K, V):\n"
        "    return nnlib.softmax(Q @ K.T / Q.shape[1]) @ V\n",
        # the softmax taken down the columns
        "def attention(Q, K, V):\n"
        "    return nnlib.softmax((Q @ K.T / np.sqrt(Q.shape[1])).T).T @ V\n",
        # the values left out (the formula as one of the seed texts writes it)
        "def attention(Q, K, V):\n"
        "    return nnlib.softmax(Q @ K.T / np.sqrt(Q.shape[1]))\n",
    ],
    "ex5-solution": [
        # the softmax treated as element-wise: only the diagonal of the Jacobian
        "def scores_gradient(A, dA):\n"
        "    return A * dA\n",
        # the weighted sum taken down the columns
        "def scores_gradient(A, dA):\n"
        "    return A * (dA - np.sum(dA * A, axis=0, keepdims=True))\n",
        # the factor A forgotten
        "def scores_gradient(A, dA):\n"
        "    return dA - np.sum(dA * A, axis=1, keepdims=True)\n",
        # σ'(z) = σ(1 − σ) applied entry by entry
        "def scores_gradient(A, dA):\n"
        "    return A * (1 - A) * dA\n",
    ],
}}
