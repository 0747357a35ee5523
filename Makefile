# Two commands for a newcomer: `make book` and `make test`. Both create .venv on first use and
# install everything pinned in requirements.txt, then nnlib itself (editable).
PYTHON ?= python3
# One BLAS thread: the book's matrices are small, threads only add overhead on a busy 2-core
# machine, and a fixed summation order keeps every printed number the same from run to run.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: book test lab outputs student grade bench clean

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; $(PYTHON) is " + sys.version.split()[0] + ". Run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

## book: build the HTML book into _build/html (runs the chapters; unchanged ones come from the cache;
##       --all rewrites every page so prev/next links follow the table of contents)
book: $(STAMP)
	$(BIN)/jupyter-book build . --toc book/_toc.yml -W --all
	@echo "Open _build/html/index.html in a browser (works offline)."

## test: unit tests, strict nbval over every chapter, and the book build
test: $(STAMP)
	$(BIN)/python -m pytest

## lab: open the chapters in JupyterLab with live widgets (and the jupyterlab-myst extension, which
##      renders the prose as the book does). A saved chapter is stored without live widget views,
##      which a new kernel could not show ("model not found").
lab: $(STAMP)
	$(BIN)/jupyter lab chapters/ --FileContentsManager.pre_save_hook=chaptertools.execute.pre_save_hook

## outputs: run every chapter (or CHAPTERS="01 03") from a fresh kernel and store it exactly as
##          JupyterLab would save it, with the prose's {eval} numbers (python -m chaptertools execute)
outputs: $(STAMP)
	$(BIN)/python -m chaptertools execute $(if $(CHAPTERS),$(foreach c,$(CHAPTERS),$(wildcard chapters/$(c)_*.ipynb)),chapters/[0-9][0-9]_*.ipynb)

## student: student editions of every chapter (or CHAPTERS="01 03") into _build/student
student: $(STAMP)
	$(BIN)/python -m homework student --out _build/student $(CHAPTERS)

## grade: autograde SUBMISSIONS=folder (one sub-folder per student) into _build/grades
grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=path/to/submissions [CHAPTERS=\"01 02\"]"; exit 2; }
	$(BIN)/python -m homework grade "$(SUBMISSIONS)" --out _build/grades $(CHAPTERS)

## bench: time nnlib against PyTorch, scikit-learn and a per-sample loop; writes book/benchmarks.md
## (PyTorch is optional: BENCH_TORCH=1 installs its CPU build torch==2.13.0 first)
bench: $(STAMP)
	@if [ -n "$(BENCH_TORCH)" ]; then $(BIN)/python -m pip install --quiet --disable-pip-version-check torch==2.13.0; fi
	$(BIN)/python benchmarks/bench.py --out book/benchmarks.md

clean:
	rm -rf _build .pytest_cache .hypothesis
