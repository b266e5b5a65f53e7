r"""Advantage actor-critic with parallel rollouts, A2C (Mnih et al. 2016, the synchronous variant).

:math:`N` copies of the task advance together for :math:`n` steps; then one
gradient step on the actor,

.. math::

    \nabla_\theta J \approx \frac1B \sum_{t,i} \hat A_{t,i}\, \nabla_\theta \log\pi_\theta(a_{t,i}|s_{t,i})
        + c_H \nabla_\theta \frac1B\sum_{t,i} H(\pi_\theta(\cdot|s_{t,i})),

with :math:`\hat A` the GAE(:math:`\gamma, \lambda`) advantages of the
segment (:math:`\lambda = 1`: n-step returns minus :math:`V`, bootstrapped
from :math:`V(s_n)`), and one step of the critic's regression on
:math:`\hat A + V`.  The entropy bonus is *added* to the objective (it
pushes towards more random policies); the loss minimised is its negative.
"""
from __future__ import annotations

import time

import numpy as np

from ..advantages import segment_gae
from ..nn import Adam, clip_grad_norm
from ..rollout import Collector
from .common import Critic, Evaluator, Policy, Run, one_blas_thread, start

__all__ = ["a2c"]


@one_blas_thread
def a2c(env_id, total_steps=200_000, seed=0, **overrides):
    """Train A2C on a Gymnasium task; returns a :class:`~pglib.algorithms.common.Run`."""
    c, envs, rng, t0 = start("a2c", env_id, total_steps, seed, overrides)
    obs_dim = envs.single_observation_space.shape[0]
    policy = Policy(obs_dim, envs.single_action_space, c["hidden"], c["activation"], rng)
    critic = Critic(obs_dim, c["hidden"], c["activation"], rng)
    opt_pi, opt_v = Adam(policy.params, c["lr"]), Adam(critic.params, c["lr"])
    collector = Collector(envs, seed)
    evaluator = Evaluator(env_id, c["eval_every"], c["eval_episodes"], seed)
    n_updates = max(1, total_steps // (c["n_envs"] * c["n_steps"]))

    def policy_step(obs, rng):
        a, env_a, _ = policy.sample(obs, rng)
        return env_a, {"a": a}

    evaluator.maybe(0, policy.greedy)
    for update in range(n_updates):
        # 1. n steps of the N copies: arrays (n, N, ...)
        seg = collector.collect(policy_step, c["n_steps"], rng)
        values = critic(seg.obs)                                 # (n+1, N)
        adv = segment_gae(seg.rewards, values, seg.terminated, seg.truncated, seg.valid, c["gamma"], c["lam"])
        targets = adv + values[:-1]

        # 2. flatten, dropping reset steps
        b_obs, b_act = seg.flat(seg.obs[:-1]), policy.actions(seg.flat(seg.extras["a"]))
        A, b_targets = seg.flat(adv), seg.flat(targets)
        B = len(b_obs)
        if B == 0:
            continue
        if c["normalize_advantages"] and B > 1:
            # standardising one sample would give 0/0: only for B >= 2
            A = (A - A.mean()) / (A.std() + 1e-8)

        # 3. one step on -(mean A log pi + c_H mean H), one on the critic
        _, _, cache = policy.log_prob(b_obs, b_act)
        grads, _ = clip_grad_norm(policy.backward(cache, -A / B, np.full(B, -c["ent_coef"] / B)),
                                  c["max_grad_norm"])
        opt_pi.step(grads)
        grads_v, _ = clip_grad_norm(critic.regression_grads(b_obs, b_targets)[0], c["max_grad_norm"])
        opt_v.step(grads_v)

        evaluator.maybe(collector.steps, policy.greedy, force=update == n_updates - 1)

    envs.close()
    evaluator.close()
    return Run("a2c", env_id, seed, c, np.array(evaluator.steps), np.array(evaluator.returns),
               np.array(collector.episode_ends), np.array(collector.episode_returns), policy,
               time.perf_counter() - t0)
