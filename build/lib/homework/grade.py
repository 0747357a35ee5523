"""Autograding a folder of submissions with nbgrader's own apps.

Layout of the submissions folder: one folder per student, holding that student's chapter
notebooks under their original file names::

    submissions/ada/01_neurons.ipynb
    submissions/ada/02_loss.ipynb
    submissions/alan/01_neurons.ipynb

For every chapter a template course is made once (``nbgrader generate_assignment``, which records
the instructor's test cells in a gradebook). Every (student, chapter) pair is then graded in its
own copy of that template with ``nbgrader autograde`` — which puts the instructor's test cells
back, so deleting or editing a test does not escape it, runs each cell with a timeout, and keeps
going after errors — and ``nbgrader generate_feedback``. Results are read from that copy's
gradebook, so one submission cannot change another student's result or the instructor's files.
"""
from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .config import CELL_TIMEOUT, course_config

_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass
class GradeResult:
    """The grade of one student's notebook for one chapter."""

    student: str
    chapter: str
    scores: dict[str, float] = field(default_factory=dict)      # grade_id → points earned
    max_scores: dict[str, float] = field(default_factory=dict)  # grade_id → points possible
    error: str = ""
    feedback: Path | None = None

    @property
    def total(self) -> float:
        return float(sum(self.scores.values()))

    @property
    def max_total(self) -> float:
        return float(sum(self.max_scores.values()))


def _nbgrader(args, cwd: Path, timeout: float) -> subprocess.CompletedProcess:
    bindir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
               NNLIB_NO_FRAMES="1",  # grading needs no precomputed widget pictures
               MPLBACKEND="Agg")
    return subprocess.run([str(bindir / "nbgrader"), *args], cwd=cwd, env=env, timeout=timeout,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)


def _last_error(proc: subprocess.CompletedProcess) -> str:
    lines = [l for l in (proc.stdout + proc.stderr).splitlines() if "ERROR" in l]
    return lines[-1].split("]", 1)[-1].strip() if lines else f"exit code {proc.returncode}"


def make_template(source_notebook: Path, root: Path, cell_timeout: int = CELL_TIMEOUT) -> Path:
    """A course folder with the chapter released, its gradebook knowing every test cell."""
    chapter = source_notebook.stem
    root.mkdir(parents=True)
    (root / "nbgrader_config.py").write_text(course_config(cell_timeout))
    (root / "source" / chapter).mkdir(parents=True)
    shutil.copy(source_notebook, root / "source" / chapter / source_notebook.name)
    proc = _nbgrader(["generate_assignment", chapter, "--force"], root, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader could not generate {chapter}: {_last_error(proc)}")
    return root


def _max_scores(template: Path, chapter: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{template / 'gradebook.db'}") as gb:
        nb = gb.find_notebook(chapter, chapter)
        return {c.name: float(c.max_score) for c in nb.grade_cells}


def grade_one(template: Path, work: Path, student: str, submission: Path, out_dir: Path,
              notebook_timeout: float, feedback: bool = True) -> GradeResult:
    """Grade one submission in a private copy of the chapter's template course."""
    from nbgrader.api import Gradebook

    chapter = submission.stem
    result = GradeResult(student, chapter, max_scores=_max_scores(template, chapter))
    result.scores = {k: 0.0 for k in result.max_scores}
    try:
        nbformat.read(submission, as_version=4)
    except Exception as e:  # corrupted or not a notebook: report it, grade the others
        result.error = f"not a readable notebook ({type(e).__name__}: {str(e)[:120]})"
        return result
    shutil.copytree(template, work)
    target = work / "submitted" / student / chapter
    target.mkdir(parents=True)
    shutil.copy(submission, target / f"{chapter}.ipynb")
    try:
        proc = _nbgrader(["autograde", chapter, "--student", student, "--force"], work,
                         notebook_timeout)
    except subprocess.TimeoutExpired:
        result.error = f"grading took longer than {notebook_timeout:g} s and was stopped"
        return result
    if proc.returncode != 0:
        result.error = f"nbgrader autograde failed: {_last_error(proc)}"
        return result
    with Gradebook(f"sqlite:///{work / 'gradebook.db'}") as gb:
        sub = gb.find_submission_notebook(chapter, chapter, student)
        for g in sub.grades:
            if g.max_score:
                result.scores[g.name] = float(g.score or 0.0)
    if not feedback:
        return result
    proc = _nbgrader(["generate_feedback", chapter, "--student", student, "--force"], work, 300)
    html = work / "feedback" / student / chapter / f"{chapter}.html"
    if proc.returncode == 0 and html.exists():
        result.feedback = out_dir / "feedback" / student / f"{chapter}.html"
        result.feedback.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(html, result.feedback)
    return result


def grade_submissions(submissions, out_dir, chapter_notebooks, *, workers: int = 2,
                      cell_timeout: int = CELL_TIMEOUT, notebook_timeout: float = 900,
                      feedback: bool = True, keep: Path | None = None) -> list[GradeResult]:
    """Grade every student folder in ``submissions`` against ``chapter_notebooks`` (the
    instructor's versions); write ``grades.csv`` and ``feedback/`` into ``out_dir``.

    ``cell_timeout`` bounds each cell, ``notebook_timeout`` each whole notebook. ``keep`` names a
    folder in which to keep the course folders nbgrader worked in (for inspection and tests).
    """
    submissions, out_dir = Path(submissions), Path(out_dir)
    if not submissions.is_dir():
        raise SystemExit(f"{submissions} is not a folder of student folders")
    sources = {Path(p).stem: Path(p) for p in chapter_notebooks}
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs, results = [], []
    for folder in sorted(p for p in submissions.iterdir() if p.is_dir()):
        student = folder.name
        if not _STUDENT_ID.match(student):
            results.append(GradeResult(student, "*", error="student folder names may use only "
                                       "letters, digits, '.', '_' and '-'"))
            continue
        for chapter, source in sources.items():
            path = folder / source.name
            if path.exists():
                jobs.append((student, chapter, path))
            elif any((s / source.name).exists() for s in submissions.iterdir() if s.is_dir()):
                results.append(GradeResult(student, chapter, error=f"no {source.name} submitted"))
    with tempfile.TemporaryDirectory(prefix="nnfs-grading-") as tmp:
        tmp = Path(keep) if keep is not None else Path(tmp)
        templates = {c: make_template(sources[c], tmp / "templates" / c, cell_timeout)
                     for c in sorted({c for _, c, _ in jobs})}
        for r in results:  # missing notebooks still show the points they could have earned
            if r.chapter in templates:
                r.max_scores = _max_scores(templates[r.chapter], r.chapter)
                r.scores = {k: 0.0 for k in r.max_scores}
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = [pool.submit(grade_one, templates[c], tmp / "work" / f"{s}--{c}", s, p,
                                   out_dir, notebook_timeout, feedback) for s, c, p in jobs]
            results += [f.result() for f in futures]
    results.sort(key=lambda r: (r.student, r.chapter))
    write_csv(results, out_dir / "grades.csv")
    return results


def write_csv(results: list[GradeResult], path: Path) -> None:
    """One row per (student, chapter): points per exercise, total, maximum, error."""
    ids = sorted({k for r in results for k in r.max_scores})
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "chapter", *ids, "total", "max_total", "error"])
        for r in results:
            w.writerow([r.student, r.chapter,
                        *[f"{r.scores[k]:g}" if k in r.scores else "" for k in ids],
                        f"{r.total:g}", f"{r.max_total:g}", r.error])
