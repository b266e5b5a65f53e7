"""Browser test of reading comfort (issue 12) on the built book, in headless Chromium.

Run it after a build, with the rest of the browser test (``make test-browser``)::

    .venv/bin/pytest tests/browser/test_reading.py

It asserts, on the pages of ``_toc.yml`` (page list, server and settings from test_pages.py):

* **code fits**: at 1280 px no code block or output (``pre``) is wider than its
  box (``scrollWidth > clientWidth``), and the page never scrolls sideways; at
  1920 px the column is wide enough that no code line even wraps;
* **one search entry**: exactly one visible search field or button, at a
  phone-sized, a laptop and a wide width, and it opens the search box;
* **notation links** (``_ext/notation_links.py``): every chapter links symbols
  to the notation page, each link's anchor is a row of that page, no row is
  linked twice in a chapter, the linked math is typeset by MathJax, and the link
  is quiet (text colour, dotted underline) with a title naming the symbol;
* **dark mode**: every figure still shows on a light background (its most common
  colour has relative luminance >= 0.85) against which its darkest 1% of pixels
  (lines, labels) keep a contrast ratio >= 4.5, measured on screenshots of the
  images themselves; the theme's default dimming (white turned grey, 0.70) fails.

Screenshots of every chapter in dark mode go to ``<screenshots>/dark/``.

Chromium runs in a thread of this module's own: test_pages.py keeps its
Playwright open for the whole session, and Playwright's sync API allows one
instance per thread, so the two modules run together in one pytest session.
"""

from __future__ import annotations

import io
import queue
import re
import threading
from urllib.parse import urljoin, urlsplit

import numpy as np
import pytest

from test_pages import CHROMIUM, CHROMIUM_ARGS, PAGES  # fixtures base_url, screenshot_dir: conftest.py

CHAPTERS = [doc for doc in PAGES if re.search(r"(^|/)\d+_", doc)]
NOTATION = next((doc for doc in PAGES if doc.endswith("notation")), "book/notation")
SEARCH_ENTRIES = (
    "input[type=search], input[name=q], .search-button-field, .search-button, "
    "form.bd-search, #searchbox input"
)


class _Chromium:
    """Debian's Chromium under Playwright, driven from a worker thread: call(fn, *args) runs fn(browser, *args) there."""

    def __init__(self):
        self._tasks: queue.Queue = queue.Queue()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._serve, name="reading-chromium", daemon=True)
        self._thread.start()
        self._ready.wait(120)
        if self._error is not None:
            raise self._error

    def _serve(self):
        try:
            from playwright.sync_api import sync_playwright

            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                self._ready.set()
                while (task := self._tasks.get()) is not None:
                    fn, args, box = task
                    try:
                        box["result"] = fn(browser, *args)
                    except BaseException as exc:  # handed to the calling thread
                        box["error"] = exc
                    box["done"].set()
                browser.close()
        except BaseException as exc:
            self._error = exc
            self._ready.set()

    def call(self, fn, *args):
        box = {"done": threading.Event()}
        self._tasks.put((fn, args, box))
        box["done"].wait()
        if "error" in box:
            raise box["error"]
        return box["result"]

    def close(self):
        self._tasks.put(None)
        self._thread.join(60)


@pytest.fixture(scope="module")
def browser():
    """Named like test_pages' fixture, so conftest.py's Chromium gate applies here too."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("the playwright Python package is not installed (see requirements.txt)")
    chromium = _Chromium()
    try:
        yield chromium
    finally:
        chromium.close()


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


# --- code fits, notation links: one visit per page and width --------------------------


def _facts(browser, url, width):
    context, page = _open(browser, url, width=width)
    try:
        return {
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
            # Code lines (not outputs) longer than their box, which therefore wrap.
            "wrapped": page.evaluate(
                "() => Array.from(document.querySelectorAll('article div.cell_input pre')).flatMap(pre => {"
                " const probe = document.createElement('span'); probe.textContent = 'x'; pre.appendChild(probe);"
                " const cw = probe.getBoundingClientRect().width; probe.remove();"
                " const cs = getComputedStyle(pre);"
                " const room = pre.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);"
                " return pre.innerText.replace(/\\n$/, '').split('\\n').filter(l => l.length * cw > room + 0.5); })"),
            "row_ids": page.evaluate("() => Array.from(document.querySelectorAll('tr[id]')).map(t => t.id)"),
            "rows": page.locator("article table tbody tr").count(),
        }
    finally:
        context.close()


@pytest.fixture(scope="module")
def facts(base_url, browser):
    """Facts about a page at a width, measured once (MathJax makes page loads slow)."""
    cache = {}

    def get(doc, width=1280):
        if (doc, width) not in cache:
            cache[doc, width] = browser.call(_facts, f"{base_url}/{doc}.html", width)
        return cache[doc, width]

    return get


@pytest.mark.parametrize("doc", PAGES)
def test_code_fits_the_column_at_1280(doc, facts):
    page = facts(doc)
    wide = page["wide"]
    assert not wide, f"{doc}: {len(wide)} code blocks scroll sideways at 1280 px:\n" + "\n".join(wide[:10])
    assert page["page_fits"], f"{doc}: the page scrolls sideways at 1280 px"


@pytest.mark.parametrize("doc", CHAPTERS)
def test_code_lines_unwrapped_at_1920(doc, facts):
    """On a wide screen the column is wide enough for every code line as written."""
    page = facts(doc, 1920)
    assert not page["wide"] and page["page_fits"], f"{doc}: something scrolls sideways at 1920 px"
    assert not page["wrapped"], (
        f"{doc}: {len(page['wrapped'])} code lines wrap at 1920 px: " + "\n".join(page["wrapped"][:5])
    )


@pytest.fixture(scope="module")
def notation_ids(facts):
    page = facts(NOTATION)
    ids = page["row_ids"]
    assert len(ids) == len(set(ids)), "duplicate row ids on the notation page"
    assert len(ids) == page["rows"] > 100, f"notation page: {len(ids)} of {page['rows']} table rows have an anchor"
    return set(ids)


@pytest.mark.parametrize("doc", CHAPTERS)
def test_notation_links(doc, base_url, facts, notation_ids):
    url = f"{base_url}/{doc}.html"
    notation_url = f"{base_url}/{NOTATION}.html"
    links = facts(doc)["links"]
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


# --- one search entry ---------------------------------------------------------------------


def _search_entries(browser, url, width):
    context, page = _open(browser, url, width=width)
    try:
        # Visible entries, outermost only (a search field contains its own button).
        entries = page.evaluate(
            "(sel) => Array.from(document.querySelectorAll(sel)).filter(e => {"
            " const r = e.getBoundingClientRect();"
            " return r.width > 0 && r.height > 0 && e.checkVisibility({visibilityProperty: true})"
            " && !(e.parentElement && e.parentElement.closest(sel)); })"
            ".map(e => e.tagName.toLowerCase() + '.' + String(e.className).split(' ').join('.'))",
            SEARCH_ENTRIES,
        )
        opens = False
        if entries:
            # The one entry works: it opens the search dialog with its input focused.
            page.locator(SEARCH_ENTRIES).filter(visible=True).first.click()
            page.wait_for_function(
                "() => document.activeElement && document.activeElement.matches('input[type=search], input[name=q]')",
                timeout=5_000,
            )
            opens = True
        return entries, opens
    finally:
        context.close()


@pytest.mark.parametrize("width", [800, 1280, 1920])
@pytest.mark.parametrize("doc", [PAGES[0], CHAPTERS[0]])
def test_one_search_entry(doc, width, base_url, browser):
    entries, opens = browser.call(_search_entries, f"{base_url}/{doc}.html", width)
    assert len(entries) == 1, f"{doc} at {width} px: {len(entries)} visible search entries: {entries}"
    assert opens


# --- dark mode --------------------------------------------------------------------------


def _luminance(rgb):
    """WCAG relative luminance of sRGB colours (0-255 per channel, last axis)."""
    c = np.asarray(rgb, dtype=float) / 255
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return c @ np.array([0.2126, 0.7152, 0.0722])


def _dark_figures(browser, url, screenshot):
    """(theme, [(src, background luminance, contrast of the darkest 1%)]) of the visible figures in dark mode."""
    from PIL import Image

    context, page = _open(browser, url, theme="dark")
    try:
        theme = page.evaluate("document.documentElement.dataset.theme")
        page.screenshot(path=screenshot, full_page=True)
        figures = page.locator("article div.cell_output img, article figure img")
        measured = []
        for i in range(figures.count()):
            img = figures.nth(i)
            if not img.is_visible():
                continue                      # e.g. a slider's other frames
            img.scroll_into_view_if_needed()
            shot = np.asarray(Image.open(io.BytesIO(img.screenshot())).convert("RGB"), dtype=float)
            lum = _luminance(shot.reshape(-1, 3))
            packed = shot.reshape(-1, 3) @ np.array([65536.0, 256.0, 1.0])
            values, counts = np.unique(packed, return_counts=True)
            background = lum[np.flatnonzero(packed == values[np.argmax(counts)])[0]]
            darkest = np.percentile(lum, 1)   # lines, labels, tick marks
            measured.append((img.get_attribute("src"), background, (background + 0.05) / (darkest + 0.05)))
        return theme, measured
    finally:
        context.close()


@pytest.mark.parametrize("doc", CHAPTERS)
def test_dark_mode_keeps_figures_legible(doc, base_url, browser, screenshot_dir):
    dark_dir = screenshot_dir / "dark"
    dark_dir.mkdir(exist_ok=True)
    theme, measured = browser.call(_dark_figures, f"{base_url}/{doc}.html",
                                   str(dark_dir / f"{doc.replace('/', '__')}.png"))
    assert theme == "dark"
    problems = [f"{src}: background luminance {bg:.2f}, contrast of its darkest 1% {contrast:.1f}"
                for src, bg, contrast in measured if bg < 0.85 or contrast < 4.5]
    assert not problems, f"{doc} in dark mode:\n" + "\n".join(problems)
