"""The classroom edition (issue 11): assignments built from the chapters, graded by nbgrader.

What is checked, and on what:

* every chapter in book/ (no notebook is executed): each exercise is recognised,
  has a unique grade id and positive points; ``make_source`` writes the source
  notebooks and ``nbgrader generate_assignment`` the releases, in which no line
  of a gated solution or of a hidden test appears; the gradebook holds each
  exercise with its points; chapters 1-9 (and any chapter with a hidden-test file) have
  hidden tests for every coding exercise;
* the recogniser refuses, with a message naming the problem, every malformed
  exercise form (small notebooks written here);
* grading, on a subset of the chapters (1 and 5: a function exercise and a
  script exercise whose hidden test runs the answer again on another MDP), because
  each graded notebook is executed (about 10 s each):
  the authors' answers get all the automatic points; an untouched release gets 0;
  a notebook with exactly one coding exercise answered gets exactly its points; an
  answer that passes the visible check by reusing its numbers fails the hidden
  test; a missing, empty, malformed or foreign notebook gets a 0 row with a
  message while the others are graded; grades.csv has the columns and one row per
  student and chapter; each graded notebook has its feedback page;
* ``STUDENT_SITE=<html dir>`` (``make test-student`` sets it): the student site
  and its downloads hold no line of a gated solution, the chapter downloads are
  the release notebooks, the teacher's guide is replaced by a notice.
"""
from __future__ import annotations

import csv
import html
import json
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))      # the classroom package lives at the repository root

from classroom import course as C
from classroom import grade as G
from classroom import guide, make_source, submission
from classroom.parse import ExerciseError, build_source, find_exercises, solution_source

pytest.importorskip("nbgrader", reason="nbgrader is installed from requirements-instructor.txt (make venv)")

GRADED = ["01_trajectories", "05_pg_theorem"]     # the chapters whose submissions are executed
WITH_HIDDEN_TESTS = [f"{n:02d}" for n in range(1, 10)]


# ------------------------------------------------------------------ every chapter, nothing executed

@pytest.fixture(scope="module")
def all_exercises():
    found = {}
    for path in C.chapters():
        found[path.stem] = find_exercises(nbformat.read(path, as_version=4), path.stem)
    return found


def test_every_exercise_has_a_unique_grade_id_and_points(all_exercises):
    data = C.load_exercise_data()
    labels = [ex.label for exs in all_exercises.values() for ex in exs]
    assert labels, "no exercise found in book/"
    assert len(labels) == len(set(labels)), f"duplicate exercise labels: {sorted(l for l in labels if labels.count(l) > 1)}"
    for chapter, exs in all_exercises.items():
        meta = C.exercise_meta(exs, data)
        for ex in exs:
            assert ex.kind in ("coding", "derivation")
            assert meta[ex.label]["points"] > 0 and meta[ex.label]["minutes"] > 0
            if ex.kind == "coding":
                assert ex.check_cell > max(ex.solution_cells) and ex.checked
    stale = set(data["exercises"]) - set(labels)
    assert not stale, f"classroom/exercises.yml lists exercises that no chapter has: {sorted(stale)}"


def test_hidden_tests_cover_the_coding_exercises(all_exercises):
    missing = {}
    for chapter, exs in all_exercises.items():
        hidden = C.hidden_tests(chapter)
        lacking = [ex.label for ex in exs if ex.kind == "coding" and ex.label not in hidden]
        if lacking:
            missing[chapter] = lacking
        assert set(hidden) <= {ex.label for ex in exs if ex.kind == "coding"}, f"{chapter}: hidden tests for unknown labels"
    # chapters 1-9, and every chapter that has a hidden-test file, cover all their coding exercises
    required = {c: m for c, m in missing.items() if c[:2] in WITH_HIDDEN_TESTS or (C.HIDDEN / f"{c}.py").exists()}
    assert not required, f"coding exercises without hidden tests: {required}"
    if missing:
        print(f"\nchapters without hidden tests (their check cell alone grades them): {missing}")


def test_teachers_guide_tables_are_up_to_date():
    text = guide.PAGE.read_text(encoding="utf-8")
    assert guide.render(text) == text, "book/teachers-guide.md is out of date: run `python -m classroom.guide`"
    assert "$" not in text and "{solution" not in text and "{exercise" not in text and "{prf:" not in text


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    path = tmp_path_factory.mktemp("course")
    summary = make_source.build(path, log=lambda *a: None)
    return path, summary


def test_gradebook_holds_every_exercise_with_its_points(course, all_exercises):
    from nbgrader.api import Gradebook

    path, summary = course
    data = C.load_exercise_data()
    api = C.api(path)
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        for chapter, exs in all_exercises.items():
            if not exs:
                continue
            meta = C.exercise_meta(exs, data)
            nb = gb.find_notebook(chapter, chapter)
            cells = {c.name: c.max_score for c in nb.grade_cells}
            assert cells == {ex.label: meta[ex.label]["points"] for ex in exs}, chapter
            kinds = {c.name: c.cell_type for c in nb.grade_cells}
            assert all(kinds[ex.label] == ("code" if ex.kind == "coding" else "markdown") for ex in exs)
    assert {s["label"] for s in summary} == {ex.label for exs in all_exercises.values() for ex in exs}


def test_release_notebooks_hold_no_solution_code_and_no_hidden_test(course, all_exercises):
    path, _ = course
    for chapter, exs in all_exercises.items():
        if not exs:
            continue
        release = nbformat.read(path / "release" / chapter / f"{chapter}.ipynb", as_version=4)
        source = nbformat.read(path / "source" / chapter / f"{chapter}.ipynb", as_version=4)
        authors = nbformat.read(C.BOOK / f"{chapter}.ipynb", as_version=4)
        secrets = make_source.secret_lines(source, authors)
        assert len(secrets) >= 3, f"{chapter}: the solutions should hold some lines of their own"
        text = {line.strip() for cell in release.cells for line in cell.source.split("\n")}
        assert not [s for s in secrets if s in text], chapter
        # and every gated code line of the authors' notebook that is not shown elsewhere is absent
        gated = [authors.cells[i].source for ex in exs if ex.kind == "coding" for i in ex.solution_cells]
        for code in gated:
            for line in code.split("\n"):
                s = line.strip()
                if s in secrets:
                    assert s not in text
        stubs = [c for c in release.cells if c.metadata.get("nbgrader", {}).get("solution")]
        assert len(stubs) == len(exs) + sum(len(ex.solution_cells) - 1 for ex in exs if ex.kind == "coding")
        for cell in stubs:
            if cell.cell_type == "code":
                assert "raise NotImplementedError" in cell.source and "The check cell below uses" in cell.source
            else:
                assert cell.source == C.TEXT_STUB
        for ex in exs:
            if ex.kind == "coding":
                check = [c for c in release.cells if c.metadata.get("nbgrader", {}).get("grade_id") == ex.label][0]
                assert check.source.strip() == authors.cells[ex.check_cell].source.strip()


# ------------------------------------------------------------------ the recogniser refuses what it cannot convert

def _nb(*cells):
    nb = nbformat.v4.new_notebook()
    for kind, text in cells:
        nb.cells.append(nbformat.v4.new_markdown_cell(text) if kind == "md" else nbformat.v4.new_code_cell(text))
    return nb


EX = "```{exercise} Title\n:label: chX-ex-a\n\nWrite `f(x)`.\n```"
START = "```{solution-start} chX-ex-a\n:class: dropdown\n```"
END = "```{solution-end}\n```"
CHECK = "pglib.check_close('f', f(2.0), 4.0)"


@pytest.mark.parametrize("cells, message", [
    ([("md", "```{exercise}\nNo label.\n```"), ("md", "```{solution}\n```")], "without a :label:"),
    ([("md", EX)], "has neither"),
    ([("md", EX), ("md", START), ("code", "def f(x):\n    return x * x")], "has no {solution-end}"),
    ([("md", EX), ("md", START), ("code", "def f(x):\n    return x * x"), ("md", END), ("code", "print(f(2))")],
     "does not call a pglib check"),
    ([("md", EX), ("md", START), ("code", "def f(x):\n    return x * x"), ("md", END)], "no code cell checks"),
    ([("md", EX), ("md", START), ("md", "Some words."), ("code", "def f(x):\n    return x * x"), ("md", END),
      ("code", CHECK)], "markdown inside the gated solution"),
    ([("md", EX), ("md", START), ("md", END), ("code", CHECK)], "has no code cell"),
    ([("md", "```{exercise-start}\n:label: chX-ex-a\n```")], "not supported"),
    ([("md", EX + "\n\n```{solution} chX-ex-a\nA.\n```\n\n```{solution} chX-ex-a\nB.\n```")], "second solution"),
    ([("md", "```{solution} chX-ex-b\nA.\n```")], "no exercise with this label"),
    ([("md", EX), ("md", START), ("code", "def g(x):\n    return x"), ("md", END), ("code", CHECK)],
     "uses none of the names"),
    ([("md", "````{exercise}\n:label: chX-ex-a\n\nunclosed\n```")], "never closed"),
])
def test_recogniser_refuses_malformed_exercises(cells, message):
    with pytest.raises(ExerciseError, match=message.replace("{", r"\{").replace("}", r"\}")) as err:
        find_exercises(_nb(*cells), "XX_test")
    assert "XX_test" in str(err.value)


def test_source_notebook_of_a_small_chapter():
    nb = _nb(("md", "# A chapter"), ("code", "import pglib"),
             ("md", "```{exercise} Derive\n:label: chX-ex-d\n\nShow it.\n```\n\n```{solution} chX-ex-d\n:class: dropdown\n\n"
                    "The answer.\n```\n\nMore text."),
             ("md", EX + "\n\n" + START), ("code", "def f(x):\n    y = x * x\n    return y\n\nHELPER = 3"),
             ("md", END + "\n\nThe check."), ("code", CHECK))
    meta = {"chX-ex-d": {"points": 2, "rubric": [[2, "it"]]}, "chX-ex-a": {"points": 3}}
    src, exs = build_source(nb, "XX_test", meta, {"chX-ex-a": "pglib.check_close('f(3)', f(3.0), 9.0)\n"})
    roles = [(c.cell_type, c.metadata["nbgrader"]["grade_id"], c.metadata["nbgrader"]["locked"],
              c.metadata["nbgrader"]["solution"], c.metadata["nbgrader"].get("points")) for c in src.cells]
    assert [r[1] for r in roles if r[3] or r[4]] == ["chX-ex-d", "chX-ex-a-answer", "chX-ex-a"]
    answer = [c for c in src.cells if c.metadata["nbgrader"]["grade_id"] == "chX-ex-d"][0]
    assert answer.cell_type == "markdown" and "The answer." in answer.source and "1 pt" not in answer.source
    assert "- 2 pt: it" in answer.source and answer.metadata["nbgrader"]["points"] == 2
    texts = [c.source for c in src.cells]
    assert "More text." in texts and "The check." in texts
    assert not any("{solution" in t for t in texts)
    code = [c for c in src.cells if c.metadata["nbgrader"]["grade_id"] == "chX-ex-a-answer"][0].source
    assert "def f(x):\n    ### BEGIN SOLUTION\n    y = x * x\n    return y\n    ### END SOLUTION" in code
    assert "### BEGIN SOLUTION\n\nHELPER = 3\n### END SOLUTION" in code
    check = [c for c in src.cells if c.metadata["nbgrader"]["grade_id"] == "chX-ex-a"][0]
    assert check.source.startswith(CHECK) and "### BEGIN HIDDEN TESTS" in check.source
    assert check.metadata["nbgrader"]["points"] == 3 and check.metadata["nbgrader"]["locked"]


def test_solution_source_keeps_only_named_signatures():
    code = "# helper\ndef g(x):\n    return 2 * x\n\n@staticmethod\ndef f(x):\n    \"\"\"Doc.\"\"\"\n    return g(x)"
    out = solution_source(code, ["f"], "here")
    assert out.split("\n")[:4] == ["### BEGIN SOLUTION", "# helper", "def g(x):", "    return 2 * x"]
    assert "@staticmethod\ndef f(x):\n    \"\"\"Doc.\"\"\"\n    ### BEGIN SOLUTION\n    return g(x)\n    ### END SOLUTION" in out


# ------------------------------------------------------------------ grading (chapters 1 and 5 executed)

def _write_raw(folder, student, chapter, data: bytes):
    path = folder / student / chapter / f"{chapter}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    path, _ = course
    subs = tmp_path_factory.mktemp("submissions")
    for chapter in GRADED:
        release, source = submission.read_pair(path, chapter)
        submission.write(submission.solved(release, source), subs, "alice", chapter)        # the authors' answers
    release, source = submission.read_pair(path, "01_trajectories")
    submission.write(release, subs, "bob", "01_trajectories")                              # untouched
    release5, source5 = submission.read_pair(path, "05_pg_theorem")
    submission.write(submission.solved(release5, source5, ["ch5-ex-visits"]), subs, "carol", "05_pg_theorem")
    _write_raw(subs, "dave", "01_trajectories", b"")                                      # empty file
    (subs / "dave" / "05_pg_theorem").mkdir(parents=True)                                  # folder, no notebook
    _write_raw(subs, "erin", "01_trajectories", b'{"cells": [')                            # truncated JSON
    _write_raw(subs, "erin", "05_pg_theorem", (C.BOOK / "05_pg_theorem.ipynb").read_bytes())  # the authors' file
    # passes the visible check by reusing its numbers, not by walking trajectories
    cheat = submission.solved(release, source, [])
    for cell in cheat.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "ch1-ex-brute-answer":
            cell.source = ("def brute_force(mdp, pi, T):\n"
                           "    return 1.0, exact.objective(chain9, chain_pol, theta_c, horizon=5)")
    submission.write(cheat, subs, "frank", "01_trajectories")
    empty_nb = nbformat.v4.new_notebook()
    submission.write(empty_nb, subs, "gina", "01_trajectories")                            # a notebook with no cells
    rows = G.grade(subs, path, log=lambda *a: None)
    return path, {(r["student"], r["chapter"]): r for r in rows}


def _points(label):
    return C.load_exercise_data()["exercises"][label]["points"]


def test_authors_answers_get_all_automatic_points(graded):
    _, rows = graded
    for chapter in GRADED:
        row = rows[("alice", chapter)]
        assert row["status"] == "graded"
        assert row["auto_score"] == row["auto_max_score"] > 0
        assert row["manual_pending"] >= 1          # the derivations wait for the teacher
        assert row["score"] == row["auto_score"] and row["max_score"] == row["auto_max_score"] + row["manual_max_score"]


def test_untouched_release_scores_zero(graded):
    _, rows = graded
    row = rows[("bob", "01_trajectories")]
    assert row["status"] == "graded" and row["score"] == 0 and row["auto_score"] == 0
    assert row["manual_pending"] == 0              # unchanged answer cells need no hand grading


def test_one_coding_exercise_answered_gets_exactly_its_points(graded):
    _, rows = graded
    row = rows[("carol", "05_pg_theorem")]
    assert row["status"] == "graded"
    assert row["score"] == row["auto_score"] == _points("ch5-ex-visits")
    assert row["manual_pending"] == 0


def test_hidden_test_catches_an_answer_tuned_to_the_visible_check(graded):
    path, rows = graded
    row = rows[("frank", "01_trajectories")]
    assert row["status"] == "graded" and row["auto_score"] == 0
    nb = nbformat.read(path / "autograded" / "frank" / "01_trajectories" / "01_trajectories.ipynb", as_version=4)
    check = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "ch1-ex-brute"][0]
    text = "".join(o.get("text", "") for o in check.outputs if o.output_type == "stream")
    errors = [o for o in check.outputs if o.output_type == "error"]
    assert "✓ brute force J_T = exact.objective(horizon=T)" in text      # the visible check passed
    assert errors and errors[0].ename == "AssertionError" and "hidden" in errors[0].evalue


@pytest.mark.parametrize("student, chapter, status, words", [
    ("dave", "01_trajectories", "empty", "empty file"),
    ("dave", "05_pg_theorem", "missing", "no 05_pg_theorem.ipynb"),
    ("erin", "01_trajectories", "malformed", "not a readable notebook"),
    ("erin", "05_pg_theorem", "malformed", "not the released notebook"),
    ("gina", "01_trajectories", "empty", "has no cells"),
    ("bob", "05_pg_theorem", "missing", "no folder 05_pg_theorem/"),
])
def test_bad_submissions_get_a_zero_row_with_a_message(graded, student, chapter, status, words):
    _, rows = graded
    row = rows[(student, chapter)]
    assert (row["status"], row["score"], row["auto_score"]) == (status, 0, 0)
    assert words in row["message"]


def test_grades_csv_and_feedback(graded):
    path, rows = graded
    with open(path / "grades.csv", newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert list(table[0])[:4] == ["student", "chapter", "score", "max_score"]
    students = {"alice", "bob", "carol", "dave", "erin", "frank", "gina"}
    assert {(r["student"], r["chapter"]) for r in table} == {(s, c) for s in students for c in GRADED}
    for r in table:
        assert float(r["max_score"]) == rows[(r["student"], r["chapter"])]["max_score"] > 0
        feedback = path / "feedback" / r["student"] / r["chapter"] / f"{r['chapter']}.html"
        assert feedback.exists() == (r["status"] == "graded"), (r["student"], r["chapter"])
    html = (path / "feedback" / "alice" / "01_trajectories" / "01_trajectories.html").read_text(encoding="utf-8")
    assert "ch1-ex-brute" in html and "5 / 5" in html.replace("5.0", "5")


# ------------------------------------------------------------------ the student site (make test-student)

STUDENT_SITE = os.environ.get("STUDENT_SITE", "")


def _readable(path):
    """The text a reader gets from a file of the site: HTML without tags (Pygments splits code lines
    into spans) and entities, a notebook's cell sources and outputs, other files as they are."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        return html.unescape(re.sub(r"<[^>]+>", "", text))
    if path.suffix == ".ipynb":
        nb = nbformat.reads(text, as_version=4)
        parts = [c.source for c in nb.cells]
        parts += [o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        return "\n".join(parts)
    return text


@pytest.mark.skipif(not STUDENT_SITE, reason="set STUDENT_SITE=<html dir> (make test-student builds the site and does)")
def test_student_site_and_downloads_hold_no_solution_code():
    site = Path(STUDENT_SITE)
    if not site.is_absolute():
        site = ROOT / site
    assert (site / "index.html").exists(), f"no student site at {site}"
    course = Path(os.environ.get("CLASSROOM_COURSE", ROOT / "_build" / "student" / "course"))
    summary = json.loads((course / "exercises.json").read_text(encoding="utf-8"))
    chapters = sorted({s["chapter"] for s in summary})
    files = [p for p in site.rglob("*") if p.is_file() and p.suffix in (".html", ".ipynb", ".md", ".txt", ".js")]
    texts = {p: {line.strip() for line in _readable(p).split("\n")} for p in files}
    # code that some chapter shows outside its gated solutions may legitimately be on the site
    public = set().union(*(make_source.public_lines(nbformat.read(p, as_version=4)) for p in C.chapters()))
    checked = 0
    for chapter in chapters:
        source = nbformat.read(course / "source" / chapter / f"{chapter}.ipynb", as_version=4)
        authors = nbformat.read(C.BOOK / f"{chapter}.ipynb", as_version=4)
        secrets = [s for s in make_source.secret_lines(source, authors, hidden=False, public=public) if len(s) >= 12]
        assert secrets, f"{chapter}: no solution line to look for"
        for p, text in texts.items():
            shown = [s for s in secrets if s in text]
            assert not shown, f"{p.relative_to(site)} shows solution code of {chapter}: {shown[:3]}"
        if not (site / "book" / f"{chapter}.html").exists():
            continue                      # a chapter not (yet) in _toc.yml has no page and no download
        download = site / "_sources" / "book" / f"{chapter}.ipynb"
        release = course / "release" / chapter / f"{chapter}.ipynb"
        assert download.read_bytes() == release.read_bytes(), f"the download of {chapter} is not its release notebook"
        checked += 1
    assert checked >= 9, f"only {checked} chapter downloads checked"
    guide_page = _readable(site / "book" / "teachers-guide.html")
    assert "not of the" in guide_page and "Rubrics" not in guide_page
    assert "Rubric" not in _readable(site / "_sources" / "book" / "teachers-guide.md")
