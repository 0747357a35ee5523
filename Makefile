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

.PHONY: book lite test check lab outputs student grade bench bench-live lock clean axe

$(STAMP): requirements.txt pyproject.toml homework/pyproject.toml chaptertools/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; $(PYTHON) is " + sys.version.split()[0] + ". Run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e . -e homework -e chaptertools
	touch $@

## book: build the HTML book into _build/html (runs the chapters; unchanged ones come from the cache;
##       --all rewrites every page so prev/next links follow the table of contents)
book: $(STAMP)
	$(BIN)/jupyter-book build . --toc book/_toc.yml -W --all
	$(BIN)/python book/lite/build_lite.py --out _build/html/lite
	@echo "Open _build/html/index.html in a browser (works offline)."
	@echo "To run chapters in the browser (_build/html/lite), serve the folder over http, e.g."
	@echo "  $(BIN)/python -m http.server -d _build/html 8000   and open http://127.0.0.1:8000"

## lite: only the in-browser edition (JupyterLite + Pyodide) into _build/html/lite
lite: $(STAMP)
	$(BIN)/python book/lite/build_lite.py --out _build/html/lite

## test: unit tests, strict nbval over every chapter, and the book build
test: $(STAMP)
	$(BIN)/python -m pytest

## check: nnlib's unit tests only (no notebooks, book, homework or browser), well under a minute
check: $(STAMP)
	$(BIN)/python -m pytest -o addopts="" -q -m "not book and not homework and not browser and not compat and not exercises and not slow" tests/

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

## grade: autograde SUBMISSIONS=folder (one sub-folder per student) into _build/grades, each
##        notebook in a sandbox (needs bubblewrap); GRADE_FLAGS="--memory 4 ..." passes options
grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=path/to/submissions [CHAPTERS=\"01 02\"] [GRADE_FLAGS=...]"; exit 2; }
	$(BIN)/python -m homework grade "$(SUBMISSIONS)" --out _build/grades $(GRADE_FLAGS) $(CHAPTERS)

## bench: time nnlib against PyTorch, scikit-learn and a per-sample loop; writes book/benchmarks.md
## (PyTorch is optional: BENCH_TORCH=1 installs its CPU build torch==2.13.0 first)
bench: $(STAMP)
	@if [ -n "$(BENCH_TORCH)" ]; then $(BIN)/python -m pip install --quiet --disable-pip-version-check torch==2.13.0; fi
	$(BIN)/python benchmarks/bench.py --out book/benchmarks.md

## bench-live: size and start-up times of the in-browser edition (after `make book`); the
##             numbers go into book/benchmarks.md at the next `make bench` (or --render-only)
bench-live: $(STAMP)
	$(BIN)/python benchmarks/live.py
	$(BIN)/python benchmarks/bench.py --render-only --out book/benchmarks.md

## lock: regenerate the pinned requirements.txt from requirements.in (pip-tools' pip-compile,
##       in a throw-away venv; keeps the current pins unless requirements.in asks otherwise)
lock:
	$(PYTHON) -m venv _build/lock-venv
	_build/lock-venv/bin/python -m pip install --quiet --disable-pip-version-check pip-tools==7.6.2
	_build/lock-venv/bin/pip-compile --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file=requirements.txt requirements.in

## axe: fetch the vendored axe-core again from npm (tests/vendor/axe-core), verifying npm's
##      integrity hash of the package and the sha256 the browser tests expect of axe.min.js
AXE_VERSION   := 4.14.1
AXE_INTEGRITY := sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==
AXE_SHA256    := 29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c
axe:
	rm -rf _build/axe && mkdir -p _build/axe
	cd _build/axe && npm pack --silent axe-core@$(AXE_VERSION) > /dev/null
	test "sha512-$$(openssl dgst -sha512 -binary _build/axe/axe-core-$(AXE_VERSION).tgz | base64 -w0)" = "$(AXE_INTEGRITY)"
	tar -xzf _build/axe/axe-core-$(AXE_VERSION).tgz -C _build/axe
	echo "$(AXE_SHA256)  _build/axe/package/axe.min.js" | sha256sum -c -
	cp _build/axe/package/axe.min.js _build/axe/package/LICENSE tests/vendor/axe-core/

clean:
	rm -rf _build .pytest_cache .hypothesis
