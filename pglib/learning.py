r"""REINFORCE learning runs on a tabular MDP, many independent runs at once.

A *run* is one agent learning from scratch: it samples an episode with its
current policy, updates its parameters, and starts the next episode.  A
learning curve is an average over many runs (Sutton & Barto average 100), so
:func:`reinforce` advances R independent runs together, one NumPy operation
per time step for all of them, and returns every run's parameters
:math:`\theta_k` after every episode :math:`k`.  A chapter can then plot the
*exact* objective :math:`J(\theta_k)` (:func:`objectives`, the equation of
:func:`pglib.exact.objective` solved for a stack of parameters) instead of
noisy sampled returns.

**REINFORCE with a baseline** (Williams 1992; Sutton & Barto 2018, sec.
13.3-13.4).  With returns-to-go :math:`G_t = \sum_{t' \ge t}\gamma^{t'-t} r_{t'}`
and a linear state value :math:`\hat v(s, w) = \phi(s)^\top w`, each step of
an episode contributes

.. math::

    \delta_t = G_t - \hat v(s_t, w), \qquad
    w \leftarrow w + \alpha^w \delta_t\, \phi(s_t), \qquad
    \theta \leftarrow \theta + \alpha\, \gamma^t \delta_t\, \nabla_\theta \log\pi_\theta(a_t|s_t).

Without a baseline, :math:`\delta_t = G_t`.  Two schedules differ in *which*
:math:`\theta` and :math:`w` the :math:`\theta`-update reads:

* ``update="per_step"`` is Sutton & Barto's boxes (pp. 328 and 330) read
  literally: the three assignments run in turn for :math:`t = 0, 1, \dots`, so
  the score at step :math:`t` is evaluated at the :math:`\theta` already moved
  by steps :math:`0..t-1`, and :math:`\delta_t` uses the :math:`w` moved by
  them (whose updates used rewards paid after :math:`t`).
* ``update="per_episode"``: everything the :math:`\theta`-update reads is fixed
  at the start of the episode,

  .. math::

      \theta_{k+1} = \theta_k + \alpha \sum_t \gamma^t \big(G_t - \hat v(s_t, w_k)\big)
          \nabla_\theta \log\pi_{\theta_k}(a_t|s_t),

  an unbiased estimate of :math:`\alpha\nabla J(\theta_k)` (chapter 3); then
  :math:`w` makes the same per-step regression updates as above.

The two agree to first order in the step sizes; chapter 10 shows where they
part.

**Policies**: :class:`pglib.SoftmaxPolicy` and :class:`pglib.LinearSoftmaxPolicy`
(a tabular softmax is the linear softmax with one-hot features
:math:`x(s,a) = e_{(s,a)}`, which is how it is handled here).

**Runs advance asynchronously.**  At each tick every run either takes one
step of its current episode or, in the per-step schedule, replays one step of
its finished episode to update; a run never waits for another one's long
episode.  A run whose episode reaches ``max_steps`` steps is *stopped*: the
episode is discarded and its parameters stay where they are (the policy has
become so nearly deterministic that episodes may not end in any reasonable
time); ``stopped[r]`` records the episode index.

Shapes
------
===================  =========================  ===========================================
name                 shape                      meaning
===================  =========================  ===========================================
``theta0``           theta_shape or (R,) + it   :math:`\theta_0` of every run
``alpha``            () or (R,)                 step size of each run
``value_features``   (S, m)                     :math:`\phi(s)`; ``None`` for no baseline
``thetas``           (R, K+1) + theta_shape     :math:`\theta_k`, :math:`k = 0..K`
``weights``          (R, K+1, m)                :math:`w_k` (``None`` without a baseline)
``lengths``          (R, K) int                 episode lengths (0 after a stop)
``returns``          (R, K)                     sampled :math:`G_0` of each episode (NaN if none)
===================  =========================  ===========================================

References: Williams (1992), *Simple statistical gradient-following
algorithms for connectionist reinforcement learning*; Sutton & Barto (2018),
*Reinforcement learning: an introduction*, 2nd ed., sec. 13.3 (REINFORCE),
13.4 (with baseline), Example 13.1 and Figures 13.1-13.2.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .exact import check_episodes_end, sink_states
from .mdp import TabularMDP, _check_int
from .policies import LinearSoftmaxPolicy, SoftmaxPolicy, softmax
from .sampling import discounted_returns

__all__ = ["LearningRuns", "reinforce", "objectives", "policy_features"]

_ACT, _LEARN, _DONE = 0, 1, 2


@dataclass(frozen=True)
class LearningRuns:
    """The parameter trajectories of R runs of K episodes; see the module docstring for shapes."""

    thetas: np.ndarray
    weights: np.ndarray
    lengths: np.ndarray
    returns: np.ndarray
    stopped: np.ndarray
    alpha: np.ndarray
    alpha_w: np.ndarray
    update: np.ndarray
    max_steps: int

    @property
    def n_runs(self):
        return self.thetas.shape[0]

    @property
    def n_episodes(self):
        return self.thetas.shape[1] - 1

    @property
    def diverged(self):
        """Bool (R,): the run was stopped by an episode of ``max_steps`` steps."""
        return self.stopped < self.n_episodes


def policy_features(policy):
    r"""Features :math:`x(s, a)` of shape (S, A, d) with logits :math:`x(s,a)^\top\theta` (flat :math:`\theta`).

    A :class:`~pglib.LinearSoftmaxPolicy` returns its own features; a
    :class:`~pglib.SoftmaxPolicy` the one-hot features :math:`e_{(s,a)}`, so that
    the flat :math:`\theta` is ``theta.reshape(-1)`` (row-major ``theta[s, a]``).
    """
    if isinstance(policy, LinearSoftmaxPolicy):
        return policy.features
    if isinstance(policy, SoftmaxPolicy):
        S, A = policy.n_states, policy.n_actions
        return np.eye(S * A).reshape(S, A, S * A)
    raise ValueError(f"policy must be a SoftmaxPolicy or a LinearSoftmaxPolicy, got {type(policy).__name__}")


def _per_run(name, x, R, allow_zero=True):
    """``x`` (a number or shape (R,)) as a float array of shape (R,), finite and >= 0 (or > 0)."""
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or an array of shape ({R},), got {x!r}") from None
    if a.ndim == 0:
        a = np.full(R, float(a))
    if a.shape != (R,):
        raise ValueError(f"{name} must be a number or have shape ({R},) (one per run), got {a.shape}")
    if not np.all(np.isfinite(a)) or np.any(a < 0) or (not allow_zero and np.any(a == 0)):
        raise ValueError(f"{name} must be finite and {'>= 0' if allow_zero else '> 0'}, got {x!r}")
    return a.copy()


def _returns_to_go(rewards, lengths, gamma):
    r""":math:`G_t = \sum_{t' \ge t} \gamma^{t'-t} r_{t'}` for rows of ``rewards`` (n, T) (zero past each length)."""
    if gamma == 1.0:
        return np.cumsum(rewards[:, ::-1], axis=1)[:, ::-1]
    if gamma == 0.0:
        return rewards.copy()
    T = rewards.shape[1]
    if T * -np.log(gamma) < 600:
        # G_t = gamma^{-t} sum_{t' >= t} gamma^{t'} r_{t'}: a suffix sum, no cancellation of early terms
        d = gamma ** np.arange(T)
        return np.cumsum((rewards * d)[:, ::-1], axis=1)[:, ::-1] / d
    mask = np.arange(T)[None, :] < lengths[:, None]
    return discounted_returns(rewards, mask, gamma)      # gamma^T would underflow: the backward recursion


def reinforce(mdp, policy, theta0, alpha, n_episodes, rng, n_runs=None, value_features=None,
              alpha_w=0.0, w0=0.0, update="per_step", max_steps=10_000):
    r"""R independent runs of REINFORCE (with a learned linear baseline if ``value_features`` is given).

    Parameters
    ----------
    mdp : TabularMDP
    policy : SoftmaxPolicy or LinearSoftmaxPolicy
    theta0 : array, ``policy.theta_shape`` or (R,) + ``policy.theta_shape``
        Initial parameters (the same for every run, or one row per run).
    alpha : float >= 0 or array (R,)
        Step size :math:`\alpha` (:math:`\alpha^\theta`) of each run.
    n_episodes : int > 0
        Episodes K per run.
    rng : numpy.random.Generator
        All sampling.  The runs share it, so a run's episodes depend on R.
    n_runs : int, optional
        R; needed when neither ``alpha``, ``alpha_w`` nor ``theta0`` has one entry per run.
    value_features : array (S, m), optional
        :math:`\phi(s)` of the baseline :math:`\hat v(s, w) = \phi(s)^\top w`; ``None``: no baseline.
    alpha_w : float >= 0 or array (R,)
        Step size of the baseline (a run with ``alpha_w = 0`` and ``w0 = 0`` has :math:`\hat v = 0`).
    w0 : float or array (m,) or (R, m)
        Initial baseline weights.
    update : {"per_step", "per_episode"} or a sequence of them, one per run
        The schedule (module docstring).
    max_steps : int > 0
        An episode that reaches this many steps stops its run.

    Returns
    -------
    LearningRuns
        ``thetas`` (R, K+1) + theta_shape, ``weights`` (R, K+1, m) or ``None``,
        ``lengths`` and ``returns`` (R, K), ``stopped`` (R,).

    Examples
    --------
    >>> from pglib import short_corridor
    >>> mdp = short_corridor()
    >>> X = np.zeros((4, 2, 2)); X[:, 1] = [1, 0]; X[:, 0] = [0, 1]   # Sutton & Barto's features
    >>> runs = reinforce(mdp, LinearSoftmaxPolicy(X), np.zeros(2), [2.0 ** -13] * 3, 5,
    ...                  np.random.default_rng(0))
    >>> runs.thetas.shape, runs.lengths.shape
    ((3, 6, 2), (3, 5))
    """
    if not isinstance(mdp, TabularMDP):
        raise ValueError(f"mdp must be a TabularMDP, got {type(mdp).__name__}")
    X = policy_features(policy)
    if X.shape[:2] != (mdp.n_states, mdp.n_actions):
        raise ValueError(f"policy is for {X.shape[0]} states and {X.shape[1]} actions, "
                         f"the MDP has {mdp.n_states} and {mdp.n_actions}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator (use np.random.default_rng(seed))")
    K = _check_int("n_episodes", n_episodes, 1, "a positive integer")
    max_steps = _check_int("max_steps", max_steps, 1, "a positive integer")
    shape = policy.theta_shape
    th0 = np.asarray(theta0, dtype=float)
    if th0.shape not in (shape,) and th0.shape[1:] != shape:
        raise ValueError(f"theta0 must have shape {shape} or (R,) + {shape}, got {th0.shape}")
    if not np.all(np.isfinite(th0)):
        raise ValueError("theta0 must be finite")
    modes = np.array([update] if isinstance(update, str) else list(update), dtype=object)
    if modes.ndim != 1 or not all(m in ("per_step", "per_episode") for m in modes):
        raise ValueError(f"update must be 'per_step', 'per_episode' or a sequence of them, got {update!r}")
    sizes = ({np.size(alpha), np.size(alpha_w), modes.size}
             | ({th0.shape[0]} if th0.shape != shape else set()))
    sizes.discard(1)
    if n_runs is not None:
        sizes.add(_check_int("n_runs", n_runs, 1, "a positive integer"))
    if len(sizes) != 1:
        raise ValueError("the number of runs R is ambiguous: give n_runs, or alpha / alpha_w / theta0 "
                         f"with one entry per run (got sizes {sorted(sizes) or 'all 1'})")
    R = sizes.pop()
    modes = np.array(np.broadcast_to(modes, (R,)), dtype=str)
    per_step = modes == "per_step"
    alpha = _per_run("alpha", alpha, R)
    alpha_w = _per_run("alpha_w", alpha_w, R)
    S, A, d = X.shape
    th = np.array(np.broadcast_to(th0.reshape(-1, d) if th0.shape != shape else th0.reshape(d), (R, d)))
    Phi, w = None, None
    if value_features is not None:
        Phi = np.asarray(value_features, dtype=float)
        if Phi.ndim != 2 or Phi.shape[0] != S or not np.all(np.isfinite(Phi)):
            raise ValueError(f"value_features must be a finite array of shape (S, m) = ({S}, m), got {Phi.shape}")
        w_init = np.asarray(w0, dtype=float)
        try:
            w = np.array(np.broadcast_to(w_init, (R, Phi.shape[1])))
        except ValueError:
            raise ValueError(f"w0 must be a number or have shape (m,) or (R, m) = ({R}, {Phi.shape[1]}), "
                             f"got {w_init.shape}") from None
        if not np.all(np.isfinite(w)):
            raise ValueError("w0 must be finite")
    gamma, P, R_sas, terminal = mdp.gamma, mdp.P, mdp.R_sas, mdp.terminal
    p0_cum = np.cumsum(mdp.p0)
    p0_cum /= p0_cum[-1]

    # Outputs.  Stopped runs keep their last parameters in every later column.
    thetas = np.zeros((R, K + 1, d))
    thetas[:, 0] = th
    weights = None if w is None else np.zeros((R, K + 1, w.shape[1]))
    if w is not None:
        weights[:, 0] = w
    lengths = np.zeros((R, K), dtype=int)
    returns = np.full((R, K), np.nan)
    stopped = np.full(R, K)

    # Run state.  Episode buffers (R, width), read and written through flat indices
    # r * width + t, grow (doubling) up to max_steps columns.
    phase = np.full(R, _ACT)
    k = np.zeros(R, dtype=int)                  # episodes finished
    pos = np.zeros(R, dtype=int)                # steps taken (acting) or replayed (learning)
    length = np.zeros(R, dtype=int)             # length of the episode being replayed
    s = np.zeros(R, dtype=int)                  # current state (acting)
    pi_run = np.zeros((R, S, A))                # the policy of the current episode, pi_{theta_k}
    cum = np.zeros((R * S, A * S))              # row r * S + s: cumulative law of (a, s') given s
    R_flat = R_sas.reshape(-1)                  # R[s, a, s'] at (s * A + a) * S + s'
    X_flat = X.reshape(S * A, d)
    width = min(256, max_steps)
    buf_s = np.zeros(R * width, dtype=np.int32)
    buf_a = np.zeros(R * width, dtype=np.int32)
    buf_r = np.zeros(R * width)
    buf_G = np.zeros(R * width)

    def grow(needed):
        nonlocal width, buf_s, buf_a, buf_r, buf_G
        new = min(max(2 * width, needed), max_steps)
        pad = ((0, 0), (0, new - width))
        buf_s, buf_a, buf_r, buf_G = (np.pad(b.reshape(R, width), pad).reshape(-1)
                                      for b in (buf_s, buf_a, buf_r, buf_G))
        width = new

    def finish(idx):
        # the episode's updates are done: record theta_{k+1}, w_{k+1}; start the next episode or stop
        k[idx] += 1
        thetas[idx, k[idx]] = th[idx]
        if w is not None:
            weights[idx, k[idx]] = w[idx]
        done = k[idx] >= K
        phase[idx[done]] = _DONE
        start(idx[~done])

    def start(idx):
        if idx.size == 0:
            return
        # pi[n, s, a] = softmax_a(x(s, a)^T theta_n)
        pi = softmax((th[idx] @ X_flat.T).reshape(idx.size, S, A), axis=2)
        pi_run[idx] = pi
        # joint law of (a, s') given s: pi(a|s) P(s'|s, a), flattened to a * S + s'
        c = np.cumsum((pi[:, :, :, None] * P[None]).reshape(idx.size, S, A * S), axis=2)
        cum.reshape(R, S, A * S)[idx] = c / c[:, :, -1:]   # last entry exactly 1: zero-probability pairs never drawn
        s[idx] = np.minimum(np.searchsorted(p0_cum, rng.random(idx.size), side="right"), S - 1)
        pos[idx] = 0
        phase[idx] = _ACT
        over = idx[terminal[s[idx]]]            # started in a terminal state: an empty episode
        if over.size:
            lengths[over, k[over]] = 0
            returns[over, k[over]] = 0.0
            finish(over)

    def per_episode_update(idx, L):
        # theta_{k+1} = theta_k + alpha sum_t gamma^t (G_t - v(s_t, w_k)) grad log pi_{theta_k}(a_t|s_t)
        T = int(L.max())
        run = np.arange(T)[None, :] < L[:, None]
        f = idx[:, None] * width + np.arange(T)
        st, at, G = buf_s[f], buf_a[f], buf_G[f]
        delta = G if w is None else G - np.einsum("ntm,nm->nt", Phi[st], w[idx])
        wts = (gamma ** np.arange(T) * delta)[run]
        # C[n, s, a] = sum_t wts[n, t] [s_t = s, a_t = a]
        flat = ((np.arange(idx.size)[:, None] * S + st) * A + at)[run]
        C = np.bincount(flat, weights=wts, minlength=idx.size * S * A).reshape(idx.size, S, A)
        # sum_{s,a} C[s,a] (x(s,a) - xbar(s)), xbar(s) = sum_b pi(b|s) x(s,b)
        centred = X[None] - np.einsum("nsb,sbd->nsd", pi_run[idx], X)[:, :, None, :]
        th[idx] += alpha[idx, None] * np.einsum("nsa,nsad->nd", C, centred)

    def end_episodes(idx, L):
        T = int(L.max())
        run = np.arange(T)[None, :] < L[:, None]
        f = idx[:, None] * width + np.arange(T)
        G = _returns_to_go(np.where(run, buf_r[f], 0.0), L, gamma)
        buf_G[f] = G
        lengths[idx, k[idx]] = L
        returns[idx, k[idx]] = G[:, 0]
        length[idx] = L
        batch = ~per_step[idx]
        if batch.any():
            per_episode_update(idx[batch], L[batch])
            if w is None:
                finish(idx[batch])
                idx = idx[~batch]
        pos[idx] = 0
        phase[idx] = _LEARN                     # replay the steps: theta (per step) and/or w

    def act(idx):
        t = pos[idx]
        t_max = int(t.max())
        if t_max >= width:
            grow(t_max + 1)
        si = s[idx]
        c = cum[idx * S + si]                                    # (n, A S)
        j = (c <= rng.random(idx.size)[:, None]).sum(axis=1)     # first j with u < cum[j]
        a, s2 = j // S, j % S
        f = idx * width + t
        buf_s[f], buf_a[f], buf_r[f] = si, a, R_flat[(si * A + a) * S + s2]
        pos[idx] = t + 1
        s[idx] = s2
        ended = terminal[s2]
        if t_max + 1 >= max_steps:
            cut = ~ended & (t + 1 >= max_steps)
            bad = idx[cut]
            stopped[bad] = k[bad]
            lengths[bad, k[bad]] = max_steps
            phase[bad] = _DONE
            for r in bad:                        # parameters stay: fill the remaining columns
                thetas[r, k[r] + 1:] = th[r]
                if w is not None:
                    weights[r, k[r] + 1:] = w[r]
        if ended.any():
            end_episodes(idx[ended], t[ended] + 1)

    def learn(idx):
        t = pos[idx]
        f = idx * width + t
        st, G = buf_s[f], buf_G[f]
        if w is None:
            delta = G
        else:
            phi = Phi[st]
            # delta = G_t - v(s_t, w);  w <- w + alpha_w delta phi(s_t)
            delta = G - (phi * w[idx]).sum(axis=1)
            w[idx] += (alpha_w[idx] * delta)[:, None] * phi
        ps = per_step[idx]
        if ps.any():
            i, st, at = idx[ps], st[ps], buf_a[f[ps]]
            Xs = X[st]                                            # (n, A, d)
            z = (Xs @ th[i][:, :, None])[:, :, 0]
            e = np.exp(z - z.max(axis=1, keepdims=True))
            pi = e / e.sum(axis=1, keepdims=True)                 # pi(.|s_t) at the current theta
            score = X[st, at] - (pi[:, None, :] @ Xs)[:, 0, :]    # grad log pi(a_t|s_t, theta)
            # theta <- theta + alpha gamma^t delta grad log pi(a_t|s_t, theta)
            th[i] += (alpha[i] * gamma ** t[ps] * delta[ps])[:, None] * score
        pos[idx] = t + 1
        over = t + 1 >= length[idx]
        if over.any():
            finish(idx[over])

    start(np.arange(R))
    while True:
        acting = np.flatnonzero(phase == _ACT)
        learning = np.flatnonzero(phase == _LEARN)
        if acting.size == 0 and learning.size == 0:
            break
        if acting.size:
            act(acting)
        if learning.size:
            learn(learning)

    return LearningRuns(thetas.reshape((R, K + 1) + shape), weights, lengths, returns, stopped,
                        alpha, alpha_w, modes, max_steps)


def objectives(mdp, policy, thetas, chunk=50_000):
    r"""Exact :math:`J(\theta) = p_0^\top (I - \gamma P^{\pi_\theta})^{-1} r^{\pi_\theta}` for a stack of parameters.

    The equation of :func:`pglib.exact.objective`, solved for many
    :math:`\theta` at once (batched linear solves).  ``thetas`` has shape
    ``batch + policy.theta_shape``; returns shape ``batch``.  With
    :math:`\gamma = 1` every episode must end (checked once: softmax policies
    all have the same support), and sinks are cut as in :mod:`pglib.exact`.

    A policy so close to deterministic that its episodes last longer than
    ``1e12`` steps on average (at :math:`\gamma = 1`) has a :math:`J` that
    double precision cannot resolve (:math:`1 - \pi(a|s)` rounds off, and
    :math:`I - P^\pi` is singular to working precision): its entry is NaN.
    """
    if not isinstance(mdp, TabularMDP):
        raise ValueError(f"mdp must be a TabularMDP, got {type(mdp).__name__}")
    X = policy_features(policy)
    shape = policy.theta_shape
    th = np.asarray(thetas, dtype=float)
    if th.shape[th.ndim - len(shape):] != shape:
        raise ValueError(f"thetas must have shape (...,) + {shape}, got {th.shape}")
    batch = th.shape[:th.ndim - len(shape)]
    flat = th.reshape(-1, X.shape[2])
    if not np.all(np.isfinite(flat)):
        raise ValueError("thetas must be finite")
    S = mdp.n_states
    keep = mdp.live.astype(float)
    if mdp.gamma == 1.0:
        keep = keep * ~sink_states(mdp)
        check_episodes_end(mdp, np.full((S, mdp.n_actions), 1.0 / mdp.n_actions))
    out = np.empty(flat.shape[0])
    eye = np.eye(S)
    for lo in range(0, flat.shape[0], chunk):
        pi = softmax(np.einsum("sad,nd->nsa", X, flat[lo:lo + chunk]), axis=2)
        # P^pi[s, x] = sum_a pi(a|s) P[s, a, x] and r^pi[s] = sum_a pi(a|s) R[s, a], cut at terminal states
        Ppi = np.einsum("nsa,sax->nsx", pi, mdp.P) * keep[:, None] * keep[None, :]
        rpi = (pi * mdp.R).sum(axis=2) * keep
        # Solve (I - gamma P^pi) [v, n] = [r^pi, 1]: values, and (gamma = 1) expected steps to the end
        rhs = np.stack([rpi, np.broadcast_to(keep, rpi.shape)], axis=2)
        M = eye - mdp.gamma * Ppi
        try:
            sol = np.linalg.solve(M, rhs)
        except np.linalg.LinAlgError:                      # some matrix exactly singular: one at a time
            sol = np.full(rhs.shape, np.nan)
            for i in range(M.shape[0]):
                try:
                    sol[i] = np.linalg.solve(M[i], rhs[i])
                except np.linalg.LinAlgError:
                    pass
        J = sol[:, :, 0] @ mdp.p0
        if mdp.gamma == 1.0:
            n = sol[:, :, 1][:, keep > 0]
            J[~(np.all(n >= 1.0 - 1e-9, axis=1) & np.all(n <= 1e12, axis=1))] = np.nan
        out[lo:lo + chunk] = J
    return out.reshape(batch)
