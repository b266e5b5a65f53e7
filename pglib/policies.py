r"""Parameterized policies :math:`\pi_\theta(a \mid s)` and their scores.

Three families, each with the log-probability and its gradient (the *score*)
in closed form:

* :class:`SoftmaxPolicy` -- tabular logits ``theta[s, a]``,
  :math:`\pi_\theta(a|s) = e^{\theta_{s,a}} / \sum_b e^{\theta_{s,b}}` and
  :math:`\partial \log\pi_\theta(a|s) / \partial\theta_{s',b} = [s'=s]\,([b=a] - \pi_\theta(b|s))`.
* :class:`LinearSoftmaxPolicy` -- logits ``x(s, a) . theta`` over features,
  :math:`\nabla\log\pi_\theta(a|s) = x(s,a) - \sum_b \pi_\theta(b|s) x(s,b)`.
* :class:`GaussianPolicy` -- one continuous action,
  :math:`a \sim \mathcal N(w^\top x(s), \sigma^2)` with :math:`\sigma = e^{\theta_{-1}}`.

The discrete policies also give :meth:`probs_vjp`, the vector-Jacobian
product :math:`\sum_{s,a} W[s,a]\,\nabla_\theta \pi_\theta(a|s)` that the
policy gradient theorem needs, in O(S A) work, and :meth:`score_sum`, the
sum of scores weighted by visit counts, which the sample estimators need.

References: Sutton & Barto (2018), sec. 13.2 (softmax in action
preferences); Williams (1992) (Gaussian units).
"""
from __future__ import annotations

import numpy as np

from .mdp import _as_float_array, _check_int

__all__ = ["SoftmaxPolicy", "LinearSoftmaxPolicy", "GaussianPolicy", "softmax"]


def softmax(logits, axis=-1):
    r"""Softmax along ``axis``, stable for huge logits.

    :math:`\mathrm{softmax}(z)_a = e^{z_a - \max z} / \sum_b e^{z_b - \max z}`.
    """
    z = np.asarray(logits, dtype=float)
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(logits, axis=-1):
    z = np.asarray(logits, dtype=float)
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


class _Policy:
    """What every policy shares: a parameter array of shape ``theta_shape``."""

    theta_shape: tuple

    def check_theta(self, theta):
        """Return ``theta`` as a float array, or raise ``ValueError`` on a wrong shape."""
        theta = _as_float_array("theta", theta)
        if theta.shape != self.theta_shape:
            raise ValueError(f"theta must have shape {self.theta_shape}, got {theta.shape}")
        return theta


class _DiscretePolicy(_Policy):
    """Shared code of the discrete policies (a probability table per theta)."""

    n_states: int
    n_actions: int

    def _check_sa(self, states, actions):
        s = np.asarray(states)
        a = np.asarray(actions)
        if s.shape != a.shape:
            raise ValueError(f"states and actions must have the same shape, got {s.shape} and {a.shape}")
        for name, x in (("states", s), ("actions", a)):
            if x.dtype.kind not in "iub" and not (x.dtype.kind == "f" and np.all(np.isfinite(x))
                                                 and np.all(x == np.round(x))):
                raise ValueError(f"{name} must be integer indices, got {x.dtype} values")
        if s.size and (s.min() < 0 or s.max() >= self.n_states):
            raise ValueError(f"states must lie in [0, {self.n_states}), got values in [{s.min()}, {s.max()}]")
        if a.size and (a.min() < 0 or a.max() >= self.n_actions):
            raise ValueError(f"actions must lie in [0, {self.n_actions}), got values in [{a.min()}, {a.max()}]")
        return s.astype(int), a.astype(int)

    def zeros(self):
        """The parameter vector giving the uniform policy (all logits zero)."""
        return np.zeros(self.theta_shape)

    def log_probs(self, theta):
        r"""Table of :math:`\log\pi_\theta(a|s)`, shape (S, A)."""
        return _log_softmax(self.logits(theta), axis=1)

    def probs(self, theta):
        r"""Table of :math:`\pi_\theta(a|s)`, shape (S, A); rows sum to 1."""
        return softmax(self.logits(theta), axis=1)

    def log_prob(self, theta, states, actions):
        r""":math:`\log\pi_\theta(a_i|s_i)` for arrays of states and actions (same shape)."""
        s, a = self._check_sa(states, actions)
        return self.log_probs(theta)[s, a]


class SoftmaxPolicy(_DiscretePolicy):
    r"""Tabular softmax policy with logits ``theta`` of shape (S, A).

    .. math::

        \pi_\theta(a|s) = \frac{e^{\theta_{s,a}}}{\sum_b e^{\theta_{s,b}}}

    Examples
    --------
    >>> pol = SoftmaxPolicy(2, 3)
    >>> pol.probs(np.zeros((2, 3)))[0]
    array([0.33333333, 0.33333333, 0.33333333])
    """

    def __init__(self, n_states, n_actions):
        self.n_states = _check_int("n_states", n_states, 1, "a positive integer")
        self.n_actions = _check_int("n_actions", n_actions, 1, "a positive integer")
        self.theta_shape = (self.n_states, self.n_actions)

    def logits(self, theta):
        """Logits table, shape (S, A): theta itself."""
        return self.check_theta(theta)

    def grad_log_prob(self, theta, states, actions):
        r"""Score :math:`\nabla_\theta \log\pi_\theta(a_i|s_i)`.

        Returns shape ``states.shape + (S, A)``: row ``s_i`` holds
        ``onehot(a_i) - pi(.|s_i)``, every other row is zero.
        """
        pi = self.probs(theta)
        s, a = self._check_sa(states, actions)
        out = np.zeros(s.shape + self.theta_shape)
        flat = out.reshape(-1, *self.theta_shape)
        idx = np.arange(flat.shape[0])
        sf, af = s.ravel(), a.ravel()
        flat[idx, sf, :] = -pi[sf]
        flat[idx, sf, af] += 1.0
        return out

    def score_sum(self, theta, counts):
        r""":math:`\sum_{s,a} C[s,a]\,\nabla_\theta\log\pi_\theta(a|s)` for weighted counts.

        ``counts`` has shape (..., S, A); returns shape (..., S, A).  For the
        tabular softmax, row ``s`` is :math:`C[s,:] - \pi(\cdot|s)\sum_b C[s,b]`.
        """
        pi = self.probs(theta)
        C = np.asarray(counts, dtype=float)
        return C - pi * C.sum(axis=-1, keepdims=True)

    def probs_vjp(self, theta, W):
        r""":math:`\sum_{s,a} W[s,a]\,\nabla_\theta\pi_\theta(a|s)`, shape (S, A).

        Uses :math:`\partial\pi(a|s)/\partial\theta_{s,b} = \pi(a|s)([a=b]-\pi(b|s))`,
        so entry ``[s, b]`` is :math:`\pi(b|s)\,(W[s,b] - \sum_a \pi(a|s) W[s,a])`.
        """
        pi = self.probs(theta)
        W = np.asarray(W, dtype=float)
        return pi * (W - (pi * W).sum(axis=1, keepdims=True))


class LinearSoftmaxPolicy(_DiscretePolicy):
    r"""Softmax over linear action preferences :math:`h(s,a) = x(s,a)^\top\theta`.

    Parameters
    ----------
    features : array_like, shape (S, A, d)
        ``features[s, a]`` is the feature vector :math:`x(s, a)`.

    ``theta`` has shape (d,).  With one-hot features this is the tabular
    softmax; with features that do not depend on ``s`` every state looks
    alike (Sutton & Barto's short corridor, Example 13.1).
    """

    def __init__(self, features):
        X = _as_float_array("features", features)
        if X.ndim != 3:
            raise ValueError(f"features must have shape (S, A, d), got {X.shape}")
        X.setflags(write=False)
        self.features = X
        self.n_states, self.n_actions, d = X.shape
        self.theta_shape = (d,)

    def logits(self, theta):
        """Logits table :math:`x(s,a)^T theta`, shape (S, A)."""
        return self.features @ self.check_theta(theta)

    def _mean_features(self, pi):
        # xbar(s) = sum_b pi(b|s) x(s, b), shape (S, d)
        return np.einsum("sa,sad->sd", pi, self.features)

    def grad_log_prob(self, theta, states, actions):
        r"""Score :math:`x(s_i,a_i) - \sum_b\pi(b|s_i)x(s_i,b)`, shape ``states.shape + (d,)``."""
        pi = self.probs(theta)
        s, a = self._check_sa(states, actions)
        return self.features[s, a] - self._mean_features(pi)[s]

    def score_sum(self, theta, counts):
        r""":math:`\sum_{s,a} C[s,a](x(s,a) - \bar x(s))` for counts of shape (..., S, A); returns (..., d)."""
        pi = self.probs(theta)
        C = np.asarray(counts, dtype=float)
        centred = self.features - self._mean_features(pi)[:, None, :]
        return np.einsum("...sa,sad->...d", C, centred)

    def probs_vjp(self, theta, W):
        r""":math:`\sum_{s,a} W[s,a]\,\pi(a|s)\,(x(s,a) - \bar x(s))`, shape (d,)."""
        pi = self.probs(theta)
        return self.score_sum(theta, pi * np.asarray(W, dtype=float))


class GaussianPolicy(_Policy):
    r"""One-dimensional Gaussian policy with a linear mean.

    .. math::

        a \sim \mathcal N\big(\mu_\theta(s), \sigma_\theta^2\big), \qquad
        \mu_\theta(s) = w^\top x(s), \quad \sigma_\theta = e^{\theta_{-1}},

    with ``theta = concatenate([w, [log_sigma]])`` of shape (d + 1,) and
    state features ``x`` of shape (..., d).  Scores (Williams 1992):

    .. math::

        \nabla_w \log\pi = \frac{a-\mu}{\sigma^2}\,x, \qquad
        \frac{\partial \log\pi}{\partial\log\sigma} = \frac{(a-\mu)^2}{\sigma^2} - 1.
    """

    def __init__(self, n_features):
        self.n_features = _check_int("n_features", n_features, 1, "a positive integer")
        self.theta_shape = (self.n_features + 1,)

    def _check_x(self, features):
        x = _as_float_array("features", features)
        if x.ndim == 0 or x.shape[-1] != self.n_features:
            raise ValueError(f"features must have last axis of size {self.n_features}, got shape {x.shape}")
        return x

    def mean(self, theta, features):
        """:math:`\\mu_\\theta(s) = w^T x(s)`, shape ``features.shape[:-1]``."""
        theta = self.check_theta(theta)
        return self._check_x(features) @ theta[:-1]

    def std(self, theta):
        """:math:`\\sigma_\\theta = e^{\\theta_{-1}}`."""
        return float(np.exp(self.check_theta(theta)[-1]))

    def sample(self, theta, features, rng):
        """Draw actions, shape ``features.shape[:-1]``, with the Generator ``rng``."""
        if not isinstance(rng, np.random.Generator):
            raise ValueError("rng must be a numpy.random.Generator (use np.random.default_rng(seed))")
        mu = self.mean(theta, features)
        return mu + self.std(theta) * rng.standard_normal(mu.shape)

    def log_prob(self, theta, features, actions):
        r""":math:`\log\mathcal N(a; \mu_\theta(s), \sigma_\theta^2)`, shape of ``actions``."""
        mu = self.mean(theta, features)
        sigma = self.std(theta)
        a = _as_float_array("actions", actions)
        return -0.5 * ((a - mu) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)

    def grad_log_prob(self, theta, features, actions):
        """Score, shape ``actions.shape + (d + 1,)`` (mean weights first, then log sigma)."""
        x = self._check_x(features)
        mu = self.mean(theta, x)
        sigma = self.std(theta)
        a = _as_float_array("actions", actions)
        z = (a - mu) / sigma
        g_w = (z / sigma)[..., None] * x          # (a - mu) / sigma^2 * x
        g_logsigma = (z ** 2 - 1.0)[..., None]    # (a - mu)^2 / sigma^2 - 1
        return np.concatenate([np.broadcast_to(g_w, a.shape + (self.n_features,)), g_logsigma], axis=-1)
