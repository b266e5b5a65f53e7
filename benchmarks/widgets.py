"""Latency of every widget callback in the book, against the 100 ms budget.

Executes each chapter notebook (in memory; nothing is written back) with
``PGLIB_WIDGET_TIMINGS`` set, so that each ``pglib.widgets.live`` call times
its update function, drawing included, at the default settings and with
each control at its extremes (median of 3).  Prints one line per widget and
setting.  Run: ``.venv/bin/python benchmarks/widgets.py [notebooks...]``.
"""
import json
import os
import pathlib
import sys
import tempfile

import nbformat
from nbclient import NotebookClient

BUDGET_MS = 100.0
ROOT = pathlib.Path(__file__).resolve().parent.parent


def main(paths):
    paths = [pathlib.Path(p) for p in paths] or sorted((ROOT / "book").glob("[0-9]*.ipynb"))
    with tempfile.TemporaryDirectory() as tmp:
        log = pathlib.Path(tmp) / "timings.jsonl"
        os.environ["PGLIB_WIDGET_TIMINGS"] = str(log)
        for path in paths:
            nb = nbformat.read(path, as_version=4)
            NotebookClient(nb, timeout=600, kernel_name="python3",
                           resources={"metadata": {"path": str(path.parent)}}).execute()
            rows = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
            log.unlink(missing_ok=True)
            print(f"{path.name}:")
            if not rows:
                print("  (no widgets)")
            for row in rows:
                flag = "ok " if row["ms"] <= BUDGET_MS else "SLOW"
                print(f"  {flag} {row['widget']:<28} {row['setting']:<22} {row['ms']:7.1f} ms")


if __name__ == "__main__":
    main(sys.argv[1:])
