"""Exercises in the HTML book (nbgrader cells in the chapter notebooks).

* Solution cells are folded behind a "Show solution" toggle.
* Hidden tests (between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``) are removed
  from the page; the visible tests stay.
* nbgrader's marker comments (``### BEGIN SOLUTION`` …) and nbval's (``# NBVAL_IGNORE_OUTPUT``)
  are dropped as noise, from every code cell.
* The stored output of a check cell comes from the reference solution, not from the reader's
  answer: a caption above it says so.
* Web readers can do the exercises: each chapter's student edition (``homework.student``: no
  solutions, no hidden tests, no outputs) is written next to the page and offered in the
  download menu beside the full notebook, and a note under the "Exercises" heading links it and
  says how to check an answer.

The notebook itself is untouched: in Jupyter the instructor still sees everything.
"""
import re
from pathlib import Path

from docutils import nodes

HIDDEN_TESTS = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[ \t]*\n?",
                          re.S | re.M)
SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)
REFERENCE_NOTE = ("Stored output: these checks passed with the reference solution. "
                  "Run them in Jupyter to check your own answer.")
NBVAL_MARKERS = re.compile(r"^[ \t]*# NBVAL_[A-Z_]+[ \t]*\n?", re.M)
STUDENT_DIR = "student"  # in the HTML output folder: student/01_neurons.ipynb, ...


def _clean(text: str) -> str:
    text = SOLUTION_MARKERS.sub("", HIDDEN_TESTS.sub("", text))
    return NBVAL_MARKERS.sub("", text).rstrip("\n")


def _student_href(docname: str) -> str:
    return "../" * docname.count("/") + f"{STUDENT_DIR}/{Path(docname).name}.ipynb"


def _is_chapter(docname: str) -> bool:
    return docname.startswith("chapters/")


def add_exercise_note(app, doctree):
    docname = app.env.docname
    if not _is_chapter(docname):
        return
    for section in doctree.findall(nodes.section):
        title = section.next_node(nodes.title)
        if title is None or title.astext().strip().rstrip("¶") != "Exercises":
            continue
        href = _student_href(docname)
        note = nodes.raw("", (
            '<div class="admonition tip nnlib-student-note"><p class="admonition-title">'
            'Doing the exercises</p><p>Download the <a href="' + href + '" download>student '
            'edition of this chapter</a> (also in the download menu at the top of the page): the '
            'same notebook with empty answer cells and without the solutions. Open it in Jupyter, '
            'run the cells from the top, write your answer in each answer cell, then run the '
            'check cell under it. It prints “all visible checks passed” when your answer is '
            'right; otherwise it stops with a message saying what it expected and what your code '
            'gave. Your teacher may grade further, hidden checks.</p></div>'), format="html")
        section.insert(section.index(title) + 1, note)
        return


def process(app, doctree):
    for cell in doctree.findall(nodes.container):
        if cell.get("nb_element") != "cell_code":
            continue
        meta = (cell.get("cell_metadata") or {}).get("nbgrader") or {}
        if not meta:
            for block in cell.findall(nodes.literal_block):
                text = block.astext()
                cleaned = NBVAL_MARKERS.sub("", text)
                if cleaned != text:
                    block.children = [nodes.Text(cleaned)]
                    block.rawsource = cleaned
            continue
        if meta.get("solution"):
            # myst-nb's HideInputCells post-transform turns this into a <details> toggle
            cell["hide_mode"] = "input"
            cell["prompt_show"] = "Show solution"
            cell["prompt_hide"] = "Hide solution"
        if meta.get("grade"):
            for output in cell.findall(nodes.container):
                if output.get("nb_element") == "cell_code_output":
                    note = nodes.paragraph("", "", nodes.emphasis(text=REFERENCE_NOTE),
                                           classes=["exercise-reference-output"])
                    output.insert(0, note)
                    break
        for block in cell.findall(nodes.literal_block):
            text = block.astext()
            cleaned = _clean(text)
            if cleaned != text:
                block.children = [nodes.Text(cleaned)]
                block.rawsource = cleaned


def student_download_button(app, pagename, templatename, context, doctree):
    if not _is_chapter(pagename):
        return
    for group in context.get("header_buttons", []):
        if group.get("label") != "download-buttons":
            continue
        group["buttons"].insert(1, {
            "type": "link", "url": _student_href(pagename), "text": "student .ipynb",
            "tooltip": "Download the student edition: exercises to do, no solutions",
            "icon": "fas fa-pencil", "label": "download-student-notebook-button"})


def write_student_editions(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    from homework.student import make_student_edition

    out = Path(app.outdir) / STUDENT_DIR
    for docname in app.env.found_docs:
        source = Path(app.env.doc2path(docname))
        if _is_chapter(docname) and source.suffix == ".ipynb":
            make_student_edition(source, out / source.name)


def setup(app):
    app.connect("doctree-read", process)
    app.connect("doctree-read", add_exercise_note)
    app.connect("html-page-context", student_download_button, priority=600)
    app.connect("build-finished", write_student_editions)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
