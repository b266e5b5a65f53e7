"""The nbgrader course directory of the classroom edition, and what the scripts share.

Layout (nbgrader's own, under ``_build/course/`` by default)::

    nbgrader_config.py           written by make_source (course id, timeouts, the stubs)
    gradebook.db                 nbgrader's gradebook (points, grades, manual grades)
    source/<chapter>/<chapter>.ipynb      built from book/<chapter>.ipynb (solutions, hidden tests)
    release/<chapter>/<chapter>.ipynb     what students get (nbgrader generate_assignment)
    submitted/<student>/<chapter>/<chapter>.ipynb   copied from SUBMISSIONS by classroom.grade
    autograded/..., feedback/<student>/<chapter>/<chapter>.html
    grades.csv                   one row per student and chapter

The chapters are the notebooks ``book/[0-9]*.ipynb``; an assignment is named like
its notebook (``01_trajectories``).
"""
from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import warnings
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
HERE = Path(__file__).resolve().parent
EXERCISES = HERE / "exercises.yml"
HIDDEN = HERE / "hidden_tests"
DEFAULT_COURSE = ROOT / "_build" / "course"
COURSE_ID = "policy-gradient-book"

# What nbgrader's ClearSolutions writes in place of a solution region (the hint is in the
# comment lines above it, written by classroom.parse) and of a derivation's answer cell.
CODE_STUB = '# YOUR CODE HERE\nraise NotImplementedError("not done yet: replace these two lines by your answer")'
TEXT_STUB = "YOUR ANSWER HERE"

CONFIG = """\
# nbgrader configuration of the classroom edition; written by `make assignments`
# (classroom/course.py), rewritten each time.  nbgrader reads it when run in this folder.
c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.db_url = {db_url!r}
c.ClearSolutions.code_stub = {{"python": {code_stub!r}}}
c.ClearSolutions.text_stub = {text_stub!r}
# A chapter runs in about 10 to 30 s; a student's endless loop is interrupted after 300 s per cell.
c.Execute.timeout = 300
c.Execute.interrupt_on_timeout = True
# The notebooks print a few lines per check; keep whole outputs in the feedback.
c.LimitOutput.max_lines = 2000
"""


def chapters(book=BOOK):
    """The chapter notebooks, sorted: book/[0-9]*.ipynb."""
    return sorted(p for p in Path(book).glob("[0-9]*.ipynb"))


def load_exercise_data(path=EXERCISES):
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    for key in ("defaults", "lab_minutes", "exercises"):
        if key not in data:
            raise ValueError(f"{path}: no {key!r} section")
    return data


def exercise_meta(exercises, data):
    """{label: {points, minutes, rubric, default}} for the exercises found, defaults where data has none."""
    meta = {}
    for ex in exercises:
        entry = data["exercises"].get(ex.label)
        if entry is None:
            meta[ex.label] = dict(data["defaults"][ex.kind], rubric=[], default=True)
        else:
            meta[ex.label] = dict(points=entry["points"], minutes=entry["minutes"],
                                  rubric=entry.get("rubric", []), default=False)
            rubric_sum = sum(p for p, _ in meta[ex.label]["rubric"])
            if meta[ex.label]["rubric"] and rubric_sum != entry["points"]:
                raise ValueError(f"{EXERCISES.name}: the rubric of {ex.label} adds up to {rubric_sum}, "
                                 f"not its {entry['points']} points")
        if not meta[ex.label]["points"] > 0:
            raise ValueError(f"{ex.label}: points must be positive")
    return meta


def hidden_tests(chapter):
    from classroom.parse import read_hidden_tests

    path = HIDDEN / f"{chapter}.py"
    return read_hidden_tests(path) if path.exists() else {}


def write_config(course):
    course = Path(course).resolve()
    course.mkdir(parents=True, exist_ok=True)
    text = CONFIG.format(root=str(course), course_id=COURSE_ID, db_url=f"sqlite:///{course / 'gradebook.db'}",
                         code_stub=CODE_STUB, text_stub=TEXT_STUB)
    (course / "nbgrader_config.py").write_text(text, encoding="utf-8")
    return course / "nbgrader_config.py"


def api(course):
    """nbgrader's Python API on the course directory, configured from its nbgrader_config.py."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    # nbgrader runs the `alembic` command of its own environment (the gradebook's schema version):
    # make this interpreter's bin directory (.venv/bin) come first on PATH, as an activated venv would.
    bindir = str(Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bindir:
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    course = Path(course).resolve()
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    # Nothing here uses nbgrader's exchange (release/collect between accounts); keep it inside the course.
    config.Exchange.root = str(course / "exchange")
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)


def run(result, what):
    """Raise with nbgrader's own log when an API call failed; return the log otherwise."""
    if not result.get("success"):
        log = (result.get("log") or "").strip()
        error = (result.get("error") or "").strip()
        raise RuntimeError(f"nbgrader {what} failed:\n{log}\n{error}".rstrip())
    return result.get("log", "")


@contextlib.contextmanager
def quiet():
    """Silence nbgrader's and traitlets' loggers on the console (the API captures its own log), and
    the SQLAlchemy warnings that nbgrader 0.9's gradebook code raises under SQLAlchemy 2 (autoflush
    notices about objects it adds a moment later; the gradebook is consistent afterwards)."""
    from sqlalchemy.exc import SAWarning

    loggers = [logging.getLogger(name) for name in ("traitlets", "nbgrader", "alembic")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def chdir(path):
    return contextlib.chdir(path) if hasattr(contextlib, "chdir") else _chdir(path)


@contextlib.contextmanager
def _chdir(path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)
