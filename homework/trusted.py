"""The trusted side of grading one (student, chapter): checks run here, never in the student's
kernel.

``python -m homework.trusted JOB.json RESULT.json`` grades one notebook in a fresh process and
writes a plain result record (see :func:`grade`). It

1. starts the student's kernel in the sandbox (:mod:`homework.sandbox`) and sends it the
   student's own cells to run, except the test cells;
2. runs the instructor's notebook itself, in this process: every cell that is neither a solution
   nor a test (so the chapter's own variables — a weight matrix, a trained network — are the
   instructor's, computed here), skipping the solution cells;
3. at each graded test cell, waits until the student's kernel has run the student's solution
   cells up to that exercise, then runs the *instructor's* test source (hidden tests included,
   whatever the student did to their copy) here. The names the instructor's solution cells define
   (``neuron``, ``shape_W1``) are the only ones taken from the student: a variable is read as
   plain data, a function becomes a :class:`StudentFunction` that sends plain-data arguments to
   the kernel and receives plain data back. nnlib, numpy, ``expect_*`` and every expected value
   are this process's own, so patching them in the kernel changes nothing here.

A test cell earns its points when its visible and hidden parts both run without an exception.
Each cell has a time budget (the kernel interrupts a call at the budget; a kernel that does not
answer 5 s later is killed, and the exercises after it get 0 points); the whole notebook has one
too.
"""
from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import signal
import sys
import time
from pathlib import Path

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
GRACE = 5.0  # seconds a kernel may overrun its budget before it is killed


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def cell_kind(cell) -> str:
    """'text', 'solution', 'test' or 'chapter' (any other code cell)."""
    if cell.get("cell_type") != "code":
        return "text"
    meta = nbgrader_meta(cell)
    if meta.get("solution"):
        return "solution"
    if meta.get("grade"):
        return "test"
    return "chapter"


def source_of(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def defined_names(source: str) -> list[str]:
    """Top-level names a solution cell binds (assignments, ``def``, ``class``, loop targets;
    not imports: a module is not an answer)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names: list[str] = []

    def targets(node):
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for e in node.elts:
                targets(e)
        elif isinstance(node, ast.Starred):
            targets(node.value)

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                targets(t)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets(node.target)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            targets(node.target)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    targets(item.optional_vars)
    return list(dict.fromkeys(names))


def split_hidden(source: str) -> tuple[str, str]:
    """(visible part, hidden part) of a test cell; the hidden part keeps its markers."""
    head, sep, tail = source.partition(HIDDEN_BEGIN)
    if not sep:
        return source, ""
    hidden = sep + tail
    try:
        compile(head, "<visible>", "exec")
        compile(hidden, "<hidden>", "exec")
    except SyntaxError:  # markers inside an indented block: run the cell as one piece
        return source, ""
    return head, hidden


class StudentError(Exception):
    """The student's function raised, timed out, or returned something unreadable."""


class KernelGone(Exception):
    """The student's kernel is dead (it exited, was killed, or broke the channel)."""


class TrustedTimeout(BaseException):
    pass


@contextlib.contextmanager
def alarm(seconds: float):
    def on_alarm(signum, frame):
        raise TrustedTimeout(f"took longer than {seconds:g} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(0.01, seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


class Kernel:
    """The grader's handle on the student's kernel: plain-data requests with deadlines."""

    def __init__(self, box: Path, limits, unsafe: bool, start_timeout: float = 60):
        from .channel import Channel
        from .sandbox import start_kernel

        self.proc = start_kernel(box, limits, unsafe)
        self.chan = Channel(self.proc.stdout.fileno(), self.proc.stdin.fileno())
        self.dead = ""
        self.deadline = time.monotonic() + start_timeout
        self._callbacks: dict[int, object] = {}
        msg = self._recv(time.monotonic() + start_timeout)
        if msg.get("op") != "ready":
            self.kill("the kernel did not start")
            raise KernelGone(self.dead)

    # -- plumbing
    def kill(self, why: str) -> None:
        from .sandbox import stop_kernel

        if not self.dead:
            self.dead = why
        stop_kernel(self.proc)

    def _recv(self, deadline: float) -> dict:
        from .channel import ChannelError, KernelDied

        if self.dead:
            raise KernelGone(self.dead)
        try:
            return self.chan.recv(deadline)
        except TimeoutError:
            self.kill("the kernel stopped answering (time limit) and was stopped")
        except KernelDied:
            self.kill("the kernel died")
        except ChannelError as e:
            self.kill(f"the kernel sent something the grader cannot read ({e})")
        raise KernelGone(self.dead)

    def _send(self, msg: dict) -> None:
        from .channel import KernelDied

        if self.dead:
            raise KernelGone(self.dead)
        try:
            self.chan.send(msg)
        except KernelDied:
            self.kill("the kernel died")
            raise KernelGone(self.dead) from None

    def budget(self) -> float:
        return max(0.01, self.deadline - time.monotonic())

    # -- requests
    def start_run(self, cells: list[str], cell_timeout: float) -> None:
        self._send({"op": "run", "cells": cells, "timeout": cell_timeout})

    def finish_run(self, cell_timeout: float, deadline: float) -> list:
        """Wait for the cells sent by ``start_run``: each must finish within ``cell_timeout``
        (plus grace) of the previous one, all by ``deadline``."""
        while True:
            reply = self._recv(min(deadline, time.monotonic() + cell_timeout + GRACE))
            if reply.get("op") != "progress":
                errors = reply.get("errors")
                return errors if isinstance(errors, list) else []

    def get(self, names: list[str]) -> dict:
        from .channel import ChannelError, decode

        self._send({"op": "get", "names": names})
        reply = self._recv(time.monotonic() + self.budget() + GRACE)
        answers = reply.get("names") if isinstance(reply.get("names"), dict) else {}
        out = {}
        for name in names:
            a = answers.get(name)
            kind = a.get("kind") if isinstance(a, dict) else None
            if kind == "value":
                try:
                    out[name] = ("value", decode(a.get("value"), None, functions=False))
                except ChannelError as e:
                    out[name] = ("unreadable", str(e))
                except Exception as e:  # e.g. a network nnlib refuses to rebuild
                    out[name] = ("unreadable", f"{type(e).__name__}: {e}")
            elif kind == "function":
                out[name] = ("function", StudentFunction(self, name))
            elif kind == "unreadable":
                out[name] = ("unreadable", str(a.get("why", ""))[:300])
            else:
                out[name] = ("missing", None)
        return out

    def call(self, name: str, args: tuple, kwargs: dict):
        import numpy as np

        from .channel import ChannelError, Unencodable, decode, encode

        def register(fn):
            self._callbacks[len(self._callbacks)] = fn
            return len(self._callbacks) - 1

        try:
            msg = {"op": "call", "name": name, "args": encode(list(args), register),
                   "kwargs": encode(dict(kwargs), register), "timeout": self.budget()}
        except Unencodable as e:
            raise TypeError(f"the grader cannot send {e} to {name}()") from None
        self._send(msg)
        while True:
            reply = self._recv(time.monotonic() + self.budget() + GRACE)
            if reply.get("op") == "callback":
                self._send(self._run_callback(reply))
                continue
            break
        if not reply.get("ok"):
            raise StudentError(f"{name}(...) failed: {str(reply.get('error', ''))[:400]}")
        try:
            value = decode(reply.get("value"), None, functions=False)
            writeback = reply.get("writeback") or []
            for item in writeback if isinstance(writeback, list) else []:
                i, data = item
                target, new = args[int(i)], decode(data, None, functions=False)
                if type(target) is np.ndarray and type(new) is np.ndarray \
                        and new.shape == target.shape and target.flags.writeable:
                    target[...] = new  # the student's function changed its argument in place
        except (ChannelError, ValueError, TypeError, IndexError) as e:
            raise StudentError(f"{name}(...) returned something the grader cannot read: {e}")
        except Exception as e:
            raise StudentError(f"{name}(...) returned something the grader cannot use: "
                               f"{type(e).__name__}: {e}") from None
        return value

    def _run_callback(self, msg) -> dict:
        from .channel import ChannelError, Unencodable, decode, encode

        fn = self._callbacks.get(msg.get("id"))
        if fn is None:
            return {"ok": False, "error": "no such call-back"}
        try:
            args = decode(msg.get("args", []), None, functions=False)
            kwargs = decode(msg.get("kwargs", {"$d": []}), None, functions=False)
            if type(args) is not list or type(kwargs) is not dict \
                    or not all(type(k) is str for k in kwargs):
                raise ChannelError("malformed call-back arguments")
            return {"ok": True, "value": encode(fn(*args, **kwargs))}
        except TrustedTimeout:
            raise
        except (ChannelError, Unencodable) as e:
            return {"ok": False, "error": str(e)}
        except Exception as e:
            return {"ok": False, "error": f"{type(e).__name__}: {e}"}


class StudentFunction:
    """A function defined in the student's notebook, called through the channel."""

    def __init__(self, kernel: Kernel, name: str):
        self._kernel, self._name = kernel, name
        self.__name__ = name

    def __call__(self, *args, **kwargs):
        return self._kernel.call(self._name, args, kwargs)

    def __repr__(self) -> str:
        return f"<function {self._name} of the student's notebook>"


def _message(e: BaseException) -> str:
    from nnlib.exercises import ExerciseFailed

    if isinstance(e, ExerciseFailed):
        return str(e)
    if isinstance(e, StudentError):
        return str(e)
    if isinstance(e, KernelGone):
        return f"Not graded: {e}"
    if isinstance(e, TrustedTimeout):
        return f"The checks {e} and were stopped."
    if isinstance(e, NameError):
        return f"{e}: define it in your solution cell (and check that the cell runs)"
    return f"{type(e).__name__}: {e}"[:500]


def grade(job: dict) -> dict:
    """Grade one notebook; ``job`` and the result are plain dicts.

    job: ``source`` (the instructor's notebook), ``submission``, ``box`` (a fresh folder for the
    sandbox), ``student``, ``cell_timeout``, ``notebook_timeout``, ``memory``, ``unsafe``,
    ``show_hidden`` (show the hidden checks' failure messages).
    result: ``student``, ``chapter``, ``scores``/``max_scores``/``messages`` (per test cell's
    grade_id), ``error``, ``student_cells`` ([run, total]), ``seconds``.
    """
    import nbformat

    from .sandbox import Limits

    start = time.monotonic()
    source_path, submission = Path(job["source"]), Path(job["submission"])
    chapter = source_path.stem
    cell_timeout = float(job.get("cell_timeout", 30))
    notebook_deadline = start + float(job.get("notebook_timeout", 900))
    result = {"student": job.get("student", ""), "chapter": chapter, "scores": {},
              "max_scores": {}, "messages": {}, "error": "", "student_cells": [0, 0],
              "seconds": 0.0}

    source = nbformat.read(source_path, as_version=4)
    cells = source.cells
    tests = [i for i, c in enumerate(cells) if cell_kind(c) == "test"]
    for i in tests:
        meta = nbgrader_meta(cells[i])
        result["max_scores"][meta["grade_id"]] = float(meta.get("points", 0))
        result["scores"][meta["grade_id"]] = 0.0
    try:
        with open(submission, "rb") as f:
            raw = f.read(64 * 2**20 + 1)
        if len(raw) > 64 * 2**20:
            raise ValueError("larger than 64 MiB")
        theirs = nbformat.reads(raw.decode("utf-8"), as_version=4)
        student_cells = [(source_of(c), nbgrader_meta(c).get("grade_id")) for c in theirs.cells
                         if c.get("cell_type") == "code" and cell_kind(c) != "test"]
    except Exception as e:
        result["error"] = f"not a readable notebook ({type(e).__name__}: {str(e)[:120]})"
        return _finish(result, start)

    # Where the student's kernel must have got to before each test: past every student cell
    # that holds one of the solutions the instructor's notebook has before that test.
    position = {gid: i for i, (_, gid) in enumerate(student_cells) if gid}
    targets, solutions, reached = [], set(), 0
    for i, c in enumerate(cells):
        if cell_kind(c) == "solution":
            solutions.add(nbgrader_meta(c).get("grade_id"))
        elif i in tests:
            reached = max([reached] + [position[g] + 1 for g in solutions if g in position])
            targets.append(reached)
    result["student_cells"][1] = len(student_cells)

    box = Path(job["box"])
    box.mkdir(parents=True, exist_ok=True)
    (box / submission.name).write_bytes(raw)
    limits = Limits(memory=int(job.get("memory", 2 * 2**30)),
                    cpu_seconds=int(float(job.get("notebook_timeout", 900))) + 60)
    kernel = None
    try:
        kernel = Kernel(box, limits, bool(job.get("unsafe")))
    except KernelGone as e:
        result["error"] = f"the student's kernel did not start: {e}"
    except Exception as e:  # the sandbox is unavailable: the caller checked, so this is rare
        result["error"] = f"the student's kernel did not start: {type(e).__name__}: {e}"
    try:
        if kernel is not None:
            _run_chapter(cells, tests, targets, student_cells, kernel, result, cell_timeout,
                         notebook_deadline, bool(job.get("show_hidden")))
    finally:
        if kernel is not None:
            if kernel.dead and not result["error"]:
                result["error"] = kernel.dead
            kernel.kill("")
    return _finish(result, start)


def _finish(result: dict, start: float) -> dict:
    result["seconds"] = round(time.monotonic() - start, 3)
    return result


def _run_chapter(cells, tests, targets, student_cells, kernel, result, cell_timeout,
                 notebook_deadline, show_hidden) -> None:
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    ns = shell.user_ns
    last_test = tests[-1] if tests else -1
    names: list[str] = []
    ran = 0  # student cells sent so far
    pending = False

    def send_next(k):
        nonlocal ran, pending
        if k < len(targets) and targets[k] > ran and not kernel.dead:
            try:
                kernel.start_run([s for s, _ in student_cells[ran:targets[k]]], cell_timeout)
                pending = (ran, targets[k])
            except KernelGone:
                pending = False
            ran = targets[k]

    send_next(0)
    k = 0
    for i, cell in enumerate(cells[:last_test + 1]):
        kind = cell_kind(cell)
        if kind == "solution":
            names += [n for n in defined_names(source_of(cell)) if n not in names]
            continue
        if kind == "chapter":
            if time.monotonic() > notebook_deadline:
                continue
            with contextlib.redirect_stdout(io.StringIO()), \
                    contextlib.redirect_stderr(io.StringIO()):
                try:
                    with alarm(cell_timeout):
                        shell.run_cell(source_of(cell), store_history=False, silent=True)
                except TrustedTimeout:
                    pass
            continue
        if kind != "test":
            continue
        gid = nbgrader_meta(cell)["grade_id"]
        msg = _grade_test(cell, gid, k, kernel, ns, names, cell_timeout, notebook_deadline,
                          pending, result, show_hidden)
        result["messages"][gid] = msg
        pending = False
        k += 1
        send_next(k)
    result["student_cells"][0] = ran


def _grade_test(cell, gid, k, kernel, ns, names, cell_timeout, notebook_deadline, pending,
                result, show_hidden) -> str:
    now = time.monotonic()
    if now > notebook_deadline:
        return "Not graded: the notebook's time budget was used up before this exercise."
    try:
        if pending:
            kernel.finish_run(cell_timeout, notebook_deadline + GRACE)
        kernel.deadline = min(notebook_deadline, time.monotonic() + cell_timeout)
        for name, (kind, value) in kernel.get(names).items():
            if kind in ("value", "function"):
                ns[name] = value
            else:
                ns.pop(name, None)
                if kind == "unreadable":
                    ns[name] = _Unreadable(name, value)
    except KernelGone as e:
        return _message(e)
    visible, hidden = split_hidden(source_of(cell))
    for part, label in ((visible, "visible"), (hidden, "hidden")):
        if not part.strip():
            continue
        try:
            with contextlib.redirect_stdout(io.StringIO()), \
                    contextlib.redirect_stderr(io.StringIO()):
                with alarm(max(0.01, kernel.deadline - time.monotonic()) + 2 * GRACE):
                    exec(compile(part, f"<checks of {gid}>", "exec"), ns)
        except BaseException as e:
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            if label == "visible" or show_hidden:
                return _message(e)
            return ("Your answer passes the visible checks but not the hidden ones: test it on "
                    "other inputs (the edge cases the exercise mentions).")
    result["scores"][gid] = result["max_scores"][gid]
    return "All checks passed."


class _Unreadable:
    """Stands for a student's variable the grader could not read; any use fails the check with
    the reason."""

    def __init__(self, name, why):
        self._text = f"{name} could not be read from your notebook: {why}"

    def _fail(self, *args, **kwargs):
        from nnlib.exercises import ExerciseFailed

        raise ExerciseFailed(self._text)

    __getattr__ = __call__ = __len__ = __iter__ = __getitem__ = __eq__ = __ne__ = _fail
    __lt__ = __le__ = __gt__ = __ge__ = __bool__ = __float__ = __int__ = __array__ = _fail
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = _fail
    __hash__ = None


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    job = json.loads(Path(argv[0]).read_text())
    # The chapter's prints and plots must not reach our caller: stdout/stderr go to /dev/null.
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 1)
    os.dup2(null, 2)
    try:
        result = grade(job)
    except Exception as e:
        result = {"student": job.get("student", ""), "chapter": Path(job["source"]).stem,
                  "scores": {}, "max_scores": {}, "messages": {},
                  "error": f"grading failed: {type(e).__name__}: {e}"}
    out = Path(argv[1])
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result))
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
