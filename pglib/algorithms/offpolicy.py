r"""What the off-policy actor-critics (DDPG, TD3, SAC) share: Q networks and two kinds of actor.

**Actions in** :math:`[-1, 1]^D`.  The learners work with actions
:math:`a \in [-1, 1]^D`; the environment receives
:math:`c + h \odot a` with :math:`c = (\text{high} + \text{low})/2` and
:math:`h = (\text{high} - \text{low})/2`, so one set of settings fits any
finite bounds.  The replay buffer stores :math:`a`.

**Q network.**  :math:`Q_w(s, a) = f_w([s, a])`, an MLP on the concatenation.
Its input vector-Jacobian product (:meth:`pglib.nn.MLP.backward` returns
:math:`\partial\ell/\partial x`) gives :math:`\nabla_a Q_w(s, a)`, the last
:math:`D` columns of :math:`\nabla_x`.

**Deterministic actor** (DDPG, TD3): :math:`a = \mu_\theta(s) = \tanh f_\theta(s)`.
The deterministic policy gradient (Silver et al. 2014, Theorem 1) of
:math:`\frac1B\sum_b Q_w(s_b, \mu_\theta(s_b))` is the chain rule

.. math::

    \nabla_\theta \frac1B \sum_b Q_w(s_b, \mu_\theta(s_b))
      = \frac1B \sum_b J_\theta \mu_\theta(s_b)^\top \, \nabla_a Q_w(s_b, a)\big|_{a = \mu_\theta(s_b)},

computed as two VJPs: :math:`\nabla_a Q` from the critic, then through
:math:`\tanh` (:math:`\partial a/\partial f = 1 - a^2`) and the actor's network.

**Squashed Gaussian actor** (SAC; Haarnoja et al. 2018): the network gives
a mean :math:`m_\theta(s)` and a log standard deviation
:math:`\ell_\theta(s)` (clipped to :math:`[-20, 2]`); with
:math:`\varepsilon \sim \mathcal N(0, I)`,

.. math::

    u = m_\theta(s) + e^{\ell_\theta(s)} \odot \varepsilon, \qquad a = \tanh u, \qquad
    \log\pi_\theta(a|s) = \log\mathcal N(u; m, e^{2\ell}) - \sum_d \log(1 - \tanh^2 u_d)

(:func:`pglib.distributions.squashed_log_prob`).  For a loss
:math:`L(\log\pi, a)` of the reparameterised sample (:math:`\varepsilon` held
fixed), the chain rule through :math:`u` gives

.. math::

    \frac{\partial L}{\partial m} = L_{\log\pi}\,(\partial_m + \partial_u)\log\pi + L_a \odot (1 - a^2),
    \qquad
    \frac{\partial L}{\partial \ell} = L_{\log\pi}\,(\partial_\ell + \sigma\varepsilon\,\partial_u)\log\pi
        + L_a \odot (1 - a^2) \odot \sigma\varepsilon,

with the partial derivatives from :func:`pglib.distributions.squashed_log_prob_grads`
(and 0 for :math:`\ell` where the clip is active).

References: Silver, Lever, Heess, Degris, Wierstra & Riedmiller (2014),
*Deterministic policy gradient algorithms*; Lillicrap et al. (2016),
*Continuous control with deep reinforcement learning*; Fujimoto, van Hoof &
Meger (2018), *Addressing function approximation error in actor-critic
methods*; Haarnoja, Zhou, Abbeel & Levine (2018), *Soft actor-critic*, and
Haarnoja et al. (2018), *Soft actor-critic algorithms and applications*.
"""
from __future__ import annotations

import numpy as np

from .. import distributions as D
from ..nn import MLP
from ..rollout import action_kind

__all__ = ["action_scale", "QNetwork", "DeterministicActor", "SquashedGaussianActor"]

LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0


def action_scale(action_space):
    """``(center, half_width)``, arrays (D,), of a bounded 1-D Box; ``ValueError`` for any other space."""
    if action_kind(action_space) != "continuous":
        raise ValueError(f"a continuous (Box) action space is needed, got {action_space}")
    low = np.asarray(action_space.low, dtype=float)
    high = np.asarray(action_space.high, dtype=float)
    if np.any(high <= low):
        raise ValueError(f"action bounds must satisfy low < high, got low={low}, high={high}")
    return (high + low) / 2.0, (high - low) / 2.0


class QNetwork:
    r"""An action-value network :math:`Q_w(s, a)`: an MLP on :math:`[s, a]` with one output.

    ``obs`` (B, obs_dim), ``actions`` (B, act_dim) in :math:`[-1, 1]`; values (B,).
    """

    def __init__(self, obs_dim, act_dim, hidden, activation, rng):
        self.obs_dim, self.act_dim = int(obs_dim), int(act_dim)
        self.net = MLP((self.obs_dim + self.act_dim,) + tuple(hidden) + (1,), activation, rng)
        self.params = self.net.params

    def forward(self, obs, actions):
        """``(q (B,), cache)``."""
        q, cache = self.net.forward(np.concatenate([obs, actions], axis=1))
        return q[:, 0], cache

    def __call__(self, obs, actions):
        return self.forward(obs, actions)[0]

    def regression_grads(self, obs, actions, targets):
        r"""Gradients of :math:`\frac12\,\mathrm{mean}_b (Q_w(s_b, a_b) - y_b)^2`, and that loss."""
        q, cache = self.forward(obs, actions)
        err = q - targets
        grads, _ = self.net.backward(cache, err[:, None] / len(err))
        return grads, 0.5 * float(np.mean(err ** 2))

    def action_grad(self, cache, dq):
        r""":math:`\partial L/\partial a_b = (\partial L/\partial q_b)\,\nabla_a Q_w(s_b, a_b)`, shape (B, act_dim).

        ``dq`` (B,) is :math:`\partial L/\partial q_b`; the input VJP of the
        network, keeping the action columns of :math:`[s, a]`.
        """
        _, grad_x = self.net.backward(cache, np.asarray(dq, dtype=float)[:, None])
        return grad_x[:, self.obs_dim:]

    def copy(self):
        new = object.__new__(QNetwork)
        new.obs_dim, new.act_dim = self.obs_dim, self.act_dim
        new.net = self.net.copy()
        new.params = new.net.params
        return new


class _Actor:
    """Rescaling to the Box bounds and the greedy action, shared by both actors."""

    def _setup(self, obs_dim, action_space, hidden, activation, rng, n_out_per_dim):
        self.center, self.half = action_scale(action_space)
        self.obs_dim, self.act_dim = int(obs_dim), len(self.center)
        # small last layer: the first actions are near the middle of the range
        self.net = MLP((self.obs_dim,) + tuple(hidden) + (n_out_per_dim * self.act_dim,), activation, rng,
                       out_gain=0.01)
        self.params = self.net.params

    def to_env(self, a):
        """Environment actions :math:`c + h \\odot a` for actions ``a`` in :math:`[-1, 1]` (B, D)."""
        return self.center + self.half * a

    def copy(self):
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.net = self.net.copy()
        new.params = new.net.params
        return new


class DeterministicActor(_Actor):
    r""":math:`a = \mu_\theta(s) = \tanh f_\theta(s) \in [-1, 1]^D` (DDPG, TD3)."""

    def __init__(self, obs_dim, action_space, hidden, activation, rng):
        self._setup(obs_dim, action_space, hidden, activation, rng, 1)

    def forward(self, obs):
        """``(a (B, D), cache)``."""
        y, cache = self.net.forward(obs)
        a = np.tanh(y)
        return a, (cache, a)

    def __call__(self, obs):
        return np.tanh(self.net(obs))

    def backward(self, cache, da):
        r"""Parameter gradients of a loss given :math:`\partial L/\partial a` (B, D): through tanh, then the MLP."""
        net_cache, a = cache
        # dL/df = dL/da * (1 - tanh^2 f)
        grads, _ = self.net.backward(net_cache, da * (1.0 - a * a))
        return grads

    def greedy(self, obs):
        """The environment action of :math:`\\mu_\\theta(s)` for observations (N, obs_dim)."""
        return self.to_env(self(np.asarray(obs, dtype=float)))


class SquashedGaussianActor(_Actor):
    r""":math:`a = \tanh(m_\theta(s) + e^{\ell_\theta(s)}\varepsilon)` (SAC); the network outputs :math:`[m, \ell]`."""

    def __init__(self, obs_dim, action_space, hidden, activation, rng):
        self._setup(obs_dim, action_space, hidden, activation, rng, 2)

    def _mean_log_std(self, out):
        D_ = self.act_dim
        return out[:, :D_], np.clip(out[:, D_:], LOG_STD_MIN, LOG_STD_MAX)

    def sample(self, obs, rng, eps=None):
        r"""``(a (B, D), log_prob (B,), cache)`` with :math:`\varepsilon` from ``rng`` (or given, (B, D))."""
        out, net_cache = self.net.forward(obs)
        mean, log_std = self._mean_log_std(out)
        if eps is None:
            eps = rng.standard_normal(mean.shape)
        # u = m + sigma * eps,  a = tanh u
        u = mean + np.exp(log_std) * eps
        a = np.tanh(u)
        logp = D.squashed_log_prob(mean, log_std, u)
        return a, logp, (net_cache, out, mean, log_std, u, a)

    def backward(self, cache, dlogp, da):
        r"""Parameter gradients of :math:`L(\log\pi_b, a_b)` through the reparameterised sample.

        ``dlogp`` (B,) is :math:`\partial L/\partial\log\pi_b`, ``da`` (B, D) is
        :math:`\partial L/\partial a_b` (with :math:`\log\pi` held fixed); see the
        module docstring for the chain rule.
        """
        net_cache, out, mean, log_std, u, a = cache
        g_mean, g_log_std, g_u = D.squashed_log_prob_grads(mean, log_std, u)
        dlogp = np.asarray(dlogp, dtype=float)[:, None]
        sigma_eps = u - mean                                       # du/dlog_std = sigma * eps
        # dL/du through a = tanh u (log pi's own u-dependence is in g_u)
        du = dlogp * g_u + da * (1.0 - a * a)
        d_mean = dlogp * g_mean + du
        d_log_std = dlogp * g_log_std + du * sigma_eps
        # the clip of log_std passes no gradient where it is active
        raw = out[:, self.act_dim:]
        d_log_std = d_log_std * ((raw > LOG_STD_MIN) & (raw < LOG_STD_MAX))
        grads, _ = self.net.backward(net_cache, np.concatenate([d_mean, d_log_std], axis=1))
        return grads

    def greedy(self, obs):
        """The environment action of :math:`\\tanh m_\\theta(s)` (the mode before squashing) for (N, obs_dim)."""
        out = self.net(np.asarray(obs, dtype=float))
        return self.to_env(np.tanh(out[:, :self.act_dim]))
