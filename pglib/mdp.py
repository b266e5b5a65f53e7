r"""Finite Markov decision processes given by their tables.

A tabular MDP is the tuple :math:`(\mathcal S, \mathcal A, P, R, p_0, \gamma)`
with

.. math::

    P[s, a, s'] = \Pr(s_{t+1} = s' \mid s_t = s, a_t = a), \qquad
    R[s, a] = \mathbb E[r_t \mid s_t = s, a_t = a],

a start distribution :math:`p_0` and a discount :math:`\gamma \in [0, 1]`.
The axis order is always ``[s, a, s']``: state, action, next state.

Episodes.  A state flagged in the boolean mask ``terminal`` ends the episode
the moment it is entered: nobody acts in it, it earns no reward and it is
not counted as a visit.  Every exact quantity in :mod:`pglib.exact` and the
sampler in :mod:`pglib.sampling` follow this one convention.

References: Puterman (1994), ch. 2 and 6; Sutton & Barto (2018), ch. 3.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["TabularMDP", "GridLayout"]

# Probabilities are accepted when they are within this distance of a simplex.
PROB_ATOL = 1e-8


@dataclass(frozen=True)
class GridLayout:
    """Where the states of a grid world sit, for drawing.

    Attributes
    ----------
    rows, cols : int
        Grid size.  State ``s < rows * cols`` is the cell ``divmod(s, cols)``
        (row-major order, row 0 at the top, as in Gymnasium's toy text).
    chars : tuple of str
        The text map, one string per row (``'S'`` start, ``'F'`` free,
        ``'H'`` hole, ``'G'`` goal, ``'#'`` wall, ``'C'`` cliff).
    """

    rows: int
    cols: int
    chars: tuple

    def cell(self, s):
        """(row, col) of state ``s``."""
        return divmod(int(s), self.cols)

    def state(self, row, col):
        """State index of the cell (row, col)."""
        return int(row) * self.cols + int(col)


def _as_float_array(name, x, ndim=None):
    try:
        arr = np.array(x, dtype=float, copy=True)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be an array of numbers: {err}") from None
    if ndim is not None and arr.ndim not in np.atleast_1d(ndim):
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise ValueError(f"{name} must be finite (no NaN or inf): {name}{list(bad)} = {arr[bad]}")
    return arr


def _check_int(name, x, minimum, what):
    """Return ``x`` as an int if it is an integer ``>= minimum``, else raise ``ValueError`` naming ``name``.

    Catches what ``int()`` itself would raise (None, strings, NaN, inf) so the
    message always names the argument.
    """
    try:
        ok = not isinstance(x, (str, bytes)) and int(x) == x and x >= minimum
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise ValueError(f"{name} must be {what}, got {x!r}")
    return int(x)


def _check_unit(name, x):
    """Return ``x`` as a float in [0, 1], else raise ``ValueError`` naming ``name``."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in [0, 1], got {x!r}") from None
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {x}")
    return x


def check_distribution(name, p, axis=-1):
    """Raise ``ValueError`` unless ``p`` is non-negative and sums to 1 along ``axis``."""
    p = np.asarray(p, dtype=float)
    if np.any(p < -PROB_ATOL):
        bad = tuple(int(i) for i in np.argwhere(p < -PROB_ATOL)[0])
        raise ValueError(f"{name} must be non-negative: {name}{list(bad)} = {p[bad]:.6g}")
    sums = p.sum(axis=axis)
    off = np.abs(sums - 1.0) > 1e-6
    if np.any(off):
        idx = tuple(int(i) for i in np.argwhere(np.atleast_1d(off))[0])
        where = f" at index {list(idx)}" if p.ndim > 1 else ""
        total = np.atleast_1d(sums)[idx]
        raise ValueError(f"{name} must sum to 1{where}, sums to {total:.6g}")


class TabularMDP:
    r"""A finite MDP with transition table ``P[s, a, s']`` and rewards ``R[s, a]``.

    Parameters
    ----------
    P : array_like(float, ndim=3), shape (S, A, S)
        ``P[s, a, s']`` is the probability of moving to ``s'`` after action
        ``a`` in state ``s``.  Every row ``P[s, a, :]`` sums to 1.
    R : array_like(float, ndim=2 or 3), shape (S, A) or (S, A, S)
        Expected reward ``R[s, a]``, or the reward ``R[s, a, s']`` of each
        transition, which is reduced to :math:`R[s,a] = \sum_{s'} P[s,a,s'] R[s,a,s']`
        (the sampler in :mod:`pglib.sampling` still pays ``R[s, a, s']``).
    p0 : array_like(float, ndim=1), shape (S,)
        Start distribution.
    gamma : float in [0, 1]
        Discount factor.
    terminal : array_like(bool, ndim=1), shape (S,), optional
        States that end the episode when entered (absorbing, no reward, no
        visit).  Their rows of ``P`` and ``R`` are never used.
    layout : GridLayout, optional
        Grid geometry, for drawing grid worlds.

    Attributes
    ----------
    P, R, p0, gamma, terminal : the validated copies (read only).
    R_sas : ndarray, shape (S, A, S)
        Reward of each transition (``R[s, a]`` repeated when ``R`` was 2-D).
    n_states, n_actions : int

    Examples
    --------
    >>> P = np.zeros((2, 1, 2)); P[0, 0, 1] = 1; P[1, 0, 1] = 1
    >>> mdp = TabularMDP(P, [[1.0], [0.0]], [1, 0], gamma=1.0, terminal=[False, True])
    >>> mdp.n_states, mdp.n_actions
    (2, 1)
    """

    def __init__(self, P, R, p0, gamma, terminal=None, layout=None):
        P = _as_float_array("P", P)
        if P.ndim != 3 or P.shape[0] != P.shape[2]:
            raise ValueError(f"P must have shape (S, A, S), got {P.shape}")
        S, A, _ = P.shape
        if S == 0 or A == 0:
            raise ValueError(f"P must have at least one state and one action, got shape {P.shape}")
        check_distribution("P[s, a, :]", P, axis=2)

        R = _as_float_array("R", R)
        if R.shape == (S, A, S):
            R_sas = R                     # reduced below, once P is clipped and renormalised
        elif R.shape == (S, A):
            R_sas = np.repeat(R[:, :, None], S, axis=2)
        else:
            raise ValueError(f"R must have shape (S, A) = {(S, A)} or (S, A, S) = {(S, A, S)}, got {R.shape}")

        p0 = _as_float_array("p0", p0)
        if p0.shape != (S,):
            raise ValueError(f"p0 must have shape (S,) = ({S},), got {p0.shape}")
        check_distribution("p0", p0)

        gamma = _check_unit("gamma", gamma)

        if terminal is None:
            terminal = np.zeros(S, dtype=bool)
        else:
            t = np.array(terminal, copy=True)
            if t.shape != (S,):
                raise ValueError(f"terminal must be a bool mask of shape (S,) = ({S},), got {t.shape}")
            if t.dtype != bool:
                if not np.all(np.isin(t, [0, 1])):
                    raise ValueError("terminal must be a bool mask (True for terminal states)")
                t = t.astype(bool)
            terminal = t
        if terminal.all():
            raise ValueError("terminal marks every state: at least one state must be non-terminal")

        # Clip the tiny negative round-off accepted above and renormalise.
        P = np.clip(P, 0.0, None)
        P /= P.sum(axis=2, keepdims=True)
        p0 = np.clip(p0, 0.0, None)
        p0 /= p0.sum()
        if R.ndim == 3:
            # R[s, a] = sum_{s'} P[s, a, s'] R[s, a, s'] with the P actually used (and sampled from),
            # so a tiny accepted negative P times a large reward on an impossible transition adds nothing
            R = np.einsum("ijk,ijk->ij", P, R_sas)

        for name, arr in (("P", P), ("R", R), ("R_sas", R_sas), ("p0", p0), ("terminal", terminal)):
            arr.setflags(write=False)
            setattr(self, name, arr)
        self.gamma = gamma
        self.layout = layout

    @property
    def n_states(self):
        return self.P.shape[0]

    @property
    def n_actions(self):
        return self.P.shape[1]

    @property
    def live(self):
        """Bool mask (S,) of non-terminal states."""
        return ~self.terminal

    def with_gamma(self, gamma):
        """The same MDP with another discount factor."""
        return TabularMDP(self.P, self.R_sas, self.p0, gamma, self.terminal, self.layout)

    def with_p0(self, p0):
        """The same MDP with another start distribution ``p0`` (shape (S,))."""
        return TabularMDP(self.P, self.R_sas, p0, self.gamma, self.terminal, self.layout)

    def __repr__(self):
        return (f"TabularMDP(n_states={self.n_states}, n_actions={self.n_actions}, "
                f"gamma={self.gamma}, n_terminal={int(self.terminal.sum())})")
