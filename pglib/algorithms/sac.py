r"""Soft actor-critic, SAC (Haarnoja, Zhou, Abbeel & Levine 2018; learned temperature: Haarnoja et al. 2018b).

SAC maximises the return plus the policy's entropy, weighted by a temperature
:math:`\alpha`.  Its critics learn the *soft* Q function from replayed
transitions; with :math:`a' \sim \pi_\theta(\cdot|s')` freshly sampled and
target networks :math:`\bar w_i`,

.. math::

    y = r + \gamma (1 - d) \Big(\min_{i=1,2} Q_{\bar w_i}(s', a') - \alpha \log\pi_\theta(a'|s')\Big),
    \qquad L_Q(w_i) = \tfrac12\,\mathrm{mean}\,(Q_{w_i}(s, a) - y)^2,

(clipped double Q, as in TD3), :math:`d` = terminated (a time-limit
truncation bootstraps).  The actor, a tanh-squashed Gaussian, minimises by
the reparameterisation :math:`a = \tanh(m_\theta(s) + \sigma_\theta(s)\varepsilon)`

.. math::

    L_\pi(\theta) = \mathrm{mean}\Big(\alpha \log\pi_\theta(a|s) - \min_i Q_{w_i}(s, a)\Big),

its gradient carried through :math:`\nabla_a Q` (the critics' input VJP) and
:math:`\log\pi` (see :mod:`pglib.algorithms.offpolicy`).  The temperature
follows the dual step on :math:`L(\log\alpha) = -\log\alpha\;\mathrm{mean}(\log\pi + \bar{\mathcal H})`
with target entropy :math:`\bar{\mathcal H} = -\dim\mathcal A`: :math:`\alpha`
grows when the policy's entropy :math:`-\mathrm{mean}\log\pi` falls below
:math:`\bar{\mathcal H}`.  Targets follow by Polyak averaging
:math:`\bar w \leftarrow (1-\tau)\bar w + \tau w`.

One environment; uniform random actions for the first ``learning_starts``
steps, then one update per environment step.  The greedy policy
(:math:`\tanh m_\theta(s)`) is evaluated.
"""
from __future__ import annotations

import time

import numpy as np

from ..nn import Adam, polyak_update
from ..replay import ReplayBuffer
from ..rollout import Collector
from .common import Evaluator, Run, one_blas_thread, start
from .offpolicy import QNetwork, SquashedGaussianActor

__all__ = ["sac"]


@one_blas_thread
def sac(env_id, total_steps=30_000, seed=0, **overrides):
    """Train SAC on a Gymnasium task with a Box action space; returns a :class:`~pglib.algorithms.common.Run`.

    >>> run = sac("Pendulum-v1", total_steps=30_000, seed=0)   # doctest: +SKIP
    >>> run.steps, run.returns                                  # greedy evaluation curve
    """
    c, envs, rng, t0 = start("sac", env_id, total_steps, seed, overrides, kinds=("continuous",))
    obs_dim = envs.single_observation_space.shape[0]
    actor = SquashedGaussianActor(obs_dim, envs.single_action_space, c["hidden"], c["activation"], rng)
    n_act = actor.act_dim
    q1, q2 = (QNetwork(obs_dim, n_act, c["hidden"], c["activation"], rng) for _ in range(2))
    q1_targ, q2_targ = q1.copy(), q2.copy()
    log_alpha = np.array([np.log(c["init_alpha"])])
    target_entropy = -float(n_act)
    opt_pi = Adam(actor.params, c["lr"])
    opt_q = Adam(q1.params + q2.params, c["lr"])
    opt_alpha = Adam([log_alpha], c["lr"])
    buffer = ReplayBuffer(obs_dim, n_act, c["buffer_size"])
    collector = Collector(envs, seed)
    evaluator = Evaluator(env_id, c["eval_every"], c["eval_episodes"], seed)
    gamma, B = c["gamma"], c["batch_size"]

    def policy_step(obs, rng):
        if collector.steps < c["learning_starts"]:
            a = rng.uniform(-1.0, 1.0, (len(obs), n_act))
        else:
            a, _, _ = actor.sample(obs, rng)
        return actor.to_env(a), {"a": a}

    evaluator.maybe(0, actor.greedy)
    while collector.steps < total_steps:
        # 1. one environment step; its transition (if not a reset step) goes to the buffer
        seg = collector.collect(policy_step, 1, rng)
        buffer.add_segment(seg, seg.extras["a"])

        if collector.steps >= c["learning_starts"]:
            b = buffer.sample(B, rng)
            alpha = float(np.exp(log_alpha[0]))

            # 2. critics: y = r + gamma (1 - d) (min_i Qbar_i(s', a') - alpha log pi(a'|s')), a' ~ pi(.|s')
            a2, logp2, _ = actor.sample(b.next_obs, rng)
            soft_v = np.minimum(q1_targ(b.next_obs, a2), q2_targ(b.next_obs, a2)) - alpha * logp2
            y = b.rewards + gamma * (1.0 - b.terminated) * soft_v
            g1, _ = q1.regression_grads(b.obs, b.actions, y)
            g2, _ = q2.regression_grads(b.obs, b.actions, y)
            opt_q.step(g1 + g2)

            # 3. actor: L = mean(alpha log pi(a|s) - min_i Q_i(s, a)), a = tanh(m + sigma eps)
            a_new, logp, cache = actor.sample(b.obs, rng)
            v1, c1 = q1.forward(b.obs, a_new)
            v2, c2 = q2.forward(b.obs, a_new)
            first = v1 <= v2                                   # which critic is the minimum, per sample
            # dL/da = -grad_a min_i Q_i / B (through the smaller critic of each sample)
            da = -(q1.action_grad(c1, first / B) + q2.action_grad(c2, ~first / B))
            opt_pi.step(actor.backward(cache, np.full(B, alpha / B), da))

            # 4. temperature: d/dlog alpha of -log alpha * mean(log pi + target entropy)
            if c["learn_alpha"]:
                opt_alpha.step([np.array([-np.mean(logp + target_entropy)])])

            # 5. targets: wbar <- (1 - tau) wbar + tau w
            polyak_update(q1_targ.net, q1.net, c["tau"])
            polyak_update(q2_targ.net, q2.net, c["tau"])

        evaluator.maybe(collector.steps, actor.greedy, force=collector.steps >= total_steps)

    envs.close()
    evaluator.close()
    return Run("sac", env_id, seed, c, np.array(evaluator.steps), np.array(evaluator.returns),
               np.array(collector.episode_ends), np.array(collector.episode_returns), actor,
               time.perf_counter() - t0)
