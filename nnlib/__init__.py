"""nnlib — the numpy library of *Neural Networks from Scratch*.

A network is a chain of boxes: linear ones (``Dense``) and nonlinear ones (``Sigmoid``,
``ReLU``, …), ending in a loss. Every box knows its forward map and how to pass a gradient
backwards. Rows of every array are examples; ``W`` has shape ``(n_out, n_in)``.

Plotting (``nnlib.plotting``) and widgets (``nnlib.widgets``) are imported on first use, so that
``import nnlib`` stays fast.
"""
from .activations import (ACTIVATIONS, GELU, Activation, Identity, LeakyReLU, ReLU, Sigmoid,
                          Sign, Softmax, Step, Tanh, gelu, gelu_derivative, get_activation,
                          identity, identity_derivative, leaky_relu, leaky_relu_derivative, relu,
                          relu_derivative, sigmoid, sigmoid_derivative, sign, sign_derivative,
                          softmax, softmax_jacobian, softmax_jvp, step, step_derivative, tanh,
                          tanh_derivative)
from .data import (flatten_images, load_digits, noisy_quadratic, one_hot, spirals,
                   train_test_split, two_moons, xor)
from .exercises import ExerciseFailed, expect_close, expect_equal, expect_shape
from .gradcheck import GradientCheck, derivative, gradient_check, numerical_gradient, relative_error
from .layers import Dense, Layer, init_weights
from .losses import (MAE, MSE, BinaryCrossEntropy, CategoricalCrossEntropy, Loss,
                     SoftmaxCrossEntropy, SparseCategoricalCrossEntropy, binary_cross_entropy,
                     cross_entropy, get_loss, mse)
from .metrics import accuracy, confusion_matrix
from .mnist import DatasetUnavailable, load_mnist
from .network import Sequential, mlp
from .autodiff import Value
from .optimizers import (SGD, Adagrad, Adam, AdamW, Momentum, Optimizer, PathDiverged,
                         descend)
from .preprocessing import Standardizer
from .regularization import Dropout
from .training import History, TrainingDiverged, evaluate, fit

__version__ = "0.1.0"


def __getattr__(name):
    # Lazy submodules: matplotlib and ipywidgets load only when a plot or widget is needed.
    if name in ("plotting", "widgets"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'nnlib' has no attribute {name!r}")
