"""Drawing grid-world quantities: values, visit measures and policies on the grid.

The functions take an MDP with a ``layout`` (:func:`pglib.examples.grid_world`
or :func:`pglib.envs.from_gymnasium` on FrozenLake / CliffWalking) and a vector
with one entry per state; entries past ``rows * cols`` (e.g. the sink state of
a Gymnasium conversion) are ignored.  Nothing here computes a quantity.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["plot_grid_values", "GridValues", "plot_grid_policy", "plot_learning_curves"]

# Arrow directions (dx, dy) on screen for LEFT, DOWN, RIGHT, UP.
_ARROWS = {0: (-1, 0), 1: (0, -1), 2: (1, 0), 3: (0, 1)}


def _layout(mdp):
    layout = getattr(mdp, "layout", None)
    if layout is None:
        raise ValueError("this MDP has no grid layout (build it with grid_world or from_gymnasium on a grid env)")
    return layout


def _grid(layout, values):
    v = np.asarray(values, dtype=float)
    n = layout.rows * layout.cols
    if v.ndim != 1 or v.shape[0] < n:
        raise ValueError(f"values must be a vector with at least rows*cols = {n} entries, got shape {v.shape}")
    return v[:n].reshape(layout.rows, layout.cols)


def plot_grid_values(mdp, values, ax=None, title=None, cmap="viridis", fmt="{:.2f}",
                     vmin=None, vmax=None, colorbar=True, annotate=True):
    """Heat map of ``values`` (shape (S,)) on the grid; walls grey, cell letters in the corner.

    Returns the matplotlib ``AxesImage``.  To redraw with new values without
    building the axes again (widgets), use :class:`GridValues`.
    """
    return GridValues(mdp, values, ax=ax, title=title, cmap=cmap, fmt=fmt, vmin=vmin, vmax=vmax,
                      colorbar=colorbar, annotate=annotate).image


class GridValues:
    """A grid heat map (as :func:`plot_grid_values` draws it) whose values can be changed in place.

    ``GridValues(mdp, values, ...)`` draws; ``set_values(values)`` changes the
    image and the numbers in the cells (shape (S,), as for
    :func:`plot_grid_values`).  Colour limits given as ``vmin``/``vmax`` stay
    fixed; a limit left ``None`` follows the values, as in a fresh drawing.
    Attributes: ``image`` (the ``AxesImage``), ``ax``, ``colorbar`` (or None).
    """

    def __init__(self, mdp, values, ax=None, title=None, cmap="viridis", fmt="{:.2f}",
                 vmin=None, vmax=None, colorbar=True, annotate=True):
        self.layout = layout = _layout(mdp)
        grid = _grid(layout, values)
        if ax is None:
            _, ax = plt.subplots(figsize=(0.6 * layout.cols + 1.5, 0.6 * layout.rows + 0.6))
        self.ax, self.fmt, self.vmin, self.vmax = ax, fmt, vmin, vmax
        self.walls = np.array([[ch == "#" for ch in row] for row in layout.chars])
        cmap = plt.get_cmap(cmap).with_extremes(bad="0.6")           # walls (masked) in grey
        self.image = ax.imshow(np.ma.masked_array(grid, self.walls), cmap=cmap, vmin=vmin, vmax=vmax)
        self.numbers = {}                                           # (r, c) -> Text
        for r in range(layout.rows):
            for c in range(layout.cols):
                ch = layout.chars[r][c]
                if ch in "SHGC":
                    ax.text(c - 0.42, r - 0.42, ch, ha="left", va="top", fontsize=7, color="white",
                            fontweight="bold")
                if annotate and ch != "#":
                    self.numbers[r, c] = ax.text(c, r + 0.1, "", ha="center", va="center", fontsize=7)
        self._write_numbers(grid)
        ax.set_xticks([])
        ax.set_yticks([])
        if title:
            ax.set_title(title)
        self.colorbar = ax.figure.colorbar(self.image, ax=ax, fraction=0.046, pad=0.04) if colorbar else None

    def _write_numbers(self, grid):
        lo, hi = self.image.get_clim()
        for (r, c), text in self.numbers.items():
            shade = (grid[r, c] - lo) / (hi - lo) if hi > lo else 0.0
            text.set_text(self.fmt.format(grid[r, c]))
            text.set_color("black" if shade > 0.6 else "white")

    def set_values(self, values, vmin=None, vmax=None):
        """Show ``values`` (shape (S,)); ``vmin``/``vmax``, if given, become the new fixed limits."""
        grid = _grid(self.layout, values)
        self.vmin = self.vmin if vmin is None else vmin
        self.vmax = self.vmax if vmax is None else vmax
        self.image.set_data(np.ma.masked_array(grid, self.walls))
        self.image.set_clim(grid[~self.walls].min() if self.vmin is None else self.vmin,
                            grid[~self.walls].max() if self.vmax is None else self.vmax)
        self._write_numbers(grid)
        return self.image


def plot_grid_policy(mdp, pi, ax=None, title=None, color="white"):
    """Arrows of length proportional to ``pi[s, a]`` (shape (S, 4), LEFT, DOWN, RIGHT, UP) on the grid.

    Draws over an existing heat map when ``ax`` holds one; terminal cells get no arrows.
    """
    layout = _layout(mdp)
    pi = np.asarray(pi, dtype=float)
    if pi.ndim != 2 or pi.shape[1] != 4:
        raise ValueError(f"pi must have shape (S, 4) for a grid world, got {pi.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(0.6 * layout.cols + 1, 0.6 * layout.rows + 0.6))
        ax.imshow(np.zeros((layout.rows, layout.cols)), cmap="Greys", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        color = "black"
    for s in range(layout.rows * layout.cols):
        if mdp.terminal[s]:
            continue
        r, c = layout.cell(s)
        for a, (dx, dy) in _ARROWS.items():
            length = 0.45 * pi[s, a]
            if length > 0.02:
                # head scaled with the arrow, so near-uniform policies stay readable
                ax.arrow(c, r, dx * length, -dy * length, width=0.015, head_width=0.4 * length,
                         head_length=0.35 * length, length_includes_head=True, color=color)
    if title:
        ax.set_title(title)
    return ax


def plot_learning_curves(summary, ax=None, label=None, color=None, show_threshold=True):
    """Median (line) and inter-quartile range (band) over seeds against env steps.

    ``summary`` is a :class:`pglib.experiments.Summary`.  The label gives the
    fraction of seeds whose final score reached the threshold, which is drawn
    as a dotted line.  Returns the median's ``Line2D``.
    """
    ax = ax or plt.gca()
    reached = int(round(summary.fraction_reached * summary.n_seeds))
    text = f"{label + ': ' if label else ''}median, IQR over {summary.n_seeds} seeds; reached {reached}/{summary.n_seeds}"
    (line,) = ax.plot(summary.steps, summary.median, color=color, label=text)
    ax.fill_between(summary.steps, summary.q25, summary.q75, color=line.get_color(), alpha=0.25, linewidth=0)
    if show_threshold:
        ax.axhline(summary.threshold, color="0.4", linestyle=":", linewidth=1)
    ax.set_xlabel("environment steps")
    ax.set_ylabel("mean return of the greedy policy")
    return line
