"""The in-browser edition (JupyterLite + Pyodide) in a real browser, with the network cut.

For every chapter, its student edition is worked through in the browser in one kernel session, as
a reader would: the in-browser kernel starts; a code cell is edited, re-run and shows its new
output; a matplotlib figure appears; an explorer's slider (or drop-down), moved in the live view,
calls Python and changes the picture; and the first exercise's visible check passes with the reference answer and
fails with a typical wrong one (from tests/test_exercise_checks.py). Chromium may reach only 127.0.0.1: every
other request is aborted and recorded, and the test fails if there was one.

The edition is built once per session (``book/lite/build_lite.py``, as ``make book`` does) into
``_build/html/lite``; the first build downloads and verifies Pyodide (``.cache/lite``).
"""
import functools
import http.server
import json
import re
import shutil
import subprocess
import sys
import threading
import time

import nbformat
import pytest

from conftest import HTML, ROOT, toc_files

pytestmark = [pytest.mark.browser, pytest.mark.live]
CHAPTERS = [f.split("/", 1)[1] for f in toc_files() if f.startswith("chapters/")]
LITE = HTML / "lite"
SHOTS = ROOT / "_build" / "screenshots"
TIMINGS = ROOT / "_build" / "live-timings.json"
RUN_TIMEOUT = 300_000  # ms for a whole group of cells: Pyodide is slower than CPython


@pytest.fixture(scope="session")
def lite(book):
    """The book with its in-browser edition (the HTML book first, as `make book` does)."""
    if not shutil.which("npm"):
        pytest.skip("npm not found: the in-browser edition takes Pyodide from its npm package "
                    "(apt-get install npm; .ci/run installs it)")
    # the relative --out of the Makefile's `make book` and `make lite`
    result = subprocess.run([sys.executable, str(ROOT / "book/lite/build_lite.py"),
                             "--out", str(LITE.relative_to(ROOT))], cwd=ROOT,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return HTML


@pytest.fixture(scope="session")
def site(lite):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(lite)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="session")
def timings():
    found = {}
    yield found
    TIMINGS.parent.mkdir(parents=True, exist_ok=True)
    old = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    TIMINGS.write_text(json.dumps({**old, **found}, indent=1))


class Notebook:
    """One notebook opened in JupyterLite's notebook view, in a fresh browser context."""

    def __init__(self, chromium, site, path):
        self.site = site
        self.outside, self.errors = [], []
        self.context = chromium.new_context(viewport={"width": 1280, "height": 900})
        self.context.route("**/*", self._only_loopback)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.t0 = time.monotonic()
        self.page.goto(f"{site}/lite/notebooks/index.html?path={path}")
        self.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        self.cells = self.page.locator(".jp-Notebook .jp-Cell")

    def _only_loopback(self, route):
        if route.request.url.startswith(self.site):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def elapsed(self):
        return round(time.monotonic() - self.t0, 1)

    def wait_idle(self, timeout=RUN_TIMEOUT):
        """Until no cell waits for the kernel (no `[*]` prompt left)."""
        self.page.wait_for_timeout(300)
        self.page.wait_for_function(
            "() => [...document.querySelectorAll('.jp-Notebook .jp-InputArea-prompt')]"
            ".every(e => !e.textContent.includes('*'))", timeout=timeout, polling=250)

    def select(self, i):
        prompt = self.cells.nth(i).locator(".jp-InputPrompt, .jp-InputArea-prompt").first
        prompt.scroll_into_view_if_needed()
        prompt.click()

    def run_range(self, a, b):
        """Run cells a..b (inclusive) as one selection, as a reader does with Shift+click."""
        self.select(a)
        if b != a:
            prompt = self.cells.nth(b).locator(".jp-InputPrompt, .jp-InputArea-prompt").first
            prompt.scroll_into_view_if_needed()
            prompt.click(modifiers=["Shift"])
        self.page.keyboard.press("Shift+Enter")
        self.wait_idle()

    def move_control(self, i):
        """Move cell i's first live control — click near the far end of its slider, or pick
        another entry of its drop-down — and wait for a new picture from the kernel."""
        cell = self.cells.nth(i)
        image = cell.locator("img.widget-image").first
        image.wait_for(timeout=60_000)
        image.scroll_into_view_if_needed()
        before = image.get_attribute("src")
        track = cell.locator(".widget-slider .noUi-target")
        if track.count():
            box = track.first.bounding_box()
            handle = cell.locator(".widget-slider .noUi-handle").first.bounding_box()
            right = handle["x"] < box["x"] + box["width"] / 2
            x = box["x"] + (0.97 if right else 0.03) * box["width"]
            self.page.mouse.click(x, box["y"] + box["height"] / 2)
        else:
            select = cell.locator(".widget-dropdown select").first
            options = select.locator("option")
            current = select.evaluate("el => el.selectedIndex")
            select.select_option(index=(current + 1) % options.count())
        self.page.wait_for_function("([el, old]) => el.getAttribute('src') !== old",
                                    arg=[image.element_handle(), before], timeout=60_000)

    def set_source(self, i, text):
        editor = self.cells.nth(i).locator(".cm-content").first
        editor.scroll_into_view_if_needed()
        editor.click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.press("Delete")
        self.page.keyboard.insert_text(text)  # one insertion: no auto-indent per line
        self.page.keyboard.press("Escape")

    def output(self, i):
        return self.cells.nth(i).locator(".jp-OutputArea").first.inner_text()

    def has_error(self, i):
        """Did cell i end in an exception? (Errors render as stderr; so do harmless warnings.)"""
        texts = self.cells.nth(i).locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
        return any(not t.startswith("Matplotlib is building the font cache") for t in texts)

    def close(self):
        self.context.close()


def code_cells(nb):
    """Indices in the notebook view (all cells) of the code cells, with the cells."""
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def first(nb, predicate):
    return next((i for i, c in code_cells(nb) if predicate(c)), None)


def has_image(cell):
    return any("image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {})
               for o in cell.get("outputs", []))


def exercise_cells(nb):
    """(solution cell index, test cell index, grade_id) of the first exercise."""
    for i, c in code_cells(nb):
        meta = c.metadata.get("nbgrader", {})
        if meta.get("solution") and not meta.get("grade"):
            for j in range(i + 1, len(nb.cells)):
                if nb.cells[j].metadata.get("nbgrader", {}).get("grade"):
                    return i, j, meta["grade_id"]
    raise AssertionError("no exercise found")


def reference_answer(nb, grade_id):
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return "\n".join(line for line in cell.source.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_live(chapter, browser, site, timings):
    """The student edition of the chapter, worked through in the browser, top to bottom."""
    from test_exercise_checks import MISTAKES

    full = nbformat.read(ROOT / "chapters" / f"{chapter}.ipynb", as_version=4)
    student = nbformat.read(LITE / "files" / "exercises" / f"{chapter}.ipynb", as_version=4)
    assert [c.cell_type for c in student.cells] == [c.cell_type for c in full.cells]
    solution, check, grade_id = exercise_cells(student)
    fig = first(full, has_image)
    explorer = first(full, lambda c: "explore(" in c.source)
    assert fig is not None and fig < solution, f"{chapter}: no figure before the exercises"
    view = Notebook(browser, site, f"exercises/{chapter}.ipynb")
    try:
        # The kernel starts and an edited cell shows its new output.
        start = first(student, lambda c: True)
        view.set_source(start, student.cells[start].source + "\nprint('edited:', 6 * 7)")
        view.run_range(start, start)
        assert "edited: 42" in view.output(start), view.output(start)[-2000:]
        timings[chapter] = {"first_output_s": view.elapsed()}

        # A matplotlib figure appears, drawn by Pyodide's matplotlib.
        view.run_range(start + 1, fig)
        assert view.cells.nth(fig).locator(".jp-OutputArea-output img").count() > 0, \
            f"{chapter}: no figure after running cell {fig}: {view.output(fig)[-1500:]}"
        done = fig

        # An explorer's live control calls the Python draw function and changes the picture.
        if explorer is not None and explorer < solution:
            view.run_range(done + 1, explorer)
            done = explorer
            view.move_control(explorer)
        SHOTS.mkdir(parents=True, exist_ok=True)
        view.page.screenshot(path=str(SHOTS / f"live__{chapter}.png"))

        # The first exercise: its visible check passes the reference answer ...
        view.set_source(solution, reference_answer(full, grade_id))
        view.run_range(done + 1, check)
        assert not view.has_error(check), \
            f"{chapter}: the visible check fails the reference answer:\n{view.output(check)}"
        # ... and fails a typical wrong one, with its message.
        view.set_source(solution, MISTAKES[chapter][grade_id][0])
        view.run_range(solution, check)
        assert view.has_error(check), f"{chapter}: the visible check passes a wrong answer"
        timings[chapter]["whole_chapter_s"] = view.elapsed()
        assert view.outside == [], f"requests that left 127.0.0.1: {view.outside[:5]}"
        assert view.errors == [], view.errors
    finally:
        view.close()


def test_shipped_packages_are_all_on_the_licence_page(lite):
    shipped = json.loads((LITE / "shipped-packages.json").read_text())
    page = (ROOT / "book" / "live.md").read_text()
    rows = {m.group(1) for m in re.finditer(r"^\| ([^|]+?) \|", page, re.M)}
    missing = [r["name"] for r in shipped if r["name"] not in rows]
    assert missing == [], f"book/live.md does not list the licences of {missing}"


def test_chapter_pages_link_the_live_edition(lite):
    for chapter in CHAPTERS:
        html = (lite / "chapters" / f"{chapter}.html").read_text()
        for folder in ("chapters", "exercises"):
            href = f"../lite/notebooks/index.html?path={folder}/{chapter}.ipynb"
            assert href in html, f"{chapter}.html has no link to {href}"
            assert (LITE / "files" / folder / f"{chapter}.ipynb").exists()
