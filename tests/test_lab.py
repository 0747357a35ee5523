"""Chapter 1 in JupyterLab, as a student works with it (`make lab`), in headless Chromium.

One JupyterLab server from the venv (127.0.0.1, a token set here, a temporary copy of the chapter
and of its student edition, temporary Jupyter config/runtime/settings folders), one browser:

* opened, not yet run: not marked modified; the prose shows the glued numbers and boxes instead of
  `{glue`/`{admonition`/`:class:` markup; each explorer says "Run this cell to use the sliders";
* Run All: every cell runs; moving a live slider redraws the figure through the kernel;
* save, shut the kernel down, reopen with a new kernel: no "model not found";
* the student edition with one wrong answer: Run All goes past the unfinished exercises, and the
  failing check shows its message alone, without a traceback through nnlib.

Marked `browser` and `lab` (deselect with -m "not lab"); skipped when Chromium is missing.
"""
import re

import nbformat
import pytest

from lab_server import (ROOT, LabServer, close_all, command, is_dirty,
                        open_notebook, run_all, screenshots)

pytestmark = [pytest.mark.browser, pytest.mark.lab]
CHAPTER = ROOT / "chapters" / "01_neurons.ipynb"
SHOTS = ROOT / "_build" / "screenshots"
MARKUP = ("{glue", "{admonition", ":class:", "{eval}", "\\eqref")


@pytest.fixture(scope="module")
def page(tmp_path_factory, browser):
    from homework import make_student_edition

    tmp = tmp_path_factory.mktemp("lab")
    student = make_student_edition(CHAPTER, tmp / "01_student.ipynb")
    nb = nbformat.read(student, 4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")
                == "ex2-solution")
    cell.source = "def neuron(x, w, b):\n    return 0.5   # a wrong answer\n"
    nbformat.write(nb, student)
    with LabServer([CHAPTER, student]) as lab:
        pg = browser.new_page(viewport={"width": 1280, "height": 900})
        pg.lab = lab
        yield pg
        pg.close()


def markdown_text(page) -> str:
    return page.evaluate("() => Array.from(document.querySelectorAll("
                         "'.jp-MarkdownCell .jp-MarkdownOutput, .jp-MarkdownCell .myst'))"
                         ".map(e => e.innerText).join('\\n')")


def glued_numbers() -> dict:
    """The numbers the chapter glues, as the execution step stored them."""
    nb = nbformat.read(CHAPTER, 4)
    return {e["expression"]: e["result"]["data"]["text/plain"]
            for c in nb.cells for e in c.metadata.get("user_expressions", [])}


def check_prose(page):
    text = markdown_text(page)
    assert len(text) > 10_000, "the chapter's markdown did not render"
    for markup in MARKUP:
        assert markup not in text, f"raw markup {markup!r} in the rendered prose"
    numbers = glued_numbers()
    assert numbers, "no {eval} numbers stored in the chapter: run make outputs"
    for expr, value in numbers.items():
        assert value in text, f"{expr} = {value} is not shown in the prose"
    assert "There are 1,797 images" in text or "1,797" in numbers.values()
    assert page.locator(".jp-MarkdownCell aside, .jp-MarkdownCell .admonition").count() >= 4


def test_opened_chapter_reads_like_the_book(page):
    open_notebook(page, page.lab, CHAPTER.name)
    page.wait_for_timeout(3000)
    assert not is_dirty(page), "opening the chapter marked it modified"
    check_prose(page)
    notes = page.locator("text=Run this cell to use the sliders")
    assert notes.count() >= 2 and notes.first.is_visible()
    screenshots(page, SHOTS / "lab-after-open", [
        ("numbers", ".jp-MarkdownCell:has-text('images. Here is the first one')"),
        ("keyidea", ".jp-MarkdownCell:has-text('Learning needs slopes')"),
        ("explorer", ".jp-OutputArea-output:has-text('Run this cell to use the sliders')")])


def test_run_all_and_move_a_live_slider(page):
    run_all(page)
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
                          ":has-text('Error'), .jp-OutputArea-output:has-text('Traceback')")
    assert errors.count() == 0, errors.first.inner_text()
    check_prose(page)
    slider = page.locator(".widget-slider, .jupyter-widget-slider").first
    slider.wait_for(timeout=30_000)
    box = page.locator(".jupyter-widgets.widget-vbox, .widget-vbox").filter(has=slider).first
    image = box.locator("img").first
    before = image.get_attribute("src")
    width = image.evaluate("e => e.getBoundingClientRect().width")
    assert 400 <= width <= 500, f"live picture shown {width} px wide, not at the figure's size"
    natural = image.evaluate("e => e.naturalWidth")
    assert natural >= 1.9 * width, "live picture is not sharp (no HiDPI pixels)"
    handle = slider.locator(".noUi-handle, .slider-handle").first
    handle.click()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("([img, old]) => img.src !== old", arg=[image.element_handle(), before],
                           timeout=20_000)
    screenshots(page, SHOTS / "lab-after-run", [
        ("numbers", ".jp-MarkdownCell:has-text('images. Here is the first one')"),
        ("explorer", ".widget-vbox")])


def test_saved_chapter_reopens_without_model_errors(page):
    command(page, "docmanager:save")
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty",
                           timeout=20_000)
    saved = nbformat.read(page.lab.root / CHAPTER.name, 4)  # as `make lab` stores it
    assert "widgets" not in saved.metadata
    assert not any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
                   for c in saved.cells for o in c.get("outputs", [])), \
        "the saved chapter keeps live widget views that a new kernel cannot show"
    close_all(page)
    open_notebook(page, page.lab, CHAPTER.name)
    page.wait_for_timeout(3000)
    assert page.locator("text=model not found").count() == 0
    assert not is_dirty(page), "reopening the saved chapter marked it modified"
    assert page.locator("text=Run this cell to use the sliders").count() >= 2


def test_student_edition_runs_past_unfinished_exercises(page):
    close_all(page)
    open_notebook(page, page.lab, "01_student.ipynb")
    run_all(page)
    counts = page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.content.widgets"
        ".filter(c => c.model.type === 'code').map(c => c.model.executionCount)")
    assert all(counts), f"Run All stopped early: execution counts {counts}"
    failed = page.locator(".jp-OutputArea-output:has-text('Check failed:')")
    assert failed.count() >= 1
    text = failed.first.inner_text()
    assert re.search(r"neuron\(x=\[1, 2\].*should be 0\.731059, your code gave 0\.5", text), text
    assert "Traceback" not in text and "exercises.py" not in text, text
    screenshots(page, SHOTS / "lab-after-student", [
        ("check", ".jp-OutputArea-output:has-text('Check failed:')")])
