"""Seconds per graded notebook (with feedback): the sandboxed grader against an older grader.

    python benchmarks/grading.py [--chapter 01] [--old-rev 3660103] [--repeat 2]

Both graders grade the same submission (the instructor's notebook) one notebook at a time, in
the same run and alternately, so that the load of the machine affects both alike. The old
grader's ``homework`` package is taken from ``--old-rev`` with ``git archive`` (by default the
commit before the sandboxed grader: real ``nbgrader autograde`` + ``generate_feedback``).
"""
from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN = """
import sys, time
sys.path.insert(0, {path!r})
from pathlib import Path
from homework import grade_submissions
start = time.perf_counter()
r, = grade_submissions({subs!r}, {out!r}, [Path({chapter!r})], workers=1)
assert r.total == r.max_total, (r.total, r.error)
print(time.perf_counter() - start)
"""


def run(package_dir: str, subs: Path, out: Path, chapter: Path) -> float:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    code = RUN.format(path=package_dir, subs=str(subs), out=str(out), chapter=str(chapter))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=package_dir)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    return float(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chapter", default="01")
    parser.add_argument("--old-rev", default="3660103")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from homework.config import chapter_notebooks

    chapter, = chapter_notebooks([args.chapter])
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        old = tmp / "old"
        old.mkdir()
        archive = subprocess.run(["git", "archive", args.old_rev, "homework"], cwd=ROOT,
                                 capture_output=True, check=True).stdout
        tarfile.open(fileobj=io.BytesIO(archive)).extractall(old)
        (tmp / "subs" / "ada").mkdir(parents=True)
        (tmp / "subs" / "ada" / chapter.name).write_bytes(chapter.read_bytes())
        times = {"old": [], "new": []}
        for i in range(args.repeat):
            for name, package in (("old", str(old)), ("new", str(ROOT))):
                times[name].append(run(package, tmp / "subs", tmp / f"out-{name}-{i}", chapter))
        for name, ts in times.items():
            print(f"{name}: " + ", ".join(f"{t:.1f}" for t in ts) + f" s per notebook "
                  f"(best {min(ts):.1f} s)")
        print(f"new/old (best of each): {min(times['new']) / min(times['old']):.2f}")


if __name__ == "__main__":
    main()
