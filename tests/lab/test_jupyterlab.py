"""The chapters in the project's JupyterLab, looked at with a student's eyes.

For each chapter in ``LAB_CHAPTERS`` (default: 02 and 04; ``all`` for every
chapter) the test opens the notebook in JupyterLab (the README's command, see
conftest.py) in Chromium and asserts, before running anything, that

* every cell is in the page (``windowingMode: none``) and every markdown cell is
  rendered by jupyterlab-myst: no raw MyST left in the rendered text (no code
  fence, no ``{prf:...}``/``{cite...}``/``{eq}``/``{ref}`` role, no
  ``:label:``/``:class:`` option, no ``(label)=`` target), no ``$`` or TeX
  command outside typeset math;
* the math is typeset (KaTeX, jupyterlab-myst's typesetter; MathJax would
  count too): every markdown
  cell whose source has ``$`` holds typeset math, and no formula failed;
* each directive of the source has its box: theorem/lemma/proof boxes, exercise
  boxes, admonitions, and each ``{solution}`` with ``:class: dropdown`` is a
  closed dropdown;
* every ``{prf:ref}``/``{ref}``/``{eq}`` to a label of the same chapter is
  resolved (shown as "Theorem 2", "(3)", a section title);
* no output shows a widget's text repr (``VBox(children=...``);
* the notebook is not marked modified once it is open and its kernel idle;

then it runs all cells (Run › Run All Cells) and asserts that every cell ran
without an error output, that each widget cell shows its sliders and a figure,
and that moving a slider (keyboard, one step) redraws the figure (a different
PNG).

Not failed, but printed: citations and references to another chapter.
jupyterlab-myst 2.7 renders one notebook at a time and never resolves a
citation, so both show their raw key with a warning sign (a ``{prf:ref}`` or
``{ref}`` that gives its text, ``{prf:ref}`the likelihood theorem of chapter 1
<ch1-thm-likelihood>```, shows that text instead; Sphinx ignores the text of
``{eq}``, so an equation of another chapter always shows its label).
"""
from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from labutil import BOOK

ALL = sorted(p.name for p in BOOK.glob("[0-9]*.ipynb"))
_wanted = os.environ.get("LAB_CHAPTERS", "02,04")
CHAPTERS = ALL if _wanted == "all" else [n for n in ALL if n[:2] in _wanted.split(",")]

RAW_MYST = re.compile(r"```|~~~|\{(prf:[a-z]+|cite(:[a-z]+)?|eq|ref|numref|doc|term|math)\}"
                      r"|^:[a-z-]+:|^\([a-z0-9-]+\)=|\{(exercise|solution|admonition|note|warning|tip)",
                      re.M)
UNTYPESET_MATH = re.compile(r"\$|\\(frac|sum|mathbb|nabla|begin|end|left|right|theta|pi)\b")
# A directive opening in a markdown source: ```{name} or :::{name} (any fence length).
DIRECTIVE = re.compile(r"^(?:`{3,}|:{3,})\{([a-z:-]+)\}", re.M)
PROOF_KINDS = {"prf:theorem", "prf:lemma", "prf:proof", "prf:corollary", "prf:definition",
               "prf:proposition", "prf:remark", "prf:example", "prf:assumption", "prf:property",
               "prf:observation", "prf:conjecture", "prf:axiom", "prf:criterion", "prf:algorithm"}
ADMONITIONS = {"admonition", "note", "warning", "tip", "important", "hint", "caution",
               "attention", "danger", "error", "seealso"}
WIDGET_REPR = "VBox(children="
TIMEOUT = 120  # s, per chapter, for rendering and for Run All


def _source(cell) -> str:
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


# What the page shows for each markdown cell, in notebook order; math, code and
# the hidden editor are removed from "text" so that what remains is prose.
MARKDOWN_STATE = r"""() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return null;
  const cells = [...panel.querySelectorAll('.jp-Notebook .jp-Cell')];
  return cells.map(c => {
    const md = c.classList.contains('jp-MarkdownCell');
    const out = md ? c.querySelector('.jp-MarkdownOutput, .myst, .jp-RenderedMarkdown') : null;
    let text = null;
    if (out) {
      const copy = out.cloneNode(true);
      copy.querySelectorAll('.katex, .katex-display, mjx-container, code, pre, .jp-InputArea-editor').forEach(e => e.remove());
      text = copy.textContent;
    }
    const refs = out ? [...out.querySelectorAll('.hover-link, a[href^="#"]')].map(a => a.textContent.trim()) : [];
    const notFound = out ? [...out.querySelectorAll('[title]')].map(e => [e.getAttribute('title'), e.textContent.trim()])
                               .filter(([t, x]) => /not found|no label/i.test(t)) : [];
    return {
      markdown: md, rendered: md ? c.classList.contains('jp-mod-rendered') && !!out : null,
      text: text, refs: refs, notFound: notFound,
      katex: out ? out.querySelectorAll('.katex, mjx-container').length : 0,
      mathErrors: out ? out.querySelectorAll('.katex-error, .math-error, mjx-merror').length : 0,
      // a directive left as a code block: <code class="language-{prf:theorem}">
      rawFences: out ? [...out.querySelectorAll('code[class*="{"]')].map(e => e.className) : [],
      proofs: out ? out.querySelectorAll('.myst-proof').length : 0,
      exercises: out ? out.querySelectorAll('.myst-exercise').length : 0,
      admonitions: out ? out.querySelectorAll('.myst-admonition').length : 0,
      closedDetails: out ? [...out.querySelectorAll('details')].filter(d => !d.open).length : 0,
      outputs: [...c.querySelectorAll('.jp-OutputArea-output')].map(o => o.innerText),
    };
  });
}"""

TAB_DIRTY = r"""() => { const t = document.querySelector('.lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current');
                      return t ? t.classList.contains('jp-mod-dirty') : null; }"""
KERNEL_IDLE = r"""() => { const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const s = panel && panel.querySelector('.jp-Notebook-ExecutionIndicator');
  return s ? s.getAttribute('data-status') : null; }"""
PROMPTS = r"""() => { const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  return [...panel.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')].map(p => p.textContent.trim()); }"""
ERRORS = r"""() => { const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  return [...panel.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
    .map(o => o.innerText).filter(t => /Error|Traceback|Warning/.test(t)); }"""


def _wait(page, js, done, timeout=TIMEOUT, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(js)
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}; last state: {str(value)[:500]}")
        time.sleep(0.25)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_reads_and_runs_in_jupyterlab(lab, browser, chapter):
    nb = json.loads((lab.root / chapter).read_text(encoding="utf-8"))
    cells = nb["cells"]
    widget_cells = [i for i, c in enumerate(cells)
                    if c["cell_type"] == "code" and re.search(r"\blive\(", _source(c))]
    assert widget_cells, f"{chapter}: no widget cell (a `live(...)` call) to test"

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        t0 = time.monotonic()
        # A fresh workspace per chapter: only this notebook is open.
        page.goto(f"{lab.url}/lab/workspaces/test-{chapter[:2]}/tree/{chapter}?reset")
        state = _wait(page, MARKDOWN_STATE,
                      lambda s: s is not None and len(s) == len(cells)
                      and all(c["rendered"] for c in s if c["markdown"]),
                      what=f"all {len(cells)} cells of {chapter} in the page, markdown rendered")
        _wait(page, KERNEL_IDLE, lambda s: s == "idle", what="the kernel to be idle")
        time.sleep(1.0)                      # let a late metadata update (language_info) land
        state = page.evaluate(MARKDOWN_STATE)
        t_open = time.monotonic() - t0

        # --- before running: the notebook as stored -------------------------------------
        problems = []
        citations, elsewhere = 0, []
        all_markdown = "\n".join(_source(c) for c in cells if c["cell_type"] == "markdown")
        for i, (cell, shown) in enumerate(zip(cells, state)):
            src = _source(cell)
            assert shown["markdown"] == (cell["cell_type"] == "markdown"), f"cell {i}: order differs"
            for out in shown["outputs"]:
                if WIDGET_REPR in out:
                    problems.append(f"cell {i}: output shows the widget repr {out[:60]!r}")
            if cell["cell_type"] != "markdown":
                continue
            m = RAW_MYST.search(shown["text"])
            if m:
                problems.append(f"cell {i}: raw MyST {shown['text'][max(0, m.start() - 30):m.end() + 30]!r}")
            if shown["rawFences"]:
                problems.append(f"cell {i}: directive shown as a code block {shown['rawFences']}")
            m = UNTYPESET_MATH.search(shown["text"])
            if m:
                problems.append(f"cell {i}: untypeset math {shown['text'][max(0, m.start() - 30):m.end() + 30]!r}")
            if "$" in src and shown["katex"] == 0:
                problems.append(f"cell {i}: source has math, page has no typeset formula")
            if shown["mathErrors"]:
                problems.append(f"cell {i}: {shown['mathErrors']} formulas failed to typeset")
            kinds = DIRECTIVE.findall(src)
            expect = {"proofs": sum(k in PROOF_KINDS for k in kinds),
                      "exercises": kinds.count("exercise"),
                      "admonitions": sum(k in ADMONITIONS for k in kinds)}
            for key, n in expect.items():
                if shown[key] < n:
                    problems.append(f"cell {i}: {n} {key} in the source, {shown[key]} boxes on the page")
            dropdowns = len(re.findall(r"^(?:`{3,}|:{3,})\{solution\}[^\n]*\n(?::[a-z-]+:[^\n]*\n)*"
                                       r":class: dropdown", src, re.M))
            if shown["closedDetails"] < dropdowns:
                problems.append(f"cell {i}: {dropdowns} dropdown solutions, {shown['closedDetails']} closed dropdowns")
            for title, text in shown["notFound"]:
                if title.lower().startswith("citation"):
                    citations += 1
                elif re.search(rf"(:label:\s*|\(|\\label\{{){re.escape(text)}(\)=|\)|\}}|\s*$)", all_markdown, re.M):
                    problems.append(f"cell {i}: reference to {text!r}, a label of this chapter, is not resolved ({title})")
                else:
                    elsewhere.append(text)
        assert not problems, f"{chapter} as opened in JupyterLab:\n" + "\n".join(problems)
        assert page.evaluate(TAB_DIRTY) is False, \
            f"{chapter} is marked modified right after opening (run .ci/clean_notebooks.py on it)"

        # --- Run All, then move a slider -------------------------------------------------
        t1 = time.monotonic()
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).first.click()
        n_code = sum(c["cell_type"] == "code" for c in cells)
        _wait(page, PROMPTS, lambda p: len(p) == n_code and all(re.fullmatch(r"\[\d+\]:", x) for x in p),
              what=f"all {n_code} code cells of {chapter} to run")
        _wait(page, KERNEL_IDLE, lambda s: s == "idle", what="the kernel to be idle after Run All")
        t_run = time.monotonic() - t1
        errors = page.evaluate(ERRORS)
        assert not errors, f"{chapter}: error output after Run All:\n" + "\n---\n".join(e[:800] for e in errors)

        moved = 0
        for i in widget_cells:
            cell = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").nth(i)
            cell.scroll_into_view_if_needed()
            handle = cell.locator(".widget-slider .noUi-handle").first
            img = cell.locator(".jp-OutputArea-output img").first
            handle.wait_for(timeout=30_000)
            img.wait_for(timeout=30_000)
            assert WIDGET_REPR not in cell.locator(".jp-Cell-outputArea").inner_text(), \
                f"{chapter} cell {i}: the widget repr is shown after running"
            before = img.get_attribute("src")
            handle.focus()
            page.keyboard.press("ArrowRight")
            deadline = time.monotonic() + 20
            after = before
            while after == before and time.monotonic() < deadline:
                time.sleep(0.2)
                loc = cell.locator(".jp-OutputArea-output img").first
                after = loc.get_attribute("src") if loc.count() else before
            if after == before:          # at the slider's maximum: one step back instead
                page.keyboard.press("ArrowLeft")
                page.keyboard.press("ArrowLeft")
                deadline = time.monotonic() + 20
                while after == before and time.monotonic() < deadline:
                    time.sleep(0.2)
                    loc = cell.locator(".jp-OutputArea-output img").first
                    after = loc.get_attribute("src") if loc.count() else before
            redrawn = after != before        # (not `assert after != before`: pytest would print two PNGs)
            assert redrawn, f"{chapter} cell {i}: moving the slider did not change the figure"
            moved += 1
        print(f"\n{chapter}: {len(cells)} cells open and rendered in {t_open:.1f} s, Run All {t_run:.1f} s, "
              f"{moved} slider(s) redrew the figure; shown as raw keys: {citations} citation(s), "
              f"{len(elsewhere)} reference(s) to other chapters {sorted(set(elsewhere))}")
    finally:
        page.close()
