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

from .mdp import _check_int, _check_unit

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
    r = np.asarray(rewards, dtype=float)
    m = np.asarray(mask, dtype=bool)
    if r.ndim != 2 or m.shape != r.shape:
        raise ValueError(f"rewards and mask must share one shape (N, T), got {r.shape} and {m.shape}")
    gamma = _check_unit("gamma", gamma)
    r = r * m
    G = np.zeros_like(r)
    acc = np.zeros(r.shape[0])
    for t in range(r.shape[1] - 1, -1, -1):
        acc = r[:, t] + gamma * acc
        G[:, t] = acc
    return G


def _cumulative_support(p):
    """For distributions p of shape (n, m): the K likeliest outcomes of each row and their cumulative probabilities, (n, K)."""
    K = max(1, int((p > 0).sum(axis=1).max()))
    order = np.argsort(-p, axis=1, kind="stable")[:, :K]         # support first
    probs = np.take_along_axis(p, order, axis=1)
    cum = np.cumsum(probs, axis=1)
    # From the last outcome of positive probability on, cum is exactly 1 (absorbs round-off,
    # so an outcome of probability zero is never drawn).
    n_pos = (probs > 0).sum(axis=1)
    cum[np.arange(K)[None, :] >= (n_pos - 1)[:, None]] = 1.0
    return order, cum


def _draw(cum, u):
    """Column index k of each row of cum (n, K) picked by uniforms u (n,): the first k with u < cum[k]."""
    k = (cum <= u[:, None]).sum(axis=1)
    np.minimum(k, cum.shape[1] - 1, out=k)
    return k


def rollouts(mdp, pi, n_episodes, horizon, rng):
    r"""Sample ``n_episodes`` episodes of at most ``horizon`` steps under the policy table ``pi``.

    :math:`s_0 \sim p_0`, :math:`a_t \sim \pi(\cdot|s_t)`,
    :math:`s_{t+1} \sim P(\cdot|s_t, a_t)`, :math:`r_t = R[s_t, a_t, s_{t+1}]`,
    until a terminal state is entered or ``horizon`` actions are taken.

    One uniform number per step picks the pair :math:`(a_t, s_{t+1})` from
    the joint law :math:`\pi(a|s_t) P(s'|s_t, a)` by inverse-CDF over its
    support, for all running episodes at once.

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
    N = _check_int("n_episodes", n_episodes, 1, "a positive integer")
    T = _check_int("horizon", horizon, 1, "a positive integer")
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator (use np.random.default_rng(seed))")
    S, A = mdp.n_states, mdp.n_actions

    # Joint law of (a, s') given s: pi(a|s) P(s'|s, a), flattened to index a * S + s'.
    joint = (pi[:, :, None] * mdp.P).reshape(S, A * S)
    support, cum = _cumulative_support(joint)                     # (S, K)
    K = support.shape[1]
    next_a = (support // S).ravel()                               # flat tables indexed by s * K + k
    next_s = (support % S).ravel()
    next_r = mdp.R_sas.reshape(S, A * S)[np.arange(S)[:, None], support].ravel()
    next_live = mdp.live[next_s]
    p0_support, p0_cum = _cumulative_support(mdp.p0[None])

    # Time-major while sampling (contiguous writes); the Batch holds transposed views.
    states = np.zeros((T, N), dtype=np.int64)
    actions = np.zeros((T, N), dtype=np.int64)
    rewards = np.zeros((T, N))
    mask = np.zeros((T, N), dtype=bool)

    final = p0_support[0, _draw(np.broadcast_to(p0_cum, (N, p0_cum.shape[1])), rng.random(N))]
    active = np.flatnonzero(mdp.live[final])                      # episodes still running
    s = final[active]
    for t in range(T):
        if active.size == 0:
            break
        flat = s * K + _draw(cum[s], rng.random(active.size))     # (a_t, s_{t+1}) ~ pi(a|s_t) P(s'|s_t, a)
        states[t, active] = s
        actions[t, active] = next_a[flat]
        rewards[t, active] = next_r[flat]
        mask[t, active] = True
        s = next_s[flat]
        final[active] = s
        going = next_live[flat]
        active, s = active[going], s[going]
    # Padding entries (mask False) hold state 0, action 0, reward 0.
    return Batch(states=states.T, actions=actions.T, rewards=rewards.T,
                 mask=mask.T, final_states=final)
