"""Keep every page light, clean and usable with a keyboard or a screen reader, offline.

* Thebe (live code cells from a remote kernel) is off in this book, but sphinx-thebe still adds
  its configuration script to every page, twice, which throws "THEBE_JS_URL has already been
  declared" and names a CDN. Its assets are removed from the pages.
* The colour mode follows the reader's system setting (``prefers-color-scheme``); figures sit on
  a light card in dark mode (book/_static/nnlib.css).
* FontAwesome's 1.5 MB script is dropped: the theme's stylesheet already draws the few icons the
  book uses from FontAwesome's web font. Saved ipywidgets state is dropped too: the book shows
  nnlib's no-kernel explorers, which need none.
* Formulas are not Tab stops (MathJax ``inTabOrder: false``); book/_static/nnlib.js keeps each
  equation reference such as "(1.3)" reachable as one link.
* Folded cells are named by their visible text ("Show solution"), not "Toggle hidden content";
  an empty corner cell of a table is a data cell, not an empty column header.
"""
import re
from pathlib import Path

FONTAWESOME_JS = re.compile(r'[ \t]*<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*">'
                            r'</script>\n?')
EMPTY_HEADER = re.compile(r'<th class="head">(\s*)</th>')
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def clean_page(app, pagename, templatename, context, doctree):
    context["default_mode"] = "auto"  # follows prefers-color-scheme until the reader picks one
    context["script_files"] = [js for js in context.get("script_files", [])
                               if js.attributes.get("type") != WIDGET_STATE]
    if "body" in context:
        body = context["body"].replace('<summary aria-label="Toggle hidden content">', "<summary>")
        context["body"] = EMPTY_HEADER.sub(r'<td class="head">\1</td>', body)
    if app.config.html_theme_options.get("launch_buttons", {}).get("thebe"):
        return
    context["script_files"] = [
        js for js in context.get("script_files", [])
        if "sphinx-thebe" not in str(js) and "THEBE_JS_URL" not in js.attributes.get("body", "")
    ]
    context["css_files"] = [css for css in context.get("css_files", [])
                            if "sphinx-thebe" not in str(css)]


def formulas_out_of_tab_order(app):
    config = dict(app.config.mathjax3_config or {})
    options = dict(config.get("options", {}))
    menu = dict(options.get("menuOptions", {}))
    menu["settings"] = {**menu.get("settings", {}), "inTabOrder": False}
    options["menuOptions"] = menu
    config["options"] = options
    app.config.mathjax3_config = config


def drop_fontawesome_script(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        lighter = FONTAWESOME_JS.sub("", text)
        if lighter != text:
            page.write_text(lighter, encoding="utf-8")


def setup(app):
    app.connect("builder-inited", formulas_out_of_tab_order, priority=900)
    app.connect("html-page-context", clean_page)
    app.connect("build-finished", drop_fontawesome_script)
    app.add_js_file("nnlib.js", defer="defer")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
