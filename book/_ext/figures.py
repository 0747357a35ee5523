"""Figures in the HTML book: alt text, display size and phone-readability from the notebook.

``nnlib.plotting`` renders every figure (a sharp PNG at 2 image pixels per CSS pixel) and stores
in the output's metadata its display size, an alt text made from the figure's own titles, axes
and legends, and the numbers the page needs to keep its text readable on a phone. myst-nb keeps
only the size, so this extension wraps its image renderer to carry the rest onto the page:

    <div class="nnlib-figure-box"><img class="nnlib-figure" alt="Plot “sigmoid”: …" width=…
         data-font-pt=… data-width-in=… style="--nnlib-min-width: …px"></div>

(book/_static/nnlib.css shows it at most column-wide, and lets it scroll sideways instead of
shrinking its text below 9 CSS px on a narrow screen.)
"""
import html

from docutils import nodes
from myst_nb.core.render import NbElementRenderer

from nnlib.plotting import img_attributes

_render_image = NbElementRenderer.render_image


def render_image(self, data):
    result = _render_image(self, data)
    meta = data.output_metadata.get(data.mime_type) or {}
    if not meta.get("alt") or len(result) != 1 or not isinstance(result[0], nodes.image):
        return result
    image = result[0]
    image["alt"] = meta["alt"]
    image["classes"] += ["nnlib-figure"]
    attrs = img_attributes(meta)
    extra = " ".join(f'{k}="{html.escape(str(v))}"' for k, v in attrs.items()
                     if k.startswith("data-") or k == "style")
    # the image itself stays a docutils image (Sphinx copies its file); the box around it
    # carries the numbers, which the stylesheet and the browser tests read
    return [nodes.raw("", f'<div class="nnlib-figure-box" {extra}>', format="html"), image,
            nodes.raw("", "</div>", format="html")]


def setup(app):
    if not hasattr(NbElementRenderer, "render_image"):
        raise RuntimeError("myst-nb changed: NbElementRenderer.render_image is gone; update "
                           "book/_ext/figures.py")
    NbElementRenderer.render_image = render_image
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
