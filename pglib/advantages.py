r"""Advantage estimates built from a critic: TD errors and GAE(:math:`\gamma, \lambda`).

Given a critic :math:`\hat V` (any table of state values, shape (S,)), the
one-step *temporal-difference error* of step :math:`t` of an episode is

.. math::

    \delta_t = r_t + \gamma \hat V(s_{t+1}) - \hat V(s_t),

and the *generalized advantage estimate* (Schulman et al. 2016) is its
exponentially weighted sum along the rest of the episode,

.. math::

    \hat A^{\lambda}_t = \sum_{l \ge 0} (\gamma\lambda)^l \, \delta_{t+l},
    \qquad \text{computed backwards as} \qquad
    \hat A^{\lambda}_t = \delta_t + \gamma\lambda \, \hat A^{\lambda}_{t+1}.

Special cases: :math:`\lambda = 0` gives :math:`\delta_t`; :math:`\lambda = 1`
telescopes to :math:`G_t - \hat V(s_t)` (plus :math:`\gamma^{L-t}\hat V(s_L)`
for an episode cut at its horizon).

Episode ends, with the conventions of :mod:`pglib.sampling`:

* the step after the last running step of an episode goes to
  ``final_states``; if that state is terminal the episode has ended and its
  value is 0, otherwise the episode was truncated at the horizon and the
  critic's value of ``final_states`` is used (bootstrapping);
* padding steps (``mask`` False) have :math:`\delta_t = \hat A_t = 0`.

Pass ``terminal`` (the MDP's boolean mask, shape (S,)) so that the critic is
read as 0 at terminal states whatever it holds there; without it the critic's
own entries are used (:func:`pglib.exact.state_values` is already 0 there).

:func:`expected_gae` gives the exact conditional expectation
:math:`E[\hat A^\lambda_t \mid s_t = s, a_t = a]` of an untruncated episode,
for any critic, by one linear solve.

Shapes
------
==============  ============  =========================================
name            shape         meaning
==============  ============  =========================================
``batch``       (N, T) arrays a :class:`pglib.sampling.Batch` (or Enumeration)
``values``      (S,)          critic :math:`\hat V(s)`
``td_errors``   (N, T)        :math:`\delta_t`, 0 on padding
``gae``         (N, T)        :math:`\hat A^\lambda_t`, 0 on padding
==============  ============  =========================================

References: Sutton (1988) for TD errors; Schulman, Moritz, Levine, Jordan &
Abbeel (2016), *High-dimensional continuous control using generalized
advantage estimation*, eq. (16).
"""
from __future__ import annotations

import numpy as np

from .exact import check_episodes_end, check_policy_table, transition_matrix
from .mdp import _check_unit
from .sampling import discounted_returns

__all__ = ["td_errors", "gae", "expected_gae", "segment_gae"]


def visited_states(batch):
    """The states a batch acts in and ends in, flat; raises ``ValueError`` on mismatched (N, T) arrays."""
    states = np.asarray(batch.states)
    mask = np.asarray(batch.mask, dtype=bool)
    if states.ndim != 2 or mask.shape != states.shape or np.shape(batch.rewards) != states.shape:
        raise ValueError("batch.states, batch.rewards and batch.mask must share one shape (N, T), got "
                         f"{states.shape}, {np.shape(batch.rewards)}, {mask.shape}")
    final = np.asarray(batch.final_states)
    if final.shape != (states.shape[0],):
        raise ValueError(f"batch.final_states must have shape (N,) = ({states.shape[0]},), got {final.shape}")
    return np.concatenate([states[mask].ravel(), final.ravel()])


def _critic(batch, values, terminal):
    """Critic as a float (S,) array with zeros at terminal states; validates against the batch."""
    v = np.asarray(values, dtype=float)
    if v.ndim != 1:
        raise ValueError(f"values must be a 1-d array of state values, shape (S,), got shape {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError("values must be finite (no NaN or inf)")
    used = visited_states(batch)
    if used.size and (used.min() < 0 or used.max() >= v.size):
        raise ValueError(f"values has {v.size} entries but the batch visits state {int(used.max())}")
    if terminal is not None:
        term = np.asarray(terminal)
        if term.shape != v.shape or term.dtype != bool:
            raise ValueError(f"terminal must be a boolean mask of shape (S,) = {v.shape}, "
                             f"got dtype {term.dtype} and shape {term.shape}")
        v = np.where(term, 0.0, v)
    return v


def td_errors(batch, values, gamma, terminal=None):
    r"""TD errors :math:`\delta_t = r_t + \gamma \hat V(s_{t+1}) - \hat V(s_t)`, shape (N, T).

    Parameters
    ----------
    batch : Batch
        Episodes from :func:`pglib.rollouts` (or an Enumeration): ``states``,
        ``rewards``, ``mask`` of shape (N, T) and ``final_states`` (N,).
    values : array_like, shape (S,)
        The critic :math:`\hat V`.
    gamma : float in [0, 1]
    terminal : bool array, shape (S,), optional
        Terminal states; the critic is read as 0 there.

    Returns
    -------
    ndarray, shape (N, T)
        :math:`\delta_t` on running steps, 0 on padding.  The next state of an
        episode's last step is ``final_states``: value 0 if it is terminal,
        :math:`\hat V` of it if the episode was cut at the horizon.

    Examples
    --------
    One episode, rewards ``[1, 2]``, states ``[0, 1]``, ending in terminal
    state 2, critic ``[10, 20, 99]``, :math:`\gamma = 0.5`:
    ``[1 + 0.5*20 - 10, 2 + 0.5*0 - 20] = [1, -18]``.
    """
    gamma = _check_unit("gamma", gamma)
    v = _critic(batch, values, terminal)
    states = np.asarray(batch.states)
    mask = np.asarray(batch.mask, dtype=bool)
    r = np.asarray(batch.rewards, dtype=float)
    N, T = states.shape
    # Padding entries may hold any state (rollouts: 0, Enumeration: the last one): read V only
    # where the episode runs.
    states = np.where(mask, states, 0)
    # V(s_{t+1}) for the steps followed by another running step ...
    v_next = np.zeros((N, T))
    v_next[:, :-1] = np.where(mask[:, 1:], v[states[:, 1:]], 0.0)
    # ... and for each episode's last step: the state after it, final_states
    # (0 if terminal, bootstrap if the horizon cut the episode).
    lengths = mask.sum(axis=1)
    ran = np.flatnonzero(lengths > 0)
    v_next[ran, lengths[ran] - 1] = v[np.asarray(batch.final_states)[ran]]
    # delta_t = r_t + gamma V(s_{t+1}) - V(s_t) on running steps, 0 on padding
    return np.where(mask, r + gamma * v_next - v[states], 0.0)


def gae(batch, values, gamma, lam, terminal=None):
    r"""Generalized advantage estimates :math:`\hat A^\lambda_t = \sum_{l \ge 0} (\gamma\lambda)^l \delta_{t+l}`, shape (N, T).

    Computed backwards, :math:`\hat A_t = \delta_t + \gamma\lambda\,\hat A_{t+1}`
    with :math:`\hat A_T = 0`, from :func:`td_errors` (same arguments).
    ``lam = 0`` gives :math:`\delta_t`; ``lam = 1`` gives
    :math:`G_t - \hat V(s_t)` for episodes that end in a terminal state.

    Parameters
    ----------
    batch, values, gamma, terminal
        As in :func:`td_errors`.
    lam : float in [0, 1]
        The GAE parameter :math:`\lambda`.

    Examples
    --------
    With TD errors ``[1, -18]`` (see :func:`td_errors`), :math:`\gamma = 0.5`,
    :math:`\lambda = 0.5`: ``[1 + 0.25 * (-18), -18] = [-3.5, -18]``.
    """
    lam = _check_unit("lam", lam)
    delta = td_errors(batch, values, gamma, terminal)
    # A_t = delta_t + gamma lambda A_{t+1}: the discounted cumulative sum of the
    # TD errors with factor gamma * lambda (padding has delta = 0 and stays 0)
    return discounted_returns(delta, batch.mask, float(gamma) * lam)


def expected_gae(mdp, pi, values, lam):
    r"""Exact :math:`E[\hat A^\lambda_t \mid s_t = s, a_t = a]` for untruncated episodes, shape (S, A).

    With :math:`D(s,a) = R(s,a) + \gamma \sum_{s'} P(s'|s,a)\hat V(s') - \hat V(s)`
    (the expected TD error; :math:`\hat V = 0` at terminal states) and
    :math:`\bar\delta(s) = \sum_a \pi(a|s) D(s,a)` (its :math:`\pi`-average),

    .. math::

        E[\hat A^\lambda_t \mid s, a]
        = D(s,a) + \sum_{l \ge 1} (\gamma\lambda)^l \,[P (P^\pi)^{l-1} \bar\delta](s,a)
        = D(s,a) + \gamma\lambda \sum_{s'} P(s'|s,a)\,[(I - \gamma\lambda P^\pi)^{-1} \bar\delta](s').

    For the exact critic :math:`\hat V = v^\pi` this is :math:`A^\pi(s,a)` for
    every :math:`\lambda`; for :math:`\lambda = 1` it is
    :math:`q^\pi(s,a) - \hat V(s)` for every critic.  Zero at terminal states.

    Parameters
    ----------
    mdp : TabularMDP
    pi : array_like, shape (S, A)
        Policy table.
    values : array_like, shape (S,)
        The critic.
    lam : float in [0, 1]
    """
    pi = check_policy_table(mdp, pi)
    lam = _check_unit("lam", lam)
    v = np.asarray(values, dtype=float)
    if v.shape != (mdp.n_states,):
        raise ValueError(f"values must have shape (S,) = ({mdp.n_states},), got {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError("values must be finite (no NaN or inf)")
    live = mdp.live
    v = np.where(live, v, 0.0)
    decay = mdp.gamma * lam
    # D(s, a) = R(s, a) + gamma sum_s' P(s'|s, a) V(s') - V(s), zero where nobody acts
    D = (mdp.R + mdp.gamma * mdp.P @ v - v[:, None]) * live[:, None]
    delta_bar = (pi * D).sum(axis=1)
    if decay == 1.0:
        check_episodes_end(mdp, pi)
    M = transition_matrix(mdp, pi)
    # Solve (I - gamma lambda P^pi) u = delta_bar for u (u = 0 at terminal states)
    u = np.linalg.solve(np.eye(mdp.n_states) - decay * M, delta_bar)
    return (D + decay * mdp.P @ u) * live[:, None]


def segment_gae(rewards, values, terminated, truncated, valid, gamma, lam):
    r"""GAE on a time-major segment of a vector environment, shape (T, N).

    The conventions of :mod:`pglib.rollout`: ``values`` (T+1, N) holds
    :math:`\hat V(s_t)` for :math:`t = 0..T`, where ``s_{t+1}`` is the state
    that followed step :math:`t` (the final observation after an episode
    end).  Then, backwards from :math:`\hat A_T = 0`,

    .. math::

        \delta_t = r_t + \gamma (1 - \text{terminated}_t)\, \hat V(s_{t+1}) - \hat V(s_t),
        \qquad
        \hat A_t = \delta_t + \gamma\lambda\,(1 - \text{done}_t)\, \hat A_{t+1},

    with :math:`\text{done}_t = \text{terminated}_t \lor \text{truncated}_t`:
    a truncated step bootstraps from the critic but starts no sum across
    the episode boundary, and the last step of the segment bootstraps from
    :math:`\hat V(s_T)`.  Reset steps (``valid`` False) get :math:`\hat A_t = 0`.

    Parameters
    ----------
    rewards : (T, N) float
    values : (T+1, N) float
    terminated, truncated, valid : (T, N) bool
    gamma, lam : float in [0, 1]

    Returns
    -------
    (T, N) float
        :math:`\hat A_t`; add ``values[:-1]`` for the :math:`\lambda`-returns.
    """
    gamma = _check_unit("gamma", gamma)
    lam = _check_unit("lam", lam)
    r = np.asarray(rewards, dtype=float)
    V = np.asarray(values, dtype=float)
    term, trunc, ok = (np.asarray(x, dtype=bool) for x in (terminated, truncated, valid))
    if r.ndim != 2 or V.shape != (r.shape[0] + 1, r.shape[1]) or not (term.shape == trunc.shape == ok.shape == r.shape):
        raise ValueError(f"need rewards/terminated/truncated/valid of one shape (T, N) and values of shape "
                         f"(T+1, N); got {r.shape}, {term.shape}, {trunc.shape}, {ok.shape} and {V.shape}")
    A = np.zeros_like(r)
    acc = np.zeros(r.shape[1])
    for t in range(r.shape[0] - 1, -1, -1):
        # delta_t = r_t + gamma (1 - terminated_t) V(s_{t+1}) - V(s_t)
        delta = r[t] + gamma * (~term[t]) * V[t + 1] - V[t]
        # A_t = delta_t + gamma lambda (1 - done_t) A_{t+1}
        acc = np.where(ok[t], delta + gamma * lam * (~(term[t] | trunc[t])) * acc, 0.0)
        A[t] = acc
    return A
