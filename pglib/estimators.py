r"""Monte Carlo estimators of the policy gradient (REINFORCE and its variants).

Each estimator averages one term per episode,
:math:`\hat g = \frac1N \sum_{n} g(\tau_n)`, with

.. math::

    g_{\text{total}}(\tau) &= \Big(\sum_t \nabla\log\pi_\theta(a_t|s_t)\Big)\,(R(\tau) - b),
        \qquad R(\tau) = \sum_t \gamma^t r_t, \\
    g_{\text{to-go}}(\tau) &= \sum_t \nabla\log\pi_\theta(a_t|s_t)\,\gamma^t G_t,
        \qquad G_t = \sum_{t' \ge t} \gamma^{t'-t} r_{t'}, \\
    g_{\text{baseline}}(\tau) &= \sum_t \nabla\log\pi_\theta(a_t|s_t)\,\gamma^t \big(G_t - b(s_t)\big).

All three have expectation :math:`\nabla J_T(\theta)` for episodes cut at
horizon T (Williams 1992; the causality argument for the second; the zero
mean of :math:`\nabla\log\pi` for the third).  Note the factor
:math:`\gamma^t`: dropping it, as many implementations do, gives a vector
that is not the gradient of any objective (Nota & Thomas 2020).

The estimators return a :class:`GradientEstimate` holding the per-episode
terms, so that means, standard errors and variances are all at hand.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .mdp import _check_unit
from .sampling import discounted_returns

__all__ = [
    "GradientEstimate", "weighted_counts", "score_terms",
    "reinforce_total_return", "reinforce_reward_to_go", "reinforce_baseline",
    "variance_minimizing_baseline",
]


@dataclass(frozen=True)
class GradientEstimate:
    """Per-episode gradient terms, shape (N,) + theta.shape, and their summaries.

    For an :class:`pglib.exact.Enumeration` pass ``prob``: the summaries are
    then exact expectations over trajectories instead of sample averages.
    """

    terms: np.ndarray
    prob: np.ndarray = None

    @property
    def n(self):
        return self.terms.shape[0]

    @property
    def mean(self):
        """Sample mean of the terms (exact expectation when ``prob`` is given); shape of theta."""
        if self.prob is not None:
            return np.tensordot(self.prob, self.terms, axes=1)
        return self.terms.mean(axis=0)

    @property
    def variance(self):
        """Per-coordinate variance of one term (ddof=1 for samples; exact with ``prob``)."""
        if self.prob is not None:
            dev = self.terms - self.mean
            return np.tensordot(self.prob, dev ** 2, axes=1)
        return self.terms.var(axis=0, ddof=1)

    @property
    def total_variance(self):
        r"""Trace of the covariance of one term, :math:`E\|g - \bar g\|^2`."""
        return float(self.variance.sum())

    @property
    def stderr(self):
        """Standard error of the mean, per coordinate: sqrt(variance / N)."""
        if self.prob is not None:
            raise ValueError("an exact expectation (prob given) has no standard error")
        return np.sqrt(self.variance / self.n)


def weighted_counts(batch, weights, n_states, n_actions):
    r""":math:`C[n, s, a] = \sum_t w[n,t]\,[s_t = s, a_t = a]` over running steps; shape (N, S, A)."""
    w = np.asarray(weights, dtype=float)
    if w.shape != batch.states.shape:
        raise ValueError(f"weights must have the batch shape {batch.states.shape}, got {w.shape}")
    N = batch.states.shape[0]
    SA = n_states * n_actions
    # The flat index below runs episode by episode: a state or action out of range would
    # silently land in another episode's block, so check the running steps first.
    s, a = batch.states[batch.mask], batch.actions[batch.mask]
    if s.size and (s.min() < 0 or s.max() >= n_states):
        raise ValueError(f"batch visits states outside [0, {n_states}) (values in [{s.min()}, {s.max()}]): "
                         "the policy and the batch's MDP differ in their number of states")
    if a.size and (a.min() < 0 or a.max() >= n_actions):
        raise ValueError(f"batch takes actions outside [0, {n_actions}) (values in [{a.min()}, {a.max()}])")
    episode = np.broadcast_to(np.arange(N)[:, None], batch.states.shape)
    flat = (episode * SA + batch.states * n_actions + batch.actions)[batch.mask]
    C = np.bincount(flat, weights=w[batch.mask], minlength=N * SA)
    return C.reshape(N, n_states, n_actions)


def score_terms(batch, policy, theta, weights):
    r"""Per-episode :math:`\sum_t w_t\,\nabla_\theta\log\pi_\theta(a_t|s_t)`, shape (N,) + theta.shape.

    Works for the discrete policies of :mod:`pglib.policies` through their
    ``score_sum`` on weighted visit counts (memory N * S * A floats).
    """
    C = weighted_counts(batch, weights, policy.n_states, policy.n_actions)
    return policy.score_sum(theta, C)


def _prob(batch):
    return getattr(batch, "prob", None)


def reinforce_total_return(batch, policy, theta, gamma, baseline=0.0):
    r"""REINFORCE with the whole return: :math:`g = \sum_t\nabla\log\pi(a_t|s_t)\,(R(\tau) - b)`.

    ``baseline`` is a constant ``b`` (default 0).  Returns a :class:`GradientEstimate`.
    """
    gamma = _check_unit("gamma", gamma)
    try:
        b = float(baseline)
    except (TypeError, ValueError):
        raise ValueError(f"baseline must be a finite number, got {baseline!r}") from None
    if not np.isfinite(b):
        raise ValueError(f"baseline must be a finite number, got {b}")
    R = batch.returns(gamma)                                  # R(tau) = sum_t gamma^t r_t
    w = np.broadcast_to((R - b)[:, None], batch.states.shape)
    return GradientEstimate(score_terms(batch, policy, theta, w), _prob(batch))


def reinforce_reward_to_go(batch, policy, theta, gamma):
    r"""REINFORCE with rewards-to-go: :math:`g = \sum_t \nabla\log\pi(a_t|s_t)\,\gamma^t G_t`."""
    gamma = _check_unit("gamma", gamma)
    G = discounted_returns(batch.rewards, batch.mask, gamma)  # G_t = r_t + gamma G_{t+1}
    discount = gamma ** np.arange(batch.horizon)              # gamma^t, kept: see module docstring
    return GradientEstimate(score_terms(batch, policy, theta, discount * G), _prob(batch))


def reinforce_baseline(batch, policy, theta, gamma, baseline):
    r"""REINFORCE with a baseline: :math:`g = \sum_t\nabla\log\pi(a_t|s_t)\,\gamma^t (G_t - b(s_t))`.

    ``baseline`` is a constant, or an array of shape (S,) giving
    :math:`b(s)` (e.g. the exact :math:`v^\pi` from :func:`pglib.exact.state_values`).
    """
    gamma = _check_unit("gamma", gamma)
    b = np.asarray(baseline, dtype=float)
    if b.ndim == 0:
        b_t = np.full(batch.states.shape, float(b))
    elif b.shape == (policy.n_states,):
        b_t = b[batch.states]
    else:
        raise ValueError(f"baseline must be a number or have shape (S,) = ({policy.n_states},), got {b.shape}")
    if not np.all(np.isfinite(b)):
        raise ValueError("baseline must be finite")
    G = discounted_returns(batch.rewards, batch.mask, gamma)
    discount = gamma ** np.arange(batch.horizon)
    return GradientEstimate(score_terms(batch, policy, theta, discount * (G - b_t)), _prob(batch))


def variance_minimizing_baseline(batch, policy, theta, gamma):
    r"""Constant baseline minimizing the total variance of :func:`reinforce_total_return`.

    .. math:: b^* = \frac{E[\|\nabla\log\rho_\theta(\tau)\|^2 R(\tau)]}{E[\|\nabla\log\rho_\theta(\tau)\|^2]}

    (setting :math:`\frac{d}{db}E\|g(R-b)\|^2 = 0`).  Estimated from ``batch``
    (exact for an Enumeration).  Using it on the same batch adds a bias of
    order 1/N; estimate it from an independent batch to keep the gradient unbiased.
    """
    gamma = _check_unit("gamma", gamma)
    ones = batch.mask.astype(float)
    g = score_terms(batch, policy, theta, ones)               # grad log rho(tau) = sum_t grad log pi
    sq = (g.reshape(g.shape[0], -1) ** 2).sum(axis=1)
    R = batch.returns(gamma)
    prob = _prob(batch)
    wts = np.ones_like(sq) / sq.size if prob is None else prob
    den = float(wts @ sq)
    if den == 0.0:
        raise ValueError("every score is zero in this batch: the variance-minimizing baseline is undefined")
    return float(wts @ (sq * R)) / den
