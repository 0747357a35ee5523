# Two commands for a newcomer: `make book` and `make test`. Both create .venv on first use and
# install everything pinned in requirements.txt, then nnlib itself (editable).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: book test lab clean

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; $(PYTHON) is " + sys.version.split()[0] + ". Run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

## book: build the HTML book into _build/html (runs the chapters; unchanged ones come from the cache)
book: $(STAMP)
	$(BIN)/jupyter-book build . --toc book/_toc.yml -W
	@echo "Open _build/html/index.html in a browser (works offline)."

## test: unit tests, strict nbval over every chapter, and the book build
test: $(STAMP)
	$(BIN)/python -m pytest

## lab: open the chapters in JupyterLab with live widgets
lab: $(STAMP)
	$(BIN)/jupyter lab chapters/

clean:
	rm -rf _build .pytest_cache .hypothesis
