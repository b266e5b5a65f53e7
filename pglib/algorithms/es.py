r"""Evolution strategies, ES (Salimans, Ho, Chen, Sidor & Sutskever 2017).

ES ascends the **Gaussian-smoothed** return
:math:`F_\sigma(\theta) = \mathbb E_{\varepsilon \sim \mathcal N(0, I)}\, F(\theta + \sigma\varepsilon)`,
whose gradient needs no derivative of :math:`F`: since
:math:`\nabla_\mu \mathcal N(x; \mu, \sigma^2 I) = \mathcal N(x; \mu, \sigma^2 I)\,(x - \mu)/\sigma^2`,

.. math::

    \nabla_\theta F_\sigma(\theta) = \frac1\sigma\, \mathbb E\big[F(\theta + \sigma\varepsilon)\,\varepsilon\big]
      = \frac1{2\sigma}\, \mathbb E\big[\big(F(\theta + \sigma\varepsilon) - F(\theta - \sigma\varepsilon)\big)\varepsilon\big],

the second form by :math:`\varepsilon \to -\varepsilon`.  With :math:`n` antithetic pairs
(mirrored sampling) the unbiased estimate is

.. math::

    \hat g = \frac{1}{2 n \sigma} \sum_{i=1}^n \big(F_i^+ - F_i^-\big)\, \varepsilon_i .

Each :math:`F` is one episode's return.  Salimans et al. replace the returns
by their *centred ranks* in :math:`[-\frac12, \frac12]` (fitness shaping: invariant to
the scale of the returns and robust to outliers); that estimates the
gradient of a rank-based surrogate, not of :math:`F_\sigma`.  The step is Adam
*ascent* on :math:`\hat g - \lambda\theta` (weight decay :math:`\lambda`).

Policy: linear (:class:`pglib.algorithms.search.LinearPolicy`), starting
at :math:`\theta = 0`; the two episodes of a pair share their environment
seed (common random numbers).  Every step of every perturbation episode
counts in ``steps``.  The greedy policy is :math:`\pi_\theta` itself (no noise).
"""
from __future__ import annotations

import time

import numpy as np

from ..nn import Adam
from ..rollout import make_vec
from .common import Evaluator, Run, one_blas_thread, start
from .search import LinearPolicy, run_episodes

__all__ = ["es", "antithetic_gradient", "centered_ranks"]


def antithetic_gradient(f_plus, f_minus, eps, sigma):
    r""":math:`\hat g = \frac{1}{2n\sigma}\sum_i (F_i^+ - F_i^-)\,\varepsilon_i`: shape (P,).

    ``f_plus``, ``f_minus`` (n,): returns at :math:`\theta \pm \sigma\varepsilon_i`;
    ``eps`` (n, P) the :math:`\varepsilon_i`.  With raw returns it is unbiased
    for :math:`\nabla F_\sigma(\theta)`.
    """
    f_plus, f_minus, eps = (np.asarray(x, dtype=float) for x in (f_plus, f_minus, eps))
    if f_plus.shape != f_minus.shape or eps.ndim != 2 or f_plus.shape != (len(eps),):
        raise ValueError(f"need f_plus, f_minus of shape (n,) and eps of shape (n, P), got "
                         f"{f_plus.shape}, {f_minus.shape}, {eps.shape}")
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma!r}")
    # g = 1 / (2 n sigma) sum_i (F_i^+ - F_i^-) eps_i
    return (f_plus - f_minus) @ eps / (2 * len(eps) * sigma)


def centered_ranks(x):
    r"""Ranks of ``x`` (n,) mapped linearly onto :math:`[-\frac12, \frac12]`; ties share their mean rank.

    >>> centered_ranks([10.0, -3.0, 10.0, 7.0]).round(4).tolist()    # ranks 2.5, 0, 2.5, 1 of 0..3
    [0.3333, -0.5, 0.3333, -0.1667]
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or len(x) < 2:
        raise ValueError(f"need at least 2 returns in a 1-D array, got shape {x.shape}")
    _, inv, counts = np.unique(x, return_inverse=True, return_counts=True)
    # the equal values occupying ranks start .. start + count - 1 all get their mean rank
    first = np.cumsum(counts) - counts
    ranks = (first + (counts - 1) / 2.0)[inv]
    return ranks / (len(x) - 1) - 0.5


@one_blas_thread
def es(env_id, total_steps=300_000, seed=0, **overrides):
    """Train a linear policy by ES; returns a :class:`~pglib.algorithms.common.Run`."""
    c, envs, rng, t0 = start("es", env_id, total_steps, seed, overrides)
    obs_dim = envs.single_observation_space.shape[0]
    policy = LinearPolicy(obs_dim, envs.single_action_space)
    envs.close()
    n, sigma = c["n_pairs"], c["sigma"]
    envs = make_vec(env_id, 2 * n)                       # one copy per perturbation
    opt = Adam([policy.theta], c["lr"])
    evaluator = Evaluator(env_id, c["eval_every"], c["eval_episodes"], seed)
    steps, ep_steps, ep_returns = 0, [], []

    evaluator.maybe(0, policy.greedy)
    while steps < total_steps:
        # 1. n antithetic pairs theta +- sigma eps_i, one episode each; a pair shares its env seed
        eps = rng.standard_normal((n, policy.n_params))
        thetas = policy.theta + sigma * np.concatenate([eps, -eps])
        seeds = np.tile(rng.integers(0, 2**31 - 1, size=n), 2)
        ep = run_episodes(envs, lambda obs: policy.act(thetas, obs), seeds)
        steps += int(ep.lengths.sum())
        ep_steps += [steps] * len(ep.returns)
        ep_returns += ep.returns.tolist()

        # 2. shaped returns, the antithetic estimate, one Adam ascent step (descent on its negative)
        F = centered_ranks(ep.returns) if c["rank_returns"] else \
            (ep.returns - ep.returns.mean()) / (ep.returns.std() + 1e-8)
        g = antithetic_gradient(F[:n], F[n:], eps, sigma)
        opt.step([-(g - c["weight_decay"] * policy.theta)])

        evaluator.maybe(steps, policy.greedy, force=steps >= total_steps)

    envs.close()
    evaluator.close()
    return Run("es", env_id, seed, c, np.array(evaluator.steps), np.array(evaluator.returns),
               np.array(ep_steps), np.array(ep_returns), policy, time.perf_counter() - t0)
