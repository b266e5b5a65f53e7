"""Widget experiments that fail loudly and can be timed.

:func:`live` wires an update function (one that draws a figure from keyword
settings) to ipywidgets controls.  Two things distinguish it from plain
``ipywidgets.interactive_output``:

* The first call, at the controls' default values, happens when the cell
  runs; if it raises, :func:`live` re-raises, so nbval fails even though the
  widget cell's output is not compared.  (ipywidgets would only print the
  traceback inside the widget.)
* When the environment variable ``PGLIB_WIDGET_TIMINGS`` names a file, each
  :func:`live` call also times the update (drawing included) at the default
  values and with each control at its extremes, and appends one JSON line
  per setting to that file.  ``benchmarks/widgets.py`` uses this to check
  the 100 ms budget on the real callbacks of every chapter.
"""
from __future__ import annotations

import io
import json
import os
import time

import matplotlib.pyplot as plt

__all__ = ["live"]


def _render_all():
    # What the inline backend does after a callback: render each open figure to PNG.
    for num in plt.get_fignums():
        plt.figure(num).savefig(io.BytesIO(), format="png")
    plt.close("all")


def _extremes(control):
    for attr in ("min", "max"):
        if hasattr(control, attr):
            yield attr, getattr(control, attr)
    options = getattr(control, "options", None)
    if options:
        values = [o[1] if isinstance(o, tuple) else o for o in options]
        yield "first", values[0]
        yield "last", values[-1]


def _time_settings(name, update, controls, path, repeats=3):
    defaults = {k: c.value for k, c in controls.items()}
    settings = [("default", defaults)]
    for key, control in controls.items():
        for label, value in _extremes(control):
            settings.append((f"{key}={label}", {**defaults, key: value}))
    with open(path, "a", encoding="utf-8") as fh:
        for label, kwargs in settings:
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                update(**kwargs)
                _render_all()
                times.append(time.perf_counter() - start)
            fh.write(json.dumps({"widget": name, "setting": label,
                                 "ms": 1000 * sorted(times)[len(times) // 2]}) + "\n")


def live(update, name=None, **controls):
    """Return a widget box running ``update(**values)`` whenever a control changes.

    Parameters
    ----------
    update : callable
        Draws a figure from keyword arguments named like the controls.
    name : str, optional
        Label used in the timing file (defaults to ``update.__name__``).
    **controls : ipywidgets value widgets (sliders, dropdowns, checkboxes)

    Raises whatever ``update`` raises at the default values.
    """
    import ipywidgets as widgets

    errors = []

    def guarded(**kwargs):
        try:
            update(**kwargs)
            plt.show()
        except Exception as exc:  # shown in the widget; re-raised below for the first call
            errors.append(exc)
            raise

    out = widgets.interactive_output(guarded, controls)
    if errors:
        raise errors[0]
    path = os.environ.get("PGLIB_WIDGET_TIMINGS")
    if path:
        _time_settings(name or update.__name__, update, controls, path)
    return widgets.VBox([widgets.HBox(list(controls.values()),
                                      layout=widgets.Layout(flex_flow="row wrap")), out])
