"""Precomputed frames: a widget experiment that still moves on a page with no kernel.

A widget callback ``update(**settings)`` draws a figure.  With a kernel,
:func:`pglib.widgets.live` redraws it whenever a control moves.  The web book
has no kernel, so :func:`slider` draws the figure ahead of time, once for each
value ``x_1, ..., x_m`` of one control (the others stay at the callback's
defaults), when the notebook is executed:

    frame_i = PNG of update(control=x_i),    i = 1, ..., m.

The cell's output carries three representations of the same experiment:

* ``image/png``: the frame at the callback's default value -- exactly the
  figure a plain ``update(); plt.show()`` would show.  JupyterLab, nbconvert
  and the PDF show this one (they do not know the third type).
* ``text/plain``: one line naming the control and its values.
* ``application/vnd.pglib.frames.v1+text`` (:data:`MIME`): JSON with the
  control's label, the values as shown, the index of the default frame and
  every frame as base64 PNG.

For the web book, :class:`MystNbFrames` (registered with myst-nb through the
``myst_nb.mime_renderers`` entry point in ``pyproject.toml``) turns the third
type into every frame as an image file of the site plus a range input; the
site's ``_static/frames.js`` swaps the visible frame as the input moves (mouse
or arrow keys) and shows the value beside it.  Nothing is drawn by hand and
nothing is fetched from another site: the frames are the callback's own
output at execution time.

The MIME type is deliberately not ``+json``: notebooks then store the payload
as text, and nbval's sanitizer (``.ci/nbval_sanitize.cfg``) can blank the
base64 images (which, like every image output, are not compared) while still
comparing the control, the values and the default index.
"""
from __future__ import annotations

import base64
import html
import inspect
import json
import numbers

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["MIME", "Frames", "slider", "MystNbFrames"]

MIME = "application/vnd.pglib.frames.v1+text"


def _png(fig) -> bytes:
    # The bytes the inline backend would publish for this figure: IPython's own formatter
    # inside a kernel (with the inline backend's dpi and bbox settings), the same
    # print_figure call outside one.
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except ImportError:                                   # pragma: no cover - IPython ships with ipywidgets
        shell = None
    if shell is not None:
        data, _ = shell.display_formatter.format(fig, include={"image/png"})
        png = data.get("image/png")
        if png is not None:
            return png if isinstance(png, bytes) else base64.b64decode(png)
    from IPython.core.pylabtools import print_figure
    return print_figure(fig, "png", bbox_inches="tight")


def _same(a, b) -> bool:
    if isinstance(a, numbers.Real) and isinstance(b, numbers.Real) and not isinstance(a, bool):
        return bool(np.isclose(float(a), float(b), rtol=1e-12, atol=1e-12))
    return a == b


class Frames:
    """The frames of one control, displayed as described in the module docstring.

    Attributes
    ----------
    label : str            the control's name as shown beside the slider
    values : tuple         the m values, in slider order
    texts : tuple of str   how each value is shown
    default : int          index of the callback's default value in ``values``
    pngs : tuple of bytes  the m frames, PNG
    """

    def __init__(self, label, values, texts, default, pngs):
        self.label, self.values, self.texts = label, tuple(values), tuple(texts)
        self.default, self.pngs = int(default), tuple(pngs)

    def payload(self) -> str:
        return json.dumps({"label": self.label, "texts": list(self.texts), "default": self.default,
                           "frames": [base64.b64encode(p).decode("ascii") for p in self.pngs]})

    def __repr__(self):
        return (f"{len(self.values)} precomputed frames of {self.label} = "
                f"{self.texts[0]} … {self.texts[-1]} (default {self.texts[self.default]})")

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"image/png": base64.b64encode(self.pngs[self.default]).decode("ascii"),
                "text/plain": repr(self), MIME: self.payload()}, {}


def slider(update, control, values, *, label=None, fmt="{}"):
    """Draw ``update(**{control: x})`` for every ``x`` in ``values``; return the frames.

    Parameters
    ----------
    update : callable
        A widget callback: draws one matplotlib figure from keyword settings,
        all of which have defaults (as the callbacks given to
        :func:`pglib.widgets.live`).
    control : str
        The keyword argument the slider moves; the others keep their defaults.
    values : sequence, length m >= 2
        Distinct values of ``control``, in slider order; the callback's default
        value of ``control`` must be one of them (that frame is shown first).
    label : str, optional
        The control's name beside the slider (default: ``control``).
    fmt : str
        ``str.format`` pattern for each value as shown, e.g. ``"{:.2f}"``.

    Returns
    -------
    Frames
        Displayed by Jupyter as the default frame (plus the frames for the web
        book, see the module docstring).

    Raises ValueError if ``update`` is not callable, ``control`` is not one of
    its keyword arguments with a default, ``values`` has fewer than two or
    repeated entries or misses that default, or a call leaves other than one
    open figure.  Whatever ``update`` raises propagates.
    """
    if not callable(update):
        raise ValueError(f"update must be callable, got {type(update).__name__}")
    name = getattr(update, "__name__", "update")
    param = inspect.signature(update).parameters.get(control)
    if param is None or param.default is inspect.Parameter.empty:
        raise ValueError(f"{control!r} is not a keyword argument with a default of {name}()")
    values = list(values)                       # a copy: the caller's sequence is never changed
    if len(values) < 2:
        raise ValueError(f"values must hold at least two settings of {control!r}, got {len(values)}")
    for i in range(len(values)):
        for j in range(i):
            if _same(values[i], values[j]):
                raise ValueError(f"values of {control!r} repeat {values[i]!r} (positions {j} and {i})")
    default = [i for i, v in enumerate(values) if _same(v, param.default)]
    if not default:
        raise ValueError(f"values of {control!r} must include {name}()'s default {param.default!r}")
    if not isinstance(fmt, str):
        raise ValueError(f"fmt must be a str.format pattern, got {type(fmt).__name__}")

    pngs = []
    for value in values:
        before = set(plt.get_fignums())
        update(**{control: value})
        opened = [n for n in plt.get_fignums() if n not in before]
        if len(opened) != 1:
            for n in opened:
                plt.close(n)
            raise ValueError(f"{name}({control}={value!r}) left {len(opened)} new open figures; "
                             "a frame needs exactly one")
        fig = plt.figure(opened[0])
        pngs.append(_png(fig))
        plt.close(fig)                          # figure_once reopens it on the next call
    texts = [fmt.format(v) for v in values]
    return Frames(label or control, values, texts, default[0], pngs)


class MystNbFrames:
    """myst-nb renderer of :data:`MIME` for the HTML builders (see the module docstring).

    Each frame becomes an image of the site (myst-nb's own image writer: hashed
    file names, the cell's ``mystnb.image`` options, its ``alt`` text followed
    by the setting); every frame but the default one carries the class
    ``pglib-frame-hidden``.  The range input is written hidden
    (``pglib-frames-control``) and revealed by ``_static/frames.js``, so a page
    without scripts shows the default figure alone.
    """

    mime_priority_overrides = [("html", MIME, 5), ("dirhtml", MIME, 5)]

    @staticmethod
    def handle_mime(renderer, data, inline):
        if inline or data.mime_type != MIME:
            return None
        from docutils import nodes
        from myst_nb.core.render import MimeData

        spec = json.loads(data.string)
        label, texts, default = spec["label"], spec["texts"], spec["default"]
        uid = f"pglib-frames-{data.cell_index}-{data.output_index}"
        box = nodes.container(classes=["pglib-frames"], ids=[uid])
        images = []
        for i, (text, frame) in enumerate(zip(texts, spec["frames"])):
            image = renderer.render_image(MimeData("image/png", frame, cell_metadata=data.cell_metadata,
                                                   output_metadata={}, cell_index=data.cell_index,
                                                   output_index=data.output_index, line=data.line))[0]
            alt = image.get("alt", "Figure").rstrip(". ")
            image["alt"] = f"{alt}, at {label} = {text}."
            image["classes"] += ["pglib-frame"] + ([] if i == default else ["pglib-frame-hidden"])
            images.append(image)
        esc = lambda s: html.escape(str(s), quote=True)
        control = (
            f'<div class="pglib-frames-control" hidden>'
            f'<label for="{uid}-input">{esc(label)}</label>'
            f'<input type="range" id="{uid}-input" min="0" max="{len(texts) - 1}" step="1" value="{default}"'
            f' aria-valuetext="{esc(label)} = {esc(texts[default])}"'
            f' data-label="{esc(label)}" data-texts="{esc(json.dumps(texts))}">'
            f'<output for="{uid}-input" aria-live="polite">{esc(label)} = {esc(texts[default])}</output>'
            f'<span class="pglib-frames-note">precomputed: {len(texts)} settings</span></div>')
        box += nodes.raw("", control, format="html")
        box.extend(images)
        return [box]
