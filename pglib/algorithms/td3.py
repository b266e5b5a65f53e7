r"""Twin delayed deep deterministic policy gradient, TD3 (Fujimoto, van Hoof & Meger 2018).

DDPG with three changes against the over-estimation of a learned Q function:

1. **Clipped double Q.**  Two critics; the target uses the smaller of the two
   target critics,
   :math:`y = r + \gamma(1 - d)\min_{i=1,2} Q_{\bar w_i}(s', \tilde a')`.
2. **Target policy smoothing.**  The target action is the target actor's,
   perturbed by clipped noise:
   :math:`\tilde a' = \mathrm{clip}\big(\mu_{\bar\theta}(s') + \mathrm{clip}(\epsilon, -c, c), -1, 1\big)`,
   :math:`\epsilon \sim \mathcal N(0, \tilde\sigma^2)`.
3. **Delayed updates.**  The actor and all target networks are updated once
   every ``policy_delay`` critic updates, the actor by the deterministic
   policy gradient of :math:`\mathrm{mean}_b\, Q_{w_1}(s_b, \mu_\theta(s_b))` (the first critic).

Both critics regress on the same :math:`y`; :math:`d` = terminated (a
time-limit truncation bootstraps).  Exploration: Gaussian noise of standard
deviation ``exploration_noise`` added to :math:`\mu_\theta(s)` (in the
:math:`[-1, 1]` action units), after ``learning_starts`` uniformly random steps.
"""
from __future__ import annotations

import time

import numpy as np

from ..nn import Adam, polyak_update
from ..replay import ReplayBuffer
from ..rollout import Collector
from .common import Evaluator, Run, one_blas_thread, start
from .offpolicy import DeterministicActor, QNetwork

__all__ = ["td3"]


@one_blas_thread
def td3(env_id, total_steps=30_000, seed=0, **overrides):
    """Train TD3 on a Gymnasium task with a Box action space; returns a :class:`~pglib.algorithms.common.Run`."""
    c, envs, rng, t0 = start("td3", env_id, total_steps, seed, overrides, kinds=("continuous",))
    obs_dim = envs.single_observation_space.shape[0]
    actor = DeterministicActor(obs_dim, envs.single_action_space, c["hidden"], c["activation"], rng)
    n_act = actor.act_dim
    q1, q2 = (QNetwork(obs_dim, n_act, c["hidden"], c["activation"], rng) for _ in range(2))
    actor_targ, q1_targ, q2_targ = actor.copy(), q1.copy(), q2.copy()
    opt_pi, opt_q = Adam(actor.params, c["lr"]), Adam(q1.params + q2.params, c["lr"])
    buffer = ReplayBuffer(obs_dim, n_act, c["buffer_size"])
    collector = Collector(envs, seed)
    evaluator = Evaluator(env_id, c["eval_every"], c["eval_episodes"], seed)
    gamma, B, n_updates = c["gamma"], c["batch_size"], 0

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
            n_updates += 1

            # 2. critics: y = r + gamma (1 - d) min_i Qbar_i(s', clip(mubar(s') + clip(eps, -c, c), -1, 1))
            noise = np.clip(c["policy_noise"] * rng.standard_normal((B, n_act)), -c["noise_clip"], c["noise_clip"])
            a2 = np.clip(actor_targ(b.next_obs) + noise, -1.0, 1.0)
            y = b.rewards + gamma * (1.0 - b.terminated) * np.minimum(q1_targ(b.next_obs, a2),
                                                                      q2_targ(b.next_obs, a2))
            g1, _ = q1.regression_grads(b.obs, b.actions, y)
            g2, _ = q2.regression_grads(b.obs, b.actions, y)
            opt_q.step(g1 + g2)

            # 3. every policy_delay updates: actor by the DPG of -mean Q_1(s, mu(s)), then the targets
            if n_updates % c["policy_delay"] == 0:
                a_new, cache = actor.forward(b.obs)
                _, cq = q1.forward(b.obs, a_new)
                opt_pi.step(actor.backward(cache, q1.action_grad(cq, np.full(B, -1.0 / B))))
                for targ, net in ((actor_targ, actor), (q1_targ, q1), (q2_targ, q2)):
                    polyak_update(targ.net, net.net, c["tau"])

        evaluator.maybe(collector.steps, actor.greedy, force=collector.steps >= total_steps)

    envs.close()
    evaluator.close()
    return Run("td3", env_id, seed, c, np.array(evaluator.steps), np.array(evaluator.returns),
               np.array(collector.episode_ends), np.array(collector.episode_returns), actor,
               time.perf_counter() - t0)
