"""Drop run-dependent metadata from executed notebooks, so that re-executing them changes only what the code changed.

Removed: per-cell execution timestamps (``metadata.execution``) and the saved
widget state (``metadata.widgets``, new model ids on every run; the web page
does not show widgets, and a local kernel recreates them).  Outputs are kept:
they are the book, and nbval compares them.

So that a notebook opened in JupyterLab (``make lab``) reads well and is not
marked modified before the student touches it:

* the kernelspec's display name is the one JupyterLab writes back,
  ``Python 3 (ipykernel)`` (ipykernel's kernelspec), not nbconvert's
  ``Python 3``: the difference alone marked every chapter modified on opening;
* every cell has an id (nbformat 4.5; ``nbformat.read`` gives one to a cell
  that lacks it, and it is written back), which JupyterLab would otherwise add;
* the stored output of a widget cell (a ``widget-view`` output whose text
  fallback is the repr ``VBox(children=(HBox(...``, shown as such while the
  widget model does not exist) is replaced by a one-line hint.  Widget cells
  are tagged ``nbval-ignore-output`` (their output is volatile), so nbval does
  not compare it; a widget output in an untagged cell is left alone, with a
  warning.

Usage: python .ci/clean_notebooks.py book/*.ipynb
"""
import sys

import nbformat
from nbformat.v4.nbbase import random_cell_id

# ipykernel's kernelspec (`python -m ipykernel install`, the kernel in .venv) is named
# "python3" and displayed as "Python 3 (ipykernel)"; JupyterLab stores that display name.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_HINT = "Interactive figure: run this cell (after the cells above) to get its sliders."


def widget_hint_output():
    return nbformat.v4.new_output("display_data", data={"text/plain": WIDGET_HINT})


def clean(path):
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("widgets", None)
    if nb.metadata.get("kernelspec", {}).get("name", "python3") == "python3":
        nb.metadata["kernelspec"] = dict(KERNELSPEC)
    if nb.nbformat_minor < 5:               # 4.4 and older have no cell ids: add them
        nb.nbformat_minor = 5
        for cell in nb.cells:
            cell.setdefault("id", random_cell_id())
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        if any(WIDGET_MIME in out.get("data", {}) for out in cell.outputs):
            if "nbval-ignore-output" in cell.metadata.get("tags", []):
                cell.outputs = [widget_hint_output()]
            else:
                print(f"warning: {path} cell {i}: widget output in a cell not tagged "
                      "nbval-ignore-output; left as it is", file=sys.stderr)
    nbformat.validate(nb)
    nbformat.write(nb, path)


if __name__ == "__main__":
    for p in sys.argv[1:]:
        clean(p)
