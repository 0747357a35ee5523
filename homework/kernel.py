"""The student's kernel: runs a student's cells inside the sandbox and answers the grader's
questions about the names they defined, as plain data.

This file and :mod:`channel` are all the grader code mounted into the sandbox (read-only). It is
*not* trusted: the student's code runs in this process and may change anything in it, including
this loop. That is fine, because nothing it says is believed except as the student's answer: the
grader decodes every reply into plain data (:mod:`homework.channel`) and does all comparisons on
its side. Requests (one JSON object per line on stdin, replies on stdout):

* ``{"op": "run", "cells": [source, ...], "timeout": s}`` — run cells in IPython, each with a
  time limit; ``{"op": "progress"}`` after each cell, then ``{"ok": true, "errors": [null or
  "ErrorType", ...]}``;
* ``{"op": "get", "names": [...]}`` — for each name ``{"kind": "missing" | "function" | "value" |
  "unreadable", "value": ..., "why": ...}``;
* ``{"op": "call", "name": n, "args": [...], "kwargs": {...}, "timeout": s}`` — call a function the
  student defined; reply ``{"ok": true, "value": ..., "writeback": [[i, array], ...]}`` (array
  arguments the function changed in place) or ``{"ok": false, "error": "..."}``. While it runs the
  function may call back functions the grader passed: ``{"op": "callback", "id": i, "args": ...}``.
"""
from __future__ import annotations

import os
import signal
import sys

from channel import Channel, KernelDied, Unencodable, decode, encode  # noqa: E402 (same folder)


class CellTimeout(BaseException):
    """Raised in the student's code when its time is up (a BaseException, so that a bare
    ``except Exception`` in a student's loop does not swallow it)."""


def _on_alarm(signum, frame):
    raise CellTimeout("time limit reached")


class _Alarm:
    def __init__(self, seconds: float):
        self.seconds = max(0.01, float(seconds))

    def __enter__(self):
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)


def _error_text(e: BaseException, limit: int = 400) -> str:
    try:
        text = f"{type(e).__name__}: {e}"
    except BaseException:  # a student's exception whose str() fails
        text = "an exception"
    return text[:limit]


def _shell():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    return InteractiveShell.instance(config=config)


def serve(chan: Channel) -> None:
    shell = _shell()

    def stub(cid):
        def call_back(*args, **kwargs):
            chan.send({"op": "callback", "id": cid, "args": encode(list(args)),
                       "kwargs": encode(kwargs)})
            reply = chan.recv()
            if not reply.get("ok"):
                raise RuntimeError(str(reply.get("error"))[:400])
            return decode(reply.get("value"), stub)
        return call_back

    chan.send({"op": "ready", "pid": os.getpid()})
    while True:
        try:
            msg = chan.recv()
        except KernelDied:
            return
        op = msg.get("op")
        if op == "run":
            errors = []
            for source in msg.get("cells", []):
                try:
                    with _Alarm(msg.get("timeout", 30)):
                        result = shell.run_cell(str(source), store_history=False)
                    err = result.error_before_exec or result.error_in_exec
                    errors.append(type(err).__name__ if err is not None else None)
                except BaseException as e:  # a timeout between two statements of IPython
                    errors.append(type(e).__name__)
                chan.send({"op": "progress", "cells": len(errors)})
            chan.send({"ok": True, "errors": errors})
        elif op == "get":
            answers = {}
            for name in msg.get("names", []):
                name = str(name)
                if name not in shell.user_ns:
                    answers[name] = {"kind": "missing"}
                    continue
                value = shell.user_ns[name]
                try:
                    answers[name] = {"kind": "value", "value": encode(value)}
                except Unencodable as e:
                    answers[name] = ({"kind": "function"} if callable(value) and not isinstance(
                        value, type) else {"kind": "unreadable", "why": str(e)})
                except BaseException as e:
                    answers[name] = {"kind": "unreadable", "why": _error_text(e)}
            chan.send({"ok": True, "names": answers})
        elif op == "call":
            chan.send(_call(shell, msg, stub))
        elif op == "bye":
            return


def _call(shell, msg, stub) -> dict:
    import numpy as np

    name = str(msg.get("name"))
    fn = shell.user_ns.get(name)
    if fn is None or not callable(fn):
        return {"ok": False, "error": f"NameError: {name} is not a function in your notebook"}
    try:
        args = decode(msg.get("args", []), stub)
        kwargs = decode(msg.get("kwargs", {"$d": []}), stub)
        before = {i: a.copy() for i, a in enumerate(args) if type(a) is np.ndarray}
        with _Alarm(msg.get("timeout", 30)):
            value = fn(*args, **kwargs)
        out = {"ok": True, "value": encode(value)}
        out["writeback"] = [[i, encode(args[i])] for i, a in before.items()
                            if not (args[i].shape == a.shape and np.array_equal(args[i], a,
                                                                                equal_nan=True))]
        return out
    except CellTimeout:
        return {"ok": False, "error": "TimeoutError: the call took longer than its time limit",
                "timeout": True}
    except Unencodable as e:
        return {"ok": False, "error": f"the function returned {e}, which the grader cannot read; "
                                      "return numbers, strings, lists, tuples or numpy arrays"}
    except BaseException as e:
        return {"ok": False, "error": _error_text(e)}


def main() -> None:
    # The channel gets private copies of stdin/stdout; the student's prints go to /dev/null.
    read_fd, write_fd = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    sys.stdin = open(os.devnull)
    sys.stdout = sys.stderr = open(os.devnull, "w")
    serve(Channel(read_fd, write_fd))


if __name__ == "__main__":
    main()
