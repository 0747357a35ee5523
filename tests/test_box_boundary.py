"""The hooks of the box contract that chapter 10's boxes rely on: the registry behind
layer_from_config, the checked boundary Layer.__call__ (conversion, one example → a batch,
check_input, then forward), and input_grad for the first box of fit."""
import numpy as np
import pytest

import nnlib
from nnlib.layers import LAYERS, Layer
from nnlib.network import layer_from_config


class Double(Layer):
    """A test box: Z = 2 X on rows of 3 numbers; counts its backward calls."""

    example_ndim = 1
    dtype = np.dtype(np.float64)

    def check_input(self, X):
        if X.ndim != 2 or X.shape[1] != 3:
            raise ValueError(f"Double expects (N, 3), got {X.shape}")

    def forward(self, X):
        self.seen = X
        return 2 * X

    def backward(self, dZ):
        return 2 * dZ if self.input_grad else None

    def config(self):
        return {"type": "Double"}


def test_every_subclass_is_registered_and_rebuilt_from_its_config():
    assert LAYERS["Double"] is Double
    for cls in (nnlib.Conv2D, nnlib.MaxPool2D, nnlib.Flatten, nnlib.Embedding,
                nnlib.PositionEmbedding, nnlib.SelfAttention):
        assert LAYERS[cls.__name__] is cls
    box = layer_from_config(nnlib.SelfAttention(4, 2, causal=True).config())
    assert isinstance(box, nnlib.SelfAttention) and box.causal and box.d_head == 2
    assert isinstance(layer_from_config({"type": "Double"}), Double)


def test_a_broken_config_gives_a_clear_error():
    with pytest.raises(ValueError, match=r"a saved Conv2D box has a description its class cannot "
                                         r"rebuild"):
        layer_from_config({"type": "Conv2D", "in_channels": 1})


def test_call_converts_promotes_and_checks():
    box = Double()
    np.testing.assert_array_equal(box([1, 2, 3]), [2.0, 4.0, 6.0])  # a list, one example
    assert box.seen.shape == (1, 3) and box.seen.dtype == np.float64
    with pytest.raises(ValueError, match=r"Double expects \(N, 3\), got \(2, 2\)"):
        box(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"contains NaN"):
        box([[1.0, np.nan, 3.0]])


def test_boxes_without_check_input_keep_their_own_forward():
    dense = nnlib.Dense(3, 2)
    with pytest.raises(ValueError, match=r"Dense\(3→2\) expects inputs with 3 features"):
        dense(np.ones((1, 4)))


def test_training_loop_tells_the_first_box_that_no_input_gradient_is_needed():
    box = Double()
    box(np.ones((2, 3)))
    assert box._backward(np.ones((2, 3)), input_grad=False) is None
    assert box.input_grad  # restored afterwards
    np.testing.assert_array_equal(box.backward(np.ones((2, 3))), 2 * np.ones((2, 3)))


def test_boxes_start_in_training_mode():
    assert Double().training and nnlib.Conv2D(1, 1, 1).training
