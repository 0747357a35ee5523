"""chaptertools: the markup converter and the execution step that stores chapters as JupyterLab
would save them."""
import json

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from chaptertools import execute, markup

WIDGET = "application/vnd.jupyter.widget-view+json"


def book_notebook():
    nb = new_notebook(cells=[
        new_markdown_cell("$$\nz = w x + b \\tag{1.1}\\label{eq:neuron}\n$$"),
        new_code_cell("from myst_nb import glue\n\nn = 3\nglue(\"n_things\", f\"{n:,}\", "
                      "display=False)"),
        new_markdown_cell("There are {glue:text}`n_things` things, by $\\eqref{eq:neuron}$.\n\n"
                          "```{admonition} Key idea\n:class: tip\nText.\n```"),
        new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"),
    ])
    nb.cells[3].metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": "s",
                                        "locked": False, "schema_version": 3, "task": False}
    return nb


def test_convert_rewrites_markup_and_is_idempotent():
    nb = book_notebook()
    assert markup.convert(nb)
    text = nb.cells[2].source
    assert "{eval}`glued.n_things`" in text and "{glue" not in text
    assert '<a class="eqref" href="#mjx-eqn%3Aeq%3Aneuron" data-label="eq:neuron">(1.1)</a>' in text
    assert "```{admonition} Key idea" in text  # jupyterlab-myst draws it as a box
    assert "from nnlib.glue import glue, glued\n\nn = 3" in nb.cells[1].source
    assert nb.metadata["mystnb"]["execution_mode"] == "inline"
    assert nb.cells[3].metadata["tags"] == ["raises-exception"]
    before = json.dumps(nb, sort_keys=True)
    assert not markup.convert(nb)
    assert json.dumps(nb, sort_keys=True) == before


def test_convert_refreshes_renumbered_equation_links():
    nb = book_notebook()
    markup.convert(nb)
    nb.cells[0].source = nb.cells[0].source.replace("\\tag{1.1}", "\\tag{1.2}")
    assert markup.convert(nb)
    assert ">(1.2)</a>" in nb.cells[2].source


def test_execute_stores_numbers_and_what_jupyterlab_would_save(tmp_path):
    nb = book_notebook()
    markup.convert(nb)
    nb.metadata["widgets"] = {"state": {}}
    nb.nbformat_minor = 4
    path = tmp_path / "ch.ipynb"
    nbformat.write(nb, path)
    execute.execute(path, timeout=60)
    raw = path.read_text()
    assert raw.endswith("}\n")
    out = nbformat.reads(raw, 4)
    assert out.nbformat_minor == 5 and all(c.get("id") for c in out.cells)
    assert "widgets" not in out.metadata
    assert out.metadata["kernelspec"]["display_name"] == execute.kernelspec()["display_name"]
    (expr,) = out.cells[2].metadata["user_expressions"]
    assert expr["expression"] == "glued.n_things"
    assert expr["result"]["data"]["text/plain"] == "3"
    assert all("execution" not in c.metadata for c in out.cells)


def test_widget_views_are_stripped_on_save_but_the_fallback_stays():
    cell = new_code_cell("explore(...)")
    cell.outputs = [nbformat.v4.new_output("execute_result", data={
        WIDGET: {"model_id": "abc", "version_major": 2, "version_minor": 0},
        "text/html": "<div class='nnlib-explorer'></div>", "text/plain": "Explorer(...)"},
        execution_count=1)]
    nb = new_notebook(cells=[cell], metadata={"widgets": {"x": 1}})
    model = {"type": "notebook", "content": json.loads(nbformat.writes(nb))}
    execute.pre_save_hook(model=model, path="ch.ipynb")
    data = model["content"]["cells"][0]["outputs"][0]["data"]
    assert WIDGET not in data and "text/html" in data
    assert "widgets" not in model["content"]["metadata"]


def test_forward_references_are_reported():
    nb = book_notebook()
    nb.cells.insert(1, new_markdown_cell("Early: {glue:text}`n_things`."))
    nb.cells.insert(0, new_code_cell('for k in ["a"]:\n    glue(f"race_{k}", "1")'))
    nb.cells.append(new_markdown_cell("{glue:text}`race_a` and {glue:text}`missing`"))
    markup.convert(nb)
    problems = markup.forward_references(nb)
    assert any("uses glued.n_things, glued later" in p for p in problems)
    assert any("glued.missing is never glued" in p for p in problems)
    assert not any("race_a" in p for p in problems)
