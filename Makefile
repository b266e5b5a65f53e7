# The two commands a new user needs: `make book` and `make test`.
# Everything runs inside .venv, created from requirements.txt when missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard book/[0-9]*.ipynb))
SANITIZE  := .ci/nbval_sanitize.cfg
# Reproducible hashing; no MPLBACKEND here: the notebooks need the inline backend.
export PYTHONHASHSEED := 0
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help venv book book-student lab notebooks test test-pglib test-notebooks test-book test-browser test-student bench clean

help:
	@echo "make book          build the web book into _build/html"
	@echo "make test          pglib tests, nbval on every notebook, strict builds (book and student edition), browser tests"
	@echo "make lab           JupyterLab on the same environment"
	@echo "make notebooks     re-execute every chapter notebook in place (then commit them)"
	@echo "make book-student  the student edition (solutions hidden) into _build/student/_build/html"
	@echo "make bench         speed benchmarks (ratios) and widget latencies"

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build .
	@echo "Open the book: file://$(CURDIR)/_build/html/index.html"

# Same sources, with sphinx-exercise's hide_solutions switched on.
book-student: $(STAMP)
	sed 's/hide_solutions: false/hide_solutions: true/' _config.yml > _config_student.yml
	grep -q 'hide_solutions: true' _config_student.yml
	$(BIN)/jupyter-book build . $(JB_FLAGS) --config _config_student.yml --path-output _build/student; \
	  status=$$?; rm -f _config_student.yml; exit $$status
	@echo "Open the student edition: file://$(CURDIR)/_build/student/_build/html/index.html"

lab: $(STAMP)
	$(BIN)/jupyter lab book/

notebooks: $(STAMP)
	for nb in $(NOTEBOOKS); do \
	  echo "executing $$nb"; \
	  $(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=600 $$nb || exit 1; \
	done
	$(BIN)/python .ci/clean_notebooks.py $(NOTEBOOKS)

test: test-pglib test-notebooks test-book test-browser test-student

test-pglib: $(STAMP)
	$(BIN)/pytest -q tests

test-notebooks: $(STAMP)
	$(BIN)/pytest -q --nbval $(NOTEBOOKS) --nbval-sanitize-with $(SANITIZE) -p no:cacheprovider

test-book: $(STAMP)
	rm -rf _build/html _build/.doctrees _build/jupyter_execute
	$(BIN)/jupyter-book build . -n -W --keep-going

test-browser: $(STAMP)
	$(BIN)/pytest -q tests/browser

# The student edition, also with warnings as errors; the browser test then
# asserts that no solution is on any page.
test-student: $(STAMP)
	rm -rf _build/student
	$(MAKE) book-student JB_FLAGS="-n -W --keep-going"
	BOOK_HTML=_build/student/_build/html BOOK_STUDENT=1 BOOK_SCREENSHOTS=_build/student/screenshots \
	  $(BIN)/pytest -q tests/browser

bench: $(STAMP)
	$(BIN)/python benchmarks/perf.py
	$(BIN)/python benchmarks/widgets.py

clean:
	rm -rf _build
