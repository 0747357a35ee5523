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
    h = nn.History(train_loss=[3, 2, 1], test_loss=[3, 1.5, 2], best_epoch=2)
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
    net = nn.Sequential([nn.Dense(4, 2, rng=0), nn.ReLU(), nn.Dense(2, 3, rng=1)])
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


def test_figure_image_is_sharp_and_described_by_its_own_words():
    fig, (a, b) = plt.subplots(1, 2, figsize=(6, 2))
    a.plot([0, 1], [0, 1], label="training loss")
    a.set(title="loss curve", xlabel="epoch", ylabel=r"loss $L(\eta)$")
    a.legend(fontsize=7)
    b.imshow(np.eye(3))
    b.set_title(r"weights $W_1$")
    image = plotting.figure_image(fig)
    from PIL import Image
    import io
    w, h = Image.open(io.BytesIO(image.data)).size
    assert (w, h) == (image.width * plotting.PIXEL_DENSITY, image.height * plotting.PIXEL_DENSITY)
    # CSS_PX_PER_INCH (100) CSS px per inch of figure, white margins cropped
    assert image.width == round(image.width_in * plotting.CSS_PX_PER_INCH) and image.width <= 600
    assert image.alt == ("2 panels: (1) plot “loss curve”: loss L(eta) against epoch; legend: "
                         "training loss; (2) image “weights W1”.")
    assert image.font_pt == 7
    # the smallest text (7 pt) reaches 9 CSS px at this width
    assert image.min_width == int(np.ceil(9 * 72 * image.width_in / 7))
    attrs = plotting.img_attributes(image.metadata())
    assert attrs["style"] == f"--nnlib-min-width: {image.min_width}px"


def test_grid_of_pictures_is_summarised():
    plotting.plot_digits(np.zeros((12, 64)), labels=list(range(12)))
    alt = plotting.describe_figure(plt.gcf())
    assert alt.startswith("A grid of 12 pictures titled 0, 1, 2")


def test_notebook_figures_carry_alt_text_and_size():
    """In a kernel, importing nnlib.plotting makes every figure a sharp PNG with metadata."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nimport nnlib.plotting"),
                nbformat.v4.new_code_cell("fig, ax = plt.subplots(figsize=(3, 2))\n"
                                          "ax.plot([1, 2]); ax.set_title('a line')")]
    NotebookClient(nb, timeout=60).execute()
    (out,) = [o for o in nb.cells[1].outputs if "image/png" in o.get("data", {})]
    meta = out["metadata"]["image/png"]
    assert meta["alt"] == "Plot “a line”."
    assert 250 < meta["width"] <= 300 and meta["nnlib"]["font_pt"] == 10


def test_side_by_side_panels_get_a_stacked_phone_version_and_the_figure_is_restored():
    fig, axes = plt.subplots(1, 4, figsize=(9, 2.4), sharey=True)
    for ax, name in zip(axes, ["sigmoid", "tanh", "relu", "gelu"]):
        plotting.plot_activation(name, ax=ax)
    before = [tuple(ax.get_position().bounds) for ax in axes]
    image = plotting.figure_image(fig, narrow=True)
    phone = image.narrow
    assert image.min_width > plotting.PHONE_COLUMN_PX  # too small as drawn, on a phone...
    assert phone is not None and phone.min_width <= plotting.PHONE_COLUMN_PX  # ...not stacked
    assert phone.height > 2 * phone.width  # four panels under one another
    assert [tuple(ax.get_position().bounds) for ax in axes] == before
    assert plotting.figure_image(fig).data == image.data
    meta = image.metadata()["nnlib"]["narrow"]
    assert meta["alt"] == image.alt and meta["png"]
    # a single panel needs no phone version
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1])
    assert plotting.figure_image(fig, narrow=True).narrow is None
