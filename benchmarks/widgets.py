"""Latency of every widget callback in the book, as a ratio to a reference figure.

Widget latency is mostly matplotlib drawing, so milliseconds depend on the
machine and on what else it is doing.  This benchmark therefore measures each
callback against a reference drawn in the same kernel, right before and right
after that callback's own timings: a fresh two-panel figure (left: three curves
with a legend; right: an image with a colour bar; ``tight_layout``; rendered to
PNG), in matplotlib's default style so that no chapter's settings change it.

Each chapter notebook is executed in memory (nothing is written back) with
``PGLIB_WIDGET_TIMINGS`` set, so that each ``pglib.widgets.live`` call times its
update function, drawing and PNG render included, at the default settings and
with each control at its extremes (median of ``CALLBACK_REPEATS`` calls).  A
cell added before the chapter renders the reference once (warm-up) and wraps
pglib's timing hook so that ``REFERENCE_RENDERS`` reference renders run just
before and just after each widget is timed; the widget's reference time is the
median of those.
Each line prints the callback's milliseconds and their ratio to that
reference; the target is a ratio of at most ``TARGET_RATIO``.

``--clock cpu`` (default) times callbacks and reference with the kernel's CPU
time (``time.process_time``): on an idle machine it is close to what a reader
waits (drawing is single-threaded and reads no file), and on a busy machine it
moves far less than wall time.  ``--clock wall`` times with ``time.perf_counter``
as pglib's hook does by itself; on a shared machine its ratios move with the load
(seen here at a load of 16 on 2 cores: chapter 9's settings gave wall ratios of
0.75-1.10 and, in the next run, CPU ratios of 0.68-0.73).

Run: ``.venv/bin/python benchmarks/widgets.py [--clock cpu|wall] [notebooks...]``
(``make bench`` runs it on every chapter).
"""
import argparse
import json
import os
import pathlib
import statistics
import sys
import tempfile

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

TARGET_RATIO = 0.5
REFERENCE_RENDERS = 5
CALLBACK_REPEATS = 5  # pglib's hook takes the median of this many calls per setting
ROOT = pathlib.Path(__file__).resolve().parent.parent

# Runs first in each chapter's kernel. Data are made before the clock starts; the
# clock covers building, laying out and rendering the figure, as for a callback.
SETUP_CELL = '''
def _pglib_bench_setup(renders, repeats, clock_name):
    import functools, inspect, io, json, os, time, types
    import matplotlib
    import matplotlib.pyplot as plt
    import numpy as np
    import pglib.widgets

    clock = {"wall": time.perf_counter, "cpu": time.process_time}[clock_name]
    log = os.environ["PGLIB_WIDGET_TIMINGS"]
    x = np.linspace(0.0, 1.0, 200)
    curves = [np.sin(2 * np.pi * (k + 1) * x) * np.exp(-k * x) for k in range(3)]
    image = np.random.default_rng(0).standard_normal((40, 40)).cumsum(axis=0)

    def render():
        start = clock()
        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
        for k, y in enumerate(curves):
            left.plot(x, y, label=f"curve {k}")
        left.set_xlabel("x")
        left.set_ylabel("y")
        left.set_title("lines")
        left.legend()
        shown = right.imshow(image, cmap="viridis")
        fig.colorbar(shown, ax=right)
        right.set_title("image")
        fig.tight_layout()
        fig.savefig(io.BytesIO(), format="png")
        elapsed = clock() - start
        plt.close(fig)
        return elapsed

    def reference(label):
        with matplotlib.style.context("default"):
            times = [render() for _ in range(renders)]
        with open(log, "a", encoding="utf-8") as fh:
            for t in times:
                fh.write(json.dumps({"reference": label, "ms": 1000 * t}) + "\\n")

    with matplotlib.style.context("default"):
        render()  # warm-up: font cache, first imports
    # pglib's hook times with time.perf_counter; under --clock cpu it reads the CPU clock instead.
    if clock_name != "wall":
        pglib.widgets.time = types.SimpleNamespace(perf_counter=clock)
    hook = pglib.widgets._time_settings
    takes_repeats = "repeats" in inspect.signature(hook).parameters

    @functools.wraps(hook)
    def bracketed(name, *args, **kwargs):
        if takes_repeats:
            kwargs["repeats"] = repeats
        reference(name)
        hook(name, *args, **kwargs)
        reference(name)

    pglib.widgets._time_settings = bracketed
'''


def run_notebook(path, log, clock):
    """Execute one notebook behind the set-up cell.

    Returns ({widget: reference ms list}, widget rows, error): a notebook that
    fails part-way still reports the widgets timed before the failing cell.
    """
    nb = nbformat.read(path, as_version=4)
    setup = nbformat.v4.new_code_cell(SETUP_CELL + f"_pglib_bench_setup({REFERENCE_RENDERS}, {CALLBACK_REPEATS}, {clock!r})\n")
    nb.cells = [setup, *nb.cells]
    error = None
    try:
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    except CellExecutionError as exc:
        error = f"{exc.ename}: {exc.evalue}"
    rows = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    log.unlink(missing_ok=True)
    reference = {}
    for row in rows:
        if "reference" in row:
            reference.setdefault(row["reference"], []).append(row["ms"])
    return reference, [row for row in rows if "reference" not in row], error


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    parser.add_argument("notebooks", nargs="*")
    args = parser.parse_args(argv)
    paths = [pathlib.Path(p) for p in args.notebooks] or sorted((ROOT / "book").glob("[0-9]*.ipynb"))
    try:
        load = " (load average {:.1f} {:.1f} {:.1f})".format(*os.getloadavg())
    except OSError:
        load = ""
    print(f"Reference: a fresh two-panel figure (lines with legend | image with colour bar, tight layout, PNG),\n"
          f"{REFERENCE_RENDERS} renders just before and {REFERENCE_RENDERS} just after each widget's timings, "
          f"same kernel. Clock: {args.clock}{load}.")
    print(f"Ratio = callback ms / median reference ms; target <= {TARGET_RATIO}.\n")

    summary, failed = [], []
    with tempfile.TemporaryDirectory() as tmp:
        log = pathlib.Path(tmp) / "timings.jsonl"
        os.environ["PGLIB_WIDGET_TIMINGS"] = str(log)
        for path in paths:
            reference, widgets, error = run_notebook(path, log, args.clock)
            print(f"{path.name}:")
            if error:
                print(f"  the notebook failed (widgets after that cell not timed): {error}")
                failed.append(path.name)
            if not widgets:
                print("  (no widgets)")
            by_widget = {}
            for row in widgets:
                by_widget.setdefault(row["widget"], []).append(row)
            for name, rows in by_widget.items():
                ref = reference[name]
                ref_ms = statistics.median(ref)
                print(f"  {name}: reference {ref_ms:.1f} ms (renders {min(ref):.1f}-{max(ref):.1f} ms)")
                for row in rows:
                    ratio = row["ms"] / ref_ms
                    flag = "ok  " if ratio <= TARGET_RATIO else "SLOW"
                    print(f"    {flag} {row['setting']:<26} {row['ms']:7.1f} ms  {ratio:5.2f}")
                ms = [row["ms"] for row in rows]
                summary.append((path.stem, name, ref_ms, min(ms), max(ms)))

    if summary:
        print(f"\nSummary ({args.clock} clock; range over settings; "
              f"ratio to the widget's reference, target <= {TARGET_RATIO}):")
        print(f"  {'chapter':<24} {'widget':<28} {'reference ms':>12} {'ms':>11} {'ratio':>11}")
        for chapter, name, ref_ms, lo, hi in summary:
            flag = "" if hi / ref_ms <= TARGET_RATIO else "  over target"
            print(f"  {chapter:<24} {name:<28} {ref_ms:12.0f} {f'{lo:.0f}-{hi:.0f}':>11} "
                  f"{f'{lo / ref_ms:.2f}-{hi / ref_ms:.2f}':>11}{flag}")
        worst = max(hi / ref_ms for _, _, ref_ms, _, hi in summary)
        print(f"\nWorst ratio {worst:.2f} (target {TARGET_RATIO}).")
    if failed:
        print(f"Notebooks that failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
