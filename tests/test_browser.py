"""The built book in a real browser (headless Debian Chromium driven by Playwright).

For every page: no console error, no failed or external request, math typeset, every image
loaded, every no-kernel slider changes the picture when moved and says its value to screen
readers; next-links and the table of contents reach every chapter; search finds chapters. At a
phone's width (390 px) and a laptop's (1280 px) every page fits the screen (no sideways page
scroll), figure text stays readable, every image has a real alt text and axe-core (vendored in
tests/vendor, no network) finds no accessibility violation. The book is served from a loopback
HTTP server, as `python -m http.server` would. Screenshots of every page are saved to
_build/screenshots/ (CI artifact).

Without Chromium these tests are skipped with a message saying how to enable them.
"""
import functools
import hashlib
import http.server
import re
import threading

import pytest

from conftest import ROOT, toc_files  # (the browser fixture is there too)

pytestmark = pytest.mark.browser
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


AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"  # axe-core 4.14.1
#: text on figures is never smaller than this many CSS pixels (nnlib.plotting.MIN_TEXT_PX)
MIN_TEXT_PX = 9


class Visit:
    """A page opened in a fresh tab, with everything it logged and requested."""

    def __init__(self, browser, url, width=1100):
        self.page = browser.new_page(viewport={"width": width, "height": 900})
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
        # figures load lazily, and a figure's phone version is hidden on a wide screen: load
        # every image the page shows now, then check that each one arrived
        v.page.evaluate("Promise.all([...document.images].filter(i => i.getClientRects().length)"
                        ".map(i => { i.loading = 'eager'; return i.decode().catch(() => 0); }))")
        broken = v.page.evaluate(
            "[...document.images].filter(i => i.getClientRects().length)"
            ".filter(i => !(i.complete && i.naturalWidth > 0))"
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
                    shown, said, alt = ctl.evaluate(
                        "el => [el.tagName === 'SELECT' ? el.selectedOptions[0].text : "
                        "el.parentElement.querySelector('output').textContent, "
                        "el.getAttribute('aria-valuetext'), "
                        "el.closest('.nnlib-explorer').querySelector('img').alt]")
                    if ctl.evaluate("el => el.type") == "range":
                        assert said == shown, f"{doc}: slider says {said!r}, shows {shown!r}"
                    assert f"= {shown}" in alt, f"{doc}: the picture's alt misses {shown!r}"
                assert ex.locator(".nnlib-result").get_attribute("aria-live") == "polite"
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


@pytest.fixture(scope="session")
def axe_source():
    source = AXE.read_bytes()
    assert hashlib.sha256(source).hexdigest() == AXE_SHA256, \
        f"{AXE} is not axe-core 4.14.1 as vendored (make axe fetches it again)"
    return source.decode("utf-8")


# Smallest text on each figure, in CSS px as shown: its size in points on a figure
# width_in inches wide, scaled to the width the image is displayed at.
FIGURE_TEXT_PX = """[...document.querySelectorAll('.nnlib-figure-box[data-font-pt]')]
  .filter(b => b.querySelector('img').clientWidth > 0)  /* the other of a wide/phone pair */
  .map(b => { const i = b.querySelector('img');
              return [i.alt.slice(0, 60), +b.dataset.fontPt / 72 * i.clientWidth / +b.dataset.widthIn]; })"""


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("doc", PAGES)
def test_page_fits_the_screen_and_is_accessible(doc, width, browser, server, axe_source):
    v = Visit(browser, f"{server}/{doc}.html", width=width)
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
        v.page.screenshot(path=str(SHOTS / f"{doc.replace('/', '__')}_{width}.png"))
        overflow = v.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{doc} scrolls sideways by {overflow} px at {width} px"
        if width < 720:  # a phone: figures scroll sideways rather than shrink their text
            small = [(alt, round(px, 1)) for alt, px in v.page.evaluate(FIGURE_TEXT_PX)
                     if px < MIN_TEXT_PX - 0.05]
            assert small == [], f"{doc} at {width} px: figure text below {MIN_TEXT_PX} px: {small}"
        alts = v.page.evaluate("[...document.querySelectorAll('article img')]"
                               ".map(i => i.getAttribute('alt'))")
        bad = [a for a in alts if not a or not a.strip()
               or re.search(r"(^|/)[\w.-]+\.(png|svg|jpe?g|gif)$|^(\.\./)?_images/|^data:", a)]
        assert bad == [], f"{doc}: images without a real alt text: {bad[:5]}"
        if doc.startswith("chapters/"):
            assert v.page.locator(".nnlib-figure-box[data-font-pt]").count() > 0, \
                f"{doc}: no figure carries its readability data (re-execute the chapter?)"
        v.page.add_script_tag(content=axe_source)
        violations = v.page.evaluate(
            "axe.run(document).then(r => r.violations.map(x => "
            "[x.id, x.nodes.length, x.nodes[0].target.join(' ')]))")
        assert violations == [], f"axe-core on {doc} at {width} px: {violations}"
    finally:
        v.close()


@pytest.mark.parametrize("doc", [d for d in PAGES if d.startswith("chapters/")])
def test_formulas_are_not_tab_stops(doc, browser, server):
    v = Visit(browser, f"{server}/{doc}.html")
    try:
        # a formula is a Tab stop only to be scrolled (wider than the column) or as a link
        stops = v.page.evaluate(
            "[...document.querySelectorAll('mjx-container')].filter(m => m.tabIndex >= 0 "
            "&& m.getAttribute('role') !== 'link' && m.scrollWidth <= m.clientWidth + 1).length")
        assert stops == 0, f"{doc}: {stops} formulas are Tab stops"
        links = v.page.evaluate("[...document.querySelectorAll('mjx-container[role=link]')]"
                                ".map(m => [m.tabIndex, m.getAttribute('aria-label')])")
        assert all(t == 0 and label.startswith("Equation (") for t, label in links), links[:3]
    finally:
        v.close()
