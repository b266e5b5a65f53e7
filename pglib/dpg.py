r"""The deterministic policy gradient on the linear-quadratic regulator, exact and sampled.

**The theorem** (Silver et al. 2014, Theorem 1).  For a deterministic policy
:math:`a = m_\theta(s)` with action value :math:`q^m` and discounted state
measure :math:`\rho^m(s) = \sum_t \gamma^t \Pr(s_t = s)`,

.. math::

    \nabla_\theta J = \int \rho^m(s)\, \nabla_\theta m_\theta(s)\,
        \nabla_a q^m(s, a)\big|_{a = m_\theta(s)}\, ds ,

where :math:`\nabla_\theta m_\theta(s)` is the (parameters, actions) Jacobian.
The integral runs over states only: there is no action distribution to
sample, hence no importance ratio when the states come from another policy.

**On LQR** (:mod:`pglib.lqr`; costs, :math:`C = -J`, so the same formula with
the cost-to-go :math:`Q^K` gives :math:`\nabla C`).  For the linear policy
:math:`m_K(x) = -Kx`, :math:`\partial m_i / \partial K_{ij} = -x_j`, hence

.. math::

    \nabla_K C(K) = \int \rho^K(x)\, g_K(x)\, dx, \qquad
    g_K(x) = -\nabla_u Q^K(x, u)\big|_{u = -Kx}\; x^\top
           = 2 E_K\, x x^\top ,

with :math:`\nabla_u Q^K(x, u) = 2(Q_{xu}^\top x + Q_{uu} u)` from
:meth:`pglib.lqr.LQR.q_function` and :math:`E_K = Q_{uu} K - Q_{xu}^\top`.
The integrand is a quadratic form in :math:`x`, so its integral against any
state measure depends on that measure only through its second moment
:math:`S = \int \rho(x)\, x x^\top dx` (for the policy's own :math:`\rho^K`,
:math:`S = \Sigma_K` of :meth:`pglib.lqr.LQR.state_covariance`).  With
:math:`S = \sum_i e_i v_i v_i^\top` (eigen-decomposition), the :math:`n` points
:math:`x_i = \sqrt{e_i}\, v_i` carry the same second moment, so

.. math::

    \int \rho(x)\, g_K(x)\, dx = \sum_{i=1}^n g_K(x_i)

exactly: :func:`expected_gradient`.  Sampled, the states come from episodes of
a (behaviour) policy :math:`u = -K_\beta x + \sigma\varepsilon` and each episode
contributes :math:`\sum_{t<T} \gamma^t g_K(x_t)`: :func:`episode_gradients`.
With :math:`K_\beta = K`, :math:`\sigma = 0` its mean is :math:`\nabla C(K)` up to
the tail :math:`t \ge T`; otherwise it is the off-policy DPG
:math:`\int \rho^\beta(x)\, g_K(x)\, dx` of Silver et al. (section 4.2), which drops a
term of the gradient of their off-policy objective
:math:`\int \rho^\beta(x)\, V^K(x)\, dx` (Degris, White & Sutton 2012).

Shapes
------
=============  ===============  ===============================================
name           shape            meaning
=============  ===============  ===============================================
``K``          (m, n)           gain of the target policy :math:`u = -Kx`
``states``     (..., n)         states :math:`x`, any leading axes
``weights``    (...)            a weight per state (default 1)
``S``          (n, n)           second moment of a state measure
``x``          (N, T, n)        states of N episodes of T steps (episode, time)
result         (m, n)           a gradient with respect to ``K``; batches (N, m, n)
=============  ===============  ===============================================

References: Silver, Lever, Heess, Degris, Wierstra & Riedmiller (2014),
*Deterministic policy gradient algorithms*, ICML; Degris, White & Sutton
(2012), *Off-policy actor-critic*, ICML; Fazel, Ge, Kakade & Mesbahi (2018)
(the LQR gradient :math:`2 E_K \Sigma_K` the theorem reproduces).
"""
from __future__ import annotations

import numpy as np

from .lqr import LQR
from .mdp import _as_float_array

__all__ = ["gradient", "expected_gradient", "second_moment_points", "rollout_states", "episode_gradients"]


def _check_system(system):
    if not isinstance(system, LQR):
        raise ValueError(f"system must be a pglib.lqr.LQR, got {type(system).__name__}")


def _dpg_sums(system, K, x, w):
    r"""Per batch :math:`\sum_t w_{bt}\, (-\nabla_u Q^K(x_{bt}, -Kx_{bt}))\, x_{bt}^\top`: x (B, T, n), w (B, T) -> (B, m, n)."""
    # grad_u Q^K(x, u) at u = m_K(x) = -K x, for every state
    grad_u = system.q_function(K).grad_u(x, -x @ K.T)
    # sum_t w_t (dm/dK)^T grad_u Q = sum_t w_t (-grad_u Q_t) x_t^T, since dm_i/dK_ij = -x_j
    return -np.einsum("bt,bti,btj->bij", w, grad_u, x)


def gradient(system, K, states, weights=None):
    r"""The DPG sum :math:`\sum_b w_b\, \big(-\nabla_u Q^K(x_b, -Kx_b)\big)\, x_b^\top`, shape (m, n).

    ``states`` (..., n), ``weights`` (...) (default: all 1).  The exact action
    value :math:`Q^K` of the deterministic policy :math:`u = -Kx` is used
    (:meth:`pglib.lqr.LQR.q_function`).  Inputs are not modified.
    """
    _check_system(system)
    K = system.check_gain(K)
    x = _as_float_array("states", states)
    if x.ndim == 0 or x.shape[-1] != system.n:
        raise ValueError(f"states must have last axis n = {system.n}, got shape {x.shape}")
    w = np.ones(x.shape[:-1]) if weights is None else _as_float_array("weights", weights)
    if w.shape != x.shape[:-1]:
        raise ValueError(f"weights must have shape {x.shape[:-1]} (states without their last axis), got {w.shape}")
    # one batch holding all the states
    return _dpg_sums(system, K, x.reshape(1, -1, system.n), w.reshape(1, -1))[0]


def second_moment_points(S):
    r"""Points :math:`x_i = \sqrt{e_i}\, v_i` (rows, shape (n, n)) with :math:`\sum_i x_i x_i^\top = S`.

    ``S`` symmetric positive semidefinite (n, n), eigen-decomposed as
    :math:`S = \sum_i e_i v_i v_i^\top`; ``ValueError`` if it is not symmetric or has an
    eigenvalue below :math:`-10^{-10} \max|e|`.
    """
    S = _as_float_array("S", S, ndim=2)
    if S.shape[0] != S.shape[1]:
        raise ValueError(f"S must be square, got shape {S.shape}")
    if np.abs(S - S.T).max() > 1e-9 * max(np.abs(S).max(), 1e-300):
        raise ValueError("S must be symmetric (a second moment matrix)")
    e, V = np.linalg.eigh(0.5 * (S + S.T))
    if e.min() < -1e-10 * max(np.abs(e).max(), 1e-300):
        raise ValueError(f"S must be positive semidefinite: its smallest eigenvalue is {e.min():.6g}")
    # x_i = sqrt(e_i) v_i, so sum_i x_i x_i^T = V diag(e) V^T = S
    return (V * np.sqrt(np.clip(e, 0.0, None))).T


def expected_gradient(system, K, S):
    r""":math:`\int \rho(x)\, g_K(x)\, dx` for a state measure of second moment ``S`` (n, n): shape (m, n).

    Exact, since :math:`g_K(x)` is a quadratic form in :math:`x`: the DPG sum
    (:func:`gradient`) over the :math:`n` points of :func:`second_moment_points`.
    With ``S = system.state_covariance(K)`` this is the deterministic policy
    gradient :math:`\nabla C(K)`; with the second moment of another policy's
    states, the off-policy DPG.
    """
    _check_system(system)
    S = _as_float_array("S", S, ndim=2)
    if S.shape != (system.n, system.n):
        raise ValueError(f"S must have shape (n, n) = {(system.n, system.n)}, got {S.shape}")
    return gradient(system, K, second_moment_points(S))


def rollout_states(system, K, sigma, T, n_episodes, rng):
    r"""States of ``n_episodes`` episodes of the policy :math:`u = -Kx + \sigma\varepsilon`, shape (N, T, n).

    :math:`x_0 \sim \mathcal N(0, \Sigma_0)`, :math:`x_{t+1} = A x_t + B u_t + w_t`; the same
    simulator as :meth:`pglib.lqr.LQR.sample_cost` (all randomness from ``rng``).
    """
    _check_system(system)
    xs, _, _, _ = system._simulate(K, sigma, T, n_episodes, rng)
    return xs


def episode_gradients(system, K, T, n_episodes, rng, behaviour_gain=None, behaviour_sigma=0.0):
    r"""Per-episode DPG samples :math:`\sum_{t<T} \gamma^t g_K(x_t)`, shape (n_episodes, m, n).

    The states come from the behaviour policy
    :math:`u = -K_\beta x + \sigma_\beta\varepsilon` (default :math:`K_\beta = K`,
    :math:`\sigma_\beta = 0`: on-policy, mean :math:`\nabla C(K)` up to the tail
    :math:`t \ge T`); the gradient is always that of the target :math:`u = -Kx`
    with its exact :math:`Q^K`.  The mean is :func:`expected_gradient` at
    :math:`S = \sum_{t<T}\gamma^t\,\mathbb E[x_t x_t^\top]` of the behaviour policy.
    """
    _check_system(system)
    K = system.check_gain(K)
    Kb = K if behaviour_gain is None else system.check_gain(behaviour_gain)
    xs = rollout_states(system, Kb, behaviour_sigma, T, n_episodes, rng)
    N, T_ = xs.shape[:2]
    # weights gamma^t, the same for every episode
    return _dpg_sums(system, K, xs, np.broadcast_to(system.gamma ** np.arange(T_), (N, T_)))
