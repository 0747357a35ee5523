"""How heavy and how fast is the in-browser edition (JupyterLite + Pyodide)?

Needs the built book (`make book`) and Debian's chromium. Serves ``_build/html`` on 127.0.0.1,
opens a chapter's in-browser notebook in headless Chromium (any request to another address is
recorded; there should be none) and measures, cold (a fresh browser profile) and warm (the same profile, page reloaded):

* the bytes downloaded until the chapter's first code cell has run;
* the time from navigation to the page's load event, and to the chapter's first code cell (its
  imports: numpy, matplotlib, nnlib; the kernel starts on the way) having run.

Writes ``benchmarks/results-live.json``; ``bench.py`` puts it in the benchmarks appendix.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HTML = ROOT / "_build" / "html"
OUT = HERE / "results-live.json"


SENT = [0]  # bytes the server has sent: what a reader downloads, workers' requests included


def serve(folder: Path) -> str:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send_header(self, keyword, value):
            # count what the server sends, workers' requests included
            if keyword.lower() == "content-length":
                SENT[0] += int(value)
            super().send_header(keyword, value)

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}"


def folder_size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def visit(context, url: str, marker: str, reload: bool = False, page=None) -> dict:
    """Open (or reload) the notebook and time the three moments; count the bytes."""
    finished = []
    page = page or context.new_page()
    # Listeners only collect (a Playwright call inside a listener would stall the page's events);
    # the sizes are read afterwards.
    def collect(request):
        finished.append(request)

    page.on("requestfinished", collect)
    sent_before = SENT[0]
    t0 = time.perf_counter()
    if reload:
        page.reload(wait_until="load")
    else:
        page.goto(url, wait_until="load")
    loaded = time.perf_counter() - t0
    page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=120_000)
    # The chapter's first code cell (its imports: numpy, matplotlib, nnlib) with one line added
    # that prints a marker: the moment the marker shows, the kernel has started and run them.
    editor = page.locator(".jp-Notebook .jp-CodeCell .cm-content").first
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.insert_text(f'\nprint("{marker}")')
    page.keyboard.press("Shift+Enter")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-OutputArea-output')]"
        f".some(e => e.textContent.includes('{marker}'))", timeout=300_000, polling=100)
    first_output = time.perf_counter() - t0
    page.remove_listener("requestfinished", collect)
    return {"load_s": round(loaded, 2), "first_cell_s": round(first_output, 2), "downloaded_bytes": SENT[0] - sent_before,
            "requests": len(finished), "page": page}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapter", default="01_neurons")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    lite = HTML / "lite"
    if not (lite / "static" / "pyodide" / "pyodide.js").exists():
        sys.exit("no in-browser edition in _build/html/lite: run `make book` first")
    chromium = shutil.which("chromium")
    if not chromium:
        sys.exit("needs Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    site = serve(HTML)
    url = f"{site}/lite/notebooks/index.html?path=chapters/{args.chapter}.ipynb"
    size, files = folder_size(lite)
    book_size, _ = folder_size(HTML)
    result = {"chapter": args.chapter, "lite_bytes": size, "lite_files": files,
              "book_bytes": book_size, "date": time.strftime("%Y-%m-%d"),
              "chromium": subprocess.run([chromium, "--version"], capture_output=True,
                                         text=True).stdout.strip()}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        outside = []  # requests to anywhere but this server (there should be none)
        def record(request):
            if not request.url.startswith((site, "data:", "blob:")):
                outside.append(request.url)

        context.on("request", record)
        cold = visit(context, url, "ready (cold)")
        page = cold.pop("page")
        # warm: the same browser profile (its HTTP cache), the notebook opened again
        page.close()
        warm = visit(context, url, "ready (warm)")
        warm.pop("page")
        browser.close()
    result.update(cold=cold, warm=warm, outside_requests=outside)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
