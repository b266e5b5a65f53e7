"""The matching logic of _ext/notation_links.py, against hand-worked cases and the real notation page.

Each expected answer below is worked out by hand from the LaTeX (which token is
what, which symbol of the table the reader means), not produced by the module.
The last tests read book/notation.md itself: every symbol row has a marker and
parseable patterns, no two rows claim a pattern in the same chapter, and a small
chapter is linked exactly where the rules say.
"""
import importlib.util
import logging
import sys
from pathlib import Path

import pytest
from docutils import nodes
from docutils.core import publish_doctree

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("notation_links", ROOT / "_ext" / "notation_links.py")
nl = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("notation_links", nl)     # dataclasses look their module up
_spec.loader.exec_module(nl)


def table_of(**patterns):
    """{pattern tokens: key} from key=[LaTeX patterns]."""
    return {nl.parse_pattern(p): key for key, ps in patterns.items() for p in ps}


def parse_md(text):
    from myst_parser.parsers.docutils_ import Parser

    return publish_doctree(text, parser=Parser(), settings_overrides={
        "myst_enable_extensions": ["dollarmath"], "report_level": 5, "halt_level": 5})


# --- tokens ------------------------------------------------------------------------


@pytest.mark.parametrize("a, b", [
    (r"\rho^{\pi}", r"\rho^\pi"),                      # braces around one token
    (r"\hat A^\lambda_t", r"\hat{A}_{t}^{\lambda}"),   # script order, accent argument
    (r"\pi_{\text{old}}", r"\pi_{\mathrm{old}}"),      # text commands are one spelling
    (r"p(s' \mid s,\, a)", r"p(s'|s,a)"),              # spacing, \mid = |
    (r"\left( x \right)", "(x)"),                      # delimiter sizes
    (r"T^\star", "T^*"),
])
def test_equivalent_spellings_give_the_same_tokens(a, b):
    assert nl.tokenize(a) == nl.tokenize(b)


def test_tokens_by_hand():
    # \mathbb E_\theta[L]: the styled letter is one token, then _ \theta [ L ].
    assert nl.tokenize(r"\mathbb E_\theta[L]") == [r"\mathbb{E}", "_", r"\theta", "[", "L", "]"]
    # A group of several tokens stays a group: s_{t+1} is s, _, {t + 1}.
    tokens = nl.tokenize("s_{t+1}")
    assert tokens[:2] == ["s", "_"] and list(tokens[2]) == ["t", "+", "1"]
    # An accented letter is not the letter.
    assert nl.tokenize(r"\hat A") != nl.tokenize("A")


@pytest.mark.parametrize("bad", ["x_{t", "x}", r"\hat"])
def test_malformed_math_raises(bad):
    with pytest.raises(nl.LatexError):
        nl.tokenize(bad)


# --- matching ----------------------------------------------------------------------

TABLE = table_of(
    policy=[r"\pi_\theta", r"\pi", r"\pi_#"],
    occupancy=[r"\rho^\pi"],
    objective=["J"],
    objective_T=["J_T"],
    gradient=[r"\nabla_\theta J", r"\nabla J"],
    gamma=[r"\gamma", r"\gamma^#"],
    reward=["r(#, #, #)", "r_#"],
    mean_reward=["r(#, #)"],
    transition=[r"p(# \mid #, #)"],
    td=[r"\delta_#"],
    kl=[r"\delta_{\mathrm{KL}}"],
    gae=[r"\hat A^\lambda_#"],
    adv=[r"\hat A_#"],
)


@pytest.mark.parametrize("tex, expected", [
    # the superscript of rho^pi labels rho: not a use of the policy
    (r"\rho^\pi(s)", ["occupancy"]),
    # a symbol that only labels another (a sub- or superscript) is not a use of it
    (r"q^\pi(s, a) + \theta_\gamma", []),
    # J_T is its own symbol, and nabla J_T is the gradient of J_T, not nabla J
    (r"J_T(\theta) \to J", ["objective_T", "objective"]),
    (r"\nabla J_T", ["objective_T"]),
    (r"\nabla_\theta J(\theta) = \nabla J", ["gradient"]),
    # left to right, each symbol once
    (r"\gamma^t r_t + \gamma r_{t+1}", ["gamma", "reward"]),
    # arity tells r(s, a, s') from r(s, a)
    (r"r(s, a) = \sum_{s'} p(s' \mid s, a)\, r(s, a, s')", ["mean_reward", "transition", "reward"]),
    (r"p(s_{t+1} \mid s_t, a_t)", ["transition"]),
    (r"p(\cdot \mid s, a)", ["transition"]),
    (r"p(s)", []),
    # exact beats wildcard at equal length
    (r"\delta_{\mathrm{KL}} \ne \delta_t", ["kl", "td"]),
    # a script wildcard stands for one token: A-hat_t^lambda is GAE, not A-hat_t
    (r"\hat A^\lambda_t", ["gae"]),
    (r"\hat A_t^{\lambda}", ["gae"]),
    (r"\hat A_t", ["adv"]),
    # pi_theta, pi_old, pi: one row
    (r"\pi_{\text{old}}(a \mid s)", ["policy"]),
    (r"\pi'", []),
    # inside a group (here a fraction's numerator) symbols are found
    (r"\frac{\gamma}{1-\gamma}", ["gamma"]),
])
def test_find_symbols_by_hand(tex, expected):
    assert nl.find_symbols(tex, TABLE) == expected


def test_strip_arguments():
    assert nl.strip_arguments(r"v^\pi(s)") == r"v^\pi"
    assert nl.strip_arguments(r"\varphi(s \to x, k)") == r"\varphi"
    assert nl.strip_arguments(r"\mathbb E_\theta[L]") == r"\mathbb E_\theta[L]"
    assert nl.strip_arguments(r"(s, a)") == r"(s, a)"           # nothing left: kept whole


def test_parse_chapters_and_markers():
    assert nl.parse_chapters("13-15") == {13, 14, 15}
    assert nl.parse_chapters("12, 13") == {12, 13}
    assert nl.parse_row_marker("<!-- sym:gamma -->", [r"\gamma"]) == ("gamma", [r"\gamma"], None)
    name, patterns, chapters = nl.parse_row_marker(
        r"<!-- sym:ars chapters: 15 $b$ $\mathrm{sd}_R$ -->", ["b", r"\mathrm{sd}_R"])
    assert (name, patterns, chapters) == ("ars", ["b", r"\mathrm{sd}_R"], {15})
    with pytest.raises(ValueError):
        nl.parse_row_marker("<!-- sym:x gamma -->", [])         # a pattern outside $...$


def row(anchor, patterns, chapters=None):
    return nl.Row(anchor, patterns, None if chapters is None else frozenset(chapters), anchor, "",
                  tokens=[nl.parse_pattern(p) for p in patterns])


def test_resolve_scoped_row_wins_and_conflicts_are_reported():
    actions = row("sym-sets", ["A"])
    matrix = row("sym-lqr", ["A"], chapters=[13, 14, 15])
    table, conflicts = nl.resolve([actions, matrix], 13)
    assert table[nl.parse_pattern("A")] is matrix and not conflicts
    table, conflicts = nl.resolve([actions, matrix], 4)
    assert table[nl.parse_pattern("A")] is actions and not conflicts
    _, conflicts = nl.resolve([actions, row("sym-other", ["A"])], 4)
    assert conflicts == [("A", "sym-sets", "sym-other")]


def test_tex_to_text():
    assert nl.tex_to_text(r"\sum_{k \ge t} \gamma^{k-t} r_k") == "Σ_(k ≥ t) γ^(k-t) r_k"
    assert nl.tex_to_text(r"\mathcal P(\mathcal A)") == "𝒫(𝒜)"
    assert nl.tex_to_text(r"\hat g_m") == "ĝ_m"
    assert nl.tex_to_text(r"s_1, \dots") == "s_1, …"          # \dots is not \dot + s


# --- the notation page and a chapter ------------------------------------------------

PAGE = r"""
# Notation

| Symbol | Meaning |
| --- | --- |
| $\gamma$ <!-- sym:gamma $\gamma$ $\gamma^#$ --> | discount factor |
| $v^\pi(s)$ <!-- sym:state-value --> | state value |
| $J(\theta)$ <!-- sym:objective --> | objective |

## Part II

<!-- sym-chapters: 13 -->

| Symbol | Meaning |
| --- | --- |
| $J$ <!-- sym:cost-objective --> | reward objective of a cost |
"""


def test_read_rows_gives_ids_scopes_and_drops_markers():
    doctree = parse_md(PAGE)
    rows = nl.read_rows(doctree, "book/notation")
    assert [r.anchor for r in rows] == ["sym-gamma", "sym-state-value", "sym-objective", "sym-cost-objective"]
    assert [r.patterns for r in rows][:3] == [[r"\gamma", r"\gamma^#"], [r"v^\pi"], ["J"]]
    assert [r.chapters for r in rows] == [None, None, None, {13}]
    ids = [i for tr in doctree.findall(nodes.row) for i in tr["ids"]]
    assert ids == ["sym-gamma", "sym-state-value", "sym-objective", "sym-cost-objective"]
    assert not [r for r in doctree.findall(nodes.raw) if "sym" in r.astext()]
    assert rows[0].meaning == "discount factor"


def test_read_rows_warns_on_a_symbol_row_without_marker(caplog):
    doctree = parse_md("| Symbol | Meaning |\n| --- | --- |\n| $\\beta$ | unmarked |\n")
    with caplog.at_level(logging.WARNING):
        rows = nl.read_rows(doctree, "book/notation")
    assert rows == [] and "without a <!-- sym:NAME --> marker" in caplog.text


CHAPTER = r"""
# A chapter about $J$

The objective $J(\theta) = \sum_s p_0(s)\, v^\pi(s)$ weights values by $\gamma^t$.

Again $J$ and $v^\pi$ and $\gamma$, none linked; a [link with $\gamma$](https://example.org).
"""


def test_link_document_links_first_uses_only():
    rows = nl.read_rows(parse_md(PAGE), "book/notation")
    chapter = parse_md(CHAPTER)
    made = nl.link_document(chapter, rows, 4, lambda a: "notation.html#" + a)
    # The title's J is skipped; the first paragraph's math holds J and v^pi: one link
    # (J, leftmost), v^pi waits for its next math; gamma^t is the first gamma.
    assert made == [("sym-objective", r"J(\theta) = \sum_s p_0(s)\, v^\pi(s)"),
                    ("sym-gamma", r"\gamma^t"),
                    ("sym-state-value", r"v^\pi")]
    links = list(chapter.findall(nl.notation_link))
    assert [l["refuri"] for l in links] == ["notation.html#sym-objective", "notation.html#sym-gamma",
                                            "notation.html#sym-state-value"]
    assert all(isinstance(l[0], nodes.math) and len(l) == 1 for l in links)   # math kept as is
    assert links[0]["title"] == "J(θ): objective (notation)"
    # In chapter 13 the scoped row takes J.
    chapter = parse_md(CHAPTER)
    made = nl.link_document(chapter, rows, 13, lambda a: "notation.html#" + a)
    assert made[0][0] == "sym-cost-objective"


def test_the_books_notation_page(caplog):
    """book/notation.md: every symbol row marked, patterns parse, no conflicts, anchors unique."""
    doctree = parse_md((ROOT / "book" / "notation.md").read_text(encoding="utf-8"))
    with caplog.at_level(logging.WARNING):
        rows = nl.read_rows(doctree, "book/notation")
        nl.check_conflicts(rows, "book/notation")
    assert not caplog.records, caplog.text
    symbol_rows = sum(1 for t in doctree.findall(nodes.table)
                      for tb in t.findall(nodes.tbody) for r in tb.children)
    assert len(rows) == symbol_rows > 100
    assert len({r.anchor for r in rows}) == len(rows)
    assert all(len(r.tokens) == len(r.patterns) > 0 for r in rows)
    # Two hand-checked rows: the discount factor and the occupancy measure.
    by_anchor = {r.anchor: r for r in rows}
    assert by_anchor["sym-gamma"].patterns == [r"\gamma", r"\gamma^#"]
    assert by_anchor["sym-occupancy"].patterns == [r"\rho^\pi"]
    assert by_anchor["sym-lqr-matrices"].chapters == {13, 14, 15}
