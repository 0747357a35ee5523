"""Plots used throughout the book: activations, loss curves, digits, network diagrams and 2-D
decision boundaries. Every function draws on ``ax`` if given (else a new figure) and returns the
axes, so chapters can combine plots in subplots.

This module is also the one place that decides how every figure of the book is shown (static
figures and the frames of ``nnlib.widgets`` explorers alike): ``figure_image`` turns a figure into
a PNG at ``PIXEL_DENSITY`` image pixels per CSS pixel (sharp on high-density screens), its display
size, the smallest width at which its text stays readable on a phone, and an alt text made from
its own titles, axis labels and legends. Importing the module inside Jupyter makes every figure a
notebook shows go through it (``use_book_figures``).
"""
from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass

import numpy as np

from ._checks import as_array, describe
from .activations import Activation, get_activation
from .layers import Dense

#: the book's colours: positive weights / class 0, negative weights / class 1, and more classes
POSITIVE, NEGATIVE = "#1f77b4", "#d62728"
CLASS_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                "#7f7f7f", "#bcbd22", "#17becf")

#: A figure ``w`` inches wide is shown ``w * CSS_PX_PER_INCH`` CSS pixels wide (pages shrink it
#: to the text column when it is wider), whatever ``figure.dpi`` a chapter sets.
CSS_PX_PER_INCH = 100
#: Image pixels per CSS pixel: 2 keeps lines and text sharp on "retina" screens.
PIXEL_DENSITY = 2
#: Text on a figure is never shown smaller than this (CSS pixels): on a narrow screen a figure
#: that would have to shrink further scrolls sideways inside its own box instead.
MIN_TEXT_PX = 9
#: The text column of a 390 px wide phone (CSS pixels). A figure of panels side by side that
#: would not fit it readably also gets a phone version with the panels stacked (``narrow_image``).
PHONE_COLUMN_PX = 358


@dataclass
class FigureImage:
    """A figure as the book shows it: image bytes (``format`` "png" or "webp"), display size in
    CSS pixels, alt text, and what the page needs to keep its text readable (``min_width``: CSS
    width at which the smallest text, ``font_pt`` points on a figure ``width_in`` inches wide,
    is ``MIN_TEXT_PX``)."""

    data: bytes
    width: int
    height: int
    alt: str
    font_pt: float
    width_in: float
    format: str = "png"

    @property
    def mime(self) -> str:
        return f"image/{self.format}"

    @property
    def min_width(self) -> int:
        return math.ceil(MIN_TEXT_PX * 72 * self.width_in / self.font_pt)

    #: the same figure re-laid out for a phone, if it needs one (see ``narrow_image``)
    narrow: "FigureImage | None" = None

    def metadata(self) -> dict:
        """Jupyter output metadata: the display size (JupyterLab and myst-nb use it), the alt
        text and the readability numbers (book/_ext/figures.py puts them on the page), and the
        phone version as base64 PNG if there is one."""
        extra = {"font_pt": round(self.font_pt, 2), "width_in": round(self.width_in, 3),
                 "min_width": self.min_width}
        if self.narrow is not None:
            import base64

            extra["narrow"] = {**self.narrow.metadata(),
                               "png": base64.b64encode(self.narrow.data).decode("ascii")}
        return {"width": self.width, "height": self.height, "alt": self.alt, "nnlib": extra}


def img_attributes(metadata: dict) -> dict:
    """HTML attributes of an ``<img>`` showing a figure, from ``FigureImage.metadata()``: its
    display size, and what the book's stylesheet (book/_static/nnlib.css) and browser tests use to
    keep its text readable on a narrow screen: ``--nnlib-min-width``, ``data-font-pt`` and
    ``data-width-in``."""
    attrs = {k: metadata[k] for k in ("width", "height") if k in metadata}
    extra = metadata.get("nnlib") or {}
    if extra:
        attrs["data-font-pt"] = f"{extra['font_pt']:g}"
        attrs["data-width-in"] = f"{extra['width_in']:g}"
        attrs["style"] = f"--nnlib-min-width: {extra['min_width']}px"
    return attrs


def figure_image(fig, colors: int = 256, tight: bool = True, format: str = "png",
                 narrow: bool = False) -> FigureImage:
    """Render ``fig`` for the book: an image at ``CSS_PX_PER_INCH * PIXEL_DENSITY`` dpi, reduced
    to a ``colors``-colour palette (plots use few colours, so files stay small), no metadata.
    ``tight`` crops the white margin (static figures); explorer frames keep the figure's own
    size so that the picture does not jump as the reader moves a slider. ``format`` is "png"
    (static figures: every notebook front end shows it) or "webp" (lossless, about 40% smaller:
    explorer frames, of which a page holds hundreds). ``narrow`` adds the phone version of a
    figure of panels side by side (``narrow_image``)."""
    if format not in ("png", "webp"):
        raise ValueError(f"format must be 'png' or 'webp', got {format!r}")
    from PIL import Image

    dpi = CSS_PX_PER_INCH * PIXEL_DENSITY
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white", metadata={"Software": None},
                **({"bbox_inches": "tight", "pad_inches": 0.04} if tight else {}))
    img = Image.open(buf)
    img = img.convert("RGB").quantize(colors=colors, method=Image.Quantize.FASTOCTREE,
                                      dither=Image.Dither.NONE)
    out = io.BytesIO()
    if format == "png":
        img.save(out, format="PNG", compress_level=9)
    else:  # method 2 is as small as slower methods for palette images, and fast (~25 ms)
        img.save(out, format="WEBP", lossless=True, method=2, quality=25)
    w, h = img.size
    image = FigureImage(data=out.getvalue(), width=round(w / PIXEL_DENSITY),
                        height=round(h / PIXEL_DENSITY), alt=describe_figure(fig),
                        font_pt=smallest_text_pt(fig), width_in=w / dpi, format=format)
    if narrow:
        image.narrow = narrow_image(fig, image)
    return image


def narrow_image(fig, wide: FigureImage) -> FigureImage | None:
    """The phone version of a figure whose panels sit side by side in one grid and whose text
    would be too small at ``PHONE_COLUMN_PX``: the same panels in fewer columns (as many as fit
    readably, at least one), each panel keeping its size. The figure is restored afterwards.
    None when the figure needs no phone version or is not a plain grid of panels."""
    import warnings

    from matplotlib.gridspec import GridSpec

    if wide.min_width <= PHONE_COLUMN_PX:
        return None
    panels = [ax for ax in fig.axes if ax.get_visible()]
    specs = [ax.get_subplotspec() for ax in panels]
    if len(panels) < 2 or any(s is None for s in specs):
        return None
    grid = specs[0].get_gridspec()
    if any(s.get_gridspec() is not grid or s.num1 != s.num2 for s in specs):
        return None  # colorbars, insets, panels spanning cells: leave the figure as it is
    nrows, ncols = grid.get_geometry()
    if ncols < 2:
        return None
    size = fig.get_size_inches().copy()
    pw, ph = size[0] / ncols, size[1] / nrows
    fits = [c for c in range(1, ncols)
            if MIN_TEXT_PX * 72 * pw * c / wide.font_pt <= PHONE_COLUMN_PX]
    cols = max(fits, default=1)
    order = sorted(range(len(panels)), key=lambda i: specs[i].num1)
    rows = -(-len(panels) // cols)
    saved = [(ax, ax.get_position(original=True), ax.xaxis.get_tick_params(),
              ax.yaxis.get_tick_params()) for ax in panels]
    pars = {k: getattr(fig.subplotpars, k) for k in ("left", "right", "bottom", "top",
                                                      "wspace", "hspace")}
    new = GridSpec(rows, cols, figure=fig)
    try:
        for k, i in enumerate(order):
            panels[i].set_subplotspec(new[k // cols, k % cols])
            panels[i].tick_params(labelleft=True, labelbottom=True)  # shared axes hid some
        fig.set_size_inches(pw * cols, ph * rows)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fig.tight_layout()
        return figure_image(fig, narrow=False)
    except Exception:  # an unusual figure: the page lets the wide version scroll instead
        return None
    finally:
        fig.set_size_inches(size)
        fig.subplots_adjust(**pars)
        for (ax, pos, xt, yt), spec in zip(saved, specs):
            ax.set_subplotspec(spec)
            ax.set_position(pos)
            ax.xaxis.set_tick_params(**xt)
            ax.yaxis.set_tick_params(**yt)


def smallest_text_pt(fig) -> float:
    """The size in points of the smallest visible text on the figure (10 if it has none)."""
    from matplotlib.text import Text

    sizes = [t.get_fontsize() for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip() and _drawn(t)]
    return float(min(sizes, default=10.0))


def _drawn(text) -> bool:
    # tick labels of ticks outside the axis limits exist but are not drawn
    axis = getattr(text, "axes", None)
    if axis is None or text not in (axis.get_xticklabels() + axis.get_yticklabels()):
        return True
    x, y = text.get_position()
    (x0, x1), (y0, y1) = sorted(axis.get_xlim()), sorted(axis.get_ylim())
    on_x = text in axis.get_xticklabels()
    v, lo, hi = (x, x0, x1) if on_x else (y, y0, y1)
    return lo - 1e-9 * (abs(hi - lo) + 1) <= v <= hi + 1e-9 * (abs(hi - lo) + 1)


def _plain(text: str) -> str:
    """Mathtext as a screen reader should say it: "$\\eta$" -> "eta", "$w_1$" -> "w1"."""
    def math(m):
        t = re.sub(r"\\(?:mathrm|mathbf|mathit|text|operatorname)\{([^}]*)\}", r"\1", m.group(1))
        t = re.sub(r"\\([A-Za-z]+)", r"\1", t)
        return re.sub(r"[{}_\\]", "", t)

    return " ".join(re.sub(r"\$([^$]*)\$", math, text).split())


def _join(items, limit: int = 6) -> str:
    items = [i for i in dict.fromkeys(items) if i]
    if len(items) > limit:
        items = items[:limit] + [f"and {len(items) - limit} more"]
    return ", ".join(items)


def describe_axes(ax) -> str:
    """One panel in words: 'plot “title”: y against x; legend: a, b' (or 'image …', '3-D plot …')."""
    title = _plain(" ".join(t for t in (ax.get_title("left"), ax.get_title(),
                                         ax.get_title("right")) if t))
    kind = "3-D plot" if getattr(ax, "name", "") == "3d" else "image" if ax.images else "plot"
    words = f"{kind} “{title}”" if title else kind
    x, y = _plain(ax.get_xlabel()), _plain(ax.get_ylabel())
    if ax.axison and (x or y):
        words += f": {y or 'values'} against {x or 'position'}"
    elif not ax.images and ax.texts:
        words += f": {_join((_plain(t.get_text()) for t in ax.texts), limit=8)}"
    legend = ax.get_legend()
    labels = _join(_plain(t.get_text()) for t in legend.get_texts()) if legend else ""
    return words + (f"; legend: {labels}" if labels else "")


def describe_figure(fig) -> str:
    """Alt text for a figure, from its own words: the overall title, then each panel's title,
    axes and legend. A grid of pictures with short titles (digits, weights) is summarised."""
    sup = getattr(fig, "_suptitle", None)
    head = f"{_plain(sup.get_text())}. " if sup is not None and sup.get_text() else ""
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"
              and (ax.axison or ax.has_data() or ax.get_title() or ax.texts)]
    if not panels:
        texts = _join((_plain(t.get_text()) for t in fig.texts if t is not sup), limit=8)
        return (head + (f"Drawing: {texts}." if texts else "Drawing.")).strip()
    if len(panels) == 1:
        return f"{head}{_capital(describe_axes(panels[0]))}."
    if len(panels) > 4 and not any(ax.axison for ax in panels):
        titles = _join((_plain(ax.get_title()) for ax in panels), limit=12)
        return f"{head}A grid of {len(panels)} pictures" + (f" titled {titles}." if titles else ".")
    listed = "; ".join(f"({i}) {describe_axes(ax)}" for i, ax in enumerate(panels, 1))
    return f"{head}{len(panels)} panels: {listed}."


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def use_book_figures() -> bool:
    """Inside IPython/Jupyter, show every matplotlib figure through ``figure_image``: a sharp PNG
    whose output metadata carries the display size and the alt text. Returns whether it did."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return False
    import sys

    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    backend = str(matplotlib.rcParams["backend"])
    if "matplotlib_inline" in backend and "matplotlib_inline.backend_inline" not in sys.modules:
        # matplotlib loads its backend only when the first figure is made, and the inline
        # backend then installs its own formatters over ours: load it now (no figure exists
        # yet, so switching closes nothing).
        plt.switch_backend(backend)

    def png_with_metadata(fig):
        if not fig.axes and not fig.texts:
            return None
        image = figure_image(fig, narrow=True)
        return image.data, image.metadata()

    formatters = shell.display_formatter.formatters
    formatters["image/png"].for_type(Figure, png_with_metadata)
    for mime in ("image/svg+xml", "image/jpeg", "application/pdf"):  # one picture per figure
        formatters[mime].pop(Figure, None)
    return True


def _plt():
    import matplotlib.pyplot as plt

    return plt


def _axes(ax, figsize=(5, 3.2)):
    if ax is not None:
        return ax
    _, ax = _plt().subplots(figsize=figsize)
    return ax


def plot_activation(activation, z=None, ax=None, derivative: bool = True):
    r"""Plot :math:`\sigma(z)` (solid) and, with ``derivative``, :math:`\sigma'(z)` (dashed)."""
    act = get_activation(activation)
    if act.name == "softmax":
        raise ValueError("softmax acts on whole vectors and has no curve σ(z); plot one of "
                         "identity, sign, step, sigmoid, tanh, relu, leaky_relu, gelu")
    z = np.linspace(-5, 5, 501) if z is None else as_array(z, "z", ndim=1)
    ax = _axes(ax)
    ax.plot(z, act.fn(z), lw=2, label=f"{act.name}(z)")
    if derivative:
        ax.plot(z, act.derivative(z), "--", lw=1.5, label=f"{act.name}'(z)")
    ax.axhline(0, color="0.6", lw=0.8)
    ax.axvline(0, color="0.6", lw=0.8)
    ax.set_xlabel("z")
    ax.set_title(act.name)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return ax


def plot_history(history, ax=None, metric: str = "loss"):
    """Training and validation curves over epochs from a ``History``: ``metric`` is ``"loss"``
    or ``"acc"``. Marks the epoch with the lowest validation loss."""
    if metric not in ("loss", "acc"):
        raise ValueError(f"metric must be 'loss' or 'acc', got {metric!r}")
    train, val = getattr(history, f"train_{metric}"), getattr(history, f"val_{metric}")
    if not train:
        raise ValueError(f"the history has no {metric} values to plot")
    ax = _axes(ax)
    epochs = np.arange(1, len(train) + 1)
    ax.plot(epochs, train, label=f"training {metric}")
    if val:
        ax.plot(epochs[:len(val)], val, label=f"validation {metric}")
        if metric == "loss" and history.best_epoch:
            ax.axvline(history.best_epoch, color="0.5", ls=":", lw=1,
                       label=f"lowest validation loss (epoch {history.best_epoch})")
    ax.set_xlabel("epoch")
    ax.set_ylabel({"loss": "loss", "acc": "accuracy"}[metric])
    ax.legend(fontsize=8, frameon=False)
    return ax


def plot_digits(images, labels=None, predictions=None, ncols: int = 10, size: float = 0.9):
    """A grid of square grayscale images (rows of 64 or 784 pixels, or ``(N, h, w)``), titled
    with the label, or with "prediction (true)" in red where a prediction is wrong."""
    images = as_array(images, "images", ndim=(2, 3))
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        if side * side != images.shape[1]:
            raise ValueError(f"rows of {images.shape[1]} pixels are not square images")
        images = images.reshape(-1, side, side)
    n = images.shape[0]
    if n == 0:
        raise ValueError("no images to plot")
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = _plt().subplots(nrows, ncols, figsize=(size * ncols, size * nrows * 1.15),
                                squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap="gray_r", interpolation="nearest")
        if predictions is not None:
            ok = labels is None or predictions[i] == labels[i]
            title = f"{predictions[i]}" if ok else f"{predictions[i]} ({labels[i]})"
            ax.set_title(title, fontsize=9, color="black" if ok else NEGATIVE)
        elif labels is not None:
            ax.set_title(f"{labels[i]}", fontsize=9)
    fig.tight_layout(pad=0.2)
    return axes


def _layer_weights(net_or_sizes):
    if hasattr(net_or_sizes, "layers"):
        dense = [l for l in net_or_sizes.layers if isinstance(l, Dense)]
        if not dense:
            raise ValueError("the network has no Dense layers to draw")
        return [dense[0].n_in] + [d.n_out for d in dense], [d.W for d in dense]
    try:
        if isinstance(net_or_sizes, (str, bytes)):
            raise TypeError
        sizes = [int(s) for s in net_or_sizes]
    except (TypeError, ValueError):
        raise TypeError("draw_network expects a Sequential network or a list of layer sizes, "
                        f"got {describe(net_or_sizes)}") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"need at least two positive layer sizes, got {sizes}")
    return sizes, None


def draw_network(net_or_sizes, ax=None, max_neurons: int = 12, labels=None):
    """Neurons as circles, weights as lines: blue for positive, red for negative, thicker for
    larger magnitude. Layers with more than ``max_neurons`` neurons are shown shortened, with
    "⋮" in the middle. Accepts a ``Sequential`` network or a list of sizes such as ``[4, 2, 3]``."""
    sizes, weights = _layer_weights(net_or_sizes)
    ax = _axes(ax, figsize=(1.6 * len(sizes) + 1, 3.4))
    shown = []  # per layer: indices of neurons drawn, and their y positions
    for n in sizes:
        if n <= max_neurons:
            idx = np.arange(n)
            ys = np.linspace(1, 0, n) if n > 1 else np.array([0.5])
        else:  # first and last neurons, with an empty slot in the middle for the "⋮"
            half = max_neurons // 2
            idx = np.r_[np.arange(half), np.arange(n - half, n)]
            slots = np.linspace(1, 0, 2 * half + 1)
            ys = np.r_[slots[:half], slots[half + 1:]]
        shown.append((idx, ys))
    wmax = max((np.abs(W).max() for W in weights), default=1.0) if weights else 1.0
    for layer, (a, b) in enumerate(zip(shown, shown[1:])):
        W = weights[layer] if weights else None
        for j, yj in zip(*b):
            for k, yk in zip(*a):
                if W is None:
                    color, lw = "0.7", 0.6
                else:
                    w = W[j, k]
                    color = POSITIVE if w >= 0 else NEGATIVE
                    lw = 0.2 + 2.8 * abs(w) / (wmax or 1.0)
                ax.plot([layer, layer + 1], [yk, yj], color=color, lw=lw, alpha=0.7, zorder=1)
    for layer, ((idx, ys), n) in enumerate(zip(shown, sizes)):
        ax.scatter(np.full(len(ys), layer), ys, s=220, facecolor="white", edgecolor="black",
                   zorder=2)
        if n > len(idx):
            ax.text(layer, 0.5, "⋮", ha="center", va="center", fontsize=14, zorder=3,
                    bbox=dict(facecolor="white", edgecolor="none", pad=0))
        name = labels[layer] if labels else ("input" if layer == 0 else
                                             "output" if layer == len(sizes) - 1 else
                                             f"hidden {layer}")
        ax.text(layer, -0.14, f"{name}\n{n} neurons" if layer else f"{name}\n{n} numbers",
                ha="center", va="top", fontsize=8)
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    ax.set_ylim(-0.35, 1.1)
    ax.axis("off")
    return ax


def plot_decision_boundary(predict, X, y, ax=None, resolution: int = 200, margin: float = 0.3):
    """Colour the plane by the class that ``predict`` (a network, or a function of an ``(M, 2)``
    array returning labels) gives each point, and scatter the data ``X (N, 2)`` by label ``y``."""
    X = as_array(X, "X", ndim=2)
    if X.shape[1] != 2:
        raise ValueError(f"decision boundaries need 2-D inputs, got {X.shape[1]} features")
    y = np.asarray(y)
    f = predict.predict if hasattr(predict, "predict") else predict
    if not callable(f):
        raise TypeError(f"predict must be a network or a function, got {describe(predict)}")
    (x0, y0), (x1, y1) = X.min(axis=0) - margin, X.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    Z = np.asarray(f(grid)).reshape(gx.shape)
    from matplotlib.colors import ListedColormap

    k = int(max(Z.max(), y.max())) + 1
    cmap = ListedColormap(CLASS_COLORS[:k])
    ax = _axes(ax, figsize=(4, 4))
    ax.contourf(gx, gy, Z, levels=np.arange(k + 1) - 0.5, cmap=cmap, alpha=0.25)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=-0.5, vmax=k - 0.5, s=14,
               edgecolor="white", linewidth=0.4)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    return ax


def _graph_layers(order: list) -> tuple[dict, list]:
    """Columns for a layered drawing of a graph (``order``: parents before children).

    A value sits one column right of its latest parent; an input sits just left of its first
    consumer, so that its arrow is short. Returns ``column`` (id → index) and the edges as
    ``(parent, child, multiplicity)`` (``x * x`` has the edge x → x·x twice)."""
    column = {}
    for v in order:
        column[id(v)] = 1 + max((column[id(p)] for p in v.parents), default=-1)
    edges: dict[tuple, list] = {}
    for v in order:
        for p in v.parents:
            edges.setdefault((id(p), id(v)), [p, v, 0])[2] += 1
    for v in order:
        if not v.parents:
            after = [column[c] for (p, c) in edges if p == id(v)]
            if after:
                column[id(v)] = min(after) - 1
    shift = min(column.values())
    return {k: c - shift for k, c in column.items()}, [tuple(e) for e in edges.values()]


def _order_rows(layers: list[list], succ: dict, pred: dict, sweeps: int = 6) -> list[list]:
    """Order the nodes of each column to keep edge crossings few (barycentre heuristic: a node
    moves to the mean row of its neighbours in the column before, then after, and so on)."""

    def crossings(ls):
        n = 0
        for left, right in zip(ls, ls[1:]):
            rank = {k: i for i, k in enumerate(right)}
            es = [(i, rank[c]) for i, k in enumerate(left) for c in succ[k] if c in rank]
            n += sum((a0 - a1) * (b0 - b1) < 0 for (a0, b0) in es for (a1, b1) in es)
        return n

    best, best_n = [list(l) for l in layers], crossings(layers)
    cur = [list(l) for l in layers]
    for s in range(sweeps):
        forward = s % 2 == 0
        idx = range(1, len(cur)) if forward else range(len(cur) - 2, -1, -1)
        for i in idx:
            ref = {k: r for r, k in enumerate(cur[i - 1] if forward else cur[i + 1])}
            nbrs = pred if forward else succ

            now = {k: r for r, k in enumerate(cur[i])}

            def key(k, ref=ref, nbrs=nbrs, now=now):
                rs = [ref[n] for n in nbrs[k] if n in ref]
                return sum(rs) / len(rs) if rs else now[k]
            cur[i].sort(key=key)
        n = crossings(cur)
        if n < best_n:
            best, best_n = [list(l) for l in cur], n
    return best


def draw_graph(output, ax=None, show_grad: bool = True):
    """Draw the computational graph behind an ``autodiff.Value``: one box per value, with its
    label, the operation that made it, its value and (after ``backward``) its gradient; arrows
    run from inputs to results, left to right, the output rightmost. Inputs (shaded) stand just
    left of the operation that first uses them.

    The drawing is layered: every arrow runs from the right side of its box through the gaps
    between columns (an arrow that skips columns passes through a free row of each), into the
    left side of its target, so no arrow passes under a box that is not one of its ends. Sizes
    are measured in inches from the rendered text; if the axes are too small for the boxes, the
    figure grows."""
    from .autodiff import Value

    if not isinstance(output, Value):
        raise TypeError(f"draw_graph expects an nnlib Value, got {describe(output)}")
    order = output.graph()
    value_of = {id(v): v for v in order}
    column, edges = _graph_layers(order)

    # long edges pass through one dummy slot per column they cross
    n_cols = max(column.values()) + 1
    layers: list[list] = [[] for _ in range(n_cols)]
    for v in order:
        layers[column[id(v)]].append(id(v))
    succ: dict = {k: [] for k in column}
    pred: dict = {k: [] for k in column}
    routes = []  # (parent, child, multiplicity, [keys of the slots it passes, ends included])
    for p, c, mult in edges:
        keys = [id(p)]
        for col in range(column[id(p)] + 1, column[id(c)]):
            d = ("via", id(p), id(c), col)
            layers[col].append(d)
            succ[d], pred[d] = [], []
            keys.append(d)
        keys.append(id(c))
        for a, b in zip(keys, keys[1:]):
            succ[a].append(b)
            pred[b].append(a)
        routes.append((p, c, mult, keys))
    layers = _order_rows(layers, succ, pred)

    ax = _axes(ax, figsize=(2.2 * n_cols + 0.5, 1.1 * max(map(len, layers)) + 1))
    fig = ax.figure
    ax.axis("off")
    texts = {}
    for v in order:
        head = v.label or (v.op if v.op else "")
        if v.label and v.op:
            head = f"{v.label} = {v.op}"
        text = f"{head}\n{v.data:.4g}" + (f"\ngrad {v.grad:.4g}" if show_grad else "")
        texts[id(v)] = ax.text(0, 0, text, ha="center", va="center", fontsize=8,
                               family="monospace", zorder=3,
                               bbox=dict(boxstyle="round,pad=0.35",
                                         facecolor="#eef4fb" if not v.parents else "white",
                                         edgecolor=POSITIVE if v is output else "0.4"))

    # box sizes in inches (independent of the data limits)
    renderer = fig.canvas.get_renderer()
    size = {}
    for k, t in texts.items():
        t.update_bbox_position_size(renderer)
        ext = t.get_bbox_patch().get_window_extent(renderer)
        size[k] = (ext.width / fig.dpi, ext.height / fig.dpi)
    col_w = [max((size[k][0] for k in layer if k in size), default=0.0) for layer in layers]
    row_h = max(h for _, h in size.values()) + 0.18
    margin, min_gap = 0.08, 0.45
    need_w = sum(col_w) + min_gap * (n_cols - 1) + 2 * margin
    need_h = row_h * max(map(len, layers)) + 2 * margin
    box = ax.get_position()
    W, H = box.width * fig.get_figwidth(), box.height * fig.get_figheight()
    if need_w > W or need_h > H:  # too small for the boxes: grow the figure, not overlap them
        fig.set_size_inches(fig.get_figwidth() * max(1, need_w / W),
                            fig.get_figheight() * max(1, need_h / H))
        W, H = max(W, need_w), max(H, need_h)
    # axes in inches: x = column centres spread over the width, y = rows around the middle
    gap = min((W - 2 * margin - sum(col_w)) / max(n_cols - 1, 1), 1.4)
    left = (W - sum(col_w) - gap * (n_cols - 1)) / 2
    cx = []
    for w in col_w:
        cx.append(left + w / 2)
        left += w + gap
    spacing = min(H / max(map(len, layers)), 1.5 * row_h)
    pos = {}
    for i, layer in enumerate(layers):
        for r, k in enumerate(layer):
            pos[k] = (cx[i], H / 2 + ((len(layer) - 1) / 2 - r) * spacing)
    ax.set_xlim(0, W)
    ax.set_ylim(0, H)
    for k, t in texts.items():
        t.set_position(pos[k])

    pad = 0.07  # free space between a column's widest box and the arrows' turning points
    for p, c, mult, keys in routes:
        for m in range(mult):
            dy = (m - (mult - 1) / 2) * 0.1  # x * x: two arrows side by side
            (x0, y0), (x1, y1) = pos[keys[0]], pos[keys[-1]]
            c0, c1 = column[keys[0]], column[keys[-1]]
            pts = [(x0 + size[keys[0]][0] / 2, y0 + dy), (cx[c0] + col_w[c0] / 2 + pad, y0 + dy)]
            for col, k in zip(range(c0 + 1, c1), keys[1:-1]):
                pts += [(cx[col] - col_w[col] / 2 - pad, pos[k][1] + dy),
                        (cx[col] + col_w[col] / 2 + pad, pos[k][1] + dy)]
            end = (x1 - size[keys[-1]][0] / 2, y1 + dy)
            pts += [(cx[c1] - col_w[c1] / 2 - pad, y1 + dy), end]
            xs, ys = zip(*pts)
            ax.plot(xs, ys, color="0.5", lw=1, zorder=1, solid_capstyle="butt")
            ax.annotate("", xy=end, xytext=(end[0] - 0.05, end[1]), zorder=2,
                        arrowprops=dict(arrowstyle="-|>", color="0.5", lw=1,
                                        shrinkA=0, shrinkB=0, mutation_scale=8))
    return ax


def plot_confusion_matrix(C, ax=None, class_names=None):
    """Draw a confusion matrix ``C[i, j]`` (true class ``i`` predicted as ``j``) with the counts
    written in the cells; the diagonal holds the correct predictions."""
    C = np.asarray(C)
    if C.ndim != 2 or C.shape[0] != C.shape[1]:
        raise ValueError(f"a confusion matrix is square, got shape {C.shape}")
    k = C.shape[0]
    names = list(class_names) if class_names is not None else [str(i) for i in range(k)]
    if len(names) != k:
        raise ValueError(f"{k} classes but {len(names)} class names")
    ax = _axes(ax, figsize=(0.42 * k + 1.2, 0.42 * k + 1))
    ax.imshow(C, cmap="Blues")
    threshold = C.max() / 2 if C.size else 0
    for i in range(k):
        for j in range(k):
            if C[i, j]:
                ax.text(j, i, f"{C[i, j]}", ha="center", va="center", fontsize=7,
                        color="white" if C[i, j] > threshold else "black")
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    return ax


def plot_weight_images(W, ncols: int = 8, size: float = 0.9):
    """Each row of a first-layer weight matrix ``W (n_hidden, n_pixels)`` drawn as an image of
    the input's shape: what pattern of pixels excites (blue) or inhibits (red) that neuron."""
    W = as_array(W, "W", ndim=2)
    side = int(round(np.sqrt(W.shape[1])))
    if side * side != W.shape[1]:
        raise ValueError(f"rows of {W.shape[1]} weights are not square images")
    n = W.shape[0]
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = _plt().subplots(nrows, ncols, figsize=(size * ncols, size * nrows),
                                squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            lim = np.abs(W[i]).max() or 1.0
            ax.imshow(W[i].reshape(side, side), cmap="RdBu", vmin=-lim, vmax=lim,
                      interpolation="nearest")
            ax.set_title(f"{i}", fontsize=7)
    fig.tight_layout(pad=0.2)
    return axes


use_book_figures()
