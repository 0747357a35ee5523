"""The HTML book builds offline and warning-free, and every page is self-contained.

The build runs once per test session (``jupyter-book build . --toc book/_toc.yml -W``, the same
command as ``make book``) into the repository's ``_build``, so its execution cache is shared.
"""
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from conftest import HTML, ROOT, toc_files  # noqa: F401  (the `book` fixture is there too)

pytestmark = pytest.mark.book


class Resources(HTMLParser):
    """Collects every URL the page would load by itself (scripts, styles, images, frames)."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "audio", "video", "embed") and a.get("src"):
            self.urls.append(a["src"])
        if tag == "link" and a.get("href") and a.get("rel", "") in (
                "stylesheet", "preload", "icon", "shortcut icon", "modulepreload", "prefetch"):
            self.urls.append(a["href"])
        if tag == "object" and a.get("data"):
            self.urls.append(a["data"])


def test_every_toc_entry_has_a_page(book):
    for f in toc_files():
        assert (book / f"{f}.html").exists(), f"{f} is in the table of contents but was not built"


def pages_of(book):
    """The book's pages (not the theme's templates that sit in _static)."""
    # (not the theme's templates in _static, nor the in-browser edition's app in lite/)
    return sorted(p for p in book.rglob("*.html")
                  if not {"_static", "lite"} & set(p.relative_to(book).parts))


def test_pages_load_nothing_from_outside_the_build_folder(book):
    pages = pages_of(book)
    assert pages
    for page in pages:
        parser = Resources()
        parser.feed(page.read_text(encoding="utf-8"))
        for url in parser.urls:
            parsed = urlparse(url)
            if parsed.scheme == "data":
                continue
            assert not parsed.scheme and not parsed.netloc and not url.startswith("//"), \
                f"{page.relative_to(book)} loads {url} from outside the book"
            target = (page.parent / unquote(parsed.path)).resolve()
            assert target.is_relative_to(book.resolve()) and target.exists(), \
                f"{page.relative_to(book)} refers to {url}, which is not in the build folder"


def test_stylesheets_import_nothing_remote(book):
    for css in book.rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        remote = re.findall(r"(?:@import\s+|url\()\s*['\"]?((?:https?:)?//[^'\")\s]+)", text)
        assert not remote, f"{css.relative_to(book)} fetches {remote[:3]}"


def test_math_is_rendered_by_the_local_mathjax(book):
    page = (book / "chapters" / "01_neurons.html").read_text(encoding="utf-8")
    assert '_static/mathjax/tex-chtml.js' in page
    assert (book / "_static" / "mathjax" / "tex-chtml.js").exists()
    assert page.count('class="math') > 5, "chapter 1 should contain typeset math"


def test_widgets_show_their_no_kernel_fallback(book):
    for f in toc_files():
        page = (book / f"{f}.html").read_text(encoding="utf-8")
        # a live widget view in the HTML would need a kernel and the CDN widget manager
        assert "application/vnd.jupyter.widget-view+json" not in page, f
        for blob in re.findall(r'<script type="application/json" class="nnlib-data">(.*?)</script>',
                               page):
            data = json.loads(blob)
            n = 1
            for size in data["sizes"]:
                n *= size
            assert len(data["frames"]) == n, f"{f}: an explorer lacks frames"
            assert all(0 <= i < len(data["images"]) for i, _ in data["frames"])


def test_chapter_one_has_explorers(book):
    page = (book / "chapters" / "01_neurons.html").read_text(encoding="utf-8")
    assert page.count('class="nnlib-explorer"') >= 2


def test_glued_numbers_are_resolved(book):
    for f in toc_files():
        page = (book / f"{f}.html").read_text(encoding="utf-8")
        assert "{glue" not in page, f"{f}: a glue reference was not filled in"
        assert "{eval}" not in page, f"{f}: an {{eval}} expression was not filled in"


def test_numbers_stored_for_jupyterlab_match_the_book(book):
    """`make outputs` stores each {eval} value for JupyterLab; the book computes them afresh. A
    stored value missing from the page means the chapter needs `make outputs` again."""
    import nbformat

    for f in toc_files():
        if not f.startswith("chapters/"):
            continue
        nb = nbformat.read(ROOT / f"{f}.ipynb", 4)
        text = page_text((book / f"{f}.html").read_text(encoding="utf-8"))
        for cell in nb.cells:
            for e in cell.metadata.get("user_expressions", []):
                value = e["result"]["data"]["text/plain"]
                assert value in text, f"{f}: stored {e['expression']} = {value} is not in the book"


def page_text(page: str) -> str:
    """What a reader sees: the page without tags (code is split into highlighting spans)."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_exercises_hide_solutions_and_drop_hidden_tests(book):
    import nbformat

    for f in toc_files():
        if not f.startswith("chapters/"):
            continue
        nb = nbformat.read(ROOT / f"{f}.ipynb", 4)
        page = (book / f"{f}.html").read_text(encoding="utf-8")
        text = page_text(page)
        meta = [c.metadata.get("nbgrader", {}) for c in nb.cells]
        public = "\n".join(re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", c.source,
                                  flags=re.S) for c in nb.cells)
        assert page.count("Show solution") == sum(bool(m.get("solution")) for m in meta), f
        checked = sum(bool(m.get("grade")) and bool(c.get("outputs")) for c, m in zip(nb.cells, meta))
        assert text.count("these checks passed with the reference solution") == checked, \
            f"{f}: a check cell's stored output is not labelled as the reference solution's"
        assert "HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text, f
        for cell, m in zip(nb.cells, meta):
            if not (m.get("grade") and "### BEGIN HIDDEN TESTS" in cell.source):
                continue
            visible, rest = cell.source.split("### BEGIN HIDDEN TESTS")
            hidden = rest.split("### END HIDDEN TESTS")[0]
            shown = [l.strip() for l in visible.splitlines() if len(l.strip()) > 25]
            assert all(l in text for l in shown), f"{f}: a visible test line is missing"
            for line in hidden.splitlines():
                line = line.strip()
                if len(line) > 25 and line not in public:  # lines only the hidden tests have
                    assert line not in text, f"{f}: hidden test shown: {line}"


def test_chapters_offer_their_notebook_for_download(book):
    for f in toc_files():
        if not f.startswith("chapters/"):
            continue
        page = (book / f"{f}.html").read_text(encoding="utf-8")
        link = f'href="../_sources/{f}.ipynb"'
        assert link in page, f"{f}: no download-notebook button"
        assert (book / "_sources" / f"{f}.ipynb").exists()


class VisibleText(HTMLParser):
    """The prose a reader sees: text outside code, preformatted output, scripts and the math
    containers that MathJax typesets (``span.math``, ``div.math``)."""

    SKIP_TAGS = {"code", "pre", "script", "style", "textarea", "svg", "math"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
            "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []  # one flag per open element: does it hide its text?
        self.chunks = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        self.stack.append(tag in self.SKIP_TAGS or "math" in classes or "highlight" in classes)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not any(self.stack):
            self.chunks.append(data)


RAW_TEX = re.compile(r"\$|\\\(|\\\[|\\sum|\^\{")


def raw_tex_left(html_text: str) -> list[str]:
    """Pieces of LaTeX that were not typeset: ``$``, ``\\(``, ``\\[``, ``\\sum`` or ``^{`` in the
    visible prose (with a little context each)."""
    parser = VisibleText()
    parser.feed(html_text)
    text = " ".join(parser.chunks)
    return [text[max(0, m.start() - 40):m.end() + 40].replace("\n", " ")
            for m in RAW_TEX.finditer(text)]


def test_raw_tex_finder_sees_untypeset_math():
    page = ('<p>typeset <span class="math notranslate nohighlight">\\(z^{(2)}_j\\)</span></p>'
            '<pre>cost = $5</pre><div class="highlight"><span>x^{2}</span></div>')
    assert raw_tex_left(page) == []
    assert raw_tex_left("<ul><li><p>b^{(2)}j$. So</p></li></ul>")
    assert raw_tex_left("<p>$z^{(2)}j = \\sum_k W</p>")


def test_numbered_equations_are_marked_math_first(book):
    """A display equation's class starts with "math", like an inline formula's, so that any tool
    that skips class="math…" (MathJax does not care about the order) skips it too."""
    for page in pages_of(book):
        html = page.read_text(encoding="utf-8")
        assert 'class="amsmath math' not in html, f"{page.relative_to(book)}: amsmath class first"
        if page.name == "01_neurons.html":
            assert html.count('<div class="math notranslate nohighlight amsmath">') >= 5


def test_no_raw_latex_in_the_prose(book):
    for page in pages_of(book):
        left = raw_tex_left(page.read_text(encoding="utf-8"))
        assert not left, f"{page.relative_to(book)} shows raw LaTeX: {left[:5]}"


def test_chapters_offer_the_student_edition_and_say_how_to_check_answers(book):
    import nbformat

    for f in toc_files():
        if not f.startswith("chapters/"):
            continue
        name = f.split("/")[-1]
        page = (book / f"{f}.html").read_text(encoding="utf-8")
        assert f'href="../student/{name}.ipynb"' in page, f"{f}: no student edition offered"
        assert "all visible checks passed" in page_text(page), f"{f}: no note on checking answers"
        student = nbformat.read(book / "student" / f"{name}.ipynb", 4)
        source = "\n".join(c.source for c in student.cells)
        assert "BEGIN SOLUTION" not in source and "BEGIN HIDDEN TESTS" not in source, name
        assert "NotImplementedError" in source, f"{name}: answer cells should be stubs"
        assert not any(c.get("outputs") for c in student.cells if c.cell_type == "code")


def test_no_test_harness_comments_on_pages(book):
    for f in toc_files():
        text = page_text((book / f"{f}.html").read_text(encoding="utf-8"))
        assert "NBVAL_" not in text, f"{f} shows an nbval comment"


def test_pages_do_not_load_fontawesome_script_or_widget_state(book):
    for page in pages_of(book):
        html = page.read_text(encoding="utf-8")
        assert "fontawesome.js" not in html, page
        assert "application/vnd.jupyter.widget-state+json" not in html, page
