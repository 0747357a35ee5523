"""``make bench``: how fast is nnlib? Writes the book's appendix page ``book/benchmarks.md``.

Compares per-epoch training time of nnlib (float64 and float32) with PyTorch on the CPU (float64
and float32, optional), scikit-learn's ``MLPClassifier(solver="sgd")`` and a per-sample loop,
on the same data, network, initial weights, batch size, learning rate and epochs (see
``contenders.py``). Then: digits test accuracy over 5 seeds, agreement of the gradients with
PyTorch autograd, each chapter's Run-All time and the time of ``import nnlib``.

Method: one BLAS/OpenMP thread everywhere; contenders interleaved (repetition r runs them in an
order rotated by r); every repetition starts from the same initial weights; medians of the
repetitions; ratios from the same run. Raw numbers go to ``benchmarks/results.json``.

Usage::

    .venv/bin/python benchmarks/bench.py                 # everything (about 8 minutes)
    .venv/bin/python benchmarks/bench.py --quick         # a smoke test in under a minute
    .venv/bin/python benchmarks/bench.py --render-only   # the page again from results.json
"""
from __future__ import annotations

import os

# One thread for every BLAS and OpenMP runtime, set before numpy, scipy or torch load them.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import contenders as C  # noqa: E402
import convnet  # noqa: E402
import report  # noqa: E402

import nnlib  # noqa: E402

TORCH_INSTALL = ".venv/bin/pip install torch==2.13.0"
LR = 0.1
SEED = 0
#: (key, data set, layer sizes, batch size)
CONFIGS = [
    ("digits-64-32-10-b32", "digits", [64, 32, 10], 32),
    ("digits-64-32-10-b128", "digits", [64, 32, 10], 128),
    ("mnist-784-16-16-10-b32", "mnist", [784, 16, 16, 10], 32),
    ("mnist-784-16-16-10-b128", "mnist", [784, 16, 16, 10], 128),
    ("mnist-784-128-10-b32", "mnist", [784, 128, 10], 32),
    ("mnist-784-128-10-b128", "mnist", [784, 128, 10], 128),
]


def log(*args):
    print(*args, flush=True)


def torch_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set (only possible before any parallel work)
        pass
    return True


# ----------------------------------------------------------------------------- data
def synthetic_mnist(n: int = 60000, seed: int = 0):
    """Seeded stand-in for MNIST's training set: 28×28 grey levels in [0, 1] (8-bit steps),
    about a fifth of the pixels lit, ten classes with their own pixel patterns."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    patterns = (rng.random((10, 784)) < 0.2).astype(np.float32)
    X = patterns[labels] * rng.uniform(0.5, 1.0, (n, 784)).astype(np.float32)
    X += rng.normal(0.0, 0.05, (n, 784)).astype(np.float32)
    np.clip(X, 0.0, 1.0, out=X)
    X = np.round(X * 255) / 255
    return X.astype(np.float64), labels


def load_data(quick: bool):
    X, y = nnlib.load_digits()
    X_train, X_test, y_train, y_test = nnlib.train_test_split(X, y, test_size=0.2, seed=3,
                                                              stratify=True)
    data = {"digits": (X_train, y_train), "digits_test": (X_test, y_test)}
    try:
        X_m, y_m, _, _ = nnlib.load_mnist(download=False)
        source = "MNIST training set (from the cache)"
    except nnlib.DatasetUnavailable:
        X_m, y_m = synthetic_mnist()
        source = ("seeded synthetic data of MNIST's shape (MNIST is not in the cache; "
                  "`nnlib.load_mnist()` downloads it)")
    if quick:
        X_m, y_m = X_m[:6000], y_m[:6000]
    data["mnist"] = (X_m, y_m)
    info = {"digits": f"scikit-learn's digits, the chapter 8 split: {len(X_train)} training "
                      f"images of 8×8 pixels (test: {len(X_test)})",
            "mnist": f"{source}: {len(X_m):,} images of 28×28 pixels"}
    return data, info


# ----------------------------------------------------------------------------- timing
class Quiet:
    """Waits for the 1-minute load average to drop below ``max_load``, spending at most
    ``budget`` seconds on waiting over the whole run."""

    def __init__(self, max_load: float, budget: float) -> None:
        self.max_load, self.budget, self.waited = max_load, budget, 0.0

    def wait(self) -> float:
        while os.getloadavg()[0] >= self.max_load and self.waited < self.budget:
            log(f"  load average {os.getloadavg()[0]:.2f} >= {self.max_load}; waiting ...")
            time.sleep(10)
            self.waited += 10
        return os.getloadavg()[0]


def timed_train(contender, data, epochs: int) -> tuple[float, float]:
    """Seconds per epoch of ``contender.train(data, epochs)``, and the share of that wall time
    the process spent on a CPU (below 1 when other work took our core)."""
    cpu0, t0 = time.process_time(), time.perf_counter()
    contender.train(data, epochs)
    wall = time.perf_counter() - t0
    return wall / epochs, (time.process_time() - cpu0) / wall


def epochs_per_block(data_name: str, contender: str, quick: bool) -> int:
    if quick:
        return 1
    if data_name == "digits":
        return 2 if contender == "loop" else 10
    return 1 if contender == "loop" else 2


#: a repetition in which some contender got less of a CPU than this is measured again
MIN_CPU_SHARE = 0.95


def time_config(key, data_name, sizes, batch, data, names, reps, quick, quiet):
    X, y = data[data_name]
    w0 = C.initial_weights(sizes, SEED)
    by_dtype = {np.dtype(np.float64): X}
    if any(C.CONTENDERS[n][1] == np.float32 for n in names):
        by_dtype[np.dtype(np.float32)] = X.astype(np.float32)

    def fresh(name):
        c = C.make(name, w0, lr=LR, batch_size=batch, seed=SEED)
        return c, c.prepare(by_dtype[np.dtype(C.CONTENDERS[name][1])], y)

    # Warm-up (not recorded): every contender trains on a slice, so that first-call costs
    # (lazy imports, kernel dispatch, caches) stay out of the measurements.
    for name in names:
        c, _ = fresh(name)
        n_warm = min(len(X), 20 * batch)
        c.train(c.prepare(by_dtype[np.dtype(C.CONTENDERS[name][1])][:n_warm], y[:n_warm]), 1)

    times = {name: [] for name in names}
    cpu = {name: [] for name in names}
    loads, repeated = [], 0
    while len(loads) < reps:
        r = len(loads)
        load = quiet.wait()
        order = names[r % len(names):] + names[:r % len(names)]
        rep_times, rep_cpu = {}, {}
        for name in order:
            c, prepared = fresh(name)
            rep_times[name], rep_cpu[name] = timed_train(
                c, prepared, epochs_per_block(data_name, name, quick))
        log(f"  {key} repetition {r + 1}/{reps}: " + ", ".join(
            f"{n} {rep_times[n] * 1e3:.1f} ms" for n in names))
        if min(rep_cpu.values()) < MIN_CPU_SHARE and repeated < reps:
            repeated += 1  # other work took our core: measure this repetition again
            log(f"    (CPU share {min(rep_cpu.values()):.2f}: repeated)")
            continue
        loads.append(load)
        for name in names:
            times[name].append(rep_times[name])
            cpu[name].append(rep_cpu[name])
    return {"key": key, "data": data_name, "sizes": sizes, "batch": batch,
            "epochs_per_block": {n: epochs_per_block(data_name, n, quick) for n in names},
            "times": times, "cpu_share": cpu, "load": loads, "repeated": repeated,
            "median": {n: statistics.median(t) for n, t in times.items()}}


def same_step_check(names, data) -> dict[str, float]:
    """From the same weights, one SGD step on one batch: every contender's weights against
    nnlib float64's (max relative difference). Shows that all of them compute the same thing."""
    X, y = data["digits"]
    Xb, yb = X[:64], y[:64]
    w0 = C.initial_weights([64, 32, 10], SEED)
    out = {}
    for name in names:
        c = C.make(name, w0, lr=LR, batch_size=64, seed=SEED)
        c.train(c.prepare(Xb, yb), 1)
        out[name] = c.weights()
    ref = out["nnlib64"]
    return {name: max(float(np.max(np.abs(a - b)) / np.max(np.abs(b)))
                      for layer, ref_layer in zip(w, ref) for a, b in zip(layer, ref_layer))
            for name, w in out.items()}


# ----------------------------------------------------------------------------- accuracy
def accuracy_table(names, data, seeds, epochs, batches):
    X, y = data["digits"]
    X_test, y_test = data["digits_test"]
    out = {}
    for batch in batches:
        for name in names:
            accs = []
            for seed in seeds:
                c = C.make(name, C.initial_weights([64, 32, 10], seed), lr=LR,
                           batch_size=batch, seed=seed)
                c.train(c.prepare(X, y), epochs)
                accs.append(float(np.mean(c.predict(X_test) == y_test)))
            out[f"{name}-b{batch}"] = accs
            log(f"  accuracy {name} batch {batch}: " + " ".join(f"{a:.3f}" for a in accs))
    return out


# ----------------------------------------------------------------------------- notebooks
def notebook_times(python: Path) -> dict:
    """Wall time of ``jupyter nbconvert --execute`` for every chapter, run on copies in a
    temporary folder, and for an empty notebook (kernel start-up and nbconvert itself)."""
    import nbformat

    jupyter = python.with_name("jupyter")
    env = dict(os.environ)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        empty = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")])
        empty.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                        "language": "python"}
        nbformat.write(empty, tmp / "empty.ipynb")
        paths = [tmp / "empty.ipynb"]
        for nb in sorted((ROOT / "chapters").glob("*.ipynb")):
            shutil.copy(nb, tmp / nb.name)
            paths.append(tmp / nb.name)
        for path in paths:
            t0 = time.perf_counter()
            proc = subprocess.run(
                [str(jupyter), "nbconvert", "--to", "notebook", "--execute",
                 "--ExecutePreprocessor.timeout=900", "--output", path.stem + ".run",
                 str(path)], cwd=tmp, env=env, capture_output=True, text=True)
            seconds = time.perf_counter() - t0
            results[path.stem] = {"seconds": seconds, "ok": proc.returncode == 0,
                                  "load": os.getloadavg()[0]}
            log(f"  {path.name}: {seconds:.1f} s" + ("" if proc.returncode == 0 else
                                                     "  FAILED: " + proc.stderr[-300:]))
    return results


def import_time(python: Path, runs: int = 11) -> dict:
    """``import nnlib`` in fresh interpreters, after two warm-up runs (warm file cache)."""
    code = ("import time, sys; t = time.perf_counter(); import nnlib; "
            "t = time.perf_counter() - t; "
            "heavy = [m for m in ('matplotlib', 'ipywidgets', 'sklearn', 'torch', 'scipy.special',"
            " 'IPython') if m in sys.modules]; print(t, ','.join(heavy))")
    seconds, heavy = [], ""
    for i in range(runs + 2):
        out = subprocess.run([str(python), "-c", code], capture_output=True, text=True,
                             check=True, cwd=ROOT).stdout.split()
        if i >= 2:
            seconds.append(float(out[0]))
            heavy = out[1] if len(out) > 1 else ""
    return {"runs": seconds, "median": statistics.median(seconds),
            "heavy_modules": [m for m in heavy.split(",") if m]}


# ----------------------------------------------------------------------------- machine
def machine_info(have_torch: bool) -> dict:
    import scipy
    import sklearn

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        mem = f"{kb / 2**20:.0f} GiB"
    except (OSError, IndexError, ValueError):
        pass
    info = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "cpu": cpu, "cores": os.cpu_count(), "memory": mem,
            "os": platform.platform(), "python": platform.python_version(),
            "versions": {"nnlib": nnlib.__version__, "numpy": np.__version__,
                         "scipy": scipy.__version__, "scikit-learn": sklearn.__version__},
            "threads": {v: os.environ.get(v) for v in
                        ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}}
    if have_torch:
        import torch

        info["versions"]["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        mkl = [l.strip(" -") for l in torch.__config__.show().splitlines()
               if "Math Kernel Library" in l]
        info["torch_blas"] = mkl[0] if mkl else "see torch.__config__.show()"
    def owner(path):
        path = (path or "").lower()
        return next((name for key, name in (
            ("torch", "PyTorch"), ("scikit_learn", "scikit-learn"), ("sklearn", "scikit-learn"),
            ("numpy", "numpy"), ("scipy", "SciPy")) if key in path), "")

    info["blas"] = [{"internal_api": p.get("internal_api"), "version": p.get("version"),
                     "architecture": p.get("architecture"), "num_threads": p.get("num_threads"),
                     "owner": owner(p.get("filepath"))} for p in threadpool_info()]
    return info


# ----------------------------------------------------------------------------- main
def live_results():
    """The in-browser edition's measurements (benchmarks/live.py), if they were taken."""
    path = HERE / "results-live.json"
    return json.loads(path.read_text()) if path.exists() else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=None,
                        help="the Markdown page (default book/benchmarks.md)")
    parser.add_argument("--json", type=Path, default=None,
                        help="raw results (default benchmarks/results.json)")
    parser.add_argument("--reps", type=int, default=5,
                        help="repetitions of each timing on MNIST-shaped data (digits: 5 or more)")
    parser.add_argument("--quick", action="store_true",
                        help="a fast smoke run on a slice of the data; writes into _build/")
    parser.add_argument("--skip-notebooks", action="store_true")
    parser.add_argument("--conv-only", action="store_true",
                        help="only time one epoch of the chapter 10 conv net (prints, writes "
                             "nothing)")
    parser.add_argument("--max-load", type=float, default=1.5,
                        help="before every repetition, wait for the 1-minute load average "
                             "(which counts this benchmark as about 1) to drop below this")
    parser.add_argument("--wait", type=float, default=300,
                        help="seconds to spend waiting for that at most, over the whole run "
                             "(then it runs anyway; the load is recorded)")
    parser.add_argument("--render-only", action="store_true",
                        help="only write the page again from the JSON results")
    args = parser.parse_args(argv)
    out = args.out or (ROOT / "_build" / "benchmarks-quick.md" if args.quick
                       else ROOT / "book" / "benchmarks.md")
    json_path = args.json or (ROOT / "_build" / "benchmarks-quick.json" if args.quick
                              else HERE / "results.json")
    if args.render_only:
        results = json.loads(json_path.read_text())
        results["live"] = live_results()
        out.write_text(report.render(results))
        log(f"wrote {out}")
        return 0

    if args.conv_only:
        with threadpool_limits(1):
            res = convnet.time_epochs(reps=1 if args.quick else 5)
        log(json.dumps({k: res[k] for k in ("median", "ratio_torch64", "ratio_torch32")
                        if k in res}, indent=1))
        return 0

    python = Path(sys.executable)
    have_torch = torch_available()
    if not have_torch:
        log("PyTorch is not installed: the PyTorch contenders and the gradient agreement are "
            f"skipped. To include them: `{TORCH_INSTALL}` (or `make bench BENCH_TORCH=1`).")
    names = [n for n in C.CONTENDERS if have_torch or not n.startswith("torch")]
    started = time.perf_counter()
    results = {"quick": args.quick, "lr": LR, "seed": SEED, "have_torch": have_torch,
               "torch_install": TORCH_INSTALL, "contenders": names,
               "labels": {n: C.CONTENDERS[n][2] for n in C.CONTENDERS},
               "max_load": args.max_load, "min_cpu_share": MIN_CPU_SHARE}
    quiet = Quiet(args.max_load, 0 if args.quick else args.wait)
    results["load_start"] = [quiet.wait()]
    with threadpool_limits(1):
        results["machine"] = machine_info(have_torch)
        data, results["data"] = load_data(args.quick)
        results["digits_train_size"] = len(data["digits"][1])
        results["digits_test_size"] = len(data["digits_test"][1])
        log("same maths: one SGD step from the same weights ...")
        results["same_step"] = same_step_check(names, data)
        log("per-epoch times ...")
        results["timing"] = []
        for key, data_name, sizes, batch in CONFIGS:
            reps = 1 if args.quick else (max(args.reps, 5) if data_name == "digits"
                                         else args.reps)
            results["timing"].append(
                time_config(key, data_name, sizes, batch, data, names, reps, args.quick, quiet))
        log("one epoch of the chapter 10 conv net ...")
        results["conv"] = convnet.time_epochs(reps=1 if args.quick else 5)
        if have_torch:
            results["conv"]["agreement"] = convnet.gradient_agreement()
        results["load_after_timing"] = list(os.getloadavg())
        results["waited"] = quiet.waited
        log("digits accuracy ...")
        seeds = [0] if args.quick else [0, 1, 2, 3, 4]
        epochs = 3 if args.quick else 30
        results["accuracy"] = {"seeds": seeds, "epochs": epochs,
                               "table": accuracy_table(names, data, seeds, epochs, (32, 128))}
        if have_torch:
            log("gradient agreement with PyTorch ...")
            import agreement

            results["agreement"] = {
                "rows": agreement.all_pairs(), "not_compared": agreement.NOT_COMPARED,
                "torch_losses": agreement.TORCH_LOSS_NAMES}
    log("in-place updates against W = W - lr * dW ...")
    results["inplace"] = json.loads(subprocess.run(
        [str(python), str(HERE / "inplace.py")], capture_output=True, text=True, check=True,
        cwd=ROOT).stdout)
    log("import nnlib ...")
    results["import"] = import_time(python, runs=3 if args.quick else 11)
    if not args.skip_notebooks and not args.quick:
        log("notebooks (Run-All) ...")
        results["notebooks"] = notebook_times(python)
    results["live"] = live_results()
    results["load_end"] = list(os.getloadavg())
    results["duration"] = time.perf_counter() - started
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=1, default=float) + "\n")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.render(results))
    log(f"wrote {out} and {json_path} in {results['duration'] / 60:.1f} minutes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
