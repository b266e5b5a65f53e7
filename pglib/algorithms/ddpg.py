r"""Deep deterministic policy gradient, DDPG (Lillicrap et al. 2016).

An off-policy actor-critic for continuous actions built on the deterministic
policy gradient (Silver et al. 2014).  From replayed transitions and target
networks :math:`\bar w, \bar\theta`, the critic regresses on

.. math::

    y = r + \gamma (1 - d)\, Q_{\bar w}(s', \mu_{\bar\theta}(s')), \qquad
    L_Q(w) = \tfrac12\,\mathrm{mean}\,(Q_w(s, a) - y)^2,

with :math:`d` = terminated (a time-limit truncation bootstraps), and the
actor ascends :math:`\mathrm{mean}_b\, Q_w(s_b, \mu_\theta(s_b))` by

.. math::

    \nabla_\theta \approx \frac1B\sum_b J_\theta\mu_\theta(s_b)^\top\, \nabla_a Q_w(s_b, a)\big|_{a=\mu_\theta(s_b)},

no importance ratio needed: the gradient is an expectation over states only.
Both target networks follow by Polyak averaging
:math:`\bar w \leftarrow (1-\tau)\bar w + \tau w` after every update.

Exploration: Gaussian noise of standard deviation ``exploration_noise``
(in the :math:`[-1, 1]` action units) added to :math:`\mu_\theta(s)`, as in
Fujimoto et al.'s re-implementation, rather than the Ornstein-Uhlenbeck
process of the paper; ``learning_starts`` uniformly random steps first, then
one update per environment step.
"""
from __future__ import annotations

import time

import numpy as np

from ..nn import Adam, polyak_update
from ..replay import ReplayBuffer
from ..rollout import Collector
from .common import Evaluator, Run, one_blas_thread, start
from .offpolicy import DeterministicActor, QNetwork

__all__ = ["ddpg"]


@one_blas_thread
def ddpg(env_id, total_steps=30_000, seed=0, **overrides):
    """Train DDPG on a Gymnasium task with a Box action space; returns a :class:`~pglib.algorithms.common.Run`."""
    c, envs, rng, t0 = start("ddpg", env_id, total_steps, seed, overrides, kinds=("continuous",))
    obs_dim = envs.single_observation_space.shape[0]
    actor = DeterministicActor(obs_dim, envs.single_action_space, c["hidden"], c["activation"], rng)
    n_act = actor.act_dim
    q = QNetwork(obs_dim, n_act, c["hidden"], c["activation"], rng)
    actor_targ, q_targ = actor.copy(), q.copy()
    opt_pi, opt_q = Adam(actor.params, c["lr"]), Adam(q.params, c["lr"])
    buffer = ReplayBuffer(obs_dim, n_act, c["buffer_size"])
    collector = Collector(envs, seed)
    evaluator = Evaluator(env_id, c["eval_every"], c["eval_episodes"], seed)
    gamma, B = c["gamma"], c["batch_size"]

    def policy_step(obs, rng):
        if collector.steps < c["learning_starts"]:
            a = rng.uniform(-1.0, 1.0, (len(obs), n_act))
        else:
            a = np.clip(actor(obs) + c["exploration_noise"] * rng.standard_normal((len(obs), n_act)), -1.0, 1.0)
        return actor.to_env(a), {"a": a}

    evaluator.maybe(0, actor.greedy)
    while collector.steps < total_steps:
        # 1. one environment step; its transition (if not a reset step) goes to the buffer
        seg = collector.collect(policy_step, 1, rng)
        buffer.add_segment(seg, seg.extras["a"])

        if collector.steps >= c["learning_starts"]:
            b = buffer.sample(B, rng)

            # 2. critic: y = r + gamma (1 - d) Qbar(s', mubar(s'))
            y = b.rewards + gamma * (1.0 - b.terminated) * q_targ(b.next_obs, actor_targ(b.next_obs))
            opt_q.step(q.regression_grads(b.obs, b.actions, y)[0])

            # 3. actor: descend -mean Q(s, mu(s)); dL/da = -grad_a Q / B, then through mu
            a_new, cache = actor.forward(b.obs)
            _, cq = q.forward(b.obs, a_new)
            opt_pi.step(actor.backward(cache, q.action_grad(cq, np.full(B, -1.0 / B))))

            # 4. targets: wbar <- (1 - tau) wbar + tau w, the same for the actor
            polyak_update(q_targ.net, q.net, c["tau"])
            polyak_update(actor_targ.net, actor.net, c["tau"])

        evaluator.maybe(collector.steps, actor.greedy, force=collector.steps >= total_steps)

    envs.close()
    evaluator.close()
    return Run("ddpg", env_id, seed, c, np.array(evaluator.steps), np.array(evaluator.returns),
               np.array(collector.episode_ends), np.array(collector.episode_returns), actor,
               time.perf_counter() - t0)
