"""Print the whole book to one PDF, offline: ``make pdf`` writes ``_build/pdf/book.pdf``.

What it does
------------
1. Builds the book as ONE web page with Sphinx's ``singlehtml`` builder
   (``jupyter-book build . --builder singlehtml``) into ``_build/pdf/``. The
   configuration is ``_config.yml`` plus this file loaded as a Sphinx extension
   (the copy is written to ``_build/pdf/_config.yml``; nothing in the repository
   changes). Like the web build, it executes nothing: the stored outputs are printed.
2. Moves that page to the root of its site (``book.html``, next to ``_static/``),
   serves the site on 127.0.0.1 and opens it in Debian's Chromium
   (``/usr/bin/chromium``) driven by the Playwright of ``.venv``. Every request to
   another origin is refused: the print is offline by construction.
3. Waits for every image and for the site's own MathJax
   (``MathJax.startup.promise``, as ``tests/browser/test_pages.py`` does), opens the
   exercise solutions, shrinks any display equation or table wider than the
   column, and prints A4 pages with page numbers and a PDF outline (bookmarks)
   made from the headings. Links inside the book stay links inside the PDF.
   The print styling (no navigation, sidebars, buttons or search box; each
   chapter on a new page; figures kept whole) is ``_static/print.css``.

Why Chromium and not jupyter-book's ``pdfhtml`` builder: ``pdfhtml`` calls
Playwright's ``chromium.launch()`` with no executable, i.e. a browser that
``playwright install`` downloads, which cannot happen offline (nor on this
project's machines). It also prints ``index.html``, a redirect to the root page
whose ``_static/`` paths are wrong in singlehtml, without waiting for MathJax.
Here the PDF is printed by the same Debian Chromium the browser test uses.

Two things the singlehtml builder gets wrong, fixed by :func:`setup` (only in
this PDF build):

* sphinx-exercise registers node handlers for ``singlehtml`` explicitly, so Sphinx
  stops falling back to the ``html`` handlers of the other extensions and fails on
  sphinx-proof's nodes ("unknown node type: definition_node"). The ``html``
  handlers are copied to ``singlehtml``.
* Docutils numbers its automatic ids per document (``id1``, ``id2``, ...), so in one
  page they repeat, and a citation would jump to the first ``id2`` of the book
  instead of the entry on the references page. :func:`unique_ids` renames every
  repeated id and rewrites the references that point to it.

Usage: ``.venv/bin/python .ci/print_pdf.py [--output PATH] [--no-build]``.
"""

from __future__ import annotations

import argparse
import copy
import functools
import http.server
import re
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build" / "pdf"
OUTPUT = BUILD / "book.pdf"
CHROMIUM = "/usr/bin/chromium"
# The launch arguments of tests/browser/test_pages.py.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A4 with these margins; the layout is measured at the width Chromium prints.
PAGE = {"format": "A4", "margin": {"top": "16mm", "bottom": "18mm", "left": "15mm", "right": "15mm"}}
PRINT_WIDTH_PX = round((210 - 15 - 15) / 25.4 * 96)  # CSS pixels across the printed column
TIMEOUT_MS = 600_000  # one huge page on 2 shared cores: MathJax alone takes a minute or more


# --------------------------------------------------------------------------- configuration

def pdf_config(config: dict, book_root: Path) -> dict:
    """The book's ``_config.yml`` (as a dict) for the PDF build, written elsewhere.

    jupyter-book resolves ``local_extensions`` paths against the folder of the
    configuration file, so they are made absolute; this file is added as the
    local extension ``print_pdf``. The input is not modified.
    """
    config = copy.deepcopy(config)
    sphinx = config.setdefault("sphinx", {})
    local = dict(sphinx.get("local_extensions") or {})
    local = {name: str((book_root / path).resolve()) for name, path in local.items()}
    local["print_pdf"] = str(Path(__file__).resolve().parent)
    sphinx["local_extensions"] = local
    return config


def root_doc(toc_path: Path) -> str:
    """The root document of ``_toc.yml`` (``book/intro``): the page singlehtml writes."""
    import yaml

    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    return re.sub(r"\.(md|ipynb)$", "", toc["root"])


def site_root_page(html: str, root_html: str) -> str:
    """The singlehtml page, rewritten to live at the site's root instead of at ``root_html``.

    singlehtml writes the page at ``book/intro.html`` but links its assets as if it
    were at the root (``_static/...``), and prefixes in-page anchors of the
    theme's table of contents with the page's own path (``book/intro.html#x``).
    At the root, the assets resolve; the anchors become plain ``#x``.
    """
    return re.sub(r'(href=["\'])' + re.escape(root_html) + "#", r"\1#", html)


def outline_entries(headings: list[dict], parts: list[tuple[str, list[str]]]) -> list[tuple[int, str, str]]:
    """The PDF outline as ``(depth, title, anchor)`` rows, in reading order.

    ``headings``: the printed headings in page order, each ``{"level": 1-3,
    "title", "anchor"}`` (the id of its section), with ``"doc"`` (``book/04_bellman``)
    on the title of each page of the book. ``parts``: the table of contents'
    captions with their pages, ``[("Getting started", ["book/how-to-use", ...]), ...]``.
    A caption becomes an entry at depth 0 just before its first page, pointing
    at that page; a page in a part sits one level deeper than one outside
    (the root page). Headings deeper than the page title follow by level.
    """
    part_of = {doc: (i, caption) for i, (caption, docs) in enumerate(parts) for doc in docs}
    rows: list[tuple[int, str, str]] = []
    base, opened = 0, set()
    for heading in headings:
        doc = heading.get("doc")
        if doc is not None:
            part = part_of.get(doc)
            base = 0
            if part is not None:
                if part[0] not in opened:
                    opened.add(part[0])
                    rows.append((0, part[1], heading["anchor"]))
                base = 1
        rows.append((base + heading["level"] - 1, heading["title"], heading["anchor"]))
    return rows


def add_outline(pdf: bytes, rows: list[tuple[int, str, str]], metadata: dict[str, str]):
    """``pdf`` with the outline ``rows`` (see :func:`outline_entries`) and ``metadata``, as a pypdf writer.

    Each row points at the named destination Chromium wrote for its anchor (it
    writes one for every element a link of the page points to). Returns the
    writer and the anchors that had no destination.
    """
    import io

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import Fit

    reader = PdfReader(io.BytesIO(pdf))
    dests = reader.named_destinations
    writer = PdfWriter(clone_from=reader)
    missing, parents = [], []  # parents: stack of (depth, outline item)
    for depth, title, anchor in rows:
        # Chromium writes a /Dests dictionary (keys are PDF names, "/id"); a /Names tree has plain strings.
        dest = dests.get("/" + anchor) or dests.get(anchor)
        if dest is None:
            missing.append(anchor)
            continue
        while parents and parents[-1][0] >= depth:
            parents.pop()
        item = writer.add_outline_item(
            title=title, page_number=reader.get_destination_page_number(dest),
            parent=parents[-1][1] if parents else None,
            fit=Fit.xyz(left=dest.left, top=dest.top), is_open=depth == 0,
        )
        parents.append((depth, item))
    writer.page_mode = "/UseOutlines"
    writer.add_metadata(metadata)
    return writer, missing


# --------------------------------------------------------------------------- Sphinx extension

def unique_ids(tree, root: str) -> dict[tuple[str, str], str]:
    """Make every id of the assembled singlehtml doctree unique, keeping the links right.

    The tree holds each document inside an ``addnodes.start_of_file`` node (its
    ``docname``); nodes outside any of them belong to ``root``. The first
    occurrence of an id keeps it; a later document's repeat becomes
    ``<docname slug>-<id>``. References are rewritten to the renamed target:
    ``refid`` (a target of the reference's own document, else of the root
    document, against which singlehtml resolves cross-references),
    ``refuri="#document-<doc>#<id>"`` (becomes ``#<new id>``) and ``backrefs``.
    Returns ``{(docname, old id): new id}``.
    """
    from docutils import nodes
    from sphinx import addnodes

    owned: list[tuple[nodes.Element, str]] = []  # every element with its document, in order
    stack = [(tree, root)]
    while stack:
        node, doc = stack.pop()
        if isinstance(node, addnodes.start_of_file):
            doc = node["docname"]
        owned.append((node, doc))
        stack.extend((child, doc) for child in reversed(node.children) if isinstance(child, nodes.Element))

    seen: set[str] = set()
    defined: dict[str, set[str]] = defaultdict(set)
    renamed: dict[tuple[str, str], str] = {}
    for node, doc in owned:
        ids = []
        for old in node["ids"]:
            defined[doc].add(old)
            new = renamed.get((doc, old), old)
            if new in seen and (doc, old) not in renamed:
                base = re.sub(r"[^A-Za-z0-9]+", "-", doc).strip("-").lower() + "-" + old
                new, k = base, 2
                while new in seen:
                    new, k = f"{base}-{k}", k + 1
                renamed[(doc, old)] = new
            seen.add(new)
            ids.append(new)
        node["ids"] = ids

    def target(doc: str, anchor: str) -> str:
        return renamed.get((doc, anchor), anchor)

    for node, doc in owned:
        if "refid" in node:
            owner = doc if node["refid"] in defined[doc] else root
            node["refid"] = target(owner, node["refid"])
        refuri = node.get("refuri", "")
        if refuri.startswith("#document-"):
            docname, sep, anchor = refuri[len("#document-"):].partition("#")
            if sep:
                node["refuri"] = "#" + target(docname, anchor)
        if node.get("backrefs"):
            node["backrefs"] = [target(doc, ref) for ref in node["backrefs"]]
    return renamed


def _html_handlers_for_singlehtml(app) -> None:
    handlers = app.registry.translation_handlers
    if app.builder.name == "singlehtml" and "singlehtml" in handlers:
        for name, visitors in handlers.get("html", {}).items():
            handlers["singlehtml"].setdefault(name, visitors)


def _unique_ids_in_single_page(app, doctree, docname: str) -> None:
    if app.builder.name != "singlehtml" or docname != app.config.root_doc:
        return
    renamed = unique_ids(doctree, docname)
    # Section and figure numbers are looked up by id: follow the renames.
    env = app.builder.env
    for (doc, old), new in renamed.items():
        secnumbers = env.toc_secnumbers.get(doc, {})
        if "#" + old in secnumbers:
            secnumbers["#" + new] = secnumbers.pop("#" + old)
        for fignumbers in env.toc_fignumbers.get(doc, {}).values():
            if old in fignumbers:
                fignumbers[new] = fignumbers.pop(old)


def setup(app):
    """Sphinx extension (PDF build only): the two singlehtml fixes of the module docstring."""
    app.connect("builder-inited", _html_handlers_for_singlehtml)
    app.connect("doctree-resolved", _unique_ids_in_single_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# --------------------------------------------------------------------------- build and print

def build_single_page(build: Path) -> Path:
    """Run the singlehtml build into ``build``; return the site folder with ``book.html`` at its root."""
    import yaml

    build.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config_path = build / "_config.yml"
    config_path.write_text(yaml.safe_dump(pdf_config(config, ROOT), sort_keys=False), encoding="utf-8")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--builder", "singlehtml",
         "--config", str(config_path), "--path-output", str(build), "-n", "-W", "--keep-going"],
        check=True,
    )
    site = build / "_build" / "singlehtml"
    root_html = root_doc(ROOT / "_toc.yml") + ".html"
    page = (site / root_html).read_text(encoding="utf-8")
    (site / "book.html").write_text(site_root_page(page, root_html), encoding="utf-8")
    return site


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature from the base class
        pass


def _serve(site: Path):
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# Run in the page before printing: open what is folded, fit what is too wide.
PREPARE = """
() => {
  // Solutions (sphinx-togglebutton admonitions) and <details> print open.
  document.querySelectorAll('.admonition.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  // A display equation or a table wider than the column is scaled down to fit.
  // (An equation's width is its visible mjx-math, not the hidden assistive MathML.)
  let fitted = 0;
  for (const e of document.querySelectorAll('article mjx-container[display="true"], article table')) {
    const math = e.querySelector(':scope > mjx-math');
    const avail = (math ? e : e.parentElement).getBoundingClientRect().width;
    const need = math ? math.getBoundingClientRect().width : e.scrollWidth;
    if (avail > 0 && need > avail + 1) { e.style.zoom = (avail / need).toFixed(3); fitted += 1; }
  }
  return fitted;
}
"""

# What would be cut off on paper: a block that clips (overflow other than visible)
# with visible content reaching past its right edge. Reported, with where it is.
CLIPPED = """
() => Array.from(document.querySelectorAll('article.bd-article *'))
  .filter(e => !e.tagName.startsWith('MJX') && !e.closest('mjx-container')
               && !getComputedStyle(e).display.startsWith('inline')
               && getComputedStyle(e).overflowX !== 'visible'
               && e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)
  // MathJax's assistive MathML is wide but invisible: only what is seen counts.
  .filter(e => {
    const right = e.getBoundingClientRect().right + 1;
    return Array.from(e.querySelectorAll('*')).some(
      c => !c.closest('mjx-assistive-mml') && c.getBoundingClientRect().right > right);
  })
  .map(e => {
    const section = e.closest('section');
    const heading = section && section.querySelector(':scope > :is(h1, h2, h3, h4)');
    return `${e.tagName.toLowerCase()}.${e.className} in "${heading ? heading.textContent.trim() : '?'}"`
           + ` (${e.scrollWidth} px in ${e.clientWidth} px)`;
  })
"""

COVER = """
([line]) => {
  document.documentElement.classList.add('pdf-book');  // the book-only rules of print.css
  const title = document.querySelector('#jb-print-docs-body > h1');
  if (title && line) {
    const p = document.createElement('p');
    p.className = 'pdf-cover-line';
    p.textContent = line;
    title.after(p);
  }
}
"""

# The outline's material: headings (section id, level, text with MathJax's
# assistive MathML standing for the math), the table of contents' parts, and a
# link to every heading's section so that Chromium writes a destination for it.
OUTLINE = """
() => {
  const headings = [];
  if (document.getElementById('jb-print-toc')) headings.push({level: 1, anchor: 'jb-print-toc', title: 'Contents'});
  for (const h of document.querySelectorAll('article.bd-article section > :is(h1, h2, h3)')) {
    const section = h.parentElement, before = section.previousElementSibling;
    const clone = h.cloneNode(true);
    clone.querySelectorAll('.headerlink').forEach(e => e.remove());
    const heading = {level: Number(h.tagName[1]), anchor: section.id,
                     title: clone.textContent.replace(/\\s+/g, ' ').trim()};
    if (before && before.id && before.id.startsWith('document-')) heading.doc = before.id.slice(9);
    headings.push(heading);
  }
  const parts = [];
  let current = null;
  for (const e of document.querySelectorAll('#jb-print-toc nav > *')) {
    if (e.matches('p.caption')) { current = [e.textContent.trim(), []]; parts.push(current); }
    else if (current) e.querySelectorAll('a[href^="#document-"]').forEach(a => current[1].push(a.getAttribute('href').slice(10)));
  }
  const nav = document.createElement('nav');
  nav.className = 'pdf-outline-targets';
  for (const h of headings) { const a = document.createElement('a'); a.href = '#' + h.anchor; nav.append(a); }
  document.body.append(nav);
  return [headings, parts];
}
"""

FOOTER = (
    '<div style="font-size:8px;width:100%;text-align:center;color:#555;">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)


def _metadata() -> dict[str, str]:
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return {"/Title": config.get("title", ""), "/Author": config.get("author", ""),
            "/Creator": "make pdf (.ci/print_pdf.py, Chromium)"}


def _cover_line() -> str:
    """Author and version for the cover: '<author> · <date> · commit <sha>'."""
    import yaml

    author = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8")).get("author", "")
    try:
        sha = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %cs"],
                             capture_output=True, text=True, check=True).stdout.split()
        version = f"{sha[1]} · commit {sha[0]}"
    except (subprocess.CalledProcessError, FileNotFoundError, IndexError):
        version = time.strftime("%Y-%m-%d")
    return " · ".join(part for part in (author, version) if part)


def print_pdf(site: Path, output: Path) -> None:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} not found: install Debian's Chromium (`apt-get install chromium`, as .ci/run does).")
    server = _serve(site)
    origin = f"127.0.0.1:{server.server_address[1]}"
    refused: list[str] = []
    start = time.monotonic()

    def say(what: str) -> None:
        print(f"[print_pdf {time.monotonic() - start:6.1f} s] {what}", flush=True)

    def route(route):
        parts = urlsplit(route.request.url)
        if parts.scheme in ("http", "https") and parts.netloc != origin:
            refused.append(route.request.url)
            return route.abort()
        return route.continue_()

    try:
        with sync_playwright() as pw:
            # Never let Playwright download a browser: Debian's Chromium.
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": PRINT_WIDTH_PX, "height": 1000})
                page.set_default_timeout(TIMEOUT_MS)
                page.route("**/*", route)
                page.emulate_media(media="print")
                page.goto(f"http://{origin}/book.html", wait_until="domcontentloaded")
                say("page loaded")
                page.evaluate("() => document.querySelectorAll('img').forEach(i => { i.loading = 'eager'; })")
                page.wait_for_function("() => Array.from(document.images).every(i => i.complete)")
                page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
                page.evaluate("async () => { await MathJax.startup.promise; }")
                n_math, n_errors = page.evaluate(
                    "() => [document.querySelectorAll('mjx-container').length,"
                    " document.querySelectorAll('mjx-merror').length]")
                say(f"MathJax typeset {n_math} expressions ({n_errors} errors)")
                if n_errors:
                    sys.exit(f"MathJax reported {n_errors} TeX errors: see the web build's browser test")
                page.evaluate(COVER, [_cover_line()])
                fitted = page.evaluate(PREPARE)
                say(f"{fitted} wide equations or tables scaled to the column")
                clipped = page.evaluate(CLIPPED)
                if clipped:
                    say(f"warning: {len(clipped)} boxes would be cut off on paper:\n  " + "\n  ".join(clipped[:20]))
                headings, parts = page.evaluate(OUTLINE)
                # Not tagged: Chromium's own outline needs a tagged PDF, which doubles the size and the time.
                pdf = page.pdf(
                    print_background=True, display_header_footer=True,
                    header_template="<span></span>", footer_template=FOOTER, **PAGE,
                )
                say(f"printed {len(pdf) / 2**20:.1f} MiB")
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
    if refused:
        sys.exit("requests to other origins were refused (the book must print offline):\n" + "\n".join(refused))

    writer, missing = add_outline(pdf, outline_entries(headings, parts), _metadata())
    if missing:
        sys.exit(f"no PDF destination for the headings {missing}: the outline would be incomplete")
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "wb") as f:
        writer.write(f)
    say(f"wrote {output} with an outline of {len(headings)} headings")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"default: {OUTPUT.relative_to(ROOT)}")
    parser.add_argument("--no-build", action="store_true",
                        help="print the last singlehtml build in _build/pdf again (styling work)")
    args = parser.parse_args(argv)
    start = time.monotonic()
    site = BUILD / "_build" / "singlehtml"
    if not args.no_build:
        site = build_single_page(BUILD)
    print(f"[print_pdf] single page built in {time.monotonic() - start:.0f} s", flush=True)
    print_pdf(site, args.output.resolve())
    size = args.output.stat().st_size / 2**20
    print(f"[print_pdf] {args.output} ({size:.1f} MiB) in {time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    main()
