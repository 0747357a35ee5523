"""One helper for every interactive figure in the book: ``explore``.

::

    explore(draw, w=Slider([-2, -1, 0, 1, 2], value=1), activation=Dropdown(["sigmoid", "relu"]))

``draw(**values)`` draws one matplotlib figure (and may ``print`` numbers). ``explore`` returns an
``Explorer`` that shows, from the same output:

* in Jupyter with a kernel: live ipywidgets controls (``application/vnd.jupyter.widget-view+json``);
* everywhere else — the HTML book, a notebook viewer — a ``text/html`` fallback: every
  combination of control values is drawn in advance, and a few lines of self-contained JavaScript
  switch between the pictures as the reader moves the HTML controls. No kernel, no network.

The book selects the fallback with myst-nb's ``nb_mime_priority_overrides``. Both views use the
same pictures, so what a reader sees in the book is what the live widget shows.
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import io
import itertools
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from ._checks import describe

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: pixels per inch of a figure shown in a notebook (matplotlib's default ``figure.dpi``, which
#: the inline backend keeps), and how much sharper the live view draws (2: HiDPI screens)
INLINE_DPI = 100
LIVE_SCALE = 2
#: shown by the no-kernel view where its script cannot run (an untrusted or not-yet-run notebook);
#: the script hides it in the book and wherever it runs
RUN_NOTE = "Run this cell to use the sliders."


@dataclass
class Slider:
    """A slider over a fixed list of ``values`` (numbers), starting at ``value``.

    ``live_step``: with a kernel, the live slider moves in steps of this size from the smallest
    to the largest value (finer than the precomputed frames; only for a ``draw`` that accepts
    any number in between). None: the live slider offers ``values``, as the book does.
    """

    values: Sequence[float]
    value: Any = None
    label: str | None = None
    fmt: str = "{:g}"
    live_step: float | None = None


@dataclass
class Dropdown:
    """A choice among ``options`` (strings or numbers), starting at ``value``."""

    options: Sequence[Any]
    value: Any = None
    label: str | None = None
    fmt: str = "{}"


def _control(name: str, spec) -> Slider | Dropdown:
    if isinstance(spec, (Slider, Dropdown)):
        ctrl = spec
    elif isinstance(spec, (list, tuple, np.ndarray)):
        vals = list(spec)
        numeric = all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                      for v in vals)
        ctrl = Slider(vals) if numeric else Dropdown(vals)
    else:
        raise TypeError(f"control {name!r} must be a Slider, a Dropdown or a list of values, "
                        f"got {describe(spec)}")
    values = list(ctrl.values if isinstance(ctrl, Slider) else ctrl.options)
    if not values:
        raise ValueError(f"control {name!r} has no values")
    if isinstance(ctrl, Slider):
        values = [float(v) if isinstance(v, (float, np.floating)) else v for v in values]
    if ctrl.value is None:
        ctrl.value = values[len(values) // 2] if isinstance(ctrl, Slider) else values[0]
    if ctrl.value not in values:
        raise ValueError(f"control {name!r}: start value {ctrl.value!r} is not one of {values}")
    if isinstance(ctrl, Slider):
        ctrl.values = values
    else:
        ctrl.options = values
    ctrl.label = ctrl.label or name
    return ctrl


def _values(ctrl) -> list:
    return list(ctrl.values if isinstance(ctrl, Slider) else ctrl.options)


def figure_png(fig, dpi: int = 80, colors: int = 64) -> bytes:
    """A compact PNG of a matplotlib figure: rasterised at ``dpi``, reduced to a ``colors``-colour
    palette (plots use few colours, so a frame stays at a few kB), with no metadata.

    Encoding the canvas buffer with Pillow is several times faster than ``savefig``'s PNG writer;
    the drawing itself is what costs (about 25 ms a frame).
    """
    from PIL import Image

    fig.set_dpi(dpi)
    fig.canvas.draw()
    img = Image.frombuffer("RGBA", fig.canvas.get_width_height(), fig.canvas.buffer_rgba())
    img = img.convert("RGB").quantize(colors=colors, method=Image.Quantize.FASTOCTREE,
                                      dither=Image.Dither.NONE)
    out = io.BytesIO()
    img.save(out, format="PNG", compress_level=9)
    return out.getvalue()


@dataclass
class Frame:
    """One precomputed picture: the PNG bytes and what ``draw`` printed."""

    png: bytes
    text: str
    width: int = 0  # live frames: the width to show the picture at, in CSS pixels


@dataclass
class Explorer:
    """Controls + a drawing function; see ``explore``."""

    draw: Callable[..., Any]
    controls: dict[str, Slider | Dropdown]
    dpi: int = 80
    max_frames: int = 250
    title: str | None = None
    _frames: dict[tuple, Frame] = field(default_factory=dict, repr=False)

    # ---------------------------------------------------------------- frames
    @property
    def grid(self) -> list[tuple]:
        """Every combination of control values, in row-major order (last control fastest)."""
        return list(itertools.product(*(_values(c) for c in self.controls.values())))

    def frame(self, **values) -> Frame:
        """Draw (or fetch from the cache) the frame for the given control values."""
        key = tuple(values.get(n, c.value) for n, c in self.controls.items())
        for (name, ctrl), v in zip(self.controls.items(), key):
            if v not in _values(ctrl):
                raise ValueError(f"{name}={v!r} is not one of the control's values {_values(ctrl)}")
        if key not in self._frames:
            import matplotlib.pyplot as plt

            text = io.StringIO()
            with contextlib.redirect_stdout(text), plt.ioff():
                result = self.draw(**dict(zip(self.controls, key)))
                fig = result if hasattr(result, "savefig") else (
                    result.figure if hasattr(result, "figure") else plt.gcf())
                png = figure_png(fig, self.dpi)
                plt.close(fig)
            self._frames[key] = Frame(png, text.getvalue().rstrip("\n"))
        return self._frames[key]

    def check_size(self) -> None:
        """Refuse more combinations of control values than ``max_frames``."""
        n = len(self.grid)
        if n > self.max_frames:
            sizes = " × ".join(str(len(_values(c))) for c in self.controls.values())
            raise ValueError(f"{sizes} = {n} combinations of control values is more than "
                             f"max_frames={self.max_frames}; use fewer values per control")

    def frames(self) -> list[Frame]:
        """All frames of ``grid`` (drawing those not drawn yet)."""
        self.check_size()
        return [self.frame(**dict(zip(self.controls, key))) for key in self.grid]

    # ---------------------------------------------------------------- static HTML
    def to_html(self) -> str:
        """The self-contained no-kernel view: HTML controls, the pictures and a small script."""
        frames = self.frames()
        pngs, png_index = [], {}
        for f in frames:  # identical pictures are stored once
            if f.png not in png_index:
                png_index[f.png] = len(pngs)
                pngs.append(base64.b64encode(f.png).decode("ascii"))
        data = {"sizes": [len(_values(c)) for c in self.controls.values()],
                "labels": [[c.fmt.format(v) for v in _values(c)] for c in self.controls.values()],
                "pngs": pngs,
                "frames": [[png_index[f.png], f.text] for f in frames]}
        payload = json.dumps(data, separators=(",", ":"))
        uid = "nnlib-explorer-" + hashlib.sha1(payload.encode()).hexdigest()[:10]
        start = [ _values(c).index(c.value) for c in self.controls.values()]
        first = frames[_flat_index(start, data["sizes"])]
        parts = [f'<div class="nnlib-explorer" id="{uid}">']
        if self.title:
            parts.append(f'<div class="nnlib-explorer-title">{html.escape(self.title)}</div>')
        parts.append('<div class="nnlib-controls">')
        for i, (name, c) in enumerate(self.controls.items()):
            labels = data["labels"][i]
            if isinstance(c, Slider):
                parts.append(
                    f'<label>{html.escape(c.label)} <input type="range" data-i="{i}" min="0" '
                    f'max="{len(labels) - 1}" step="1" value="{start[i]}" '
                    f'aria-label="{html.escape(c.label)}"> '
                    f'<output>{html.escape(labels[start[i]])}</output></label>')
            else:
                opts = "".join(f'<option value="{j}"{" selected" if j == start[i] else ""}>'
                               f'{html.escape(l)}</option>' for j, l in enumerate(labels))
                parts.append(f'<label>{html.escape(c.label)} <select data-i="{i}" '
                             f'aria-label="{html.escape(c.label)}">{opts}</select></label>')
        parts.append("</div>")
        parts.append(f'<p class="nnlib-run-note"><em>{html.escape(RUN_NOTE)}</em></p>')
        alt = html.escape(self.title or "interactive figure")
        parts.append(f'<img class="nnlib-frame" alt="{alt}" '
                     f'src="data:image/png;base64,{pngs[png_index[first.png]]}">')
        parts.append(f'<pre class="nnlib-text"{"" if first.text else " hidden"}>'
                     f'{html.escape(first.text)}</pre>')
        parts.append(f'<script type="application/json" class="nnlib-data">{payload}</script>')
        parts.append("<script>" + _SWITCHER_JS + "</script></div>")
        return "".join(parts)

    # ---------------------------------------------------------------- live widget
    def live_frame(self, **values) -> Frame:
        """A frame for the live view: any slider value, drawn at ``LIVE_SCALE`` × the size a
        figure has in the chapter (matplotlib's inline ``figure.dpi``), for a sharp picture
        shown at that size. Not cached: the kernel draws it when a control moves."""
        import matplotlib.pyplot as plt

        text = io.StringIO()
        with contextlib.redirect_stdout(text), plt.ioff():
            result = self.draw(**{n: values.get(n, c.value) for n, c in self.controls.items()})
            fig = result if hasattr(result, "savefig") else (
                result.figure if hasattr(result, "figure") else plt.gcf())
            width = fig.get_figwidth() * INLINE_DPI
            fig.set_dpi(INLINE_DPI * LIVE_SCALE)
            fig.canvas.draw()
            out = io.BytesIO()
            from PIL import Image

            Image.frombuffer("RGBA", fig.canvas.get_width_height(), fig.canvas.buffer_rgba()
                             ).convert("RGB").save(out, format="PNG", compress_level=1)
            plt.close(fig)
        return Frame(out.getvalue(), text.getvalue().rstrip("\n"), round(width))

    def widget(self):
        """The live ipywidgets view: controls, picture (drawn by the kernel at every move) and
        printed text."""
        import ipywidgets as W

        image = W.Image(format="png", layout=W.Layout(max_width="100%", height="auto"))
        text = W.HTML()
        boxes = {}
        style = {"description_width": "initial"}
        for name, c in self.controls.items():
            if isinstance(c, Slider) and c.live_step:
                boxes[name] = W.FloatSlider(value=c.value, min=min(c.values), max=max(c.values),
                                            step=c.live_step, description=c.label, style=style,
                                            continuous_update=True, readout_format=".3g")
            elif isinstance(c, Slider):
                boxes[name] = W.SelectionSlider(options=[(c.fmt.format(v), v) for v in c.values],
                                                value=c.value, description=c.label, style=style,
                                                continuous_update=True)
            else:
                boxes[name] = W.Dropdown(options=[(c.fmt.format(v), v) for v in c.options],
                                         value=c.value, description=c.label, style=style)

        def update(_=None):
            f = self.live_frame(**{n: b.value for n, b in boxes.items()})
            image.layout.width = f"{f.width}px"
            image.value = f.png
            text.value = f"<pre>{html.escape(f.text)}</pre>" if f.text else ""

        for b in boxes.values():
            b.observe(update, names="value")
        update()
        children = ([W.HTML(f"<b>{html.escape(self.title)}</b>")] if self.title else []) + \
            [W.HBox(list(boxes.values()), layout=W.Layout(flex_flow="row wrap")), image, text]
        return W.VBox(children)

    def _repr_mimebundle_(self, include=None, exclude=None):
        if os.environ.get("NNLIB_NO_FRAMES"):  # set by the autograder: nobody looks, save time
            return {"text/plain": repr(self) + " (not drawn: NNLIB_NO_FRAMES is set)"}
        bundle = {"text/plain": repr(self)}
        if sys.platform != "emscripten":
            # The pictures drawn in advance are for readers without Python. In the browser
            # edition (Pyodide) Python is right there, and the live view draws on demand.
            bundle["text/html"] = self.to_html()
        try:
            view = self.widget()._repr_mimebundle_()
        except Exception:  # no ipywidgets / no kernel: the static view is all we can offer
            view = None
        if view and WIDGET_VIEW in view:
            bundle[WIDGET_VIEW] = view[WIDGET_VIEW]
        return bundle

    def __repr__(self) -> str:
        ctrls = ", ".join(f"{n}: {len(_values(c))} values" for n, c in self.controls.items())
        return f"Explorer({self.title or self.draw.__name__}; {ctrls}; {len(self.grid)} frames)"


def _flat_index(idx: Sequence[int], sizes: Sequence[int]) -> int:
    flat = 0
    for i, n in zip(idx, sizes):
        flat = flat * n + i
    return flat


def explore(draw: Callable[..., Any], *, title: str | None = None, dpi: int = 80,
            max_frames: int = 250, **controls) -> Explorer:
    """An interactive figure: ``draw(**values)`` redrawn for every combination of ``controls``.

    Each keyword is a control: a ``Slider``/``Dropdown``, or a plain list (numbers → slider,
    anything else → dropdown). ``draw`` makes one matplotlib figure (return it, or leave it as the
    current figure) and may print text, which is shown under the picture. The number of
    combinations must not exceed ``max_frames``: each is drawn in advance for the HTML book.
    """
    if not callable(draw):
        raise TypeError(f"draw must be a function, got {describe(draw)}")
    if not controls:
        raise ValueError("explore needs at least one control, e.g. w=[-1, 0, 1]")
    ctrls = {name: _control(name, spec) for name, spec in controls.items()}
    ex = Explorer(draw, ctrls, dpi=dpi, max_frames=max_frames, title=title)
    ex.check_size()  # fail at once, not when the book is built
    return ex


# Finds its own container, reads the frames and switches the picture on every input event.
_SWITCHER_JS = """(function(){var root=document.currentScript.parentElement;
var d=JSON.parse(root.querySelector('.nnlib-data').textContent);
var img=root.querySelector('.nnlib-frame'),pre=root.querySelector('.nnlib-text');
var ctl=root.querySelectorAll('[data-i]');root.querySelector('.nnlib-run-note').hidden=true;
function show(){var k=0;ctl.forEach(function(c){var i=+c.dataset.i,v=+c.value;k=k*d.sizes[i]+v;
var o=c.parentElement.querySelector('output');if(o){o.textContent=d.labels[i][v];}});
var f=d.frames[k];img.src='data:image/png;base64,'+d.pngs[f[0]];
pre.textContent=f[1];pre.hidden=!f[1];root.dataset.frame=k;}
ctl.forEach(function(c){c.addEventListener('input',show);c.addEventListener('change',show);});
})();"""
