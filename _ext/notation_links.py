"""Sphinx extension: link the first appearance of each symbol in a chapter to the notation page.

What: ``book/notation.md`` is the book's single symbol table. In every chapter
page (a document named ``NN_...``), the first inline math that uses a symbol of
that table becomes a link to the symbol's row on the notation page, for example
``$\\gamma^t r_t$`` -> ``notation.html#sym-gamma``. The math stays a math node
inside the link, so MathJax typesets it as before; the link carries a ``title``
naming the symbol and its meaning (the accessible name stays the math itself,
which an ``aria-label`` would hide from screen readers). ``_static/reading.css``
styles the link (``a.notation-link``) so that it is visible but quiet.

Why: a reader who meets ``\\rho^\\pi`` or ``J_T`` in chapter 9 should reach its
definition in one click, and the book must not keep a second copy of the table.
Everything comes from the notation page itself, through HTML comments that a
build without this extension ignores:

* a row takes part when its Symbol cell holds ``<!-- sym:NAME -->``; the row
  gets the anchor ``sym-NAME``. The patterns are the ``$...$`` of that cell,
  each without a trailing argument list (``$v^\\pi(s)$`` matches ``v^\\pi``,
  also in ``v^\\pi(s_0)``), unless the comment lists its own:
  ``<!-- sym:gamma $\\gamma$ $\\gamma^#$ -->``, where ``#`` stands for one term
  (a letter, command or ``{group}`` with its primes and scripts);
* ``<!-- sym-chapters: 13-15 -->`` in a section limits the rows of that
  section to those chapters, and ``chapters: 15`` in a row's comment limits
  that row; there they win over an unscoped row with the same pattern (``A``
  is the number of actions in Part I, a matrix in chapter 13).

Matching works on LaTeX tokens, not characters: spacing, ``\\left``/``\\right``
and braces around a single token are ignored, ``_`` comes before ``^``,
``\\text``/``\\mathrm``/``\\operatorname`` and accented or font-styled letters
(``\\hat A``, ``\\mathcal S``) are single tokens. A pattern does not match
inside a sub- or superscript (the ``\\pi`` of ``\\rho^\\pi`` is not the policy)
nor when more scripts follow (``J`` does not match ``J_T``). At each place the
longest pattern wins. One inline math node holds at most one link: it goes to
the leftmost symbol of the node not yet linked in the chapter; the others are
linked where they next appear. Display math, titles, captions and existing
links are never linked.

Checked at build time (warnings, so ``-W`` fails): a symbol row without a
marker, two rows with the same anchor, two rows claiming the same pattern in
the same chapter, a pattern that does not parse.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

NOTATION_DOC = "book/notation"
ANCHOR_PREFIX = "sym-"
ROW_MARKER = re.compile(r"<!--\s*sym:([A-Za-z0-9][A-Za-z0-9_-]*)(.*?)-->", re.S)
SCOPE_MARKER = re.compile(r"<!--\s*sym-chapters:([\d\s,-]*)-->")
DOLLAR_MATH = re.compile(r"\$([^$]+)\$")
CHAPTER_DOC = re.compile(r"(?:^|/)(\d+)_[^/]*$")

# ---------------------------------------------------------------------------
# LaTeX tokens
# ---------------------------------------------------------------------------

WILDCARD = "#"
# Tokens without meaning for the symbol: spacing and delimiter sizes.
_DROP = {
    r"\,", r"\;", r"\:", r"\!", r"\ ", "~", r"\quad", r"\qquad", r"\left", r"\right",
    r"\big", r"\Big", r"\bigg", r"\Bigg", r"\bigl", r"\bigr", r"\Bigl", r"\Bigr",
    r"\biggl", r"\biggr", r"\Biggl", r"\Biggr", r"\displaystyle", r"\textstyle",
    r"\limits", r"\nolimits",
}
# Commands whose argument is text: one token each, all spelled \mathrm{...}.
_TEXT = {r"\text", r"\mathrm", r"\textrm", r"\operatorname", r"\textit", r"\textbf", r"\mbox"}
# Accents and letter styles: the styled letter is one token (\hat{A} is not A).
_STYLE = {
    r"\hat", r"\widehat", r"\bar", r"\overline", r"\tilde", r"\widetilde", r"\dot",
    r"\ddot", r"\vec", r"\check", r"\breve", r"\mathring", r"\boldsymbol", r"\bm",
    r"\mathbf", r"\mathbb", r"\mathcal", r"\mathscr", r"\mathfrak", r"\mathit",
    r"\mathsf", r"\mathtt", r"\pmb",
}
_ALIAS = {
    r"\mid": "|", r"\vert": "|", r"\lvert": "|", r"\rvert": "|", r"\star": "*",
    r"\ast": "*", r"\prime": "'", r"\dfrac": r"\frac", r"\tfrac": r"\frac",
    r"\lbrace": r"\{", r"\rbrace": r"\}", r"\colon": ":", r"\lVert": r"\|",
    r"\rVert": r"\|", r"\Vert": r"\|",
}
_SCRIPT = ("_", "^")
# What a wildcard never stands for: separators and closing brackets.
_NOT_A_TERM = {",", ";", ")", "]", "|", r"\}", "=", "<", ">", "+", "-", "_", "^", "'", "&"}
_LEXEME = re.compile(r"\\[A-Za-z]+\*?|\\.|[{}]|[^\s]")


class Group(tuple):
    """A braced group of two or more tokens (a group of one token is that token)."""

    def __repr__(self):
        return "{" + " ".join(map(str, self)) + "}"


class LatexError(ValueError):
    """The math does not parse (unbalanced braces, an argument missing)."""


def _serialize(tokens) -> str:
    return "".join(f"{{{_serialize(t)}}}" if isinstance(t, Group) else t for t in tokens)


def _parse(lexemes: list[str], i: int, closing: bool):
    """Tokens from lexemes[i:] up to the matching '}' (closing) or the end."""
    out = []
    while i < len(lexemes):
        lex = lexemes[i]
        if lex == "}":
            if not closing:
                raise LatexError("unbalanced '}'")
            return out, i + 1
        if lex == "{":
            inner, i = _parse(lexemes, i + 1, closing=True)
            out.extend(_group(inner))
            continue
        i += 1
        if lex in _DROP:
            continue
        if lex in _TEXT or lex in _STYLE:
            arg, i = _argument(lexemes, i)
            if lex in _TEXT:
                out.append(r"\mathrm{" + _serialize(arg) + "}")
            else:
                out.append(lex + "{" + _serialize(arg) + "}")
            continue
        out.append(_ALIAS.get(lex, lex))
    if closing:
        raise LatexError("unbalanced '{'")
    return out, i


def _argument(lexemes: list[str], i: int):
    """The argument of a command at lexemes[i]: a braced group or one token."""
    while i < len(lexemes) and lexemes[i] in _DROP:
        i += 1
    if i >= len(lexemes) or lexemes[i] == "}":
        raise LatexError("a command lacks its argument")
    if lexemes[i] == "{":
        return _parse(lexemes, i + 1, closing=True)
    if lexemes[i] in _STYLE:            # \boldsymbol\hat x
        inner, j = _argument(lexemes, i + 1)
        return [lexemes[i] + "{" + _serialize(inner) + "}"], j
    return [_ALIAS.get(lexemes[i], lexemes[i])], i + 1


def _group(inner: list):
    if len(inner) == 0:
        return []
    if len(inner) == 1:
        return [inner[0]]
    return [Group(_canonical_scripts(inner))]


def _canonical_scripts(tokens: list) -> list:
    """Write every ``^Y_X`` as ``_X^Y`` so both orders compare equal."""
    tokens = list(tokens)
    i = 0
    while i + 3 < len(tokens):
        if tokens[i] == "^" and tokens[i + 2] == "_":
            tokens[i:i + 4] = [tokens[i + 2], tokens[i + 3], tokens[i], tokens[i + 1]]
            i += 4
        else:
            i += 1
    return tokens


def tokenize(tex: str) -> list:
    """LaTeX math -> a list of tokens (str) and Groups, normalised for matching.

    >>> tokenize(r"\\rho^{\\pi}(s) \\, \\hat A_t")
    ['\\\\rho', '^', '\\\\pi', '(', 's', ')', '\\\\hat{A}', '_', 't']
    """
    tokens, _ = _parse(_LEXEME.findall(tex), 0, closing=False)
    return _canonical_scripts(tokens)


def parse_pattern(tex: str) -> tuple:
    """A pattern's tokens; ``#`` is the wildcard (one term)."""
    tokens = tuple(tokenize(tex.replace(WILDCARD, " " + WILDCARD + " ")))
    if not tokens:
        raise LatexError("empty pattern")
    if tokens[0] in _SCRIPT:
        raise LatexError("a pattern cannot start with a script")
    return tokens


def strip_arguments(tex: str) -> str:
    """``v^\\pi(s)`` -> ``v^\\pi``: drop one trailing (...) argument list."""
    tex = tex.strip()
    if not tex.endswith(")"):
        return tex
    depth = 0
    for k in range(len(tex) - 1, -1, -1):
        if tex[k] == ")":
            depth += 1
        elif tex[k] == "(":
            depth -= 1
            if depth == 0:
                head = tex[:k].rstrip()
                return head if head else tex
    return tex


# ---------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------


def _term_end(tokens, j: int) -> int | None:
    """End of the term starting at tokens[j]: the token, its primes and scripts."""
    if j >= len(tokens) or (not isinstance(tokens[j], Group) and tokens[j] in _NOT_A_TERM):
        return None
    j += 1
    while j < len(tokens):
        if tokens[j] == "'":
            j += 1
        elif tokens[j] in _SCRIPT and j + 1 < len(tokens):
            j += 2
        else:
            break
    return j


def _match_at(tokens, i: int, pattern: tuple) -> int | None:
    """End index of `pattern` matched at tokens[i], or None.

    A wildcard after ``_`` or ``^`` stands for that script's argument (one
    token or group); elsewhere for a whole term with its primes and scripts.
    """
    if i > 0 and not isinstance(tokens[i - 1], Group) and tokens[i - 1] in _SCRIPT:
        return None                      # inside a sub- or superscript
    j = i
    check_end = True
    for k, p in enumerate(pattern):
        if p == WILDCARD and k > 0 and pattern[k - 1] in _SCRIPT:
            if j >= len(tokens):
                return None
            j += 1
            check_end = True
        elif p == WILDCARD:
            j = _term_end(tokens, j)
            if j is None:
                return None
            check_end = False            # the term took its scripts along
        else:
            if j >= len(tokens) or tokens[j] != p:
                return None
            j += 1
            check_end = p not in (")", "]", r"\}", "|")
    if check_end and j < len(tokens):
        if not isinstance(tokens[j], Group) and tokens[j] in ("_", "^", "'"):
            return None                  # more scripts follow: another symbol
    return j


def find_symbols(tex: str, table: dict) -> list:
    """Keys of `table` (pattern tokens -> key) found in `tex`, left to right, without repeats.

    At each place the longest match wins (then the one with fewer wildcards);
    the tokens it covers are not searched again.
    """
    found: list = []

    def scan(tokens):
        i = 0
        while i < len(tokens):
            best = None
            for pattern, key in table.items():
                end = _match_at(tokens, i, pattern)
                if end is not None:
                    rank = (end - i, -pattern.count(WILDCARD))
                    if best is None or rank > best[0]:
                        best = (rank, end, key)
            if best is not None:
                if best[2] not in found:
                    found.append(best[2])
                i = best[1]
                continue
            if isinstance(tokens[i], Group):
                scan(tokens[i])
            i += 1

    scan(tokenize(tex))
    return found


# ---------------------------------------------------------------------------
# The table, read from the notation page
# ---------------------------------------------------------------------------


@dataclass
class Row:
    anchor: str                      # id of the table row on the notation page
    patterns: list                   # LaTeX patterns, as written
    chapters: frozenset | None       # None: every chapter
    symbol: str                      # the Symbol cell as plain text (for the title)
    meaning: str                     # the Meaning cell as plain text (for the title)
    line: int | None = None
    tokens: list = field(default_factory=list)


def parse_chapters(text: str) -> frozenset:
    """'13 14-15' or '13, 14, 15' -> {13, 14, 15}."""
    out = set()
    for part in re.split(r"[\s,]+", text.strip()):
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-", 1)
            out.update(range(int(lo), int(hi) + 1))
        else:
            out.add(int(part))
    if not out:
        raise ValueError("sym-chapters lists no chapter")
    return frozenset(out)


def parse_row_marker(comment: str, cell_maths: list[str]):
    """(name, patterns, chapters or None) from ``<!-- sym:NAME [chapters: N-M] [$p$ ...] -->``."""
    m = ROW_MARKER.search(comment)
    if m is None:
        return None
    rest = m.group(2)
    chapters = None
    scope = re.search(r"chapters:\s*([\d\s,-]+)", rest)
    if scope:
        chapters = parse_chapters(scope.group(1))
        rest = rest[: scope.start()] + rest[scope.end():]
    explicit = DOLLAR_MATH.findall(rest)
    if DOLLAR_MATH.sub("", rest).strip():
        raise ValueError(f"sym:{m.group(1)}: cannot read {rest.strip()!r} (patterns are written $...$)")
    patterns = explicit or [strip_arguments(t) for t in cell_maths]
    return m.group(1), patterns, chapters


def resolve(rows: list[Row], chapter: int | None):
    """Pattern tokens -> row for one chapter, and the conflicts found.

    A scoped row (sym-chapters) wins over an unscoped row with the same pattern;
    two rows of the same kind claiming one pattern is a conflict.
    """
    table: dict = {}
    scoped_of: dict = {}
    conflicts = []
    for row in rows:
        if row.chapters is not None and (chapter is None or chapter not in row.chapters):
            continue
        scoped = row.chapters is not None
        for tokens in row.tokens:
            other = table.get(tokens)
            if other is None or (scoped and not scoped_of[tokens]):
                table[tokens] = row
                scoped_of[tokens] = scoped
            elif other is not row and scoped == scoped_of[tokens]:
                conflicts.append((_serialize(tokens), other.anchor, row.anchor))
    return table, conflicts


# Plain-text rendering of LaTeX for the link's title.
_TEXT_SYMBOLS = {
    r"\alpha": "α", r"\beta": "β", r"\gamma": "γ", r"\delta": "δ", r"\epsilon": "ϵ",
    r"\varepsilon": "ε", r"\zeta": "ζ", r"\eta": "η", r"\theta": "θ", r"\kappa": "κ",
    r"\lambda": "λ", r"\mu": "μ", r"\nu": "ν", r"\xi": "ξ", r"\pi": "π", r"\rho": "ρ",
    r"\sigma": "σ", r"\tau": "τ", r"\phi": "ϕ", r"\varphi": "φ", r"\psi": "ψ",
    r"\omega": "ω", r"\Delta": "Δ", r"\Pi": "Π", r"\Sigma": "Σ", r"\Phi": "Φ",
    r"\nabla": "∇", r"\sum": "Σ", r"\prod": "∏", r"\int": "∫", r"\le": "≤", r"\leq": "≤",
    r"\ge": "≥", r"\geq": "≥", r"\ne": "≠", r"\neq": "≠", r"\approx": "≈", r"\to": "→",
    r"\rightarrow": "→", r"\leftarrow": "←", r"\infty": "∞", r"\in": "∈", r"\cdot": "·",
    r"\cdots": "⋯", r"\dots": "…", r"\ldots": "…", r"\times": "×", r"\mid": "|",
    r"\top": "ᵀ", r"\star": "⋆", r"\partial": "∂", r"\propto": "∝", r"\sim": "∼",
    r"\sqrt": "√",
    r"\lvert": "|", r"\rvert": "|", r"\Vert": "‖", r"\|": "‖", r"\{": "{", r"\}": "}",
    r"\quad": " ", r"\qquad": " ", r"\,": " ", r"\;": " ", r"\ ": " ", r"\prime": "′",
}
_COMBINING = {r"\hat": "\u0302", r"\widehat": "\u0302", r"\bar": "\u0304", r"\overline": "\u0304",
              r"\tilde": "\u0303", r"\widetilde": "\u0303", r"\dot": "\u0307", r"\vec": "\u20d7"}
_SCRIPT_LETTERS = {"A": "𝒜", "B": "ℬ", "C": "𝒞", "D": "𝒟", "E": "ℰ", "F": "ℱ", "G": "𝒢", "H": "ℋ",
                   "I": "ℐ", "L": "ℒ", "M": "ℳ", "N": "𝒩", "P": "𝒫", "R": "ℛ", "S": "𝒮", "T": "𝒯"}
_DOUBLE_STRUCK = {"E": "𝔼", "R": "ℝ", "N": "ℕ", "P": "ℙ", "1": "𝟙"}
_FUNCTIONS = {"Pr", "log", "exp", "max", "min", "sup", "inf", "det", "dim", "lim", "arg", "cos", "sin",
              "tanh", "diag", "tr", "KL", "Var", "Cov", "clip"}


def tex_to_text(tex: str) -> str:
    """Readable plain text of a LaTeX fragment: Greek letters, operators, accents; no commands.

    >>> tex_to_text(r"\\sum_{k \\ge t} \\gamma^{k-t} r_k")
    'Σ_(k ≥ t) γ^(k-t) r_k'
    """
    arg = r"\s*(\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9])"
    tex = re.sub(r"\\mathcal" + arg, lambda m: _SCRIPT_LETTERS.get(m.group(1).strip("{} "), m.group(1)), tex)
    tex = re.sub(r"\\mathbb" + arg, lambda m: _DOUBLE_STRUCK.get(m.group(1).strip("{} "), m.group(1)), tex)
    def fraction(m):
        num, den = (g.strip("{} ") for g in m.groups())
        return "/".join(x if len(x) == 1 or x.startswith("\\") else f"({x})" for x in (num, den))

    tex = re.sub(r"\\[dt]?frac" + arg + arg, fraction, tex)
    tex = re.sub(r"(\\(?:hat|widehat|bar|overline|tilde|widetilde|dot|vec))(?![A-Za-z])" + arg,
                 lambda m: _TEXT_SYMBOLS.get(m.group(2).strip("{} "), m.group(2).strip("{} ")) + _COMBINING[m.group(1)],
                 tex)
    tex = re.sub(r"\^\s*\\top(?![A-Za-z])", "ᵀ", tex)

    def command(m):
        word = m.group(0)
        if word in _TEXT_SYMBOLS:
            return _TEXT_SYMBOLS[word]
        if word[1:] in _FUNCTIONS:       # log π, but max_s
            following = m.string[m.end():m.end() + 1]
            return word[1:] + (" " if following.isalpha() or following == "\\" else "")
        return "" if word[1:].isalpha() else word[1:]   # \text, \boldsymbol: dropped; \{ -> {

    tex = re.sub(r"\\[A-Za-z]+|\\.", command, tex)
    while True:      # x_{t+1} -> x_(t+1), ^{t} -> ^t, other braces dropped
        new = re.sub(r"([_^])\s*\{([^{}]*)\}",
                     lambda m: m.group(1) + (m.group(2).strip() if len(m.group(2).strip()) == 1
                                             else "(" + m.group(2).strip() + ")"), tex)
        new = re.sub(r"\{([^{}]*)\}", r"\1", new)
        if new == tex:
            break
        tex = new
    return unicodedata.normalize("NFC", re.sub(r"\s+", " ", tex).strip())


def _plain(node) -> str:
    """A table cell as text, math rendered by tex_to_text."""
    parts = []
    for child in node.findall(lambda n: isinstance(n, (nodes.Text, nodes.math))):
        if isinstance(child, nodes.math):
            parts.append(tex_to_text(child.astext()))
        elif not isinstance(child.parent, (nodes.math, nodes.raw)):
            parts.append(child.astext())
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _shorten(text: str, limit: int = 120) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > 0 else limit].rstrip(" ,;:") + " …"


def read_rows(doctree, docname: str) -> list[Row]:
    """Collect the marked rows of the notation page; give each its id; drop the markers."""
    rows: list[Row] = []
    seen: dict = {}
    for table in doctree.findall(nodes.table):
        section = table.parent
        while section is not None and not isinstance(section, nodes.section):
            section = section.parent
        chapters = None
        if section is not None:
            for raw in section.findall(nodes.raw):
                m = SCOPE_MARKER.search(raw.astext())
                if m:
                    chapters = parse_chapters(m.group(1))
                    break
        head = list(table.findall(nodes.thead))
        is_symbol_table = bool(head) and head[0].astext().strip().lower().startswith("symbol")
        for body in table.findall(nodes.tbody):
            for row in body.children:
                if not isinstance(row, nodes.row) or not len(row.children):
                    continue
                cell = row.children[0]
                markers = [r for r in cell.findall(nodes.raw) if ROW_MARKER.search(r.astext())]
                if not markers:
                    if is_symbol_table:
                        logger.warning(f"notation row without a <!-- sym:NAME --> marker: {cell.astext()[:60]!r}",
                                       location=row, type="notation", subtype="marker")
                    continue
                maths = [m.astext() for m in cell.findall(nodes.math)]
                try:
                    name, patterns, own_chapters = parse_row_marker(markers[0].astext(), maths)
                except ValueError as err:
                    logger.warning(str(err), location=row, type="notation", subtype="marker")
                    continue
                anchor = ANCHOR_PREFIX + name
                if anchor in seen:
                    logger.warning(f"notation anchor {anchor!r} used twice", location=row,
                                   type="notation", subtype="anchor")
                    continue
                seen[anchor] = True
                tokens = []
                for pattern in patterns:
                    try:
                        tokens.append(parse_pattern(pattern))
                    except LatexError as err:
                        logger.warning(f"{anchor}: pattern {pattern!r}: {err}", location=row,
                                       type="notation", subtype="pattern")
                meaning = _plain(row.children[1]) if len(row.children) > 1 else ""
                for marker in markers:
                    marker.parent.remove(marker)
                row["ids"].append(anchor)
                scope = own_chapters if own_chapters is not None else chapters
                rows.append(Row(anchor, patterns, scope, _plain(cell), meaning, row.line, tokens))
    for raw in list(doctree.findall(nodes.raw)):
        if SCOPE_MARKER.search(raw.astext()):
            raw.parent.remove(raw)
    return rows


def check_conflicts(rows: list[Row], docname: str) -> None:
    chapters = {None}
    for row in rows:
        if row.chapters:
            chapters |= set(row.chapters)
    reported = set()
    for chapter in sorted(chapters, key=lambda c: -1 if c is None else c):
        for pattern, first, second in resolve(rows, chapter)[1]:
            if (pattern, first, second) not in reported:
                reported.add((pattern, first, second))
                where = "every chapter" if chapter is None else f"chapter {chapter}"
                logger.warning(f"notation: {first} and {second} both claim {pattern!r} in {where}",
                               location=docname, type="notation", subtype="conflict")


# ---------------------------------------------------------------------------
# Sphinx
# ---------------------------------------------------------------------------


class notation_link(nodes.Inline, nodes.TextElement):
    """A link around one inline math node, to a row of the notation page."""


def visit_notation_link_html(self, node):
    self.body.append(
        f'<a class="reference internal notation-link" href="{html.escape(node["refuri"])}"'
        f' title="{html.escape(node["title"])}">'
    )


def depart_notation_link_html(self, node):
    self.body.append("</a>")


def visit_notation_link_other(self, node):
    pass


def depart_notation_link_other(self, node):
    pass


_SKIP = (nodes.title, nodes.subtitle, nodes.reference, nodes.caption, nodes.rubric,
         nodes.raw, nodes.literal_block, notation_link)


def _skipped(node) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, _SKIP):
            return True
        parent = parent.parent
    return False


def chapter_of(docname: str) -> int | None:
    m = CHAPTER_DOC.search(docname)
    return int(m.group(1)) if m else None


def link_document(doctree, rows: list[Row], chapter: int, refuri_of) -> list[tuple]:
    """Wrap the first inline math of each row's symbols in a notation_link; return (anchor, tex)."""
    table, _ = resolve(rows, chapter)
    table = {tokens: row.anchor for tokens, row in table.items()}
    by_anchor = {row.anchor: row for row in rows}
    linked: set = set()
    made = []
    for math in list(doctree.findall(nodes.math)):
        if _skipped(math):
            continue
        try:
            anchors = find_symbols(math.astext(), table)
        except LatexError:
            continue
        new = [a for a in anchors if a not in linked]
        if not new:
            continue
        row = by_anchor[new[0]]
        linked.add(row.anchor)
        title = f"{row.symbol}: {_shorten(row.meaning)} (notation)" if row.meaning else row.symbol
        link = notation_link("", refuri=refuri_of(row.anchor), title=title, anchor=row.anchor)
        math.replace_self(link)
        link.append(math)
        made.append((row.anchor, math.astext()))
    return made


def _read_notation(app, doctree):
    env = app.env
    if env.docname != app.config.notation_links_page:
        return
    rows = read_rows(doctree, env.docname)
    check_conflicts(rows, env.docname)
    env.notation_links_rows = rows


def _purge(app, env, docname):
    if docname == app.config.notation_links_page:
        env.notation_links_rows = []


def _merge(app, env, docnames, other):
    if app.config.notation_links_page in docnames:
        env.notation_links_rows = getattr(other, "notation_links_rows", [])


def _outdated(app, env, added, changed, removed):
    # The links of every chapter depend on the notation page.
    page = app.config.notation_links_page
    if page in added or page in changed:
        return [d for d in env.found_docs if chapter_of(d) is not None]
    return []


def _resolved(app, doctree, docname):
    if app.builder.format != "html":
        return
    rows = getattr(app.env, "notation_links_rows", None)
    chapter = chapter_of(docname)
    page = app.config.notation_links_page
    if not rows or chapter is None or docname == page:
        return

    def refuri_of(anchor):
        return app.builder.get_relative_uri(docname, page) + "#" + anchor

    link_document(doctree, rows, chapter, refuri_of)


def setup(app):
    app.add_config_value("notation_links_page", NOTATION_DOC, "env")
    app.add_node(
        notation_link,
        html=(visit_notation_link_html, depart_notation_link_html),
        latex=(visit_notation_link_other, depart_notation_link_other),
        text=(visit_notation_link_other, depart_notation_link_other),
        man=(visit_notation_link_other, depart_notation_link_other),
        texinfo=(visit_notation_link_other, depart_notation_link_other),
    )
    app.connect("doctree-read", _read_notation)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-get-outdated", _outdated)
    app.connect("doctree-resolved", _resolved)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
