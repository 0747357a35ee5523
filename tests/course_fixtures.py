"""A tiny course for the course-grading tests: two fast instructor notebooks in nbgrader format
and seven students (all right, untouched, one wrong, a corrupt notebook, a missing notebook, all
wrong, and one whose first notebook sleeps 12 s, to be interrupted in flight), graded in a few
seconds per notebook. Also: running the grading command as a process."""
import os
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
           NNLIB_NO_FRAMES="1", MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
STUB = 'raise NotImplementedError("Exercise not done yet")'
SLOW = "import time\ntime.sleep(12)\n"  # abe's first job: long enough to be hit in flight
CHAPTERS = {  # chapter → [(exercise, solution, wrong answer, test source, points)]
    "91_tiny": [("ex1", "def double(x):\n    return 2 * x\n", "def double(x):\n    return x\n",
                 'expect_close("double(2)", double(2.0), 4.0)\n### BEGIN HIDDEN TESTS\n'
                 'expect_close("double(-1.5)", double(-1.5), -3.0)\n### END HIDDEN TESTS\n', 1),
                ("ex2", "answer = 42\n", "answer = 41\n",
                 'expect_equal("answer", answer, 42)\n', 2)],
    "92_tiny": [("ex1", "def square(x):\n    return x * x\n", "def square(x):\n    return x\n",
                 'expect_close("square(3)", square(3.0), 9.0)\n', 2),
                ("ex2", "shape = (3, 4)\n", "shape = (4, 3)\n",
                 'expect_equal("shape", tuple(shape), (3, 4))\n', 1)],
}
POINTS = {c: sum(e[4] for e in exs) for c, exs in CHAPTERS.items()}


def chapter_notebook(chapter: str, answers: str = "right") -> nbformat.NotebookNode:
    """The instructor's notebook (answers="right"), the untouched student edition ("stub") or
    one with wrong answers ("wrong", or "first_wrong")."""
    cells = [nbformat.v4.new_markdown_cell(f"# {chapter}"),
             nbformat.v4.new_code_cell("import numpy as np\nfrom nnlib import expect_close, "
                                       "expect_equal")]
    for i, (ex, right, wrong, test, points) in enumerate(CHAPTERS[chapter]):
        source = {"right": right, "stub": STUB, "wrong": wrong, "first_wrong": wrong if i == 0
                  else right, "slow": SLOW + right if i == 0 else right}[answers]
        if answers == "right":
            source = "### BEGIN SOLUTION\n" + source + "### END SOLUTION\n"
        cells.append(nbformat.v4.new_code_cell(source, metadata={"nbgrader": {
            "grade": False, "grade_id": f"{ex}-solution", "locked": False, "schema_version": 3,
            "solution": True, "task": False}}))
        cells.append(nbformat.v4.new_code_cell(test, metadata={"nbgrader": {
            "grade": True, "grade_id": f"{ex}-tests", "locked": True, "points": points,
            "schema_version": 3, "solution": False, "task": False}}))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def make_course(root: Path) -> tuple[Path, list[Path]]:
    """``root/chapters/9N_tiny.ipynb`` and ``root/subs/<student>/``: 7 students × 2 chapters,
    13 notebooks (eve did not hand in chapter 92; abe's chapter 91 takes 12 s more)."""
    chapters = []
    for chapter in CHAPTERS:
        path = root / "chapters" / f"{chapter}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(chapter_notebook(chapter), path)
        chapters.append(path)
    plan = {"abe": ("slow", "right"), "ada": ("right", "right"), "bob": ("stub", "stub"),
            "cy": ("first_wrong", "right"),
            "dee": ("corrupt", "right"), "eve": ("right", None), "fay": ("wrong", "wrong")}
    for student, answers in plan.items():
        folder = root / "subs" / student
        folder.mkdir(parents=True, exist_ok=True)
        for chapter, how in zip(CHAPTERS, answers):
            if how == "corrupt":
                (folder / f"{chapter}.ipynb").write_text('{"cells": [ not json')
            elif how is not None:
                nbformat.write(chapter_notebook(chapter, how), folder / f"{chapter}.ipynb")
    return root / "subs", chapters


def expected_totals() -> dict:
    right = POINTS
    first = {c: POINTS[c] - CHAPTERS[c][0][4] for c in CHAPTERS}
    return {("abe", "91_tiny"): right["91_tiny"], ("abe", "92_tiny"): right["92_tiny"],
            ("ada", "91_tiny"): right["91_tiny"], ("ada", "92_tiny"): right["92_tiny"],
            ("bob", "91_tiny"): 0, ("bob", "92_tiny"): 0,
            ("cy", "91_tiny"): first["91_tiny"], ("cy", "92_tiny"): right["92_tiny"],
            ("dee", "91_tiny"): 0, ("dee", "92_tiny"): right["92_tiny"],
            ("eve", "91_tiny"): right["91_tiny"], ("eve", "92_tiny"): 0,
            ("fay", "91_tiny"): 0, ("fay", "92_tiny"): 0}


def grade_command(subs, out, chapters, *extra) -> list[str]:
    return [sys.executable, "-m", "homework", "grade", str(subs), *map(str, chapters),
            "--out", str(out), "--no-progress", *extra]


def run_grading(subs, out, chapters, *extra, timeout=600) -> subprocess.CompletedProcess:
    proc = subprocess.run(grade_command(subs, out, chapters, *extra), cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc


def log_lines(out: Path) -> list[dict]:
    import json

    log = Path(out) / "jobs" / "log.jsonl"
    return [json.loads(l) for l in log.read_text().splitlines()] if log.exists() else []


def trusted_of(job: str) -> list:
    """The running trusted grader processes of a job ("abe__91_tiny"), wherever started."""
    import psutil

    student, chapter = job.split("__")
    found = []
    for p in psutil.process_iter(["cmdline"]):
        cmd = " ".join(p.info["cmdline"] or ())
        if "homework.trusted" in cmd and f"nnfs-grading-{student}--{chapter}-" in cmd:
            found.append(p)
    return found
