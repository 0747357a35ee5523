"""One notation for the whole book: the chapters use no symbol the notation page reserves for
something else.

The rules live in ``book/notation.md`` itself (the comment block between ``notation-rules:begin``
and ``notation-rules:end``), so the page stays the single source. Each rule names a symbol, what it
is reserved for, regular expressions that signal a forbidden use, and an example those patterns
must catch. The check reads the sources only (Markdown cells, and the comments, strings and plot
labels of code cells); it executes nothing.
"""
import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTATION = ROOT / "book" / "notation.md"
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
PAGES = [ROOT / "book" / name for name in ("glossary.md", "intro.md", "further_reading.md")]
#: nnlib's modules: their docstrings state the formulas in the book's symbols
MODULES = sorted((ROOT / "nnlib").glob("*.py"))


def load_rules(text: str) -> list[dict]:
    """The rules of the comment block of the notation page, as a list of dicts."""
    m = re.search(r"^% notation-rules:begin\n(.*?)^% notation-rules:end", text, re.S | re.M)
    if m is None:
        raise ValueError("book/notation.md has no 'notation-rules:begin' ... ':end' block")
    body = "\n".join(line[2:] if line.startswith("% ") else line.lstrip("%")
                     for line in m.group(1).splitlines())
    rules = yaml.safe_load(body)
    if not isinstance(rules, list) or not rules:
        raise ValueError(f"the notation rules must be a non-empty list, got {type(rules).__name__}")
    for rule in rules:
        missing = {"symbol", "reserved_for", "forbid", "example"} - set(rule)
        if missing:
            raise ValueError(f"notation rule {rule.get('symbol', rule)!r} lacks {sorted(missing)}")
        rule["compiled"] = [re.compile(p) for p in rule["forbid"]]
    return rules


RULES = load_rules(NOTATION.read_text(encoding="utf-8"))


def sources(path: Path) -> list[tuple[str, str, str]]:
    """(where, kind, text) for every Markdown cell and code cell of a chapter, or a whole page."""
    if path.suffix == ".md":
        return [(path.name, "markdown", path.read_text(encoding="utf-8"))]
    if path.suffix == ".py":
        return [(f"nnlib/{path.name}", "code", path.read_text(encoding="utf-8"))]
    nb = nbformat.read(path, as_version=4)
    return [(f"{path.name} cell {i}", cell.cell_type, cell.source)
            for i, cell in enumerate(nb.cells) if cell.cell_type in ("markdown", "code")]


def violations(rules: list[dict], where: str, kind: str, text: str) -> list[str]:
    """One message per forbidden use of a reserved symbol in ``text``."""
    found = []
    for rule in rules:
        if rule.get("scope") == "markdown" and kind != "markdown":
            continue
        for pattern in rule["compiled"]:
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                found.append(f"{where}, line {line}: {m.group(0)!r} uses {rule['symbol']}, which "
                             f"the notation page reserves for {rule['reserved_for']}")
    return found


@pytest.mark.parametrize("rule", RULES, ids=[r["symbol"] for r in RULES])
def test_every_rule_catches_its_example(rule):
    """A rule whose patterns miss their own example could never fail."""
    assert violations([rule], "example", "markdown", rule["example"]), (
        f"no pattern of the rule for {rule['symbol']} matches its example {rule['example']!r}")


@pytest.mark.parametrize("path", CHAPTERS + PAGES + MODULES, ids=lambda p: p.name)
def test_reserved_symbols_keep_their_meaning(path):
    found = [v for where, kind, text in sources(path) for v in violations(RULES, where, kind, text)]
    assert not found, "symbols used against book/notation.md:\n" + "\n".join(found)


def test_rules_are_read_from_the_page():
    assert len(RULES) >= 10
    with pytest.raises(ValueError, match="no 'notation-rules:begin'"):
        load_rules("# Notation\n\nno rules here\n")
