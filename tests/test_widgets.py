"""figure_once: a figure built once, shown again after plt.show()/plt.close(), and drawn the same as a fresh one."""
import io
import json

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from pglib.widgets import figure_once, live


def _png_pixels(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    buf.seek(0)
    return plt.imread(buf)


def _draw_fresh(y, text):
    # What a callback that rebuilds its figure would draw.
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(np.arange(5), y, "o-")
    ax.set_ylim(-3, 3)
    ax.set_title(text)
    return fig


def test_built_once_and_reopened_after_close():
    builds = []

    @figure_once
    def parts():
        builds.append(1)
        fig, ax = plt.subplots()
        (line,) = ax.plot([0, 1], [0, 1])
        return fig, line

    plt.close("all")
    fig, line = parts()
    canvas = fig.canvas
    assert plt.get_fignums() == [fig.number]
    plt.close("all")                                  # what the inline backend's plt.show() does
    assert plt.get_fignums() == []
    fig2, line2 = parts()
    assert (fig2, line2) == (fig, line) and len(builds) == 1
    assert plt.get_fignums() == [fig.number] and plt.gcf() is fig
    assert fig.canvas is canvas                       # the same canvas (and renderer caches) again
    plt.close("all")


def test_updated_figure_draws_like_a_rebuilt_one():
    @figure_once
    def parts():
        fig, ax = plt.subplots(figsize=(4, 3))
        (line,) = ax.plot(np.arange(5), np.zeros(5), "o-")
        ax.set_ylim(-3, 3)
        return fig, line, ax.set_title("")

    plt.close("all")
    for y, text in [(np.array([0, 1, -1, 2, 0.5]), "first"), (np.array([2, -2, 1, 0, -1]), "second")]:
        fig, line, title = parts()
        line.set_ydata(y)
        title.set_text(text)
        updated = _png_pixels(fig)
        plt.close("all")
        fresh = _png_pixels(_draw_fresh(y, text))
        plt.close("all")
        assert updated.shape == fresh.shape
        np.testing.assert_array_equal(updated, fresh)


def test_reopened_under_a_free_number_when_its_own_is_taken():
    @figure_once
    def parts():
        return plt.figure()

    plt.close("all")
    fig = parts()
    plt.close("all")
    other = plt.figure()                              # takes the number fig had
    assert other.number == fig.number
    again = parts()
    assert again is fig and len(plt.get_fignums()) == 2 and other.number in plt.get_fignums()
    assert fig.number != other.number and plt.gcf() is fig
    plt.close("all")


def test_timing_renders_the_reused_figure_at_every_call(tmp_path, monkeypatch):
    import ipywidgets as W
    log = tmp_path / "t.jsonl"
    monkeypatch.setenv("PGLIB_WIDGET_TIMINGS", str(log))
    draws = []

    @figure_once
    def parts():
        fig, ax = plt.subplots()
        fig.canvas.mpl_connect("draw_event", lambda event: draws.append(1))
        return fig, ax.plot([0, 1], [0, 0])[0]

    def show_k(k=2):
        _, line = parts()
        line.set_ydata([0, k])

    plt.close("all")
    live(show_k, k=W.IntSlider(value=2, min=1, max=5))
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["setting"] for r in rows] == ["default", "k=min", "k=max"]
    assert len(draws) == 3 * 3                        # 3 settings x 3 repeats, each one a full render
    plt.close("all")


def test_builder_must_return_a_figure():
    with pytest.raises(ValueError, match="must return a matplotlib Figure"):
        figure_once(lambda: ("not a figure",))()
    with pytest.raises(ValueError, match="got NoneType"):
        figure_once(lambda: None)()
