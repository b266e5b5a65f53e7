r"""A replay buffer of time-independent transitions, for off-policy learning.

Off-policy actor-critics (DDPG, TD3, SAC) learn from transitions collected by
earlier policies.  What a Bellman target needs of a step is the tuple

.. math::

    (s_t,\; a_t,\; r_t,\; s_{t+1},\; d_t), \qquad
    y_t = r_t + \gamma\,(1 - d_t)\,\max\nolimits_{\text{or }\pi}\, Q(s_{t+1}, \cdot),

where :math:`d_t` is **terminated** -- the task reached a terminal state, so
nothing follows and the target is :math:`r_t` alone.  A step that ended its
episode by a time limit (*truncated*; every Pendulum-v1 episode ends so) is
stored with :math:`d_t = 0`: the state :math:`s_{t+1}` is an ordinary state
and the target bootstraps from it.  No other episode information is kept:
the transitions are time-independent, and sampling them uniformly breaks
the correlation of consecutive steps (Mnih et al. 2015; Lillicrap et al. 2016).

The NEXT_STEP reset steps of Gymnasium vector environments
(``valid == False`` in a :class:`pglib.rollout.Segment`) are no transitions
of the task and are never stored (:meth:`ReplayBuffer.add_segment`).

The buffer is a ring of fixed ``capacity``: the :math:`(k+1)`-th transition
goes to slot :math:`k \bmod` ``capacity``, overwriting the oldest once full.
:meth:`ReplayBuffer.sample` draws ``batch_size`` slots uniformly **with
replacement** from the filled ones, with an explicit ``numpy.random.Generator``.

Shapes
------
===============  =====================  =========================================
name             shape                  meaning
===============  =====================  =========================================
``obs``          (n, obs_dim)           :math:`s_t`
``actions``      (n, act_dim)           :math:`a_t` (as the learner represents it)
``rewards``      (n,)                   :math:`r_t`
``next_obs``     (n, obs_dim)           :math:`s_{t+1}` (the final observation at an episode end)
``terminated``   (n,) bool              :math:`d_t`: :math:`s_{t+1}` is terminal
===============  =====================  =========================================

References: Lin (1992), *Self-improving reactive agents based on
reinforcement learning, planning and teaching* (experience replay); Mnih et
al. (2015), *Human-level control through deep reinforcement learning*;
Lillicrap et al. (2016), *Continuous control with deep reinforcement learning*;
Pardo, Tavakoli, Levdik & Kormushev (2018), *Time limits in reinforcement
learning* (bootstrapping at time limits).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .mdp import _check_int

__all__ = ["Transitions", "ReplayBuffer"]


class Transitions(NamedTuple):
    """A batch of transitions: arrays with a leading axis of length n (see the module docstring)."""

    obs: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    next_obs: np.ndarray
    terminated: np.ndarray


def _float_rows(name, x, width):
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be an array of numbers: {err}") from None
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2 or a.shape[1] != width:
        raise ValueError(f"{name} must have shape (n, {width}) or ({width},), got {np.shape(x)}")
    if not np.isfinite(a).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        raise ValueError(f"{name} must be finite (no NaN or inf): {name}{list(bad)} = {a[bad]}")
    return a


class ReplayBuffer:
    """A ring buffer of transitions :math:`(s, a, r, s', d)` with uniform sampling.

    Parameters
    ----------
    obs_dim, act_dim : int >= 1
        Widths of an observation and of an action.
    capacity : int >= 1
        Transitions kept; the oldest is overwritten when full.

    Examples
    --------
    >>> buf = ReplayBuffer(obs_dim=1, act_dim=1, capacity=2)
    >>> for k in range(3):
    ...     buf.add([k], [0.0], float(k), [k + 1], False)
    >>> len(buf), buf.obs[:, 0].tolist()        # slot 0 was overwritten by the third
    (2, [2.0, 1.0])
    """

    def __init__(self, obs_dim, act_dim, capacity):
        self.obs_dim = _check_int("obs_dim", obs_dim, 1, "a positive integer")
        self.act_dim = _check_int("act_dim", act_dim, 1, "a positive integer")
        self.capacity = _check_int("capacity", capacity, 1, "a positive integer")
        self.obs = np.zeros((self.capacity, self.obs_dim))
        self.actions = np.zeros((self.capacity, self.act_dim))
        self.rewards = np.zeros(self.capacity)
        self.next_obs = np.zeros((self.capacity, self.obs_dim))
        self.terminated = np.zeros(self.capacity, dtype=bool)
        self.n_added = 0                         # transitions ever added

    def __len__(self):
        """Transitions held: ``min(n_added, capacity)``."""
        return min(self.n_added, self.capacity)

    def add(self, obs, actions, rewards, next_obs, terminated):
        """Store n transitions (arrays with a leading axis n, or one transition without it).

        ``terminated`` must be True only when ``next_obs`` is a terminal state;
        give False for a time-limit truncation (the target then bootstraps).
        The inputs are copied.
        """
        s = _float_rows("obs", obs, self.obs_dim)
        n = len(s)
        a = _float_rows("actions", actions, self.act_dim)
        s2 = _float_rows("next_obs", next_obs, self.obs_dim)
        r = np.atleast_1d(np.asarray(rewards, dtype=float))
        d = np.atleast_1d(np.asarray(terminated))
        for name, arr in (("actions", a), ("next_obs", s2), ("rewards", r), ("terminated", d)):
            if len(arr) != n or (name in ("rewards", "terminated") and arr.ndim != 1):
                raise ValueError(f"{name} must hold {n} transitions like obs, got shape {np.shape(arr)}")
        if not np.isfinite(r).all():
            raise ValueError(f"rewards must be finite (no NaN or inf), got {r}")
        if d.dtype != bool:
            raise ValueError(f"terminated must be booleans, got dtype {d.dtype}")
        # slot of the k-th transition ever added: k mod capacity
        idx = (self.n_added + np.arange(n)) % self.capacity
        self.obs[idx], self.actions[idx], self.rewards[idx] = s, a, r
        self.next_obs[idx], self.terminated[idx] = s2, d
        self.n_added += n

    def add_segment(self, segment, actions):
        """Store the valid steps of a :class:`pglib.rollout.Segment`, time-major order.

        ``actions`` (T, N, act_dim): the actions as the learner represents
        them (e.g. rescaled to [-1, 1]); ``segment.obs[t + 1]`` is the next
        state (the final observation at an episode end), ``segment.terminated``
        the flag :math:`d_t` -- truncated steps are stored with :math:`d_t` = False
        -- and NEXT_STEP reset steps (``valid`` False) are skipped.
        """
        T, N = segment.valid.shape
        a = np.asarray(actions, dtype=float).reshape(T, N, -1)
        keep = segment.valid
        self.add(segment.obs[:-1][keep], a[keep], segment.rewards[keep], segment.obs[1:][keep],
                 segment.terminated[keep])

    def sample(self, batch_size, rng):
        """``batch_size`` transitions drawn uniformly with replacement: a :class:`Transitions` of copies."""
        batch_size = _check_int("batch_size", batch_size, 1, "a positive integer")
        if not isinstance(rng, np.random.Generator):
            raise ValueError("rng must be a numpy.random.Generator (use np.random.default_rng(seed))")
        if len(self) == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        # i ~ Uniform{0, ..., n - 1}, independently for each row
        idx = rng.integers(0, len(self), size=batch_size)
        return Transitions(self.obs[idx], self.actions[idx], self.rewards[idx], self.next_obs[idx],
                           self.terminated[idx])
