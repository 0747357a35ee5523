"""The built book in a real browser (headless Debian Chromium driven by Playwright).

For every page: no console error, no failed or external request, math typeset, every image
loaded, every no-kernel slider changes the picture when moved; next-links and the table of
contents reach every chapter; search finds chapters. The book is served from a loopback HTTP
server, as `python -m http.server` would. A screenshot of every page is saved to
_build/screenshots/ (CI artifact).

Without Chromium these tests are skipped with a message saying how to enable them.
"""
import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from conftest import ROOT, toc_files

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HOW_TO_ENABLE = ("Chromium not found: the browser tests need Debian's chromium "
                 "(apt-get install chromium; .ci/run installs it)")
SHOTS = ROOT / "_build" / "screenshots"


@pytest.fixture(scope="session")
def server(book):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM:
        pytest.skip(HOW_TO_ENABLE)
    playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


class Visit:
    """A page opened in a fresh tab, with everything it logged and requested."""

    def __init__(self, browser, url):
        self.page = browser.new_page(viewport={"width": 1100, "height": 900})
        self.errors, self.failed, self.requests = [], [], []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(url, wait_until="load")
        # MathJax typesets after load; wait until it is done (or there is no math)
        self.page.wait_for_function(
            "!window.MathJax || !MathJax.startup || MathJax.startup.promise"
            ".then(() => true)", timeout=20_000)
        self.page.wait_for_timeout(300)

    def close(self):
        self.page.close()


PAGES = toc_files()


@pytest.mark.parametrize("doc", PAGES)
def test_page_loads_cleanly_and_completely(doc, browser, server):
    v = Visit(browser, f"{server}/{doc}.html")
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
        v.page.screenshot(path=str(SHOTS / f"{doc.replace('/', '__')}.png"), full_page=True)
        assert v.errors == [], f"console errors on {doc}: {v.errors}"
        assert v.failed == [], f"failed requests on {doc}: {v.failed}"
        outside = [u for u in v.requests if not u.startswith((server, "data:", "blob:"))]
        assert outside == [], f"{doc} requested {outside}"
        text = v.page.inner_text("article")
        assert "$$" not in text and "\\(" not in text and "\\[" not in text, \
            f"{doc}: math left untypeset"
        if doc.startswith("chapters/"):
            assert v.page.locator("mjx-container").count() > 10, f"{doc}: no typeset math"
        broken = v.page.evaluate(
            "[...document.images].filter(i => !(i.complete && i.naturalWidth > 0))"
            ".map(i => i.src.slice(0, 80))")
        assert broken == [], f"{doc}: images that did not load: {broken}"
    finally:
        v.close()


@pytest.mark.parametrize("doc", [d for d in PAGES if d.startswith("chapters/")])
def test_every_slider_changes_the_picture(doc, browser, server):
    v = Visit(browser, f"{server}/{doc}.html")
    try:
        explorers = v.page.locator(".nnlib-explorer")
        for e in range(explorers.count()):
            ex = explorers.nth(e)
            controls = ex.locator("[data-i]")
            for c in range(controls.count()):
                ctl = controls.nth(c)
                n = int(ctl.evaluate("el => el.tagName === 'SELECT' ? el.options.length "
                                     ": +el.max + 1"))
                start = ctl.evaluate("el => el.value")
                before = ex.evaluate("el => el.dataset.frame || 'start'")
                seen = set()
                for value in range(n):
                    if str(value) == start:
                        continue
                    ctl.evaluate("(el, v) => { el.value = v; "
                                 "el.dispatchEvent(new Event('input')); "
                                 "el.dispatchEvent(new Event('change')); }", str(value))
                    seen.add((ex.locator("img.nnlib-frame").get_attribute("src"),
                              ex.locator("pre.nnlib-text").inner_text(),
                              ex.evaluate("el => el.dataset.frame")))
                assert any(f[2] != before for f in seen), \
                    f"{doc}: explorer {e}, control {c} does not switch frames"
                assert len({f[:2] for f in seen}) > 1 or n == 2, \
                    f"{doc}: explorer {e}, control {c} shows the same picture for every value"
                ctl.evaluate("(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }",
                             start)
        assert v.errors == []
    finally:
        v.close()


def test_next_links_walk_through_the_whole_book(browser, server):
    v = Visit(browser, f"{server}/{PAGES[0]}.html")
    try:
        visited = [PAGES[0]]
        for _ in range(len(PAGES) + 2):
            nxt = v.page.locator("a.right-next")
            if nxt.count() == 0:
                break
            with v.page.expect_navigation():
                nxt.first.click()
            visited.append(v.page.url.split(server + "/", 1)[1].removesuffix(".html"))
        assert visited == PAGES
        # and back again with the previous-links
        for doc in reversed(PAGES[:-1]):
            with v.page.expect_navigation():
                v.page.locator("a.left-prev").first.click()
            assert v.page.url.endswith(f"/{doc}.html")
    finally:
        v.close()


def test_table_of_contents_links_every_page(browser, server):
    v = Visit(browser, f"{server}/{PAGES[0]}.html")
    try:
        hrefs = v.page.evaluate("[...document.querySelectorAll('nav.bd-links a')]"
                                ".map(a => a.href)")
        for doc in PAGES[1:]:
            assert any(h.split("#")[0].endswith(f"/{doc}.html") for h in hrefs), \
                f"the sidebar does not link {doc}"
    finally:
        v.close()


def test_search_finds_chapters(browser, server):
    v = Visit(browser, f"{server}/search.html?q=backpropagation")
    try:
        v.page.wait_for_selector("#search-results ul.search li", timeout=20_000)
        links = v.page.evaluate("[...document.querySelectorAll('#search-results li a')]"
                                ".map(a => a.href)")
        assert any("05_backpropagation" in h for h in links), links[:10]
        assert v.errors == []
    finally:
        v.close()
