r"""Exact policy-gradient quantities of a tabular MDP, by linear algebra.

For a policy table ``pi[s, a]`` the MDP becomes a Markov chain with
(sub-stochastic) transition matrix and reward vector

.. math::

    P^\pi[s, x] = \sum_a \pi(a|s) P[s, a, x], \qquad r^\pi[s] = \sum_a \pi(a|s) R[s, a],

where rows and columns of terminal states are zero: an episode that enters
a terminal state has ended, so it is no longer "at" any state.  Then

.. math::

    v^\pi &= (I - \gamma P^\pi)^{-1} r^\pi, \qquad
    q^\pi = R + \gamma P v^\pi, \\
    \varphi(s \to x, k) &= [(P^\pi)^k]_{s x}, \qquad
    n = p_0^\top (I - P^\pi)^{-1} \;(\gamma = 1), \\
    \rho^\pi &= p_0^\top \sum_t \gamma^t (P^\pi)^t = p_0^\top (I - \gamma P^\pi)^{-1}, \\
    J(\theta) &= p_0^\top v^\pi, \qquad
    \nabla J(\theta) = \sum_s \rho^\pi(s) \sum_a q^\pi(s,a) \nabla_\theta \pi_\theta(a|s).

The last line is the policy gradient theorem (Sutton et al. 1999).  Inverses
are never formed: every :math:`(I - \gamma P^\pi)^{-1}` is a linear solve.
With :math:`\gamma = 1` these functions first check that every episode ends
(from every non-terminal state some terminal state is reachable under
:math:`\pi`) and raise ``ValueError`` otherwise.  One exception: a *sink*, a
set of non-terminal states that no action leaves and in which every
transition pays 0, contributes nothing to any return, so values, action
values, :math:`J` and :math:`\nabla J` treat it as terminal (its visit
counts :math:`n` and occupancy :math:`\rho^\pi` are infinite, so
:func:`expected_visits` and :func:`occupancy` still raise).

Finite horizons: :func:`objective` and :func:`policy_gradient` accept
``horizon=T`` for the truncated objective :math:`J_T = E[\sum_{t<T}\gamma^t r_t]`,
computed by backward induction; :func:`trajectory_distribution` enumerates
every trajectory of length at most ``T`` with its probability.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .mdp import TabularMDP, _check_int, check_distribution
from .sampling import Batch

__all__ = [
    "transition_matrix", "reward_vector", "state_values", "action_values", "advantages",
    "k_step", "expected_visits", "occupancy", "on_policy_distribution",
    "finite_horizon_action_values", "objective", "policy_gradient", "delta", "value_gradient", "finite_difference_gradient",
    "trajectory_distribution", "Enumeration", "check_episodes_end", "sink_states",
]


def check_policy_table(mdp, pi):
    """Return ``pi`` as a float array of shape (S, A) with rows on the simplex, or raise ``ValueError``."""
    if not isinstance(mdp, TabularMDP):
        raise ValueError(f"mdp must be a TabularMDP, got {type(mdp).__name__}")
    pi = np.asarray(pi, dtype=float)
    if pi.shape != (mdp.n_states, mdp.n_actions):
        raise ValueError(f"pi must have shape (S, A) = {(mdp.n_states, mdp.n_actions)}, got {pi.shape}")
    if not np.all(np.isfinite(pi)):
        raise ValueError("pi must be finite (no NaN or inf)")
    check_distribution("pi[s, :]", pi, axis=1)
    return pi


def transition_matrix(mdp, pi):
    r"""State-to-state matrix :math:`P^\pi`, shape (S, S).

    :math:`P^\pi[s, x] = \sum_a \pi(a|s) P[s, a, x]` for non-terminal ``s`` and
    ``x``; rows and columns of terminal states are zero, so row sums are the
    probability that the episode goes on for one more step.
    """
    pi = check_policy_table(mdp, pi)
    live = mdp.live.astype(float)
    # P^pi[s, x] = sum_a pi(a|s) P[s, a, x], then cut the episode at terminal states
    M = np.matmul(pi[:, None, :], mdp.P)[:, 0, :]
    return M * live[:, None] * live[None, :]


def reward_vector(mdp, pi):
    r""":math:`r^\pi[s] = \sum_a \pi(a|s) R[s, a]`, shape (S,); zero at terminal states."""
    pi = check_policy_table(mdp, pi)
    return (pi * mdp.R).sum(axis=1) * mdp.live


def check_episodes_end(mdp, pi):
    """Raise ``ValueError`` if, under ``pi``, some non-terminal state cannot reach a terminal state.

    With gamma = 1 such a state has an infinite (or undefined) return and
    ``I - P^pi`` is singular.
    """
    _raise_if_stuck(transition_matrix(mdp, pi), mdp.live)


def sink_states(mdp):
    r"""Bool mask (S,) of the largest *sink*: non-terminal states that no action leaves and where nothing is paid.

    A state ``s`` is in the sink ``C`` when, for every action ``a``,
    :math:`\sum_{s' \in C} P[s, a, s'] = 1` and ``R[s, a, s'] = 0`` for every
    ``s'`` with ``P[s, a, s'] > 0``.  Whatever the policy, an episode that
    enters ``C`` never leaves it and collects nothing more, so ``C`` acts like a
    terminal state for values and :math:`J` (the return is the same), though
    not for visit counts.  Computed by pruning: start from the zero-reward
    states and drop those with an action leading out, until nothing changes.
    """
    # zero[s] = every possible transition out of s pays 0
    zero = mdp.live & ~np.any((mdp.P > 0) & (mdp.R_sas != 0), axis=(1, 2))
    C = zero.copy()
    while True:
        # keep s only if every action stays in C with probability 1
        inside = mdp.P[:, :, C].sum(axis=2) >= 1.0 - 1e-12
        pruned = C & inside.all(axis=1)
        if (pruned == C).all():
            return C
        C = pruned


def _value_matrix(mdp, pi, gamma):
    r""":math:`I - \gamma P^\pi` for value solves; at :math:`\gamma = 1` sinks are cut like terminal states.

    Returns the matrix and the bool mask of the states it keeps (all states when
    :math:`\gamma < 1`).  Raises ``ValueError`` if, at :math:`\gamma = 1`, some
    episode neither ends nor falls into a sink.
    """
    M = transition_matrix(mdp, pi)
    keep = np.ones(mdp.n_states, dtype=bool)
    if gamma == 1.0:
        keep = ~sink_states(mdp)
        # entering a sink ends the return: cut its rows and columns like a terminal state's
        M = M * keep[:, None] * keep[None, :]
        _raise_if_stuck(M, mdp.live & keep)
    return np.eye(mdp.n_states) - gamma * M, keep


def _raise_if_stuck(M, live):
    """Raise ``ValueError`` if some ``live`` state of the sub-stochastic chain ``M`` cannot reach its exit."""
    # A state "can end" if it leaks probability out of the live states in one
    # step, or moves with positive probability to a state that can end.
    can_end = live & (M.sum(axis=1) < 1.0 - 1e-12)
    adjacency = M > 0
    while True:
        grown = can_end | (live & adjacency[:, can_end].any(axis=1))
        if (grown == can_end).all():
            break
        can_end = grown
    stuck = np.flatnonzero(live & ~can_end)
    if stuck.size:
        raise ValueError(
            "gamma = 1 and under this policy some episodes never end: from state "
            f"{int(stuck[0])} no terminal state is reachable ({stuck.size} such state(s)); "
            "use gamma < 1, add terminal states, or change the policy")


def _resolvent_solve(mdp, pi, b, gamma, left=False):
    r"""Solve :math:`(I - \gamma P^\pi) x = b` (or :math:`x^\top (I - \gamma P^\pi) = b^\top` when ``left``).

    Right solves (values) accept sinks at :math:`\gamma = 1` (see :func:`sink_states`);
    left solves (visits, occupancy) do not, since a sink is visited forever.
    """
    if left:
        if gamma == 1.0:
            check_episodes_end(mdp, pi)
        A = np.eye(mdp.n_states) - gamma * transition_matrix(mdp, pi)
        return np.linalg.solve(A.T, b)
    A, keep = _value_matrix(mdp, pi, gamma)
    # x = 0 on a sink: it pays nothing, ever
    return np.linalg.solve(A, b * (keep if b.ndim == 1 else keep[:, None]))


def state_values(mdp, pi):
    r""":math:`v^\pi = (I - \gamma P^\pi)^{-1} r^\pi`, shape (S,); zero at terminal states."""
    # Solve (I - gamma P^pi) v = r^pi for v
    return _resolvent_solve(mdp, pi, reward_vector(mdp, pi), mdp.gamma)


def action_values(mdp, pi):
    r""":math:`q^\pi[s,a] = R[s,a] + \gamma\sum_{s'} P[s,a,s'] v^\pi(s')`, shape (S, A); zero at terminal states."""
    return _q_from_v(mdp, state_values(mdp, pi))


def _q_from_v(mdp, v):
    # q = R + gamma P v, with v = 0 at terminal states, and q = 0 where nobody acts
    return (mdp.R + mdp.gamma * mdp.P @ v) * mdp.live[:, None]


def advantages(mdp, pi):
    r""":math:`A^\pi[s,a] = q^\pi[s,a] - v^\pi(s)`, shape (S, A)."""
    q = action_values(mdp, pi)
    return q - (check_policy_table(mdp, pi) * q).sum(axis=1, keepdims=True)


def k_step(mdp, pi, k):
    r""":math:`\varphi(s \to x, k) = [(P^\pi)^k]_{s x}`, shape (S, S).

    The probability of being in non-terminal state ``x`` after exactly ``k``
    steps from ``s`` with the episode still running (Sutton & Barto 13.2).
    Satisfies :math:`\varphi(k+1) = \varphi(k)\,\varphi(1)` and :math:`\varphi(0) = I`
    on non-terminal states.
    """
    k = _check_int("k", k, 0, "a non-negative integer")
    M = transition_matrix(mdp, pi)
    phi0 = np.diag(mdp.live.astype(float))
    return phi0 @ np.linalg.matrix_power(M, k)


def expected_visits(mdp, pi):
    r"""Expected number of visits :math:`n(s)` per episode, shape (S,).

    .. math:: n(x) = \sum_{s} p_0(s) \sum_{k \ge 0} \varphi(s \to x, k) = [p_0^\top (I - P^\pi)^{-1}]_x

    Undiscounted (Sutton & Barto eq. 9.2): it needs every episode to end,
    whatever the MDP's gamma, and raises ``ValueError`` otherwise.
    """
    pi = check_policy_table(mdp, pi)
    # Solve n^T (I - P^pi) = p0^T for n
    return _resolvent_solve(mdp, pi, mdp.p0 * mdp.live, 1.0, left=True)


def on_policy_distribution(mdp, pi):
    r"""On-policy distribution :math:`\mu(s) = n(s) / \sum_x n(x)`, shape (S,).

    The fraction of time steps spent in ``s`` (Sutton & Barto eq. 9.3); the
    normaliser :math:`\sum_x n(x)` is the expected episode length.
    """
    n = expected_visits(mdp, pi)
    length = n.sum()
    if not length > 0:
        raise ValueError("the on-policy distribution is undefined: p0 puts all its mass on terminal "
                         "states, so every episode has length 0")
    return n / length


def occupancy(mdp, pi):
    r"""Discounted occupancy :math:`\rho^\pi = p_0^\top (I - \gamma P^\pi)^{-1}`, shape (S,).

    :math:`\rho^\pi(s) = \sum_t \gamma^t \Pr(s_t = s)`.  Without terminal
    states it sums to :math:`1/(1-\gamma)`.  Computed by a linear solve, never
    by summing powers.
    """
    pi = check_policy_table(mdp, pi)
    # Solve rho^T (I - gamma P^pi) = p0^T for rho
    return _resolvent_solve(mdp, pi, mdp.p0 * mdp.live, mdp.gamma, left=True)


def _check_horizon(horizon):
    if horizon is None:
        return None
    return _check_int("horizon", horizon, 1, "a positive integer (or None for no limit)")


def finite_horizon_action_values(mdp, pi, horizon):
    r"""Steps-to-go action values :math:`Q_h`, :math:`h = 0, \dots, T`, shape (T + 1, S, A).

    :math:`Q_h(s,a) = E[\sum_{k<h} \gamma^k r_{t+k} \mid s_t = s, a_t = a]` with
    :math:`h` actions left, by backward induction:
    :math:`Q_0 = 0`, :math:`Q_h = R + \gamma P V_{h-1}`, :math:`V_h(s) = \sum_a \pi(a|s) Q_h(s,a)`
    (:math:`V_0 = 0`).  :math:`Q_h \to q^\pi` as :math:`h \to \infty` when :math:`\gamma < 1`.
    """
    pi = check_policy_table(mdp, pi)
    T = _check_horizon(horizon)
    if T is None:
        raise ValueError("horizon must be a positive integer")
    Q = np.zeros((T + 1, mdp.n_states, mdp.n_actions))
    V = np.zeros(mdp.n_states)
    for h in range(1, T + 1):
        Q[h] = _q_from_v(mdp, V)            # Q_h = R + gamma P V_{h-1}
        V = (pi * Q[h]).sum(axis=1)         # V_h = sum_a pi Q_h
    return Q


def _finite_horizon(mdp, pi, T):
    """J_T pieces: (V_T over states, W = sum_{t<T} gamma^t d_t(s) Q_{T-t}(s, a))."""
    Q = finite_horizon_action_values(mdp, pi, T)
    d = mdp.p0 * mdp.live                   # d_0(s) = Pr(s_0 = s, episode running)
    M = transition_matrix(mdp, pi)
    W = np.zeros_like(mdp.R)
    for t in range(T):
        # gamma^t d_t(s) Q_{T-t}(s, a), with d_{t+1} = d_t P^pi
        W += mdp.gamma ** t * d[:, None] * Q[T - t]
        d = d @ M
    return (pi * Q[T]).sum(axis=1), W


def objective(mdp, policy, theta, horizon=None):
    r"""Expected discounted return :math:`J(\theta) = p_0^\top v^{\pi_\theta}`.

    With ``horizon=T``: :math:`J_T(\theta) = E[\sum_{t=0}^{T-1}\gamma^t r_t]`.
    """
    pi = policy.probs(theta)
    T = _check_horizon(horizon)
    if T is None:
        return float(mdp.p0 @ state_values(mdp, pi))
    V, _ = _finite_horizon(mdp, check_policy_table(mdp, pi), T)
    return float(mdp.p0 @ V)


def policy_gradient(mdp, policy, theta, horizon=None):
    r"""Exact :math:`\nabla_\theta J(\theta)` by the policy gradient theorem; shape of ``theta``.

    .. math:: \nabla J = \sum_s \rho^\pi(s) \sum_a q^\pi(s,a)\,\nabla_\theta\pi_\theta(a|s)

    With ``horizon=T`` the gradient of :math:`J_T`:
    :math:`\sum_{t<T}\gamma^t \sum_s \Pr(s_t=s) \sum_a Q_{T-t}(s,a) \nabla\pi_\theta(a|s)`,
    where :math:`Q_h` is the :math:`h`-steps-to-go action value.
    """
    pi = check_policy_table(mdp, policy.probs(theta))
    T = _check_horizon(horizon)
    if T is None:
        # One matrix I - gamma P^pi serves both solves:
        # v = (I - gamma P^pi)^{-1} r^pi and rho^T = p0^T (I - gamma P^pi)^{-1}
        # (at gamma = 1 a sink is cut like a terminal state: q = 0 there, so its
        # infinite occupancy never multiplies anything but 0)
        A, keep = _value_matrix(mdp, pi, mdp.gamma)
        v = np.linalg.solve(A, reward_vector(mdp, pi) * keep)
        rho = np.linalg.solve(A.T, mdp.p0 * mdp.live * keep)
        q = _q_from_v(mdp, v)
        # W[s, a] = rho(s) q(s, a); grad J = sum_{s,a} W[s,a] grad pi(a|s)
        W = rho[:, None] * q
    else:
        _, W = _finite_horizon(mdp, pi, T)
    return policy.probs_vjp(theta, W)


def delta(mdp, policy, theta):
    r""":math:`\Delta(s) = \sum_a q^\pi(s,a)\,\nabla_\theta\pi_\theta(a|s)` for every state, shape ``(S,) + theta.shape``.

    The "source term" of the Bellman equation on :math:`\nabla v` (Sutton &
    Barto 13.2).  Costs S vector-Jacobian products.
    """
    pi = check_policy_table(mdp, policy.probs(theta))
    q = action_values(mdp, pi)
    rows = []
    for s in range(mdp.n_states):
        W = np.zeros_like(q)
        W[s] = q[s]                      # only state s contributes to Delta(s)
        rows.append(policy.probs_vjp(theta, W))
    return np.stack(rows)


def value_gradient(mdp, policy, theta):
    r""":math:`\nabla_\theta v^\pi(s)` for every state, shape ``(S,) + theta.shape``.

    Solves the Bellman equation on the gradient,
    :math:`\nabla v = \Delta + \gamma P^\pi \nabla v` with :math:`\Delta` from
    :func:`delta`, i.e. :math:`\nabla v = (I - \gamma P^\pi)^{-1}\Delta`.
    """
    pi = check_policy_table(mdp, policy.probs(theta))
    d = delta(mdp, policy, theta)
    flat = d.reshape(mdp.n_states, -1)
    # Solve (I - gamma P^pi) grad_v = Delta, one right-hand side per parameter
    grad_v = _resolvent_solve(mdp, pi, flat, mdp.gamma)
    return grad_v.reshape(d.shape)


def finite_difference_gradient(mdp, policy, theta, eps=1e-5, horizon=None):
    r"""Central differences :math:`(J(\theta + \epsilon e_i) - J(\theta - \epsilon e_i)) / 2\epsilon`; shape of ``theta``.

    An independent check of :func:`policy_gradient` (error O(eps^2)).
    """
    theta = policy.check_theta(theta)
    try:
        ok = float(eps) > 0 and np.isfinite(float(eps))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"eps must be a positive number, got {eps!r}")
    grad = np.zeros_like(theta)
    flat = grad.reshape(-1)
    for i in range(theta.size):
        e = np.zeros(theta.size)
        e[i] = eps
        e = e.reshape(theta.shape)
        flat[i] = (objective(mdp, policy, theta + e, horizon)
                   - objective(mdp, policy, theta - e, horizon)) / (2 * eps)
    return grad


@dataclass(frozen=True)
class Enumeration(Batch):
    """Every trajectory of length at most ``horizon``, with its probability.

    A :class:`pglib.sampling.Batch` (same arrays, same (trajectory, time)
    axis order) plus ``prob`` of shape (M,), :math:`\\rho_\\theta(\\tau)`, summing to 1.
    Expectations over trajectories are exact weighted sums: :meth:`expect`.
    """

    prob: np.ndarray = None
    final_states: np.ndarray = None

    def expect(self, values):
        r""":math:`E_\tau[f(\tau)] = \sum_\tau \rho(\tau) f(\tau)` for ``values`` of shape (M, ...)."""
        values = np.asarray(values, dtype=float)
        if values.ndim == 0 or values.shape[0] != self.prob.shape[0]:
            raise ValueError(f"values must have one row per trajectory ({self.prob.shape[0]}), got {values.shape}")
        return np.tensordot(self.prob, values, axes=1)


def trajectory_distribution(mdp, pi, horizon, max_trajectories=200_000):
    r"""Enumerate every trajectory of at most ``horizon`` steps with its probability.

    .. math:: \rho(\tau) = p_0(s_0) \prod_{t} \pi(a_t|s_t) P(s_{t+1}|s_t, a_t)

    A trajectory stops early when it enters a terminal state; otherwise it is
    cut after ``horizon`` actions.  Two trajectories differ if any state,
    action or next state differs (the last next state is kept in
    ``final_states`` since rewards ``R[s, a, s']`` may depend on it).

    Returns
    -------
    Enumeration
        ``states``, ``actions``, ``rewards``, ``mask`` of shape (M, horizon),
        ``final_states`` (M,), and ``prob`` (M,) with ``prob.sum() == 1``.
    """
    pi = check_policy_table(mdp, pi)
    T = _check_horizon(horizon)
    if T is None:
        raise ValueError("horizon must be a positive integer")
    S, A = mdp.n_states, mdp.n_actions
    starts = np.flatnonzero(mdp.p0 > 0)
    cur = starts.copy()                        # current state of each partial trajectory
    prob = mdp.p0[starts].copy()
    running = mdp.live[cur].copy()
    states = np.zeros((cur.size, 0), dtype=int)
    actions = np.zeros((cur.size, 0), dtype=int)
    rewards = np.zeros((cur.size, 0))
    mask = np.zeros((cur.size, 0), dtype=bool)
    for _ in range(T):
        # Branch each running trajectory on every (a, s') of positive probability.
        branch_p = pi[cur][:, :, None] * mdp.P[cur]                  # (M, A, S)
        branch_p[~running] = 0.0
        m_idx, a_idx, s_idx = np.nonzero(branch_p)
        stopped = np.flatnonzero(~running)
        n_new = m_idx.size + stopped.size
        if n_new > max_trajectories:
            raise ValueError(f"more than max_trajectories={max_trajectories} trajectories; "
                             "use a smaller horizon or MDP")
        keep = np.concatenate([m_idx, stopped])
        new_prob = np.concatenate([prob[m_idx] * branch_p[m_idx, a_idx, s_idx], prob[stopped]])
        new_a = np.concatenate([a_idx, np.zeros(stopped.size, dtype=int)])
        new_r = np.concatenate([mdp.R_sas[cur[m_idx], a_idx, s_idx], np.zeros(stopped.size)])
        new_mask = np.concatenate([np.ones(m_idx.size, bool), np.zeros(stopped.size, bool)])
        new_cur = np.concatenate([s_idx, cur[stopped]])
        states = np.column_stack([states[keep], cur[keep]])
        actions = np.column_stack([actions[keep], new_a])
        rewards = np.column_stack([rewards[keep], new_r])
        mask = np.column_stack([mask[keep], new_mask])
        running = np.concatenate([mdp.live[s_idx], np.zeros(stopped.size, bool)])
        prob, cur = new_prob, new_cur
    return Enumeration(states=states, actions=actions, rewards=rewards, mask=mask,
                       prob=prob, final_states=cur)
