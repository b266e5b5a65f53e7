# The two commands a new user needs: `make book` and `make test`.
# Everything runs inside .venv, created from requirements.txt when missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Top-level requirements: requirements.txt plus any requirements-*.txt (e.g. the
# instructor's). requirements.lock pins the whole tree resolved from them; every
# install below takes its versions from it (-c). Edit a requirements file, then `make lock`.
REQUIREMENTS := $(strip requirements.txt $(sort $(wildcard requirements-*.txt)))
LOCK   := requirements.lock
NOTEBOOKS := $(sort $(wildcard book/[0-9]*.ipynb))
SANITIZE  := .ci/nbval_sanitize.cfg
# Reproducible hashing; no MPLBACKEND here: the notebooks need the inline backend.
export PYTHONHASHSEED := 0
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help venv lock lock-check book book-student pdf lab notebooks assignments grade test test-pglib test-notebooks test-book test-browser test-student test-lab bench experiments clean

help:
	@echo "make book          build the web book into _build/html"
	@echo "make test          pglib tests, nbval on every notebook, strict builds (book and student edition), browser tests (the web book and JupyterLab)"
	@echo "make lab           JupyterLab on the same environment"
	@echo "make notebooks     re-execute every chapter notebook in place (then commit them)"
	@echo "make pdf           print the whole book to _build/pdf/book.pdf (Debian's Chromium, offline; see .ci/print_pdf.py)"
	@echo "make book-student  the student edition (solutions hidden) into _build/student/_build/html"
	@echo "make assignments   classroom edition: nbgrader release notebooks (no solutions) into _build/course/release/<chapter>/"
	@echo "make grade SUBMISSIONS=<dir>   autograde <dir>/<student>/<chapter>/<chapter>.ipynb: feedback and _build/course/grades.csv"
	@echo "make bench         speed benchmarks (ratios) and widget latencies"
	@echo "make experiments   multi-seed learning experiments into experiments/results/ (hours; TARGETS=algo:env to pick)"
	@echo "make lock          re-resolve requirements*.txt in a fresh venv and rewrite requirements.lock"
	@echo "make lock-check    ask pip whether other Pythons (LOCK_CHECK_PYTHONS) install exactly the lock"

venv: $(STAMP)

# pip and setuptools come from the lock too; pglib is built with the locked
# setuptools (no build isolation, so nothing unpinned is fetched for the build).
$(STAMP): $(REQUIREMENTS) $(LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c $(LOCK) pip setuptools
	$(BIN)/python -m pip install --quiet -c $(LOCK) $(addprefix -r ,$(REQUIREMENTS))
	$(BIN)/python -m pip install --quiet -c $(LOCK) --no-deps --no-build-isolation -e .
	touch $(STAMP)

# A fresh venv under /tmp gets the requirements at their newest compatible
# releases; .ci/lock.py pins everything installed there (see its docstring).
lock:
	@set -e; tmp=$$(mktemp -d /tmp/pglib-lock.XXXXXX); trap 'rm -rf "$$tmp"' EXIT; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install --quiet --upgrade pip setuptools; \
	"$$tmp/venv/bin/python" -m pip install --quiet $(addprefix -r ,$(REQUIREMENTS)); \
	"$$tmp/venv/bin/python" -m pip check; \
	"$$tmp/venv/bin/python" .ci/lock.py write $(LOCK) $(REQUIREMENTS)

# Would other Pythons install exactly the lock? (pip's dry run: metadata only.)
# Default: every pyenv Python 3.1x on this machine, else python3.1x on PATH.
LOCK_CHECK_PYTHONS ?= $(or $(wildcard $(HOME)/.pyenv/versions/3.1[0-9]*/bin/python3),python3.10 python3.12 python3.13 python3.14)
lock-check: $(STAMP)
	$(BIN)/python .ci/lock.py check $(LOCK) $(foreach p,$(LOCK_CHECK_PYTHONS),$(shell command -v $(p))) -- $(REQUIREMENTS)

book: $(STAMP)
	$(BIN)/jupyter-book build .
	@echo "Open the book: file://$(CURDIR)/_build/html/index.html"

# Same sources, with sphinx-exercise's hide_solutions switched on, and the classroom
# extension (classroom/sphinx_student.py): the download buttons serve the release
# notebooks (built into _build/student/course), the teacher's guide is left out.
STUDENT_COURSE := _build/student/course
book-student: $(STAMP)
	$(BIN)/python -m classroom.make_source --course $(STUDENT_COURSE)
	sed -e 's/hide_solutions: false/hide_solutions: true/' \
	    -e '/^    student_edition: _ext$$/a\    sphinx_student: classroom' _config.yml > _config_student.yml
	grep -q 'hide_solutions: true' _config_student.yml
	grep -q "sphinx_student: classroom" _config_student.yml
	CLASSROOM_COURSE=$(STUDENT_COURSE) $(BIN)/jupyter-book build . $(JB_FLAGS) --config _config_student.yml --path-output _build/student; \
	  status=$$?; rm -f _config_student.yml; exit $$status
	@echo "Open the student edition: file://$(CURDIR)/_build/student/_build/html/index.html"

# The whole book as one PDF: a one-page (singlehtml) build into _build/pdf, printed by
# Debian's Chromium with the site's own MathJax; styling in _static/print.css.
# `make test` prints it first: tests/test_pdf.py (in test-pglib's run) checks it.
pdf: $(STAMP)
	$(BIN)/python .ci/print_pdf.py

# Classroom edition (issue 11, book/teachers-guide.md): nbgrader, installed from
# requirements-instructor.txt with the rest. Release notebooks into _build/course/release/.
assignments: $(STAMP)
	$(BIN)/python -m classroom.make_source --course _build/course

# SUBMISSIONS=<dir> laid out as <dir>/<student>/<chapter>/<chapter>.ipynb; run `make assignments` first.
grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=<dir>  (<dir>/<student>/<chapter>/<chapter>.ipynb)"; exit 2; }
	$(BIN)/python -m classroom.grade "$(SUBMISSIONS)" --course _build/course

lab: $(STAMP)
	$(BIN)/jupyter lab book/

notebooks: $(STAMP)
	for nb in $(NOTEBOOKS); do \
	  echo "executing $$nb"; \
	  $(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=600 $$nb || exit 1; \
	done
	$(BIN)/python .ci/clean_notebooks.py $(NOTEBOOKS)

test: pdf test-pglib test-notebooks test-book test-browser test-student test-lab

test-pglib: $(STAMP)
	$(BIN)/pytest -q tests

test-notebooks: $(STAMP)
	$(BIN)/pytest -q --nbval $(NOTEBOOKS) --nbval-sanitize-with $(SANITIZE) -p no:cacheprovider

test-book: $(STAMP)
	rm -rf _build/html _build/.doctrees _build/jupyter_execute
	$(BIN)/jupyter-book build . -n -W --keep-going

test-browser: $(STAMP)
	$(BIN)/pytest -q tests/browser

# The chapters in the project's JupyterLab (the README's command, a copy of book/, Chromium):
# rendered MyST and math, no widget repr, not modified on opening, sliders redraw after Run All.
# LAB_CHAPTERS=all checks every chapter (default: 02,04); see tests/lab/test_jupyterlab.py.
test-lab: $(STAMP)
	$(BIN)/pytest -q tests/lab

# The student edition, also with warnings as errors; the browser test then
# asserts that no solution is on any page (pages, sliders and accessibility; the
# reading-comfort test is left to the main edition: same theme, same CSS).
test-student: $(STAMP)
	rm -rf _build/student
	$(MAKE) book-student JB_FLAGS="-n -W --keep-going"
	BOOK_HTML=_build/student/_build/html BOOK_STUDENT=1 BOOK_SCREENSHOTS=_build/student/screenshots \
	  $(BIN)/pytest -q tests/browser/test_pages.py tests/browser/test_frames.py tests/browser/test_a11y.py
	STUDENT_SITE=_build/student/_build/html $(BIN)/pytest -q tests/test_classroom.py -k student_site

# Multi-seed learning experiments (long: hours on 2 cores); results are stored in
# experiments/results/ and committed. TARGETS="ppo:CartPole-v1 ..." runs some of them.
experiments: $(STAMP)
	$(BIN)/python experiments/run.py $(TARGETS) --jobs $(or $(JOBS),2)

bench: $(STAMP)
	$(BIN)/python benchmarks/perf.py
	$(BIN)/python benchmarks/widgets.py
	$(BIN)/python benchmarks/training.py

clean:
	rm -rf _build
