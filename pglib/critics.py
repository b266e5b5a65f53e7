r"""Tabular critics learned from sampled episodes: regression on returns and TD(:math:`\lambda`).

A critic is a table :math:`V(s)`, shape (S,), that should approach
:math:`v^\pi` of the policy that generated the episodes.  Every method here
fits it by **least squares on targets** :math:`y_t`,

.. math::

    \min_V \; \frac1N \sum_{i=1}^N \sum_{t < L_i} \tfrac12\big(V(s^i_t) - y^i_t\big)^2,

and they differ in the targets:

* **regression on returns** (Monte Carlo): :math:`y_t = G_t = \sum_{k \ge t}\gamma^{k-t} r_k`.
  The targets do not depend on :math:`V`, so the minimiser is the average
  return observed from each state, :func:`monte_carlo_values`.
  :math:`E[G_t \mid s_t = s] = v^\pi(s)` for episodes that end by themselves;
  an episode cut at its horizon loses its tail.
* **TD(**:math:`\lambda`**)**: :math:`y_t = G^\lambda_t(V) = V(s_t) + \hat A^\lambda_t(V)`,
  the :math:`\lambda`-return (Sutton 1988), built from the critic itself
  (:func:`lambda_returns`, with :func:`pglib.advantages.gae`).  Bootstrapped
  targets move with :math:`V`; :math:`\lambda = 1` gives back :math:`G_t`
  (plus :math:`\gamma^{L-t}V(s_L)` for an episode cut in :math:`s_L`),
  :math:`\lambda = 0` the one-step target :math:`r_t + \gamma V(s_{t+1})`.

Two ways to use them:

* **batch TD(**:math:`\lambda`**)** on one fixed batch: repeat the regression
  until the targets stop moving.  The limit solves, for every visited state,

  .. math:: \sum_{(i,t):\, s^i_t = s} \big(G^\lambda_t(V) - V(s)\big) = 0,

  which is *affine* in :math:`V`; :func:`batch_td_lambda` solves it by one
  linear solve.  For :math:`\lambda = 0` the solution is the value of the
  maximum-likelihood model of the batch ("certainty equivalence", Sutton
  1988; Sutton & Barto 2018, section 6.3); for :math:`\lambda = 1`
  and episodes that end, it is :func:`monte_carlo_values`.
* **learning on fresh batches**, as an actor-critic agent does:
  :func:`td_learning` samples new episodes at every iteration, computes the
  targets with the current critic and takes one gradient step of the
  regression (:func:`regression_step`).  The expected step is

  .. math::

      E[V_{k+1}(s) - V_k(s) \mid V_k] = \alpha\, n(s)\,\big[(T^\lambda V_k)(s) - V_k(s)\big],
      \qquad T^\lambda V = V + (I - \gamma\lambda P^\pi)^{-1}(r^\pi + \gamma P^\pi V - V),

  with :math:`n(s)` the expected visits per episode, so the mean iterate
  follows a deterministic affine recursion whose fixed point is :math:`v^\pi`
  (for episodes that end; truncation bootstraps and keeps the fixed point).

Shapes
------
==================  ============  ===============================================
name                shape         meaning
==================  ============  ===============================================
``batch``           (N, T)        a :class:`pglib.sampling.Batch`
``values``          (S,)          the critic :math:`V`
``targets``         (N, T)        :math:`y_t`, 0 on padding
``td_learning``     (K+1, R, S)   the critic of each of R independent runs after k = 0..K steps
==================  ============  ===============================================

References: Sutton (1988), *Learning to predict by the methods of temporal
differences*; Sutton & Barto (2018), sections 6.3 (batch updating), 12.1
(the :math:`\lambda`-return); Schulman et al. (2016), section 5 (the critic
of GAE as regression on :math:`\lambda`-returns).
"""
from __future__ import annotations

import numpy as np

from .advantages import gae, visited_states
from .exact import check_policy_table
from .mdp import TabularMDP, _check_int, _check_unit
from .sampling import Batch, discounted_returns, rollouts

__all__ = ["visit_counts", "monte_carlo_values", "lambda_returns", "regression_step", "batch_td_lambda",
           "td_learning"]


def _check_batch(batch, n_states):
    """Validated (states, mask, S) of a batch; raises ``ValueError`` naming the problem."""
    S = _check_int("n_states", n_states, 1, "a positive integer")
    used = visited_states(batch)
    states, mask = np.asarray(batch.states), np.asarray(batch.mask, dtype=bool)
    if used.size and (used.min() < 0 or used.max() >= S):
        raise ValueError(f"n_states = {S} but the batch visits state {int(used.max())}")
    return states, mask, S


def _check_values(values, S, name="values"):
    v = np.array(values, dtype=float, copy=True)
    if v.shape != (S,):
        raise ValueError(f"{name} must have shape (S,) = ({S},), got {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return v


def _check_positive(name, x):
    try:
        x = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {x!r}") from None
    if not (np.isfinite(x) and x > 0):
        raise ValueError(f"{name} must be a positive finite number, got {x}")
    return x


def visit_counts(batch, n_states):
    r"""Number of running steps spent in each state, :math:`\sum_{i,t} [s^i_t = s]`, shape (S,)."""
    states, mask, S = _check_batch(batch, n_states)
    return np.bincount(states[mask], minlength=S).astype(float)


def monte_carlo_values(batch, gamma, n_states):
    r"""Regression on returns: :math:`V(s)` = the mean of :math:`G_t` over the visits of ``s``, shape (S,).

    The least-squares fit :math:`\arg\min_V \sum_{i,t} (V(s^i_t) - G^i_t)^2`
    ("every-visit" Monte Carlo); states never visited get 0.  The returns are
    those observed: an episode cut at the horizon contributes returns short
    of their tail (use a horizon the episodes rarely reach, or
    :func:`batch_td_lambda`, which bootstraps).

    Examples
    --------
    Two episodes on states ``[0, 1]`` and ``[0]`` with rewards ``[1, 2]`` and
    ``[4]``, :math:`\gamma = 0.5`: :math:`G = [2, 2]` and :math:`[4]`, so
    :math:`V(0) = (2 + 4)/2 = 3` and :math:`V(1) = 2`.
    """
    gamma = _check_unit("gamma", gamma)
    states, mask, S = _check_batch(batch, n_states)
    # G_t = r_t + gamma G_{t+1}, backwards along each episode
    G = discounted_returns(batch.rewards, mask, gamma)
    counts = np.bincount(states[mask], minlength=S)
    sums = np.bincount(states[mask], weights=G[mask], minlength=S)
    # V(s) = sum of returns from s / number of visits of s (0 where never visited)
    return np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)


def lambda_returns(batch, values, gamma, lam, terminal=None):
    r""":math:`\lambda`-returns :math:`G^\lambda_t = V(s_t) + \hat A^\lambda_t`, shape (N, T), 0 on padding.

    :math:`\hat A^\lambda_t` is :func:`pglib.advantages.gae` with the same
    arguments (terminal next states count 0; an episode cut at the horizon
    bootstraps from ``values[final_states]``).  Equivalently
    :math:`G^\lambda_t = r_t + \gamma\big[(1-\lambda)V(s_{t+1}) + \lambda G^\lambda_{t+1}\big]`.
    """
    A = gae(batch, values, gamma, lam, terminal)
    states = np.where(batch.mask, batch.states, 0)
    v = np.asarray(values, dtype=float)
    # G^lambda_t = A^lambda_t + V(s_t) on running steps
    return np.where(batch.mask, A + v[states], 0.0)


def regression_step(batch, targets, values, lr):
    r"""One gradient step on :math:`\frac1N \sum_{i,t} \tfrac12 (V(s^i_t) - y^i_t)^2`: the new table, shape (S,).

    .. math:: V(s) \leftarrow V(s) - \frac{\alpha}{N} \sum_{(i,t):\, s^i_t = s} \big(V(s) - y^i_t\big)

    The loss sums over the steps of an episode and averages over the N
    episodes, so the expected step in state ``s`` is :math:`\alpha\,n(s)`
    times the mean error there (stable when :math:`\alpha\, n(s) < 2`;
    monotone when :math:`\le 1`).  ``values`` is not modified.

    Examples
    --------
    One episode visiting state 0 twice with targets 1 and 3, :math:`V(0) = 0`,
    :math:`\alpha = 0.25`: :math:`V(0) \leftarrow 0 - 0.25\,[(0 - 1) + (0 - 3)] = 1`.
    """
    lr = _check_positive("lr", lr)
    v = np.array(values, dtype=float, copy=True)
    states, mask, S = _check_batch(batch, v.size)
    v = _check_values(v, S)
    y = np.asarray(targets, dtype=float)
    if y.shape != states.shape:
        raise ValueError(f"targets must have the batch shape {states.shape}, got {y.shape}")
    if not np.all(np.isfinite(y[mask])):
        raise ValueError("targets must be finite on running steps (no NaN or inf)")
    N = states.shape[0]
    # dL/dV(s) = (1/N) sum over the visits of s of (V(s) - y_t)
    grad = np.bincount(states[mask], weights=v[states[mask]] - y[mask], minlength=S) / N
    return v - lr * grad


def batch_td_lambda(batch, gamma, lam, n_states, terminal=None):
    r"""The fixed point of batch TD(:math:`\lambda`) on one batch, shape (S,).

    Solves, for every state visited in the batch,
    :math:`\sum_{(i,t):\, s^i_t = s} \big(G^\lambda_t(V) - V(s)\big) = 0`
    (the regression on :math:`\lambda`-returns has stopped moving).  The left
    side is affine in :math:`V`, :math:`e(V) = e(0) + M V`; its columns
    :math:`M_{\cdot x} = e(\mathbb 1_x) - e(0)` are read off
    :func:`lambda_returns` at the unit tables, then one linear solve.  States
    never visited (and terminal states, with ``terminal``) keep the value 0,
    also where a truncated episode bootstraps from one.

    For :math:`\lambda = 0` this is the value of the batch's maximum-likelihood
    model, :math:`V = \hat r + \gamma \hat P V` with :math:`\hat P, \hat r`
    the transition frequencies and mean rewards of the batch; for
    :math:`\lambda = 1` and episodes that all end in a terminal state it is
    :func:`monte_carlo_values`.  Raises ``ValueError`` if the equations are
    singular (:math:`\gamma = 1` and some visited states never reach an end
    in the batch).
    """
    gamma = _check_unit("gamma", gamma)
    lam = _check_unit("lam", lam)
    states, mask, S = _check_batch(batch, n_states)
    visited = np.bincount(states[mask], minlength=S) > 0
    if terminal is not None:
        term = np.asarray(terminal)
        if term.shape != (S,) or term.dtype != bool:
            raise ValueError(f"terminal must be a boolean mask of shape (S,) = ({S},), got {term.dtype}, {term.shape}")
        visited &= ~term
    idx = np.flatnonzero(visited)
    s_run = states[mask]

    def error_sums(v):
        # e(V)(s) = sum over the visits of s of (G^lambda_t(V) - V(s))
        G = lambda_returns(batch, v, gamma, lam, terminal)
        return np.bincount(s_run, weights=G[mask] - v[s_run], minlength=S)

    e0 = error_sums(np.zeros(S))
    M = np.empty((S, idx.size))
    for j, x in enumerate(idx):
        unit = np.zeros(S)
        unit[x] = 1.0
        M[:, j] = error_sums(unit) - e0
    # Solve M[visited, visited] V[visited] = -e(0)[visited]; V = 0 elsewhere
    v = np.zeros(S)
    if idx.size:
        try:
            v[idx] = np.linalg.solve(M[idx], -e0[idx])
        except np.linalg.LinAlgError:
            raise ValueError("the batch TD(lambda) equations are singular: with gamma = 1 some visited "
                             "states never reach the end of an episode in this batch") from None
    return v


def td_learning(mdp, pi, lam, lr, n_iters, n_episodes, horizon, rng, values=None, n_runs=1):
    r"""Learn :math:`v^\pi` by regression on :math:`\lambda`-returns from fresh episodes; history (K+1, R, S).

    ``n_runs`` = R independent learners run side by side (vectorised: one
    call to :func:`pglib.rollouts` per iteration samples every run's
    episodes).  Each iteration, for each run: sample ``n_episodes`` episodes
    of at most ``horizon`` steps under ``pi``, compute the targets
    :math:`G^\lambda_t(V_k)` with the run's current critic
    (:func:`lambda_returns`), and take one :func:`regression_step` with step
    size ``lr``.  ``lam = 1`` is regression on returns (bootstrapped only at
    the horizon), ``lam = 0`` is TD(0).

    Parameters
    ----------
    mdp : TabularMDP
    pi : array_like, shape (S, A)
    lam : float in [0, 1]
    lr : float > 0
        The step :math:`\alpha`; the expected step in ``s`` is :math:`\alpha\,n(s)`.
    n_iters, n_episodes, horizon, n_runs : positive int
    rng : numpy.random.Generator
    values : array_like, shape (S,), optional
        Initial critic of every run (default 0).

    Returns
    -------
    ndarray, shape (n_iters + 1, n_runs, S)
        ``[k, r]`` is run ``r``'s critic after ``k`` steps (``[0]`` the initial one).
    """
    if not isinstance(mdp, TabularMDP):
        raise ValueError(f"mdp must be a TabularMDP, got {type(mdp).__name__}")
    pi = check_policy_table(mdp, pi)
    lam = _check_unit("lam", lam)
    lr = _check_positive("lr", lr)
    K = _check_int("n_iters", n_iters, 1, "a positive integer")
    N = _check_int("n_episodes", n_episodes, 1, "a positive integer")
    R = _check_int("n_runs", n_runs, 1, "a positive integer")
    H = _check_int("horizon", horizon, 1, "a positive integer")
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator (use np.random.default_rng(seed))")
    S = mdp.n_states
    v0 = np.zeros(S) if values is None else _check_values(values, S)
    # R runs as one MDP with R * S states: run r's state s is r * S + s, so one gae call
    # and one bincount serve every run (each run sees only its own block of the table)
    offset = (np.arange(R) * S)[:, None]                        # (R, 1)
    terminal = np.tile(mdp.terminal, R)
    history = np.empty((K + 1, R, S))
    history[0] = v0
    V = np.tile(v0, R)
    for k in range(K):
        b = rollouts(mdp, pi, R * N, H, rng)
        run_of = np.repeat(offset[:, 0], N)[:, None]           # (R * N, 1): block of each episode
        big = Batch(states=np.where(b.mask, b.states + run_of, 0), actions=b.actions, rewards=b.rewards,
                    mask=b.mask, final_states=b.final_states + run_of[:, 0])
        # targets y_t = G^lambda_t(V_k) with each run's own critic
        y = lambda_returns(big, V, mdp.gamma, lam, terminal)
        # V_{k+1} = V_k - (lr / N) sum over visits (V_k(s) - y_t), per run; the big batch
        # has R * N episodes, so the step size passed is lr * R
        V = regression_step(big, y, V, lr * R)
        history[k + 1] = V.reshape(R, S)
    return history
