r"""Example MDPs whose answers can be worked by hand, grid worlds, and random MDPs.

* :func:`two_state_mdp` -- two states, "stay" or "switch"; values by a 2x2 solve.
* :func:`chain_mdp` -- a corridor of ``n`` states ending in a goal, -1 per step.
* :func:`short_corridor` -- Sutton & Barto's Example 13.1 (switched actions),
  with :math:`J(p) = (2p - 4) / (p(1-p))` for :math:`p = \Pr(\text{right})`.
* :func:`grid_world` -- a FrozenLake-style grid from a text map.
* :func:`random_mdp` -- random tables for property tests.

Action orders: chain and corridor LEFT=0, RIGHT=1; grid worlds LEFT=0,
DOWN=1, RIGHT=2, UP=3 (Gymnasium's FrozenLake order).
"""
from __future__ import annotations

import numpy as np

from .mdp import GridLayout, TabularMDP

__all__ = ["two_state_mdp", "chain_mdp", "short_corridor", "grid_world", "random_mdp",
           "FROZEN_LAKE_4x4", "LEFT", "DOWN", "RIGHT", "UP"]

LEFT, DOWN, RIGHT, UP = 0, 1, 2, 3
_MOVES = {LEFT: (0, -1), DOWN: (1, 0), RIGHT: (0, 1), UP: (-1, 0)}

FROZEN_LAKE_4x4 = ("SFFF", "FHFH", "FFFH", "HFFG")


def two_state_mdp(gamma=0.9):
    r"""Two states, two actions: 0 = stay, 1 = switch.  Start in state 0.

    Rewards: staying in state 0 pays 1, switching out of state 1 pays 2,
    everything else pays 0.  With :math:`p = \pi(\text{stay}|0)` and
    :math:`q = \pi(\text{stay}|1)`:

    .. math::

        P^\pi = \begin{pmatrix} p & 1-p \\ 1-q & q \end{pmatrix}, \qquad
        r^\pi = \begin{pmatrix} p \\ 2(1-q) \end{pmatrix}.
    """
    P = np.zeros((2, 2, 2))
    P[0, 0, 0] = P[0, 1, 1] = 1.0          # state 0: stay -> 0, switch -> 1
    P[1, 0, 1] = P[1, 1, 0] = 1.0          # state 1: stay -> 1, switch -> 0
    R = np.array([[1.0, 0.0], [0.0, 2.0]])
    return TabularMDP(P, R, [1.0, 0.0], gamma)


def chain_mdp(n=4, gamma=1.0, slip=0.0):
    r"""A corridor of ``n`` non-terminal states 0..n-1 and a terminal goal ``n``.

    Actions LEFT=0 (to ``max(s-1, 0)``) and RIGHT=1 (to ``s+1``); with
    probability ``slip`` the other move happens instead.  Every step pays -1,
    so :math:`J = -E[\text{episode length}]` when :math:`\gamma = 1`.  Start in 0.

    For ``n = 2``, ``slip = 0``, :math:`\gamma = 1` and :math:`p_s = \pi(\text{right}|s)`:
    :math:`v(1) = -(1 + p_0 - p_1)/(p_0 p_1)`, :math:`v(0) = v(1) - 1/p_0`.
    """
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n}")
    if not 0.0 <= slip <= 1.0:
        raise ValueError(f"slip must be in [0, 1], got {slip}")
    n = int(n)
    S = n + 1
    P = np.zeros((S, 2, S))
    for s in range(n):
        left, right = max(s - 1, 0), s + 1
        P[s, 0, left] += 1.0 - slip
        P[s, 0, right] += slip
        P[s, 1, right] += 1.0 - slip
        P[s, 1, left] += slip
    P[n, :, n] = 1.0
    R = -np.ones((S, 2))
    R[n] = 0.0
    p0 = np.zeros(S)
    p0[0] = 1.0
    terminal = np.zeros(S, dtype=bool)
    terminal[n] = True
    return TabularMDP(P, R, p0, gamma, terminal)


def short_corridor():
    r"""Sutton & Barto's short corridor with switched actions (Example 13.1), :math:`\gamma = 1`.

    States 0, 1, 2 and the terminal goal 3; actions LEFT=0, RIGHT=1; in
    state 1 the actions are reversed.  -1 per step; start in 0.  All states
    look alike to a policy with state-independent features, which then picks
    RIGHT with one probability :math:`p`, and

    .. math:: J(p) = v(0) = \frac{2p - 4}{p(1-p)},

    maximal at :math:`p = 2 - \sqrt 2 \approx 0.586`.
    """
    P = np.zeros((4, 2, 4))
    P[0, 0, 0] = 1.0; P[0, 1, 1] = 1.0      # left bumps into the wall
    P[1, 0, 2] = 1.0; P[1, 1, 0] = 1.0      # reversed
    P[2, 0, 1] = 1.0; P[2, 1, 3] = 1.0
    P[3, :, 3] = 1.0
    R = -np.ones((4, 2))
    R[3] = 0.0
    return TabularMDP(P, R, [1, 0, 0, 0], 1.0, [False, False, False, True])


def grid_world(layout=FROZEN_LAKE_4x4, gamma=0.95, slip=0.0, goal_reward=1.0,
               hole_reward=0.0, step_reward=0.0):
    r"""A grid world from a text map, one string per row.

    Cells: ``S`` start, ``F`` free, ``H`` hole (terminal), ``G`` goal
    (terminal), ``#`` wall (never entered).  State ``s`` is the cell
    ``divmod(s, cols)``.  Actions LEFT=0, DOWN=1, RIGHT=2, UP=3; a move into
    a wall or off the grid leaves the agent in place.  With probability
    ``slip`` the agent moves in one of the two perpendicular directions
    instead (``slip/2`` each): ``slip = 2/3`` is Gymnasium's slippery
    FrozenLake.  Rewards are paid on entering a cell: ``goal_reward`` for G,
    ``hole_reward`` for H, ``step_reward`` otherwise.

    Returns a :class:`TabularMDP` with ``layout`` set for the drawing
    functions of :mod:`pglib.plotting`.  Wall cells are marked terminal (no
    one acts there) and have start probability 0.
    """
    if isinstance(layout, str):
        layout = [row for row in layout.strip().splitlines()]
    rows = ["".join(c.decode() if isinstance(c, bytes) else str(c) for c in row) for row in layout]
    if not rows or any(len(r) != len(rows[0]) for r in rows):
        raise ValueError("layout must be a non-empty list of rows of equal length")
    bad = set("".join(rows)) - set("SFHG#")
    if bad:
        raise ValueError(f"layout may contain only the characters S, F, H, G, #; found {sorted(bad)}")
    if not 0.0 <= slip <= 1.0:
        raise ValueError(f"slip must be in [0, 1], got {slip}")
    n_rows, n_cols = len(rows), len(rows[0])
    S = n_rows * n_cols
    chars = "".join(rows)
    if "S" not in chars:
        raise ValueError("layout must contain a start cell 'S'")
    P = np.zeros((S, 4, S))
    R = np.zeros((S, 4, S))
    terminal = np.array([c in "HG#" for c in chars])

    def move(r, c, a):
        dr, dc = _MOVES[a]
        r2, c2 = r + dr, c + dc
        if 0 <= r2 < n_rows and 0 <= c2 < n_cols and rows[r2][c2] != "#":
            return r2 * n_cols + c2
        return r * n_cols + c

    entry_reward = np.array([goal_reward if c == "G" else hole_reward if c == "H" else step_reward
                             for c in chars])
    for s in range(S):
        r, c = divmod(s, n_cols)
        for a in range(4):
            if terminal[s]:
                P[s, a, s] = 1.0
                continue
            outcomes = [(a, 1.0 - slip), ((a - 1) % 4, slip / 2), ((a + 1) % 4, slip / 2)]
            for b, p in outcomes:
                if p > 0:
                    s2 = move(r, c, b)
                    P[s, a, s2] += p
                    R[s, a, s2] = entry_reward[s2]
    p0 = np.array([c == "S" for c in chars], dtype=float)
    p0 /= p0.sum()
    return TabularMDP(P, R, p0, gamma, terminal, layout=GridLayout(n_rows, n_cols, tuple(rows)))


def random_mdp(n_states, n_actions, rng, gamma=0.9, n_terminal=0, end_prob=0.2):
    r"""A random MDP for property tests.

    Rows of ``P`` and ``p0`` are Dirichlet(1) draws, rewards standard normal
    per transition.  With ``n_terminal > 0`` the last ``n_terminal`` states
    are terminal and every transition out of a non-terminal state ends the
    episode with probability at least ``end_prob``, so episodes end even
    when :math:`\gamma = 1`.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator")
    S, A = int(n_states), int(n_actions)
    if n_terminal < 0 or n_terminal >= S:
        raise ValueError(f"n_terminal must be in [0, n_states), got {n_terminal}")
    P = rng.dirichlet(np.ones(S), size=(S, A))
    R = rng.standard_normal((S, A, S))
    terminal = np.zeros(S, dtype=bool)
    if n_terminal:
        terminal[S - n_terminal:] = True
        live = S - n_terminal
        # Mix every row with a draw that lands in the terminal states.
        to_end = np.zeros((S, A, S))
        to_end[:, :, live:] = rng.dirichlet(np.ones(n_terminal), size=(S, A))
        P = (1 - end_prob) * P + end_prob * to_end
    p0 = rng.dirichlet(np.ones(S - n_terminal))
    p0 = np.concatenate([p0, np.zeros(n_terminal)])
    return TabularMDP(P, R, p0, gamma, terminal)
