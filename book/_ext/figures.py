"""Figures in the HTML book: alt text, display size and phone-readability from the notebook.

``nnlib.plotting`` renders every figure (a sharp PNG at 2 image pixels per CSS pixel) and stores
in the output's metadata its display size, an alt text made from the figure's own titles, axes
and legends, and the numbers the page needs to keep its text readable on a phone. myst-nb keeps
only the size, so this extension wraps its image renderer to carry the rest onto the page:

    <div class="nnlib-figure-box"><img class="nnlib-figure" alt="Plot “sigmoid”: …" width=…
         data-font-pt=… data-width-in=… style="--nnlib-min-width: …px"></div>

(book/_static/nnlib.css shows it at most column-wide, and lets it scroll sideways instead of
shrinking its text below 9 CSS px on a narrow screen.) A figure of panels side by side comes with
a phone version, its panels stacked; the page shows one or the other by screen width.
"""
import dataclasses as dc
import html

from docutils import nodes
from myst_nb.core.render import NbElementRenderer

from nnlib.plotting import img_attributes

_render_image = NbElementRenderer.render_image


def _figure(image, meta, box_class):
    image["alt"] = meta["alt"]
    image["classes"] += ["nnlib-figure"]
    attrs = img_attributes(meta)
    extra = " ".join(f'{k}="{html.escape(str(v))}"' for k, v in attrs.items()
                     if k.startswith("data-") or k == "style")
    # the image itself stays a docutils image (Sphinx copies its file); the box around it
    # carries the numbers, which the stylesheet and the browser tests read
    return [nodes.raw("", f'<div class="nnlib-figure-box {box_class}" {extra}>', format="html"),
            image, nodes.raw("", "</div>", format="html")]


def render_image(self, data):
    result = _render_image(self, data)
    meta = data.output_metadata.get(data.mime_type) or {}
    if not meta.get("alt") or len(result) != 1 or not isinstance(result[0], nodes.image):
        return result
    narrow = (meta.get("nnlib") or {}).get("narrow")
    if not narrow:
        return _figure(result[0], meta, "")
    # a figure of panels side by side also has a phone version with the panels stacked; the
    # stylesheet shows one of the two (the hidden one is lazy, so it is not even downloaded)
    phone = _render_image(self, dc.replace(
        data, content=narrow["png"],
        output_metadata={data.mime_type: {k: narrow[k] for k in ("width", "height")}}))[0]
    phone["loading"] = "lazy"
    result[0]["loading"] = "lazy"
    return _figure(result[0], meta, "nnlib-wide") + _figure(phone, narrow, "nnlib-narrow")


def setup(app):
    if not hasattr(NbElementRenderer, "render_image"):
        raise RuntimeError("myst-nb changed: NbElementRenderer.render_image is gone; update "
                           "book/_ext/figures.py")
    NbElementRenderer.render_image = render_image
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
