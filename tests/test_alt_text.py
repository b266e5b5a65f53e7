"""Every figure of the book has alternative text, where myst-nb reads it.

The chapters' figures are stored ``image/png`` outputs; the web page shows
each one as an ``<img>`` whose ``alt`` myst-nb takes from the cell's metadata
(``mystnb.image.alt``). The texts are kept in ``.ci/alt_text.json`` and copied
into the notebooks by ``.ci/set_alt_text.py`` (run it after adding a figure).
"""

import json
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "book").glob("[0-9]*.ipynb"))
IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml")
MAX_CHARS = 300   # a screen reader reads all of it: say what the figure shows, not everything in it


def image_cells(path):
    nb = nbformat.read(path, as_version=4)
    return [(i, c) for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and any(m in o.get("data", {}) for o in c.outputs for m in IMAGE_MIMES)]


def rendered_alt(cell):
    """The alt text myst-nb itself resolves for the cell's images (its own cell-level config lookup)."""
    from myst_nb.core.config import NbParserConfig

    warnings = []
    options = NbParserConfig().get_cell_level_config(
        "render_image_options", cell.metadata, lambda msg, subtype: warnings.append(msg)
    )
    assert not warnings, f"myst-nb rejects the cell's image options: {warnings}"
    return options.get("alt", "")


def test_chapters_exist():
    assert NOTEBOOKS, "no chapter notebooks found in book/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_has_alt_text(path):
    missing, too_long = [], []
    for index, cell in image_cells(path):
        alt = rendered_alt(cell)
        if not isinstance(alt, str) or not alt.strip():
            missing.append(f"cell {index} (id {cell.get('id')})")
        elif len(alt) > MAX_CHARS:
            too_long.append(f"cell {index} (id {cell.get('id')}): {len(alt)} characters")
    assert not missing, (
        f"{path.name}: figures without alt text: {', '.join(missing)}. Add them to .ci/alt_text.json "
        "and run `.venv/bin/python .ci/set_alt_text.py`"
    )
    assert not too_long, f"{path.name}: alt texts over {MAX_CHARS} characters: {too_long}"


def test_alt_text_json_names_existing_figures():
    """Each entry of .ci/alt_text.json names a chapter and a cell of it that has a figure (none is stale)."""
    texts = json.loads((ROOT / ".ci" / "alt_text.json").read_text(encoding="utf-8"))
    by_name = {p.name: p for p in NOTEBOOKS}
    stale = []
    for name, cells in texts.items():
        if name not in by_name:
            stale.append(f"{name} (no such chapter)")
            continue
        with_images = {c.get("id") for _, c in image_cells(by_name[name])}
        stale += [f"{name} cell {cid}" for cid in cells if cid not in with_images]
    assert not stale, f"alt_text.json entries that name no figure: {stale}"


def test_set_alt_text_check_agrees():
    """`.ci/set_alt_text.py --check` finds the notebooks and alt_text.json in agreement."""
    sys.path.insert(0, str(ROOT / ".ci"))
    try:
        import set_alt_text
    finally:
        sys.path.pop(0)
    assert set_alt_text.main(["--check"]) == 0
