"""nnlib.plotting: every plot draws what it promises and rejects input it cannot draw."""
import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pytest

import nnlib as nn
from nnlib import plotting


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "gelu", "step", "leaky_relu"])
def test_activation_plot_draws_function_and_derivative(name):
    ax = plotting.plot_activation(name)
    lines = [l for l in ax.get_lines() if len(l.get_xdata()) > 2]
    assert len(lines) == 2
    z = lines[0].get_xdata()
    act = nn.get_activation(name)
    np.testing.assert_allclose(lines[0].get_ydata(), act.fn(z))
    np.testing.assert_allclose(lines[1].get_ydata(), act.derivative(z))


def test_softmax_has_no_curve():
    with pytest.raises(ValueError, match="softmax acts on whole vectors"):
        plotting.plot_activation("softmax")


def test_history_plot_marks_best_epoch():
    h = nn.History(train_loss=[3, 2, 1], val_loss=[3, 1.5, 2], best_epoch=2)
    ax = plotting.plot_history(h)
    xs = [tuple(l.get_xdata()) for l in ax.get_lines()]
    assert (1, 2, 3) in xs and (2, 2) in xs  # two curves and a vertical line at epoch 2
    with pytest.raises(ValueError, match="no acc values"):
        plotting.plot_history(h, metric="acc")


def test_digit_grid_marks_wrong_predictions_in_red():
    X, y = nn.load_digits()
    pred = y[:4].copy()
    pred[1] = (pred[1] + 1) % 10
    axes = plotting.plot_digits(X[:4], y[:4], pred, ncols=2)
    assert axes.shape == (2, 2)
    colors = [mcolors.to_hex(a.title.get_color()) for a in axes.flat]
    assert colors[1] == plotting.NEGATIVE and colors[0] == "#000000"
    assert axes.flat[1].get_title() == f"{pred[1]} ({y[1]})"


def test_digits_must_be_square():
    with pytest.raises(ValueError, match="not square"):
        plotting.plot_digits(np.zeros((2, 10)))


def test_network_diagram_draws_one_line_per_weight_coloured_by_sign():
    net = nn.Sequential([nn.Dense(4, 2, seed=0), nn.ReLU(), nn.Dense(2, 3, seed=1)])
    ax = plotting.draw_network(net)
    lines = ax.get_lines()
    assert len(lines) == 4 * 2 + 2 * 3
    weights = np.concatenate([net.layers[0].W.T.ravel(), net.layers[2].W.T.ravel()])
    colors = [mcolors.to_hex(l.get_color()) for l in lines]
    expected = [plotting.POSITIVE if w >= 0 else plotting.NEGATIVE for w in weights]
    assert sorted(colors) == sorted(expected)
    widths = sorted(l.get_linewidth() for l in lines)
    assert widths[-1] == pytest.approx(3.0)  # the largest |w| gets the thickest line


def test_big_layers_are_shortened():
    ax = plotting.draw_network([784, 16, 10], max_neurons=8)
    assert len(ax.get_lines()) == 8 * 8 + 8 * 8
    assert any(t.get_text() == "⋮" for t in ax.texts)


@pytest.mark.parametrize("bad, error", [("abc", TypeError), ([3], ValueError), (5, TypeError)])
def test_network_diagram_rejects_bad_input(bad, error):
    with pytest.raises(error):
        plotting.draw_network(bad)


def test_decision_boundary_colours_the_plane_by_prediction():
    X = np.array([[0.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1])
    ax = plotting.plot_decision_boundary(lambda P: (P[:, 0] > 0.5).astype(int), X, y,
                                         resolution=20)
    assert len(ax.collections) >= 2  # filled regions and the points
    with pytest.raises(ValueError, match="2-D inputs, got 3 features"):
        plotting.plot_decision_boundary(lambda P: P[:, 0], np.zeros((2, 3)), y)


def test_confusion_matrix_plot_writes_the_counts():
    C = np.array([[5, 1], [0, 4]])
    ax = plotting.plot_confusion_matrix(C, class_names=["cat", "dog"])
    assert sorted(t.get_text() for t in ax.texts) == ["1", "4", "5"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog"]
    with pytest.raises(ValueError, match="square"):
        plotting.plot_confusion_matrix(np.zeros((2, 3)))


def test_weight_images_draw_one_image_per_neuron():
    W = np.arange(3 * 64, dtype=float).reshape(3, 64) - 90
    axes = plotting.plot_weight_images(W, ncols=2)
    images = [ax.images[0] for ax in axes.flat if ax.images]
    assert len(images) == 3
    np.testing.assert_array_equal(images[1].get_array(), W[1].reshape(8, 8))
    with pytest.raises(ValueError, match="not square images"):
        plotting.plot_weight_images(np.zeros((2, 10)))
