"""The web book's widget experiments without a kernel, and the weight of every page.

For each page of ``_toc.yml``:

* every widget experiment of the chapter (each ``pglib.widgets.live(`` call in
  its source) has a slider over precomputed frames (``pglib.frames``) on the
  page, with at least 12 positions, shown by the site's own script;
* moving it by keyboard (End, Home, an arrow key) swaps the visible figure (one
  frame visible at a time, a different image after each key) and the value
  shown beside it, and the input's ``aria-valuetext`` follows;
* the page weighs less than 3 MB: its own HTML and images (every frame
  included), and also everything a first visit loads from the site (scripts,
  styles, fonts, MathJax) as a static web server sends it (text gzip-compressed,
  as GitHub Pages or ``python -m http.server`` behind any CDN would; images and
  fonts as they are). Uncompressed, the theme's icon font script and MathJax
  alone are 2.6 MB, shared by every page and cached after the first.

Run after a build, as ``make test`` does: ``.venv/bin/pytest tests/browser``.
"""
from __future__ import annotations

import gzip
from urllib.parse import urlsplit

import pytest

from test_pages import PAGES, source_of  # base_url and browser: conftest.py

MIN_POSITIONS = 12
MAX_PAGE_BYTES = 3_000_000

def widget_experiments(doc: str) -> int:
    """How many ``pglib.widgets.live(`` calls the page's code cells make."""
    path = source_of(doc)
    if path.suffix != ".ipynb":
        return 0
    import nbformat
    nb = nbformat.read(path, as_version=4)
    return sum(c.source.count("pglib.widgets.live(") for c in nb.cells if c.cell_type == "code")


STATE = """box => {
  const shown = Array.from(box.querySelectorAll('img.pglib-frame'))
                     .filter(img => getComputedStyle(img).display !== 'none');
  const input = box.querySelector('input[type=range]');
  return {n_shown: shown.length, src: shown.length ? shown[0].currentSrc : null,
          loaded: shown.length ? shown[0].naturalWidth : 0,
          value: input.value, max: input.max, label: box.querySelector('output').textContent,
          aria: input.getAttribute('aria-valuetext'),
          hidden: box.querySelector('.pglib-frames-control').hidden};
}"""


@pytest.mark.parametrize("doc", PAGES)
def test_frames_move_and_page_weight(doc, base_url, browser):
    origin = urlsplit(base_url).netloc
    own: dict[str, int] = {}      # the page's HTML and images, raw bytes
    sent: dict[str, int] = {}     # everything, text compressed
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    def on_finished(request):
        if urlsplit(request.url).netloc == origin:
            response = request.response()
            body = response.body() if response is not None else b""
            kind = (response.headers.get("content-type", "") if response is not None else "").split(";")[0]
            compressible = kind.startswith("text/") or kind in ("application/javascript", "application/json",
                                                                 "image/svg+xml", "text/javascript")
            sent[request.url] = len(gzip.compress(body, 6)) if compressible else len(body)
            if request.resource_type in ("document", "image") and "/_static/" not in request.url:
                own[request.url] = len(body)

    page.on("requestfinished", on_finished)
    try:
        page.goto(f"{base_url}/{doc}.html", wait_until="load")
        page.wait_for_load_state("networkidle")
        for name, sizes in (("its HTML and images", own), ("everything, text compressed", sent)):
            total = sum(sizes.values())
            heaviest = sorted(sizes.items(), key=lambda kv: -kv[1])[:3]
            assert total < MAX_PAGE_BYTES, (f"{doc}: {name}: {total / 1e6:.2f} MB "
                                            f"(limit {MAX_PAGE_BYTES / 1e6:.0f} MB); heaviest: {heaviest}")
        print(f"{doc}: own {sum(own.values()) / 1e6:.2f} MB, first visit {sum(sent.values()) / 1e6:.2f} MB compressed")

        expected = widget_experiments(doc)
        boxes = page.locator(".pglib-frames")
        assert boxes.count() == expected, (f"{doc}: {expected} widget experiments in the source, "
                                           f"{boxes.count()} precomputed sliders on the page")
        for k in range(expected):
            box = boxes.nth(k)
            start = box.evaluate(STATE)
            assert not start["hidden"], f"{doc}: slider {k} still hidden (frames.js did not run)"
            positions = int(start["max"]) + 1
            assert positions >= MIN_POSITIONS, f"{doc}: slider {k} has {positions} positions (< {MIN_POSITIONS})"
            assert start["n_shown"] == 1 and start["loaded"] > 0, f"{doc}: slider {k} at start: {start}"
            before = start
            box.locator("input[type=range]").focus()
            for key in ("End", "Home", "ArrowRight"):
                page.keyboard.press(key)
                now = box.evaluate(STATE)
                assert now["n_shown"] == 1 and now["loaded"] > 0, f"{doc}: slider {k} after {key}: {now}"
                assert now["label"] == now["aria"], f"{doc}: slider {k}: output and aria-valuetext differ: {now}"
                assert now["src"] != before["src"] and now["label"] != before["label"], (
                    f"{doc}: slider {k}: {key} did not change the figure and its label ({before} -> {now})")
                before = now
            assert int(box.evaluate(STATE)["value"]) == 1, f"{doc}: slider {k}: Home then → should be at 1"
    finally:
        context.close()
