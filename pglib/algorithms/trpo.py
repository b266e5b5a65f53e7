r"""Trust-region policy optimisation (Schulman, Levine, Moritz, Jordan & Abbeel 2015).

One constrained step per batch:

.. math::

    \max_\theta\; L(\theta) = \mathbb E_t\Big[\frac{\pi_\theta(a_t|s_t)}{\pi_{\text{old}}(a_t|s_t)} \hat A_t\Big]
    \quad\text{s.t.}\quad \bar D_{KL}(\pi_{\text{old}} \,\|\, \pi_\theta) \le \delta .

With :math:`g = \nabla L` and :math:`F` the Fisher matrix at
:math:`\theta_{\text{old}}` (the Hessian of the mean KL there), the quadratic
model's solution is the natural gradient step
:math:`\theta_{\text{old}} + \sqrt{2\delta / x^\top F x}\; x`, :math:`x = F^{-1} g`,
computed by conjugate gradient from Fisher-vector products (never forming
:math:`F`), then halved until the exact KL is within :math:`\delta` and the
surrogate improves.  The critic is fitted by Adam regression on the
:math:`\lambda`-returns.
"""
from __future__ import annotations

import time

import numpy as np

from ..advantages import segment_gae
from ..nn import Adam, flatten
from ..rollout import Collector
from .common import Critic, Evaluator, Policy, Run, one_blas_thread, start

__all__ = ["trpo", "conjugate_gradient"]


def conjugate_gradient(matvec, b, iters=10, tol=1e-10):
    r"""Approximate :math:`x = M^{-1} b` for a symmetric positive definite :math:`M` given by ``matvec``.

    Conjugate gradient (Hestenes & Stiefel 1952): exact after ``len(b)``
    iterations in exact arithmetic; stops early when :math:`\|r\|^2 <` ``tol``.
    """
    x = np.zeros_like(b)
    r = b.copy()                      # residual b - M x
    p = r.copy()
    rr = r @ r
    for _ in range(iters):
        if rr < tol:
            break
        Mp = matvec(p)
        alpha = rr / (p @ Mp)
        x += alpha * p
        r -= alpha * Mp
        rr_new = r @ r
        p = r + (rr_new / rr) * p
        rr = rr_new
    return x


@one_blas_thread
def trpo(env_id, total_steps=100_000, seed=0, **overrides):
    """Train TRPO on a Gymnasium task; returns a :class:`~pglib.algorithms.common.Run`."""
    c, envs, rng, t0 = start("trpo", env_id, total_steps, seed, overrides)
    obs_dim = envs.single_observation_space.shape[0]
    policy = Policy(obs_dim, envs.single_action_space, c["hidden"], c["activation"], rng, c["init_log_std"])
    critic = Critic(obs_dim, c["hidden"], c["activation"], rng)
    opt_v = Adam(critic.params, c["lr_value"])
    collector = Collector(envs, seed)
    evaluator = Evaluator(env_id, c["eval_every"], c["eval_episodes"], seed)
    n_updates = max(1, total_steps // (c["n_envs"] * c["n_steps"]))

    def policy_step(obs, rng):
        a, env_a, logp = policy.sample(obs, rng)
        return env_a, {"a": a, "logp": logp}

    evaluator.maybe(0, policy.greedy)
    for update in range(n_updates):
        # 1. a batch from pi_old and its GAE advantages, flattened without reset steps
        seg = collector.collect(policy_step, c["n_steps"], rng)
        values = critic(seg.obs)
        adv = segment_gae(seg.rewards, values, seg.terminated, seg.truncated, seg.valid, c["gamma"], c["lam"])
        b_obs, b_act, b_logp_old = seg.flat(seg.obs[:-1]), policy.actions(seg.flat(seg.extras["a"])), seg.flat(seg.extras["logp"])
        A = seg.flat(adv)
        b_targets = A + seg.flat(values[:-1])
        A = (A - A.mean()) / (A.std() + 1e-8)
        B = len(b_obs)

        def surrogate():
            logp, _, _ = policy.log_prob(b_obs, b_act)
            return float(np.mean(np.exp(logp - b_logp_old) * A))

        # 2. g = grad L at theta_old, where the ratio is 1: mean A_t grad log pi_t
        _, _, cache = policy.log_prob(b_obs, b_act)
        g = flatten(policy.backward(cache, A / B))
        old_dist, theta_old, L_old = policy.dist_params(b_obs), policy.get_flat(), surrogate()

        # 3. x = (F + damping I)^{-1} g by conjugate gradient; step length from x'Fx = 2 delta
        def fvp(v):
            return policy.fisher_vector_product(b_obs, v) + c["damping"] * v
        x = conjugate_gradient(fvp, g, c["cg_iters"])
        step = np.sqrt(2.0 * c["max_kl"] / max(x @ fvp(x), 1e-12)) * x

        # 4. line search: halve the step until KL <= delta and the surrogate improves
        for k in range(c["backtracks"]):
            policy.set_flat(theta_old + 0.5 ** k * step)
            if policy.kl_from(old_dist, b_obs) <= c["max_kl"] and surrogate() > L_old:
                break
        else:
            policy.set_flat(theta_old)

        # 5. the critic: minibatch regression on the lambda-returns
        for _ in range(c["value_epochs"]):
            order = rng.permutation(B)
            for idx in np.array_split(order, c["value_minibatches"]):
                if len(idx):
                    opt_v.step(critic.regression_grads(b_obs[idx], b_targets[idx])[0])

        evaluator.maybe(collector.steps, policy.greedy, force=update == n_updates - 1)

    envs.close()
    evaluator.close()
    return Run("trpo", env_id, seed, c, np.array(evaluator.steps), np.array(evaluator.returns),
               np.array(collector.episode_ends), np.array(collector.episode_returns), policy,
               time.perf_counter() - t0)
