"""No silent wrong answers: a written list of bad inputs for every public function, class by
class, each with the clear error it must raise (what was expected, what was received), and the
legal inputs that once gave a wrong answer without an error.

Every message is also checked not to be one of numpy's or Python's internal messages, which a
student cannot act on (``allow_pickle``, ragged arrays, broadcasting, recursion, ...).
"""
import json
import pickle
import zipfile

import numpy as np
import pytest

import nnlib as nn
from nnlib import (MSE, SGD, Adam, Dense, Momentum, ReLU, Sequential, Sigmoid,
                   SoftmaxCrossEntropy, Value, fit, mlp)
from nnlib.training import DIVERGENCE_FACTOR, TrainingDiverged

#: fragments of internal messages that must never reach a student
INTERNAL = ("allow_pickle", "inhomogeneous", "could not be broadcast", "setting an array element",
            "maximum recursion", "cannot be raised to a negative power", "BadZipFile:",
            "object arrays", ".tmp.npz", "unsupported operand")

X4 = np.arange(12.0).reshape(3, 4) / 10


def net423(seed=0):
    return Sequential([Dense(4, 2, seed=seed), ReLU(), Dense(2, 3, seed=seed + 1), Sigmoid()])


def raises(exc, match, fn):
    with pytest.raises(exc, match=match) as info:
        fn()
    message = str(info.value)
    assert not any(bad in message for bad in INTERNAL), message
    return message


# ----------------------------------------------------------------------------- the lists
# (module, what, call, expected exception, regex of the message)
RELU = ReLU()
CASES = [
    # --- nnlib.layers / nnlib.network: boxes and Sequential
    ("network", "the same activation box twice",
     lambda: Sequential([Dense(2, 2), RELU, Dense(2, 2), RELU]),
     ValueError, r"the same box ReLU\(\) is used twice \(layers 1 and 3\)"),
    ("network", "the same Dense twice",
     lambda: (lambda d: Sequential([d, ReLU(), d]))(Dense(2, 2)),
     ValueError, r"the same box Dense\(2→2\) is used twice \(layers 0 and 2\)"),
    ("network", "no boxes", lambda: Sequential([]), ValueError, r"at least one box"),
    ("network", "a box instead of a list", lambda: Sequential(Dense(2, 2)), TypeError,
     r"Sequential takes a list of boxes"),
    ("network", "a function in the list", lambda: Sequential([Dense(2, 2), np.tanh]), TypeError,
     r"box 1 must be an nnlib box \(a Layer\)"),
    ("network", "sizes that do not fit", lambda: Sequential([Dense(2, 3), Dense(4, 1)]),
     ValueError, r"Dense\(2→3\) outputs 3 numbers but the next linear layer Dense\(4→1\) "
                 r"expects 4"),
    ("network", "a ragged list as input", lambda: net423()([[1, 2, 3, 4], [1, 2]]), ValueError,
     r"the input of the network must be a rectangular array of numbers"),
    ("network", "a wrong number of features", lambda: net423()(np.ones((2, 5))), ValueError,
     r"Dense\(4→2\) expects inputs with 4 features, got 5"),
    ("network", "a 3-D input", lambda: net423()(np.ones((2, 2, 4))), ValueError,
     r"must be a 1-D or 2-D array, got shape \(2, 2, 4\)"),
    ("network", "strings", lambda: net423()(["a", "b", "c", "d"]), TypeError,
     r"must contain numbers"),
    ("network", "NaN in the input", lambda: net423()(np.array([[0, np.nan, 0, 0]])), ValueError,
     r"the input of the network contains NaN or inf \(first at index \(0, 1\)\)"),
    ("network", "NaN in a weight",
     lambda: (lambda n: (n.layers[2].W.__setitem__((0, 0), np.nan), n(X4)))(net423()),
     ValueError, r"Dense\(2→3\) produced NaN or inf: its parameter W contains NaN or inf"),
    ("network", "backward before forward", lambda: net423().backward(np.ones((3, 3))),
     RuntimeError, r"Sigmoid\(\)\.backward\(\) was called before forward\(\)"),
    ("network", "a gradient of the wrong shape",
     lambda: (lambda n: (n(X4), n.backward(np.ones((3, 2)))))(net423()),
     ValueError, r"backward\(\) expects a gradient of shape \(3, 3\) \(the shape of the last "
                 r"output\), got \(3, 2\)"),
    ("network", "a gradient that would broadcast",
     lambda: (lambda n: (n(X4), n.backward(np.ones((1, 3)))))(net423()),
     ValueError, r"expects a gradient of shape \(3, 3\)"),
    ("network", "layers cannot be changed in place", lambda: net423().layers.append(ReLU()),
     AttributeError, r"tuple"),
    ("network", "an unknown box type in a description",
     lambda: nn.layer_from_config({"type": "Conv9D"}), ValueError,
     r"unknown box type 'Conv9D' in a saved network; known types: \["),
    ("network", "a description that is not a dict", lambda: nn.layer_from_config("Dense"),
     ValueError, r"a box description must be a dict with a 'type'"),
    ("network", "a description that does not fit the constructor",
     lambda: nn.layer_from_config({"type": "Dense", "n_in": 2}), ValueError,
     r"the saved description of a Dense box does not fit its constructor"),
    ("network", "mlp of one size", lambda: mlp([3]), ValueError,
     r"at least an input and an output size"),
    ("network", "mlp of a string", lambda: mlp("3,2"), TypeError, r"a list of layer sizes"),
    ("network", "mlp with a bad activation", lambda: mlp([2, 2], "relu6"), ValueError,
     r"unknown activation 'relu6'"),
    ("network", "the old keyword rng", lambda: mlp([2, 2], rng=0), TypeError,
     r"unexpected keyword argument 'rng'"),
    ("layers", "Dense with 0 inputs", lambda: Dense(0, 2), ValueError,
     r"n_in must be an integer >= 1, got 0"),
    ("layers", "Dense with an unknown initialiser", lambda: Dense(2, 2, init="glorot"),
     ValueError, r"unknown initialiser 'glorot'"),
    ("layers", "Dense of int dtype", lambda: Dense(2, 2, dtype=int), TypeError,
     r"dtype must be float64 or float32"),
    ("layers", "Dense with a negative seed", lambda: Dense(2, 2, seed=-1), ValueError,
     r"seed must be >= 0, got -1"),
    ("layers", "setting W of the wrong shape",
     lambda: setattr(Dense(2, 3), "W", np.ones((2, 3))), ValueError,
     r"Dense\(2→3\)\.W must have shape \(3, 2\), got \(2, 3\)"),
    ("layers", "setting b without a bias", lambda: setattr(Dense(2, 3, bias=False), "b", [0, 0, 0]),
     ValueError, r"created with bias=False"),
    ("layers", "Dense backward before forward", lambda: Dense(2, 2).backward(np.ones((1, 2))),
     RuntimeError, r"Dense\(2→2\)\.backward\(\) was called before forward\(\)"),
    ("layers", "a wrong number of features for one box", lambda: Dense(4, 2)(np.ones(3)),
     ValueError, r"^Dense\(4→2\) expects inputs with 4 features, got 3$"),
    # --- nnlib.activations
    ("activations", "a ragged list", lambda: nn.sigmoid([[1.0], [1.0, 2.0]]), ValueError,
     r"z must be a rectangular array of numbers"),
    ("activations", "a string", lambda: nn.relu("1"), TypeError, r"z must be a number"),
    ("activations", "complex numbers", lambda: nn.tanh(np.array([1j])), TypeError,
     r"real numbers, got complex"),
    ("activations", "a list with inf", lambda: nn.softmax([1.0, np.inf]), ValueError,
     r"z contains NaN or inf"),
    ("activations", "softmax_vjp of mismatched shapes",
     lambda: nn.softmax_vjp(np.ones((2, 3)), np.ones((2, 2))), ValueError,
     r"v must have the shape of z \(2, 3\), got \(2, 2\)"),
    ("activations", "softmax has no element-wise derivative",
     lambda: nn.Softmax().derivative(np.ones(3)), TypeError, r"softmax_vjp\(z, v\)"),
    ("activations", "an unknown name", lambda: nn.get_activation("swish"), ValueError,
     r"unknown activation 'swish'; choose one of"),
    ("activations", "a negative LeakyReLU slope", lambda: nn.LeakyReLU(-0.1), ValueError,
     r"alpha must be a finite number > 0"),
    ("activations", "a box on strings", lambda: nn.Tanh()(["a"]), TypeError,
     r"the input of Tanh\(\) must contain numbers"),
    ("activations", "backward before forward", lambda: nn.Softmax().backward(np.ones((1, 2))),
     RuntimeError, r"Softmax\(\)\.backward\(\) was called before forward\(\)"),
    # --- nnlib.losses
    ("losses", "shapes that differ", lambda: MSE()(np.ones((2, 3)), np.ones((2, 2))),
     ValueError, r"MSE: y_hat and y must have the same shape, got y_hat \(2, 3\) and y \(2, 2\)"),
    ("losses", "labels given to a one-hot loss",
     lambda: nn.CategoricalCrossEntropy()(np.full((2, 3), 1 / 3), [0, 2]), ValueError,
     r"same shape.*SparseCategoricalCrossEntropy"),
    ("losses", "a label out of range",
     lambda: SoftmaxCrossEntropy()(np.zeros((3, 3)), [0, 3, 1]), ValueError,
     r"labels must be in 0\.\.2 for 3 outputs, got 3 at position 1"),
    ("losses", "a negative label",
     lambda: nn.SparseCategoricalCrossEntropy()(np.full((2, 3), 1 / 3), [-1, 0]), ValueError,
     r"labels must be in 0\.\.2 for 3 outputs, got -1 at position 0"),
    ("losses", "fractional labels", lambda: SoftmaxCrossEntropy()(np.zeros((2, 3)), [0.5, 1]),
     TypeError, r"whole-number class labels of shape \(N,\)"),
    ("losses", "more labels than predictions",
     lambda: SoftmaxCrossEntropy()(np.zeros((2, 3)), [0, 1, 2]), ValueError,
     r"y_hat has 2 examples but y has 3 labels"),
    ("losses", "probabilities above 1",
     lambda: nn.BinaryCrossEntropy()(np.array([[1.5]]), np.array([[1.0]])), ValueError,
     r"expects predicted probabilities in \[0, 1\], got values from 1\.5 to 1\.5"),
    ("losses", "targets outside [0, 1]",
     lambda: nn.BinaryCrossEntropy()(np.array([[0.5]]), np.array([[2.0]])), ValueError,
     r"expects targets in \[0, 1\]"),
    ("losses", "a ragged prediction", lambda: MSE()([[1, 2], [1]], [[1, 2], [1, 2]]), ValueError,
     r"y_hat \(the prediction passed to MSE\) must be a rectangular array"),
    ("losses", "NaN in the prediction", lambda: MSE()(np.array([[np.nan]]), np.array([[1.0]])),
     ValueError, r"contains NaN or inf"),
    ("losses", "one-hot rows of the wrong width",
     lambda: SoftmaxCrossEntropy()(np.zeros((2, 3)), np.ones((2, 2))), ValueError,
     r"class labels of shape \(2,\) or one-hot rows"),
    ("losses", "an unknown name", lambda: nn.get_loss("hinge"), ValueError,
     r"unknown loss 'hinge'"),
    # --- nnlib.optimizers
    ("optimizers", "a negative learning rate", lambda: SGD(-0.1), ValueError,
     r"learning rate lr must be a finite number > 0, got -0\.1"),
    ("optimizers", "a string learning rate", lambda: SGD("0.1"), TypeError,
     r"learning rate lr must be a real number"),
    ("optimizers", "momentum 1", lambda: Momentum(0.1, momentum=1.0), ValueError,
     r"momentum must be in \[0, 1\)"),
    ("optimizers", "beta2 = 1", lambda: Adam(beta2=1.0), ValueError,
     r"beta2 must be strictly between 0 and 1"),
    ("optimizers", "step on a list", lambda: SGD(0.1).step([np.ones(2)]), TypeError,
     r"step\(\) expects a network"),
    ("optimizers", "step_arrays with fewer gradients",
     lambda: SGD(0.1).step_arrays([np.ones(2), np.ones(2)], [np.ones(2)]), ValueError,
     r"got 2 parameters but 1 gradients"),
    ("optimizers", "a gradient that would broadcast",
     lambda: SGD(0.1).step_arrays([np.ones(3)], [np.ones(1)]), ValueError,
     r"a gradient of shape \(1,\) does not match its parameter of shape \(3,\)"),
    ("optimizers", "integer parameters",
     lambda: SGD(0.1).step_arrays([np.ones(3, dtype=int)], [np.ones(3)]), TypeError,
     r"parameters must be float arrays"),
    ("optimizers", "one optimizer on a second network",
     lambda: (lambda o: [o.step(n) for n in (net423(), net423())])(SGD(0.1)), ValueError,
     r"this SGD already updates other parameters \(another network, after 1 steps\)"),
    ("optimizers", "an unknown optimizer name", lambda: nn.get_optimizer("rmsprop", lr=0.1),
     ValueError, r"unknown optimizer 'rmsprop'"),
    ("optimizers", "sgd by name without lr", lambda: nn.get_optimizer("sgd"), TypeError,
     r"needs a learning rate"),
    ("optimizers", "descend with a wrongly shaped gradient",
     lambda: nn.descend(lambda x: np.ones(3), [0.0, 0.0], SGD(0.1), 2), ValueError,
     r"grad\(x\) must have the shape of x \(2,\), got \(3,\)"),
    # --- nnlib.training
    ("training", "epochs = 0", lambda: fit(net423(), X4, np.zeros((3, 3)), loss="mse",
                                           optimizer=SGD(0.1), epochs=0), ValueError,
     r"epochs must be an integer >= 1, got 0"),
    ("training", "an optimizer class instead of an object",
     lambda: fit(net423(), X4, np.zeros((3, 3)), loss="mse", optimizer=SGD, epochs=1),
     TypeError, r"optimizer must be an nnlib optimizer such as SGD\(lr=0\.1\)"),
    ("training", "targets of the wrong width",
     lambda: fit(net423(), X4, np.zeros((3, 2)), loss="mse", optimizer=SGD(0.1), epochs=1,
                 progress=False), ValueError, r"MSE: y_hat and y must have the same shape"),
    ("training", "validation data that is not a pair",
     lambda: fit(net423(), X4, np.zeros((3, 3)), loss="mse", optimizer=SGD(0.1), epochs=1,
                 validation_data=X4, progress=False), TypeError,
     r"validation_data must be a pair \(X_val, y_val\)"),
    ("training", "a label out of range in the validation data",
     lambda: fit(mlp([4, 3]), X4, [0, 1, 2], loss="softmax_cross_entropy", optimizer=SGD(0.1),
                 epochs=1, validation_data=(X4, [0, 1, 7]), progress=False), ValueError,
     r"labels must be in 0\.\.2 for 3 outputs, got 7 at position 2"),
    ("training", "early stopping without validation data",
     lambda: fit(net423(), X4, np.zeros((3, 3)), loss="mse", optimizer=SGD(0.1), epochs=1,
                 early_stopping=2), ValueError, r"early_stopping needs validation_data"),
    ("training", "NaN weights before training",
     lambda: (lambda n: (n.layers[0].W.__setitem__((0, 0), np.nan),
                         fit(n, X4, np.zeros((3, 3)), loss="mse", optimizer=SGD(0.1), epochs=1,
                             progress=False)))(net423()),
     ValueError, r"the network's parameter 0\.W contains NaN or inf before training"),
    ("training", "a ragged X", lambda: fit(net423(), [[1, 2, 3, 4], [1]], [0, 1], loss="mse",
                                           optimizer=SGD(0.1), epochs=1), ValueError,
     r"X \(training inputs\) must be a rectangular array"),
    ("training", "evaluate on the wrong features",
     lambda: nn.evaluate(net423(), np.ones((2, 3)), np.zeros((2, 3)), "mse"), ValueError,
     r"Dense\(4→2\) expects inputs with 4 features, got 3"),
    # --- nnlib.metrics
    ("metrics", "fewer predictions than labels", lambda: nn.accuracy([0, 1], [0, 1, 1]),
     ValueError, r"accuracy: 2 predictions but 3 true labels"),
    ("metrics", "fractional 1-D predictions", lambda: nn.accuracy([0.2, 0.9], [0, 1]),
     ValueError, r"1-D labels must be whole numbers"),
    ("metrics", "strings", lambda: nn.accuracy(["a"], [0]), TypeError, r"must contain numbers"),
    ("metrics", "a ragged list", lambda: nn.accuracy([[0, 1], [1]], [0, 1]), ValueError,
     r"y_pred must be a rectangular array"),
    ("metrics", "a label outside n_classes", lambda: nn.confusion_matrix([0, 3], [0, 1], 3),
     ValueError, r"predicted labels must be in 0\.\.2"),
    # --- nnlib.data
    ("data", "one_hot of 2-D labels", lambda: nn.one_hot(np.zeros((2, 2), int)), ValueError,
     r"labels must be a 1-D array of class indices, got shape \(2, 2\)"),
    ("data", "one_hot of fractions", lambda: nn.one_hot([0.5, 1]), TypeError,
     r"labels must be whole numbers"),
    ("data", "one_hot with too few classes", lambda: nn.one_hot([0, 3], 3), ValueError,
     r"label 3 does not fit in n_classes=3"),
    ("data", "train_test_split of unequal rows",
     lambda: nn.train_test_split(np.ones((4, 2)), np.ones(3)), ValueError,
     r"X and y must have the same number of rows, got 4 and 3"),
    ("data", "test_size 1", lambda: nn.train_test_split(np.ones((4, 2)), np.ones(4), 1.0),
     ValueError, r"test_size must be strictly between 0 and 1"),
    ("data", "seed as a string", lambda: nn.xor(seed="0"), TypeError,
     r"seed must be an int seed or a numpy\.random\.Generator"),
    ("data", "spirals with one class", lambda: nn.spirals(classes=1), ValueError,
     r"classes must be an integer >= 2"),
    ("data", "flatten_images of vectors", lambda: nn.flatten_images(np.ones((3, 4))), ValueError,
     r"images must be a 3-D array"),
    # --- nnlib.gradcheck
    ("gradcheck", "numerical_gradient of a list",
     lambda: nn.numerical_gradient(lambda: 0.0, [1.0, 2.0]), TypeError,
     r"x must be a float numpy array that f reads"),
    ("gradcheck", "numerical_gradient of an int array",
     lambda: nn.numerical_gradient(lambda: 0.0, np.ones(2, dtype=int)), TypeError,
     r"x must be a float numpy array"),
    ("gradcheck", "f is not callable", lambda: nn.numerical_gradient(1.0, np.ones(2)), TypeError,
     r"f must be a function of no arguments"),
    ("gradcheck", "f returns an array",
     lambda: nn.numerical_gradient(lambda: np.ones(2), np.ones(2)), TypeError,
     r"f must return one number, got an array of shape \(2,\)"),
    ("gradcheck", "relative_error of different shapes",
     lambda: nn.relative_error(np.ones(2), np.ones(3)), ValueError,
     r"relative_error: shapes differ, \(2,\) vs \(3,\)"),
    ("gradcheck", "gradient_check of a float32 network",
     lambda: nn.gradient_check(mlp([2, 2], dtype=np.float32), np.ones((1, 2)), np.ones((1, 2)),
                               "mse"), TypeError, r"needs a float64 network"),
    ("gradcheck", "gradient_check with the loss in the old place",
     lambda: nn.gradient_check(mlp([2, 2]), "mse", np.ones((1, 2)), np.ones((1, 2))), TypeError,
     r"gradient_check\(net, X, y, loss\) takes the loss last"),
    ("gradcheck", "numerical_derivative with eps 0",
     lambda: nn.numerical_derivative(np.sin, [1.0], eps=0), ValueError,
     r"eps must be a finite number > 0"),
    # --- nnlib.conv
    ("conv", "flat images into Conv2D", lambda: nn.Conv2D(1, 8, 3)(np.ones((5, 64))), ValueError,
     r"Conv2D\(1→8, 3×3\) expects inputs of shape \(N, 1, H, W\), got an array of shape "
     r"\(5, 64\).*reshape flat images with X\.reshape\(-1, 1, 8, 8\)"),
    ("conv", "fit a conv network on flat images",
     lambda: fit(Sequential([nn.Conv2D(1, 2, 3), nn.Flatten(), Dense(72, 2)]), np.ones((10, 64)),
                 np.zeros(10, int), loss="softmax_cross_entropy", optimizer=SGD(0.1), epochs=1,
                 progress=False), ValueError,
     r"Conv2D\(1→2, 3×3\) expects inputs of shape \(N, 1, H, W\).*X\.reshape"),
    ("conv", "fit a conv network on images without their channel axis",
     lambda: fit(Sequential([nn.Conv2D(1, 2, 3), nn.Flatten(), Dense(72, 2)]),
                 np.ones((10, 8, 8)), np.zeros(10, int), loss="softmax_cross_entropy",
                 optimizer=SGD(0.1), epochs=1, progress=False), ValueError,
     r"Conv2D\(1→2, 3×3\) expects inputs of shape \(N, 1, H, W\), got an array of shape "
     r"\(10, 8, 8\)"),
    ("conv", "a channel too few", lambda: nn.Conv2D(3, 8, 3)(np.ones((2, 1, 8, 8))), ValueError,
     r"Conv2D\(3→8, 3×3\) expects inputs of shape \(N, 3, H, W\)"),
    ("conv", "an image smaller than the kernel", lambda: nn.Conv2D(1, 1, 3)(np.ones((1, 1, 2, 2))),
     ValueError, r"the image 2×2 \(with padding 0\) is smaller than the 3×3 kernel"),
    ("conv", "a conv network without Flatten",
     lambda: Sequential([nn.Conv2D(1, 2, 3), ReLU(), Dense(6, 2)])(np.ones((1, 1, 8, 8))),
     ValueError, r"the input of Dense\(6→2\) must be a batch of 2 dimensions, got shape "
                 r"\(1, 2, 6, 6\) from the box before it; a Flatten\(\) before it"),
    ("conv", "Conv2D backward before forward", lambda: nn.Conv2D(1, 1, 3).backward(
        np.ones((1, 1, 2, 2))), RuntimeError, r"Conv2D\(1→1, 3×3\)\.backward\(\) was called "
                                              r"before forward\(\)"),
    ("conv", "MaxPool2D of rows", lambda: nn.MaxPool2D(2)(np.ones((4, 64))), ValueError,
     r"MaxPool2D\(2\) expects inputs of shape \(N, C, H, W\)"),
    ("conv", "MaxPool2D backward before forward",
     lambda: nn.MaxPool2D(2).backward(np.ones((1, 1, 2, 2))), RuntimeError,
     r"MaxPool2D\(2\)\.backward\(\) was called before forward\(\)"),
    ("conv", "Flatten of one number per example", lambda: nn.Flatten()(np.ones(3)), ValueError,
     r"Flatten\(\) expects a batch of shape \(N, \.\.\.\)"),
    ("conv", "Flatten backward before forward", lambda: nn.Flatten().backward(np.ones((2, 4))),
     RuntimeError, r"Flatten\(\)\.backward\(\) was called before forward\(\)"),
    ("conv", "a float kernel size", lambda: nn.Conv2D(1, 1, 2.5), TypeError,
     r"kernel_size must be an integer, got float 2.5"),
    # --- nnlib.attention
    ("attention", "a token out of the vocabulary", lambda: nn.Embedding(10, 4)([[0, 10]]),
     ValueError, r"Embedding\(10→4\) expects whole-number tokens from 0 to 9, got values from "
                 r"0 to 10"),
    ("attention", "fractional tokens", lambda: nn.Embedding(10, 4)([[0, 1.5]]), ValueError,
     r"that are not whole numbers"),
    ("attention", "token vectors into an Embedding", lambda: nn.Embedding(10, 4)(np.zeros((1, 2, 3))),
     ValueError, r"Embedding\(10→4\) expects token indices of shape \(N, T\)"),
    ("attention", "Embedding backward before forward",
     lambda: nn.Embedding(10, 4).backward(np.ones((1, 2, 4))), RuntimeError,
     r"Embedding\(10→4\)\.backward\(\) was called before forward\(\)"),
    ("attention", "vectors of the wrong size", lambda: nn.SelfAttention(8, 4)(np.ones((2, 5, 6))),
     ValueError, r"SelfAttention\(8→4\) expects inputs of shape \(N, T, 8\), got an array of "
                 r"shape \(2, 5, 6\)"),
    ("attention", "SelfAttention backward before forward",
     lambda: nn.SelfAttention(8, 4).backward(np.ones((1, 5, 4))), RuntimeError,
     r"SelfAttention\(8→4\)\.backward\(\) was called before forward\(\)"),
    ("attention", "a sequence longer than the positions",
     lambda: nn.PositionEmbedding(4, 3)(np.ones((1, 6, 3))), ValueError,
     r"PositionEmbedding\(4, 3\) has positions for at most 4 tokens, got a sequence of 6"),
    ("attention", "causal as a number", lambda: nn.SelfAttention(8, 4, causal=1), TypeError,
     r"causal must be True or False, got int 1"),
    # --- nnlib.regularization
    ("regularization", "Dropout p = 1", lambda: nn.Dropout(1.0), ValueError,
     r"must be in \[0, 1\), got 1.0 \(p = 1 would drop everything\)"),
    ("regularization", "Dropout p as text", lambda: nn.Dropout("0.5"), TypeError,
     r"Dropout's p must be a number in \[0, 1\), got str '0.5'"),
    ("regularization", "Dropout backward before forward",
     lambda: nn.Dropout(0.5).backward(np.ones((2, 3))), RuntimeError,
     r"Dropout\(p=0.5\)\.backward\(\) was called before forward\(\)"),
    ("regularization", "Dropout of text", lambda: nn.Dropout(0.5)("abc"), TypeError,
     r"the input of Dropout\(p=0.5\) must be a number or an array of numbers"),
    # --- nnlib.preprocessing
    ("preprocessing", "transform before fit", lambda: nn.Standardizer().transform(np.ones((2, 2))),
     RuntimeError, r"this Standardizer is not fitted yet: call fit\(X_train\)"),
    ("preprocessing", "another number of features",
     lambda: nn.Standardizer().fit(np.ones((3, 2))).transform(np.ones((2, 3))), ValueError,
     r"Standardizer was fitted on inputs with 2 features, got 3"),
    ("preprocessing", "fit on one example vector", lambda: nn.Standardizer().fit(np.ones(3)),
     ValueError, r"must be a 2-D array, got shape \(3,\)"),
    # --- nnlib.optimizers: AdamW
    ("optimizers", "AdamW with negative weight decay", lambda: nn.AdamW(weight_decay=-1),
     ValueError, r"weight_decay must be a finite number >= 0, got -1"),
    ("optimizers", "get_optimizer('adamw') with a bad lr",
     lambda: nn.get_optimizer("adamw", lr=0), ValueError, r"learning rate lr must be a finite "
                                                          r"number > 0, got 0"),
    # --- nnlib.autodiff
    ("autodiff", "Value(1) / Value(0)", lambda: Value(1) / Value(0), ZeroDivisionError,
     r"division by zero: Value\(1, grad=0\) / Value\(0, grad=0\)"),
    ("autodiff", "Value(0) ** -1", lambda: Value(0) ** -1, ZeroDivisionError,
     r"Value\(0, grad=0\) \*\* -1 divides by zero"),
    ("autodiff", "a negative value to a fractional power", lambda: Value(-8) ** 0.5, ValueError,
     r"is not a real number"),
    ("autodiff", "exp overflow", lambda: Value(1000).exp(), OverflowError,
     r"too large for a float"),
    ("autodiff", "log of a negative number", lambda: Value(-1).log(), ValueError,
     r"log needs a positive number, got -1"),
    ("autodiff", "a string", lambda: Value("1"), TypeError, r"a Value holds a real number"),
    ("autodiff", "NaN", lambda: Value(float("nan")), ValueError, r"a Value must be finite"),
    ("autodiff", "a Value exponent", lambda: Value(2) ** Value(2), TypeError,
     r"only a number exponent is supported"),
    ("autodiff", "a Value plus a list", lambda: Value(2) + [1], TypeError,
     r"cannot combine a Value with list"),
]


@pytest.mark.parametrize("module, what, call, exc, match", CASES,
                         ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_bad_input_raises_a_clear_error(module, what, call, exc, match):
    raises(exc, match, call)


def test_every_module_has_its_list():
    modules = {c[0] for c in CASES}
    assert modules >= {"network", "layers", "activations", "losses", "optimizers", "training",
                       "metrics", "data", "gradcheck", "autodiff", "conv", "attention",
                       "regularization", "preprocessing"}


# ----------------------------------------------------------------------------- files
def _saved(tmp_path):
    path = tmp_path / "net.npz"
    net423().save(path)
    return path


def _corrupt_files(tmp_path):
    """(name, path) of files that are not networks saved by nnlib."""
    good = _saved(tmp_path)
    files = {}
    files["random bytes"] = tmp_path / "random.npz"
    files["random bytes"].write_bytes(np.random.default_rng(0).bytes(300))
    files["a truncated archive"] = tmp_path / "truncated.npz"
    files["a truncated archive"].write_bytes(good.read_bytes()[:200])
    files["a text file"] = tmp_path / "notes.npz"
    files["a text file"].write_text("W = [[1, 2], [3, 4]]\n")
    files["a single .npy array"] = tmp_path / "one.npy"
    np.save(files["a single .npy array"], np.ones(3))
    files["a pickle"] = tmp_path / "net.pkl"
    files["a pickle"].write_bytes(pickle.dumps({"W": np.ones(2)}))
    files["a pickled object array in an npz"] = tmp_path / "objects.npz"
    np.savez(files["a pickled object array in an npz"],
             __format__=np.array("nnlib-sequential-1"),
             __architecture__=np.array([{"type": "Dense"}], dtype=object))
    files["an npz of someone else"] = tmp_path / "foreign.npz"
    np.savez(files["an npz of someone else"], weights=np.ones((2, 2)))
    files["an architecture that is not JSON"] = tmp_path / "badjson.npz"
    np.savez(files["an architecture that is not JSON"], __format__=np.array("nnlib-sequential-1"),
             __architecture__=np.array("[{'type': 'Dense'"))
    files["a zip without arrays"] = tmp_path / "plain.npz"
    with zipfile.ZipFile(files["a zip without arrays"], "w") as z:
        z.writestr("readme.txt", "hello")
    with np.load(good) as f:
        arrays = dict(f)
    arrays["param:0.W"] = np.array([["a", "b", "c", "d"]] * 2)
    files["string parameters"] = tmp_path / "strings.npz"
    np.savez(files["string parameters"], **arrays)
    return files


FILE_CASES = ["random bytes", "a truncated archive", "a text file", "a single .npy array",
              "a pickle", "a pickled object array in an npz", "an npz of someone else",
              "an architecture that is not JSON", "a zip without arrays", "string parameters"]


@pytest.mark.parametrize("name", FILE_CASES)
def test_loading_a_corrupt_or_foreign_file_says_so(tmp_path, name):
    path = _corrupt_files(tmp_path)[name]
    message = raises(ValueError, r"(is not a network saved by nnlib's Sequential\.save|"
                                 r"parameter 0\.W is missing or is not a float array)",
                     lambda: Sequential.load(path))
    assert "pickle" not in message


def test_loading_a_missing_file(tmp_path):
    raises(FileNotFoundError, r"no such file: .*missing\.npz",
           lambda: Sequential.load(tmp_path / "missing.npz"))


def test_saving_into_a_missing_folder_names_the_folder(tmp_path):
    message = raises(FileNotFoundError, r"the folder .*no_such_folder does not exist",
                     lambda: net423().save(tmp_path / "no_such_folder" / "net.npz"))
    assert "tmp.npz" not in message


def test_a_saved_network_loads_with_every_box_type(tmp_path):
    # config() + the registry: every box class saves and loads without extra code
    boxes = [Dense(3, 4, init="he", seed=0)] + [cls() for cls in nn.ACTIVATIONS.values()
                                                if cls is not nn.LeakyReLU]
    boxes.append(nn.LeakyReLU(0.2))
    net = Sequential(boxes)
    net.save(tmp_path / "all")
    loaded = Sequential.load(tmp_path / "all.npz")
    assert [l.config() for l in loaded.layers] == [l.config() for l in net.layers]
    assert json.loads(json.dumps([l.config() for l in net.layers]))


def test_a_saved_network_loads_with_the_boxes_of_chapters_9_and_10(tmp_path):
    images = Sequential([nn.Conv2D(2, 3, 3, stride=2, padding=1, seed=0), ReLU(),
                         nn.MaxPool2D(2), nn.Flatten(), nn.Dropout(0.3, seed=4), Dense(3, 2)])
    tokens = Sequential([nn.Embedding(6, 4, seed=0), nn.PositionEmbedding(5, 4, seed=1),
                         nn.SelfAttention(4, 3, causal=True, seed=2), nn.Flatten(),
                         Dense(15, 2, seed=3)])
    X_images = np.random.default_rng(0).normal(size=(2, 2, 5, 5))
    X_tokens = np.array([[0, 1, 2, 3, 4], [5, 4, 3, 2, 1]])
    for name, net, X in (("images", images, X_images), ("tokens", tokens, X_tokens)):
        net.save(tmp_path / name)
        loaded = Sequential.load(tmp_path / f"{name}.npz")
        assert [l.config() for l in loaded.layers] == [l.config() for l in net.layers]
        np.testing.assert_array_equal(loaded.eval()(X), net.eval()(X))


def test_a_new_box_in_a_new_module_saves_and_loads(tmp_path):
    class Scale(nn.Layer):
        """z = c x, a box defined outside nnlib."""

        def __init__(self, c: float = 2.0) -> None:
            super().__init__()
            self.c = c

        def forward(self, X):
            return self.c * X

        def backward(self, dZ):
            return self.c * dZ

    net = Sequential([Dense(2, 2, seed=0), Scale(3.0)])
    net.save(tmp_path / "scaled")
    loaded = Sequential.load(tmp_path / "scaled.npz")
    assert loaded.layers[1].c == 3.0
    np.testing.assert_array_equal(loaded(np.ones((1, 2))), net(np.ones((1, 2))))


# ----------------------------------------------------------------------------- legal input,
# once a silent wrong answer
def test_changing_the_input_between_forward_and_backward_changes_nothing():
    for call in ("__call__", "forward"):
        X = np.random.default_rng(0).normal(size=(5, 3))
        layer = Dense(3, 2, seed=1)
        getattr(layer, call)(X)
        expected_dW = np.ones((5, 2)).T @ X
        X += 100.0  # the caller reuses its array
        layer.backward(np.ones((5, 2)))
        np.testing.assert_allclose(layer.grads["W"], expected_dW)
        box = Sigmoid()
        Z = np.zeros((2, 2))
        getattr(box, call)(Z)
        Z += 50.0
        np.testing.assert_allclose(box.backward(np.ones((2, 2))), 0.25)
        # the boxes of chapter 10 that keep their input: Conv2D (patches) and SelfAttention
        for box, shape in ((nn.Conv2D(1, 2, 2, seed=0), (2, 1, 3, 3)),
                           (nn.SelfAttention(3, 2, seed=0), (2, 4, 3))):
            X = np.random.default_rng(1).normal(size=shape)
            G = np.random.default_rng(2).normal(size=getattr(box, call)(X).shape)
            box.backward(G)
            expected = {k: g.copy() for k, g in box.grads.items()}
            getattr(box, call)(X)
            X += 100.0
            box.backward(G)
            for k, g in box.grads.items():
                np.testing.assert_array_equal(g, expected[k])


def test_a_label_out_of_range_is_found_before_any_update():
    X, y = np.random.default_rng(0).normal(size=(64, 4)), np.arange(64) % 3
    y[-1] = 3  # in the last mini-batch
    net = mlp([4, 3], seed=0)
    before = [p.copy() for _, p in net.parameters()]
    raises(ValueError, r"labels must be in 0\.\.2 for 3 outputs, got 3 at position 63",
           lambda: fit(net, X, y, loss="softmax_cross_entropy", optimizer=SGD(0.1), epochs=1,
                       batch_size=8, progress=False))
    assert all(np.array_equal(a, b) for a, (_, b) in zip(before, net.parameters()))


def test_a_second_network_is_refused_before_any_update():
    X, y = np.random.default_rng(0).normal(size=(8, 4)), np.arange(8) % 3
    opt = Adam(0.01)
    fit(mlp([4, 3], seed=0), X, y, loss="softmax_cross_entropy", optimizer=opt, epochs=1,
        progress=False)
    other = mlp([4, 3], seed=1)
    before = [p.copy() for _, p in other.parameters()]
    raises(ValueError, r"this Adam already updates another network .*optimizer\.reset\(\)",
           lambda: fit(other, X, y, loss="softmax_cross_entropy", optimizer=opt, epochs=1,
                       progress=False))
    assert all(np.array_equal(a, b) for a, (_, b) in zip(before, other.parameters()))
    opt.reset()  # an explicit fresh start is allowed
    fit(other, X, y, loss="softmax_cross_entropy", optimizer=opt, epochs=1, progress=False)
    assert opt.t == 1


def test_accuracy_of_a_column_of_labels_compares_the_labels():
    y_true = np.array([[2], [0], [1], [2]])
    assert nn.accuracy(np.array([2, 0, 1, 1]), y_true) == 0.75
    assert nn.accuracy(y_true, y_true) == 1.0
    # a column of probabilities is still thresholded at 0.5
    assert nn.accuracy(np.array([[0.9], [0.2]]), np.array([[1], [0]])) == 1.0


def test_whole_number_float_labels_train_and_record_accuracy():
    X, y = nn.two_moons(60, seed=0)
    h = fit(mlp([2, 8, 2], "relu", seed=0), X, y.astype(float), loss="softmax_cross_entropy",
            optimizer=SGD(0.5), epochs=3, progress=False, validation_data=(X, y.astype(float)))
    assert len(h.train_acc) == len(h.val_acc) == 3
    h_int = fit(mlp([2, 8, 2], "relu", seed=0), X, y, loss="softmax_cross_entropy",
                optimizer=SGD(0.5), epochs=3, progress=False, validation_data=(X, y))
    assert h.train_loss == h_int.train_loss and h.val_acc == h_int.val_acc


def test_a_loss_that_grows_without_bound_is_divergence():
    # Gradient descent on a linear regression with far too large a step: the loss grows by a
    # constant factor per step and stays finite for a long time (it would pass 1e137).
    X = np.random.default_rng(0).normal(size=(32, 3)) * 3
    y = X @ np.array([[1.0], [2.0], [-1.0]])
    message = raises(TrainingDiverged, r"training diverged in epoch \d+(, batch 1)?: the loss "
                                       r"became .*try a smaller learning rate \(currently lr=1\)",
                     lambda: fit(mlp([3, 1], seed=0), X, y, loss="mse", optimizer=SGD(1.0),
                                 epochs=1000, batch_size=32, progress=False))
    import re

    value = float(re.search(r"the loss became ([0-9.e+-]+[0-9])", message).group(1))
    assert 1e10 < value < 1e30  # stopped long before 1e137 (or inf)
    assert DIVERGENCE_FACTOR == 1e10


def test_clipped_cross_entropy_gradient_is_the_derivative_of_the_clipped_loss():
    # at a probability below the clip (1e-12) the clipped loss is flat: its derivative is 0
    from nnlib.gradcheck import numerical_gradient

    for loss, y in [(nn.CategoricalCrossEntropy(), np.array([[1.0, 0.0]])),
                    (nn.BinaryCrossEntropy(), np.array([[1.0, 0.0]])),
                    (nn.SparseCategoricalCrossEntropy(), np.array([0]))]:
        y_hat = np.array([[1e-15, 1 - 1e-15]])
        numeric = numerical_gradient(lambda: loss(y_hat, y), y_hat, eps=1e-16)
        np.testing.assert_allclose(loss.gradient(y_hat, y), numeric, atol=1e-6)
        # inside the clip the formula is the ordinary derivative
        y_hat = np.array([[0.3, 0.7]])
        numeric = numerical_gradient(lambda: loss(y_hat, y), y_hat)
        np.testing.assert_allclose(loss.gradient(y_hat, y), numeric, rtol=1e-6)


def test_value_backward_on_a_long_chain():
    x = Value(1.0)
    y = x
    for _ in range(3000):
        y = y * 1.0001 + 0.0  # 6,000 operations deep
    y.backward()
    assert x.grad == pytest.approx(1.0001 ** 3000, rel=1e-9)


def test_single_example_forward_and_backward_through_the_network():
    net = net423()
    x = X4[1]
    out = net(x)
    dx = net.backward(np.ones(3))
    assert out.shape == (3,) and dx.shape == (4,)
    grads = [g.copy() for _, g in net.gradients()]
    net(X4[1:2])
    dX = net.backward(np.ones((1, 3)))
    np.testing.assert_array_equal(dx, dX[0])
    assert all(np.array_equal(a, b) for a, (_, b) in zip(grads, net.gradients()))


def test_training_and_evaluation_modes():
    net = net423()
    assert all(l.training for l in net.layers)
    assert net.eval() is net and not any(l.training for l in net.layers)
    net.train()
    assert all(l.training for l in net.layers)
    X, y = np.random.default_rng(0).normal(size=(8, 4)), np.random.default_rng(1).random((8, 3))
    fit(net, X, y, loss="mse", optimizer=SGD(0.1), epochs=1, progress=False)
    assert not any(l.training for l in net.layers)  # fit leaves the network evaluating
    assert net.input_grad  # switched off only while training
