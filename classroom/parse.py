"""Recognise the exercises of a chapter notebook and turn it into an nbgrader *source* notebook.

The chapters follow CONTRIBUTING.md ("Exercises"):

* a **derivation** is an ``{exercise}`` with a ``:label:``, answered by a
  ``{solution} <label>`` directive (a dropdown in the book);
* a **coding exercise** is an ``{exercise}`` answered by the gated form: a
  markdown cell with ``{solution-start} <label>``, one or more code cells, a
  markdown cell with ``{solution-end}``, and then the first code cell after it,
  which checks the answer with a pglib check (``check_close``, ``check_unbiased``,
  ``check_true``, ``check_cases``).

:func:`build_source` writes the nbgrader source notebook of a chapter from it:

* every cell that is not part of an answer is **locked** (nbgrader restores it at
  grading time, so nobody can edit a check away);
* the gated solution code becomes nbgrader **solution cells**: a top-level
  function keeps its ``def`` line (the exercise names it) and its body goes
  between ``### BEGIN SOLUTION`` / ``### END SOLUTION``; any other statement
  goes there whole.  ``nbgrader generate_assignment`` replaces each region by a
  stub that raises ``NotImplementedError``; comment lines above it (kept) give a
  hint from the exercise text and the names the check cell uses;
* the check cell becomes an **autograded test cell** worth the exercise's
  points, followed by the exercise's hidden tests (``### BEGIN HIDDEN TESTS``,
  from ``classroom/hidden_tests/<chapter>.py``), which the release does not contain;
* a ``{solution}`` dropdown becomes a **manually graded answer cell** (markdown,
  ``YOUR ANSWER HERE`` in the release) holding, in the source only, the authors'
  answer and the rubric for the teacher.

Anything else that looks like an exercise raises :class:`ExerciseError`, which
names the chapter, the cell and what is wrong: a new chapter is either handled
or refused, never half converted.
"""
from __future__ import annotations

import ast
import copy
import re
import textwrap
from dataclasses import dataclass, field

import nbformat

# A MyST fence: ``` or ~~~ (code, or a directive with {name}) or ::: (colon_fence).
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
DIRECTIVE_INFO = re.compile(r"^\{(?P<name>[A-Za-z][\w:-]*)\}\s*(?P<arg>.*)$")
EXERCISE_DIRECTIVES = {"exercise", "solution", "solution-start", "solution-end"}
UNSUPPORTED_DIRECTIVES = {"exercise-start", "exercise-end"}
PGLIB_CHECK = re.compile(r"\bcheck_(close|unbiased|true|cases)\s*\(")
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SCHEMA_VERSION = 3
GUIDE = "see CONTRIBUTING.md, section Exercises"


class ExerciseError(ValueError):
    """An exercise (or something that looks like one) that the classroom edition cannot convert."""


@dataclass
class Directive:
    """A top-level MyST directive of a markdown cell: lines ``start``..``end`` (inclusive)."""
    name: str
    arg: str
    start: int
    end: int
    options: dict
    body: str


@dataclass
class Exercise:
    """One exercise of a chapter, as found in the authors' notebook."""
    chapter: str                 # notebook stem, e.g. "01_trajectories"
    label: str                   # the exercise's :label:, also its nbgrader grade id
    title: str
    statement: str               # the exercise's text (the directive's body)
    heading: str = ""            # the last markdown heading before the exercise
    kind: str = ""               # "derivation" or "coding"
    cell: int = -1               # index of the markdown cell holding the {exercise}
    answer: str = ""             # derivation: the {solution} text (the model answer)
    solution_cells: list = field(default_factory=list)   # coding: indices of the gated code cells
    check_cell: int = -1         # coding: index of the check cell
    defined: list = field(default_factory=list)          # coding: names the solution defines
    checked: list = field(default_factory=list)          # coding: those the check cell uses


def _where(chapter, cell):
    return f"{chapter}.ipynb, cell {cell}"


def directives(text: str, where: str = "") -> list[Directive]:
    """The top-level fenced blocks of a markdown text that are directives, in order.

    A fence closes on a line of the same character at least as long (CommonMark),
    so a ```` ```` ```` block may hold ``` code; an unclosed fence raises.
    """
    lines = text.split("\n")
    found, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, info = m.group("fence"), m.group("info").strip()
        char, size = fence[0], len(fence)
        close = re.compile(rf"^ {{0,3}}{re.escape(char)}{{{size},}}\s*$")
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            j += 1
        if j == len(lines):
            raise ExerciseError(f"{where}: the fence {fence}{info} opened on line {i + 1} is never closed")
        d = DIRECTIVE_INFO.match(info)
        if d:
            options, body_start = {}, i + 1
            if body_start < j and lines[body_start].strip() == "---":          # YAML options block
                k = body_start + 1
                while k < j and lines[k].strip() != "---":
                    key, _, value = lines[k].partition(":")
                    options[key.strip()] = value.strip()
                    k += 1
                body_start = k + 1
            else:
                while body_start < j and re.match(r"^\s*:[\w-]+:", lines[body_start]):
                    key, value = re.match(r"^\s*:([\w-]+):\s*(.*)$", lines[body_start]).groups()
                    options[key] = value.strip()
                    body_start += 1
            body = "\n".join(lines[body_start:j]).strip("\n")
            found.append(Directive(d.group("name"), d.group("arg").strip(), i, j, options, body))
        i = j + 1
    return found


def _code_names(source: str, where: str):
    """(names bound at top level, names loaded anywhere) of a code cell; magics are blanked first."""
    text = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n"))
    try:
        tree = ast.parse(text)
    except SyntaxError as err:
        raise ExerciseError(f"{where}: the code does not parse ({err})") from None
    bound = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.append(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound += [(a.asname or a.name).split(".")[0] for a in node.names]
        else:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    bound.append(sub.id)
    loaded = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
    return list(dict.fromkeys(bound)), list(dict.fromkeys(loaded))


def find_exercises(nb, chapter: str) -> list[Exercise]:
    """Every exercise of a chapter notebook, checked against the conventions; raises ExerciseError otherwise."""
    return _walk(nb, chapter)[0]


def _walk(nb, chapter):
    """Walk the cells once: the exercises, and a plan saying what each cell becomes.

    The plan is a list of (cell index, pieces); a piece is ("locked", text),
    ("answer", label) for a derivation, ("solution", label), ("check", label),
    or ("drop", "") for the markers of gated solutions.
    """
    exercises: dict[str, Exercise] = {}
    plan = []
    gate = None            # label of the gated solution we are inside
    gate_cells = []
    pending_check = None   # label whose check cell comes next
    heading = ""           # the last markdown heading seen
    for index, cell in enumerate(nb.cells):
        where = _where(chapter, index)
        if cell.cell_type == "code":
            if gate is not None:
                gate_cells.append(index)
                plan.append((index, [("solution", gate)]))
            elif pending_check is not None:
                ex = exercises[pending_check]
                if not PGLIB_CHECK.search(cell.source):
                    raise ExerciseError(
                        f"{where}: the code cell after the gated solution of {ex.label!r} does not call a pglib "
                        f"check (check_close, check_unbiased, check_true or check_cases), so it cannot grade "
                        f"the answer ({GUIDE})")
                ex.check_cell = index
                _, loaded = _code_names(cell.source, where)
                ex.checked = [n for n in ex.defined if n in loaded]
                if not ex.checked:
                    raise ExerciseError(f"{where}: the check of {ex.label!r} uses none of the names its solution "
                                        f"defines ({', '.join(ex.defined) or 'none'})")
                plan.append((index, [("check", ex.label)]))
                pending_check = None
            else:
                plan.append((index, [("locked", cell.source)]))
            continue
        if cell.cell_type != "markdown":
            plan.append((index, [("locked", cell.source)]))
            continue

        text = cell.source
        lines = text.split("\n")
        found = [d for d in directives(text, where) if d.name in EXERCISE_DIRECTIVES | UNSUPPORTED_DIRECTIVES]
        pieces, cursor = [], 0

        def keep(upto):
            chunk = "\n".join(lines[cursor:upto]).strip("\n")
            if chunk.strip():
                if gate is not None:
                    raise ExerciseError(
                        f"{where}: markdown inside the gated solution of {gate!r}: a gated solution holds "
                        f"code cells only ({GUIDE})")
                pieces.append(("locked", chunk))

        for d in found:
            if d.name in UNSUPPORTED_DIRECTIVES:
                raise ExerciseError(f"{where}: {{{d.name}}} is not supported by the classroom edition; "
                                    f"write the exercise as one {{exercise}} directive ({GUIDE})")
            if pending_check is not None:
                raise ExerciseError(f"{where}: {{{d.name}}} before the check cell of {pending_check!r}: the first "
                                    f"code cell after {{solution-end}} must check the answer ({GUIDE})")
            if d.name == "exercise":
                for line in lines[cursor:d.start]:
                    if re.match(r"^#{1,6}\s", line):
                        heading = line.lstrip("#").strip()
                keep(d.end + 1)
                cursor = d.end + 1
                label = d.options.get("label", "")
                if not label:
                    raise ExerciseError(f"{where}: an {{exercise}} without a :label: (the label is its grade id)")
                if label in exercises:
                    raise ExerciseError(f"{where}: two exercises labelled {label!r}")
                exercises[label] = Exercise(chapter, label, d.arg, d.body, heading=heading, cell=index)
                continue
            keep(d.start)
            cursor = d.end + 1
            if d.name == "solution":
                label = _solution_label(d, exercises, where)
                ex = exercises[label]
                ex.kind, ex.answer = "derivation", d.body
                pieces.append(("answer", label))
            elif d.name == "solution-start":
                if gate is not None:
                    raise ExerciseError(f"{where}: {{solution-start}} inside the gated solution of {gate!r}")
                label = _solution_label(d, exercises, where)
                exercises[label].kind = "coding"
                gate, gate_cells = label, []
                pieces.append(("drop", ""))
            else:  # solution-end
                if gate is None:
                    raise ExerciseError(f"{where}: {{solution-end}} without a {{solution-start}}")
                if not gate_cells:
                    raise ExerciseError(f"{where}: the gated solution of {gate!r} has no code cell")
                ex = exercises[gate]
                ex.solution_cells = list(gate_cells)
                ex.defined = []
                for i in gate_cells:
                    ex.defined += _code_names(nb.cells[i].source, _where(chapter, i))[0]
                ex.defined = list(dict.fromkeys(ex.defined))
                pieces.append(("drop", ""))
                gate, pending_check = None, gate
        for line in lines[cursor:]:
            if re.match(r"^#{1,6}\s", line):
                heading = line.lstrip("#").strip()
        keep(len(lines))
        plan.append((index, pieces))

    if gate is not None:
        raise ExerciseError(f"{chapter}.ipynb: the gated solution of {gate!r} has no {{solution-end}}")
    if pending_check is not None:
        raise ExerciseError(f"{chapter}.ipynb: no code cell checks the answer of {pending_check!r} after its "
                            f"{{solution-end}} ({GUIDE})")
    for ex in exercises.values():
        if not ex.kind:
            raise ExerciseError(f"{_where(chapter, ex.cell)}: the exercise {ex.label!r} has neither a "
                                f"{{solution}} nor a gated {{solution-start}} ({GUIDE})")
    return list(exercises.values()), plan


def _solution_label(d, exercises, where):
    label = d.arg.split()[0] if d.arg else ""
    if not label:
        raise ExerciseError(f"{where}: {{{d.name}}} without the label of its exercise")
    if label not in exercises:
        raise ExerciseError(f"{where}: {{{d.name}}} {label}: no exercise with this label comes before it")
    if exercises[label].kind:
        raise ExerciseError(f"{where}: a second solution for the exercise {label!r}")
    return label


# ---------------------------------------------------------------- the source notebook

def nbgrader_meta(grade_id, *, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA_VERSION,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return meta


def plain_text(myst: str) -> str:
    """Exercise text for a code comment: roles and directives' braces dropped, math and code kept."""
    text = re.sub(r"\{[\w:-]+\}`([^`<]*?)\s*<[^`]*>`", r"\1", myst)       # {ref}`text <label>` -> text
    text = re.sub(r"\{[\w:-]+\}`([^`]*)`", r"\1", text)                    # {eq}`label` -> label
    text = re.sub(r"\*\*?([^*]+)\*\*?", r"\1", text)
    return " ".join(text.split())


def hint(ex: Exercise) -> str:
    """The sentences of the exercise text that name what the check uses (else the first sentence)."""
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z`$])", plain_text(ex.statement))
    wanted = [s for s in sentences if any(re.search(rf"`{re.escape(n)}[`(]", s) for n in ex.defined)]
    return " ".join(wanted or sentences[:1])


def _comment(text: str, width: int = 88) -> list[str]:
    return ["# " + line for line in textwrap.wrap(text, width - 2)]


def solution_source(code: str, keep_defs, where: str) -> str:
    """The gated solution code with its answer between BEGIN/END SOLUTION markers.

    A top-level function whose name is in ``keep_defs`` keeps its decorators, ``def``
    line(s) and docstring; its body becomes a solution region.  Every other run of
    top-level statements (with the comments around it) becomes one region.
    """
    lines = code.rstrip("\n").split("\n")
    text = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines)
    try:
        tree = ast.parse(text)
    except SyntaxError as err:
        raise ExerciseError(f"{where}: the solution does not parse ({err})") from None
    if not tree.body:
        raise ExerciseError(f"{where}: the gated solution cell is empty")
    out: list[str] = []
    region: list[str] = []           # lines of the current top-level region

    def flush():
        if any(line.strip() for line in region):
            out.append(BEGIN_SOLUTION)
            out.extend(region)
            out.append(END_SOLUTION)
        elif region:
            out.extend(region)
        region.clear()

    cursor = 0                       # next line (0-based) not yet emitted
    for node in tree.body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        last = node.end_lineno       # exclusive, 0-based end
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in keep_defs:
            body = node.body
            if (isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str) and len(body) > 1):
                body = body[1:]      # keep the docstring visible
            body_first = body[0].lineno - 1
            # comments/blank lines before the def: into the previous region if there is one
            gap = lines[cursor:first]
            if region:
                region.extend(gap)
                flush()
            else:
                out.extend(gap)
            out.extend(lines[first:body_first])
            indent = re.match(r"\s*", lines[body_first]).group(0)
            out.append(indent + BEGIN_SOLUTION)
            out.extend(lines[body_first:last])
            out.append(indent + END_SOLUTION)
        else:
            region.extend(lines[cursor:last])
        cursor = last
    region.extend(lines[cursor:])
    flush()
    return "\n".join(out)


def hidden_block(label: str, code: str, origin: str) -> str:
    """A hidden test, run inside a function so that its names never leak into the notebook."""
    body = textwrap.indent(code.strip("\n"), "    ")
    name = "_hidden_test_" + re.sub(r"\W", "_", label)
    parts = [BEGIN_HIDDEN, f"def {name}():", f"    # hidden test of {label} ({origin})"]
    if "_rerun(" in code:
        parts.insert(1, RERUN_HELPER.strip("\n"))
    parts += [body, f"{name}()", f"del {name}", END_HIDDEN]
    return "\n".join(parts)


# Used by hidden tests of exercises whose answer is a script (not a function): the
# answer cells are found in the kernel's input history (every cell run after the locked
# code cell that precedes the exercise, up to this test cell) and run again in a copy
# of the notebook's namespace with some inputs replaced (another MDP, another seed).
RERUN_HELPER = '''
def _rerun(_anchor, **replaced):
    """Run the answer cells again with some global names replaced; returns the resulting namespace."""
    shell = get_ipython()
    raw, parsed = shell.history_manager.input_hist_raw, shell.history_manager.input_hist_parsed
    start = len(raw) - 2                      # raw[-1] is this test cell
    while start > 0 and raw[start].strip() != _anchor.strip():
        start -= 1
    cells = parsed[start + 1:-1] if start > 0 else parsed[-2:-1]
    namespace = dict(globals())
    namespace.update(replaced)
    exec(compile("\\n".join(cells), "<your answer, run again>", "exec"), namespace)
    return namespace
'''


def build_source(nb, chapter: str, meta: dict, hidden: dict, hidden_origin: str = ""):
    """The nbgrader source notebook of a chapter, and its exercises.

    ``meta[label]`` holds each exercise's ``points`` (and, for a derivation, its
    ``rubric``: a list of ``[points, criterion]``); ``hidden[label]`` the code of its
    hidden tests (coding exercises; may be missing).  The authors' notebook is not modified.
    """
    points = {label: m["points"] for label, m in meta.items() if "points" in m}
    exercises, plan = _walk(nb, chapter)
    by_label = {ex.label: ex for ex in exercises}
    missing = [ex.label for ex in exercises if ex.label not in points]
    if missing:
        raise ExerciseError(f"{chapter}: no points for {', '.join(missing)}")
    src = copy.deepcopy(nb)
    for cell in src.cells:
        for key in ("outputs",):
            if key in cell:
                cell[key] = []
        if "execution_count" in cell:
            cell["execution_count"] = None
    cells = []
    solution_count: dict[str, int] = {}
    last_locked_code = {}            # label -> source of the locked code cell before its answer
    previous_code = ""
    for index, pieces in plan:
        original = src.cells[index]
        base_id = original.get("id") or f"cell{index}"
        for k, (role, value) in enumerate(pieces):
            if role == "drop":
                continue
            if len(pieces) == 1:
                cell = copy.deepcopy(original)
            else:
                cell = nbformat.v4.new_markdown_cell(source="", metadata=copy.deepcopy(original.metadata))
                cell["id"] = f"{base_id}-{k}"[:64]
            if role == "locked":
                cell.source = value
                cell.setdefault("metadata", {})["nbgrader"] = nbgrader_meta(f"{chapter}-locked-{cell['id']}", locked=True)
                if cell.cell_type == "code":
                    previous_code = cell.source
            elif role == "answer":
                ex = by_label[value]
                cell = nbformat.v4.new_markdown_cell(source=answer_with_rubric(ex, meta[ex.label]), metadata={})
                cell["id"] = f"{base_id}-{k}"[:64]
                cell.metadata["nbgrader"] = nbgrader_meta(ex.label, grade=True, solution=True,
                                                          points=points[ex.label])
            elif role == "solution":
                ex = by_label[value]
                n = solution_count[ex.label] = solution_count.get(ex.label, 0) + 1
                where = _where(chapter, index)
                keep = [name for name in ex.defined if re.search(rf"`{re.escape(name)}\(", ex.statement)]
                body = solution_source(original.source, keep, where)
                head = []
                if n == 1:
                    last_locked_code[ex.label] = previous_code
                    head = _comment(f"Exercise {ex.label}: {hint(ex)}")
                    head += _comment("The check cell below uses: " + ", ".join(ex.checked) + ".")
                cell.source = "\n".join(head + [body])
                cell.metadata["nbgrader"] = nbgrader_meta(f"{ex.label}-answer" + (f"-{n}" if n > 1 else ""),
                                                          solution=True)
            elif role == "check":
                ex = by_label[value]
                source = original.source.rstrip("\n")
                if ex.label in hidden:
                    code = hidden[ex.label]
                    if "_rerun(" in code:
                        code = code.replace("_rerun(", f"_rerun({last_locked_code[ex.label]!r}, ")
                    source += "\n\n" + hidden_block(ex.label, code, hidden_origin)
                cell.source = source
                cell.metadata["nbgrader"] = nbgrader_meta(ex.label, grade=True, locked=True,
                                                          points=points[ex.label])
                previous_code = cell.source
            cells.append(cell)
    src.cells = cells
    src.metadata.pop("widgets", None)
    unknown = set(hidden) - {ex.label for ex in exercises if ex.kind == "coding"}
    if unknown:
        raise ExerciseError(f"{chapter}: hidden tests for {', '.join(sorted(unknown))}, which is not a coding "
                            "exercise of this chapter")
    nbformat.validate(src)
    return src, exercises


def answer_with_rubric(ex: Exercise, meta: dict) -> str:
    """The source answer cell of a derivation (teacher only): the authors' answer and the rubric."""
    rubric = meta.get("rubric") or []
    lines = [f"**Model answer** (the authors' solution; the release shows `YOUR ANSWER HERE`)", "", ex.answer, "",
             f"**Rubric** ({meta['points']} points)", ""]
    lines += [f"- {p} pt: {text}" for p, text in rubric] or ["- all points for an answer equivalent to the model answer"]
    return "\n".join(lines)


def read_hidden_tests(path) -> dict:
    """``{label: code}`` from a sidecar file whose sections start with ``# %% <label>``."""
    sections, label = {}, None
    for line in open(path, encoding="utf-8").read().split("\n"):
        m = re.match(r"^# %%\s+(\S+)\s*$", line)
        if m:
            label = m.group(1)
            if label in sections:
                raise ExerciseError(f"{path}: two sections for {label}")
            sections[label] = []
        elif label is not None:
            sections[label].append(line)
    return {k: "\n".join(v).strip("\n") + "\n" for k, v in sections.items()}
