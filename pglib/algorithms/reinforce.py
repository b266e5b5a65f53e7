r"""REINFORCE with reward-to-go and a learned baseline (Williams 1992), on parallel episodes.

Each update runs :math:`N` environment copies until every copy has finished
one episode, and keeps exactly that first episode of each copy: :math:`N`
independent episodes of the current policy (steps a copy takes after its
episode ended are counted in the budget and discarded; keeping them would
favour short episodes).  Then

.. math::

    \hat g = \frac1N \sum_{i=1}^N \sum_{t} \big(G_{i,t} - b(s_{i,t})\big)\,
        \nabla_\theta \log \pi_\theta(a_{i,t}|s_{i,t}),
    \qquad G_{i,t} = \sum_{t' \ge t} \gamma^{t'-t} r_{i,t'},

with the baseline :math:`b = V_w` regressed on the returns-to-go.  The
factor :math:`\gamma^t` of the discounted objective's gradient is dropped, as
in most implementations: :math:`\gamma < 1` then only shortens the credit
horizon (chapter 6 measures what that changes).  A time limit that cuts an
episode (CartPole-v1 at 500 steps) is treated like an end: the Monte Carlo
return has nothing to bootstrap with (chapter 10 measures that bias).
"""
from __future__ import annotations

import time

import numpy as np

from ..nn import Adam, clip_grad_norm
from ..rollout import Collector
from ..sampling import discounted_returns
from .common import Critic, Evaluator, Policy, Run, one_blas_thread, start

__all__ = ["reinforce"]


@one_blas_thread
def reinforce(env_id, total_steps=300_000, seed=0, **overrides):
    """Train REINFORCE on a Gymnasium task; returns a :class:`~pglib.algorithms.common.Run`."""
    c, envs, rng, t0 = start("reinforce", env_id, total_steps, seed, overrides)
    obs_dim = envs.single_observation_space.shape[0]
    policy = Policy(obs_dim, envs.single_action_space, c["hidden"], c["activation"], rng)
    critic = Critic(obs_dim, c["hidden"], c["activation"], rng)
    opt_pi, opt_v = Adam(policy.params, c["lr"]), Adam(critic.params, c["lr_value"])
    collector = Collector(envs, seed)
    evaluator = Evaluator(env_id, c["eval_every"], c["eval_episodes"], seed)

    def policy_step(obs, rng):
        a, env_a, _ = policy.sample(obs, rng)
        return env_a, {"a": a}

    evaluator.maybe(0, policy.greedy)
    while collector.steps < total_steps:
        # 1. N complete episodes, time-major (T, N); `first` masks each copy's first episode
        seg = collector.collect_episodes(policy_step, rng)
        first = seg.valid
        n_eps = first.shape[1]
        # G_t = r_t + gamma G_{t+1} within each episode: (N, T) in pglib.sampling's order
        G = discounted_returns(seg.rewards.T, first.T, c["gamma"]).T
        b_obs, b_act, b_G = seg.flat(seg.obs[:-1]), policy.actions(seg.flat(seg.extras["a"])), seg.flat(G)

        # 2. weights G_t - b(s_t); the loss -1/N sum_i sum_t w_t log pi has d/dlog pi_t = -w_t / N
        w = b_G - critic(b_obs) if c["baseline"] else b_G
        _, _, cache = policy.log_prob(b_obs, b_act)
        grads, _ = clip_grad_norm(policy.backward(cache, -w / n_eps), c["max_grad_norm"])
        opt_pi.step(grads)

        # 3. the baseline: a few full-batch regression steps of V_w on G_t
        if c["baseline"]:
            for _ in range(c["value_epochs"]):
                grads_v, _ = clip_grad_norm(critic.regression_grads(b_obs, b_G)[0], c["max_grad_norm"])
                opt_v.step(grads_v)

        evaluator.maybe(collector.steps, policy.greedy, force=collector.steps >= total_steps)

    envs.close()
    evaluator.close()
    return Run("reinforce", env_id, seed, c, np.array(evaluator.steps), np.array(evaluator.returns),
               np.array(collector.episode_ends), np.array(collector.episode_returns), policy,
               time.perf_counter() - t0)
