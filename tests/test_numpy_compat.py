"""nnlib's unit tests under numpy 2.0, the numpy of the in-browser edition (Pyodide 0.27).

The book's own environment has a newer numpy; the live edition imports nnlib under numpy 2.0.2.
This test makes a second virtual environment (cached in .cache/venv-numpy2.0) with numpy 2.0.2
and otherwise the same pinned packages, and runs nnlib's unit tests there.
"""
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.compat
NUMPY = "2.0.2"  # Pyodide 0.27.7's numpy (book/lite/build_lite.py)
# What nnlib and its unit tests import; their versions are read from requirements.txt.
PACKAGES = ("scipy", "scikit-learn", "tqdm", "matplotlib", "pillow", "ipywidgets", "hypothesis",
            "pytest", "PyYAML", "nbformat", "nbclient", "ipykernel")
UNIT_TESTS = ("activations", "autodiff", "data", "gradcheck", "layers", "losses", "metrics",
              "network", "optimizers", "training", "plotting", "widgets")


def pins():
    wanted = {p.lower().replace("_", "-") for p in PACKAGES}
    found = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        name = line.split("==")[0].strip().lower().replace("_", "-")
        if name in wanted:
            found[name] = line.strip()
    missing = wanted - set(found)
    assert not missing, f"requirements.txt does not pin {sorted(missing)}"
    return sorted(found.values())


def test_nnlib_unit_tests_pass_under_numpy_2_0():
    env_dir = ROOT / ".cache" / f"venv-numpy{NUMPY}"
    python = env_dir / "bin" / "python"
    requirements = [f"numpy=={NUMPY}", *pins()]
    stamp = env_dir / "installed.txt"
    if not stamp.exists() or stamp.read_text() != "\n".join(requirements):
        venv.create(env_dir, with_pip=True, clear=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", *requirements], check=True)
        stamp.write_text("\n".join(requirements))
    version = subprocess.run([str(python), "-c", "import numpy; print(numpy.__version__)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version == NUMPY
    files = [f"tests/test_{name}.py" for name in UNIT_TESTS
             if (ROOT / "tests" / f"test_{name}.py").exists()]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    result = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-o", "addopts=",
         "-W", "error::RuntimeWarning:nnlib.*", *files],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, (f"nnlib's unit tests fail under numpy {NUMPY}:\n"
                                    + result.stdout[-4000:] + result.stderr[-2000:])
