"""Shared fixtures: off-screen plots, and one build of the HTML book per test session."""
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import yaml

# Plots in the unit tests are drawn off-screen. (Not via MPLBACKEND: an environment variable
# would leak into the notebook kernels that nbval starts and change their outputs.)
matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"


def toc_files():
    """The documents of book/_toc.yml in reading order (root first)."""
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part["chapters"]]
    return files


@pytest.fixture(scope="session")
def book():
    """Build the book once (same command as `make book`) into _build, sharing its cache.

    ``--all`` rewrites every page (a few seconds: executed notebooks come from the cache), so
    that prev/next links never go stale when the table of contents changes."""
    jb = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run([str(jb), "build", ".", "--toc", "book/_toc.yml", "-W", "--all"],
                            cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, (
        "the book build failed or warned (-W):\n" + result.stdout[-4000:] + result.stderr[-4000:])
    return HTML



CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_HOW_TO = ("Chromium not found: the browser tests need Debian's chromium "
                   "(apt-get install chromium; .ci/run installs it)")


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for every browser test of the session (Playwright's sync API
    allows one running instance per process)."""
    if not CHROMIUM:
        pytest.skip(CHROMIUM_HOW_TO)
    playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()

def central_difference_gradient(f, x, h=1e-6):
    """Independent finite differences (not nnlib's): nudge each entry of x in place."""
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        old = x[idx]
        x[idx] = old + h
        fp = f()
        x[idx] = old - h
        fm = f()
        x[idx] = old
        grad[idx] = (fp - fm) / (2 * h)
    return grad


@pytest.fixture(scope="session")
def tiny_course(tmp_path_factory):
    """The tiny course of course_fixtures.py graded once, uninterrupted, on this machine by
    `python -m homework grade` (2 workers): (submissions, chapters, grades.csv text). The resume
    and cluster tests compare their grades.csv with this one."""
    from course_fixtures import make_course, run_grading

    from homework.sandbox import check_sandbox

    if check_sandbox():
        pytest.skip(f"no sandbox: {check_sandbox()}")
    root = tmp_path_factory.mktemp("tiny-course")
    subs, chapters = make_course(root)
    run_grading(subs, root / "reference", chapters, "--workers", "2")
    return subs, chapters, (root / "reference" / "grades.csv").read_text()


def gradient_error(analytic, numeric):
    """Relative error, with a floor of 1e-2 on the denominator: a gradient that is (nearly) zero
    is compared absolutely, since finite differences carry a rounding noise of about 1e-10."""
    scale = max(np.linalg.norm(analytic) + np.linalg.norm(numeric), 1e-2)
    return float(np.linalg.norm(analytic - numeric) / scale)


def box_gradient_errors(box, X, V, fd=None, input_grad=True):
    """Relative errors of ``box.backward`` against finite differences (``fd``: nnlib's
    ``numerical_gradient`` by default, or ``central_difference_gradient``) of
    f = Σ (box(X) − Z0)·V, for every parameter and (with ``input_grad``) for X."""
    from nnlib.gradcheck import numerical_gradient

    fd = fd or numerical_gradient
    Z0 = box(X).copy()
    dX = box.backward(V)
    analytic = {k: g.copy() for k, g in box.grads.items()}

    def f():  # centred on Z0 so that rounding of a large sum does not swamp the differences
        return float(np.sum((box.forward(X) - Z0) * V))

    errors = {k: gradient_error(analytic[k], fd(f, p)) for k, p in box.params.items()}
    if input_grad:
        errors["X"] = gradient_error(dX, fd(f, X))
    return errors
