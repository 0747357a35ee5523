"""Settings shared by the student editions and the grader, and the nbgrader course config."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"

#: what replaces a solution: a message a student can act on, not a bare NotImplementedError
CODE_STUB = ('# YOUR CODE HERE\n'
             'raise NotImplementedError("Exercise not done yet: replace this line with your code")')

#: seconds each cell may run while grading before it is interrupted (an infinite loop costs
#: that exercise only; the rest of the notebook still runs)
CELL_TIMEOUT = 30

def course_config(cell_timeout: int = CELL_TIMEOUT) -> str:
    """nbgrader_config.py for a course folder: the settings our commands use, so that
    ``nbgrader generate_assignment`` / ``nbgrader autograde`` give the same results."""
    return (f'c = get_config()\n'
            f'c.CourseDirectory.course_id = "neural-networks-from-scratch"\n'
            f'c.ClearSolutions.code_stub = {{"python": {CODE_STUB!r}}}\n'
            f'c.Execute.timeout = {int(cell_timeout)}\n')


COURSE_CONFIG = course_config()


def chapter_notebooks(names=None) -> list[Path]:
    """The chapter notebooks, all of them or those whose file name starts with one of ``names``
    (``"01"``, ``"01_neurons"`` or ``"01_neurons.ipynb"``)."""
    notebooks = sorted(CHAPTERS.glob("[0-9][0-9]_*.ipynb"))
    if not names:
        return notebooks
    chosen = []
    for name in names:
        stem = Path(name).stem
        matches = [p for p in notebooks if p.stem == stem or p.stem.startswith(stem + "_")
                   or p.stem.split("_")[0] == stem]
        if not matches:
            raise SystemExit(f"no chapter matches {name!r}; chapters are: "
                             + ", ".join(p.stem for p in notebooks))
        chosen += matches
    return chosen
