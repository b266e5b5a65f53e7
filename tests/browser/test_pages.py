"""Browser test of the built book: every page listed in ``_toc.yml``, in headless Chromium.

Run it after a build (``make test`` does both)::

    .venv/bin/pytest tests/browser

For each page it serves ``_build/html`` on 127.0.0.1, opens the page in Debian's
Chromium driven by Playwright, and asserts that

* the page loads, with no failed request, HTTP error or console error from the
  site's own assets, and no request at all to another origin (the book must
  work offline: MathJax is served by the site itself);
* the math is typeset: every ``.math`` element holds an ``mjx-container`` and
  MathJax reported no TeX error (``mjx-merror``);
* theorem/proof boxes (sphinx-proof) and exercise/solution boxes
  (sphinx-exercise) are rendered wherever the page's source uses them;
* every ``<img>`` has loaded (``naturalWidth > 0``);
* no traceback and no unparsed MyST directive is visible.

It saves a full-page screenshot of each page to ``_build/screenshots/<page>.png``.

The page list is read from ``_toc.yml``, so chapters added later are covered
without touching this file. Environment variables: ``BOOK_HTML`` (default
``_build/html``) and ``BOOK_STUDENT=1`` for the student edition, where every
solution must be absent.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
if not HTML.is_absolute():
    HTML = ROOT / HTML
SCREENSHOTS = Path(os.environ.get("BOOK_SCREENSHOTS", ROOT / "_build" / "screenshots"))
STUDENT = os.environ.get("BOOK_STUDENT", "") == "1"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TRACEBACK_MARKERS = ("Traceback (most recent call last)",)

# Directives in a page's source that must produce a box on the rendered page.
# `{prf:ref}` is a role (a cross-reference), not a box, hence the lookahead.
PROOF_DIRECTIVE = re.compile(r"\{prf:(?!ref\})[a-z]+\}")
EXERCISE_DIRECTIVE = re.compile(r"\{exercise(?:-start)?\}")
SOLUTION_DIRECTIVE = re.compile(r"\{solution(?:-start)?\}")
# Inline or display math in markdown source: $x$, $$...$$, or a {math} role/directive.
MATH_SOURCE = re.compile(r"\$[^$\s][^$]*\$|\{math\}|\\begin\{")


def toc_pages() -> list[str]:
    """Every document listed in _toc.yml (root first), without extension."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                pages.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key, []) or []:
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(toc)
    return [re.sub(r"\.(md|ipynb)$", "", p) for p in pages]


def source_of(doc: str) -> Path:
    for ext in (".ipynb", ".md"):
        path = ROOT / f"{doc}{ext}"
        if path.exists():
            return path
    raise FileNotFoundError(f"_toc.yml lists {doc!r} but neither {doc}.md nor {doc}.ipynb exists")


def source_text(doc: str) -> str:
    """The markdown the author wrote: for a notebook, its markdown cells only."""
    path = source_of(doc)
    if path.suffix == ".ipynb":
        import nbformat

        nb = nbformat.read(path, as_version=4)
        return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return path.read_text(encoding="utf-8")


def gated_solution_lines(doc: str) -> list[str]:
    """First code line of every code cell inside a gated solution (solution-start ... solution-end)."""
    path = source_of(doc)
    if path.suffix != ".ipynb":
        return []
    import nbformat

    lines, inside = [], False
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            if "{solution-start}" in cell.source:
                inside = True
            if "{solution-end}" in cell.source:
                inside = False
        elif inside:
            code = [l.strip() for l in cell.source.splitlines() if l.strip() and not l.strip().startswith("#")]
            if code:
                lines.append(code[0])
    return lines


PAGES = toc_pages()


def test_toc_sources_exist():
    """Every page of the table of contents has a source file."""
    for doc in PAGES:
        source_of(doc)


@pytest.mark.parametrize("doc", PAGES)
def test_page(doc, base_url, browser, screenshot_dir):
    html_file = HTML / f"{doc}.html"
    assert html_file.exists(), f"{doc}: {html_file} was not built"
    text = source_text(doc)
    url = f"{base_url}/{doc}.html"
    origin = urlsplit(base_url).netloc

    failures: list[str] = []  # the site's own assets that failed
    foreign: list[str] = []  # requests leaving the site
    console_errors: list[str] = []

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    def on_request(request):
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https") and parts.netloc != origin:
            foreign.append(f"{request.resource_type} {request.url}")

    def on_request_failed(request):
        if urlsplit(request.url).netloc == origin:
            failures.append(f"{request.url}: {request.failure}")

    def on_response(response):
        if urlsplit(response.url).netloc == origin and response.status >= 400:
            failures.append(f"{response.url}: HTTP {response.status}")

    def on_console(message):
        if message.type == "error":
            where = (message.location or {}).get("url", "")
            console_errors.append(f"{message.text} [{where}]")

    page.on("request", on_request)
    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: console_errors.append(f"uncaught: {exc}"))

    try:
        response = page.goto(url, wait_until="load")
        assert response is not None and response.ok, f"{doc}: {url} answered {response and response.status}"

        # Load lazy images too, then wait for them and for MathJax to finish.
        page.evaluate("() => document.querySelectorAll('img').forEach(i => { i.loading = 'eager'; })")
        page.wait_for_function(
            "() => Array.from(document.images).every(i => i.complete)", timeout=15_000
        )
        n_math = page.locator("article .math").count()
        if n_math:
            page.wait_for_function(
                "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20_000
            )
            page.evaluate("async () => { await MathJax.startup.promise; }")
        page.wait_for_load_state("networkidle")

        slug = doc.replace("/", "__")
        page.screenshot(path=str(screenshot_dir / f"{slug}.png"), full_page=True)

        # --- the page itself
        assert page.locator("main h1, article h1").count() >= 1, f"{doc}: no <h1> title"
        assert not failures, f"{doc}: the site's own assets failed to load:\n" + "\n".join(failures)
        assert not console_errors, f"{doc}: console errors:\n" + "\n".join(console_errors)
        assert not foreign, (
            f"{doc}: requests left the site (the book must work offline):\n" + "\n".join(foreign)
        )

        # --- math typeset by the site's own MathJax
        if MATH_SOURCE.search(text):
            assert n_math > 0, f"{doc}: the source has math but the page has no .math element"
        if n_math:
            untypeset = page.evaluate(
                "() => Array.from(document.querySelectorAll('.math'))"
                ".filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 80))"
            )
            assert not untypeset, f"{doc}: math left untypeset by MathJax: {untypeset[:5]}"
            errors = page.evaluate(
                "() => Array.from(document.querySelectorAll('mjx-merror'))"
                ".map(e => e.getAttribute('data-mjx-error') || e.textContent)"
            )
            assert not errors, f"{doc}: MathJax TeX errors: {errors[:5]}"
            assert page.locator("mjx-container").count() >= n_math

        # --- theorem / proof boxes and exercises, wherever the source has them
        n_proof = len(PROOF_DIRECTIVE.findall(text))
        if n_proof:
            boxes = page.locator("div.proof").count()
            assert boxes >= n_proof, f"{doc}: {n_proof} prf: directives in the source, {boxes} boxes rendered"
        n_exercise = len(EXERCISE_DIRECTIVE.findall(text))
        if n_exercise:
            boxes = page.locator("div.exercise").count()
            assert boxes >= n_exercise, (
                f"{doc}: {n_exercise} exercises in the source, {boxes} exercise boxes rendered"
            )
        n_solution = len(SOLUTION_DIRECTIVE.findall(text))
        solutions = page.locator("div.solution").count()
        if STUDENT:
            assert solutions == 0, f"{doc}: the student edition shows {solutions} solutions"
            page_code = page.evaluate("() => Array.from(document.querySelectorAll('pre')).map(p => p.innerText).join('\\n')")
            shown = [line for line in gated_solution_lines(doc) if line in page_code]
            assert not shown, f"{doc}: the student edition shows code of gated solutions: {shown}"
        elif n_solution:
            assert solutions >= n_solution, (
                f"{doc}: {n_solution} solutions in the source, {solutions} solution boxes rendered"
            )

        # --- figures
        broken = page.evaluate(
            "() => Array.from(document.images)"
            ".filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.currentSrc || i.src)"
        )
        assert not broken, f"{doc}: images that did not load: {broken}"

        # --- nothing that should never reach a reader
        body = page.evaluate(
            "() => { const c = document.querySelector('main') || document.body;"
            " const k = c.cloneNode(true);"
            " k.querySelectorAll('pre, code, script, style').forEach(e => e.remove());"
            " return k.innerText; }"
        )
        for marker in TRACEBACK_MARKERS:
            assert marker not in body and marker not in page.inner_text("body"), (
                f"{doc}: a traceback is visible on the page"
            )
        assert page.locator(".output.traceback, .output.error").count() == 0, (
            f"{doc}: an error output is rendered"
        )
        for raw in (":::{", "```{", "{prf:", "{exercise", "{solution", "{cite"):
            assert raw not in body, f"{doc}: unparsed MyST markup {raw!r} is visible"
    finally:
        context.close()

