r"""Book markup → markup that both the HTML book (Jupyter Book 1.x / myst-nb) and JupyterLab
(with the jupyterlab-myst extension) render. Idempotent: converting twice changes nothing.

* ``{glue:text}`key``` → ``{eval}`glued.key```, and ``from myst_nb import glue`` →
  ``from nnlib.glue import glue, glued`` in the code (``nnlib.glue`` keeps the values in the
  namespace ``glued``); the notebook's metadata asks myst-nb for inline execution, which is what
  evaluates ``{eval}`` while the book is built.
* ``$\\eqref{eq:x}$`` → ``<a class="eqref" href="#mjx-eqn%3Aeq%3Ax">(1.4)</a>``, the number
  taken from the chapter's ``\\tag{1.4}\\label{eq:x}``: jupyterlab-myst typesets math with KaTeX,
  which has no ``\\eqref``; a link with the number reads the same everywhere and still jumps to
  the equation in the book (MathJax's anchor). Re-running refreshes the numbers.
* Display math ``$$ … $$`` (a block of its own) → ``\begin{equation*} … \end{equation*}``.
  Both render it the same, with its ``\tag``; the starred environment tells jupyterlab-myst not
  to add numbers of its own, which would otherwise stand next to the book's (1.3) as (6).
* Exercise cells (nbgrader solution and graded test cells) get the tag ``raises-exception``:
  in a student's copy an unfinished exercise raises, and without the tag JupyterLab's Run All
  stops there (the kernel drops every queued cell after an error). With it, the failure is shown
  and the later cells still run; nbgrader still scores a test cell with an error as failed, and
  nbval still compares the instructor's outputs (an error would not match them).
* Admonitions (```` ```{admonition} Key idea ```` with ``:class: tip``, ```` ```{note} ````) need
  no change: jupyterlab-myst draws them as boxes.
"""
from __future__ import annotations

import re
from urllib.parse import quote

GLUE_ROLE = re.compile(r"\{glue:text\}`([A-Za-z_][A-Za-z0-9_]*)`")
EQREF_MATH = re.compile(r"\$\\eqref\{([^}]+)\}\$")
EQREF_LINK = re.compile(r'<a class="eqref" href="#mjx-eqn%3A[^"]*" data-label="([^"]+)">'
                        r'\([^)<]*\)</a>')
TAG_LABEL = re.compile(r"\\tag\{([^}]+)\}\s*\\label\{([^}]+)\}|\\label\{([^}]+)\}\s*\\tag\{([^}]+)\}")
DISPLAY_MATH = re.compile(r"(?:(?<=\n\n)|^)\$\$(.+?)\$\$(?=\n\n|\n?$)", re.S)
GLUE_IMPORT = re.compile(r"^from myst_nb import glue[ \t]*$", re.M)
NEW_IMPORT = "from nnlib.glue import glue, glued"


def equation_numbers(nb) -> dict[str, str]:
    """``{label: tag}`` of every ``\\tag{…}\\label{…}`` in the notebook's markdown."""
    numbers = {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for m in TAG_LABEL.finditer(cell.source):
                tag, label = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
                numbers[label] = tag
    return numbers


def _eqref_link(label: str, numbers: dict[str, str]) -> str:
    if label not in numbers:
        raise ValueError(f"\\eqref{{{label}}}: no equation with \\label{{{label}}} and a \\tag "
                         f"in this chapter (known: {', '.join(sorted(numbers)) or 'none'})")
    return (f'<a class="eqref" href="#mjx-eqn%3A{quote(label, safe="")}" '
            f'data-label="{label}">({numbers[label]})</a>')


def convert_markdown(text: str, numbers: dict[str, str]) -> str:
    text = DISPLAY_MATH.sub(lambda m: "\\begin{equation*}\n" + m.group(1).strip("\n")
                            + "\n\\end{equation*}", text)
    text = GLUE_ROLE.sub(lambda m: f"{{eval}}`glued.{m.group(1)}`", text)
    text = EQREF_MATH.sub(lambda m: _eqref_link(m.group(1), numbers), text)
    return EQREF_LINK.sub(lambda m: _eqref_link(m.group(1), numbers), text)


def convert(nb) -> bool:
    """Convert the notebook in place; return whether anything changed."""
    numbers = equation_numbers(nb)
    changed = False
    uses_eval = False
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            new = convert_markdown(cell.source, numbers)
            uses_eval |= "{eval}`" in new
        elif cell.cell_type == "code":
            new = GLUE_IMPORT.sub(NEW_IMPORT, cell.source)
        else:
            continue
        if new != cell.source:
            cell.source, changed = new, True
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (meta.get("solution") or meta.get("grade")):
            tags = cell.metadata.setdefault("tags", [])
            if "raises-exception" not in tags:
                tags.append("raises-exception")
                changed = True
    if uses_eval and nb.metadata.get("mystnb", {}).get("execution_mode") != "inline":
        # myst-nb evaluates {eval} only while it executes the notebook itself ("inline")
        nb.metadata.setdefault("mystnb", {})["execution_mode"] = "inline"
        changed = True
    return changed


GLUE_CALL = re.compile(r"""\bglue\(\s*(f?)["']([^"']+)["']""")


def forward_references(nb) -> list[str]:
    """Text that uses a glued value before the code cell that glues it (the book and JupyterLab's
    Run All evaluate ``{eval}`` where the text stands, so such a value is missing there): one
    message per case, naming the cells. Names glued with an f-string are matched as patterns."""
    glued_at: dict[str, int] = {}
    patterns: list[tuple[re.Pattern, int]] = []
    for k, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            for fstring, name in GLUE_CALL.findall(cell.source):
                if fstring:
                    patterns.append((re.compile(re.sub(r"\\\{[^}]*\\\}", r"\\w+",
                                                       re.escape(name)) + "$"), k))
                else:
                    glued_at.setdefault(name, k)
    problems = []
    for k, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for name in re.findall(r"\{eval\}`glued\.(\w+)`", cell.source):
            where = glued_at.get(name)
            if where is None:
                where = min((i for p, i in patterns if p.match(name)), default=None)
            if where is None:
                problems.append(f"markdown cell {k}: glued.{name} is never glued")
            elif where > k:
                problems.append(f"markdown cell {k} uses glued.{name}, glued later in code cell "
                                f"{where}: move the text below that cell (or the glue above)")
    return problems
