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
from .plotting import FigureImage, figure_image, img_attributes

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: pixels per inch of a figure shown in a notebook (matplotlib's default ``figure.dpi``, which
#: the inline backend keeps), and how much sharper every frame is drawn (2: HiDPI screens) —
#: the density nnlib.plotting.figure_image uses for every figure of the book
INLINE_DPI = 100
LIVE_SCALE = 2
#: shown by the no-kernel view where its script cannot run (an untrusted or not-yet-run notebook);
#: the script hides it in the book and wherever it runs
RUN_NOTE = "Run this cell to use the sliders."
#: Explorer frames are lossless WebP: a page holds hundreds of them, and WebP is ~40% smaller
#: than PNG for the same pixels (every current browser and JupyterLab show it).
FRAME_FORMAT = "webp"


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


def figure_png(fig, colors: int = 64) -> bytes:
    """A compact PNG of a matplotlib figure, made as every figure of the book is
    (``nnlib.plotting.figure_image``: ``PIXEL_DENSITY`` pixels per CSS pixel, a ``colors``-colour
    palette, no metadata) and keeping the figure's own size."""
    return figure_image(fig, colors=colors, tight=False).data


@dataclass
class Frame:
    """One precomputed picture (``nnlib.plotting.FigureImage``: lossless WebP, size, alt text)
    and what ``draw`` printed."""

    image: FigureImage
    text: str

    @property
    def data(self) -> bytes:
        return self.image.data

    @property
    def alt(self) -> str:
        return self.image.alt


@dataclass
class Explorer:
    """Controls + a drawing function; see ``explore``."""

    draw: Callable[..., Any]
    controls: dict[str, Slider | Dropdown]
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
            self._frames[key] = self._draw(key)
        return self._frames[key]

    def _draw(self, key: tuple) -> Frame:
        # One picture of the book's figure pipeline (nnlib.plotting.figure_image: LIVE_SCALE ×
        # the chapter's INLINE_DPI, with its display size and alt text) and what draw printed.
        import matplotlib.pyplot as plt

        text = io.StringIO()
        with contextlib.redirect_stdout(text), plt.ioff():
            result = self.draw(**dict(zip(self.controls, key)))
            fig = result if hasattr(result, "savefig") else (
                result.figure if hasattr(result, "figure") else plt.gcf())
            image = figure_image(fig, colors=64, tight=False, format=FRAME_FORMAT)
            plt.close(fig)
        return Frame(image, text.getvalue().rstrip("\n"))

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
        """The self-contained no-kernel view: HTML controls, the pictures and a small script.

        For screen readers and keyboards: each slider states its value (``aria-valuetext``, the
        same text as shown next to it), the picture's alt text names the current values and
        describes the frame, and the printed result is a polite live region."""
        frames = self.frames()
        images, image_index, alts, alt_index = [], {}, [], {}
        for f in frames:  # identical pictures (and descriptions) are stored once
            if f.data not in image_index:
                image_index[f.data] = len(images)
                images.append(base64.b64encode(f.data).decode("ascii"))
            alt_index.setdefault(f.alt, len(alts))
            if len(alt_index) > len(alts):
                alts.append(f.alt)
        data = {"sizes": [len(_values(c)) for c in self.controls.values()],
                "names": [c.label for c in self.controls.values()],
                "labels": [[c.fmt.format(v) for v in _values(c)] for c in self.controls.values()],
                "title": self.title or "",
                "mime": frames[0].image.mime, "images": images, "alts": alts,
                "frames": [[image_index[f.data], f.text] for f in frames],
                "alt": [alt_index[f.alt] for f in frames]}
        payload = json.dumps(data, separators=(",", ":"))
        uid = "nnlib-explorer-" + hashlib.sha1(payload.encode()).hexdigest()[:10]
        start = [_values(c).index(c.value) for c in self.controls.values()]
        first = frames[_flat_index(start, data["sizes"])]
        name = html.escape(self.title or "Interactive figure")
        parts = [f'<div class="nnlib-explorer" id="{uid}" role="group" aria-label="{name}">']
        if self.title:
            parts.append(f'<div class="nnlib-explorer-title">{html.escape(self.title)}</div>')
        parts.append('<div class="nnlib-controls">')
        for i, (cname, c) in enumerate(self.controls.items()):
            labels = data["labels"][i]
            label = html.escape(c.label)
            if isinstance(c, Slider):
                shown = html.escape(labels[start[i]])
                parts.append(
                    f'<label>{label} <input type="range" data-i="{i}" min="0" '
                    f'max="{len(labels) - 1}" step="1" value="{start[i]}" '
                    f'aria-label="{label}" aria-valuetext="{shown}"> '
                    f'<output aria-hidden="true">{shown}</output></label>')
            else:
                opts = "".join(f'<option value="{j}"{" selected" if j == start[i] else ""}>'
                               f'{html.escape(l)}</option>' for j, l in enumerate(labels))
                parts.append(f'<label>{label} <select data-i="{i}" '
                             f'aria-label="{label}">{opts}</select></label>')
        parts.append("</div>")
        parts.append(f'<p class="nnlib-run-note"><em>{html.escape(RUN_NOTE)}</em></p>')
        alt = html.escape(frame_alt(data, start, first.alt))
        attrs = img_attributes(first.image.metadata())
        box = "".join(f' {k}="{html.escape(str(v))}"' for k, v in attrs.items()
                      if k.startswith("data-") or k == "style")
        parts.append(f'<div class="nnlib-figure-box"{box}><img class="nnlib-frame nnlib-figure" '
                     f'alt="{alt}" width="{attrs["width"]}" height="{attrs["height"]}" '
                     f'src="data:{data["mime"]};base64,{images[image_index[first.data]]}"></div>')
        parts.append(f'<div class="nnlib-result" aria-live="polite"><pre class="nnlib-text"'
                     f'{"" if first.text else " hidden"}>{html.escape(first.text)}</pre></div>')
        parts.append(f'<script type="application/json" class="nnlib-data">{payload}</script>')
        parts.append("<script>" + _SWITCHER_JS + "</script></div>")
        return "".join(parts)

    # ---------------------------------------------------------------- live widget
    def live_frame(self, **values) -> Frame:
        """A frame for the live view: any slider value (also between the precomputed ones, see
        ``Slider.live_step``), drawn like every frame of the book. Not cached: the kernel draws
        it when a control moves."""
        return self._draw(tuple(values.get(n, c.value) for n, c in self.controls.items()))

    def widget(self):
        """The live ipywidgets view: controls, picture (drawn by the kernel at every move) and
        printed text."""
        import ipywidgets as W

        image = W.Image(format=FRAME_FORMAT, layout=W.Layout(max_width="100%", height="auto"))
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
            image.value = f.data
            image.layout.width = f"{f.image.width}px"  # CSS size, as in the book
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


def frame_alt(data: dict, idx: Sequence[int], description: str) -> str:
    """Alt text of a frame: the explorer's title, the current value of every control, then the
    picture described in words (``_SWITCHER_JS`` builds the same string in the browser)."""
    values = ", ".join(f"{n} = {labels[i]}" for n, labels, i in
                       zip(data["names"], data["labels"], idx))
    return f"{data['title'] or 'Interactive figure'} ({values}). {description}"


def _flat_index(idx: Sequence[int], sizes: Sequence[int]) -> int:
    flat = 0
    for i, n in zip(idx, sizes):
        flat = flat * n + i
    return flat


def explore(draw: Callable[..., Any], *, title: str | None = None, max_frames: int = 250, **controls) -> Explorer:
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
    ex = Explorer(draw, ctrls, max_frames=max_frames, title=title)
    ex.check_size()  # fail at once, not when the book is built
    return ex


# Finds its own container, reads the frames and switches the picture on every input event.
_SWITCHER_JS = """(function(){var root=document.currentScript.parentElement;
var d=JSON.parse(root.querySelector('.nnlib-data').textContent);
var img=root.querySelector('.nnlib-frame'),pre=root.querySelector('.nnlib-text');
var ctl=root.querySelectorAll('[data-i]');root.querySelector('.nnlib-run-note').hidden=true;
function show(){var k=0,vals=[];ctl.forEach(function(c){var i=+c.dataset.i,v=+c.value;
k=k*d.sizes[i]+v;var t=d.labels[i][v];vals.push(d.names[i]+' = '+t);
if(c.type==='range'){c.setAttribute('aria-valuetext',t);}
var o=c.parentElement.querySelector('output');if(o){o.textContent=t;}});
var f=d.frames[k];img.src='data:'+d.mime+';base64,'+d.images[f[0]];
img.alt=(d.title||'Interactive figure')+' ('+vals.join(', ')+'). '+d.alts[d.alt[k]];
pre.textContent=f[1];pre.hidden=!f[1];root.dataset.frame=k;}
ctl.forEach(function(c){c.addEventListener('input',show);c.addEventListener('change',show);});
})();"""
