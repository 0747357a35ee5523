"""python -m homework student [CHAPTER ...] [--out DIR]
python -m homework grade SUBMISSIONS [CHAPTER ...] [--out DIR] [--workers N]
python -m homework config        (prints nbgrader_config.py for an nbgrader course)"""
from __future__ import annotations

import argparse
import sys
import time
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
    sub.add_parser("config", help="print the nbgrader_config.py our commands use")
    args = parser.parse_args(argv)
    if args.command == "config":
        from .config import COURSE_CONFIG

        print(COURSE_CONFIG, end="")
        return 0

    notebooks = chapter_notebooks(args.chapters)
    if args.command == "student":
        from .student import student_editions

        for path in student_editions(notebooks, args.out):
            print(f"wrote {path}")
        return 0

    from .grade import grade_submissions

    start = time.perf_counter()
    results = grade_submissions(args.submissions, args.out, notebooks, workers=args.workers)
    for r in results:
        status = f"  ERROR: {r.error}" if r.error else ""
        print(f"{r.student:<20} {r.chapter:<24} {r.total:g}/{r.max_total:g}{status}")
    print(f"graded {len(results)} notebooks in {time.perf_counter() - start:.1f} s; "
          f"wrote {Path(args.out) / 'grades.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
