r"""Augmented random search, ARS (Mania, Guy & Recht 2018), versions V1-t and V2-t.

A linear policy :math:`a = M\tilde s` (no bias) improved by finite
differences along random directions.  Each iteration draws :math:`N`
directions :math:`\delta_k \sim \mathcal N(0, I)` of the parameter space, runs one
episode at :math:`M + \nu\delta_k` and one at :math:`M - \nu\delta_k`
(returns :math:`r_k^+, r_k^-`), keeps the :math:`b` directions with the largest
:math:`\max(r_k^+, r_k^-)` ("-t": top directions), and steps

.. math::

    M \leftarrow M + \frac{\alpha}{b\,\sigma_R} \sum_{k \in \text{top } b} \big(r_k^+ - r_k^-\big)\,\delta_k,

with :math:`\sigma_R` the standard deviation of the :math:`2b` returns used
("augmented": scaling by :math:`\sigma_R` keeps the step size meaningful as
the returns grow).  Up to that scaling and the top-:math:`b` selection, this is
the antithetic ES estimate with raw returns and plain gradient ascent.

**V2** normalises the states, :math:`\tilde s = \mathrm{diag}(\Sigma)^{-1/2}(s - \mu)`, with the
mean and variance of every state met in the episodes so far (updated after
each iteration, frozen within one); **V1** uses :math:`\tilde s = s`.  For a
discrete action space the action is :math:`\arg\max_k (M\tilde s)_k`.

The two episodes of a direction share their environment seed (common random
numbers).  Every step of every episode counts in ``steps``.  The greedy
policy is :math:`M` itself with the current normalisation.
"""
from __future__ import annotations

import time

import numpy as np

from ..rollout import make_vec
from .common import Evaluator, Run, one_blas_thread, start
from .search import LinearPolicy, RunningMeanStd, run_episodes

__all__ = ["ars", "ars_step"]


def ars_step(r_plus, r_minus, deltas, top, step_size):
    r"""The ARS update :math:`\frac{\alpha}{b\sigma_R}\sum_{k\in\text{top } b}(r_k^+ - r_k^-)\delta_k`: shape (P,).

    ``r_plus``, ``r_minus`` (N,), ``deltas`` (N, P), ``top`` = :math:`b \le N`.
    :math:`\sigma_R` is the (population) standard deviation of the :math:`2b`
    returns of the kept directions; when they are all equal the step is 0.
    """
    r_plus, r_minus, deltas = (np.asarray(x, dtype=float) for x in (r_plus, r_minus, deltas))
    if r_plus.shape != r_minus.shape or deltas.ndim != 2 or r_plus.shape != (len(deltas),):
        raise ValueError(f"need r_plus, r_minus of shape (N,) and deltas of shape (N, P), got "
                         f"{r_plus.shape}, {r_minus.shape}, {deltas.shape}")
    if not 1 <= top <= len(deltas):
        raise ValueError(f"top must be in [1, {len(deltas)}], got {top}")
    # the b directions with the largest max(r+, r-); a stable sort keeps ties in draw order
    keep = np.argsort(-np.maximum(r_plus, r_minus), kind="stable")[:top]
    sigma_r = np.concatenate([r_plus[keep], r_minus[keep]]).std()
    if sigma_r == 0.0:
        return np.zeros(deltas.shape[1])
    # alpha / (b sigma_R) sum_k (r_k^+ - r_k^-) delta_k
    return step_size / (top * sigma_r) * ((r_plus[keep] - r_minus[keep]) @ deltas[keep])


@one_blas_thread
def ars(env_id, total_steps=100_000, seed=0, **overrides):
    """Train a linear policy by ARS (V2-t, or V1-t with ``normalize_states=False``); returns a :class:`Run`."""
    c, envs, rng, t0 = start("ars", env_id, total_steps, seed, overrides)
    obs_dim = envs.single_observation_space.shape[0]
    policy = LinearPolicy(obs_dim, envs.single_action_space, bias=False)
    envs.close()
    N, b, nu = c["n_directions"], c["top_directions"], c["noise"]
    if b > N:
        raise ValueError(f"top_directions must be <= n_directions = {N}, got {b}")
    envs = make_vec(env_id, 2 * N)                       # one copy per perturbed policy
    stats = RunningMeanStd(obs_dim)
    evaluator = Evaluator(env_id, c["eval_every"], c["eval_episodes"], seed)
    steps, ep_steps, ep_returns = 0, [], []

    evaluator.maybe(0, policy.greedy)
    while steps < total_steps:
        # 1. N directions, one episode at M + nu delta_k and one at M - nu delta_k
        deltas = rng.standard_normal((N, policy.n_params))
        thetas = policy.theta + nu * np.concatenate([deltas, -deltas])
        seeds = np.tile(rng.integers(0, 2**31 - 1, size=N), 2)
        ep = run_episodes(envs, lambda obs: policy.act(thetas, obs), seeds)
        steps += int(ep.lengths.sum())
        ep_steps += [steps] * len(ep.returns)
        ep_returns += ep.returns.tolist()

        # 2. the step along the top b directions, scaled by the std of their returns
        policy.theta += ars_step(ep.returns[:N], ep.returns[N:], deltas, b, c["step_size"])

        # 3. V2: merge the states of these episodes into the normalisation
        if c["normalize_states"]:
            stats.update(ep.states)
            policy.obs_mean, policy.obs_std = stats.mean.copy(), stats.std

        evaluator.maybe(steps, policy.greedy, force=steps >= total_steps)

    envs.close()
    evaluator.close()
    return Run("ars", env_id, seed, c, np.array(evaluator.steps), np.array(evaluator.returns),
               np.array(ep_steps), np.array(ep_returns), policy, time.perf_counter() - t0)
