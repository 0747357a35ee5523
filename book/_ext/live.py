"""A "Run in your browser" bar on every chapter page.

The bar links to the chapter in the book's in-browser edition (JupyterLite with Pyodide, built
into ``_build/html/lite`` by ``book/lite/build_lite.py``): the full chapter, to run and edit its
code and move its explorers live, and the student edition, to do and check the exercises. The
page itself is unchanged until the reader follows a link, so a reader who never does keeps
today's no-kernel explorers.
"""
from docutils import nodes

LITE = "lite/notebooks/index.html?path={folder}/{name}.ipynb"


def add_live_bar(app, doctree):
    docname = app.env.docname
    if not docname.startswith("chapters/"):
        return
    name = docname.split("/", 1)[1]
    up = "../" * docname.count("/")
    chapter = up + LITE.format(folder="chapters", name=name)
    exercises = up + LITE.format(folder="exercises", name=name)
    bar = nodes.raw("", (
        '<nav class="nnbook-live" aria-label="Run this chapter">'
        f'<a class="nnbook-live-run" href="{chapter}">&#9654; Run this chapter in your browser</a>'
        f'<a class="nnbook-live-ex" href="{exercises}">Do the exercises in your browser</a>'
        '<span class="nnbook-live-note">Python runs in this tab (Pyodide): nothing to install, '
        'nothing sent anywhere. The first start loads Python and numpy from this site, which '
        'takes a few seconds.</span>'
        '</nav>'), format="html")
    sections = list(doctree.findall(nodes.section))
    if sections and sections[0].children and isinstance(sections[0][0], nodes.title):
        sections[0].insert(1, bar)
    else:
        doctree.insert(0, bar)


def setup(app):
    app.connect("doctree-read", add_live_bar)
    app.add_css_file("live.css")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
