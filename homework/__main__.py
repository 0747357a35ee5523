"""python -m homework student [CHAPTER ...] [--out DIR]
python -m homework grade SUBMISSIONS [CHAPTER ...] [--out DIR] [--workers N] [--memory GIB]
                         [--show-hidden-messages] [--unsafe-no-sandbox]
                         [--resume] [--scheduler tcp://HOST:PORT | FILE] [--no-progress]
python -m homework config        (prints nbgrader_config.py for an nbgrader course)"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import chapter_notebooks


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m homework", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    st = sub.add_parser("student", help="write student editions of the chapters")
    st.add_argument("chapters", nargs="*", help="e.g. 01 or 01_neurons (default: all)")
    st.add_argument("--out", default="_build/student", help="output folder")
    gr = sub.add_parser("grade", help="autograde a folder of student folders")
    gr.add_argument("submissions", help="folder with one sub-folder of notebooks per student")
    gr.add_argument("chapters", nargs="*", help="chapters to grade (default: all)")
    gr.add_argument("--out", default="_build/grades", help="folder for grades.csv and feedback/")
    gr.add_argument("--workers", type=int, default=2, help="notebooks graded at once")
    gr.add_argument("--cell-timeout", type=int, default=30, help="seconds per cell (default 30)")
    gr.add_argument("--memory", type=float, default=2.0,
                    help="memory limit of each student's kernel in GiB (default 2)")
    gr.add_argument("--show-hidden-messages", action="store_true",
                    help="put the failure messages of hidden checks into the feedback (they "
                         "may reveal expected values)")
    gr.add_argument("--unsafe-no-sandbox", action="store_true",
                    help="grade even where the sandbox is unavailable: students' code then runs "
                         "with resource limits only (see the instructors' page)")
    # issue 17: a whole course (homework/course.py, homework/cluster.py)
    gr.add_argument("--resume", action="store_true",
                    help="keep the jobs an earlier (interrupted) run finished, recorded in "
                         "OUT/jobs/, and grade only the missing or failed ones")
    gr.add_argument("--scheduler", metavar="ADDRESS",
                    help="grade on an existing Dask cluster: its scheduler's address "
                         "(tcp://HOST:PORT) or scheduler file; every worker needs this project "
                         "and bubblewrap (default: --workers threads on this machine)")
    gr.add_argument("--no-progress", action="store_true", help="no progress bar")
    sub.add_parser("config", help="print the nbgrader_config.py our commands use")
    args = parser.parse_args(argv)
    if args.command == "config":
        from .config import COURSE_CONFIG

        print(COURSE_CONFIG, end="")
        return 0

    names, own = args.chapters, []
    if args.command == "grade":  # an assignment of one's own, given as its notebook (issue 17)
        own = [Path(c) for c in names if c.endswith(".ipynb")]
        names = [c for c in names if not c.endswith(".ipynb")]
        missing = [str(p) for p in own if not p.is_file()]
        if missing:
            raise SystemExit("no such notebook: " + ", ".join(missing))
    notebooks = (chapter_notebooks(names) if names or not own else []) + own
    if args.command == "student":
        from .student import student_editions

        for path in student_editions(notebooks, args.out):
            print(f"wrote {path}")
        return 0

    from .course import grade_course

    try:  # Ctrl-C or SIGTERM: the finished jobs are kept (homework/course.py)
        results, summary = grade_course(
            args.submissions, args.out, notebooks, workers=args.workers,
            scheduler=args.scheduler, resume=args.resume, progress=not args.no_progress,
            cell_timeout=args.cell_timeout, memory=int(args.memory * 2**30),
            show_hidden=args.show_hidden_messages, unsafe=args.unsafe_no_sandbox)
    except KeyboardInterrupt:
        print(f"interrupted: the finished jobs are kept in {Path(args.out) / 'jobs'}; run the "
              "same command with --resume to grade the rest", file=sys.stderr)
        return 130
    for r in results:
        if r.error:
            print(f"{r.student:<20} {r.chapter:<24} {r.total:g}/{r.max_total:g}  ERROR: {r.error}")
    print(summary)
    print(f"wrote {Path(args.out) / 'grades.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
