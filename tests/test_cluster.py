"""Grading on a Dask cluster (homework/cluster.py): a real scheduler and two workers, started as
separate processes on 127.0.0.1 by `dask scheduler` / `dask worker`, grade the tiny course of
course_fixtures.py (7 students × 2 chapters) through `python -m homework grade --scheduler`.
The grades.csv must be the one of a local run, also when a worker is killed in the middle of the
run (its jobs go to the other worker, and every job is graded exactly once), and a job that fails
twice ends in the error column."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from course_fixtures import ENV, ROOT, grade_command, log_lines, trusted_of
from homework.course import error_kind, is_failed

pytestmark = [pytest.mark.homework, pytest.mark.cluster]


@pytest.fixture
def dask_cluster(tmp_path):
    """``dask scheduler`` and two ``dask worker`` processes (one thread each, no nanny, so that
    a killed worker stays dead), the scheduler allowing one worker death per job."""
    from distributed import Client

    env = dict(ENV, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1")
    dask = str(Path(sys.executable).with_name("dask"))
    scheduler_file = tmp_path / "scheduler.json"
    procs = {}

    def start(name, *args):
        log = open(tmp_path / f"{name}.log", "w")
        procs[name] = subprocess.Popen([dask, *args], cwd=tmp_path, env=env, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)

    try:
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0",
              "--scheduler-file", str(scheduler_file), "--no-dashboard")
        for name in ("w1", "w2"):
            start(name, "worker", "--scheduler-file", str(scheduler_file), "--host",
                  "127.0.0.1", "--nthreads", "1", "--no-nanny", "--no-dashboard", "--name", name)
        deadline = time.monotonic() + 120
        while not scheduler_file.exists():
            assert time.monotonic() < deadline, (tmp_path / "scheduler.log").read_text()
            time.sleep(0.2)
        with Client(scheduler_file=str(scheduler_file), timeout=120) as client:
            client.wait_for_workers(2, timeout=180)
            workers = {w["name"]: a for a, w in client.scheduler_info()["workers"].items()}
            address = client.scheduler.address
        yield SimpleNamespace(address=address, file=scheduler_file, procs=procs,
                              workers=workers)
    finally:
        for proc in procs.values():
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()


def test_cluster_grades_like_a_local_run(tiny_course, dask_cluster, tmp_path):
    subs, chapters, reference = tiny_course
    out = tmp_path / "out"
    proc = subprocess.run(grade_command(subs, out, chapters, "--scheduler", dask_cluster.address),
                          cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (out / "grades.csv").read_text() == reference
    log = log_lines(out)
    assert len(log) == len({l["job"] for l in log}) == 13
    assert {l["worker"] for l in log} == set(dask_cluster.workers.values()), "both workers graded"
    assert f"on Dask cluster {dask_cluster.address}" in proc.stdout


def test_a_killed_worker_loses_no_job(tiny_course, dask_cluster, tmp_path):
    """SIGKILL the worker that grades abe's slow notebook, mid-way: the job is graded again by
    the other worker, no job is lost or graded twice, the grades are those of a local run."""
    import psutil
    from distributed import Client

    subs, chapters, reference = tiny_course
    out = tmp_path / "out"
    grader = subprocess.Popen(grade_command(subs, out, chapters, "--scheduler",
                                            dask_cluster.address),
                              cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    with Client(dask_cluster.address, timeout=60) as client:
        deadline = time.monotonic() + 600
        while True:  # abe's slow job has started on a worker (its trusted grader runs)
            assert grader.poll() is None, grader.communicate()
            assert time.monotonic() < deadline, "abe's job did not start"
            victim = next((w for w, keys in client.processing().items()
                           if any(k.startswith("grade-abe__91_tiny-") for k in keys)), None)
            in_flight = trusted_of("abe__91_tiny")
            if victim and in_flight:
                break
            time.sleep(0.1)
    name = next(n for n, a in dask_cluster.workers.items() if a == victim)
    os.killpg(dask_cluster.procs[name].pid, signal.SIGKILL)
    gone, alive = psutil.wait_procs(in_flight, timeout=3)
    assert not alive, "the dead worker's trusted grader must die with it, not finish as an orphan"

    stdout, stderr = grader.communicate(timeout=900)
    assert grader.returncode == 0, stderr[-3000:]
    log = log_lines(out)
    assert len(log) == len({l["job"] for l in log}) == 13, "every job exactly once"
    assert all(l["status"] == "graded" for l in log)
    survivor, = set(dask_cluster.workers.values()) - {victim}
    assert {l["job"]: l["worker"] for l in log}["abe__91_tiny"] == survivor
    assert (out / "grades.csv").read_text() == reference


def test_a_job_that_fails_twice_is_reported(dask_cluster):
    """A job that raises is retried once, then reported in the error column (here: a job
    planned by another version of the grader, which every worker refuses)."""
    from homework.cluster import DaskBackend

    backend = DaskBackend(dask_cluster.address)
    backend.check()
    got = []
    try:
        backend.run(iter([("ada__91_tiny", {"code": "another version"})]),
                    lambda key, record, worker: got.append((key, record, worker)))
    finally:
        backend.close()
    (key, record, worker), = got
    assert record["error"].startswith("grading failed twice on the cluster: RuntimeError: this "
                                      "machine runs a different version")
    assert is_failed(record) and error_kind(record["error"]) == "grading failed"
    logs = "".join((dask_cluster.file.parent / f"{w}.log").read_text() for w in ("w1", "w2"))
    assert logs.count("Key:       grade-ada__91_tiny-") == 2, "tried twice, no more"


def test_killed_worker_message():
    from distributed.scheduler import KilledWorker

    from homework.cluster import describe

    error = describe(KilledWorker("grade-ada__01", SimpleNamespace(address="tcp://1.2.3.4:5"), 1))
    assert error.startswith("a worker died each of the 2 times") and "tcp://1.2.3.4:5" in error
    assert error_kind(error) == "worker died twice"
