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
  an empty corner cell of a table is a data cell, not an empty column header; the search
  button is named by what it shows, the sidebar is a navigation landmark, bibliography entries
  are list items (axe-core finds nothing).
"""
import re
import unicodedata
from pathlib import Path

from docutils import nodes

EMPTY_HEADER = re.compile(r'<th class="head">\s*(?:<p>\s*</p>)?\s*</th>')
#: fixes to the theme's own markup (not in the page body), applied to the written files
TEMPLATE_FIXES = [
    # FontAwesome's script: the stylesheet already draws the icons from the web font
    (re.compile(r'[ \t]*<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*">'
                r'</script>\n?'), ""),
    # the search button is named by what it shows ("Search Ctrl+K"), not just "Search"
    (re.compile(r'(<button class="btn search-button-field[^"]*"[^>]*?) aria-label="Search"'), r"\1"),
    # the sidebar (book title, search, table of contents) is a landmark like the rest
    (re.compile(r'<div id="pst-primary-sidebar" class="bd-sidebar-primary bd-sidebar">'),
     '<div id="pst-primary-sidebar" class="bd-sidebar-primary bd-sidebar" role="navigation" '
     'aria-label="Book">'),
]
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def clean_page(app, pagename, templatename, context, doctree):
    context["default_mode"] = "auto"  # follows prefers-color-scheme until the reader picks one
    context["script_files"] = [js for js in context.get("script_files", [])
                               if js.attributes.get("type") != WIDGET_STATE]
    if "body" in context:
        body = context["body"].replace('<summary aria-label="Toggle hidden content">', "<summary>")
        # docutils marks bibliography entries with the deprecated role doc-biblioentry inside
        # a role="list": plain list items are what screen readers expect
        body = body.replace('role="doc-biblioentry"', 'role="listitem"')
        # a numbered display equation is math first, like every other formula (myst's amsmath
        # puts its own class in front, and tools that look for class="math…" then take the TeX
        # inside for text that Markdown broke)
        body = body.replace('<div class="amsmath math notranslate nohighlight">',
                            '<div class="math notranslate nohighlight amsmath">')
        context["body"] = EMPTY_HEADER.sub('<td class="head"></td>', body)
    if app.config.html_theme_options.get("launch_buttons", {}).get("thebe"):
        return
    context["script_files"] = [
        js for js in context.get("script_files", [])
        if "sphinx-thebe" not in str(js) and "THEBE_JS_URL" not in js.attributes.get("body", "")
    ]
    context["css_files"] = [css for css in context.get("css_files", [])
                            if "sphinx-thebe" not in str(css)]


GREEK = {name: unicodedata.lookup(f"GREEK SMALL LETTER {name.upper().replace('LAMBDA', 'LAMDA')}")
         for name in ("alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "lambda", "mu",
                      "sigma", "tau", "phi", "psi", "omega")}
SIMPLE_TEX = re.compile(r"^(?:[A-Za-z0-9()+\-=,' ]|\\(?:%s)(?![A-Za-z]))+$" % "|".join(GREEK))


def header_math_as_text(app, doctree):
    """A column header that is only a simple formula such as $\\sigma'(z)$ is written as text
    (*σ′(z)*): MathJax draws glyphs with CSS, so a header cell holding only a formula has no
    text a browser or checker can see, and reads as an empty header."""
    for head in doctree.findall(nodes.thead):
        for entry in head.findall(nodes.entry):
            kids = [k for k in entry.findall(nodes.Element) if not isinstance(k, nodes.entry)]
            math = [k for k in kids if isinstance(k, nodes.math)]
            if len(math) != 1 or entry.astext().strip() != math[0].astext().strip():
                continue
            tex = math[0].astext().strip()
            if not SIMPLE_TEX.match(tex):
                continue
            text = re.sub(r"\\([A-Za-z]+)", lambda m: GREEK[m.group(1)], tex).replace("'", "′")
            math[0].replace_self(nodes.emphasis(text, text))


def formulas_out_of_tab_order(app):
    config = dict(app.config.mathjax3_config or {})
    options = dict(config.get("options", {}))
    menu = dict(options.get("menuOptions", {}))
    menu["settings"] = {**menu.get("settings", {}), "inTabOrder": False}
    options["menuOptions"] = menu
    config["options"] = options
    app.config.mathjax3_config = config


def fix_theme_markup(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        fixed = text
        for pattern, replacement in TEMPLATE_FIXES:
            fixed = pattern.sub(replacement, fixed)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")


def setup(app):
    app.connect("builder-inited", formulas_out_of_tab_order, priority=900)
    app.connect("doctree-read", header_math_as_text)
    app.connect("html-page-context", clean_page)
    app.connect("build-finished", fix_theme_markup)
    app.add_js_file("nnlib.js", defer="defer")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
