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
  per setting to that file.  ``benchmarks/widgets.py`` uses this to time
  the real callbacks of every chapter against a reference figure.

:func:`figure_once` serves callbacks that build their figure (axes, colour
bars, legends, layout) once and afterwards only change the data of its
artists (``set_data``, ``set_ydata``, ``set_array``, ``set_text``): a slider
move then costs one render instead of building the figure anew.
"""
from __future__ import annotations

import io
import json
import os
import time

import matplotlib.pyplot as plt
from matplotlib._pylab_helpers import Gcf
from matplotlib.backend_bases import FigureManagerBase
from matplotlib.figure import Figure

__all__ = ["live", "figure_once"]


def _render_all():
    # What the inline backend does after a callback: render each open figure to PNG.
    for num in plt.get_fignums():
        plt.figure(num).savefig(io.BytesIO(), format="png")
    plt.close("all")


def _reopen(fig, last):
    # plt.show() (the inline backend) and plt.close() drop a figure from pyplot's list after
    # drawing it and give it a bare canvas; put it back so that the next plt.show() draws it.
    # ``last`` is the manager it had: a window-less one (inline, Agg) is taken back with its
    # canvas, whose renderer keeps the sizes and parsed mathtext of the texts it has drawn
    # (a new canvas would measure and parse them again).
    if fig.canvas.manager is not None and any(m is fig.canvas.manager for m in Gcf.get_all_fig_managers()):
        Gcf.set_active(fig.canvas.manager)                     # still open
    elif (last is not None and type(last) is FigureManagerBase and last.canvas.figure is fig
          and not plt.fignum_exists(last.num)):
        fig.set_canvas(last.canvas)
        Gcf.set_active(last)
    else:                                                       # a GUI window, or the number is taken
        fig.canvas.manager = None
        plt.figure(fig)
    return fig.canvas.manager


def figure_once(build):
    """Wrap a figure builder so that the figure is built on the first call only.

    ``build()`` takes no arguments, creates a figure with all its fixed parts
    (axes, labels, colour bars, legends, empty artists to be filled) and
    returns either the ``Figure`` or a tuple whose first item is the
    ``Figure`` followed by the artists a callback will update.  The returned
    function ``parts()`` calls ``build()`` the first time and afterwards
    returns the same object, each time making the figure pyplot's current,
    open figure again -- so that ``plt.show()``, the inline backend and
    :func:`live` draw it even though an earlier ``plt.show()`` or
    ``plt.close()`` closed it.  A widget callback then reads
    ``fig, line, ... = parts()`` and only sets data.

    Use as a decorator on the builder; re-running the cell that defines it
    starts a fresh figure.

    Raises ValueError (on the first call) if ``build()`` returns neither a
    Figure nor a tuple starting with one.
    """
    made = []

    def parts():
        if not made:
            result = build()
            fig = result[0] if isinstance(result, tuple) and result else result
            if not isinstance(fig, Figure):
                raise ValueError(f"{getattr(build, '__name__', 'build')}() must return a matplotlib Figure "
                                 f"or a tuple whose first item is the Figure, got {type(result).__name__}")
            made[:] = [fig, result, None]
        fig, result, last = made
        made[2] = _reopen(fig, last)
        return result

    parts.__name__ = getattr(build, "__name__", "parts")
    parts.__doc__ = build.__doc__
    return parts


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
