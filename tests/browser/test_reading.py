"""Browser test of reading comfort (issue 12) on the built book, in headless Chromium.

Run it after a build, with the rest of the browser test (``make test-browser``)::

    .venv/bin/pytest tests/browser/test_reading.py

It asserts, on the pages of ``_toc.yml`` (fixtures and page list from test_pages.py):

* **code fits**: at 1280 px no code block or output (``pre``) is wider than its
  box (``scrollWidth > clientWidth``), and the page never scrolls sideways;
* **one search entry**: exactly one visible search field or button, at a
  desktop, a wide and a phone-sized width, and it opens the search box;
* **notation links** (``_ext/notation_links.py``): every chapter links symbols
  to the notation page, each link's anchor is a row of that page, no row is
  linked twice in a chapter, the linked math is typeset by MathJax, and the link
  is quiet (text colour, dotted underline) with a title naming the symbol;
* **dark mode**: every figure still shows on a light background (its most common
  colour has relative luminance >= 0.85) against which its darkest 1% of pixels
  (lines, labels) keep a contrast ratio >= 4.5, measured on screenshots of the
  images themselves; the theme's default dimming (white turned grey, 0.70) fails.

Screenshots of every chapter in dark mode go to ``<screenshots>/dark/``.
"""

from __future__ import annotations

import io
import re
from urllib.parse import urljoin, urlsplit

import numpy as np
import pytest

from test_pages import CHROMIUM, PAGES, base_url, browser, screenshot_dir  # noqa: F401 (fixtures, gate)

CHAPTERS = [doc for doc in PAGES if re.search(r"(^|/)\d+_", doc)]
NOTATION = next((doc for doc in PAGES if doc.endswith("notation")), "book/notation")
SEARCH_ENTRIES = (
    "input[type=search], input[name=q], .search-button-field, .search-button, "
    "form.bd-search, #searchbox input"
)


def _open(browser, url, width=1280, theme=None):
    context = browser.new_context(viewport={"width": width, "height": 900})
    if theme:
        # pydata-sphinx-theme reads the stored choice before the first paint.
        context.add_init_script(f"localStorage.setItem('theme', '{theme}'); localStorage.setItem('mode', '{theme}');")
    page = context.new_page()
    page.goto(url, wait_until="load")
    page.evaluate("() => document.querySelectorAll('img').forEach(i => { i.loading = 'eager'; })")
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete)", timeout=15_000)
    if page.locator("article .math").count():
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20_000)
        page.evaluate("async () => { await MathJax.startup.promise; }")
    return context, page


@pytest.fixture(scope="module")
def at_1280(base_url, browser):
    """Facts about a page at 1280 px, measured once per page (MathJax makes loads slow)."""
    cache = {}

    def facts(doc):
        if doc not in cache:
            context, page = _open(browser, f"{base_url}/{doc}.html", width=1280)
            try:
                cache[doc] = {
                    "wide": page.evaluate(
                        "() => Array.from(document.querySelectorAll('article pre'))"
                        ".filter(p => p.clientWidth > 0 && p.scrollWidth > p.clientWidth + 1)"
                        ".map(p => `${p.scrollWidth} > ${p.clientWidth}: ` + p.innerText.split('\\n')"
                        ".reduce((a, b) => a.length >= b.length ? a : b, '').slice(0, 90))"),
                    "page_fits": page.evaluate(
                        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"),
                    "links": page.evaluate(
                        "() => Array.from(document.querySelectorAll('article a.notation-link')).map(a => ({"
                        " href: a.getAttribute('href'), title: a.title,"
                        " typeset: !!a.querySelector('mjx-container'), raw: a.textContent.includes('\\\\('),"
                        " color: getComputedStyle(a).color, parentColor: getComputedStyle(a.parentElement).color,"
                        " underline: getComputedStyle(a).borderBottomStyle }))"),
                }
            finally:
                context.close()
        return cache[doc]

    return facts


@pytest.mark.parametrize("doc", PAGES)
def test_code_fits_the_column_at_1280(doc, at_1280):
    facts = at_1280(doc)
    wide = facts["wide"]
    assert not wide, f"{doc}: {len(wide)} code blocks scroll sideways at 1280 px:\n" + "\n".join(wide[:10])
    assert facts["page_fits"], f"{doc}: the page scrolls sideways at 1280 px"


@pytest.mark.parametrize("width", [800, 1280, 1920])
@pytest.mark.parametrize("doc", [PAGES[0], CHAPTERS[0]])
def test_one_search_entry(doc, width, base_url, browser):
    context, page = _open(browser, f"{base_url}/{doc}.html", width=width)
    try:
        visible = page.evaluate(
            "(sel) => Array.from(document.querySelectorAll(sel)).filter(e => {"
            " const r = e.getBoundingClientRect();"
            " return r.width > 0 && r.height > 0 && e.checkVisibility({visibilityProperty: true}); })"
            ".map(e => e.tagName.toLowerCase() + '.' + String(e.className).split(' ').join('.'))",
            SEARCH_ENTRIES,
        )
        # A search field contains its own button: count the outermost entries only.
        outer = page.evaluate(
            "(sel) => Array.from(document.querySelectorAll(sel)).filter(e => {"
            " const r = e.getBoundingClientRect();"
            " return r.width > 0 && r.height > 0 && e.checkVisibility({visibilityProperty: true})"
            " && !(e.parentElement && e.parentElement.closest(sel)); }).length",
            SEARCH_ENTRIES,
        )
        assert outer == 1, f"{doc} at {width} px: {outer} visible search entries: {visible}"
        # The one entry works: it opens the search dialog with a focused input.
        page.locator(SEARCH_ENTRIES).filter(visible=True).first.click()
        page.wait_for_function(
            "() => document.activeElement && document.activeElement.matches('input[type=search], input[name=q]')",
            timeout=5_000,
        )
    finally:
        context.close()


@pytest.fixture(scope="module")
def notation_ids(base_url, browser):
    context, page = _open(browser, f"{base_url}/{NOTATION}.html")
    try:
        ids = page.evaluate("() => Array.from(document.querySelectorAll('tr[id]')).map(t => t.id)")
        rows = page.locator("article table tbody tr").count()
    finally:
        context.close()
    assert len(ids) == len(set(ids)), "duplicate row ids on the notation page"
    assert len(ids) == rows > 100, f"notation page: {len(ids)} of {rows} table rows have an anchor"
    return set(ids)


@pytest.mark.parametrize("doc", CHAPTERS)
def test_notation_links(doc, base_url, at_1280, notation_ids):
    url = f"{base_url}/{doc}.html"
    notation_url = f"{base_url}/{NOTATION}.html"
    links = at_1280(doc)["links"]
    assert len(links) >= 10, f"{doc}: only {len(links)} symbols linked to the notation page"
    anchors = []
    for link in links:
        target = urljoin(url, link["href"])
        assert target.split("#")[0] == notation_url, f"{doc}: {link['href']} is not the notation page"
        fragment = urlsplit(target).fragment
        assert fragment in notation_ids, f"{doc}: {link['href']}: no such row on the notation page"
        anchors.append(fragment)
        assert link["typeset"] and not link["raw"], f"{doc}: math of {link['href']} not typeset by MathJax"
        assert link["title"].endswith("(notation)") and len(link["title"]) > 12, (
            f"{doc}: {link['href']} has no title naming the symbol: {link['title']!r}"
        )
        assert link["color"] == link["parentColor"] and link["underline"] == "dotted", (
            f"{doc}: {link['href']} is not styled as a quiet link: {link}"
        )
    twice = sorted({a for a in anchors if anchors.count(a) > 1})
    assert not twice, f"{doc}: rows linked more than once: {twice}"


def _luminance(rgb):
    """WCAG relative luminance of sRGB colours (0-255 per channel, last axis)."""
    c = np.asarray(rgb, dtype=float) / 255
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return c @ np.array([0.2126, 0.7152, 0.0722])


@pytest.mark.parametrize("doc", CHAPTERS)
def test_dark_mode_keeps_figures_legible(doc, base_url, browser, screenshot_dir):
    from PIL import Image

    context, page = _open(browser, f"{base_url}/{doc}.html", theme="dark")
    try:
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        dark_dir = screenshot_dir / "dark"
        dark_dir.mkdir(exist_ok=True)
        page.screenshot(path=str(dark_dir / f"{doc.replace('/', '__')}.png"), full_page=True)
        figures = page.locator("article div.cell_output img, article figure img")
        n = figures.count()
        problems = []
        for i in range(n):
            img = figures.nth(i)
            if not img.is_visible():
                continue       # e.g. a slider's other frames
            img.scroll_into_view_if_needed()
            shot = np.asarray(Image.open(io.BytesIO(img.screenshot())).convert("RGB"), dtype=float)
            lum = _luminance(shot.reshape(-1, 3))
            packed = shot.reshape(-1, 3) @ np.array([65536.0, 256.0, 1.0])
            values, counts = np.unique(packed, return_counts=True)
            background = lum[np.flatnonzero(packed == values[np.argmax(counts)])[0]]
            darkest = np.percentile(lum, 1)     # lines, labels, tick marks
            contrast = (background + 0.05) / (darkest + 0.05)
            if background < 0.85 or contrast < 4.5:
                problems.append(f"image {i}: background luminance {background:.2f}, contrast of its "
                                f"darkest 1% {contrast:.1f} ({img.get_attribute('src')})")
        assert not problems, f"{doc} in dark mode:\n" + "\n".join(problems)
    finally:
        context.close()
