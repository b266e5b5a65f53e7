r"""What the gradient-free searches (ES, ARS, CEM) share: a linear policy of a flat vector, batched episodes.

The searches treat the return of a policy as a black-box function of its
parameters, :math:`F(\theta)` = the undiscounted return of one episode of
:math:`\pi_\theta`, and evaluate many parameter vectors at once: a vector
environment with one copy per vector, copy :math:`i` acting with
:math:`\theta_i`.

**Linear policy** (Mania, Guy & Recht 2018).  With the state normalised by a
mean :math:`\mu` and standard deviation :math:`\sigma_s` (the identity unless
the search keeps running statistics),

.. math::

    y = W^\top \tilde s + b, \qquad \tilde s = (s - \mu) / \sigma_s, \qquad
    a = \arg\max_k y_k \;\text{(discrete)}, \qquad a = \mathrm{clip}(y, \text{low}, \text{high}) \;\text{(Box)},

with :math:`\theta = [\mathrm{vec}\,W, b]`, ``W`` of shape (obs_dim, k) in
row-major order and ``b`` (k,) (omitted with ``bias=False``).

**Counting.**  Every step of every perturbation episode is charged to the
budget: :func:`run_episodes` returns each copy's episode length, and the
searches add them all.  (Steps a finished copy keeps taking while the others
run are an artefact of batching, not of the method, and are not charged.)

**Running state statistics** (ARS V2): mean and variance of all states seen,
merged batch by batch with the parallel formulas of Chan, Golub & LeVeque
(1979): for counts :math:`n_A, n_B`, :math:`\delta = \bar x_B - \bar x_A`,

.. math::

    \bar x = \bar x_A + \delta\,\frac{n_B}{n}, \qquad
    M_2 = M_{2,A} + M_{2,B} + \delta^2 \frac{n_A n_B}{n}, \qquad \sigma^2 = M_2 / n.

References: Mania, Guy & Recht (2018), *Simple random search of static linear
policies is competitive for reinforcement learning*; Salimans, Ho, Chen,
Sidor & Sutskever (2017), *Evolution strategies as a scalable alternative to
reinforcement learning*; Chan, Golub & LeVeque (1979), *Updating formulae
and a pairwise algorithm for computing sample variances*.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..rollout import action_kind

__all__ = ["LinearPolicy", "RunningMeanStd", "Episodes", "run_episodes"]


class LinearPolicy:
    """A linear policy of a flat parameter vector, for many parameter vectors at once.

    Parameters
    ----------
    obs_dim : int
    action_space : gymnasium.spaces.Discrete or Box (1-D, finite bounds)
    bias : bool
        Include the bias vector ``b`` in :math:`\\theta`.

    Attributes
    ----------
    theta : (P,) float array
        The current parameters (the searches update it in place); zeros at first.
    obs_mean, obs_std : (obs_dim,) arrays
        The state normalisation (0 and 1 unless set).
    """

    def __init__(self, obs_dim, action_space, bias=True):
        self.kind = action_kind(action_space)
        self.obs_dim = int(obs_dim)
        if self.kind == "discrete":
            self.n_out = int(action_space.n)
        else:
            self.n_out = int(action_space.shape[0])
            self.low = np.asarray(action_space.low, dtype=float)
            self.high = np.asarray(action_space.high, dtype=float)
        self.bias = bool(bias)
        self.n_params = self.obs_dim * self.n_out + (self.n_out if self.bias else 0)
        self.theta = np.zeros(self.n_params)
        self.obs_mean = np.zeros(self.obs_dim)
        self.obs_std = np.ones(self.obs_dim)

    def scores(self, thetas, obs):
        r""":math:`y_i = W_i^\top \tilde s_i + b_i` for parameters (N, P) and observations (N, obs_dim): (N, k)."""
        thetas = np.asarray(thetas, dtype=float)
        N, d, k = len(thetas), self.obs_dim, self.n_out
        W = thetas[:, :d * k].reshape(N, d, k)
        s = (np.asarray(obs, dtype=float) - self.obs_mean) / self.obs_std
        y = np.einsum("nd,ndk->nk", s, W)
        if self.bias:
            y = y + thetas[:, d * k:]
        return y

    def act(self, thetas, obs):
        """Actions of copy ``i`` with parameters ``thetas[i]``: (N,) int or (N, k)."""
        y = self.scores(thetas, obs)
        return np.argmax(y, axis=1) if self.kind == "discrete" else np.clip(y, self.low, self.high)

    def greedy(self, obs):
        """Actions of the current parameters ``theta`` for observations (N, obs_dim)."""
        obs = np.asarray(obs, dtype=float)
        return self.act(np.broadcast_to(self.theta, (len(obs), self.n_params)), obs)


class RunningMeanStd:
    """Mean and variance of all rows seen so far (Chan et al. 1979), per coordinate."""

    def __init__(self, dim):
        self.count = 0
        self.mean = np.zeros(dim)
        self.m2 = np.zeros(dim)          # sum of squared deviations from the mean

    def update(self, x):
        """Merge a batch ``x`` of shape (n, dim)."""
        x = np.asarray(x, dtype=float)
        n_b = len(x)
        if n_b == 0:
            return
        mean_b = x.mean(axis=0)
        m2_b = ((x - mean_b) ** 2).sum(axis=0)
        n = self.count + n_b
        delta = mean_b - self.mean
        # mean = mean_A + delta n_B / n,  M2 = M2_A + M2_B + delta^2 n_A n_B / n
        self.mean = self.mean + delta * n_b / n
        self.m2 = self.m2 + m2_b + delta ** 2 * self.count * n_b / n
        self.count = n

    @property
    def std(self):
        """Standard deviation (population), 1 where it is below 1e-8 or nothing was seen."""
        if self.count == 0:
            return np.ones_like(self.mean)
        s = np.sqrt(self.m2 / self.count)
        return np.where(s < 1e-8, 1.0, s)


class Episodes(NamedTuple):
    returns: np.ndarray    # (N,) undiscounted return of each copy's first episode
    lengths: np.ndarray    # (N,) int, its number of steps
    states: np.ndarray     # (sum of lengths, obs_dim) every state acted on in those episodes


def run_episodes(envs, act, seeds, max_steps=100_000):
    """One episode of every copy of ``envs``: copy ``i`` reset with ``seeds[i]`` and acting by ``act``.

    ``act(obs) -> actions`` maps the observations (N, obs_dim) of all copies
    to their actions.  Steps a copy takes after its first episode ended are
    ignored (not returned, not counted).
    """
    obs, _ = envs.reset(seed=[int(s) for s in seeds])
    N = envs.num_envs
    total, lengths = np.zeros(N), np.zeros(N, dtype=int)
    running = np.ones(N, dtype=bool)
    states = []
    for _ in range(max_steps):
        states.append(obs[running])
        obs, r, term, trunc, _ = envs.step(act(obs))
        total += np.where(running, r, 0.0)
        lengths += running
        running &= ~(term | trunc)
        if not running.any():
            return Episodes(total, lengths, np.concatenate(states))
    raise ValueError(f"episodes did not end within max_steps={max_steps}")
