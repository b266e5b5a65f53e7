"""Put the alternative text of every figure into the chapters' cell metadata, or check that it is there.

The web book shows each figure as the ``<img>`` that myst-nb writes for a
stored ``image/png`` output. myst-nb (1.4, ``myst_nb/core/render.py``,
``render_image``) takes that image's options from the cell's metadata under
``mystnb.image`` (``NbParserConfig.cell_metadata_key`` = ``"mystnb"``, and the
``cell_key`` of ``render_image_options`` = ``"image"``), so ::

    "metadata": {"mystnb": {"image": {"alt": "Two panels: ..."}}}

becomes ``<img alt="Two panels: ...">``. (A cell-level ``image`` dict replaces
the global ``nb_render_image_options`` rather than merging with it; the book
sets none.) One text per cell: every image output of the cell gets it.

The texts live in ``.ci/alt_text.json``, keyed by notebook file name and cell
id (``cell["id"]``): ``{"01_trajectories.ipynb": {"32c2545f": "..."}}``. That
file is the single source; this script copies it into the notebooks. It
changes nothing else, writes a notebook only when a text changed (so running
it twice is a no-op), and keeps any other ``mystnb`` options of the cell.

Usage::

    .venv/bin/python .ci/set_alt_text.py            # apply to book/[0-9]*.ipynb
    .venv/bin/python .ci/set_alt_text.py --check    # report, change nothing
    .venv/bin/python .ci/set_alt_text.py book/03_causality.ipynb

``--check`` lists every image output whose cell has no (or an empty) alt
text, and every cell whose alt text differs from the JSON; both modes list
entries of the JSON that name a missing notebook or cell, or a cell without an
image output (stale after an edit). The exit status is 1 when anything is
listed (in apply mode: a stale entry or an image left without alt text).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
TEXTS = ROOT / ".ci" / "alt_text.json"
IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml")


def chapter_notebooks() -> list[Path]:
    return sorted((ROOT / "book").glob("[0-9]*.ipynb"))


def load_texts(path: Path = TEXTS) -> dict[str, dict[str, str]]:
    texts = json.loads(path.read_text(encoding="utf-8"))
    for notebook, cells in texts.items():
        for cell_id, text in cells.items():
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"{path.name}: {notebook} cell {cell_id}: the alt text must be a non-empty string")
    return texts


def has_image(cell) -> bool:
    return cell.get("cell_type") == "code" and any(
        mime in out.get("data", {}) for out in cell.get("outputs", []) for mime in IMAGE_MIMES
    )


def alt_of(cell) -> str:
    """The alt text myst-nb will use for the cell's images ('' when there is none)."""
    image = (cell.get("metadata", {}).get("mystnb") or {}).get("image") or {}
    alt = image.get("alt", "") if isinstance(image, dict) else ""
    return alt if isinstance(alt, str) else ""


def set_alt(cell, text: str) -> bool:
    """Store `text` as the cell's image alt; True if that changed the cell."""
    if alt_of(cell) == text:
        return False
    mystnb = cell.metadata.setdefault("mystnb", {})
    image = mystnb.setdefault("image", {})
    image["alt"] = text
    return True


def process(path: Path, texts: dict[str, str], check: bool) -> list[str]:
    """Apply (or, with check, compare) the texts of one notebook; return the problems found."""
    problems = []
    nb = nbformat.read(path, as_version=4)
    cells = {cell.get("id"): cell for cell in nb.cells}
    for cell_id in texts:
        if cell_id not in cells:
            problems.append(f"{path.name}: alt_text.json names cell {cell_id}, which the notebook does not have")
        elif not has_image(cells[cell_id]):
            problems.append(f"{path.name}: alt_text.json names cell {cell_id}, which has no image output")
    changed = 0
    for index, cell in enumerate(nb.cells):
        if not has_image(cell):
            continue
        wanted = texts.get(cell.get("id"))
        if check:
            if not alt_of(cell).strip():
                problems.append(f"{path.name}: cell {index} (id {cell.get('id')}) has an image output without alt text")
            elif wanted is not None and alt_of(cell) != wanted:
                problems.append(f"{path.name}: cell {index} (id {cell.get('id')}): alt text differs from alt_text.json")
        elif wanted is not None:
            changed += set_alt(cell, wanted)
        elif not alt_of(cell).strip():
            problems.append(f"{path.name}: cell {index} (id {cell.get('id')}) has an image output and no entry "
                            "in alt_text.json")
    if changed:
        nbformat.validate(nb)
        nbformat.write(nb, path)
        print(f"{path.name}: alt text set on {changed} cells")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: book/[0-9]*.ipynb")
    parser.add_argument("--check", action="store_true", help="report missing or outdated alt texts, change nothing")
    args = parser.parse_args(argv)
    texts = load_texts()
    paths = [p.resolve() for p in args.notebooks] or chapter_notebooks()
    problems = []
    if not args.notebooks:
        names = {p.name for p in paths}
        problems += [f"alt_text.json names {name}, which is not a chapter notebook" for name in texts if name not in names]
    for path in paths:
        problems += process(path, texts.get(path.name, {}), args.check)
    for line in problems:
        print(line, file=sys.stderr)
    if not problems and args.check:
        n = sum(has_image(c) for p in paths for c in nbformat.read(p, as_version=4).cells)
        print(f"alt text present on all {n} figure cells of {len(paths)} notebooks")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
