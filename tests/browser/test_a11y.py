"""Accessibility check of the built book: axe-core on every page of ``_toc.yml``, light and dark.

Run it after a build, with the page test (``make test`` runs the folder)::

    .venv/bin/pytest tests/browser/test_a11y.py

Each page of the table of contents is served and opened exactly as in
``test_pages.py`` (the ``base_url`` and ``browser`` fixtures of conftest.py, the
same ``BOOK_HTML``), once with the theme in light mode and once in dark mode (the
pydata theme reads the reader's choice from ``localStorage``; the test stores
it before the page loads, as the theme's own button does). When images and
MathJax have settled, axe-core runs on the whole document (axe-playwright-python
bundles ``axe.min.js``: nothing is downloaded) and the test asserts that no
rule fails with impact *serious* or *critical*. Every violation found, of any
impact, is printed with its rule, impact, help text and the CSS selector of
each element, so a failure says where to look.

Light mode runs every rule axe enables by default (WCAG 2.0-2.2 A and AA and
best practices). Dark mode changes colours only (CSS variables of the theme),
so there it runs the rules that depend on colour: ``color-contrast`` and
``link-in-text-block``. Colour contrast is most of the time (tens of seconds
on a chapter: every highlighted token of the code cells is an element).

``BOOK_A11Y_MODES`` (``light,dark`` by default; ``light`` for the student
edition, ``BOOK_STUDENT=1``, whose pages share the course's styles) selects
the modes.

Known causes fixed in the book itself, not here: colour contrast
(``_static/a11y.css``) and figures' alternative text (cell metadata, see
``.ci/set_alt_text.py``).
"""

from __future__ import annotations

import os

import pytest

from test_pages import CHROMIUM, HTML, PAGES, STUDENT  # noqa: F401  (CHROMIUM: the path conftest.py checks; fixtures base_url, browser: conftest.py)

BLOCKING = {"serious", "critical"}
MODES = [m.strip() for m in os.environ.get("BOOK_A11Y_MODES", "light" if STUDENT else "light,dark").split(",")
         if m.strip()]
# Rules whose result depends on the colours, the only thing the dark theme changes.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]

# Stored before any script of the page runs: the theme's inline script and
# pydata-sphinx-theme.js read the mode from localStorage and set
# <html data-mode=... data-theme=...> from it.
_SET_MODE = "try {{ localStorage.setItem('mode', '{0}'); localStorage.setItem('theme', '{0}'); }} catch (e) {{}}"


def _axe():
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        pytest.skip("axe-playwright-python is not installed (see requirements.txt)")
    return Axe()


def _settle(page) -> None:
    """Wait for every image (lazy ones included) and for MathJax, as test_pages does."""
    page.evaluate("() => document.querySelectorAll('img').forEach(i => { i.loading = 'eager'; })")
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete)", timeout=15_000)
    if page.locator("article .math").count():
        page.wait_for_function(
            "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20_000
        )
        page.evaluate("async () => { await MathJax.startup.promise; }")
    page.wait_for_load_state("networkidle")


def describe(violations: list[dict]) -> str:
    """One block per violated rule: rule, impact, help, then the target of every element."""
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} elements) {v['helpUrl']}")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {target}\n        {summary[:300]}")
    return "\n".join(lines)


def test_modes_known():
    assert MODES and set(MODES) <= {"light", "dark"}, f"BOOK_A11Y_MODES: light and/or dark, not {MODES}"


def test_axe_bundled():
    """The axe-core script is the one bundled with the package (never fetched)."""
    axe = _axe()
    assert "axe v4." in axe.axe_script[:200], "axe-playwright-python no longer bundles axe-core 4.x"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("doc", PAGES)
def test_axe(doc, mode, base_url, browser):
    html_file = HTML / f"{doc}.html"
    assert html_file.exists(), f"{doc}: {html_file} was not built"
    axe = _axe()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(_SET_MODE.format(mode))
    page = context.new_page()
    try:
        response = page.goto(f"{base_url}/{doc}.html", wait_until="load")
        assert response is not None and response.ok, f"{doc}: answered {response and response.status}"
        _settle(page)
        theme = page.evaluate("() => document.documentElement.dataset.theme")
        assert theme == mode, f"{doc}: asked for the {mode} theme, the page shows {theme!r}"
        if mode == "light":
            options = {"resultTypes": ["violations"]}
        else:
            options = {"runOnly": {"type": "rule", "values": COLOUR_RULES}, "resultTypes": ["violations"]}
        results = axe.run(page, options=options)
        violations = results.response["violations"]
        if violations:
            print(f"\n{doc} ({mode} mode): {len(violations)} rules violated\n{describe(violations)}")
        blocking = [v for v in violations if v["impact"] in BLOCKING]
        if blocking:
            pytest.fail(f"{doc} ({mode} mode): {len(blocking)} rules violated with serious or critical impact\n"
                        + describe(blocking), pytrace=False)
    finally:
        context.close()
