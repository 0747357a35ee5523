"""Grading on an existing Dask cluster (``python -m homework grade ... --scheduler ADDRESS``).

Each (student, chapter) job is one Dask task, :func:`grade_on_worker`: it receives plain data
(the instructor's notebook without outputs, the student's file as bytes, the options) and
returns the trusted grader's record as plain data. On the worker it does exactly what a local
run does (:func:`homework.course.grade_payload`): a trusted grader process of its own, which
starts the student's kernel in the bubblewrap sandbox of *that* machine. Every worker therefore
needs this project installed (the same checkout, checked by :func:`homework.course.code_fingerprint`
before grading starts and again in every job) and bubblewrap; the machine that submits the jobs
needs neither a sandbox nor CPU.

Failures:

* a job whose worker dies is given to another worker by the scheduler; after
  ``distributed.scheduler.allowed-failures`` + 1 deaths (set it to 1 on the scheduler: two tries)
  it fails with ``KilledWorker`` and its row says so in the ``error`` column;
* a job that raises (a full disk, a worker without the sandbox) is retried once (``retries=1``)
  and then reported the same way;
* nothing is retried forever, and ``--resume`` grades the failed jobs again.

Only ``2 × (threads in the cluster)`` jobs are submitted at a time, so the scheduler never
holds a whole course's notebooks in memory, and Ctrl-C leaves little to cancel.
"""
from __future__ import annotations

import itertools
import sys
import uuid
from pathlib import Path

from .course import code_fingerprint, grade_payload


def grade_on_worker(payload: dict):
    """The Dask task: the record of one job and the address of the worker that graded it."""
    from distributed import get_worker

    from .sandbox import SandboxUnavailable, check_sandbox

    why = check_sandbox()
    if why:  # never grade unisolated on a cluster
        raise SandboxUnavailable(f"no sandbox on this worker: {why}")
    return grade_payload(dict(payload, unsafe=False)), get_worker().address


def worker_report() -> dict:
    """Run on every worker before grading: its grader version and sandbox."""
    from .sandbox import check_sandbox

    return {"code": code_fingerprint(), "sandbox": check_sandbox()}


def _allowed_failures(dask_scheduler=None):
    return dask_scheduler.allowed_failures


def describe(exc: BaseException) -> str:
    """The ``error`` column of a job that failed on the cluster."""
    from distributed.scheduler import KilledWorker

    if isinstance(exc, KilledWorker):
        return (f"a worker died each of the {exc.allowed_failures + 1} times this notebook was "
                f"being graded (last: {exc.last_worker.address}); not retried again")
    return f"grading failed twice on the cluster: {type(exc).__name__}: {exc}"[:500]


class DaskBackend:
    """Runs the jobs of a :class:`homework.course.CourseRunner` on a Dask cluster."""

    def __init__(self, scheduler: str, connect_timeout: float = 30):
        self.scheduler, self.connect_timeout = str(scheduler), connect_timeout
        self.where = f"Dask cluster {self.scheduler}"
        self.client = None

    def connect(self):
        if self.client is None:
            from distributed import Client

            try:
                if Path(self.scheduler).is_file():  # dask scheduler --scheduler-file FILE
                    self.client = Client(scheduler_file=self.scheduler,
                                         timeout=self.connect_timeout)
                else:
                    self.client = Client(self.scheduler, timeout=self.connect_timeout)
            except (OSError, ValueError) as e:
                raise SystemExit(f"cannot reach the Dask scheduler at {self.scheduler}: {e}")
            self.where = f"Dask cluster {self.client.scheduler.address}"
        return self.client

    def check(self) -> None:
        """Refuse to start unless the cluster has workers, all with this grader and a sandbox."""
        client = self.connect()
        try:
            client.wait_for_workers(1, timeout=self.connect_timeout)
        except TimeoutError:
            raise SystemExit(f"the Dask cluster at {self.scheduler} has no workers") from None
        try:
            reports = client.run(worker_report)
        except Exception as e:
            raise SystemExit("the Dask workers cannot run the grader (is this project "
                             f"installed on every worker?): {type(e).__name__}: {e}") from None
        mine = code_fingerprint()
        other = sorted(a for a, r in reports.items() if r["code"] != mine)
        if other:
            raise SystemExit("these Dask workers run a different version of the grader, nnlib "
                             "or numpy; install the same checkout everywhere: " + ", ".join(other))
        unsafe = {a: r["sandbox"] for a, r in reports.items() if r["sandbox"]}
        if unsafe:
            raise SystemExit("these Dask workers cannot build the sandbox: " + "; ".join(
                f"{a}: {why}" for a, why in sorted(unsafe.items())))
        try:
            allowed = client.run_on_scheduler(_allowed_failures)
        except Exception:  # a scheduler that refuses to run functions: only the warning is lost
            allowed = None
        if allowed is not None and allowed > 1:
            print(f"note: this scheduler gives a job whose worker dies {allowed + 1} tries; "
                  "start it with DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=1 for two",
                  file=sys.stderr)

    def _window(self) -> int:
        return max(2, 2 * sum(self.client.nthreads().values()))

    def run(self, payloads, done) -> None:
        """Submit ``payloads`` (an iterator of (key, payload)) a window at a time; call
        ``done(key, record, worker)`` in this thread as each finishes or fails for good."""
        from distributed import as_completed

        client = self.connect()
        payloads = iter(payloads)
        pending: dict = {}  # Dask future → job key
        finished = as_completed()

        def submit(n: int) -> None:
            for key, payload in itertools.islice(payloads, max(0, n)):
                future = client.submit(grade_on_worker, payload, pure=False, retries=1,
                                       key=f"grade-{key}-{uuid.uuid4().hex[:8]}")
                pending[future] = key
                finished.add(future)

        try:
            submit(self._window())
            for future in finished:
                key = pending.pop(future)
                if future.status == "finished":
                    record, worker = future.result()
                else:
                    try:
                        exc = future.exception()
                    except Exception as e:  # cancelled by the cluster (a restarted scheduler)
                        exc = e
                    record, worker = {"error": describe(exc)}, ""
                future.release()
                done(key, record, worker)
                submit(self._window() - len(pending))
        except BaseException:
            # Ctrl-C: forget the queued jobs; the ones running finish on their workers unseen
            client.cancel(list(pending))
            raise

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
