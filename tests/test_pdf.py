"""The printed book: ``_build/pdf/book.pdf`` as ``make pdf`` writes it (.ci/print_pdf.py).

Two kinds of tests:

* the logic of ``.ci/print_pdf.py`` on hand-made inputs (always run);
* checks of the PDF itself, with pypdf, when it exists. Without it (or when it
  is older than a page of the book or the print style), they are skipped on a
  developer's machine and fail under ``CI=true`` (``make test`` prints the book
  first), as the browser tests do for a missing Chromium.

What the PDF must show, each against an independent count:

* every page of ``_toc.yml``, in order: the outline (bookmarks) has each page's
  title, which is the source's ``# `` heading, on pages in the order of the
  table of contents, and that heading's text is on the page the bookmark opens;
* a page count between ``len(_toc) + 2`` (cover and contents, then every page
  of the table of contents starts a sheet) and the text printed / 1000
  characters (an A4 column of 10.5 pt type holds about 5000; under 1000 a page
  on average, three quarters of the paper would be blank: runaway page breaks);
* math typeset by MathJax: no TeX left in the prose (text outside code), and the
  pages of every source with math use MathJax's fonts;
* figures: each page's range holds at least as many embedded images as its
  source displays (distinct PNG outputs, markdown images);
* links inside the book land on a destination that exists, and none points at
  the local server the page was printed from.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PDF = ROOT / "_build" / "pdf" / "book.pdf"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


print_pdf = _load("print_pdf", ROOT / ".ci" / "print_pdf.py")
# The table of contents and the sources as the browser test reads them.
pages_module = _load("browser_test_pages", ROOT / "tests" / "browser" / "test_pages.py")
TOC = pages_module.toc_pages()


def in_ci(environ=os.environ) -> bool:
    """True when CI is set to a true value (the rule of tests/browser/conftest.py)."""
    return environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


# --------------------------------------------------------------------------- the script's logic

def test_pdf_config_makes_local_extensions_absolute_and_adds_itself(tmp_path):
    config = {"title": "T", "sphinx": {"local_extensions": {"dedupe_assets": "_ext"}, "config": {"a": 1}}}
    out = print_pdf.pdf_config(config, tmp_path)
    assert out["sphinx"]["local_extensions"] == {
        "dedupe_assets": str((tmp_path / "_ext").resolve()),
        "print_pdf": str((ROOT / ".ci").resolve()),
    }
    assert out["sphinx"]["config"] == {"a": 1} and out["title"] == "T"
    assert config["sphinx"]["local_extensions"] == {"dedupe_assets": "_ext"}, "the input was modified"


def test_site_root_page_rewrites_only_links_to_the_page_itself():
    html = ('<a href="book/intro.html#document-book/notation">N</a> <a href=\'book/intro.html#x\'>x</a> '
            '<a href="book/intro.htmlx#y">other</a> <link href="_static/book.css"> <a href="#z">z</a>')
    assert print_pdf.site_root_page(html, "book/intro.html") == (
        '<a href="#document-book/notation">N</a> <a href=\'#x\'>x</a> '
        '<a href="book/intro.htmlx#y">other</a> <link href="_static/book.css"> <a href="#z">z</a>')


def _tree():
    """root (ids: top, id1) + book/a (summary, id1) + book/b (summary, id1, id1-dup handled), with references."""
    from docutils import nodes
    from docutils.utils import new_document
    from sphinx import addnodes

    doc = new_document("root")
    root_section = nodes.section(ids=["top"])
    root_section += nodes.target(ids=["id1"])
    doc += root_section
    parts = {}
    for name in ("book/a", "book/b"):
        sof = addnodes.start_of_file(docname=name)
        section = nodes.section(ids=["summary"])
        citation = nodes.citation(ids=["id1"], backrefs=["id2"])
        cite_ref = nodes.reference(ids=["id2"], refid="id1")  # to its own document's id1
        to_root = nodes.reference(refid="top")  # an id only the root document has
        section += [citation, cite_ref, to_root]
        sof += section
        root_section += sof
        parts[name] = (section, citation, cite_ref, to_root)
    cross = nodes.reference(refuri="#document-book/b#id1")  # from the root to book/b's id1
    whole = nodes.reference(refuri="#document-book/a")  # to a whole document: unchanged
    root_section += [cross, whole]
    return doc, parts, cross, whole


def test_unique_ids_renames_repeats_and_follows_them_in_references():
    doc, parts, cross, whole = _tree()
    renamed = print_pdf.unique_ids(doc, "book/intro")
    assert renamed == {
        ("book/a", "id1"): "book-a-id1",
        ("book/b", "summary"): "book-b-summary",
        ("book/b", "id1"): "book-b-id1",
        ("book/b", "id2"): "book-b-id2",
    }
    a_section, a_citation, a_ref, a_to_root = parts["book/a"]
    b_section, b_citation, b_ref, b_to_root = parts["book/b"]
    assert (a_section["ids"], a_citation["ids"], a_ref["ids"]) == (["summary"], ["book-a-id1"], ["id2"])
    assert (b_section["ids"], b_citation["ids"], b_ref["ids"]) == (["book-b-summary"], ["book-b-id1"], ["book-b-id2"])
    # Each citation reference still reaches its own document's citation, and back.
    assert (a_ref["refid"], a_citation["backrefs"]) == ("book-a-id1", ["id2"])
    assert (b_ref["refid"], b_citation["backrefs"]) == ("book-b-id1", ["book-b-id2"])
    # An id the document lacks is the root document's (singlehtml resolves against it).
    assert a_to_root["refid"] == b_to_root["refid"] == "top"
    assert cross["refuri"] == "#book-b-id1"
    assert whole["refuri"] == "#document-book/a"
    all_ids = [i for node in doc.findall() if hasattr(node, "get") and node.get("ids") for i in node["ids"]]
    assert len(all_ids) == len(set(all_ids)) == 8


def test_outline_entries_nest_pages_under_their_part():
    headings = [
        {"level": 1, "anchor": "jb-print-toc", "title": "Contents"},
        {"level": 1, "anchor": "intro", "title": "The book"},
        {"level": 2, "anchor": "covers", "title": "What it covers"},
        {"level": 1, "anchor": "howto", "title": "How to use", "doc": "book/how-to-use"},
        {"level": 1, "anchor": "ch1", "title": "1. Trajectories", "doc": "book/01"},
        {"level": 2, "anchor": "ch1-1", "title": "1.1. Policies"},
        {"level": 3, "anchor": "ch1-1-1", "title": "1.1.1. By hand"},
        {"level": 1, "anchor": "ch2", "title": "2. Tricks", "doc": "book/02"},
        {"level": 1, "anchor": "loose", "title": "Loose page", "doc": "book/loose"},
        {"level": 2, "anchor": "loose-1", "title": "A section"},
    ]
    parts = [("Getting started", ["book/how-to-use"]), ("Theory", ["book/01", "book/02"])]
    assert print_pdf.outline_entries(headings, parts) == [
        (0, "Contents", "jb-print-toc"),
        (0, "The book", "intro"),
        (1, "What it covers", "covers"),
        (0, "Getting started", "howto"),
        (1, "How to use", "howto"),
        (0, "Theory", "ch1"),
        (1, "1. Trajectories", "ch1"),
        (2, "1.1. Policies", "ch1-1"),
        (3, "1.1.1. By hand", "ch1-1-1"),
        (1, "2. Tricks", "ch2"),
        (0, "Loose page", "loose"),
        (1, "A section", "loose-1"),
    ]


def test_add_outline_builds_the_tree_on_named_destinations():
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import Fit

    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(width=595, height=842)
    for name, page, top in (("p0", 0, 800), ("s1", 1, 500), ("s2", 2, 300)):
        writer.add_named_destination(name, page, fit=Fit.xyz(left=0, top=top))
    buffer = io.BytesIO()
    writer.write(buffer)

    rows = [(0, "Part", "s1"), (1, "Chapter", "s1"), (2, "Section", "s2"), (0, "Other", "p0"), (0, "Lost", "nowhere")]
    out, missing = print_pdf.add_outline(buffer.getvalue(), rows, {"/Title": "Book"})
    assert missing == ["nowhere"]
    buffer = io.BytesIO()
    out.write(buffer)
    reader = PdfReader(buffer)
    assert reader.metadata.title == "Book"
    flat = _flatten(reader, reader.outline)
    assert [(d, t, p) for d, t, p, _ in flat] == [(0, "Part", 1), (1, "Chapter", 1), (2, "Section", 2), (0, "Other", 0)]
    assert [round(top) for *_, top in flat] == [500, 500, 300, 800]


# --------------------------------------------------------------------------- the PDF

def _flatten(reader, outline, depth=0):
    """[(depth, title, page index, top)] of a pypdf outline, in order."""
    rows = []
    for item in outline:
        if isinstance(item, list):
            rows.extend(_flatten(reader, item, depth + 1))
        else:
            rows.append((depth, item.title, reader.get_destination_page_number(item), item.top))
    return rows


def norm(text: str) -> str:
    """Compare texts as printed: Unicode compatibility forms (ligatures), plain quotes, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text).strip()


def source_title(doc: str) -> str:
    """The page's ``# `` heading, as the reader sees it: no markdown emphasis, math kept as its letters."""
    line = next(l for l in pages_module.source_text(doc).splitlines() if l.startswith("# "))
    title = re.sub(r"[*_`]", "", line[2:])
    return norm(re.sub(r"\$([^$]*)\$", lambda m: re.sub(r"\\[A-Za-z]+|[{}^]", "", m.group(1)), title))


def shown_images(doc: str) -> int:
    """Distinct images the page shows: PNG outputs of cells that keep their output, markdown images."""
    path = pages_module.source_of(doc)
    if path.suffix != ".ipynb":
        return len(re.findall(r"!\[|\{image\}|\{figure\}", path.read_text(encoding="utf-8")))
    import nbformat

    seen = set()
    for cell in nbformat.read(path, as_version=4).cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type != "code" or tags & {"remove-output", "remove-cell"}:
            continue
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            if png:
                seen.add(hashlib.sha256(png.encode()).hexdigest())
    return len(seen)


class Book:
    """The PDF read once: text of each page (all, and prose only), fonts, images, outline, links."""

    def __init__(self, path: Path):
        from pypdf import PdfReader

        self.reader = PdfReader(path)
        self.n_pages = len(self.reader.pages)
        self.text, self.prose, self.math_pages, self.images = [], [], set(), []
        for index, page in enumerate(self.reader.pages):
            prose: list[str] = []

            def visit(text, cm, tm, font, size, prose=prose):
                # Code is set in a monospaced font; everything else is prose.
                if text and not (font and "Mono" in str(font.get("/BaseFont", ""))):
                    prose.append(text)

            self.text.append(norm(page.extract_text(visitor_text=visit)))
            self.prose.append("".join(prose))
            fonts = (page.get("/Resources") or {}).get("/Font") or {}
            families = {str((f.get_object().get("/FontDescriptor") or {}).get("/FontFamily", "")) for f in fonts.values()}
            if any(family.startswith("MathJax") for family in families):
                self.math_pages.add(index)
            self.images.append(self._images(page.get("/Resources") or {}, set()))
        self.outline = _flatten(self.reader, self.reader.outline)
        self.dests = self.reader.named_destinations

    def _images(self, resources, seen) -> set[int]:
        """Object numbers of the image XObjects drawn from these resources (through forms too)."""
        found = set()
        for ref in ((resources.get("/XObject") or {}).values()):
            if ref.idnum in seen:
                continue
            seen.add(ref.idnum)
            xobject = ref.get_object()
            if xobject.get("/Subtype") == "/Image":
                found.add(ref.idnum)
            elif xobject.get("/Subtype") == "/Form":
                found |= self._images(xobject.get("/Resources") or {}, seen)
        return found

    def links(self):
        for index, page in enumerate(self.reader.pages):
            for annotation in page.get("/Annots") or []:
                annotation = annotation.get_object()
                if annotation.get("/Subtype") == "/Link":
                    yield index, annotation


def _sources_newer_than(path: Path) -> list[str]:
    sources = [pages_module.source_of(doc) for doc in TOC]
    sources += [ROOT / "_toc.yml", ROOT / "_config.yml", ROOT / "_static" / "print.css", ROOT / ".ci" / "print_pdf.py"]
    mtime = path.stat().st_mtime
    return [str(p.relative_to(ROOT)) for p in sources if p.stat().st_mtime > mtime]


@pytest.fixture(scope="module")
def book():
    problem = None
    if not PDF.exists():
        problem = f"{PDF.relative_to(ROOT)} not found: run `make pdf` first"
    elif newer := _sources_newer_than(PDF):
        problem = f"{PDF.relative_to(ROOT)} is older than {', '.join(newer[:5])}: run `make pdf` again"
    if problem:
        if in_ci():
            pytest.fail(f"CI=true and {problem} (make test prints the book before testing it)", pytrace=False)
        pytest.skip(problem)
    return Book(PDF)


@pytest.fixture(scope="module")
def chapters(book):
    """{doc: (first page, last page)} from the outline: the entry whose title is the page's heading."""
    starts = {}
    for doc in TOC:
        title = source_title(doc)
        # A page's bookmark is its title, after the chapter number if it has one ("4. ").
        matches = [page for depth, entry, page, _ in book.outline
                   if depth <= 1 and re.sub(r"^\d+\.\s*", "", norm(entry)) == title]
        assert matches, f"{doc}: no bookmark titled {title!r} in the PDF outline"
        starts[doc] = matches[0]
    order = [starts[doc] for doc in TOC]
    assert order == sorted(order) and len(set(order[1:])) == len(order) - 1, (
        f"the pages do not start in the order of _toc.yml: {list(zip(TOC, order))}")
    ends = order[1:] + [book.n_pages]
    return {doc: (start, max(start, end - 1)) for doc, start, end in zip(TOC, order, ends)}


def test_every_toc_page_is_printed_in_order_under_its_title(book, chapters):
    for doc, (first, _) in chapters.items():
        title = source_title(doc)
        # The heading's words are on the page its bookmark opens (math letters aside);
        # the root page's title is the cover's (print.css hides its repeat).
        page = 0 if doc == TOC[0] else first
        words = [w for w in re.split(r"[^\w'-]+", title) if len(w) > 2]
        missing = [w for w in words if w not in book.text[page]]
        assert not missing, f"{doc}: page {page + 1} lacks {missing} of its title {title!r}"


def test_parts_of_the_table_of_contents_are_bookmarks(book):
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    captions = [norm(part["caption"]) for part in toc.get("parts", []) if part.get("caption")]
    top = [norm(title) for depth, title, _, _ in book.outline if depth == 0]
    positions = [top.index(c) for c in captions if c in top]
    assert len(positions) == len(captions), f"captions {captions} vs top-level bookmarks {top}"
    assert positions == sorted(positions)


def test_page_count_is_sane(book):
    characters = sum(len(t) for t in book.text)
    assert len(TOC) + 2 <= book.n_pages <= characters / 1000, (
        f"{book.n_pages} pages for {len(TOC)} pages of contents and {characters} characters of text")


def test_math_is_typeset(book, chapters):
    # A TeX control word, \( \) \[ \] or a dollar sign in the prose is math MathJax never saw.
    leftovers = [f"page {index + 1}: ...{prose[max(0, m.start() - 40):m.end() + 20]}..."
                 for index, prose in enumerate(book.prose)
                 for m in re.finditer(r"\\[A-Za-z]{2,}|\\[()\[\]]|\$", prose)]
    assert not leftovers, "TeX left untypeset in the text (outside code):\n" + "\n".join(leftovers[:10])
    for doc, (first, last) in chapters.items():
        if pages_module.MATH_SOURCE.search(pages_module.source_text(doc)):
            assert book.math_pages & set(range(first, last + 1)), (
                f"{doc} has math, but its pages {first + 1}-{last + 1} use no MathJax font")


def test_figures_are_embedded(book, chapters):
    total = set()
    for doc, (first, last) in chapters.items():
        images = set().union(*book.images[first:last + 1])
        total |= images
        assert len(images) >= shown_images(doc), (
            f"{doc}: {shown_images(doc)} images in the source, {len(images)} on pages {first + 1}-{last + 1}")
    assert total, "no image at all in the PDF"


def test_links_inside_the_book_work(book, chapters):
    internal, dead, local = 0, [], []
    references = range(chapters[TOC[-1]][0], chapters[TOC[-1]][1] + 1) if TOC[-1].endswith("references") else None
    to_references = 0
    for index, link in book.links():
        if "/Dest" in link:
            internal += 1
            dest = book.dests.get(str(link["/Dest"]))
            if dest is None:
                dead.append((index + 1, str(link["/Dest"])))
            elif references is not None and book.reader.get_destination_page_number(dest) in references:
                to_references += 1
        uri = str((link.get("/A") or {}).get("/URI", ""))
        if re.match(r"https?://(127\.0\.0\.1|localhost)", uri):
            local.append((index + 1, uri))
    assert not dead, f"links to destinations that do not exist (page, name): {dead[:10]}"
    assert not local, f"links to the print server (dead in the PDF): {local[:10]}"
    assert internal >= 100, f"only {internal} links inside the book"
    if references is not None:
        # Citations (author-year) link to their entry on the references page.
        assert to_references >= 50, f"only {to_references} links lead to the references"
