"""The parts of the box contract that chapter 10's boxes add to: the registry behind
layer_from_config, the checked boundary (one image or sequence → a batch of one, ``checks_ndim``
for a box that explains the shape it expects), the number of dimensions of a network's batches
(``input_ndim``), and ``input_grad`` of the first box."""
import numpy as np
import pytest

import nnlib
from nnlib import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential
from nnlib.layers import Layer
from nnlib.network import layer_from_config


class Rows3(Layer):
    """A test box: Z = 2 X on batches (N, 3); its check_input judges the dimensions itself."""

    checks_ndim = True

    def __repr__(self):
        return "Rows3()"

    def check_input(self, X):
        if X.ndim != 2 or X.shape[1] != 3:
            raise ValueError(f"Rows3() expects inputs of shape (N, 3), got {X.shape}")

    def forward(self, X):
        self.seen = X
        return 2 * X

    def backward(self, dZ):
        return 2 * dZ if self.input_grad else None


NEW_BOXES = [Conv2D(1, 2, 3, stride=2, padding=1, dtype=np.float32), MaxPool2D(3), Flatten(),
             nnlib.Embedding(7, 4), nnlib.PositionEmbedding(5, 4, dtype=np.float32),
             nnlib.SelfAttention(4, 2, causal=True)]


@pytest.mark.parametrize("box", NEW_BOXES, ids=repr)
def test_every_new_box_is_registered_and_rebuilt_from_its_config(box):
    assert Layer.registry[type(box).__name__] is type(box)
    again = layer_from_config(box.config())
    assert type(again) is type(box) and again.config() == box.config()
    assert repr(again) == repr(box)


def test_a_broken_config_gives_a_clear_error():
    with pytest.raises(ValueError, match=r"the saved description of a Conv2D box does not fit "
                                         r"its constructor"):
        layer_from_config({"type": "Conv2D", "in_channels": 1})


def test_call_converts_promotes_and_lets_check_input_judge_the_dimensions():
    box = Rows3()
    np.testing.assert_array_equal(box([1, 2, 3]), [2.0, 4.0, 6.0])  # a list, one example
    assert box.seen.shape == (1, 3) and box.seen.dtype == np.float64
    with pytest.raises(ValueError, match=r"Rows3\(\) expects inputs of shape \(N, 3\), got "
                                         r"\(1, 2, 3\)"):
        box(np.ones((1, 2, 3)))  # not refused with the generic message: check_input explains
    with pytest.raises(ValueError, match=r"contains NaN"):
        box([[1.0, np.nan, 3.0]])


def test_a_box_that_does_not_judge_dimensions_gets_the_generic_message():
    with pytest.raises(ValueError, match=r"the input of Dense\(3→2\) must be a 1-D or 2-D array"):
        Dense(3, 2)(np.ones((1, 1, 3)))


def test_a_network_checks_the_dimensions_of_every_box_input():
    net = Sequential([Conv2D(1, 2, 3, seed=0), ReLU(), Dense(6, 2, seed=0)])  # no Flatten
    with pytest.raises(ValueError, match=r"the input of Dense\(6→2\) must be a batch of 2 "
                                         r"dimensions, got shape \(1, 2, 6, 6\)"):
        net(np.ones((1, 1, 8, 8)))


def test_a_network_takes_batches_of_its_first_box():
    assert Sequential([Dense(3, 2)]).input_ndim == 2
    assert Sequential([Conv2D(1, 1, 3), Flatten()]).input_ndim == 4
    assert Sequential([nnlib.Embedding(5, 2), Flatten()]).input_ndim == 2
    assert Sequential([Flatten(), Dense(4, 2)]).input_ndim is None
    net = Sequential([Flatten(), Dense(4, 2, seed=0)])  # a dense network on 2×2 images
    X = np.random.default_rng(0).normal(size=(6, 2, 2))
    history = nnlib.fit(net, X, np.arange(6) % 2, loss="softmax_cross_entropy",
                        optimizer=nnlib.SGD(0.1), epochs=2, progress=False)
    assert history.epochs == 2


def test_the_first_box_of_fit_computes_no_input_gradient():
    box = Rows3()
    net = Sequential([box])
    calls = []
    box.backward = lambda dZ: calls.append(box.input_grad) or (2 * dZ if box.input_grad else None)
    nnlib.fit(net, np.ones((4, 3)), np.zeros((4, 3)), loss="mse", optimizer=nnlib.SGD(0.1),
              epochs=1, progress=False)
    assert calls == [False] and box.input_grad  # switched off for training, then back on


def test_boxes_start_in_training_mode():
    assert all(box.training for box in NEW_BOXES)
