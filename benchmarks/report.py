"""Turns the results of ``bench.py`` into the appendix page ``book/benchmarks.md`` (MyST Markdown).

Every number on the page comes from the results; nothing here is measured.
"""
from __future__ import annotations

import statistics

NETWORK = {"digits": "digits", "mnist": "MNIST-shaped"}
SHORT_LOSS = {"mse": "MSE", "mae": "MAE", "binary_cross_entropy": "BCE",
              "categorical_cross_entropy": "CCE", "sparse_categorical_cross_entropy": "sparse CCE",
              "softmax_cross_entropy": "softmax CE (labels)",
              "softmax_cross_entropy_onehot": "softmax CE (one-hot)"}
#: the contender an nnlib column is compared with: same precision
BASE = {"nnlib64": "nnlib64", "nnlib32": "nnlib64", "torch64": "nnlib64", "torch32": "nnlib32",
        "sklearn": "nnlib64", "loop": "nnlib64"}


def fmt_time(s: float) -> str:
    if s >= 1:
        return f"{s:.2f} s"
    ms = s * 1e3
    return f"{ms:.0f} ms" if ms >= 100 else f"{ms:.1f} ms" if ms >= 10 else f"{ms:.2f} ms"


def arch(sizes) -> str:
    return "-".join(map(str, sizes))


def table(header, rows, align=None) -> str:
    align = align or ["---"] * len(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _timing(r, key):
    return next(t for t in r["timing"] if t["key"] == key)


def ratio(r, key, a, b):
    """Median per-epoch time of contender ``a`` over that of ``b`` in configuration ``key``."""
    t = _timing(r, key)["median"]
    return t[a] / t[b] if a in t and b in t else None


def targets(r) -> list[tuple[str, str, str, bool | None]]:
    """``(target, measured, limit, holds)``; ``holds`` is None when it could not be measured."""
    rows = []
    torch_rows = [("mnist-784-128-10-b128", "nnlib64", "torch64", 0.8),
                  ("mnist-784-16-16-10-b32", "nnlib64", "torch64", 0.5),
                  ("digits-64-32-10-b32", "nnlib64", "torch64", 0.3),
                  ("digits-64-32-10-b128", "nnlib64", "torch64", 0.3),
                  ("mnist-784-128-10-b128", "nnlib32", "torch32", 0.8)]
    for key, a, b, limit in torch_rows:
        t = _timing(r, key)
        what = (f"{r['labels'][a]} / {r['labels'][b]}, {NETWORK[t['data']]} {arch(t['sizes'])}, "
                f"batch {t['batch']}")
        q = ratio(r, key, a, b)
        rows.append((what, "not measured (no PyTorch)" if q is None else f"{q:.2f}×",
                     f"≤ {limit}×", None if q is None else q <= limit))
    for t in r["timing"]:
        q = ratio(r, t["key"], "nnlib64", "sklearn")
        rows.append((f"nnlib float64 / scikit-learn, {NETWORK[t['data']]} {arch(t['sizes'])}, "
                     f"batch {t['batch']}", f"{q:.2f}×", "≤ 0.8×", q <= 0.8))
    for t in r["timing"]:
        q = ratio(r, t["key"], "loop", "nnlib64")
        rows.append((f"speed-up of nnlib float64 over the per-sample loop, "
                     f"{NETWORK[t['data']]} {arch(t['sizes'])}, batch {t['batch']}",
                     f"{q:.1f}×", "≥ 8×", q >= 8))
    acc = r["accuracy"]["table"].get("nnlib64-b32")
    if acc:
        med = statistics.median(acc)
        rows.append((f"digits test accuracy of nnlib float64 after {r['accuracy']['epochs']} "
                     f"epochs, batch 32, median of {len(acc)} seeds", f"{med:.1%}", "≥ 96 %",
                     med >= 0.96))
    conv = r.get("conv")
    if conv:
        t = conv["median"]["nnlib64"]
        rows.append(("one epoch of the chapter 10 conv net on the digits, nnlib float64",
                     fmt_time(t), f"< {conv['target_seconds']:g} s", t < conv["target_seconds"]))
        q = conv.get("ratio_torch64")
        rows.append(("conv net: nnlib float64 / PyTorch float64",
                     "not measured (no PyTorch)" if q is None else f"{q:.2f}×",
                     f"≤ {conv['target_torch_ratio']:g}×",
                     None if q is None else q <= conv["target_torch_ratio"]))
    imp = r["import"]["median"]
    rows.append(("`import nnlib`, warm, median", f"{imp:.3f} s", "≤ 0.15 s", imp <= 0.15))
    if r.get("agreement"):
        worst = max(d for *_, d in r["agreement"]["rows"])
        rows.append(("gradients against PyTorch autograd, float64, largest relative difference",
                     f"{worst:.1e}", "≤ 1e-10", worst <= 1e-10))
    else:
        rows.append(("gradients against PyTorch autograd", "not measured (no PyTorch)",
                     "≤ 1e-10", None))
    return rows


def render(r: dict) -> str:
    m = r["machine"]
    names = r["contenders"]
    labels = r["labels"]
    timing = r["timing"]
    loads = [l for t in timing for l in t["load"]]
    shares = [s for t in timing for v in t["cpu_share"].values() for s in v]
    spread = max(max(abs(x / t["median"][n] - 1) for x in v)
                 for t in timing for n, v in t["times"].items())
    mnist_reps = next((len(t["load"]) for t in timing if t["data"] == "mnist"), 0)
    digits_reps = next((len(t["load"]) for t in timing if t["data"] == "digits"), 0)
    blocks = timing[-1]["epochs_per_block"], timing[0]["epochs_per_block"]
    out = []
    w = out.append

    w("# How fast is nnlib?\n")
    if r.get("quick"):
        w("```{warning}\nThis page comes from a quick smoke run (`bench.py --quick`: a slice of "
          "the data, one repetition). Its numbers are not representative.\n```\n")
    w("nnlib is written to be read, one formula per line. This appendix checks what that costs: "
      "it trains the same networks with nnlib and with the tools a reader would otherwise "
      "reach for — PyTorch, scikit-learn, and the one-example-at-a-time loop of many "
      "from-scratch tutorials — and times them on one machine. Every number below is "
      "produced by `make bench` (`benchmarks/bench.py`); the page is generated, not written "
      "by hand.\n")

    w("## What is compared\n")
    w("Each contender trains a multi-layer perceptron with ReLU between the layers and a "
      "linear output, on softmax cross-entropy, with plain mini-batch stochastic gradient "
      f"descent (learning rate {r['lr']}, no momentum, no weight decay). For a given "
      "configuration all of them get the same training data, the same layer sizes, the same "
      f"initial weights (nnlib's He initialisation with seed {r['seed']}, copied into every "
      "contender), the same batch size, learning rate and number of epochs. Each shuffles the "
      "examples at every epoch with its own seeded generator.\n")
    descr = {
        "nnlib64": "`mlp` + `SGD`, trained with `nnlib.training.train_epoch` — `fit` without the "
                   "evaluation after each epoch. Like `fit`, it checks the data once and then "
                   "trains without checking every array at every box.",
        "nnlib32": "the same in single precision (`mlp(..., dtype=np.float32)`).",
        "torch64": "PyTorch on the CPU, written the usual way: `nn.Sequential` of `nn.Linear` "
                   "and `nn.ReLU`, `nn.CrossEntropyLoss`, `optim.SGD` with its defaults, "
                   "mini-batches taken by indexing the data tensors with a `torch.randperm` "
                   "permutation (faster than a `DataLoader`).",
        "torch32": "the same in single precision.",
        "sklearn": "`MLPClassifier(solver=\"sgd\", alpha=0, momentum=0, "
                   "learning_rate=\"constant\")` with early stopping and the tolerance stop "
                   "switched off; the initial weights are set through `warm_start`; one "
                   "`fit(max_iter=epochs)` call.",
        "loop": "a loop written in the benchmark, in the classic from-scratch style: inside "
                "each mini-batch, one example at a time — matrix–vector products forward, "
                "backpropagation of that example, gradients added up — then one in-place "
                "update per mini-batch.",
    }
    for n in r["labels"]:
        if n in names:
            w(f"* **{labels[n]}**: {descr[n]}")
        elif n.startswith("torch"):
            w(f"* **{labels[n]}**: not measured — PyTorch is not installed here "
              f"(`{r['torch_install']}` installs the CPU build).")
    w("")
    w("The data:\n")
    for name, text in r["data"].items():
        w(f"* {NETWORK[name]}: {text}.")
    w("")
    w("To make sure that all contenders compute the same thing, one SGD step from the same "
      "weights on the same 64 digits is taken by each; the largest relative difference of "
      "its weights from those of nnlib float64 after that step:\n")
    w(table(["contender", "relative difference"],
            [(labels[n], f"{d:.1e}") for n, d in r["same_step"].items()]) + "\n")
    w("(Rounding error: about 1e-16 in double precision and 1e-7 in single precision.)\n")

    w("## How it is measured\n")
    w(f"* Machine: {m['cpu']}, {m['cores']} cores, {m['memory']} of memory, {m['os']}. "
      "Every library runs on **one thread**: `OPENBLAS_NUM_THREADS`, `OMP_NUM_THREADS` and "
      "`MKL_NUM_THREADS` are 1, threadpoolctl limits every BLAS to one thread"
      + (f", and PyTorch uses {m['torch_threads']} thread." if "torch_threads" in m else "."))
    w("* **Per-epoch time** is the wall-clock time (`time.perf_counter`) of full training "
      "epochs — shuffling, every mini-batch, every update — divided by their number. "
      "Evaluation is not included, and each contender's data is converted to its type "
      f"before the clock starts. On MNIST-shaped data a timing covers "
      f"{blocks[0]['nnlib64']} epochs ({blocks[0]['loop']} for the per-sample loop), on "
      f"digits {blocks[1]['nnlib64']} epochs ({blocks[1]['loop']} for the loop).")
    w("* Every contender first trains briefly without being timed (warm-up). Then the "
      "contenders take turns: repetition *r* runs them all, in an order rotated by *r*, each "
      f"from the same initial weights. {mnist_reps} repetitions on MNIST-shaped data, "
      f"{digits_reps} on digits; the tables show the **median**. Ratios compare medians from "
      "the same run.")
    repeated = sum(t.get("repeated", 0) for t in timing)
    w(f"* Other work on the machine: before every repetition the benchmark waits until the "
      f"1-minute load average is below {r.get('max_load', 1.5)} (the benchmark itself counts "
      f"for about 1); it waited {r.get('waited', 0) / 60:.1f} minutes in all. The load "
      f"average was {r['load_start'][0]:.2f} before the run and between {min(loads):.2f} and "
      f"{max(loads):.2f} at the repetitions. A repetition in which a contender got less than "
      f"{r.get('min_cpu_share', 0.95):.0%} of a CPU (processor time over wall time: other work "
      f"took its core) is measured again; {repeated} were. In the kept repetitions that share "
      f"was at least {min(shares):.2f}, and the slowest or fastest repetition differed from "
      f"its median by at most {spread:.0%}.\n")

    w("## Per-epoch training time\n")
    header = ["data", "network", "batch"] + [labels[n] for n in names]
    rows = []
    for t in timing:
        row = [NETWORK[t["data"]], arch(t["sizes"]), t["batch"]]
        for n in names:
            cell = fmt_time(t["median"][n])
            if n not in ("nnlib64", "nnlib32"):
                cell += f" ({t['median'][n] / t['median'][BASE[n]]:.1f}×)"
            row.append(cell)
        rows.append(row)
    w(table(header, rows, ["---", "---", "--:"] + ["--:"] * len(names)) + "\n")
    w("In parentheses: the contender's time divided by nnlib's time in the same precision "
      "(float32 contenders against nnlib float32, the others against nnlib float64); "
      "2.0× means that nnlib is twice as fast.\n")

    w("Where nnlib's time goes: on the small networks mostly into numpy's fixed cost per "
      "array operation, which small arrays do not amortise; on 784-128-10 into two matrix "
      "products per step — `A @ W.T` forward and `dZ.T @ A` for "
      "the gradient of the first layer — which run in the same OpenBLAS as scikit-learn's. "
      "What keeps the rest small, without changing a formula: `fit` checks the data once "
      "instead of every array at every box; the first layer does not compute the gradient "
      "with respect to the data, which nothing uses; softmax and cross-entropy share one "
      "exponential; mini-batches are gathered into two reused buffers; and the optimizers "
      "update the weights in place (see *In-place updates* below).\n")

    w("## Targets\n")
    w("The goals set for nnlib when this benchmark was written (ratios are nnlib's time "
      "divided by the other's, so smaller is better for nnlib):\n")
    trows = []
    for what, measured, limit, holds in targets(r):
        mark = "—" if holds is None else "yes" if holds else "**no**"
        trows.append((what, measured, limit, mark))
    w(table(["target", "measured", "goal", "holds"], trows, ["---", "--:", "--:", ":-:"]) + "\n")
    w("The goals were set on the machine of the first run. A ratio to another library moves with "
      "the machine and with that library's own speed as much as with nnlib's, so a goal missed "
      "on a new machine need not mean that nnlib became slower. Whether a change to nnlib made it "
      "slower is measured by `benchmarks/compare_revisions.py`, which times two versions of "
      "nnlib in one interleaved run on the same machine.\n")

    conv = r.get("conv")
    if conv:
        w("## A convolutional network\n")
        w(f"Chapter 10's boxes, timed the same way: {conv['network']}, softmax cross-entropy, "
          f"SGD with learning rate {conv['lr']}, batch {conv['batch']}, on the "
          f"{conv['train_size']} training images of the digits split (shape 1×8×8), the same "
          "initial weights for every contender; median over "
          f"{conv['reps']} blocks of {conv['epochs_per_block']} epochs "
          "(`benchmarks/convnet.py`).\n")
        crows = [(labels.get(n, n), fmt_time(t)) for n, t in conv["median"].items()]
        w(table(["contender", "one epoch"], crows, ["---", "--:"]) + "\n")
        if "agreement" in conv:
            w(f"Gradients of this network against PyTorch autograd (float64, every parameter "
              f"and the input): largest relative difference {conv['agreement']:.1e}.\n")

    acc = r["accuracy"]
    w("## Accuracy on digits\n")
    w(f"Test accuracy on the {r['digits_test_size']} test images of the digits split after "
      f"{acc['epochs']} epochs of training on the other {r['digits_train_size']}, for seeds "
      f"{', '.join(map(str, acc['seeds']))} (the seed sets the initial weights, the same for "
      "every contender, and the shuffling):\n")
    arows = []
    for n in names:
        row = [labels[n]]
        for b in (32, 128):
            a = acc["table"][f"{n}-b{b}"]
            row += [f"{statistics.median(a):.1%}", f"{min(a):.1%}", f"{max(a):.1%}"]
        arows.append(row)
    w(table(["contender", "batch 32: median", "min", "max", "batch 128: median", "min", "max"],
            arows, ["---"] + ["--:"] * 6) + "\n")

    w("## Gradients agree with PyTorch\n")
    if r.get("agreement"):
        ag = r["agreement"]
        losses = list(dict.fromkeys(l for _, l, _ in ag["rows"]))
        acts = list(dict.fromkeys(a for a, _, _ in ag["rows"]))
        cell = {(a, l): d for a, l, d in ag["rows"]}
        w("A network of 5 inputs, 4 hidden neurons and 3 outputs gets the same float64 weights "
          "in nnlib and in PyTorch; the gradients of the loss with respect to every weight, "
          "bias and input — from nnlib's backpropagation, both the public `backward` and the "
          "training loop's path — are compared with PyTorch's autograd. Largest relative "
          "difference, `max|a − b| / max|b|`, for each hidden activation (rows) and loss "
          "(columns); `tests/test_torch_agreement.py` requires at most 1e-10:\n")
        w(table(["activation"] + [SHORT_LOSS[l] for l in losses],
                [[a] + [f"{cell[a, l]:.0e}" for l in losses] for a in acts],
                ["---"] + ["--:"] * len(losses)) + "\n")
        w("PyTorch counterparts of the losses: " + "; ".join(
            f"{SHORT_LOSS[k]}: `{v}`" for k, v in ag["torch_losses"].items()) + ". "
          + " ".join(f"Not compared: `{k}` — {v}." for k, v in ag["not_compared"].items())
          + "\n")
    else:
        w(f"Not measured: PyTorch is not installed (`{r['torch_install']}`).\n")

    ip = r.get("inplace")
    if ip:
        w("## In-place updates\n")
        w("nnlib's optimizers never write `W = W - lr * dW`: that line allocates two new arrays "
          "per parameter at every step. They keep one scratch buffer per parameter and update "
          "`W` in place, and `fit` gathers every mini-batch into the same two buffers. One SGD "
          f"update of the {len(ip['shapes'])} parameter arrays of the 784-128-10 network, "
          f"both ways, averaged over {ip['steps']} updates — in a fresh process, where the "
          "memory allocator still hands large freed arrays back to the operating system, and "
          "later, once it keeps them:\n")
        rows = []
        for phase, name in (("first", f"first {ip['steps']} updates"), ("later", "later")):
            tb, inp = ip[phase]["textbook"], ip[phase]["in_place"]
            rows.append((name, f"{tb['us_per_step']:.0f} µs", f"{tb['faults_per_step']:.1f}",
                         f"{inp['us_per_step']:.0f} µs", f"{inp['faults_per_step']:.1f}",
                         f"{tb['us_per_step'] / inp['us_per_step']:.1f}×"))
        w(table(["", "`W = W - lr * dW`", "page faults", "nnlib `SGD`", "page faults",
                 "textbook / in place"], rows, ["---"] + ["--:"] * 5) + "\n")
        w("(Minor page faults per update: each is a fresh page of memory from the operating "
          "system, zeroed before use.)\n")

    w("## Notebooks: Run-All time\n")
    nbs = r.get("notebooks")
    if nbs:
        base = nbs.get("empty", {}).get("seconds")
        nrows = [(f"`{k}`", f"{v['seconds']:.1f} s" + ("" if v["ok"] else " (**failed**)"))
                 for k, v in nbs.items() if k != "empty"]
        total = sum(v["seconds"] for k, v in nbs.items() if k != "empty")
        w("Wall time of `jupyter nbconvert --to notebook --execute` for each chapter, on a "
          "copy in a temporary folder, one after the other. It includes starting a kernel "
          f"and nbconvert itself, which take {base:.1f} s for a notebook with one empty cell.\n")
        w(table(["chapter", "Run-All"], nrows + [("all chapters", f"{total:.1f} s")],
                ["---", "--:"]) + "\n")
    else:
        w("Not measured in this run.\n")

    imp = r["import"]
    heavy = imp["heavy_modules"]
    w("## Import time\n")
    w(f"`import nnlib` takes **{imp['median']:.3f} s** (median of {len(imp['runs'])} fresh "
      f"interpreters after two warm-up runs; fastest {min(imp['runs']):.3f} s, slowest "
      f"{max(imp['runs']):.3f} s). "
      + ("Of matplotlib, ipywidgets, scikit-learn, PyTorch, `scipy.special` and IPython it "
         "loads none: plots, widgets and GELU's `erf` import them on first use, and the digits "
         "data ships with nnlib."
         if not heavy else f"It also loads: {', '.join(heavy)}.") + "\n")

    live = r.get("live")
    w("## The in-browser edition\n")
    if live:
        mb = lambda b: f"{b / 1e6:.1f} MB"  # noqa: E731
        w(f"`make book` adds `_build/html/lite`, the in-browser edition (JupyterLite with "
          f"Pyodide): **{mb(live['lite_bytes'])}** in {live['lite_files']:,} files, of a built "
          f"book of {mb(live['book_bytes'])}. A reader downloads only what the chapter needs. "
          f"Measured by `benchmarks/live.py` on {live['date']} ({live['chromium']}, served from "
          "127.0.0.1 by Python's `http.server`, so the network costs nothing here and a real "
          f"connection adds its download time), opening `{live['chapter']}` in the in-browser "
          "notebook:\n")
        rows = []
        for key, label in (("cold", "first visit (empty browser cache)"),
                           ("warm", "again, same browser (cached)")):
            v = live[key]
            rows.append((label, mb(v["downloaded_bytes"]), str(v["requests"]),
                         f"{v['load_s']:.1f} s", f"{v['first_cell_s']:.1f} s"))
        w(table(["visit", "downloaded", "requests", "page loaded",
                 "kernel started, first cell done"], rows, ["---"] + ["--:"] * 4) + "\n")
        w("*First cell*: the kernel has started and run the chapter's imports (numpy, "
          "matplotlib and nnlib; SciPy and scikit-learn load only in a chapter that imports "
          "them). Requests to any address but "
          f"127.0.0.1: {len(live['outside_requests'])}.\n")
    else:
        w("Not measured in this run (`benchmarks/live.py` after `make book`).\n")

    w("## Machine and versions\n")
    w(f"* Date: {m['date']}; the whole run took {r['duration'] / 60:.1f} minutes.")
    w(f"* CPU: {m['cpu']}, {m['cores']} cores; memory {m['memory']}; {m['os']}.")
    w(f"* Python {m['python']}; " + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
      + ".")
    pools = []
    for b in m["blas"]:
        owner = b.get("owner") or "?"
        kind = b["internal_api"] + (f" {b['version']}" if b.get("version") else "")
        arch_ = f", {b['architecture']} kernels" if b.get("architecture") else ""
        pools.append(f"{kind} ({owner}{arch_}): {b['num_threads']} thread")
    w("* Thread pools loaded, as threadpoolctl sees them: " + "; ".join(pools) + ".")
    if "torch_blas" in m:
        w(f"* PyTorch's BLAS: {m['torch_blas']}.")
    w("")

    w("## Run it yourself\n")
    w(f"```bash\nmake bench                 # {r['duration'] / 60:.0f} minutes here; rewrites this page\n"
      "make bench BENCH_TORCH=1   # installs the PyTorch CPU build (torch==2.13.0) first\n```\n")
    w("`make bench` runs `benchmarks/bench.py` with the project's virtual environment and "
      "writes this page (`book/benchmarks.md`) and the raw measurements "
      "(`benchmarks/results.json`). `benchmarks/bench.py --quick` is a smoke test in under a "
      "minute. Without PyTorch the PyTorch columns are skipped. Times depend on the "
      "machine; the ratios, measured in the same run, travel better.")
    return "\n".join(out) + "\n"
