"""Homework, end to end: student editions (nbgrader's preprocessors), and sandboxed grading that
gives full marks to the instructor's notebook, zero to the untouched student edition, and loses
exactly the points of a wrong exercise. Failure modes (infinite loop, exception, deleted or edited test, corrupted
file) are graded on chapter 1 within a bounded time. No network."""
import copy
import csv

import nbformat
import pytest

from homework import CODE_STUB, grade_submissions, make_student_edition
from homework.config import chapter_notebooks
from homework.grade import make_template
from homework.sandbox import check_sandbox

CHAPTERS = chapter_notebooks()
pytestmark = pytest.mark.homework
# grading runs each notebook in a bubblewrap sandbox (.ci/run installs it) and refuses without it
needs_sandbox = pytest.mark.skipif(bool(check_sandbox()), reason=f"no sandbox: {check_sandbox()}")


def nbgrader_meta(cell):
    return cell.metadata.get("nbgrader", {})


def cell_by_id(nb, grade_id):
    return next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id)


def test_every_chapter_has_graded_exercises():
    for path in CHAPTERS:
        nb = nbformat.read(path, 4)
        graded = [c for c in nb.cells if nbgrader_meta(c).get("grade")]
        solutions = [c for c in nb.cells if nbgrader_meta(c).get("solution")]
        assert len(graded) >= 3, f"{path.name}: needs at least 3 graded test cells"
        assert len(solutions) >= 3, f"{path.name}: needs at least 3 solution cells"
        ids = [nbgrader_meta(c)["grade_id"] for c in nb.cells if nbgrader_meta(c)]
        assert len(ids) == len(set(ids)), f"{path.name}: grade_ids must be unique"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_student_edition_hides_solutions_and_hidden_tests(path, tmp_path):
    source = nbformat.read(path, 4)
    student = nbformat.read(make_student_edition(path, tmp_path / path.name), 4)
    assert len(student.cells) == len(source.cells)
    assert "widgets" not in student.metadata
    for before, after in zip(source.cells, student.cells):
        meta = nbgrader_meta(before)
        assert "BEGIN SOLUTION" not in after.source and "BEGIN HIDDEN TESTS" not in after.source
        if after.cell_type == "code":
            assert after.outputs == [] and after.execution_count is None
        if meta.get("solution"):
            assert CODE_STUB.splitlines()[-1] in after.source  # (indented inside a function)
        elif meta.get("grade"):
            visible = before.source.split("### BEGIN HIDDEN TESTS")[0].strip()
            assert after.source.startswith(visible), "visible tests must stay"
        else:
            assert after.source == before.source, "text, figures and widgets stay as they are"


def submissions_for(path, root):
    """full = the instructor's notebook; untouched = the student edition; one_wrong = the full
    notebook with the first exercise's solution reset to the stub."""
    full = nbformat.read(path, 4)
    student = nbformat.read(make_student_edition(path, root / "edition" / path.name), 4)
    first = next(c for c in full.cells if nbgrader_meta(c).get("solution"))
    wrong = copy.deepcopy(full)
    cell_by_id(wrong, nbgrader_meta(first)["grade_id"]).source = \
        cell_by_id(student, nbgrader_meta(first)["grade_id"]).source
    for name, nb in (("full", full), ("untouched", student), ("one_wrong", wrong)):
        (root / "subs" / name).mkdir(parents=True)
        nbformat.write(nb, root / "subs" / name / path.name)
    return full, student, nbgrader_meta(first)["grade_id"]


def points_of_solution(nb, solution_id):
    """The points of the test cell that checks the solution cell ``solution_id`` (the next
    graded cell after it)."""
    ids = [c for c in nb.cells if nbgrader_meta(c)]
    i = next(i for i, c in enumerate(ids) if nbgrader_meta(c)["grade_id"] == solution_id)
    test = next(c for c in ids[i + 1:] if nbgrader_meta(c).get("grade"))
    return nbgrader_meta(test)["grade_id"], nbgrader_meta(test)["points"]


@needs_sandbox
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_grading_full_untouched_and_one_wrong(path, tmp_path):
    full, student, wrong_solution = submissions_for(path, tmp_path)
    results = grade_submissions(tmp_path / "subs", tmp_path / "out", [path], feedback=False)
    by_student = {r.student: r for r in results}
    max_total = sum(nbgrader_meta(c)["points"] for c in full.cells if nbgrader_meta(c).get("grade"))

    assert all(not r.error for r in results), [r.error for r in results]
    assert by_student["full"].total == by_student["full"].max_total == max_total
    assert by_student["untouched"].total == 0
    test_id, points = points_of_solution(full, wrong_solution)
    assert by_student["one_wrong"].scores[test_id] == 0
    assert by_student["one_wrong"].total == max_total - points

    # the untouched edition's kernel ran through its last solution cell (errors do not stop it),
    # and every exercise was graded (a message from the checks, not "Not graded")
    ran, total = by_student["untouched"].student_cells
    assert 0 < ran <= total
    for r in results:
        assert set(r.messages) == set(r.max_scores)
        assert not any(m.startswith("Not graded") for m in r.messages.values()), r.messages

    # nbgrader's own generate_assignment makes the same student edition as our command
    template = make_template(path, tmp_path / "templates" / path.stem)
    release = nbformat.read(template / "release" / path.stem / path.name, 4)
    release.metadata.pop("widgets", None)
    assert [c.source for c in release.cells] == [c.source for c in student.cells]
    assert [c.metadata for c in release.cells] == [c.metadata for c in student.cells]

    rows = list(csv.DictReader(open(tmp_path / "out" / "grades.csv")))
    assert {r["student"]: float(r["total"]) for r in rows} == {
        "full": max_total, "untouched": 0, "one_wrong": max_total - points}


@needs_sandbox
def test_failure_modes_are_graded_within_bounded_time(tmp_path):
    path = next(p for p in CHAPTERS if p.stem == "01_neurons")
    full = nbformat.read(path, 4)
    subs = tmp_path / "subs"

    def submit(name, nb):
        (subs / name).mkdir(parents=True)
        nbformat.write(nb, subs / name / path.name)

    loop = copy.deepcopy(full)
    cell_by_id(loop, "ex2-solution").source = "def neuron(x, w, b):\n    while True:\n        pass\n"
    submit("loops", loop)
    raises = copy.deepcopy(full)
    cell_by_id(raises, "ex4-solution").source = (
        "def forward(x, weights, biases, activation):\n    raise RuntimeError('oops')\n")
    submit("raises", raises)
    wrong = copy.deepcopy(full)
    cell_by_id(wrong, "ex3-solution").source = "def count_parameters(sizes):\n    return 42\n"
    submit("wrong", wrong)
    deleted = copy.deepcopy(full)  # wrong answer, and the test that would catch it deleted
    deleted.cells = [c for c in deleted.cells if nbgrader_meta(c).get("grade_id") != "ex5-tests"]
    cell_by_id(deleted, "ex5-solution").source = "def softplus_derivative(z):\n    return 0 * z\n"
    submit("deletes_test", deleted)
    edited = copy.deepcopy(full)  # wrong answer, and the test replaced by `pass`
    cell_by_id(edited, "ex3-solution").source = "def count_parameters(sizes):\n    return 0\n"
    cell_by_id(edited, "ex3-tests").source = "pass\n"
    submit("edits_test", edited)
    (subs / "corrupt").mkdir()
    (subs / "corrupt" / path.name).write_text('{"cells": [ not json')
    submit("good", full)

    results = grade_submissions(subs, tmp_path / "out", [path], cell_timeout=10,
                                notebook_timeout=300)
    by = {r.student: r for r in results}
    full_marks = by["good"].max_total
    assert by["good"].total == full_marks and not by["good"].error
    assert by["loops"].scores["ex2-tests"] == 0 and by["loops"].total == full_marks - 2
    assert by["raises"].scores["ex4-tests"] == 0 and by["raises"].total == full_marks - 3
    assert by["wrong"].scores["ex3-tests"] == 0 and by["wrong"].total == full_marks - 2
    assert by["deletes_test"].scores["ex5-tests"] == 0
    assert by["deletes_test"].total == full_marks - 2
    assert by["edits_test"].scores["ex3-tests"] == 0
    assert by["corrupt"].total == 0 and "not a readable notebook" in by["corrupt"].error
    for name in ("good", "loops", "wrong"):  # feedback states each student's own score
        feedback = tmp_path / "out" / "feedback" / name / f"{path.stem}.html"
        assert f"Score: {by[name].total:.1f} / {full_marks:.1f}" in feedback.read_text()


@needs_sandbox
def test_missing_notebook_is_reported(tmp_path):
    path = next(p for p in CHAPTERS if p.stem == "01_neurons")
    (tmp_path / "subs" / "ada").mkdir(parents=True)
    (tmp_path / "subs" / "alan").mkdir()
    (tmp_path / "subs" / "ada" / path.name).write_text('{"cells": [ not json')
    results = grade_submissions(tmp_path / "subs", tmp_path / "out", [path], feedback=False)
    by = {r.student: r for r in results}
    assert by["alan"].error == f"no {path.name} submitted" and by["alan"].max_total > 0
    assert "not a readable notebook" in by["ada"].error


def test_student_command_line_writes_editions(tmp_path, capsys):
    from homework.__main__ import main

    assert main(["student", "01", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "01_neurons.ipynb").exists()
    assert "wrote" in capsys.readouterr().out


def test_config_command_prints_the_course_config(capsys):
    from homework import COURSE_CONFIG
    from homework.__main__ import main

    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert out == COURSE_CONFIG and "c.ClearSolutions.code_stub" in out
