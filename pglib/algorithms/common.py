r"""What the algorithms share: the policy network and its distribution, the critic, the run record.

:class:`Policy` maps observations to a distribution over actions:

* discrete actions: an MLP gives the logits, :math:`\pi_\theta(a|s) = \mathrm{softmax}(f_\theta(s))_a`;
* continuous actions: an MLP gives the mean, a state-independent vector
  gives the log standard deviation, :math:`a \sim \mathcal N(f_\theta(s), \mathrm{diag}(e^{2\ell}))`;
  the environment receives the action clipped to its bounds, the
  log-probability is that of the unclipped sample.

Its :meth:`Policy.log_prob` returns :math:`\log\pi_\theta(a_t|s_t)` and the
entropy for a batch, and :meth:`Policy.backward` turns the loss's
derivatives with respect to those two per-sample numbers into parameter
gradients -- every algorithm's loss is a function of them (and of the
critic's values), so this is the only backward pass an algorithm needs.

:class:`Run` records a training run: the evaluation curve (env steps,
mean undiscounted return of the greedy policy) and the final policy.
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field

import numpy as np

from .. import distributions as D
from ..nn import MLP, flatten, unflatten
from ..rollout import action_kind, check_env_id, evaluate_policy, make_vec

__all__ = ["Policy", "Critic", "Run", "check_budget", "check_seed", "Evaluator", "one_blas_thread"]


def one_blas_thread(algorithm):
    """Run ``algorithm`` with one BLAS thread.

    Its matrices are small (batches of a few hundred rows, layers of 64):
    a second thread costs more in synchronisation than it saves, many times
    more on a busy machine.
    """
    @functools.wraps(algorithm)
    def wrapped(*args, **kwargs):
        from threadpoolctl import threadpool_limits
        with threadpool_limits(limits=1, user_api="blas"):
            return algorithm(*args, **kwargs)
    return wrapped


def check_budget(total_steps):
    if isinstance(total_steps, bool) or not isinstance(total_steps, (int, np.integer)) or total_steps < 1:
        raise ValueError(f"total_steps must be a positive integer, got {total_steps!r}")
    return int(total_steps)


def check_seed(seed):
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


class Policy:
    """A stochastic policy: an MLP and a categorical or diagonal-Gaussian head.

    Parameters
    ----------
    obs_dim : int
    action_space : gymnasium.spaces.Discrete or Box (1-D, finite bounds)
    hidden : tuple of int; activation : "tanh" or "relu"
    rng : numpy.random.Generator (initialisation)
    init_log_std : float, the initial :math:`\\ell` (continuous actions)

    ``params`` is the list of arrays Adam updates: the MLP's, then (continuous
    actions) the log-std vector of shape (D,).
    """

    def __init__(self, obs_dim, action_space, hidden, activation, rng, init_log_std=0.0):
        self.kind = action_kind(action_space)
        if self.kind == "discrete":
            n_out = int(action_space.n)
        else:
            n_out = int(action_space.shape[0])
            self.low = np.asarray(action_space.low, dtype=float)
            self.high = np.asarray(action_space.high, dtype=float)
        # the last layer starts small (gain 0.01) so the first policy is near uniform / zero-mean
        self.net = MLP((obs_dim,) + tuple(hidden) + (n_out,), activation, rng, out_gain=0.01)
        self.params = list(self.net.params)
        if self.kind == "continuous":
            self.log_std = np.full(n_out, float(init_log_std))
            self.params.append(self.log_std)

    # -- acting ------------------------------------------------------------
    def sample(self, obs, rng):
        """Actions for a batch of observations (N, d): ``(actions, env_actions, log_probs)``."""
        out = self.net(obs)
        if self.kind == "discrete":
            a = D.categorical_sample(out, rng)
            return a, a, D.categorical_log_prob(out, a)
        a = D.gaussian_sample(out, self.log_std, rng)
        return a, np.clip(a, self.low, self.high), D.gaussian_log_prob(out, self.log_std, a)

    def actions(self, stored):
        """Stored actions as the head expects them: integers (discrete) or floats (continuous)."""
        return np.asarray(stored).astype(int) if self.kind == "discrete" else np.asarray(stored, dtype=float)

    def greedy(self, obs):
        """The most likely action (discrete) or the mean clipped to the bounds (continuous)."""
        out = self.net(np.asarray(obs, dtype=float))
        if self.kind == "discrete":
            return np.argmax(out, axis=-1)
        return np.clip(out, self.low, self.high)

    # -- differentiating ----------------------------------------------------
    def log_prob(self, obs, actions):
        """``(log_probs (B,), entropies (B,), cache)`` for a batch of (s_t, a_t)."""
        out, net_cache = self.net.forward(obs)
        if self.kind == "discrete":
            return (D.categorical_log_prob(out, actions), D.categorical_entropy(out),
                    (net_cache, out, actions))
        ent = np.full(len(obs), float(D.gaussian_entropy(self.log_std)))
        return D.gaussian_log_prob(out, self.log_std, actions), ent, (net_cache, out, actions)

    def backward(self, cache, dlogp, dent=None):
        """Gradients of a loss L w.r.t. ``params``, given dL/dlog pi_t (B,) and dL/dH_t (B,)."""
        net_cache, out, actions = cache
        dlogp = np.asarray(dlogp, dtype=float)
        if self.kind == "discrete":
            # d log pi(a|s) / d logits = onehot(a) - softmax(logits)
            dout = dlogp[:, None] * D.categorical_log_prob_grad(out, actions)
            if dent is not None:
                dout = dout + np.asarray(dent)[:, None] * D.categorical_entropy_grad(out)
            grads, _ = self.net.backward(net_cache, dout)
            return grads
        dmean, dlog_std = D.gaussian_log_prob_grad(out, self.log_std, actions)
        dout = dlogp[:, None] * dmean
        g_log_std = (dlogp[:, None] * dlog_std).sum(axis=0)
        if dent is not None:
            # H = sum_j (log_std_j + log sqrt(2 pi e)): dH/dlog_std_j = 1 for each sample
            g_log_std = g_log_std + np.sum(dent) * np.ones_like(self.log_std)
        grads, _ = self.net.backward(net_cache, dout)
        return grads + [g_log_std]

    # -- trust regions ------------------------------------------------------
    def dist_params(self, obs):
        """The distribution's parameters for a batch: logits (B, A), or (mean (B, D), log_std (D,))."""
        out = self.net(obs)
        return out if self.kind == "discrete" else (out, self.log_std.copy())

    def kl_from(self, old, obs):
        """Mean over the batch of KL(pi_old(.|s) || pi_theta(.|s)); ``old`` from :meth:`dist_params`."""
        new = self.dist_params(obs)
        if self.kind == "discrete":
            return float(D.categorical_kl(old, new).mean())
        return float(D.gaussian_kl(old[0], old[1], new[0], new[1]).mean())

    def fisher_vector_product(self, obs, v, eps=1e-4):
        r"""Fisher matrix of the policy times ``v`` (a flat parameter vector), averaged over the batch.

        :math:`F v = \frac1B\sum_b J_b^\top M_b J_b v`, with :math:`J_b` the
        Jacobian of the distribution's parameters at :math:`s_b` and
        :math:`M_b` the Fisher matrix of the distribution in those parameters
        (categorical: :math:`\mathrm{diag}(p) - pp^\top`; Gaussian mean:
        :math:`\mathrm{diag}(e^{-2\ell})`, log-std: :math:`2I`).  :math:`J_b v`
        is a central difference of the network's output along ``v`` (error
        :math:`O(\epsilon^2)`), :math:`J_b^\top(\cdot)` the network's exact VJP.
        """
        B = len(obs)
        theta = self.get_flat()
        n_net = self.net.n_params
        v_net = v[:n_net]
        self.net.set_flat(theta[:n_net] + eps * v_net)
        plus = self.net(obs)
        self.net.set_flat(theta[:n_net] - eps * v_net)
        minus = self.net(obs)
        self.net.set_flat(theta[:n_net])
        Jv = (plus - minus) / (2 * eps)                                  # (B, out)
        out, net_cache = self.net.forward(obs)
        if self.kind == "discrete":
            p = np.exp(out - out.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            MJv = p * Jv - p * np.sum(p * Jv, axis=1, keepdims=True)     # (diag p - p p^T) Jv
            grads, _ = self.net.backward(net_cache, MJv / B)
            return flatten(grads)
        MJv = Jv * np.exp(-2 * self.log_std)
        grads, _ = self.net.backward(net_cache, MJv / B)
        return np.concatenate([flatten(grads), 2.0 * v[n_net:]])

    def get_flat(self):
        return flatten(self.params)

    def set_flat(self, theta):
        for p, new in zip(self.params, unflatten(np.asarray(theta, dtype=float), self.params)):
            p[...] = new

    def copy_params(self):
        return [p.copy() for p in self.params]


class Critic:
    """A state-value network :math:`V_w(s)`, an MLP with one output."""

    def __init__(self, obs_dim, hidden, activation, rng):
        self.net = MLP((obs_dim,) + tuple(hidden) + (1,), activation, rng, out_gain=1.0)
        self.params = self.net.params

    def __call__(self, obs):
        obs = np.asarray(obs, dtype=float)
        return self.net(obs.reshape(-1, obs.shape[-1]))[:, 0].reshape(obs.shape[:-1])

    def regression_grads(self, obs, targets):
        r"""Gradients of :math:`\frac12 \mathrm{mean}_b (V_w(s_b) - y_b)^2` and the loss."""
        v, cache = self.net.forward(obs)
        err = v[:, 0] - targets
        grads, _ = self.net.backward(cache, err[:, None] / len(obs))
        return grads, 0.5 * float(np.mean(err ** 2))


class Evaluator:
    """Greedy evaluations every ``every`` env steps on fixed seeds (the same episodes each time)."""

    def __init__(self, env_id, every, n_episodes, seed):
        self.envs = make_vec(env_id, n_episodes)
        self.every, self.seed = every, 10_000 + 1_000 * seed
        self.next_at = 0
        self.steps, self.returns = [], []

    def maybe(self, steps, act, force=False):
        from ..rollout import episode_returns
        if steps >= self.next_at or force:
            self.steps.append(int(steps))
            self.returns.append(float(episode_returns(self.envs, act, self.seed).mean()))
            self.next_at = (steps // self.every + 1) * self.every

    def close(self):
        self.envs.close()


@dataclass
class Run:
    """A finished training run.

    ``steps`` (K,) env steps taken when each evaluation was made and
    ``returns`` (K,) the mean undiscounted return of the greedy policy over
    the evaluation episodes; ``episode_returns``/``episode_steps`` the
    returns of the training episodes (sampled actions) and the step count at
    their end; ``policy`` the final policy.  :meth:`evaluate` scores the final
    **greedy** policy (arg-max action, or the Gaussian mean).
    """

    algorithm: str
    env_id: str
    seed: int
    config: dict
    steps: np.ndarray
    returns: np.ndarray
    episode_steps: np.ndarray
    episode_returns: np.ndarray
    policy: object = field(repr=False)
    seconds: float = 0.0

    def act(self, obs):
        return self.policy.greedy(obs)

    def evaluate(self, n_episodes=100, seed=1):
        """Mean undiscounted return of the final greedy policy over ``n_episodes`` seeded episodes."""
        return evaluate_policy(self.env_id, self.act, n_episodes, seed)


def start(algorithm, env_id, total_steps, seed, overrides, kinds=("discrete", "continuous")):
    """Validate a call and build its pieces: ``(config, envs, rng, t0)``."""
    from .defaults import settings
    check_env_id(env_id)
    total_steps = check_budget(total_steps)
    seed = check_seed(seed)
    config = settings(algorithm, env_id, overrides)
    envs = make_vec(env_id, config.get("n_envs", 1))
    kind = action_kind(envs.single_action_space)
    if kind not in kinds:
        envs.close()
        raise ValueError(f"{algorithm} needs a {' or '.join(kinds)} action space; "
                         f"{env_id} has {envs.single_action_space}")
    return config, envs, np.random.default_rng(seed), time.perf_counter()
