r"""Proximal policy optimisation with the clipped objective (Schulman et al. 2017).

Each update collects :math:`N \times T` steps with the current policy
:math:`\pi_{\text{old}}`, estimates advantages by GAE, then takes several
epochs of minibatch Adam steps on

.. math::

    L^{\text{CLIP}}(\theta) = \mathbb E_t\Big[\min\big(r_t(\theta) \hat A_t,\;
        \mathrm{clip}(r_t(\theta), 1-\epsilon, 1+\epsilon)\, \hat A_t\big)\Big]
        + c_H\, \mathbb E_t[H(\pi_\theta(\cdot|s_t))],
    \qquad r_t(\theta) = \frac{\pi_\theta(a_t|s_t)}{\pi_{\text{old}}(a_t|s_t)},

a pessimistic (lower) bound of the importance-sampled surrogate
:math:`\mathbb E_t[r_t \hat A_t]`, while a separate critic regresses on the
:math:`\lambda`-returns :math:`\hat A_t + V(s_t)`.  Read top to bottom like
CleanRL's ``ppo.py``; settings in :mod:`pglib.algorithms.defaults`.
"""
from __future__ import annotations

import time

import numpy as np

from ..advantages import segment_gae
from ..nn import Adam, clip_grad_norm
from ..rollout import Collector
from .common import Critic, Evaluator, Policy, Run, one_blas_thread, start

__all__ = ["ppo", "clipped_surrogate_grad"]


def clipped_surrogate_grad(ratio, adv, clip):
    r"""Per-sample :math:`\partial/\partial \log\pi_\theta(a_t|s_t)` of :math:`\min(r_t A_t, \mathrm{clip}(r_t) A_t)`.

    :math:`\partial r_t / \partial \log\pi = r_t`, and the minimum follows the
    unclipped branch unless the clipped one is smaller, in which case the
    ratio sits outside :math:`[1-\epsilon, 1+\epsilon]` on the side that would
    increase the objective further, and the gradient is 0.  Shapes (B,).
    """
    unclipped = ratio * adv
    clipped = np.clip(ratio, 1.0 - clip, 1.0 + clip) * adv
    active = unclipped <= clipped
    return np.where(active, ratio * adv, 0.0)


@one_blas_thread
def ppo(env_id, total_steps=100_000, seed=0, **overrides):
    """Train PPO on a Gymnasium task; returns a :class:`~pglib.algorithms.common.Run`.

    >>> run = ppo("CartPole-v1", total_steps=2048, seed=0)   # doctest: +SKIP
    >>> run.steps, run.returns                                # evaluation curve
    """
    c, envs, rng, t0 = start("ppo", env_id, total_steps, seed, overrides)
    obs_dim = envs.single_observation_space.shape[0]
    policy = Policy(obs_dim, envs.single_action_space, c["hidden"], c["activation"], rng, c["init_log_std"])
    critic = Critic(obs_dim, c["hidden"], c["activation"], rng)
    opt_pi, opt_v = Adam(policy.params, c["lr"]), Adam(critic.params, c["lr"])
    collector = Collector(envs, seed)
    evaluator = Evaluator(env_id, c["eval_every"], c["eval_episodes"], seed)
    n_updates = max(1, total_steps // (c["n_envs"] * c["n_steps"]))

    def policy_step(obs, rng):
        a, env_a, logp = policy.sample(obs, rng)
        return env_a, {"a": a, "logp": logp}

    evaluator.maybe(0, policy.greedy)
    for update in range(n_updates):
        if c["anneal_lr"]:
            opt_pi.lr = opt_v.lr = c["lr"] * (1.0 - update / n_updates)

        # 1. Collect T steps of N copies with pi_old: arrays (T, N, ...).
        seg = collector.collect(policy_step, c["n_steps"], rng)
        values = critic(seg.obs)                                  # (T+1, N): V(s_t), t = 0..T
        adv = segment_gae(seg.rewards, values, seg.terminated, seg.truncated, seg.valid, c["gamma"], c["lam"])
        targets = adv + values[:-1]                               # lambda-returns

        # 2. Flatten the batch to (B, ...), dropping the reset steps.
        b_obs, b_act, b_logp_old = seg.flat(seg.obs[:-1]), policy.actions(seg.flat(seg.extras["a"])), seg.flat(seg.extras["logp"])
        b_adv, b_targets = seg.flat(adv), seg.flat(targets)
        B = len(b_obs)
        mb_size = max(2, B // c["minibatches"])

        # 3. Several epochs of minibatch steps on L^CLIP and on the critic's loss.
        for epoch in range(c["epochs"]):
            order = rng.permutation(B)
            for start_i in range(0, B - mb_size + 1, mb_size):
                idx = order[start_i:start_i + mb_size]
                A = b_adv[idx]
                # advantages standardised within the minibatch (needs >= 2 samples: B=1 gives 0/0)
                A = (A - A.mean()) / (A.std() + 1e-8)
                logp, ent, cache = policy.log_prob(b_obs[idx], b_act[idx])
                ratio = np.exp(logp - b_logp_old[idx])           # r_t(theta) = pi_theta / pi_old
                # loss = -(mean L^CLIP + c_H mean H): derivatives w.r.t. each log pi_t and H_t
                dlogp = -clipped_surrogate_grad(ratio, A, c["clip"]) / len(idx)
                dent = np.full(len(idx), -c["ent_coef"] / len(idx))
                grads, _ = clip_grad_norm(policy.backward(cache, dlogp, dent), c["max_grad_norm"])
                opt_pi.step(grads)
                grads_v, _ = critic.regression_grads(b_obs[idx], b_targets[idx])
                grads_v, _ = clip_grad_norm(grads_v, c["max_grad_norm"])
                opt_v.step(grads_v)

        evaluator.maybe(collector.steps, policy.greedy, force=update == n_updates - 1)

    envs.close()
    evaluator.close()
    return Run("ppo", env_id, seed, c, np.array(evaluator.steps), np.array(evaluator.returns),
               np.array(collector.episode_ends), np.array(collector.episode_returns), policy,
               time.perf_counter() - t0)
