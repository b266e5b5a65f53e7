"""Submissions made from a release notebook: untouched, or with some exercises answered by the authors.

A teacher's dry run before class (and the tests) needs notebooks that a student
could hand in.  :func:`solved` takes the release notebook of a chapter and puts
the authors' answer, taken from the source notebook, into the answer cells of
the exercises asked for: the solution code (without the BEGIN/END SOLUTION
lines) or the model answer of a derivation.  Nothing else changes, so nbgrader
sees the release's cells and grade ids.

Usage (a dry run of the whole path)::

    python -m classroom.submission --out /tmp/subs --student alice 01_trajectories          # all solved
    python -m classroom.submission --out /tmp/subs --student bob --solve ch1-ex-brute 01_trajectories
    python -m classroom.submission --out /tmp/subs --student carol --solve none 01_trajectories
    make grade SUBMISSIONS=/tmp/subs
"""
from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

from classroom import course as C
from classroom.parse import BEGIN_SOLUTION, END_SOLUTION


def exercise_of(grade_id: str) -> str:
    """The exercise label of an answer cell's grade id (``ch1-ex-brute-answer-2`` -> ``ch1-ex-brute``)."""
    return re.sub(r"-answer(-\d+)?$", "", grade_id)


def solved(release_nb, source_nb, labels=None):
    """A copy of the release notebook with the authors' answers in the exercises ``labels`` (None: all)."""
    by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in source_nb.cells
             if c.metadata.get("nbgrader", {}).get("solution")}
    nb = copy.deepcopy(release_nb)
    found = set()
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("solution"):
            continue
        label = exercise_of(meta["grade_id"])
        if labels is not None and label not in labels:
            continue
        found.add(label)
        src = by_id[meta["grade_id"]].source
        if cell.cell_type == "code":
            cell.source = "\n".join(line for line in src.split("\n")
                                    if line.strip() not in (BEGIN_SOLUTION, END_SOLUTION))
        else:
            # the model answer without the source cell's heading and rubric
            answer = src.split("\n\n", 1)[1].rsplit("\n\n**Rubric**", 1)[0]
            cell.source = answer
    if labels is not None and set(labels) - found:
        raise ValueError(f"no answer cell for {', '.join(sorted(set(labels) - found))}")
    return nb


def read_pair(course, chapter):
    course = Path(course)
    release = nbformat.read(course / "release" / chapter / f"{chapter}.ipynb", as_version=4)
    source = nbformat.read(course / "source" / chapter / f"{chapter}.ipynb", as_version=4)
    return release, source


def write(nb, out, student, chapter):
    path = Path(out) / student / chapter / f"{chapter}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write a submission from a release notebook (see the docstring).")
    parser.add_argument("chapter")
    parser.add_argument("--out", required=True, help="the SUBMISSIONS folder")
    parser.add_argument("--student", required=True)
    parser.add_argument("--solve", default="all", help="comma-separated labels, 'all' (default) or 'none'")
    parser.add_argument("--course", default=str(C.DEFAULT_COURSE))
    args = parser.parse_args(argv)
    release, source = read_pair(args.course, args.chapter)
    labels = None if args.solve == "all" else ([] if args.solve == "none" else args.solve.split(","))
    print(write(solved(release, source, labels), args.out, args.student, args.chapter))
    return 0


if __name__ == "__main__":
    sys.exit(main())
