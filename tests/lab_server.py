"""A throw-away JupyterLab server for the browser tests (and for screenshots by hand).

Started from the project's venv on 127.0.0.1 with a token chosen here, on a temporary copy of
chapters/, with its own Jupyter config, runtime, settings and workspace folders, so that nothing
of the developer's own Jupyter set-up takes part and nothing is left behind::

    with LabServer(notebooks=[...]) as lab:
        page.goto(lab.url("01_neurons.ipynb"))

Run as a script to take screenshots of a chapter: ``python tests/lab_server.py 01_neurons before``.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# JupyterLab settings for a predictable page: every cell in the DOM (no windowing), no news
# or update pop-ups.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """JupyterLab on 127.0.0.1 serving a temporary copy of ``notebooks`` (default: chapters/)."""

    def __init__(self, notebooks=None, timeout: float = 90):
        self.notebooks = [Path(p) for p in (notebooks or sorted((ROOT / "chapters").glob("*.ipynb")))]
        self.timeout = timeout
        self.token = secrets.token_hex(16)
        self.port = _free_port()
        self.proc = None

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/lab/tree/{path}?token={self.token}"

    def __enter__(self) -> "LabServer":
        self._tmp = tempfile.TemporaryDirectory(prefix="nnlib-lab-")
        tmp = Path(self._tmp.name)
        self.root = tmp / "chapters"
        self.root.mkdir()
        for nb in self.notebooks:
            shutil.copy(nb, self.root / nb.name)
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp / "config"),
                   JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
                   JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
                   JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
                   OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        env.pop("MPLBACKEND", None)  # the kernels use the inline backend, as for a student
        for rel, values in SETTINGS.items():
            f = tmp / "settings" / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(json.dumps(values))
        jupyter = Path(sys.executable).with_name("jupyter")
        self.log = open(tmp / "server.log", "w")
        self.proc = subprocess.Popen(
            [str(jupyter), "lab", "--no-browser", "--ServerApp.open_browser=False",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
             "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
             f"--ServerApp.root_dir={self.root}", "--LabApp.expose_app_in_browser=True",
             "--FileContentsManager.pre_save_hook=chaptertools.execute.pre_save_hook",
             "--allow-root"], cwd=self.root, env=env, stdout=self.log,
            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/status?token="
                                            f"{self.token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("JupyterLab did not start:\n" + self.server_log())
            time.sleep(0.5)
        return self

    def server_log(self) -> str:
        self.log.flush()
        return (Path(self._tmp.name) / "server.log").read_text()[-4000:]

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            try:  # the server's own shutdown stops its kernels too
                req = urllib.request.Request(f"http://127.0.0.1:{self.port}/api/shutdown?token="
                                             f"{self.token}", method="POST")
                urllib.request.urlopen(req, timeout=10)
                self.proc.wait(timeout=20)
            except Exception:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
        self.log.close()
        self._tmp.cleanup()


# ------------------------------------------------------------------ driving a notebook page
def wait_idle(page, timeout=120_000):
    """Wait until the notebook's kernel is connected and idle."""
    page.wait_for_function(
        "() => { const a = window.jupyterapp; const w = a && a.shell.currentWidget;"
        " const k = w && w.sessionContext && w.sessionContext.session &&"
        " w.sessionContext.session.kernel;"
        " return !!k && k.status === 'idle' && k.connectionStatus === 'connected'; }",
        timeout=timeout)


def open_notebook(page, lab, name):
    """Open ``name`` (the page is loaded the first time; later, the file is opened in the page)."""
    if page.evaluate("() => !!window.jupyterapp"):
        command(page, "docmanager:open", {"path": name})
        page.wait_for_function(
            "n => { const w = window.jupyterapp.shell.currentWidget;"
            " return w && w.context && w.context.path === n; }", arg=name, timeout=60_000)
    else:
        page.goto(lab.url(name), wait_until="load")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    wait_idle(page)
    page.wait_for_timeout(1500)  # markdown and outputs render after the model loads


def close_all(page):
    """Close every tab without saving and shut its kernel down."""
    page.evaluate("""async () => { const app = window.jupyterapp;
        for (const w of Array.from(app.shell.widgets('main'))) {
            if (w.sessionContext) { await w.sessionContext.shutdown(); }
            if (w.context) { w.context.model.dirty = false; }
            w.dispose(); } }""")
    page.wait_for_timeout(1000)


def command(page, cmd, args=None):
    return page.evaluate("([c, a]) => window.jupyterapp.commands.execute(c, a || {})", [cmd, args])


def run_all(page, timeout=240_000):
    """Run all cells and wait until every code cell has run (or was left unrun by an abort)."""
    command(page, "notebook:run-all-cells")
    page.wait_for_timeout(1000)
    page.wait_for_function(
        "() => { const w = window.jupyterapp.shell.currentWidget;"
        " const cells = w.content.widgets.filter(c => c.model.type === 'code');"
        " const busy = w.sessionContext.session.kernel.status !== 'idle';"
        " return !busy && cells.every(c => !c.promptNode ||"
        "   !c.promptNode.textContent.includes('*')); }", timeout=timeout)
    page.wait_for_timeout(1500)


def is_dirty(page) -> bool:
    return page.evaluate("() => window.jupyterapp.shell.currentWidget.context.model.dirty")


def screenshots(page, prefix: Path, selectors):
    """Screenshot the notebook scrolled to the first element matching each selector."""
    prefix.parent.mkdir(parents=True, exist_ok=True)
    shots = []
    for i, (name, sel) in enumerate(selectors):
        loc = page.locator(sel).first
        if loc.count() == 0:
            continue
        loc.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(600)
        out = prefix.parent / f"{prefix.name}-{i}-{name}.png"
        page.screenshot(path=str(out))
        shots.append(out)
    return shots


if __name__ == "__main__":  # screenshots of a chapter before/after Run All
    from playwright.sync_api import sync_playwright

    chapter, label = sys.argv[1], sys.argv[2]
    nb = ROOT / "chapters" / f"{chapter}.ipynb"
    with LabServer([nb]) as lab, sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = b.new_page(viewport={"width": 1280, "height": 900})
        open_notebook(page, lab, nb.name)
        print("dirty after open:", is_dirty(page))
        sel = [("numbers", ".jp-MarkdownCell:has-text('images. Here is the first one')"),
               ("keyidea", ".jp-MarkdownCell:has-text('Learning needs slopes')"),
               ("explorer", ".jp-OutputArea-output:has(.nnlib-explorer), .widget-vbox")]
        for s in screenshots(page, ROOT / "_build" / "screenshots" / f"lab-{label}-open", sel):
            print(s)
        run_all(page)
        for s in screenshots(page, ROOT / "_build" / "screenshots" / f"lab-{label}-run", sel):
            print(s)
        b.close()
