"""Drop run-dependent metadata from executed notebooks, so that re-executing them changes only what the code changed.

Removed: per-cell execution timestamps (``metadata.execution``) and the saved
widget state (``metadata.widgets``, new model ids on every run; the web page
does not show widgets, and a local kernel recreates them).  Outputs are kept:
they are the book, and nbval compares them.

Usage: python .ci/clean_notebooks.py book/*.ipynb
"""
import sys

import nbformat


def clean(path):
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)


if __name__ == "__main__":
    for p in sys.argv[1:]:
        clean(p)
