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


# --- draw_graph: no arrow passes under a box that is not one of its ends ---------------------

def _named(v, label):
    v.label = label
    return v


def _chapter4_graphs():
    """The graphs chapter 4 draws: f = (x·x)·y, the two-path example of 4.2, and the last layer
    of the one-neuron-per-layer network with its loss."""
    V = nn.Value
    x, y = V(2.0, "x"), V(3.0, "y")
    square = _named(_named(x * x, "x·x") * y, "f")
    t, u = V(1.0, "t"), V(2.0, "u")
    xx, yy, zz = _named(t * u, "x"), _named(u ** 2, "y"), _named(t + u, "z")
    paths = _named(_named(xx * yy, "xy") + _named(zz ** 2, "z²"), "f")
    w_L, a_prev, b_L = V(2.0, "w(L)"), V(0.6, "a(L-1)"), V(-0.5, "b(L)")
    z_L = _named(_named(w_L * a_prev, "w·a") + b_L, "z(L)")
    a_L = _named(z_L.sigmoid(), "a(L)")
    loss = _named(_named(a_L + V(-1.0, "-y"), "a-y") ** 2, "C")
    return {"x·x": (square, (5.5, 2.2)), "paths": (paths, (6.5, 2.9)),
            "one neuron": (loss, (9, 3.2))}


def _segment_hits_box(p, q, box, eps=1.0):
    """Does the segment p→q pass through the rectangle (x0, y0, x1, y1) shrunk by eps pixels?
    (Liang–Barsky clipping.)"""
    x0, y0, x1, y1 = box[0] + eps, box[1] + eps, box[2] - eps, box[3] - eps
    t0, t1 = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for d, lo, hi, s in ((dx, x0, x1, p[0]), (dy, y0, y1, p[1])):
        if d == 0:
            if not lo < s < hi:
                return False
            continue
        a, b = (lo - s) / d, (hi - s) / d
        t0, t1 = max(t0, min(a, b)), min(t1, max(a, b))
    return t0 < t1


def _boxes_and_edges(ax):
    """The boxes (display-pixel rectangles of the text frames) and the drawn arrows as polylines
    in pixels: every Line2D and every annotation arrow (from its tail to its head)."""
    fig = ax.figure
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    boxes = []
    for t in ax.texts:
        if t.get_bbox_patch() is not None:
            e = t.get_bbox_patch().get_window_extent(r)
            boxes.append((t.get_text().splitlines()[0], (e.x0, e.y0, e.x1, e.y1)))
    edges = [ax.transData.transform(line.get_xydata()) for line in ax.lines]
    for a in ax.texts:
        if isinstance(a, plt.matplotlib.text.Annotation) and a.arrow_patch is not None:
            edges.append(ax.transData.transform([a.xyann, a.xy]))
    return boxes, edges


def _inside(point, box, tol=3.0):
    return box[0] - tol <= point[0] <= box[2] + tol and box[1] - tol <= point[1] <= box[3] + tol


def edges_through_boxes(ax):
    """(box name, edge) for every arrow that passes through a box that is not one of its ends."""
    boxes, edges = _boxes_and_edges(ax)
    bad = []
    for line in edges:
        ends = {name for name, b in boxes if _inside(line[0], b) or _inside(line[-1], b)}
        for name, b in boxes:
            if name not in ends and any(_segment_hits_box(p, q, b)
                                        for p, q in zip(line[:-1], line[1:])):
                bad.append((name, np.round(line).tolist()))
    return bad


def test_segment_box_intersection():
    box = (0, 0, 10, 10)
    assert _segment_hits_box((-5, 5), (15, 5), box)          # straight through
    assert _segment_hits_box((-5, -5), (15, 15), box)        # diagonal
    assert not _segment_hits_box((-5, 12), (15, 12), box)    # passes above
    assert not _segment_hits_box((-5, 5), (-1, 5), box)     # stops short
    assert not _segment_hits_box((-5, 5), (5, 20), box)      # misses the corner


@pytest.mark.parametrize("name", ["x·x", "paths", "one neuron"])
def test_graph_arrows_never_pass_under_another_box(name):
    out, figsize = _chapter4_graphs()[name]
    out.backward()
    fig, ax = plt.subplots(figsize=figsize)
    plotting.draw_graph(out, ax=ax)
    boxes, edges = _boxes_and_edges(ax)
    assert len(boxes) == len(out.graph())
    n_edges = sum(len(v.parents) for v in out.graph())
    assert len(edges) >= n_edges  # every edge drawn (a line and an arrow head each)
    assert edges_through_boxes(ax) == []
    # no two boxes overlap
    for i, (_, a) in enumerate(boxes):
        for _, b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
    plt.close(fig)


def test_crossing_detector_flags_an_arrow_under_a_box():
    fig, ax = plt.subplots(figsize=(5, 2))
    ax.set_xlim(0, 3)
    ax.set_ylim(-1, 1)
    for x, label in enumerate("abc"):
        ax.text(x + 0.5, 0, label, bbox=dict(boxstyle="round"), ha="center", va="center")
    ax.annotate("", xy=(2.4, 0), xytext=(0.6, 0), arrowprops=dict(arrowstyle="->"))
    assert [name for name, _ in edges_through_boxes(ax)] == ["b"]
    plt.close(fig)


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
