r"""The cross-entropy method, CEM, for policy search (Rubinstein 1999; Szita & Lőrincz 2006).

A Gaussian :math:`\mathcal N(\mu, \mathrm{diag}\,\sigma^2)` over the parameters of a
linear policy.  Each iteration draws a population
:math:`\theta_i = \mu + \sigma \odot \varepsilon_i`, runs one episode of each, keeps
the elite (the ``elite_frac`` best returns) and refits the Gaussian to it by
maximum likelihood,

.. math::

    \mu \leftarrow \frac1{|E|}\sum_{i \in E}\theta_i, \qquad
    \sigma_j^2 \leftarrow \frac1{|E|}\sum_{i \in E}(\theta_{ij} - \mu_j)^2 + Z_t,

where the extra variance :math:`Z_t` keeps the search from collapsing early
(Szita & Lőrincz's noisy CEM); here :math:`Z_t = \zeta^2(1 - t/T)`, decayed
linearly over the budget :math:`T` of env steps.  It is no gradient method:
the update moves the sampling distribution towards the region where the
returns were best.  Every step of every episode counts in ``steps``; the
greedy policy is :math:`\pi_\mu`.
"""
from __future__ import annotations

import time

import numpy as np

from ..rollout import make_vec
from .common import Evaluator, Run, one_blas_thread, start
from .search import LinearPolicy, run_episodes

__all__ = ["cem"]


@one_blas_thread
def cem(env_id, total_steps=100_000, seed=0, **overrides):
    """Train a linear policy by the cross-entropy method; returns a :class:`~pglib.algorithms.common.Run`."""
    c, envs, rng, t0 = start("cem", env_id, total_steps, seed, overrides)
    obs_dim = envs.single_observation_space.shape[0]
    policy = LinearPolicy(obs_dim, envs.single_action_space)
    envs.close()
    if c["elite_frac"] <= 0:
        raise ValueError(f"elite_frac must be in (0, 1], got {c['elite_frac']!r}")
    n_pop = c["population"]
    n_elite = max(1, int(round(c["elite_frac"] * n_pop)))
    envs = make_vec(env_id, n_pop)
    std = np.full(policy.n_params, float(c["init_std"]))
    evaluator = Evaluator(env_id, c["eval_every"], c["eval_episodes"], seed)
    steps, ep_steps, ep_returns = 0, [], []

    evaluator.maybe(0, policy.greedy)
    while steps < total_steps:
        # 1. a population theta_i = mu + sigma * eps_i, one episode each
        thetas = policy.theta + std * rng.standard_normal((n_pop, policy.n_params))
        ep = run_episodes(envs, lambda obs: policy.act(thetas, obs), rng.integers(0, 2**31 - 1, size=n_pop))
        steps += int(ep.lengths.sum())
        ep_steps += [steps] * n_pop
        ep_returns += ep.returns.tolist()

        # 2. refit the Gaussian to the elite, plus the decaying extra variance Z_t
        elite = thetas[np.argsort(-ep.returns, kind="stable")[:n_elite]]
        policy.theta[...] = elite.mean(axis=0)
        extra = c["extra_std"] ** 2 * max(0.0, 1.0 - steps / total_steps)
        std = np.sqrt(elite.var(axis=0) + extra)

        evaluator.maybe(steps, policy.greedy, force=steps >= total_steps)

    envs.close()
    evaluator.close()
    return Run("cem", env_id, seed, c, np.array(evaluator.steps), np.array(evaluator.returns),
               np.array(ep_steps), np.array(ep_returns), policy, time.perf_counter() - t0)
