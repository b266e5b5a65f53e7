r"""Trust regions on a tabular MDP: the Fisher matrix, the surrogate, the improvement bound, off-policy gradients.

Exact quantities for the natural policy gradient (Kakade 2001), TRPO
(Schulman et al. 2015) and PPO (Schulman et al. 2017), computed by linear
algebra on a :class:`~pglib.mdp.TabularMDP` with a discrete policy of
:mod:`pglib.policies`.

**State distribution and Fisher matrix.**  With the discounted occupancy
:math:`\rho^\pi = p_0 (I - \gamma P^\pi)^{-1}` (:func:`pglib.exact.occupancy`)
and its normalisation :math:`d^\pi = \rho^\pi / \sum_s \rho^\pi(s)`,

.. math::

    F(\theta) = \sum_s d^\pi(s) \sum_a \pi_\theta(a|s)\,
        \nabla_\theta\log\pi_\theta(a|s)\,\nabla_\theta\log\pi_\theta(a|s)^\top ,

the expected outer product of the score; it is also the Hessian at
:math:`\theta' = \theta` of the mean divergence
:math:`\bar D(\theta') = \sum_s d^\pi(s)\,\mathrm{KL}(\pi_\theta(\cdot|s)\,\|\,\pi_{\theta'}(\cdot|s))`.
For the policies here the logits :math:`z_\theta(s, a)` are linear in
:math:`\theta`, so :math:`\nabla\log\pi(a|s)^\top v = \delta z(s,a) - \sum_b \pi(b|s)\,\delta z(s,b)`
with :math:`\delta z = z_v`, and :math:`Fv` needs no matrix
(:func:`fisher_vector_product`).

**Surrogate and improvement bound.**  With :math:`A^\pi` the advantage of the
old policy,

.. math::

    L_\pi(\pi') = J(\pi) + \sum_s \rho^\pi(s) \sum_a \pi'(a|s)\, A^\pi(s,a),

and, for :math:`\gamma < 1`, :math:`\alpha = \max_s \mathrm{TV}(\pi(\cdot|s), \pi'(\cdot|s))`
(:math:`\mathrm{TV}(p, q) = \frac12\sum_a |p(a) - q(a)|`),
:math:`\epsilon = \max_{s,a} |A^\pi(s,a)|` (Schulman et al. 2015, Theorem 1 and eq. 9):

.. math::

    J(\pi') \ge L_\pi(\pi') - C\alpha^2 \ge L_\pi(\pi') - C \max_s \mathrm{KL}(\pi(\cdot|s)\,\|\,\pi'(\cdot|s)),
    \qquad C = \frac{4\epsilon\gamma}{(1-\gamma)^2},

the second step by :math:`\mathrm{TV}^2 \le \mathrm{KL}` (Pinsker's inequality
gives even :math:`\mathrm{TV}^2 \le \mathrm{KL}/2`).  Kakade & Langford (2002)
proved the first bound of this kind, for mixtures :math:`(1-\alpha)\pi + \alpha\pi'`.

**Importance-sampled gradients.**  From episodes of a behaviour policy
:math:`\beta`, with ratios :math:`w_t = \pi_\theta(a_t|s_t)/\beta(a_t|s_t)`
and their running products :math:`W_t = \prod_{k \le t} w_k`,

.. math::

    \hat g = \sum_t \gamma^t\,\nabla\log\pi_\theta(a_t|s_t)\,\tilde G_t, \qquad
    \tilde G_t = \sum_{t' \ge t} \gamma^{t'-t}\, W_{t'}\, r_{t'}

(per-decision importance sampling, Precup, Sutton & Singh 2000) has mean
:math:`\nabla J_T(\theta)` for episodes cut at :math:`T`, like the
whole-trajectory weighting :math:`W_{L-1}\sum_t \gamma^t \nabla\log\pi_\theta(a_t|s_t) G_t`,
provided :math:`\beta(a|s) > 0` wherever :math:`\pi_\theta(a|s) > 0`.

Shapes: policy tables ``pi[s, a]`` (S, A); ``theta`` as the policy's
``theta_shape``; Fisher matrices (n, n) with n = ``theta.size`` in the
C order of ``theta.ravel()``; per-state quantities (S,), zero at terminal
states (never acted in).

References: Kakade (2001), *A natural policy gradient*; Kakade & Langford
(2002), *Approximately optimal approximate reinforcement learning*;
Schulman, Levine, Moritz, Jordan & Abbeel (2015), *Trust region policy
optimization*; Schulman, Wolski, Dhariwal, Radford & Klimov (2017),
*Proximal policy optimization algorithms*; Precup, Sutton & Singh (2000),
*Eligibility traces for off-policy policy evaluation*.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import exact
from .estimators import GradientEstimate, score_terms
from .mdp import _check_int, _check_unit
from .sampling import discounted_returns

__all__ = [
    "state_distribution", "fisher_matrix", "fisher_vector_product",
    "kl_per_state", "max_kl", "mean_kl", "max_tv",
    "surrogate", "surrogate_gradient", "penalty_coefficient", "ImprovementBound", "improvement_bound",
    "importance_weighted_gradient",
]


# ----------------------------------------------------------------------------- state weights, Fisher

def state_distribution(mdp, pi):
    r""":math:`d^\pi = \rho^\pi / \sum_s \rho^\pi(s)`, the normalised discounted occupancy, shape (S,)."""
    rho = exact.occupancy(mdp, pi)
    mass = rho.sum()
    if not mass > 0:
        raise ValueError("the state distribution is undefined: p0 puts all its mass on terminal states")
    return rho / mass


def _weights(mdp, pi, weights):
    """State weights (S,): ``d^pi`` by default, else the given non-negative finite vector (zero at terminal states)."""
    if weights is None:
        return state_distribution(mdp, pi)
    w = np.asarray(weights, dtype=float)
    if w.shape != (mdp.n_states,):
        raise ValueError(f"weights must have shape (S,) = ({mdp.n_states},), got {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and non-negative")
    return w * mdp.live


def _all_pairs(mdp):
    """Every (s, a) pair, states major: two int arrays of length S * A."""
    S, A = mdp.n_states, mdp.n_actions
    return np.repeat(np.arange(S), A), np.tile(np.arange(A), S)


def _check_policy(mdp, policy):
    if not (hasattr(policy, "probs_vjp") and hasattr(policy, "n_states")):
        raise ValueError("policy must be a discrete policy of pglib.policies (SoftmaxPolicy or LinearSoftmaxPolicy)")
    if (policy.n_states, policy.n_actions) != (mdp.n_states, mdp.n_actions):
        raise ValueError(f"policy has (S, A) = {(policy.n_states, policy.n_actions)}, "
                         f"the MDP {(mdp.n_states, mdp.n_actions)}")


def fisher_matrix(mdp, policy, theta, weights=None):
    r"""Fisher matrix :math:`F = \sum_s w(s) \sum_a \pi(a|s)\,\psi(s,a)\psi(s,a)^\top`, shape (n, n).

    :math:`\psi(s,a) = \nabla_\theta\log\pi_\theta(a|s)` flattened (n = ``theta.size``);
    ``weights`` :math:`w` (S,) default to :math:`d^{\pi_\theta}` (:func:`state_distribution`).
    Built from the S * A score vectors: memory S A n.
    """
    _check_policy(mdp, policy)
    theta = policy.check_theta(theta)
    pi = policy.probs(theta)
    w = _weights(mdp, pi, weights)
    s, a = _all_pairs(mdp)
    psi = policy.grad_log_prob(theta, s, a).reshape(s.size, -1)          # (S A, n)
    # F = sum_{s,a} w(s) pi(a|s) psi psi^T
    coef = w[s] * pi[s, a]
    return psi.T @ (coef[:, None] * psi)


def fisher_vector_product(mdp, policy, theta, v, weights=None):
    r""":math:`F v` without forming :math:`F`; shape of ``theta``.

    With :math:`u(s,a) = \psi(s,a)^\top v = \delta z(s,a) - \sum_b \pi(b|s)\,\delta z(s,b)`,
    :math:`\delta z` the logits of ``v`` (the logits are linear in :math:`\theta`),
    :math:`Fv = \sum_{s,a} w(s)\,\pi(a|s)\,u(s,a)\,\psi(s,a)`: O(S A) work for the
    tabular softmax.
    """
    _check_policy(mdp, policy)
    theta = policy.check_theta(theta)
    v = policy.check_theta(v)
    pi = policy.probs(theta)
    w = _weights(mdp, pi, weights)
    dz = policy.logits(v)                                                 # (S, A): J v, logits linear in theta
    # u(s, a) = dz(s, a) - sum_b pi(b|s) dz(s, b)
    u = dz - (pi * dz).sum(axis=1, keepdims=True)
    # F v = sum_{s,a} [w(s) pi(a|s) u(s, a)] psi(s, a)
    return policy.score_sum(theta, w[:, None] * pi * u)


# ----------------------------------------------------------------------------- divergences

def _two_tables(mdp, pi, pi_new):
    pi = exact.check_policy_table(mdp, pi)
    pi_new = exact.check_policy_table(mdp, pi_new)
    return pi, pi_new


def kl_per_state(mdp, pi, pi_new):
    r""":math:`\mathrm{KL}(\pi(\cdot|s)\,\|\,\pi'(\cdot|s)) = \sum_a \pi(a|s)\log\frac{\pi(a|s)}{\pi'(a|s)}`, shape (S,).

    Zero at terminal states; ``inf`` where :math:`\pi'(a|s) = 0 < \pi(a|s)`.
    """
    pi, pi_new = _two_tables(mdp, pi, pi_new)
    pos = pi > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        # terms with pi(a|s) = 0 contribute 0 (x log x -> 0)
        terms = np.where(pos, pi * (np.log(np.where(pos, pi, 1.0)) - np.log(pi_new)), 0.0)
    return terms.sum(axis=1) * mdp.live


def max_kl(mdp, pi, pi_new):
    r""":math:`\max_s \mathrm{KL}(\pi(\cdot|s)\,\|\,\pi'(\cdot|s))` over non-terminal states."""
    return float(kl_per_state(mdp, pi, pi_new)[mdp.live].max())


def mean_kl(mdp, pi, pi_new, weights=None):
    r""":math:`\sum_s w(s)\,\mathrm{KL}(\pi(\cdot|s)\,\|\,\pi'(\cdot|s))`, :math:`w = d^\pi` by default (TRPO's constraint)."""
    pi, pi_new = _two_tables(mdp, pi, pi_new)
    w = _weights(mdp, pi, weights)
    kl = kl_per_state(mdp, pi, pi_new)
    return float(np.sum(np.where(w > 0, w * kl, 0.0)))


def max_tv(mdp, pi, pi_new):
    r""":math:`\alpha = \max_s \frac12\sum_a |\pi(a|s) - \pi'(a|s)|` over non-terminal states."""
    pi, pi_new = _two_tables(mdp, pi, pi_new)
    return float(0.5 * np.abs(pi - pi_new).sum(axis=1)[mdp.live].max())


# ----------------------------------------------------------------------------- surrogate and bound

def surrogate(mdp, pi, pi_new):
    r""":math:`L_\pi(\pi') = J(\pi) + \sum_s \rho^\pi(s) \sum_a \pi'(a|s) A^\pi(s,a)` (a float)."""
    pi, pi_new = _two_tables(mdp, pi, pi_new)
    rho = exact.occupancy(mdp, pi)
    A = exact.advantages(mdp, pi)
    J = float(mdp.p0 @ exact.state_values(mdp, pi))
    return J + float(np.sum(rho[:, None] * pi_new * A))


def _occupancy_horizon(mdp, pi, horizon):
    """rho_T(s) = sum_{t < T} gamma^t Pr(s_t = s, episode running)."""
    M = exact.transition_matrix(mdp, pi)
    d = mdp.p0 * mdp.live
    rho = np.zeros(mdp.n_states)
    for t in range(horizon):
        rho += mdp.gamma ** t * d
        d = d @ M                           # d_{t+1} = d_t P^pi
    return rho


def surrogate_gradient(mdp, policy, theta_old, theta, horizon=None):
    r""":math:`\nabla_\theta L_{\pi_{\text{old}}}(\pi_\theta) = \sum_s \rho^{\pi_{\text{old}}}(s)\sum_a \nabla_\theta\pi_\theta(a|s)\,A^{\pi_{\text{old}}}(s,a)`.

    Shape of ``theta``.  With ``horizon=T`` the occupancy is cut at T steps,
    :math:`\rho_T = \sum_{t<T}\gamma^t d_t`, and the advantage is still the
    infinite-horizon :math:`A^{\pi_{\text{old}}}` (the mean of the per-step
    ratio estimator :math:`\sum_{t<T}\gamma^t w_t \nabla\log\pi_\theta(a_t|s_t) A^{\pi_{\text{old}}}(s_t,a_t)`).
    """
    _check_policy(mdp, policy)
    pi_old = policy.probs(policy.check_theta(theta_old))
    theta = policy.check_theta(theta)
    if horizon is None:
        rho = exact.occupancy(mdp, pi_old)
    else:
        rho = _occupancy_horizon(mdp, pi_old, _check_int("horizon", horizon, 1, "a positive integer"))
    A = exact.advantages(mdp, pi_old)
    return policy.probs_vjp(theta, rho[:, None] * A)


def penalty_coefficient(mdp, pi):
    r""":math:`C = 4\epsilon\gamma/(1-\gamma)^2` with :math:`\epsilon = \max_{s,a}|A^\pi(s,a)|` over non-terminal states.

    Raises ``ValueError`` for :math:`\gamma = 1` (the bound needs :math:`\gamma < 1`).
    """
    pi = exact.check_policy_table(mdp, pi)
    if mdp.gamma >= 1.0:
        raise ValueError("the improvement bound needs gamma < 1 (its constant 4 eps gamma / (1 - gamma)^2 is infinite)")
    # C = 4 eps gamma / (1 - gamma)^2
    return 4.0 * _max_abs_advantage(mdp, pi) * mdp.gamma / (1.0 - mdp.gamma) ** 2


def _max_abs_advantage(mdp, pi):
    """eps = max_{s, a} |A^pi(s, a)| over non-terminal states."""
    return float(np.abs(exact.advantages(mdp, pi)[mdp.live]).max())


@dataclass(frozen=True)
class ImprovementBound:
    r"""The terms of :math:`J(\pi') \ge L_\pi(\pi') - C\alpha^2 \ge L_\pi(\pi') - C\max_s\mathrm{KL}`.

    ``J_old`` :math:`J(\pi)`, ``J_new`` :math:`J(\pi')`, ``surrogate`` :math:`L_\pi(\pi')`,
    ``epsilon`` :math:`\max|A^\pi|`, ``C`` the penalty coefficient, ``alpha`` the max
    total variation, ``max_kl`` the max KL; ``bound_tv`` = L - C alpha^2,
    ``bound_kl`` = L - C max KL.
    """

    J_old: float
    J_new: float
    surrogate: float
    epsilon: float
    C: float
    alpha: float
    max_kl: float

    @property
    def bound_tv(self):
        return self.surrogate - self.C * self.alpha ** 2

    @property
    def bound_kl(self):
        return self.surrogate - self.C * self.max_kl


def improvement_bound(mdp, pi, pi_new):
    """All terms of the TRPO improvement bound (Schulman et al. 2015, Theorem 1) for ``pi -> pi_new``."""
    pi, pi_new = _two_tables(mdp, pi, pi_new)
    C = penalty_coefficient(mdp, pi)
    return ImprovementBound(
        J_old=float(mdp.p0 @ exact.state_values(mdp, pi)),
        J_new=float(mdp.p0 @ exact.state_values(mdp, pi_new)),
        surrogate=surrogate(mdp, pi, pi_new), epsilon=_max_abs_advantage(mdp, pi), C=C,
        alpha=max_tv(mdp, pi, pi_new), max_kl=max_kl(mdp, pi, pi_new))


# ----------------------------------------------------------------------------- off-policy gradient

def importance_weighted_gradient(batch, policy, theta, pi_behaviour, gamma, per_decision=True):
    r"""Importance-sampled REINFORCE from episodes of a behaviour policy; a :class:`~pglib.estimators.GradientEstimate`.

    Per-episode terms :math:`\sum_t \gamma^t \nabla\log\pi_\theta(a_t|s_t)\,\tilde G_t`
    with :math:`\tilde G_t = \sum_{t'\ge t}\gamma^{t'-t} W_{t'} r_{t'}`,
    :math:`W_t = \prod_{k\le t}\pi_\theta(a_k|s_k)/\beta(a_k|s_k)` (``per_decision=True``),
    or :math:`W_{L-1}\sum_t\gamma^t\nabla\log\pi_\theta(a_t|s_t)\,G_t` with the
    whole episode's weight (``per_decision=False``).  Both have mean
    :math:`\nabla J_T(\theta)` for a batch of episodes of :math:`\beta` cut at
    T = ``batch.horizon`` (:func:`pglib.exact.policy_gradient` with ``horizon=T``).

    Raises ``ValueError`` if :math:`\beta(a|s) = 0 < \pi_\theta(a|s)` for some pair
    (the support condition: such actions are never sampled, so no weight can make up for them).
    """
    theta = policy.check_theta(theta)
    gamma = _check_unit("gamma", gamma)
    pi = policy.probs(theta)
    beta = np.asarray(pi_behaviour, dtype=float)
    if beta.shape != pi.shape:
        raise ValueError(f"pi_behaviour must have shape (S, A) = {pi.shape}, got {beta.shape}")
    if not np.all(np.isfinite(beta)) or np.any(beta < 0):
        raise ValueError("pi_behaviour must be a finite, non-negative table")
    uncovered = (beta == 0) & (pi > 0)
    if uncovered.any():
        s, a = (int(i) for i in np.argwhere(uncovered)[0])
        raise ValueError(f"pi_behaviour must cover the target policy: beta({a}|{s}) = 0 < pi({a}|{s}); "
                         "importance sampling cannot estimate what is never sampled")
    s, a, m = batch.states, batch.actions, batch.mask
    # w_t = pi(a_t|s_t) / beta(a_t|s_t) on running steps, 1 on padding
    w = np.where(m, pi[s, a] / np.where(m, beta[s, a], 1.0), 1.0)
    W = np.cumprod(w, axis=1)                                 # W_t = prod_{k <= t} w_k
    discount = gamma ** np.arange(batch.horizon)
    if per_decision:
        # G~_t = sum_{t' >= t} gamma^(t'-t) W_t' r_t'
        G = discounted_returns(batch.rewards * W, m, gamma)
        weights = discount * G
    else:
        G = discounted_returns(batch.rewards, m, gamma)
        weights = W[:, -1:] * discount * G                    # W_{L-1}: padding multiplies by 1
    return GradientEstimate(score_terms(batch, policy, theta, weights))
