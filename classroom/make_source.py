"""``make assignments``: the nbgrader source notebooks from the chapters, then nbgrader's release versions.

For every chapter notebook ``book/[0-9]*.ipynb`` with exercises:

1. :func:`classroom.parse.build_source` writes ``<course>/source/<chapter>/<chapter>.ipynb``
   (points and rubrics from ``classroom/exercises.yml``, hidden tests from
   ``classroom/hidden_tests/<chapter>.py``);
2. ``nbgrader generate_assignment`` writes ``<course>/release/<chapter>/<chapter>.ipynb``
   and records the points, the cells and the hidden tests in the gradebook;
3. the release is checked: no solution region, no hidden test, no line of the
   gated solutions (see :func:`secret_lines`).

A chapter whose exercises cannot be recognised stops the command with the
chapter, cell and reason (after the other chapters are done).  ``exercises.json``
in the course directory lists every exercise with its points (read by
``classroom.grade`` and the tests).

Usage: python -m classroom.make_source [--course DIR] [CHAPTER ...]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import nbformat

from classroom import course as C
from classroom.parse import (BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION, ExerciseError,
                             build_source)

TRIVIAL = {"", ")", "]", "}", "else:", "try:", "break", "continue", "return", "pass", "continue"}


def public_lines(authors_nb):
    """The stripped lines of the code cells of an authors' notebook outside its gated solutions."""
    public = set()
    inside = False
    for cell in authors_nb.cells:
        if cell.cell_type == "markdown":
            if "{solution-start}" in cell.source:
                inside = True
            if "{solution-end}" in cell.source:
                inside = False
            continue
        if not inside:
            public.update(line.strip() for line in cell.source.split("\n"))
    return public


def secret_lines(source_nb, authors_nb, hidden=True, public=None):
    """Lines of the solution regions (and, with ``hidden``, of the hidden tests) of a source notebook
    that the authors' notebook does not also show outside its gated solutions (those are public
    anyway), nor ``public`` (e.g. the other chapters' code)."""
    public = public_lines(authors_nb) | set(public or ())
    secret = []
    for cell in source_nb.cells:
        if cell.cell_type != "code":
            continue
        state = None
        for line in cell.source.split("\n"):
            s = line.strip()
            if s in (BEGIN_SOLUTION, BEGIN_HIDDEN):
                state = s if (hidden or s == BEGIN_SOLUTION) else None
                continue
            if s in (END_SOLUTION, END_HIDDEN):
                state = None
                continue
            if state and s not in TRIVIAL and not s.startswith("#") and s not in public:
                secret.append(s)
    return list(dict.fromkeys(secret))


def check_release(release_nb, secrets, where):
    """Raise if the release notebook holds a solution region, a hidden test or a secret line."""
    text_lines = set()
    for cell in release_nb.cells:
        for marker in (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN):
            if marker in cell.source:
                raise RuntimeError(f"{where}: the release still contains {marker!r}")
        text_lines.update(line.strip() for line in cell.source.split("\n"))
    leaked = [s for s in secrets if s in text_lines]
    if leaked:
        raise RuntimeError(f"{where}: lines of the solutions or hidden tests are in the release: {leaked[:5]}")


def build(course=C.DEFAULT_COURSE, only=None, generate=True, log=print):
    """Write the source notebooks and (with ``generate``) the releases; returns the exercise list.

    Raises :class:`ExerciseError` listing every chapter that could not be converted.
    """
    course = Path(course).resolve()
    data = C.load_exercise_data()
    summary, errors = [], []
    notebooks = [p for p in C.chapters() if not only or p.stem in only]
    if only and len(notebooks) != len(set(only)):
        known = {p.stem for p in C.chapters()}
        raise SystemExit(f"unknown chapter(s): {', '.join(sorted(set(only) - known))}")
    C.write_config(course)
    done = []
    for path in notebooks:
        chapter = path.stem
        authors = nbformat.read(path, as_version=4)
        try:
            from classroom.parse import find_exercises
            exercises = find_exercises(authors, chapter)
            if not exercises:
                log(f"{chapter}: no exercises, no assignment")
                continue
            meta = C.exercise_meta(exercises, data)
            hidden = C.hidden_tests(chapter)
            source, exercises = build_source(authors, chapter, meta, hidden,
                                             hidden_origin=f"classroom/hidden_tests/{chapter}.py")
        except (ExerciseError, ValueError) as err:
            errors.append(str(err))
            log(f"{chapter}: FAILED: {err}")
            continue
        target = course / "source" / chapter / f"{chapter}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(source, target)
        for ex in exercises:
            m = meta[ex.label]
            summary.append(dict(chapter=chapter, label=ex.label, title=ex.title, kind=ex.kind,
                                points=m["points"], minutes=m["minutes"], default=m["default"],
                                hidden=ex.label in hidden if ex.kind == "coding" else None))
            if m["default"]:
                log(f"{chapter}: {ex.label} has no entry in classroom/exercises.yml: "
                    f"default {m['points']} points, {m['minutes']} minutes")
        no_hidden = [ex.label for ex in exercises if ex.kind == "coding" and ex.label not in hidden]
        if no_hidden:
            log(f"{chapter}: no hidden tests for {', '.join(no_hidden)} (classroom/hidden_tests/{chapter}.py)")
        done.append((chapter, source, authors))

    listing = course / "exercises.json"
    if only and listing.exists():     # keep the other chapters' entries
        rebuilt = {p.stem for p in notebooks}
        summary = [s for s in json.loads(listing.read_text(encoding="utf-8")) if s["chapter"] not in rebuilt] + summary
    listing.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    if generate and done:
        api = C.api(course)
        for chapter, source, authors in done:
            t0 = time.perf_counter()
            with C.quiet():
                C.run(api.generate_assignment(chapter, force=True, create=True), f"generate_assignment {chapter}")
            release_path = course / "release" / chapter / f"{chapter}.ipynb"
            release = nbformat.read(release_path, as_version=4)
            check_release(release, secret_lines(source, authors), str(release_path))
            exs = [s for s in summary if s["chapter"] == chapter]
            log(f"{chapter}: {len(exs)} exercises, {sum(s['points'] for s in exs)} points "
                f"({sum(s['points'] for s in exs if s['kind'] == 'coding')} automatic) -> "
                f"{release_path.relative_to(C.ROOT) if release_path.is_relative_to(C.ROOT) else release_path}"
                f" ({time.perf_counter() - t0:.1f} s)")
    if errors:
        raise ExerciseError("the classroom edition cannot convert:\n" + "\n".join(f"  - {e}" for e in errors))
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("chapters", nargs="*", help="chapter notebooks by name (default: all in book/)")
    parser.add_argument("--course", default=str(C.DEFAULT_COURSE), help="the course directory (default %(default)s)")
    parser.add_argument("--no-generate", action="store_true", help="write the source notebooks only")
    args = parser.parse_args(argv)
    try:
        build(args.course, args.chapters or None, generate=not args.no_generate)
    except ExerciseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
