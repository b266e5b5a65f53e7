r"""Vectorized sampling of episodes from a tabular MDP.

All episodes of a batch advance together, one time step per NumPy call
(no Python loop over episodes).  Arrays are (episode, time) ordered:

=============  ===========  ====================================================
name           shape        meaning
=============  ===========  ====================================================
``states``     (N, T) int   :math:`s_t`
``actions``    (N, T) int   :math:`a_t \sim \pi(\cdot|s_t)`
``rewards``    (N, T) float :math:`r_t = R[s_t, a_t, s_{t+1}]`
``mask``       (N, T) bool  True while the episode runs (acts at time t)
``final_states`` (N,) int   state after the last step taken
=============  ===========  ====================================================

Entries where ``mask`` is False are padding (reward 0).  An episode stops
when it enters a terminal state, or after ``horizon`` actions (truncation:
:math:`J_T` of :func:`pglib.exact.objective` with ``horizon=T`` is then the
exact expectation of the sampled discounted return).

All randomness comes from one explicit ``numpy.random.Generator``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Batch", "rollouts", "discounted_returns"]


@dataclass(frozen=True)
class Batch:
    """A batch of episodes, arrays of shape (N, T); see the module docstring."""

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    mask: np.ndarray
    final_states: np.ndarray

    @property
    def n_episodes(self):
        return self.states.shape[0]

    @property
    def horizon(self):
        return self.states.shape[1]

    @property
    def lengths(self):
        """Number of actions taken in each episode, shape (N,)."""
        return self.mask.sum(axis=1)

    def returns(self, gamma):
        r"""Discounted return of each episode :math:`\sum_t \gamma^t r_t`, shape (N,)."""
        return discounted_returns(self.rewards, self.mask, gamma)[:, 0]


def discounted_returns(rewards, mask, gamma):
    r"""Returns-to-go :math:`G_t = \sum_{t' \ge t} \gamma^{t'-t} r_{t'}`, shape (N, T).

    Computed backwards, :math:`G_t = r_t + \gamma G_{t+1}` with :math:`G_T = 0`;
    padding (``mask`` False) contributes nothing.  For one episode with
    rewards ``[r0, r1, r2]``: ``[r0 + g r1 + g^2 r2, r1 + g r2, r2]``.
    """
    r = np.asarray(rewards, dtype=float) * np.asarray(mask, dtype=bool)
    G = np.zeros_like(r)
    acc = np.zeros(r.shape[0])
    for t in range(r.shape[1] - 1, -1, -1):
        acc = r[:, t] + gamma * acc
        G[:, t] = acc
    return G


def _cumulative_support(p, axis_size):
    """For a table of distributions p (..., n), the padded support and cumulative probabilities (..., K)."""
    flat = p.reshape(-1, axis_size)
    K = max(1, int((flat > 0).sum(axis=1).max()))
    order = np.argsort(-flat, axis=1, kind="stable")[:, :K]      # the K likeliest outcomes, support first
    probs = np.take_along_axis(flat, order, axis=1)
    cum = np.cumsum(probs, axis=1)
    # From the last outcome of positive probability on, cum is exactly 1 (absorbs round-off,
    # so an outcome of probability zero is never drawn).
    n_pos = (probs > 0).sum(axis=1)
    cum[np.arange(K)[None, :] >= (n_pos - 1)[:, None]] = 1.0
    return order.reshape(p.shape[:-1] + (K,)), cum.reshape(p.shape[:-1] + (K,))


def _draw(support, cum, u):
    """Index into ``support`` (N, K) picked by uniforms u (N,): first k with u < cum[k]."""
    k = (cum <= u[:, None]).sum(axis=1)
    np.minimum(k, cum.shape[1] - 1, out=k)
    return np.take_along_axis(support, k[:, None], axis=1)[:, 0]


def rollouts(mdp, pi, n_episodes, horizon, rng):
    r"""Sample ``n_episodes`` episodes of at most ``horizon`` steps under the policy table ``pi``.

    :math:`s_0 \sim p_0`, :math:`a_t \sim \pi(\cdot|s_t)`,
    :math:`s_{t+1} \sim P(\cdot|s_t, a_t)`, :math:`r_t = R[s_t, a_t, s_{t+1}]`,
    until a terminal state is entered or ``horizon`` actions are taken.

    Parameters
    ----------
    mdp : TabularMDP
    pi : array_like, shape (S, A)
        Policy table, rows on the simplex.
    n_episodes, horizon : int, positive
    rng : numpy.random.Generator

    Returns
    -------
    Batch
        Arrays of shape (n_episodes, horizon), (episode, time) ordered.
    """
    from .exact import check_policy_table
    pi = check_policy_table(mdp, pi)
    if int(n_episodes) != n_episodes or n_episodes <= 0:
        raise ValueError(f"n_episodes must be a positive integer, got {n_episodes}")
    if int(horizon) != horizon or horizon <= 0:
        raise ValueError(f"horizon must be a positive integer, got {horizon}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator (use np.random.default_rng(seed))")
    N, T = int(n_episodes), int(horizon)
    S, A = mdp.n_states, mdp.n_actions

    a_support, a_cum = _cumulative_support(pi, A)                 # (S, Ka)
    s_support, s_cum = _cumulative_support(mdp.P, S)              # (S, A, Ks)
    p0_support, p0_cum = _cumulative_support(mdp.p0[None], S)     # (1, K0)

    states = np.zeros((N, T), dtype=np.int64)
    actions = np.zeros((N, T), dtype=np.int64)
    rewards = np.zeros((N, T))
    mask = np.zeros((N, T), dtype=bool)

    s = _draw(np.broadcast_to(p0_support, (N, p0_support.shape[1])),
              np.broadcast_to(p0_cum, (N, p0_cum.shape[1])), rng.random(N))
    running = mdp.live[s]
    for t in range(T):
        if not running.any():
            break
        idx = np.flatnonzero(running)
        st = s[idx]
        u = rng.random((2, idx.size))
        a = _draw(a_support[st], a_cum[st], u[0])                 # a_t ~ pi(.|s_t)
        s_next = _draw(s_support[st, a], s_cum[st, a], u[1])      # s_{t+1} ~ P(.|s_t, a_t)
        states[idx, t] = st
        actions[idx, t] = a
        rewards[idx, t] = mdp.R_sas[st, a, s_next]
        mask[idx, t] = True
        s[idx] = s_next
        running[idx] = mdp.live[s_next]
    # Padding entries (mask False) hold state 0, action 0, reward 0.
    return Batch(states=states, actions=actions, rewards=rewards, mask=mask, final_states=s)
