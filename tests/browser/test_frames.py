"""The web book's widget experiments without a kernel, and the weight of every page.

For each page of ``_toc.yml``:

* every widget experiment of the chapter (each ``pglib.widgets.live(`` call in
  its source) has a slider over precomputed frames (``pglib.frames``) on the
  page, with at least 12 positions, shown by the site's own script;
* moving it by keyboard (End, Home, an arrow key) swaps the visible figure (one
  frame visible at a time, a different image after each key) and the value
  shown beside it, and the input's ``aria-valuetext`` follows;
* the page with everything it loads from the site (HTML, scripts, styles,
  fonts, MathJax, every frame) weighs less than 3 MB.

Run after a build, as ``make test`` does: ``.venv/bin/pytest tests/browser``.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from test_pages import HTML, PAGES, base_url, browser, source_text  # noqa: F401  (fixtures)

MIN_POSITIONS = 12
MAX_PAGE_BYTES = 3_000_000

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
    sizes: dict[str, int] = {}
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    def on_finished(request):
        if urlsplit(request.url).netloc == origin:
            response = request.response()
            sizes[request.url] = len(response.body()) if response is not None else 0

    page.on("requestfinished", on_finished)
    try:
        page.goto(f"{base_url}/{doc}.html", wait_until="load")
        page.wait_for_load_state("networkidle")
        total = sum(sizes.values())
        heaviest = sorted(sizes.items(), key=lambda kv: -kv[1])[:3]
        assert total < MAX_PAGE_BYTES, (f"{doc}: the page loads {total / 1e6:.2f} MB from the site "
                                        f"(limit {MAX_PAGE_BYTES / 1e6:.0f} MB); heaviest: {heaviest}")

        expected = source_text(doc).count("pglib.widgets.live(")
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
