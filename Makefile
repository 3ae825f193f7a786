# The QKV course: two commands do everything.
#   make book   build the website into _build/html (runs every notebook; any error or warning fails)
#   make test   lint, format check, unit tests (import contracts included), every notebook under
#               nbval, and the book build
# Also: make venv | assets | bench | lint | lab | clean | distclean

SHELL := bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules

VENV   := .venv
BIN    := $(VENV)/bin
PYTHON := $(BIN)/python
VENDOR := book_assets/vendor
MATHJAX := node_modules/mathjax/es5
MERMAID := node_modules/mermaid/dist

# The gating build: -W turns every warning into an error, -n reports every broken reference,
# --keep-going lists all of them before failing. tests/test_book.py runs the same flags.
BOOK_FLAGS := --builder html -W -n --keep-going

# With MPLBACKEND=Agg the notebooks' figures silently vanish from the book: let the kernels
# pick their inline backend. Quiet the debugger's frozen-modules warning in kernels.
unexport MPLBACKEND
export PYDEVD_DISABLE_FILE_VALIDATION := 1

# The chapters are the answer key: in the book build and the tests every `qkv.check` must
# pass, so a failed check raises instead of printing (learners in `make lab` get the message).
book test: export QKV_CHECK_STRICT := 1

.PHONY: help venv assets book test bench lint lab clean distclean

help:
	@echo "make book    build the website into _build/html"
	@echo "make test    ruff, pytest (unit tests, import contracts, every notebook) and a book build"
	@echo "make bench   the speed figures against their targets (writes benchmarks/RESULTS.md)"
	@echo "make lint    the pre-commit hooks on every file (ruff, clean notebooks, the toc)"
	@echo "make lab     open the chapters in JupyterLab"
	@echo "make venv    create .venv with the pinned requirements and qkv_lib (editable)"
	@echo "make assets  fetch MathJax and Mermaid from npm into $(VENDOR)/"
	@echo "make clean   remove build outputs (keeps .venv and node_modules)"

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --upgrade pip
	$(PYTHON) -m pip install -r requirements.txt -e .
	touch $@

assets: $(VENDOR)/.copied

# `npm ci` reinstalls node_modules/ exactly as package-lock.json says; only when the lock changes.
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

# Copy only what the browser loads: MathJax's combined TeX component, the extensions it may
# autoload, its menu/accessibility parts and its fonts; Mermaid's self-contained classic build.
$(VENDOR)/.copied: node_modules/.installed Makefile
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)/mathjax/output/chtml/fonts $(VENDOR)/mermaid
	cp $(MATHJAX)/tex-mml-chtml.js $(VENDOR)/mathjax/
	cp -R $(MATHJAX)/input $(MATHJAX)/a11y $(MATHJAX)/sre $(MATHJAX)/ui $(VENDOR)/mathjax/
	cp -R $(MATHJAX)/output/chtml/fonts/woff-v2 $(VENDOR)/mathjax/output/chtml/fonts/
	cp node_modules/mathjax/LICENSE $(VENDOR)/mathjax/
	cp $(MERMAID)/mermaid.min.js $(VENDOR)/mermaid/
	cp node_modules/mermaid/LICENSE $(VENDOR)/mermaid/
	touch $@

book: venv assets
	$(BIN)/jupyter-book build . $(BOOK_FLAGS)
	@echo "$(CURDIR)/_build/html/index.html"

# Every check runs even if an earlier one fails; the exit status is non-zero if any failed.
# pytest runs on every core (pytest-xdist; `make test JOBS=0` for one process), a file's tests
# on one worker (--dist loadscope: a notebook's cells share one kernel). The book is built
# once, inside pytest (tests/conftest.py's `book` fixture, shared by the workers), and the
# learners' copies run under nbval inside pytest too (tests/test_student_copies_run.py).
# The ten slowest tests are listed at the end.
JOBS ?= auto

# The run's wall time and its report (with the ten slowest tests) go to _build/bench/, where
# `make bench` reads them.
test: venv assets
	mkdir -p _build/bench; start=$$(date +%s); status=0; \
	$(BIN)/ruff check . || status=1; \
	$(BIN)/ruff format --check . || status=1; \
	$(BIN)/pytest -n $(JOBS) --dist loadscope --nbval-lax --nbval-current-env --durations=10 \
	  | tee _build/bench/pytest.log || status=1; \
	echo "{\"suite_seconds\": $$(($$(date +%s) - start)), \"status\": $$status}" \
	  > _build/bench/timings.json; \
	exit $$status

# One table of the speed figures against their targets (benchmarks/run.py; a few minutes):
# attention against PyTorch, the import, every explorer's slider, a clean and an unchanged
# book build, and the last `make test` (its time and slowest tests). --write updates
# benchmarks/RESULTS.md.
bench: venv assets
	$(PYTHON) benchmarks/run.py --write

# The same hooks as `git commit` runs once `.venv/bin/pre-commit install` is done; ruff format
# rewrites what it would change, so re-run until it passes.
lint: venv
	$(BIN)/pre-commit run --all-files --show-diff-on-failure

lab: venv
	@test -x $(BIN)/jupyter-lab || { echo "JupyterLab is missing from $(VENV): $(PYTHON) -m pip install jupyterlab"; exit 1; }
	$(BIN)/jupyter lab

clean:
	rm -rf _build $(VENDOR) .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -path ./node_modules -prune -o \
	  \( -name __pycache__ -o -name .ipynb_checkpoints \) -type d -print0 | xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV) node_modules
