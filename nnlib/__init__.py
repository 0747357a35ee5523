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
                          softmax, softmax_jacobian, softmax_vjp, step, step_derivative, tanh,
                          tanh_derivative)
from .attention import Embedding, PositionEmbedding, SelfAttention
from .autodiff import Value
from .conv import Conv2D, Flatten, MaxPool2D
from .data import (flatten_images, load_digits, noisy_quadratic, one_hot, spirals,
                   train_test_split, two_moons, xor)
from .exercises import ExerciseFailed, expect_close, expect_equal, expect_shape
from .gradcheck import (GradientCheck, gradient_check, numerical_derivative, numerical_gradient,
                        relative_error)
from .layers import Dense, Layer, init_weights
from .losses import (LOSSES, MAE, MSE, BinaryCrossEntropy, CategoricalCrossEntropy, Loss,
                     SoftmaxCrossEntropy, SparseCategoricalCrossEntropy, binary_cross_entropy,
                     cross_entropy, get_loss, mse)
from .metrics import accuracy, confusion_matrix
from .mnist import DatasetUnavailable, load_mnist
from .network import Sequential, layer_from_config, mlp
from .optimizers import (OPTIMIZERS, SGD, Adagrad, Adam, AdamW, Momentum, Optimizer,
                         PathDiverged, descend, get_optimizer)
from .preprocessing import Standardizer
from .regularization import Dropout
from .training import History, TrainingDiverged, evaluate, fit, train_epoch

#: the version of nnlib (the only place it is written; pyproject.toml reads it from here)
__version__ = "0.2.0"

__all__ = [
    # boxes and networks
    "Layer", "Dense", "init_weights", "Activation", "Identity", "Sign", "Step", "Sigmoid", "Tanh",
    "ReLU", "LeakyReLU", "GELU", "Softmax", "ACTIVATIONS", "get_activation", "Sequential", "mlp",
    "layer_from_config", "Conv2D", "MaxPool2D", "Flatten", "Embedding", "PositionEmbedding",
    "SelfAttention", "Dropout",
    # activation functions and their derivatives
    "identity", "identity_derivative", "sign", "sign_derivative", "step", "step_derivative",
    "sigmoid", "sigmoid_derivative", "tanh", "tanh_derivative", "relu", "relu_derivative",
    "leaky_relu", "leaky_relu_derivative", "gelu", "gelu_derivative", "softmax",
    "softmax_jacobian", "softmax_vjp",
    # losses
    "Loss", "MSE", "MAE", "BinaryCrossEntropy", "CategoricalCrossEntropy",
    "SparseCategoricalCrossEntropy", "SoftmaxCrossEntropy", "LOSSES", "get_loss", "mse",
    "binary_cross_entropy", "cross_entropy",
    # optimizers and training
    "Optimizer", "SGD", "Momentum", "Adagrad", "Adam", "AdamW", "OPTIMIZERS", "get_optimizer",
    "descend", "PathDiverged", "fit", "train_epoch", "evaluate", "History", "TrainingDiverged",
    # derivatives by finite differences
    "numerical_derivative", "numerical_gradient", "gradient_check", "GradientCheck",
    "relative_error",
    # data and metrics
    "one_hot", "train_test_split", "load_digits", "load_mnist", "DatasetUnavailable", "xor",
    "two_moons", "spirals", "noisy_quadratic", "flatten_images", "Standardizer", "accuracy",
    "confusion_matrix",
    # autodiff and exercises
    "Value", "ExerciseFailed", "expect_close", "expect_equal", "expect_shape",
]


def __getattr__(name):
    # Lazy submodules: matplotlib and ipywidgets load only when a plot or widget is needed.
    if name in ("plotting", "widgets"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'nnlib' has no attribute {name!r}")
