"""``make grade SUBMISSIONS=<dir>``: autograde the students' notebooks, write feedback and grades.csv.

Submissions are laid out as ``<dir>/<student>/<chapter>/<chapter>.ipynb`` (the
release notebook, worked on).  The chapters graded are those that appear in at
least one student's folder (or ``--chapters``); every student gets a row for
each of them.  For each student and chapter:

* a missing, empty (no bytes, or no cells) or malformed notebook (not JSON, not a
  valid notebook, not this chapter's release: none of its graded cells) is not
  given to nbgrader: its row has score 0 and a message that says what is wrong;
* otherwise the notebook is copied to ``<course>/submitted/<student>/<chapter>/``
  and ``nbgrader autograde`` runs it: the locked cells and the test cells
  (with their hidden tests) are restored from the gradebook, every cell is
  executed, and each test cell that runs without error earns its points.  If
  nbgrader itself fails on a notebook, that row is 0 with nbgrader's message,
  and the other students are still graded;
* ``nbgrader generate_feedback`` writes ``<course>/feedback/<student>/<chapter>/<chapter>.html``.

``<course>/grades.csv`` then has one row per student and chapter:
``student, chapter, score, max_score`` (nbgrader's total: automatic points plus
manual grades given so far), ``auto_score, auto_max_score``, ``manual_max_score``,
``manual_pending`` (answers still waiting for a hand grade), ``status`` and ``message``.

After grading the derivations by hand (nbgrader's formgrader, see the teacher's guide),
``--report-only`` rewrites the feedback and grades.csv from the gradebook without
running anything again.

Usage: python -m classroom.grade SUBMISSIONS [--course DIR] [--chapters CH ...] [--report-only]
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat

from classroom import course as C

COLUMNS = ["student", "chapter", "score", "max_score", "auto_score", "auto_max_score", "manual_max_score",
           "manual_pending", "status", "message"]
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]*$")


def _assignments(course):
    path = Path(course) / "exercises.json"
    if not path.exists():
        raise SystemExit(f"{path} not found: run `make assignments` first")
    exercises = json.loads(path.read_text(encoding="utf-8"))
    chapters = {}
    for ex in exercises:
        if (Path(course) / "release" / ex["chapter"]).is_dir():
            chapters.setdefault(ex["chapter"], []).append(ex)
    return chapters


def inspect(path: Path, chapter: str, grade_ids: set):
    """None if ``path`` looks like this chapter's release notebook, else what is wrong with it."""
    if not path.exists():
        folder = path.parent
        if not folder.is_dir():
            if (folder.parent / f"{chapter}.ipynb").exists():
                return "missing", (f"{chapter}.ipynb is directly in the student's folder; expected "
                                   f"<student>/{chapter}/{chapter}.ipynb")
            return "missing", f"no folder {chapter}/ in the student's submissions"
        others = sorted(p.name for p in folder.iterdir())
        return "missing", f"no {chapter}.ipynb in {chapter}/" + (f" (found: {', '.join(others)})" if others else "")
    if path.stat().st_size == 0:
        return "empty", f"{chapter}.ipynb is an empty file (0 bytes)"
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # JSON or nbformat errors, bad encodings
        first = str(err).strip().split("\n")[0][:200]
        return "malformed", f"{chapter}.ipynb is not a readable notebook: {type(err).__name__}: {first}"
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as err:
        return "malformed", f"{chapter}.ipynb is not a valid notebook: {str(err).split(chr(10))[0][:200]}"
    if not nb.cells:
        return "empty", f"{chapter}.ipynb has no cells"
    ids = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.cells}
    if not grade_ids & ids:
        return "malformed", (f"{chapter}.ipynb is not the released notebook of {chapter}: none of its graded "
                             f"cells ({', '.join(sorted(grade_ids))}) is there")
    return None


def deleted_cells(path: Path, release: Path):
    """Grade ids of the release's answer and test cells that the submission no longer has."""
    def ids(nb):
        return {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                if c.get("metadata", {}).get("nbgrader", {}).get("grade") or
                c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    return sorted(ids(nbformat.read(release, as_version=4)) - ids(nbformat.read(path, as_version=4)))


def _forget(course, api, chapter, student):
    """Drop an earlier submission of this student and chapter (gradebook and files)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        try:
            gb.remove_submission(chapter, student)
        except MissingEntry:
            pass
    for part in ("submitted", "autograded", "feedback"):
        shutil.rmtree(Path(course) / part / student / chapter, ignore_errors=True)


def _nbgrader_message(result):
    text = ((result.get("error") or "") + "\n" + (result.get("log") or "")).strip().split("\n")
    useful = [line.strip() for line in text if line.strip() and ("Error" in line or "[ERROR]" in line)]
    return (useful[-1] if useful else (text[-1] if text else "unknown error"))[:300]


def scores(api, chapter, student):
    """(score, max_score, auto_score, auto_max, manual_max, manual_pending) from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        sub = gb.find_submission(chapter, student)
        auto = auto_max = manual_max = 0.0
        pending = 0
        for nb in sub.notebooks:
            for grade in nb.grades:
                if grade.cell_type == "code":
                    auto += grade.score
                    auto_max += grade.max_score
                else:
                    manual_max += grade.max_score
                    pending += bool(grade.needs_manual_grade and grade.manual_score is None)
        return sub.score, sub.max_score, auto, auto_max, manual_max, pending


def _fmt(x):
    return f"{x:g}"


def grade(submissions, course=C.DEFAULT_COURSE, chapters=None, report_only=False, log=print):
    """Grade every student and chapter; returns the rows written to grades.csv."""
    course = Path(course).resolve()
    submissions = Path(submissions).resolve() if submissions else None
    known = _assignments(course)
    status_path = course / "grade_status.json"
    previous = json.loads(status_path.read_text(encoding="utf-8")) if status_path.exists() else {}

    if report_only:
        if not previous:
            raise SystemExit(f"{status_path} not found: grade once with SUBMISSIONS first")
        plan = {tuple(k.split("/", 1)): tuple(v) for k, v in previous.items()}
    else:
        if submissions is None or not submissions.is_dir():
            raise SystemExit(f"SUBMISSIONS={submissions}: not a folder (expected <dir>/<student>/<chapter>/<chapter>.ipynb)")
        students = sorted(p.name for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
        if not students:
            raise SystemExit(f"{submissions}: no student folders")
        bad = [s for s in students if not STUDENT_ID.match(s)]
        if bad:
            raise SystemExit(f"student folder names must be plain ids (letters, digits, _.@+-): {bad}")
        wanted = list(chapters or [])
        if not wanted:
            seen = {c.name for s in students for c in (submissions / s).iterdir() if c.is_dir()}
            for name in sorted(seen - set(known)):
                log(f"warning: folder {name}/ of some student is not an assignment ({', '.join(sorted(known))}); ignored")
            wanted = sorted(seen & set(known))
        unknown = set(wanted) - set(known)
        if unknown:
            raise SystemExit(f"no released assignment for {', '.join(sorted(unknown))}: run `make assignments`")
        if not wanted:
            raise SystemExit(f"{submissions}: no student folder holds an assignment folder ({', '.join(sorted(known))})")
        plan = {}
        for student in students:
            for chapter in wanted:
                grade_ids = {ex["label"] for ex in known[chapter]}
                problem = inspect(submissions / student / chapter / f"{chapter}.ipynb", chapter, grade_ids)
                plan[(student, chapter)] = problem or ("graded", "")

    api = C.api(course)
    rows = []
    for (student, chapter), (status, message) in sorted(plan.items()):
        max_total = sum(ex["points"] for ex in known[chapter])
        auto_total = sum(ex["points"] for ex in known[chapter] if ex["kind"] == "coding")
        row = dict(student=student, chapter=chapter, score=0, max_score=max_total, auto_score=0,
                   auto_max_score=auto_total, manual_max_score=max_total - auto_total, manual_pending=0,
                   status=status, message=message)
        if status != "graded":
            if not report_only:
                _forget(course, api, chapter, student)
            log(f"{student:>12} {chapter}: 0 / {_fmt(max_total)}  [{status}] {message}")
            rows.append(row)
            continue
        t0 = time.perf_counter()
        t_autograde = 0.0
        if not report_only:
            _forget(course, api, chapter, student)
            target = course / "submitted" / student / chapter / f"{chapter}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(submissions / student / chapter / f"{chapter}.ipynb", target)
            with C.quiet():
                result = api.autograde(chapter, student, force=True, create=True)
            t_autograde = time.perf_counter() - t0
            if not result.get("success"):
                row.update(status="error", message="nbgrader could not grade it: " + _nbgrader_message(result))
                _forget(course, api, chapter, student)
                log(f"{student:>12} {chapter}: 0 / {_fmt(max_total)}  [error] {row['message']}")
                rows.append(row)
                continue
        with C.quiet():
            feedback = api.generate_feedback(chapter, student, force=True)
        score, max_score, auto, auto_max, manual_max, pending = scores(api, chapter, student)
        row.update(score=score, max_score=max_score, auto_score=auto, auto_max_score=auto_max,
                   manual_max_score=manual_max, manual_pending=pending)
        notes = []
        if not report_only:
            gone = deleted_cells(submissions / student / chapter / f"{chapter}.ipynb",
                                 course / "release" / chapter / f"{chapter}.ipynb")
            if gone:
                notes.append(f"cells deleted by the student (no points for them): {', '.join(gone)}")
        if not feedback.get("success"):
            notes.append("no feedback file: " + _nbgrader_message(feedback))
        if pending:
            notes.append(f"{pending} answer(s) to grade by hand")
        row["message"] = "; ".join(notes) if notes else row["message"]
        log(f"{student:>12} {chapter}: {_fmt(score)} / {_fmt(max_score)}  (automatic {_fmt(auto)} / "
            f"{_fmt(auto_max)}{f', {pending} to grade by hand' if pending else ''})  "
            f"[autograde {t_autograde:.1f} s, total {time.perf_counter() - t0:.1f} s]")
        rows.append(row)

    status_path.write_text(json.dumps({f"{s}/{c}": [r["status"], r["message"]] for r in rows
                                       for s, c in [(r["student"], r["chapter"])]}, indent=1) + "\n",
                           encoding="utf-8")
    with open(course / "grades.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (_fmt(v) if isinstance(v, float) else v) for k, v in row.items()})
    log(f"wrote {course / 'grades.csv'} ({len(rows)} rows) and the feedback in {course / 'feedback'}")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("submissions", nargs="?", help="<dir>/<student>/<chapter>/<chapter>.ipynb")
    parser.add_argument("--course", default=str(C.DEFAULT_COURSE))
    parser.add_argument("--chapters", nargs="*", help="grade these chapters (default: those submitted)")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite feedback and grades.csv from the gradebook (after manual grading)")
    args = parser.parse_args(argv)
    if not args.report_only and not args.submissions:
        parser.error("SUBMISSIONS is required (or --report-only)")
    grade(args.submissions, args.course, args.chapters, args.report_only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
