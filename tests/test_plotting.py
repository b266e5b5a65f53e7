"""Grid drawing puts each state's number in its own cell; bad input raises."""
import json

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

import pglib
from pglib.plotting import plot_grid_policy, plot_grid_values


def test_values_are_drawn_in_their_cells():
    mdp = pglib.grid_world(["SF#", "FHG"], gamma=0.9)
    values = np.arange(6) / 10.0
    fig, ax = plt.subplots()
    plot_grid_values(mdp, values, ax=ax, fmt="{:.1f}", colorbar=False)
    numbers = {t.get_text(): t.get_position() for t in ax.texts if t.get_text()[0].isdigit()}
    for s in range(6):
        if mdp.layout.chars[s // 3][s % 3] == "#":
            assert f"{values[s]:.1f}" not in numbers          # walls carry no number
            continue
        x, y = numbers[f"{values[s]:.1f}"]
        r, c = mdp.layout.cell(s)
        assert (round(x), round(y - 0.1)) == (c, r)
    plt.close(fig)


def test_policy_arrows_point_the_right_way():
    mdp = pglib.grid_world(["SF", "FG"], gamma=0.9)
    pi = np.zeros((4, 4))
    pi[:, pglib.examples.RIGHT] = 1.0
    ax = plot_grid_policy(mdp, pi)
    arrows = [p for p in ax.patches if isinstance(p, matplotlib.patches.FancyArrow)]
    assert len(arrows) == 3                                    # the goal is terminal: no arrow
    for arrow in arrows:
        xy = arrow.get_xy()
        assert xy[:, 0].max() - xy[:, 0].min() > 0.3           # horizontal, pointing right
    plt.close("all")


def test_plotting_rejects_bad_input():
    mdp = pglib.grid_world(["SF", "FG"], gamma=0.9)
    with pytest.raises(ValueError, match="at least rows\\*cols = 4"):
        plot_grid_values(mdp, np.zeros(3))
    with pytest.raises(ValueError, match="no grid layout"):
        plot_grid_values(pglib.two_state_mdp(), np.zeros(2))
    with pytest.raises(ValueError, match=r"pi must have shape \(S, 4\)"):
        plot_grid_policy(mdp, np.zeros((4, 2)))


def test_widget_timing_file(tmp_path, monkeypatch):
    import ipywidgets as W
    from pglib.widgets import live
    log = tmp_path / "t.jsonl"
    monkeypatch.setenv("PGLIB_WIDGET_TIMINGS", str(log))
    calls = []

    def draw(k=1):
        calls.append(k)
        plt.figure()
        plt.plot([0, k])

    live(draw, k=W.IntSlider(value=2, min=1, max=5))
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["setting"] for r in rows] == ["default", "k=min", "k=max"]
    assert all(r["widget"] == "draw" and r["ms"] > 0 for r in rows)
    assert calls[0] == 2 and set(calls[1:]) == {1, 2, 5}       # defaults, then the extremes


def _pixels(fig):
    import io
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    buf.seek(0)
    return plt.imread(buf)


@pytest.mark.parametrize("limits", [{}, {"vmin": 0.0, "vmax": 2.0}])
def test_grid_values_updated_in_place_draw_like_a_fresh_map(limits):
    from pglib.plotting import GridValues
    mdp = pglib.grid_world(["SF#", "FHG"], gamma=0.9)
    first, second = np.linspace(0, 1, 6), np.array([1.5, 0.2, 9.0, 0.7, 0.0, 1.1])   # 9.0 sits on the wall
    fig, ax = plt.subplots(figsize=(3, 2))
    heat = GridValues(mdp, first, ax=ax, fmt="{:.1f}", **limits)
    heat.set_values(second)
    updated = _pixels(fig)
    fig2, ax2 = plt.subplots(figsize=(3, 2))
    plot_grid_values(mdp, second, ax=ax2, fmt="{:.1f}", **limits)
    fresh = _pixels(fig2)
    plt.close("all")
    np.testing.assert_array_equal(updated, fresh)
    lo, hi = heat.image.get_clim()
    assert (lo, hi) == ((0.0, 2.0) if limits else (0.0, 1.5))     # autoscaled limits skip the wall
    assert heat.numbers[0, 0].get_text() == "1.5" and heat.numbers[0, 0].get_color() == "black"
    assert heat.numbers[1, 2].get_text() == "1.1"


def test_grid_values_new_limits_and_bad_input():
    from pglib.plotting import GridValues
    mdp = pglib.grid_world(["SF", "FG"], gamma=0.9)
    heat = GridValues(mdp, np.zeros(4), vmin=0, vmax=1, colorbar=False)
    heat.set_values(np.array([0.0, 1.0, 2.0, 4.0]), vmax=4.0)
    assert heat.image.get_clim() == (0.0, 4.0)
    heat.set_values(np.array([0.0, 1.0, 2.0, 3.0]))                 # the new vmax is kept
    assert heat.image.get_clim() == (0.0, 4.0)
    with pytest.raises(ValueError, match="at least rows\\*cols = 4"):
        heat.set_values(np.zeros(3))
    plt.close("all")
