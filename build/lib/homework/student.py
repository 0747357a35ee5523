"""Student editions: solutions replaced by a stub, hidden tests removed, outputs and widget state
cleared; text, figure code, widgets and visible tests stay.

Runs nbgrader's own preprocessors in the order ``nbgrader generate_assignment`` uses (minus the
one that writes to a database), so the result equals what nbgrader produces.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
from traitlets.config import Config

from .config import CODE_STUB


def _preprocessors():
    from nbgrader.preprocessors import (CheckCellMetadata, ClearHiddenTests, ClearMarkScheme,
                                        ClearOutput, ClearSolutions, ComputeChecksums,
                                        IncludeHeaderFooter, InstantiateTests, LockCells)

    config = Config()
    config.ClearSolutions.code_stub = {"python": CODE_STUB}
    chain = [IncludeHeaderFooter, InstantiateTests, LockCells, ClearSolutions, ClearOutput,
             CheckCellMetadata, ComputeChecksums, ClearHiddenTests, ClearMarkScheme,
             ComputeChecksums, CheckCellMetadata]
    return [cls(config=config) for cls in chain]


def make_student_edition(source, dest) -> Path:
    """Write the student edition of the notebook ``source`` to ``dest``."""
    source, dest = Path(source), Path(dest)
    nb = nbformat.read(source, as_version=4)
    resources = {"metadata": {"path": str(source.parent), "name": source.stem},
                 "nbgrader": {"notebook": source.stem, "assignment": source.stem}}
    for pre in _preprocessors():
        nb, resources = pre.preprocess(nb, resources)
    # Saved widget state would show stale pictures in a notebook that has not run yet.
    nb.metadata.pop("widgets", None)
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)
    return dest


def student_editions(notebooks, out_dir) -> list[Path]:
    """Student editions of ``notebooks`` in ``out_dir`` (same file names)."""
    out_dir = Path(out_dir)
    return [make_student_edition(nb, out_dir / Path(nb).name) for nb in notebooks]
