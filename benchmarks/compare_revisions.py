"""Epoch time of ``fit`` for two source trees of nnlib, measured in one interleaved run.

Each tree is imported in its own worker process (``sys.path`` starts with the tree), which
prepares the data of ``bench.py`` once and then times ``fit`` on request. The main process asks
the two workers in turn (the order alternates at every repetition), so that both see the same
machine load; it prints the median seconds per epoch of each tree and the ratio after/before.

Usage (one BLAS thread is set here)::

    git worktree add /tmp/nnlib-before <commit>
    .venv/bin/python benchmarks/compare_revisions.py /tmp/nnlib-before . --reps 7

The configurations are ``bench.py``'s ``CONFIGS`` (softmax cross-entropy on the logits of an
``mlp`` with ReLU, SGD with lr 0.1, the MNIST-shaped synthetic data, digits); ``fit`` runs with
``progress=False`` and evaluates the training set after every epoch, as in the chapters.
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent

WORKER = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
sys.path.insert(1, sys.argv[2])
import numpy as np
import nnlib
from bench import CONFIGS, synthetic_mnist
assert nnlib.__file__.startswith(sys.argv[1]), nnlib.__file__

X, y = nnlib.load_digits()
X_d, _, y_d, _ = nnlib.train_test_split(X, y, test_size=0.2, seed=3, stratify=True)
X_m, y_m = synthetic_mnist()
data = {"digits": (X_d, y_d), "mnist": (X_m, y_m)}
configs = {key: (name, sizes, batch) for key, name, sizes, batch in CONFIGS}
print("ready", flush=True)
for line in sys.stdin:
    key, epochs = line.split()
    name, sizes, batch = configs[key]
    Xc, yc = data[name]
    net = nnlib.mlp(sizes, activation="relu", **{"seed" if "seed" in nnlib.mlp.__code__.co_varnames else "rng": 0})
    t0 = time.perf_counter()
    nnlib.fit(net, Xc, yc, loss="softmax_cross_entropy", optimizer=nnlib.SGD(0.1),
              epochs=int(epochs), batch_size=batch, seed=0, progress=False)
    print(json.dumps((time.perf_counter() - t0) / int(epochs)), flush=True)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from bench import CONFIGS

    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    workers = {}
    for label, tree in trees.items():
        workers[label] = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(tree), str(HERE)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, cwd=str(tree))
        assert workers[label].stdout.readline().strip() == "ready"

    def ask(label, key, epochs):
        w = workers[label]
        w.stdin.write(f"{key} {epochs}\n")
        w.stdin.flush()
        return json.loads(w.stdout.readline())

    rows = []
    for key, data_name, _, _ in CONFIGS:
        epochs = 10 if data_name == "digits" else 2
        for label in trees:  # warm-up
            ask(label, key, 1)
        times = {label: [] for label in trees}
        for r in range(args.reps):
            order = list(trees) if r % 2 == 0 else list(trees)[::-1]
            for label in order:
                times[label].append(ask(label, key, epochs))
        med = {label: statistics.median(t) for label, t in times.items()}
        rows.append((key, med["before"], med["after"], med["after"] / med["before"]))
        print(f"{key:<26} before {med['before'] * 1e3:8.2f} ms  after {med['after'] * 1e3:8.2f} ms"
              f"  after/before {med['after'] / med['before']:.3f}", flush=True)
    for w in workers.values():
        w.stdin.close()
        w.wait()
    print("| configuration | before (ms/epoch) | after (ms/epoch) | after/before |")
    print("|---|--:|--:|--:|")
    for key, b, a, ratio in rows:
        print(f"| {key} | {b * 1e3:.2f} | {a * 1e3:.2f} | {ratio:.3f} |")


if __name__ == "__main__":
    main()
