"""``python -m chaptertools convert|execute NOTEBOOK…`` (see the package docstring)."""
from __future__ import annotations

import argparse
import sys
import time

import nbformat

from . import execute as run
from . import markup


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chaptertools")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("convert", help="book-only markup → markup the book and JupyterLab both "
                   "render (idempotent)").add_argument("notebooks", nargs="+")
    ex = sub.add_parser("execute", help="run from a fresh kernel, store as JupyterLab would save")
    ex.add_argument("notebooks", nargs="+")
    ex.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        if args.command == "convert":
            nb = nbformat.read(path, as_version=4)
            if markup.convert(nb):
                nbformat.write(nb, path)
                print(f"converted {path}")
            else:
                print(f"unchanged {path}")
            for problem in markup.forward_references(nb):
                print(f"  {path}: {problem}")
        else:
            start = time.perf_counter()
            run.execute(path, timeout=args.timeout)
            print(f"executed {path} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
