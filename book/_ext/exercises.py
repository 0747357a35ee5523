"""Exercises in the HTML book (nbgrader cells in the chapter notebooks).

* Solution cells are folded behind a "Show solution" toggle.
* Hidden tests (between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``) are removed
  from the page; the visible tests stay.
* nbgrader's marker comments (``### BEGIN SOLUTION`` …) are dropped as noise.
* The stored output of a check cell comes from the reference solution, not from the reader's
  answer: a caption above it says so.

The notebook itself is untouched: in Jupyter the instructor still sees everything.
"""
import re

from docutils import nodes

HIDDEN_TESTS = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[ \t]*\n?",
                          re.S | re.M)
SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)
REFERENCE_NOTE = ("Stored output: these checks passed with the reference solution. "
                  "Run them in Jupyter to check your own answer.")


def _clean(text: str) -> str:
    return SOLUTION_MARKERS.sub("", HIDDEN_TESTS.sub("", text)).rstrip("\n")


def process(app, doctree):
    for cell in doctree.findall(nodes.container):
        if cell.get("nb_element") != "cell_code":
            continue
        meta = (cell.get("cell_metadata") or {}).get("nbgrader") or {}
        if not meta:
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


def setup(app):
    app.connect("doctree-read", process)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
