"""Autograding a folder of submissions, with the checks outside the student's process.

Layout of the submissions folder: one folder per student, holding that student's chapter
notebooks under their original file names::

    submissions/ada/01_neurons.ipynb
    submissions/ada/02_loss.ipynb
    submissions/alan/01_neurons.ipynb

Every (student, chapter) pair is one job, graded by :func:`grade_job`: a pure function from a
plain job description to a plain result record, which runs the trusted grader
(:mod:`homework.trusted`) in a fresh process of its own. That process runs the instructor's
notebook and its test cells itself and reaches the student's answers only through a plain-data
channel to the student's kernel, which runs in a sandbox (:mod:`homework.sandbox`) holding nothing
but its own copy of the notebook. So

* a student cannot change a check, an expected value, nnlib or numpy as the checks see them;
* a student's code cannot read the instructor's notebooks or write anywhere but its own folder;
* results are collected here, from the trusted processes only, and ``grades.csv`` and the
  feedback pages are written here at the end (``grades.csv`` atomically) — in folders no sandbox
  can see, after every sandbox and everything started in it is gone.

Because a job is a pure function returning plain data, jobs can be run by any executor (threads
here; a process pool or a cluster elsewhere).
"""
from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .config import CELL_TIMEOUT, course_config

_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
MEMORY_LIMIT = 2 * 2**30


@dataclass
class GradeResult:
    """The grade of one student's notebook for one chapter."""

    student: str
    chapter: str
    scores: dict[str, float] = field(default_factory=dict)      # grade_id → points earned
    max_scores: dict[str, float] = field(default_factory=dict)  # grade_id → points possible
    error: str = ""
    feedback: Path | None = None
    messages: dict[str, str] = field(default_factory=dict)      # grade_id → what the student sees
    student_cells: tuple = (0, 0)                                # student cells run, in total
    seconds: float = 0.0

    @property
    def total(self) -> float:
        return float(sum(self.scores.values()))

    @property
    def max_total(self) -> float:
        return float(sum(self.max_scores.values()))

    @classmethod
    def from_record(cls, record: dict) -> "GradeResult":
        return cls(record.get("student", ""), record.get("chapter", ""),
                   {k: float(v) for k, v in record.get("scores", {}).items()},
                   {k: float(v) for k, v in record.get("max_scores", {}).items()},
                   str(record.get("error", "")), None, dict(record.get("messages", {})),
                   tuple(record.get("student_cells", (0, 0))), float(record.get("seconds", 0)))


# --- issue 17 (course grading): a grader that is killed (SIGKILL, a Dask worker that dies) takes
# its trusted processes with it, so that a killed run leaves no grading behind. Linux only; the
# signal is sent when the thread that started the process ends, and grade_job's thread waits for
# it. The prctl function is looked up here, before any fork, so the child only calls it.
try:
    import ctypes

    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None
_PR_SET_PDEATHSIG = 1


def _die_with_grader() -> None:
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
# --- end issue 17


def grade_job(job: dict) -> dict:
    """Grade one (student, chapter) job in a fresh trusted process; returns the plain record of
    :func:`homework.trusted.grade`. ``job`` is a plain dict (see there); ``job["box"]`` is the
    sandbox folder, which this function creates and removes (default: a new temporary folder).
    The record is the only output: nothing else is written, so a job can run anywhere."""
    own_tmp = None
    if not job.get("box"):
        own_tmp = tempfile.mkdtemp(prefix="nnfs-job-")
        job = {**job, "box": str(Path(own_tmp) / "box")}
    box = Path(job["box"])
    work = box.with_name(box.name + ".trusted")
    work.mkdir(parents=True, exist_ok=True)
    job_file, result_file = work / "job.json", work / "result.json"
    job_file.write_text(json.dumps(job))
    limit = float(job.get("notebook_timeout", 900)) + 120
    env = dict(os.environ, MPLBACKEND="Agg", NNLIB_NO_FRAMES="1", OPENBLAS_NUM_THREADS="1",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-m", "homework.trusted", str(job_file),
                             str(result_file)], env=env, cwd=str(work),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True,
                            preexec_fn=_die_with_grader)
    try:
        _, err = proc.communicate(timeout=limit)
        record = json.loads(result_file.read_text()) if result_file.exists() else None
        if record is None:
            lines = err.decode(errors="replace").strip().splitlines()
            why = lines[-1] if lines else f"exit code {proc.returncode}"
            record = {"error": f"the grader crashed: {why}"}
    except subprocess.TimeoutExpired:
        record = {"error": f"grading took longer than {limit:g} s and was stopped"}
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # with it goes the sandbox (--die-with-parent)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
        shutil.rmtree(box, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
        if own_tmp:
            shutil.rmtree(own_tmp, ignore_errors=True)
    record.setdefault("student", job.get("student", ""))
    record.setdefault("chapter", Path(job["source"]).stem)
    return record


def max_scores_of(source_notebook: Path) -> dict[str, float]:
    """grade_id → points of every graded test cell of the instructor's notebook."""
    import nbformat

    from .trusted import cell_kind, nbgrader_meta

    nb = nbformat.read(source_notebook, as_version=4)
    return {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c).get("points", 0))
            for c in nb.cells if cell_kind(c) == "test"}


def grade_submissions(submissions, out_dir, chapter_notebooks, *, workers: int = 2,
                      cell_timeout: int = CELL_TIMEOUT, notebook_timeout: float = 900,
                      feedback: bool = True, memory: int = MEMORY_LIMIT, unsafe: bool = False,
                      show_hidden: bool = False, keep: Path | None = None,
                      runner=None) -> list[GradeResult]:
    """Grade every student folder in ``submissions`` against ``chapter_notebooks`` (the
    instructor's versions); write ``grades.csv`` and ``feedback/`` into ``out_dir``.

    ``cell_timeout`` bounds each cell, ``notebook_timeout`` each whole notebook, ``memory`` the
    student kernel's address space. Without a working sandbox this refuses to start unless
    ``unsafe`` is set. ``show_hidden`` puts the hidden checks' failure messages into the
    feedback. ``keep`` is accepted for compatibility and ignored: sandboxes are always removed.
    ``runner`` (:class:`homework.course.CourseRunner`) runs the job dicts instead of the thread
    pool here, and returns their records in order; it checks the sandbox where the jobs run.
    """
    from .sandbox import check_sandbox

    submissions, out_dir = Path(submissions), Path(out_dir)
    if not submissions.is_dir():
        raise SystemExit(f"{submissions} is not a folder of student folders")
    if runner is not None:
        runner.check()
    elif not unsafe and check_sandbox():
        raise SystemExit(f"refusing to grade without a sandbox: {check_sandbox()}. Install "
                         "bubblewrap, or pass --unsafe-no-sandbox to run students' code "
                         "unisolated (see the instructors' page)")
    sources = {Path(p).stem: Path(p).resolve() for p in chapter_notebooks}
    jobs, results = [], []
    students = sorted(p for p in submissions.iterdir() if p.is_dir())
    for folder in students:
        student = folder.name
        if not _STUDENT_ID.match(student):
            results.append(GradeResult(student, "*", error="student folder names may use only "
                                       "letters, digits, '.', '_' and '-'"))
            continue
        for chapter, source in sources.items():
            path = folder / source.name
            if path.is_file() and not path.is_symlink():
                jobs.append((student, chapter, path))
            elif path.exists():
                results.append(GradeResult(student, chapter,
                                           error=f"{source.name} is not a regular file"))
            elif any((s / source.name).exists() for s in students):
                results.append(GradeResult(student, chapter, error=f"no {source.name} submitted"))
    maxima = {c: max_scores_of(sources[c]) for c in {c for _, c, _ in jobs} |
              {r.chapter for r in results if r.chapter in sources}}
    for r in results:  # missing notebooks still show the points they could have earned
        if r.chapter in maxima:
            r.max_scores = dict(maxima[r.chapter])
            r.scores = {k: 0.0 for k in r.max_scores}
    with tempfile.TemporaryDirectory(prefix="nnfs-grading-") as tmp:
        os.chmod(tmp, 0o700)
        job_dicts = [{"student": s, "source": str(sources[c]), "submission": str(p.resolve()),
                      "box": str(Path(tmp) / f"{s}--{c}"), "cell_timeout": cell_timeout,
                      "notebook_timeout": notebook_timeout, "memory": int(memory),
                      "unsafe": bool(unsafe), "show_hidden": bool(show_hidden)}
                     for s, c, p in jobs]
        if runner is not None:
            records = runner(job_dicts)
        else:
            with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
                records = list(pool.map(grade_job, job_dicts))
    for (student, chapter, _), record in zip(jobs, records):
        r = GradeResult.from_record(record)
        r.student, r.chapter = student, chapter
        if not r.max_scores:  # the grader crashed before reading the chapter
            r.max_scores = dict(maxima[chapter])
        r.scores = {k: r.scores.get(k, 0.0) for k in r.max_scores}
        results.append(r)
    results.sort(key=lambda r: (r.student, r.chapter))
    out_dir.mkdir(parents=True, exist_ok=True)
    if feedback:
        for r in results:
            if r.chapter in sources and r.student and _STUDENT_ID.match(r.student):
                r.feedback = write_feedback(r, out_dir / "feedback" / r.student
                                            / f"{r.chapter}.html")
    write_csv(results, out_dir / "grades.csv")
    return results


def write_csv(results: list[GradeResult], path: Path) -> None:
    """One row per (student, chapter): points per exercise, total, maximum, error. Written to a
    temporary file and renamed, so a reader sees the old file or the complete new one."""
    ids = sorted({k for r in results for k in r.max_scores})
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "chapter", *ids, "total", "max_total", "error"])
        for r in results:
            w.writerow([r.student, r.chapter,
                        *[f"{r.scores[k]:g}" if k in r.scores else "" for k in ids],
                        f"{r.total:g}", f"{r.max_total:g}", r.error])
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_feedback(r: GradeResult, path: Path) -> Path:
    """An HTML page with each exercise's points and the message of its first failing visible
    check. It is built from the result record only: no test source, no solution."""
    rows = []
    for gid, points in r.max_scores.items():
        got = r.scores.get(gid, 0.0)
        msg = r.messages.get(gid) or ("Not graded." if not got else "All checks passed.")
        mark = "passed" if got == points else "failed"
        rows.append(f"<tr class='{mark}'><td>{html.escape(gid)}</td>"
                    f"<td>{got:g} / {points:g}</td><td>{html.escape(msg)}</td></tr>")
    error = f"<p class='error'>{html.escape(r.error)}</p>" if r.error else ""
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Feedback: {html.escape(r.chapter)}</title>
<style>body{{font-family:sans-serif;max-width:50em;margin:2em auto}}
td,th{{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}}
tr.passed td:nth-child(2){{color:#176f2c}} tr.failed td:nth-child(2){{color:#a61b1b}}
.error{{color:#a61b1b}}</style></head><body>
<h1>{html.escape(r.chapter)}: {html.escape(r.student)}</h1>
<p><strong>Score: {r.total:.1f} / {r.max_total:.1f}</strong></p>{error}
<table><tr><th>Exercise checks</th><th>Points</th><th>Result</th></tr>
{chr(10).join(rows)}
</table></body></html>
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(page)
    os.replace(tmp, path)
    return path


def make_template(source_notebook: Path, root: Path, cell_timeout: int = CELL_TIMEOUT) -> Path:
    """A course folder in which ``nbgrader generate_assignment`` released the chapter (for an
    nbgrader course, and for the test that our student edition equals nbgrader's)."""
    chapter = source_notebook.stem
    root.mkdir(parents=True)
    (root / "nbgrader_config.py").write_text(course_config(cell_timeout))
    (root / "source" / chapter).mkdir(parents=True)
    shutil.copy(source_notebook, root / "source" / chapter / source_notebook.name)
    bindir = Path(sys.executable).parent
    proc = subprocess.run([str(bindir / "nbgrader"), "generate_assignment", chapter, "--force"],
                          cwd=root, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}"))
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader could not generate {chapter}: {proc.stderr[-300:]}")
    return root
