"""Why nnlib's optimizers update in place: the textbook ``W = W - lr * dW`` against ``SGD``.

Times one SGD update of the parameters of the 784-128-10 network (float64), both ways, and
counts the minor page faults per update (fresh memory handed out by the operating system). The
textbook line allocates two new arrays per parameter per step; nnlib's ``SGD`` writes into
``W`` through one scratch buffer that lives as long as the optimizer.

The first steps are measured in a fresh process, where the memory allocator still returns
freed large arrays to the operating system; later steps once it has adapted. Prints JSON.
Run: ``.venv/bin/python benchmarks/inplace.py`` (``make bench`` runs it in a fresh process).
"""
import json
import resource
import time

import numpy as np

import nnlib as nn

SHAPES = [(128, 784), (128,), (10, 128), (10,)]
LR = 0.1


def faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def textbook(params, grads, steps):
    for _ in range(steps):
        params = [p - LR * g for p, g in zip(params, grads)]
    return params


def in_place(optimizer, params, grads, steps):
    for _ in range(steps):
        optimizer.step_arrays(params, grads)


def measure(run, steps):
    f0, t0 = faults(), time.perf_counter()
    run(steps)
    return {"us_per_step": (time.perf_counter() - t0) / steps * 1e6,
            "faults_per_step": (faults() - f0) / steps}


def main(steps: int = 500, later_reps: int = 5):
    rng = np.random.default_rng(0)
    params = [rng.normal(size=s) for s in SHAPES]
    grads = [rng.normal(size=s) * 1e-3 for s in SHAPES]
    sgd = nn.SGD(LR)
    results = {"steps": steps, "shapes": SHAPES}
    # first steps in this fresh process: the textbook form first, then nnlib's
    results["first"] = {"textbook": measure(lambda n: textbook(params, grads, n), steps),
                        "in_place": measure(lambda n: in_place(sgd, params, grads, n), steps)}
    later = {"textbook": [], "in_place": []}
    for _ in range(later_reps):  # interleaved
        later["textbook"].append(measure(lambda n: textbook(params, grads, n), steps))
        later["in_place"].append(measure(lambda n: in_place(sgd, params, grads, n), steps))
    results["later"] = {k: {"us_per_step": float(np.median([m["us_per_step"] for m in v])),
                            "faults_per_step": float(np.median([m["faults_per_step"]
                                                                for m in v]))}
                        for k, v in later.items()}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
