"""The tables of the teacher's guide (book/teachers-guide.md), written from the chapters and exercises.yml.

``python -m classroom.guide`` rewrites the part of the page between the markers
``<!-- classroom:tables:begin -->`` and ``<!-- classroom:tables:end -->``: the
exercises with their points and expected minutes, the 90-minute lab plan, and
the rubric of every derivation.  ``--check`` only compares (tests/test_classroom.py
runs it).  Only exercises that have an entry in classroom/exercises.yml are
listed; ``make assignments`` names the others (they get default points).

The page must stay free of TeX math and of exercise or solution directives: in
the student edition it is replaced by a short notice, and the browser test
compares the rendered page with what its source contains.
"""
from __future__ import annotations

import argparse
import re
import sys

import nbformat

from classroom import course as C
from classroom.parse import find_exercises, plain_text

PAGE = C.BOOK / "teachers-guide.md"
BEGIN, END = "<!-- classroom:tables:begin -->", "<!-- classroom:tables:end -->"
TEX = {r"\varphi": "φ", r"\pi": "π", r"\sigma": "σ", r"\lambda": "λ", r"\gamma": "γ", r"\theta": "θ",
       r"\rho": "ρ", r"\mathcal N": "N", r"\nabla": "∇", r"\log": "log"}


def untex(text: str) -> str:
    """Exercise titles without TeX: the page must hold no math (see the module docstring)."""
    def repl(m):
        s = m.group(1)
        for k, v in TEX.items():
            s = s.replace(k, v)
        s = re.sub(r"\\[A-Za-z]+", "", s)
        s = re.sub(r"_\{([^}]*)\}", r"_\1", s)
        return s.replace("{", "").replace("}", "").replace("^", "")
    return re.sub(r"\$([^$]+)\$", repl, text).replace("$", "")


def _title(ex):
    """The exercise's title, else the heading of its section (without a leading 'Exercise:')."""
    title = ex.title or re.sub(r"^Exercises?:?\s*", "", ex.heading) or plain_text(ex.statement)[:60]
    return untex(title)


def _chapter_name(stem):
    number, _, rest = stem.partition("_")
    return f"{int(number)}", rest.replace("_", " ")


def tables(data=None):
    data = data or C.load_exercise_data()
    rows = []
    for path in C.chapters():
        for ex in find_exercises(nbformat.read(path, as_version=4), path.stem):
            if ex.label in data["exercises"]:
                rows.append((path.stem, ex, data["exercises"][ex.label]))
    lab = data["lab_minutes"]
    out = ["### The exercises", "",
           "| chapter | exercise (label = grade id) | kind | points | minutes |",
           "|---|---|---|---|---|"]
    for stem, ex, entry in rows:
        number, _ = _chapter_name(stem)
        kind = "coding (automatic)" if ex.kind == "coding" else "derivation (by hand)"
        out.append(f"| {number} | `{ex.label}`: {_title(ex)} | {kind} | {entry['points']} | {entry['minutes']} |")
    total_points = sum(e["points"] for _, _, e in rows)
    auto_points = sum(e["points"] for _, ex, e in rows if ex.kind == "coding")
    out += ["", f"In all {len(rows)} exercises, {total_points} points, of which {auto_points} are graded "
            "automatically.", "",
            "### A 90-minute lab", "",
            f"A 90-minute lab leaves about {lab} minutes for the exercises once JupyterLab is started "
            "and the chapter has run. The minutes are for a student who has read the chapter.", "",
            "| chapter | exercises | minutes | in one 90-minute lab |", "|---|---|---|---|"]
    chapters = {}
    for stem, ex, entry in rows:
        chapters.setdefault(stem, []).append((ex, entry))
    for stem, items in chapters.items():
        number, name = _chapter_name(stem)
        minutes = sum(e["minutes"] for _, e in items)
        if minutes <= lab:
            verdict = "all of them"
        else:
            keep, used = [], 0
            for ex, e in sorted(items, key=lambda it: it[0].kind != "coding"):
                if used + e["minutes"] <= lab:
                    keep.append(ex.label)
                    used += e["minutes"]
            verdict = f"{', '.join(f'`{k}`' for k in keep)} ({used} min); the rest as homework"
        out.append(f"| {number} ({name}) | {len(items)} | {minutes} | {verdict} |")
    out += ["", "### Rubrics of the derivations", "",
            "Each item is worth the points in front of it; partial credit within an item is the grader's call. "
            "The model answer is in the source notebook's answer cell "
            "(`_build/course/source/<chapter>/<chapter>.ipynb`) and in the web book's solution dropdown.", ""]
    for stem, ex, entry in rows:
        if ex.kind != "derivation":
            continue
        out.append(f"**`{ex.label}`** ({_title(ex)}, {entry['points']} points)")
        out.append("")
        out += [f"- {p} pt: {untex(text)}" for p, text in entry.get("rubric", [])]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def render(page_text, data=None):
    if BEGIN not in page_text or END not in page_text:
        raise ValueError(f"{PAGE}: the markers {BEGIN} and {END} are missing")
    head, rest = page_text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{tables(data)}{END}{tail}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is not up to date")
    args = parser.parse_args(argv)
    text = PAGE.read_text(encoding="utf-8")
    new = render(text)
    if args.check:
        if new != text:
            print(f"{PAGE} is out of date: run `python -m classroom.guide`", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(new, encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
