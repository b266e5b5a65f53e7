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
