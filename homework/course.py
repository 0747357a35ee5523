"""Grading a whole course: a progress bar, a record on disk per finished job, resume after a
crash, and the choice of where the jobs run (threads here, or a Dask cluster: :mod:`.cluster`).

The planning (which (student, chapter) jobs there are, which notebooks are missing) and the
assembly (``grades.csv``, feedback pages) stay in :func:`homework.grade.grade_submissions`;
this module is its ``runner``. For each job it

1. describes the job by what decides its grade: the student, the chapter, the sha256 of the
   instructor's notebook without outputs, of the submission and of the grader's code
   (:func:`code_fingerprint`), and the grading options (:func:`job_meta`);
2. with ``resume``, skips the job if ``<out>/jobs/<student>__<chapter>.json`` holds a finished
   record of that same description; otherwise it runs :func:`grade_payload` (a pure function of
   plain data: the same on this machine and on a Dask worker, where it starts the trusted grader,
   which starts the sandboxed kernel, as :func:`homework.grade.grade_job` does everywhere);
3. writes each record the moment it arrives, atomically (temporary file, ``fsync``, rename), and
   appends one line to ``<out>/jobs/log.jsonl``;
4. at the end reads every record back from ``jobs/`` — the records the trusted grader returned,
   written by this process into a folder no sandbox sees — and hands them to the assembly, which
   writes ``grades.csv`` atomically.

So a grader killed at any moment (Ctrl-C, SIGKILL, a crashed machine) loses only the jobs in
flight, and ``--resume`` gives the ``grades.csv`` of an uninterrupted run.

A record is *failed* when the grading itself broke rather than the student's notebook: the
trusted grader crashed or overran its outer time limit (a record without the chapter's
exercises), or the job raised or lost its worker twice on a cluster. Failed jobs are written
too (their error goes into the ``error`` column) and ``--resume`` grades them again.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .config import CELL_TIMEOUT

HERE = Path(__file__).resolve().parent
MAX_NOTEBOOK_BYTES = 64 * 2**20  # what the trusted grader reads at most (it reports larger ones)
OPTIONS = ("cell_timeout", "notebook_timeout", "memory", "unsafe", "show_hidden")


# -- what decides a grade ------------------------------------------------------------------------

def code_fingerprint() -> str:
    """sha256 of the grader's and nnlib's source files, numpy's and Python's versions: two
    machines with the same fingerprint grade a notebook alike."""
    import numpy
    import nnlib

    h = hashlib.sha256()
    for package in (HERE, Path(nnlib.__file__).resolve().parent):
        for path in sorted(package.rglob("*.py")):
            h.update(f"{package.name}/{path.relative_to(package)}\0".encode())
            h.update(path.read_bytes())
    h.update(f"numpy {numpy.__version__}; python {sys.version_info[:2]}".encode())
    return h.hexdigest()


def instructor_source(path: Path) -> str:
    """The instructor's notebook as grading needs it: cells and metadata, without outputs (a
    chapter's stored figures are most of its size, and grading never reads them)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.pop("attachments", None)
    return nbformat.writes(nb)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def job_key(student: str, chapter: str) -> str:
    return f"{student}__{chapter}"


def job_meta(job: dict, source_sha256: str, code: str) -> dict:
    """What decides the grade of a job dict of :func:`homework.grade.grade_submissions`."""
    return {"student": job["student"], "chapter": Path(job["source"]).stem,
            "source_sha256": source_sha256,
            "submission_sha256": _sha256_file(Path(job["submission"])), "code": code,
            "options": {k: job.get(k) for k in OPTIONS}}


def is_failed(record: dict) -> bool:
    """True when the grading broke, not the notebook: a graded record always lists the chapter's
    exercises (the trusted grader reads the instructor's notebook before anything else)."""
    return bool(record.get("error")) and not record.get("max_scores")


# -- the job function ------------------------------------------------------------------------

def grade_payload(payload: dict) -> dict:
    """Grade one job from plain data, on whatever machine runs it (a Dask worker included).

    ``payload``: ``student``, ``source_name`` (the chapter's file name), ``source`` (the
    instructor's notebook as text), ``submission`` (the student's file as bytes), ``code`` (the
    fingerprint of the grader that planned the job) and the options of :data:`OPTIONS`.
    The files go into a private temporary folder (mode 0700); :func:`homework.grade.grade_job`
    grades them — a trusted process of its own that starts the student's kernel in the sandbox —
    and everything is removed afterwards. Returns the trusted grader's record."""
    from .grade import grade_job

    if payload["code"] != code_fingerprint():
        raise RuntimeError("this machine runs a different version of the grader, nnlib or "
                           "numpy than the one that planned the job: install the same checkout "
                           "on every worker")
    job_name = re.sub(r"[^A-Za-z0-9._-]", "_",  # named after the job: `ps` tells what runs
                      f"{payload['student']}--{Path(payload['source_name']).stem}")
    tmp = Path(tempfile.mkdtemp(prefix=f"nnfs-grading-{job_name}-"))
    try:
        name = Path(payload["source_name"]).name
        (tmp / "instructor").mkdir()
        (tmp / "submission").mkdir()
        (tmp / "instructor" / name).write_text(payload["source"])
        (tmp / "submission" / name).write_bytes(payload["submission"])
        job = {"student": payload["student"], "source": str(tmp / "instructor" / name),
               "submission": str(tmp / "submission" / name), "box": str(tmp / "box"),
               **{k: payload[k] for k in OPTIONS}}
        return grade_job(job)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# -- the records on disk ---------------------------------------------------------------------

class JobStore:
    """One JSON file per finished job in ``folder``, written atomically, and an append-only log
    ``log.jsonl`` of every job finished (one line each)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def load(self, key: str) -> dict | None:
        try:
            entry = json.loads(self.path(key).read_text())
        except (OSError, ValueError):
            return None
        return entry if isinstance(entry, dict) and isinstance(entry.get("record"), dict) else None

    def save(self, key: str, entry: dict) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{key}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(entry, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path(key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        line = json.dumps({"job": key, "status": entry["status"], "worker": entry["worker"],
                           "seconds": entry["record"].get("seconds", 0.0),
                           "finished": entry["finished"]})
        with open(self.folder / "log.jsonl", "a") as f:
            f.write(line + "\n")
        dir_fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself survives a crash of the machine
        finally:
            os.close(dir_fd)

    def clear(self) -> None:
        if self.folder.is_dir():
            for path in self.folder.iterdir():
                if path.suffix in (".json", ".jsonl", ".tmp") and path.is_file():
                    path.unlink()


class _Signals:
    """While grading, SIGINT and SIGTERM raise KeyboardInterrupt in the main thread, but never
    between writing a job's record and its log line: there they wait until both are written."""

    def __init__(self):
        self.depth, self.pending, self.saved = 0, False, {}

    def _handler(self, signum, frame):
        if self.depth:
            self.pending = True
        else:
            raise KeyboardInterrupt

    def __enter__(self):
        import threading

        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.saved[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc):
        for sig, old in self.saved.items():
            signal.signal(sig, old)

    def critical(self):
        signals = self

        class Critical:
            def __enter__(self):
                signals.depth += 1

            def __exit__(self, *exc):
                signals.depth -= 1
                if not signals.depth and signals.pending and exc[0] is None:
                    signals.pending = False
                    raise KeyboardInterrupt

        return Critical()


# -- running the jobs here -----------------------------------------------------------------

class LocalBackend:
    """``workers`` jobs at once on this machine: threads, each supervising the trusted grader
    process of its job (the work is in those processes, so threads cost nothing)."""

    where = "this machine"

    def __init__(self, workers: int = 2, unsafe: bool = False):
        self.workers, self.unsafe = max(1, int(workers)), unsafe

    def check(self) -> None:
        from .sandbox import check_sandbox

        why = check_sandbox()
        if why and not self.unsafe:
            raise SystemExit(f"refusing to grade without a sandbox: {why}. Install bubblewrap, "
                             "or pass --unsafe-no-sandbox to run students' code unisolated (see "
                             "the instructors' page)")

    def run(self, payloads, done) -> None:
        """Run ``payloads`` (an iterator of (key, payload)); call ``done(key, record, worker)``
        in this thread as each finishes. At most 2 × workers payloads are read at a time."""
        pool = ThreadPoolExecutor(max_workers=self.workers)
        running: dict = {}
        payloads = iter(payloads)
        try:
            while True:
                for key, payload in payloads:
                    running[pool.submit(_guarded, grade_payload, payload)] = key
                    if len(running) >= 2 * self.workers:
                        break
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    done(running.pop(future), future.result(), "local")
        except BaseException:
            # Ctrl-C: drop the queue, stop the graders in flight (their records are not kept)
            pool.shutdown(wait=False, cancel_futures=True)
            while not all(f.done() for f in running):  # (a thread may be starting one now)
                stop_trusted_children()
                wait(running, timeout=0.2)
            pool.shutdown(wait=True)
            raise
        pool.shutdown(wait=True)


def _guarded(fn, payload) -> dict:
    """``fn(payload)``, an exception turned into a failed record."""
    try:
        return fn(payload)
    except Exception as e:
        return {"error": f"grading failed: {type(e).__name__}: {e}"[:500]}


def stop_trusted_children() -> None:
    """Kill the trusted grader processes this process started, with their sandboxes (each is
    the leader of its own session; its sandbox dies with it)."""
    import psutil

    for child in psutil.Process().children():
        try:
            if "homework.trusted" in " ".join(child.cmdline()):
                os.killpg(child.pid, signal.SIGKILL)
        except (psutil.Error, ProcessLookupError, PermissionError):
            pass


# -- the runner --------------------------------------------------------------------------------

@dataclass
class RunStats:
    jobs: int = 0        # (student, chapter) jobs with a notebook to grade
    resumed: int = 0     # taken from an earlier run's records
    graded: int = 0      # graded in this run
    failed: int = 0      # records whose grading broke (after this run)
    seconds: float = 0.0
    where: str = ""


class CourseRunner:
    """The ``runner`` of :func:`homework.grade.grade_submissions`: resume, progress, records on
    disk, and the backend that runs the jobs (:class:`LocalBackend` or
    :class:`homework.cluster.DaskBackend`)."""

    def __init__(self, out_dir, backend, *, resume: bool = False, progress: bool = True):
        self.store = JobStore(Path(out_dir) / "jobs")
        self.backend, self.resume, self.progress = backend, resume, progress
        self.stats = RunStats(where=backend.where)

    def check(self) -> None:
        self.backend.check()

    def __call__(self, jobs: list[dict]) -> list[dict]:
        from tqdm import tqdm

        start = time.perf_counter()
        if not self.resume:
            self.store.clear()
        code = code_fingerprint()
        sources: dict[str, tuple[str, str]] = {}
        metas, pending = {}, []
        for job in jobs:
            if job["source"] not in sources:
                text = instructor_source(Path(job["source"]))
                sources[job["source"]] = (text, hashlib.sha256(text.encode()).hexdigest())
            key = job_key(job["student"], Path(job["source"]).stem)
            metas[key] = job_meta(job, sources[job["source"]][1], code)
            entry = self.store.load(key) if self.resume else None
            if entry and entry.get("job") == metas[key] and entry.get("status") == "graded":
                self.stats.resumed += 1
            else:
                pending.append((key, job))
        self.stats.jobs = len(jobs)

        def payloads():
            for key, job in pending:
                with open(job["submission"], "rb") as f:
                    submission = f.read(MAX_NOTEBOOK_BYTES + 1)
                yield key, {"student": job["student"], "source_name": Path(job["source"]).name,
                            "source": sources[job["source"]][0], "submission": submission,
                            "code": code, **{k: job.get(k) for k in OPTIONS}}

        bar = tqdm(total=len(jobs), initial=self.stats.resumed, unit="notebook",
                   desc=f"grading on {self.backend.where}", disable=not self.progress,
                   file=sys.stderr, dynamic_ncols=True, smoothing=0.05)
        failed_now = 0

        signals = _Signals()

        def done(key: str, record: dict, worker: str) -> None:
            nonlocal failed_now
            failed = is_failed(record)
            with signals.critical():
                self.store.save(key, {"job": metas[key], "record": record, "worker": worker,
                                      "status": "failed" if failed else "graded",
                                      "finished": datetime.now(timezone.utc).isoformat()})
            self.stats.graded += 1
            failed_now += failed
            bar.update(1)
            if failed_now:
                bar.set_postfix(failed=failed_now)

        try:
            with signals:
                self.backend.run(payloads(), done)
        finally:
            bar.close()
        records = []
        for job in jobs:  # grades.csv is built from the records on disk, and only from them
            key = job_key(job["student"], Path(job["source"]).stem)
            entry = self.store.load(key)
            if entry is None or entry.get("job") != metas[key]:
                raise RuntimeError(f"the record of {key} is missing from {self.store.folder}")
            records.append(entry["record"])
        self.stats.failed = sum(is_failed(r) for r in records)
        self.stats.where = self.backend.where
        self.stats.seconds = time.perf_counter() - start
        return records


# -- the summary ---------------------------------------------------------------------------

ERROR_KINDS = [  # (pattern at the start of the error column, kind)
    (r"no .* submitted", "notebook not submitted"),
    (r".* is not a regular file", "not a regular file"),
    (r"student folder names", "bad student folder name"),
    (r"not a readable notebook", "unreadable notebook"),
    (r"the student's kernel did not start", "kernel did not start"),
    (r"the kernel died", "kernel died"),
    (r"the kernel stopped answering", "kernel stopped answering"),
    (r"the kernel sent something", "kernel sent unreadable data"),
    (r"the grader crashed", "grader crashed"),
    (r"grading took longer", "grading timed out"),
    (r"a worker died", "worker died twice"),
    (r"grading failed", "grading failed"),
]


def error_kind(error: str) -> str:
    for pattern, kind in ERROR_KINDS:
        if re.match(pattern, error):
            return kind
    return "other"


@dataclass
class Summary:
    rows: int                  # rows of grades.csv
    failed: int                # rows whose grading broke (--resume grades them again)
    resumed: int               # rows taken from an earlier run
    graded_now: int            # notebooks graded in this run
    seconds: float
    where: str
    errors: Counter = field(default_factory=Counter)  # kind → rows with that error

    def __str__(self) -> str:
        rate = f", {60 * self.graded_now / self.seconds:.1f} notebooks/min" \
            if self.graded_now and self.seconds else ""
        lines = [f"{self.rows} rows: {self.rows - self.failed} graded "
                 f"({self.graded_now} now on {self.where}, {self.resumed} from an earlier run), "
                 f"{self.failed} failed; {self.seconds:.1f} s{rate}"]
        if self.errors:
            lines.append("errors by kind: " + ", ".join(f"{kind} {n}" for kind, n in
                                                        sorted(self.errors.items())))
        if self.failed:
            lines.append("the failed jobs are graded again by the same command with --resume")
        return "\n".join(lines)


def summarize(results, stats: RunStats) -> Summary:
    errors = Counter(error_kind(r.error) for r in results if r.error)
    return Summary(len(results), stats.failed, stats.resumed, stats.graded, stats.seconds,
                   stats.where, errors)


def grade_course(submissions, out_dir, chapter_notebooks, *, workers: int = 2,
                 scheduler: str | None = None, resume: bool = False, progress: bool = True,
                 cell_timeout: int = CELL_TIMEOUT, notebook_timeout: float = 900,
                 memory: int = 2 * 2**30, unsafe: bool = False, show_hidden: bool = False,
                 feedback: bool = True):
    """Grade a course like :func:`homework.grade.grade_submissions`, with a record on disk per
    job (``out_dir/jobs/``), ``resume``, a progress bar, and the jobs run by ``workers`` threads
    here or, with ``scheduler`` (``tcp://HOST:PORT`` or a scheduler file), on a Dask cluster.
    Returns (results, :class:`Summary`)."""
    from .grade import grade_submissions

    if scheduler:
        from .cluster import DaskBackend

        if unsafe:
            raise SystemExit("--unsafe-no-sandbox is refused on a cluster: without the sandbox a "
                             "student's code could reach the Dask scheduler, which runs any "
                             "code it is sent")
        backend = DaskBackend(scheduler)
    else:
        backend = LocalBackend(workers, unsafe)
    runner = CourseRunner(out_dir, backend, resume=resume, progress=progress)
    try:
        results = grade_submissions(submissions, out_dir, chapter_notebooks, workers=workers,
                                    cell_timeout=cell_timeout, notebook_timeout=notebook_timeout,
                                    feedback=feedback, memory=memory, unsafe=unsafe,
                                    show_hidden=show_hidden, runner=runner)
    finally:
        close = getattr(backend, "close", None)
        if close:
            close()
    return results, summarize(results, runner.stats)
