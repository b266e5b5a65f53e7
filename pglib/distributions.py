r"""Action distributions of neural policies: sampling, log-densities, entropies, KL, and their gradients.

Small pure functions, each named after the quantity it computes, for batches
of distributions (one per row).  A network outputs the parameters (logits, a
mean, a log standard deviation); these functions give the quantities a policy
gradient needs and their gradients with respect to those parameters, which
:meth:`pglib.nn.MLP.backward` then carries back to the weights.

**Categorical** with logits :math:`z \in \mathbb R^A`,
:math:`\pi(a) = e^{z_a} / \sum_b e^{z_b}`:

.. math::

    \frac{\partial \log\pi(a)}{\partial z_b} = [a = b] - \pi(b), \qquad
    H = -\sum_a \pi(a)\log\pi(a), \qquad
    \frac{\partial H}{\partial z_b} = -\pi(b)\,\big(\log\pi(b) + H\big),

    \mathrm{KL}(p\,\|\,q) = \sum_a p(a)\,\big(\log p(a) - \log q(a)\big), \qquad
    \frac{\partial\,\mathrm{KL}(p\|q)}{\partial z^q_b} = q(b) - p(b).

**Diagonal Gaussian** with mean :math:`\mu \in \mathbb R^D` and
:math:`\log\sigma` (Williams 1992), with :math:`\zeta = (x - \mu)/\sigma`:

.. math::

    \log\mathcal N(x;\mu,\sigma^2) = \sum_{d} \Big(-\tfrac12\zeta_d^2 - \log\sigma_d - \tfrac12\log 2\pi\Big),
    \qquad
    \frac{\partial}{\partial\mu_d} = \frac{\zeta_d}{\sigma_d}, \qquad
    \frac{\partial}{\partial\log\sigma_d} = \zeta_d^2 - 1,

    H = \sum_d \Big(\log\sigma_d + \tfrac12\log(2\pi e)\Big), \qquad
    \mathrm{KL}(p\,\|\,q) = \sum_d \Big(\log\frac{\sigma^q_d}{\sigma^p_d}
      + \frac{(\sigma^p_d)^2 + (\mu^p_d - \mu^q_d)^2}{2(\sigma^q_d)^2} - \frac12\Big).

**tanh-squashed Gaussian** (Haarnoja et al. 2018, appendix C):
:math:`a = \tanh(u)` with :math:`u \sim \mathcal N(\mu, \sigma^2)`.  By the change of
variables, with :math:`da_d/du_d = 1 - \tanh^2 u_d`,

.. math::

    \log p(a) = \log\mathcal N(u;\mu,\sigma^2) - \sum_d \log\big(1 - \tanh^2 u_d\big),
    \qquad
    \log\big(1 - \tanh^2 u\big) = 2\big(\log 2 - u - \operatorname{softplus}(-2u)\big),

the second form being exact and free of the cancellation of
:math:`1 - \tanh^2 u` for large :math:`|u|`.  Its partial derivatives are
:math:`\zeta/\sigma` (mean), :math:`\zeta^2 - 1` (log std) and
:math:`-\zeta/\sigma + 2\tanh u` (:math:`u`).  For the reparameterised SAC actor,
:math:`u = \mu + \sigma\varepsilon`, so the total derivatives are
:math:`\partial_\mu + \partial_u` and :math:`\partial_{\log\sigma} + \partial_u\,\sigma\varepsilon`.

Shapes
------
Distributions come in batches, one per row (any number of leading axes,
time-major ``(T, B)`` included; ``(B,)`` below stands for them):

============================  ===============  ========================================
name                          shape            meaning
============================  ===============  ========================================
``logits``                    (B, A)           categorical logits :math:`z`
``actions``                   (B,) int         categorical actions in ``[0, A)``
``mean``, ``x``, ``u``        (B, D)           Gaussian means, points, pre-tanh actions
``log_std``                   (D,) or (B, D)   :math:`\log\sigma`, shared or per row
log-probs, entropies, KL      (B,)             one number per distribution
gradients                     like the input   per row; see each function
============================  ===============  ========================================

References: Williams (1992), *Simple statistical gradient-following
algorithms for connectionist reinforcement learning*; Schulman et al. (2015),
*Trust region policy optimization* (the KL); Haarnoja, Zhou, Abbeel & Levine
(2018), *Soft actor-critic*, appendix C (the tanh squashing); Cover & Thomas
(2006), *Elements of information theory*, ch. 8 (Gaussian entropy).
"""
from __future__ import annotations

import numpy as np

from .policies import _log_softmax, softmax

__all__ = [
    "categorical_sample", "categorical_log_prob", "categorical_entropy", "categorical_log_prob_grad",
    "categorical_entropy_grad", "categorical_kl", "categorical_kl_grad_q",
    "gaussian_sample", "gaussian_log_prob", "gaussian_log_prob_grad", "gaussian_entropy",
    "gaussian_kl", "gaussian_kl_grad_q", "squashed_log_prob", "squashed_log_prob_grads",
]

_HALF_LOG_2PI = 0.5 * np.log(2 * np.pi)
_LOG2 = np.log(2.0)


def _float(name, x, min_ndim=1):
    """``x`` as a finite float array with at least ``min_ndim`` axes, else ``ValueError`` naming ``name``."""
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be an array of numbers: {err}") from None
    if a.ndim < min_ndim or (min_ndim and a.shape[-1] == 0):
        raise ValueError(f"{name} must have a non-empty last axis, got shape {a.shape}")
    if not np.isfinite(a).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        raise ValueError(f"{name} must be finite (no NaN or inf): {name}{list(bad)} = {a[bad]}")
    return a


def _check_rng(rng):
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator (use np.random.default_rng(seed))")


# ----------------------------------------------------------------------------- categorical

def _actions(actions, logits):
    """Integer actions of shape ``logits.shape[:-1]`` within ``[0, A)``."""
    a = np.asarray(actions)
    if a.shape != logits.shape[:-1]:
        raise ValueError(f"actions must have shape {logits.shape[:-1]} (logits without their last axis), "
                         f"got {a.shape}")
    if a.dtype.kind not in "iub" and not (a.dtype.kind == "f" and np.all(np.isfinite(a))
                                         and np.all(a == np.round(a))):
        raise ValueError(f"actions must be integer indices, got {a.dtype} values")
    A = logits.shape[-1]
    if a.size and (a.min() < 0 or a.max() >= A):
        raise ValueError(f"actions must lie in [0, {A}), got values in [{a.min()}, {a.max()}]")
    return a.astype(int)


def categorical_sample(logits, rng):
    r"""Draw :math:`a \sim \mathrm{softmax}(z)` for every row: shape (B,) int from logits (B, A).

    Inverse-CDF sampling: the first :math:`a` with :math:`\sum_{b \le a}\pi(b) \ge U`,
    :math:`U \sim \mathrm{Uniform}(0, 1)`; an action of probability 0 is never drawn.
    """
    z = _float("logits", logits)
    _check_rng(rng)
    cdf = np.cumsum(softmax(z, axis=-1), axis=-1)
    # normalise so the last entry is exactly 1 (round-off), then a = #{b : cdf_b < U}
    cdf /= cdf[..., -1:]
    u = rng.random(z.shape[:-1] + (1,))
    return (cdf < u).sum(axis=-1)


def categorical_log_prob(logits, actions):
    r""":math:`\log\pi(a_i)` for logits (B, A) and actions (B,): shape (B,)."""
    z = _float("logits", logits)
    a = _actions(actions, z)
    return np.take_along_axis(_log_softmax(z, axis=-1), a[..., None], axis=-1)[..., 0]


def categorical_entropy(logits):
    r""":math:`H = -\sum_a \pi(a)\log\pi(a)` for logits (B, A): shape (B,)."""
    logp = _log_softmax(_float("logits", logits), axis=-1)
    # H = -sum_a pi(a) log pi(a)
    return -(np.exp(logp) * logp).sum(axis=-1)


def categorical_log_prob_grad(logits, actions):
    r""":math:`\partial\log\pi(a_i)/\partial z_{i,b} = [a_i = b] - \pi_i(b)`: shape (B, A)."""
    z = _float("logits", logits)
    a = _actions(actions, z)
    # onehot(a) - softmax(z)
    g = -softmax(z, axis=-1)
    np.put_along_axis(g, a[..., None], np.take_along_axis(g, a[..., None], axis=-1) + 1.0, axis=-1)
    return g


def categorical_entropy_grad(logits):
    r""":math:`\partial H/\partial z_b = -\pi(b)(\log\pi(b) + H)` for logits (B, A): shape (B, A)."""
    logp = _log_softmax(_float("logits", logits), axis=-1)
    p = np.exp(logp)
    H = -(p * logp).sum(axis=-1, keepdims=True)
    # dH/dz_b = -pi(b) (log pi(b) + H)
    return -p * (logp + H)


def _two_logits(logits_p, logits_q):
    zp, zq = _float("logits_p", logits_p), _float("logits_q", logits_q)
    if zp.shape != zq.shape:
        raise ValueError(f"logits_p and logits_q must have the same shape, got {zp.shape} and {zq.shape}")
    return zp, zq


def categorical_kl(logits_p, logits_q):
    r""":math:`\mathrm{KL}(p\|q) = \sum_a p(a)(\log p(a) - \log q(a))` for logits (B, A) each: shape (B,)."""
    zp, zq = _two_logits(logits_p, logits_q)
    logp, logq = _log_softmax(zp, axis=-1), _log_softmax(zq, axis=-1)
    return (np.exp(logp) * (logp - logq)).sum(axis=-1)


def categorical_kl_grad_q(logits_p, logits_q):
    r""":math:`\partial\,\mathrm{KL}(p\|q)/\partial z^q_b = q(b) - p(b)` for logits (B, A) each: shape (B, A)."""
    zp, zq = _two_logits(logits_p, logits_q)
    return softmax(zq, axis=-1) - softmax(zp, axis=-1)


# ----------------------------------------------------------------------------- diagonal Gaussian

def _mean_log_std(mean, log_std, mean_name="mean", log_std_name="log_std"):
    """Check that ``log_std`` broadcasts to the shape of ``mean`` (shape (D,) or (B, D))."""
    mu = _float(mean_name, mean)
    ls = _float(log_std_name, log_std)
    try:
        ok = ls.ndim <= mu.ndim and np.broadcast_shapes(ls.shape, mu.shape) == mu.shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{log_std_name} must have shape {mu.shape[-1:]} or {mu.shape} "
                         f"(broadcast to {mean_name}), got {ls.shape}")
    return mu, ls


def _point(name, x, mu):
    x = _float(name, x)
    if x.shape != mu.shape:
        raise ValueError(f"{name} must have the shape of mean, {mu.shape}, got {x.shape}")
    return x


def gaussian_sample(mean, log_std, rng):
    r""":math:`x = \mu + \sigma\varepsilon`, :math:`\varepsilon \sim \mathcal N(0, I)`: shape (B, D)."""
    mu, ls = _mean_log_std(mean, log_std)
    _check_rng(rng)
    return mu + np.exp(ls) * rng.standard_normal(mu.shape)


def gaussian_log_prob(mean, log_std, x):
    r""":math:`\log\mathcal N(x;\mu,\mathrm{diag}\,\sigma^2)` summed over the D coordinates: shape (B,)."""
    mu, ls = _mean_log_std(mean, log_std)
    x = _point("x", x, mu)
    zeta = (x - mu) * np.exp(-ls)
    # sum_d ( -zeta_d^2 / 2 - log sigma_d - log(2 pi) / 2 )
    return (-0.5 * zeta ** 2 - ls - _HALF_LOG_2PI).sum(axis=-1)


def gaussian_log_prob_grad(mean, log_std, x):
    r"""Gradients of :func:`gaussian_log_prob`: ``(dmean, dlog_std)``, each of shape (B, D).

    ``dmean`` is :math:`\zeta/\sigma = (x-\mu)/\sigma^2` and ``dlog_std`` is
    :math:`\zeta^2 - 1`, one row per sample even when ``log_std`` has shape (D,):
    sum ``dlog_std`` over the batch axes for a shared ``log_std``.
    """
    mu, ls = _mean_log_std(mean, log_std)
    x = _point("x", x, mu)
    inv_sigma = np.exp(-ls)
    zeta = (x - mu) * inv_sigma
    # d/dmu = zeta / sigma,  d/dlog sigma = zeta^2 - 1
    return zeta * inv_sigma, zeta ** 2 - 1.0


def gaussian_entropy(log_std):
    r""":math:`H = \sum_d (\log\sigma_d + \frac12\log(2\pi e))`: a float for log_std (D,), shape (B,) for (B, D)."""
    ls = _float("log_std", log_std)
    # H = sum_d ( log sigma_d + (1 + log 2 pi) / 2 )
    H = (ls + 0.5 + _HALF_LOG_2PI).sum(axis=-1)
    return float(H) if ls.ndim == 1 else H


def _two_gaussians(mean_p, log_std_p, mean_q, log_std_q):
    mp, lp = _mean_log_std(mean_p, log_std_p, "mean_p", "log_std_p")
    mq, lq = _mean_log_std(mean_q, log_std_q, "mean_q", "log_std_q")
    if mp.shape != mq.shape:
        raise ValueError(f"mean_p and mean_q must have the same shape, got {mp.shape} and {mq.shape}")
    return mp, lp, mq, lq


def gaussian_kl(mean_p, log_std_p, mean_q, log_std_q):
    r""":math:`\mathrm{KL}(p\|q)` of two diagonal Gaussians, means (B, D), log stds (D,) or (B, D): shape (B,)."""
    mp, lp, mq, lq = _two_gaussians(mean_p, log_std_p, mean_q, log_std_q)
    # sum_d [ log(s_q / s_p) + (s_p^2 + (m_p - m_q)^2) / (2 s_q^2) - 1/2 ]
    ratio = (np.exp(2 * lp) + (mp - mq) ** 2) * np.exp(-2 * lq)
    return (lq - lp + 0.5 * ratio - 0.5).sum(axis=-1)


def gaussian_kl_grad_q(mean_p, log_std_p, mean_q, log_std_q):
    r"""Gradients of :func:`gaussian_kl` w.r.t. ``mean_q`` and ``log_std_q``: two arrays of shape (B, D).

    .. math::

        \frac{\partial\,\mathrm{KL}}{\partial\mu^q} = \frac{\mu^q - \mu^p}{(\sigma^q)^2},
        \qquad
        \frac{\partial\,\mathrm{KL}}{\partial\log\sigma^q}
          = 1 - \frac{(\sigma^p)^2 + (\mu^p - \mu^q)^2}{(\sigma^q)^2}.

    One row per distribution even for a shared ``log_std_q`` of shape (D,):
    sum over the batch axes then.
    """
    mp, lp, mq, lq = _two_gaussians(mean_p, log_std_p, mean_q, log_std_q)
    inv_var_q = np.exp(-2 * lq)
    dmean = (mq - mp) * inv_var_q
    dlog_std = 1.0 - (np.exp(2 * lp) + (mp - mq) ** 2) * inv_var_q
    return dmean, np.broadcast_to(dlog_std, mp.shape).copy()


# ----------------------------------------------------------------------------- tanh-squashed Gaussian

def _log_one_minus_tanh2(u):
    # log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u)), softplus(y) = log(1 + e^y)
    return 2.0 * (_LOG2 - u - np.logaddexp(0.0, -2.0 * u))


def squashed_log_prob(mean, log_std, u):
    r"""Log-density of :math:`a = \tanh(u)`, :math:`u \sim \mathcal N(\mu, \sigma^2)`, at :math:`a = \tanh(u)`: shape (B,).

    Takes the pre-tanh ``u`` (B, D), not ``a``: :math:`\tanh` rounds to
    :math:`\pm 1` for :math:`|u| > 19`, where :math:`\operatorname{atanh}(a)`
    would be lost.
    """
    mu, ls = _mean_log_std(mean, log_std)
    u = _point("u", u, mu)
    zeta = (u - mu) * np.exp(-ls)
    # log N(u; mu, sigma^2) - sum_d log(1 - tanh(u_d)^2)
    return (-0.5 * zeta ** 2 - ls - _HALF_LOG_2PI - _log_one_minus_tanh2(u)).sum(axis=-1)


def squashed_log_prob_grads(mean, log_std, u):
    r"""Partial derivatives of :func:`squashed_log_prob`: ``(dmean, dlog_std, du)``, each (B, D).

    ``dmean`` :math:`= \zeta/\sigma`, ``dlog_std`` :math:`= \zeta^2 - 1`,
    ``du`` :math:`= -\zeta/\sigma + 2\tanh u`, treating ``u`` as a free
    variable.  For the reparameterised SAC actor, :math:`u = \mu + \sigma\varepsilon`,
    the total derivatives of :math:`\log p` are ``dmean + du`` and
    ``dlog_std + du * sigma * eps`` (with ``sigma * eps = u - mean``).
    """
    mu, ls = _mean_log_std(mean, log_std)
    u = _point("u", u, mu)
    inv_sigma = np.exp(-ls)
    zeta = (u - mu) * inv_sigma
    dmean = zeta * inv_sigma
    # d/du [ -zeta^2 / 2 - log(1 - tanh^2 u) ] = -zeta / sigma + 2 tanh u
    return dmean, zeta ** 2 - 1.0, -dmean + 2.0 * np.tanh(u)
