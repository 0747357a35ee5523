"""Epoch time of ``fit`` for two source trees of nnlib, measured in one interleaved run.

Each tree is imported in its own worker process (``sys.path`` starts with the tree), which
prepares the data of ``bench.py`` once and then times ``fit`` on request. The main process asks
the two workers in turn (the order alternates at every repetition), so that both see the same
machine load. For each configuration it prints the median CPU time (``time.process_time``:
on a shared machine the wall time also counts other processes) per epoch of ``fit`` and of
``train_epoch`` (what ``bench.py`` times) for both trees, and the ratio after/before.

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
from nnlib.training import train_epoch
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
    seed_name = "seed" if "seed" in nnlib.mlp.__code__.co_varnames else "rng"
    net = nnlib.mlp(sizes, activation="relu", **{seed_name: 0})
    cpu0, t0 = time.process_time(), time.perf_counter()
    nnlib.fit(net, Xc, yc, loss="softmax_cross_entropy", optimizer=nnlib.SGD(0.1),
              epochs=int(epochs), batch_size=batch, seed=0, progress=False)
    cpu1, t1 = time.process_time(), time.perf_counter()
    net = nnlib.mlp(sizes, activation="relu", **{seed_name: 0})
    opt, rng = nnlib.SGD(0.1), np.random.default_rng(0)
    for e in range(int(epochs)):
        train_epoch(net, Xc, yc, loss="softmax_cross_entropy", optimizer=opt,
                    batch_size=batch, seed=rng, check=e == 0)
    cpu2 = time.process_time()
    print(json.dumps([(cpu1 - cpu0) / int(epochs), (cpu2 - cpu1) / int(epochs),
                      (t1 - t0) / int(epochs)]), flush=True)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--only", default="", help="run only configurations containing this")
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
        if args.only not in key:
            continue
        epochs = 10 if data_name == "digits" else 2
        for label in trees:  # warm-up
            ask(label, key, 1)
        times = {label: [] for label in trees}
        for r in range(args.reps):
            order = list(trees) if r % 2 == 0 else list(trees)[::-1]
            for label in order:
                times[label].append(ask(label, key, epochs))
        # medians of: fit's CPU time per epoch, train_epoch's CPU time per epoch, fit's wall time
        med = {label: [statistics.median(t[i] for t in ts) for i in range(3)]
               for label, ts in times.items()}
        b, a = med["before"], med["after"]
        rows.append((key, b, a))
        print(f"{key:<26} fit: {b[0] * 1e3:8.2f} -> {a[0] * 1e3:8.2f} ms ({a[0] / b[0]:.3f}); "
              f"train_epoch: {b[1] * 1e3:8.2f} -> {a[1] * 1e3:8.2f} ms ({a[1] / b[1]:.3f})",
              flush=True)
    for w in workers.values():
        w.stdin.close()
        w.wait()
    print("CPU time per epoch (median of the repetitions); after/before in parentheses")
    print("| configuration | fit before | fit after | train_epoch before | train_epoch after |")
    print("|---|--:|--:|--:|--:|")
    for key, b, a in rows:
        print(f"| {key} | {b[0] * 1e3:.2f} ms | {a[0] * 1e3:.2f} ms ({a[0] / b[0]:.3f}) | "
              f"{b[1] * 1e3:.2f} ms | {a[1] * 1e3:.2f} ms ({a[1] / b[1]:.3f}) |")


if __name__ == "__main__":
    main()
