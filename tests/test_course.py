"""Grading a whole course (homework/course.py): one record on disk per job, --resume, the summary.

The bookkeeping is tested with a fake backend (no sandbox, fast); the real thing is tested by
interrupting `python -m homework grade` on the tiny course of course_fixtures.py with Ctrl-C
(SIGINT) and then, during the resumed run, with SIGKILL, and finishing it with --resume: the
grades.csv must be the one of an uninterrupted run and no job may be graded twice."""
import csv
import io
import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from course_fixtures import (ENV, ROOT, expected_totals, grade_command, log_lines, make_course,
                             trusted_of)
from homework.course import (CourseRunner, JobStore, error_kind, grade_payload, is_failed,
                             summarize)
from homework.grade import grade_submissions

pytestmark = pytest.mark.homework
ALL_JOBS = {f"{s}__{c}" for s, c in expected_totals() if (s, c) != ("eve", "92_tiny")}
ROWS, JOBS = len(expected_totals()), len(ALL_JOBS)  # 14 rows of grades.csv, 13 notebooks


class FakeBackend:
    """Grades without running anything: the points depend on the submission's bytes."""

    where = "a fake backend"

    def __init__(self, crash=()):
        self.ran, self.crash = [], set(crash)

    def check(self):
        pass

    def run(self, payloads, done):
        import nbformat

        for key, payload in payloads:
            self.ran.append(key)
            if key in self.crash:
                done(key, {"error": "the grader crashed: boom"}, "fake")
                continue
            source = nbformat.reads(payload["source"], 4)
            points = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"]
                      for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")}
            size = len(payload["submission"])
            done(key, {"student": payload["student"], "chapter": key.split("__")[1],
                       "scores": {g: float(size % (p + 1)) for g, p in points.items()},
                       "max_scores": {g: float(p) for g, p in points.items()}, "error": "",
                       "messages": {}}, "fake")


def grade_fake(subs, out, chapters, backend, resume):
    runner = CourseRunner(out, backend, resume=resume, progress=False)
    results = grade_submissions(subs, out, chapters, runner=runner, feedback=False)
    return results, summarize(results, runner.stats)


def test_resume_regrades_only_missing_failed_and_changed_jobs(tmp_path):
    subs, chapters = make_course(tmp_path)
    out = tmp_path / "out"
    first = FakeBackend(crash={"cy__91_tiny"})
    results, summary = grade_fake(subs, out, chapters, first, resume=False)
    assert set(first.ran) == ALL_JOBS and len(first.ran) == JOBS
    assert summary.rows == ROWS and summary.failed == 1 and summary.graded_now == JOBS
    assert summary.errors == {"grader crashed": 1, "notebook not submitted": 1}
    entries = {p.stem: json.loads(p.read_text()) for p in (out / "jobs").glob("*.json")}
    assert set(entries) == ALL_JOBS
    assert entries["cy__91_tiny"]["status"] == "failed"
    assert entries["ada__91_tiny"]["status"] == "graded"
    assert len(log_lines(out)) == JOBS

    # a lost record, a failed one and a changed submission are graded again; nothing else
    (out / "jobs" / "bob__92_tiny.json").unlink()
    changed = subs / "fay" / "92_tiny.ipynb"
    changed.write_text(changed.read_text() + "\n")
    second = FakeBackend()
    results, summary = grade_fake(subs, out, chapters, second, resume=True)
    assert sorted(second.ran) == ["bob__92_tiny", "cy__91_tiny", "fay__92_tiny"]
    assert summary.resumed == JOBS - 3 and summary.graded_now == 3 and summary.failed == 0
    resumed_csv = (out / "grades.csv").read_text()

    # the same grades.csv as a run from scratch (which clears the records first)
    third = FakeBackend()
    grade_fake(subs, tmp_path / "fresh", chapters, third, resume=False)
    assert len(third.ran) == JOBS
    assert (tmp_path / "fresh" / "grades.csv").read_text() == resumed_csv
    again = FakeBackend()
    grade_fake(subs, out, chapters, again, resume=False)
    assert len(again.ran) == JOBS, "without --resume every job is graded again"


def test_grades_csv_comes_from_the_records_on_disk(tmp_path):
    """What is in jobs/ is what grades.csv says (a record changed on disk shows up)."""
    subs, chapters = make_course(tmp_path)
    out = tmp_path / "out"
    grade_fake(subs, out, chapters, FakeBackend(), resume=False)
    path = out / "jobs" / "ada__91_tiny.json"
    entry = json.loads(path.read_text())
    entry["record"]["scores"] = {"ex1-tests": 1.0, "ex2-tests": 0.0}
    path.write_text(json.dumps(entry))
    backend = FakeBackend()
    grade_fake(subs, out, chapters, backend, resume=True)
    assert backend.ran == []
    row = next(l for l in (out / "grades.csv").read_text().splitlines()
               if l.startswith("ada,91_tiny"))
    assert row == "ada,91_tiny,1,0,1,3,"


def test_job_store_writes_atomically_and_ignores_broken_files(tmp_path):
    store = JobStore(tmp_path / "jobs")
    entry = {"job": {}, "status": "graded", "record": {"error": ""}, "worker": "w",
             "finished": "now"}
    store.save("a__01", entry)
    assert store.load("a__01") == entry
    assert sorted(p.name for p in store.folder.iterdir()) == ["a__01.json", "log.jsonl"]
    (store.folder / "b__01.json").write_text('{"job": {}, "rec')  # a torn file is no record
    assert store.load("b__01") is None and store.load("c__01") is None


def test_failed_records_and_error_kinds():
    assert is_failed({"error": "the grader crashed: exit code -9"})
    assert is_failed({"error": "grading failed: OSError", "max_scores": {}})
    assert not is_failed({"error": "not a readable notebook (x)", "max_scores": {"a": 1.0}})
    assert not is_failed({"error": "", "max_scores": {"a": 1.0}})
    kinds = {"no 01_neurons.ipynb submitted": "notebook not submitted",
             "not a readable notebook (NotJSONError: x)": "unreadable notebook",
             "the kernel died": "kernel died",
             "the kernel stopped answering (time limit) and was stopped":
                 "kernel stopped answering",
             "the student's kernel did not start: x": "kernel did not start",
             "the grader crashed: exit code -9": "grader crashed",
             "grading took longer than 1020 s and was stopped": "grading timed out",
             "a worker died each of the 2 times this notebook was being graded":
                 "worker died twice",
             "grading failed twice on the cluster: RuntimeError: x": "grading failed",
             "something new": "other"}
    assert {e: error_kind(e) for e in kinds} == kinds


def test_a_job_of_another_grader_version_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match="different version of the grader"):
        grade_payload({"code": "0" * 64})


# -- the real grader, interrupted --------------------------------------------------------

def start_and_wait_for(subs, out, chapters, logged: int, *extra):
    """Start the grading command; return it with abe's slow first job (12 s of sleep) in flight
    once ``logged`` jobs are in the log, so that an interruption hits a job mid-way."""
    proc = subprocess.Popen(grade_command(subs, out, chapters, "--workers", "2", *extra),
                            cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 600
    while len(log_lines(out)) < logged or not trusted_of("abe__91_tiny"):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "grading does not progress"
        time.sleep(0.1)
    return proc, trusted_of("abe__91_tiny")


def assert_gone(processes, seconds=3):
    """Gone at once: not left to finish as orphans (abe's job had seconds of sleep left)."""
    import psutil

    gone, alive = psutil.wait_procs(processes, timeout=seconds)
    assert not alive, f"trusted graders outlived the grader: {alive}"


def test_interrupted_by_sigint_then_sigkill_then_resumed(tiny_course, tmp_path):
    subs, chapters, reference = tiny_course
    out = tmp_path / "out"

    # 1. Ctrl-C while jobs are in flight: the finished ones stay, no grades.csv
    proc, in_flight = start_and_wait_for(subs, out, chapters, 1)
    proc.send_signal(signal.SIGINT)
    assert_gone(in_flight)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr[-2000:]
    assert "--resume" in stderr
    first = [l["job"] for l in log_lines(out)]
    assert 1 <= len(first) < JOBS and "abe__91_tiny" not in first
    assert not (out / "grades.csv").exists()

    # 2. SIGKILL of the resumed run: it graded only new jobs, every record on disk is whole
    proc, in_flight = start_and_wait_for(subs, out, chapters, len(first) + 1, "--resume")
    proc.kill()
    assert_gone(in_flight)  # they die with the grader (PR_SET_PDEATHSIG), not run on as orphans
    proc.communicate(timeout=60)
    second = [l["job"] for l in log_lines(out)][len(first):]
    assert len(second) >= 1 and not set(second) & set(first) and "abe__91_tiny" not in second
    assert not (out / "grades.csv").exists()
    for path in (out / "jobs").glob("*.json"):
        assert json.loads(path.read_text())["status"] == "graded"
    assert not list((out / "jobs").glob(".*.tmp"))

    # 3. --resume to the end: the rest only, and the grades.csv of an uninterrupted run
    proc = subprocess.run(grade_command(subs, out, chapters, "--workers", "2", "--resume"),
                          cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    done = [l["job"] for l in log_lines(out)]
    assert len(done) == len(set(done)) == JOBS and set(done) == ALL_JOBS, "each job exactly once"
    assert f"{len(first) + len(second)} from an earlier run" in proc.stdout
    assert (out / "grades.csv").read_text() == reference
    rows = csv.DictReader(io.StringIO(reference))
    assert {(r["student"], r["chapter"]): float(r["total"]) for r in rows} == expected_totals()
