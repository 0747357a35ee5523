"""Throughput of course grading: notebooks per minute and CPU seconds per notebook, on this
machine with 1 and 2 local workers and through a Dask cluster of 2 workers started here.

    python benchmarks/course.py [--chapter 01] [--notebooks 8] [--json FILE]

Every run grades the same submissions (``--notebooks`` students, each handing in the
instructor's notebook of ``--chapter``: full marks, every exercise checked) with
``python -m homework grade`` and must give the same ``grades.csv``. CPU seconds count the
grader, the trusted grader processes and the sandboxed kernels (and, for the cluster, the
scheduler's and the workers' own processes while grading). The machine's load average is
printed with each run: on a shared machine the wall times say more about the neighbours than
about the grader, the CPU seconds less so.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
           DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1")


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def process_cpu(procs) -> float:
    """CPU seconds of running processes, with their waited-for children (the workers run
    without a nanny, so that the trusted graders are their own, waited-for children)."""
    import psutil

    total = 0.0
    for p in procs:
        t = psutil.Process(p.pid).cpu_times()
        total += t.user + t.system + t.children_user + t.children_system
    return total


def grade(subs: Path, out: Path, chapter: str, *flags) -> tuple[float, float]:
    """Wall and CPU seconds of one ``python -m homework grade`` run."""
    cpu, start = children_cpu(), time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "homework", "grade", str(subs), chapter,
                           "--out", str(out), "--no-progress", *flags], cwd=ROOT, env=ENV,
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    return wall, children_cpu() - cpu


def start_cluster(tmp: Path, workers: int = 2):
    from distributed import Client

    dask = str(Path(sys.executable).with_name("dask"))
    scheduler_file = tmp / "scheduler.json"
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--scheduler-file", str(scheduler_file), "--no-dashboard"],
                              env=ENV, cwd=tmp, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)]
    while not scheduler_file.exists():
        time.sleep(0.2)
    procs += [subprocess.Popen([dask, "worker", "--scheduler-file", str(scheduler_file), "--host",
                                "127.0.0.1", "--nthreads", "1", "--no-nanny", "--no-dashboard"],
                               env=ENV, cwd=tmp, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
              for _ in range(workers)]
    with Client(scheduler_file=str(scheduler_file), timeout=120) as client:
        client.wait_for_workers(workers, timeout=300)
        address = client.scheduler.address
    return address, procs


def stop(procs) -> None:
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chapter", default="01")
    parser.add_argument("--notebooks", type=int, default=8)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from homework.config import chapter_notebooks

    chapter, = chapter_notebooks([args.chapter])
    results = {"chapter": chapter.stem, "notebooks": args.notebooks, "cpus": os.cpu_count(),
               "runs": {}}
    with tempfile.TemporaryDirectory(prefix="nnfs-course-bench-") as tmp:
        tmp = Path(tmp)
        for i in range(args.notebooks):
            (tmp / "subs" / f"student{i:03d}").mkdir(parents=True)
            shutil.copy(chapter, tmp / "subs" / f"student{i:03d}" / chapter.name)
        runs = [("local, 1 worker", ("--workers", "1")), ("local, 2 workers", ("--workers", "2")),
                ("Dask, 2 workers", None)]
        csvs = {}
        for name, flags in runs:
            load = os.getloadavg()[0]
            out = tmp / name.replace(" ", "").replace(",", "_")
            if flags is None:
                address, procs = start_cluster(tmp)
                before = process_cpu(procs)
                wall, cpu = grade(tmp / "subs", out, args.chapter, "--scheduler", address)
                cpu += process_cpu(procs) - before
                stop(procs)
            else:
                wall, cpu = grade(tmp / "subs", out, args.chapter, *flags)
            csvs[name] = (out / "grades.csv").read_text()
            run = {"seconds": round(wall, 1),
                   "notebooks_per_minute": round(60 * args.notebooks / wall, 2),
                   "cpu_seconds_per_notebook": round(cpu / args.notebooks, 2),
                   "load_average_before": round(load, 1),
                   "load_average_after": round(os.getloadavg()[0], 1)}
            results["runs"][name] = run
            print(f"{name:<18} {run['seconds']:7.1f} s  {run['notebooks_per_minute']:5.2f} "
                  f"notebooks/min  {run['cpu_seconds_per_notebook']:5.2f} CPU s/notebook  "
                  f"(load average {run['load_average_before']} → {run['load_average_after']} "
                  f"on {os.cpu_count()} CPUs)", flush=True)
        if len(set(csvs.values())) != 1:
            raise SystemExit("the runs gave different grades.csv files")
        rows = list(csv.DictReader(io.StringIO(next(iter(csvs.values())))))
        if len(rows) != args.notebooks or any(r["total"] != r["max_total"] for r in rows):
            raise SystemExit("the instructor's notebook did not earn full marks everywhere")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
