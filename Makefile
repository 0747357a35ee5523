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

.PHONY: book test lab student grade bench clean axe

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
