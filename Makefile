# Two commands for a newcomer: `make book` and `make test`. Both create .venv on first use and
# install everything pinned in requirements.txt, then nnlib and homework (editable).
PYTHON ?= python3
# One BLAS thread: the book's matrices are small, threads only add overhead on a busy 2-core
# machine, and a fixed summation order keeps every printed number the same from run to run.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: book test check lab student grade bench lock clean

$(STAMP): requirements.txt pyproject.toml homework/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; $(PYTHON) is " + sys.version.split()[0] + ". Run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e . -e homework
	touch $@

## book: build the HTML book into _build/html (runs the chapters; unchanged ones come from the cache;
##       --all rewrites every page so prev/next links follow the table of contents)
book: $(STAMP)
	$(BIN)/jupyter-book build . --toc book/_toc.yml -W --all
	@echo "Open _build/html/index.html in a browser (works offline)."

## test: unit tests, strict nbval over every chapter, and the book build
test: $(STAMP)
	$(BIN)/python -m pytest

## check: nnlib's unit tests only (no notebooks, book, homework or browser), well under a minute
check: $(STAMP)
	$(BIN)/python -m pytest -o addopts="" -q -m "not book and not homework and not browser" tests/

## lab: open the chapters in JupyterLab with live widgets
lab: $(STAMP)
	$(BIN)/jupyter lab chapters/

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

## lock: regenerate the pinned requirements.txt from requirements.in (pip-tools' pip-compile,
##       in a throw-away venv; keeps the current pins unless requirements.in asks otherwise)
lock:
	$(PYTHON) -m venv _build/lock-venv
	_build/lock-venv/bin/python -m pip install --quiet --disable-pip-version-check pip-tools==7.6.2
	_build/lock-venv/bin/pip-compile --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file=requirements.txt requirements.in

clean:
	rm -rf _build .pytest_cache .hypothesis
