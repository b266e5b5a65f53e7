r"""Gymnasium's toy-text environments as :class:`pglib.TabularMDP` tables.

``env.unwrapped.P[s][a]`` lists transitions ``(prob, next_state, reward,
terminated)``.  ``terminated`` belongs to the *transition*: Taxi enters its
goal states with ``terminated=False`` from some actions, CliffWalking's goal
state is not absorbing in ``P``.  So a transition flagged ``terminated``
is redirected to one extra absorbing, terminal *sink* state (index ``S``,
after Gymnasium's own states, whose indices are kept); its reward is kept.

Then :math:`J` and every exact quantity of :mod:`pglib.exact` are those of
the Gymnasium episode (without time-limit truncation).
"""
from __future__ import annotations

import numpy as np

from .mdp import GridLayout, TabularMDP

__all__ = ["from_gymnasium"]


def from_gymnasium(env, gamma):
    """Convert a toy-text environment (FrozenLake, CliffWalking, Taxi) to a TabularMDP.

    Parameters
    ----------
    env : gymnasium.Env
        An environment whose ``unwrapped`` has ``P``, ``observation_space.n``,
        ``action_space.n`` and ``initial_state_distrib``.
    gamma : float in [0, 1]

    Returns
    -------
    TabularMDP
        ``S + 1`` states (the last one the terminal sink), ``A`` actions,
        ``R`` of shape (S + 1, A, S + 1) reduced to expected rewards.  For
        grid environments (FrozenLake, CliffWalking) ``layout`` is set.
    """
    u = getattr(env, "unwrapped", env)
    for attr in ("P", "initial_state_distrib"):
        if not hasattr(u, attr):
            raise ValueError(f"env has no attribute {attr!r}: not a tabular toy-text environment")
    S = int(u.observation_space.n)
    A = int(u.action_space.n)
    sink = S
    P = np.zeros((S + 1, A, S + 1))
    R = np.zeros((S + 1, A, S + 1))
    for s in range(S):
        for a in range(A):
            for prob, s_next, reward, terminated in u.P[s][a]:
                target = sink if terminated else int(s_next)
                # Several entries may share a next state (walls): add their
                # probabilities and keep the probability-weighted reward.
                R[s, a, target] = (R[s, a, target] * P[s, a, target] + prob * reward) / max(P[s, a, target] + prob, 1e-300)
                P[s, a, target] += prob
    P[sink, :, sink] = 1.0
    p0 = np.append(np.asarray(u.initial_state_distrib, dtype=float), 0.0)
    terminal = np.zeros(S + 1, dtype=bool)
    terminal[sink] = True
    layout = None
    desc = getattr(u, "desc", None)
    if desc is not None:
        rows = tuple("".join(c.decode() if isinstance(c, bytes) else str(c) for c in row) for row in desc)
        layout = GridLayout(len(rows), len(rows[0]), rows)
    elif hasattr(u, "shape") and len(u.shape) == 2 and u.shape[0] * u.shape[1] == S:
        nr, nc = u.shape
        cliff = getattr(u, "_cliff", np.zeros(u.shape, dtype=bool))
        rows = []
        for r in range(nr):
            rows.append("".join("C" if cliff[r, c] else "F" for c in range(nc)))
        start = np.flatnonzero(p0)[0]
        rs, cs = divmod(int(start), nc)
        rows[rs] = rows[rs][:cs] + "S" + rows[rs][cs + 1:]
        rows[nr - 1] = rows[nr - 1][:nc - 1] + "G"
        layout = GridLayout(nr, nc, tuple(rows))
    return TabularMDP(P, R, p0, gamma, terminal, layout=layout)
