"""pglib.frames: frames drawn by the callback itself, checked against the colours they must show."""
import base64
import io
import json

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from pglib.frames import MIME, MystNbFrames, slider
from pglib.widgets import figure_once

CMAP = plt.get_cmap("viridis")


def _pixels(png):
    return plt.imread(io.BytesIO(png))


def show_fresh(level=0.5, title="t"):
    # A callback that builds its figure on every call: one constant image, coloured by `level`.
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.imshow(np.full((4, 4), level), cmap=CMAP, vmin=0, vmax=1)
    ax.set_axis_off()
    ax.set_title(title)


@figure_once
def _parts():
    fig, ax = plt.subplots(figsize=(2, 2))
    image = ax.imshow(np.zeros((4, 4)), cmap=CMAP, vmin=0, vmax=1)
    ax.set_axis_off()
    text = ax.set_title("t")
    return fig, image, text


def show_once(level=0.5, title="t"):
    # The same picture from a figure built once (the book's widgets).
    fig, image, text = _parts()
    image.set_data(np.full((4, 4), level))
    text.set_text(title)


LEVELS = [0.0, 0.25, 0.5, 0.75, 1.0]


@pytest.mark.parametrize("update", [show_fresh, show_once])
def test_each_frame_shows_the_colour_of_its_setting(update):
    plt.close("all")
    frames = slider(update, "level", LEVELS, label="λ", fmt="{:.2f}")
    assert plt.get_fignums() == []                  # nothing left for the inline backend to show twice
    assert frames.texts == ("0.00", "0.25", "0.50", "0.75", "1.00")
    assert frames.default == 2 and frames.label == "λ"
    for level, png in zip(LEVELS, frames.pngs):
        rgba = _pixels(png)
        centre = rgba[rgba.shape[0] // 2, rgba.shape[1] // 2, :3]
        # The colour map's own answer for this level, to the PNG's 8-bit resolution.
        np.testing.assert_allclose(centre, CMAP(level)[:3], atol=1 / 255 + 1e-6)


def test_figure_built_once_draws_the_same_frames_as_a_fresh_figure():
    plt.close("all")
    once = slider(show_once, "level", LEVELS)
    fresh = slider(show_fresh, "level", LEVELS)
    for a, b in zip(once.pngs, fresh.pngs):
        np.testing.assert_array_equal(_pixels(a), _pixels(b))


def test_default_frame_is_the_figure_at_the_defaults():
    plt.close("all")
    frames = slider(show_fresh, "level", [0.1, 0.5, 0.9])
    show_fresh()
    from IPython.core.pylabtools import print_figure
    direct = print_figure(plt.gcf(), "png", bbox_inches="tight")
    plt.close("all")
    np.testing.assert_array_equal(_pixels(frames.pngs[frames.default]), _pixels(direct))
    assert not np.array_equal(_pixels(frames.pngs[0]), _pixels(direct))


def test_mimebundle_carries_default_frame_and_payload():
    plt.close("all")
    frames = slider(show_fresh, "title", ["a", "t", "z"])
    data, meta = frames._repr_mimebundle_()
    assert meta == {}
    assert base64.b64decode(data["image/png"]) == frames.pngs[1]
    spec = json.loads(data[MIME])
    assert spec["label"] == "title" and spec["texts"] == ["a", "t", "z"] and spec["default"] == 1
    assert [base64.b64decode(f) for f in spec["frames"]] == list(frames.pngs)
    assert "3 precomputed frames of title = a … z (default t)" == data["text/plain"]
    assert not MIME.endswith("+json")               # stored as text in the notebook (see module docstring)


def test_values_not_mutated():
    plt.close("all")
    values = np.array([0.0, 0.5, 1.0])
    copy = values.copy()
    slider(show_fresh, "level", values)
    np.testing.assert_array_equal(values, copy)


def _no_default(level, title="t"):
    show_fresh(level, title)


def _two_figures(level=0.5):
    show_fresh(level)
    show_fresh(level)


def _no_figure(level=0.5):
    pass


@pytest.mark.parametrize("args, match", [
    ((None, "level", LEVELS), "update must be callable"),
    ((show_fresh, "colour", LEVELS), "'colour' is not a keyword argument with a default of show_fresh"),
    ((_no_default, "level", LEVELS), "'level' is not a keyword argument with a default"),
    ((show_fresh, "level", [0.5]), "at least two settings"),
    ((show_fresh, "level", [0.5, 0.25, 0.5]), r"repeat 0.5 \(positions 0 and 2\)"),
    ((show_fresh, "level", [0.1, 0.2]), "must include show_fresh\\(\\)'s default 0.5"),
    ((_two_figures, "level", LEVELS), "left 2 new open figures"),
    ((_no_figure, "level", LEVELS), "left 0 new open figures"),
])
def test_bad_input(args, match):
    plt.close("all")
    with pytest.raises(ValueError, match=match):
        slider(*args)
    assert plt.get_fignums() == []


def test_fmt_must_be_a_pattern():
    with pytest.raises(ValueError, match="fmt must be a str.format pattern"):
        slider(show_fresh, "level", LEVELS, fmt=3)


def test_web_renderer_writes_every_frame_and_a_labelled_control():
    # MystNbFrames with a stand-in for myst-nb's renderer: one image node per frame.
    from docutils import nodes
    plt.close("all")
    frames = slider(show_fresh, "level", LEVELS, label="λ")
    data, _ = frames._repr_mimebundle_()

    class Renderer:
        def __init__(self):
            self.written = []

        def render_image(self, mime):
            self.written.append(base64.b64decode(mime.content))
            return [nodes.image(uri=f"f{len(self.written)}.png", alt=mime.cell_metadata["alt"])]

    class Data:
        mime_type, string, cell_index, output_index, line = MIME, data[MIME], 7, 0, 1
        cell_metadata = {"alt": "A square coloured by the level."}

    renderer = Renderer()
    box, = MystNbFrames.handle_mime(renderer, Data, inline=False)
    assert MystNbFrames.handle_mime(renderer, Data, inline=True) is None
    images = [n for n in box.children if isinstance(n, nodes.image)]
    assert renderer.written == list(frames.pngs)
    assert [("pglib-frame-hidden" in i["classes"]) for i in images] == [True, True, False, True, True]
    assert images[0]["alt"] == "A square coloured by the level, at λ = 0.0."
    html = box.children[0].astext()
    assert 'max="4"' in html and 'value="2"' in html and "λ = 0.5" in html
    Data.mime_type = "image/png"
    assert MystNbFrames.handle_mime(renderer, Data, inline=False) is None
