"""Run a chapter from a fresh kernel and store it exactly as JupyterLab would save it.

What is stored, beyond nbclient's outputs:

* every markdown cell's ``{eval}`…``` expressions, evaluated at that point of the chapter, in the
  cell's ``user_expressions`` metadata — where jupyterlab-myst reads them, so the numbers show in
  a chapter that has not run yet;
* no live widget views: the ``application/vnd.jupyter.widget-view+json`` part of an output (and
  ``metadata.widgets``) only means something to the kernel that made it; a new kernel reports
  "model not found". The explorers' no-kernel view (``text/html``) stays;
* what JupyterLab would write on save: nbformat 4.5 with cell ids, the kernelspec of the kernel
  that ran it (JupyterLab rewrites a different one at once, marking the chapter modified), no
  per-cell timing, sorted keys and a trailing newline (``nbformat.write``).
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
from jupyter_core.utils import run_sync

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
EVAL_ROLE = re.compile(r"\{eval\}`([^`]+)`")
KERNEL = "python3"


def expressions(markdown: str) -> list[str]:
    """The ``{eval}`` expressions of a markdown cell, each once, in order."""
    return list(dict.fromkeys(EVAL_ROLE.findall(markdown)))


def strip_widget_views(nb) -> None:
    """Drop live widget views and widget state; keep every other part of each output."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if WIDGET_VIEW in out.get("data", {}):
                del out["data"][WIDGET_VIEW]


def normalise(nb, kernelspec: dict | None = None) -> None:
    """What JupyterLab would save: nbformat 4.5, cell ids, no timing, no widget state."""
    nb.nbformat, nb.nbformat_minor = 4, 5
    if kernelspec:
        nb.metadata["kernelspec"] = kernelspec
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("trusted", None)
        if cell.cell_type == "markdown" and not cell.metadata.get("user_expressions"):
            cell.metadata.pop("user_expressions", None)
    strip_widget_views(nb)
    nbformat.validator.normalize(nb)  # adds missing cell ids
    nbformat.validate(nb)


def kernelspec(name: str = KERNEL) -> dict:
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(name)
    return {"display_name": spec.display_name, "language": spec.language, "name": name}


class ExpressionFailed(RuntimeError):
    """An ``{eval}`` expression raised in the kernel."""


async def _run(nb, cwd: Path, timeout: int):
    from nbclient import NotebookClient

    client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL, record_timing=False,
                            resources={"metadata": {"path": str(cwd)}})
    client.reset_execution_trackers()
    async with client.async_setup_kernel():
        reply = await client.async_wait_for_reply(client.kc.kernel_info())
        nb.metadata["language_info"] = reply["content"]["language_info"]
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                await client.async_execute_cell(cell, index,
                                                execution_count=client.code_cells_executed + 1)
            elif cell.cell_type == "markdown":
                exprs = expressions(cell.source)
                if not exprs:
                    cell.metadata.pop("user_expressions", None)
                    continue
                msg_id = client.kc.execute("", store_history=False, stop_on_error=False,
                                           user_expressions={str(i): e for i, e in enumerate(exprs)})
                reply = await client.async_wait_for_reply(msg_id)
                results = reply["content"]["user_expressions"]
                stored = []
                for i, expr in enumerate(exprs):
                    result = results[str(i)]
                    if result["status"] != "ok":
                        raise ExpressionFailed(
                            f"markdown cell {index}: {{eval}}`{expr}` raised "
                            f"{result['ename']}: {result['evalue']} (is it glued in a code cell "
                            f"above this text?)")
                    stored.append({"expression": expr, "result": result})
                cell.metadata["user_expressions"] = stored


def execute(path, timeout: int = 600) -> Path:
    """Execute the notebook at ``path`` in place (cwd: its folder) and normalise it."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    run_sync(_run)(nb, path.parent, timeout)  # works inside a running event loop too
    for index, cell in enumerate(nb.cells):  # "raises-exception" lets an exercise cell fail
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                raise RuntimeError(f"{path}: code cell {index} raised {out['ename']}: "
                                   f"{out['evalue']}")
    normalise(nb, kernelspec())
    nbformat.write(nb, path)
    return path


def pre_save_hook(model, **kwargs):
    """Jupyter server pre-save hook (``make lab``): store a saved notebook without live widget
    views, so that it reopens with the explorers' no-kernel view instead of
    "Error displaying widget: model not found"."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    nb = nbformat.from_dict(model["content"])
    strip_widget_views(nb)
    model["content"] = nb
