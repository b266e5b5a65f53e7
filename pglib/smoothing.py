r"""Gaussian smoothing: the objective evolution strategies ascend, computed exactly on LQR.

Evolution strategies (Salimans, Ho, Chen, Sidor & Sutskever 2017) and random
search (Mania, Guy & Recht 2018) never differentiate the objective. They
perturb the parameters, :math:`\theta + \nu\xi` with :math:`\xi \sim \mathcal N(0, I_d)`, and
what they estimate without bias is the gradient of the **smoothed** objective

.. math::

    f^\nu(\theta) = \mathbb E_\xi\, f(\theta + \nu\xi), \qquad
    \nabla f^\nu(\theta) = \frac1\nu\,\mathbb E\big[f(\theta + \nu\xi)\,\xi\big]
        = \frac1{2\nu}\,\mathbb E\big[\big(f(\theta + \nu\xi) - f(\theta - \nu\xi)\big)\,\xi\big].

The first form is Stein's identity: :math:`f^\nu(\theta) = \int f(x)\,\varphi_\nu(x - \theta)\,dx`
with :math:`\varphi_\nu` the density of :math:`\mathcal N(0, \nu^2 I)`, and
:math:`\nabla_\theta\varphi_\nu(x - \theta) = \varphi_\nu(x - \theta)\,(x - \theta)/\nu^2`; the
second follows by :math:`\xi \to -\xi`. For a quadratic
:math:`f(\theta) = c + g^\top\theta + \tfrac12\theta^\top H\theta`, :math:`f^\nu = f + \tfrac{\nu^2}{2}\operatorname{tr}H`
and :math:`\nabla f^\nu = \nabla f`.

**Quadrature.** :func:`gauss_hermite` is the tensor Gauss--Hermite rule for
:math:`\mathcal N(0, I_d)` with :math:`n` nodes per coordinate. It integrates exactly every
polynomial of degree at most :math:`2n - 1` in each coordinate (the rule of
:func:`numpy.polynomial.hermite_e.hermegauss`, weights divided by :math:`\sqrt{2\pi}`).

**Exact on LQR with a finite horizon** (no process noise, deterministic gains
:math:`u = -Kx`). The cost of :math:`T` steps is :math:`C_T(K) = \operatorname{tr}(P_T(K)\Sigma_0)` with

.. math::

    P_0 = 0, \qquad P_h(K) = Q + K^\top R K + \gamma\,(A - BK)^\top P_{h-1}(K)\,(A - BK),

so the entries of :math:`P_T(K)` are polynomials of degree :math:`2T` in the entries of
:math:`K`. Hence :math:`C^\nu_T(K) = \mathbb E\,C_T(K + \nu\xi)` and the integrand
:math:`C_T(K + \nu\xi)\,\xi` of Stein's identity (degree :math:`2T + 1`) are integrated
*exactly*, up to round-off, by :math:`T + 1` nodes per entry of :math:`K`: no closed form, a
finite sum. (The infinite-horizon :math:`C^\nu(K)` is infinite for every :math:`\nu > 0`: the
Gaussian puts positive mass on gains that do not stabilise, where :math:`C = \infty`.)

**Sampled estimators.** One episode of :math:`u = -K'x` from :math:`x_0 \sim \mathcal N(0, \Sigma_0)`
costs :math:`F(K'; x_0) = \sum_{t<T}\gamma^t (x_t^\top Q x_t + u_t^\top R u_t) = x_0^\top P_T(K')\,x_0`.
Three one-sample estimators of :math:`\nabla C^\nu_T(K)`, the gain perturbed for a whole episode:

* ``"plain"``: :math:`F(K + \nu\xi; x_0)\,\xi/\nu` (one episode);
* ``"antithetic"``: :math:`\big(F(K + \nu\xi; x_0) - F(K - \nu\xi; x_0)\big)\,\xi/(2\nu)`, the two
  episodes of the pair from the same start (common random numbers);
* ``"independent"``: the same pair with independent starts :math:`x_0, x_0'`.

Their variances follow from the moments of a Gaussian quadratic form: for a
symmetric :math:`M`, :math:`\mathbb E[x_0^\top M x_0] = \operatorname{tr}(M\Sigma_0)` and
:math:`\mathbb E[(x_0^\top M x_0)^2] = 2\operatorname{tr}\big((M\Sigma_0)^2\big) + \operatorname{tr}(M\Sigma_0)^2`,
then integrated over :math:`\xi` by the same rule (degree :math:`4T + 2`: :math:`2T + 2` nodes).

Shapes: gains ``K`` (m, n) as in :mod:`pglib.lqr`; batches of gains (N, m, n);
perturbations ``xi`` of a gain (N, m, n); start states (N, n).

References: Salimans, Ho, Chen, Sidor & Sutskever (2017), *Evolution strategies
as a scalable alternative to reinforcement learning*; Mania, Guy & Recht (2018),
*Simple random search of static linear policies is competitive for
reinforcement learning*; Nesterov & Spokoiny (2017), *Random gradient-free
minimization of convex functions*; Stein (1981), *Estimation of the mean of a
multivariate normal distribution*; Golub & Welsch (1969), *Calculation of Gauss
quadrature rules*.
"""
from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from .mdp import _as_float_array, _check_int

__all__ = ["gauss_hermite", "smooth", "stein_gradient", "value_matrices", "costs",
           "smoothed_cost", "smoothed_gradient", "episode_costs", "Perturbed", "perturbed_costs",
           "es_samples", "es_variance", "es_variances", "start_states", "KINDS"]

MAX_NODES = 1_000_000          # a tensor rule beyond this many nodes is refused (memory)
KINDS = ("plain", "antithetic", "independent")


# ---------------------------------------------------------------------------------------------
# Quadrature and Stein's identity for any function
# ---------------------------------------------------------------------------------------------

def gauss_hermite(dim, n):
    r"""The tensor Gauss--Hermite rule for :math:`\xi \sim \mathcal N(0, I_{\text{dim}})`, ``n`` nodes per coordinate.

    Returns ``(nodes, weights)`` of shapes (n**dim, dim) and (n**dim,):
    :math:`\mathbb E\,p(\xi) = \sum_i w_i\, p(\xi_i)` for every polynomial :math:`p` of degree
    :math:`\le 2n - 1` in each coordinate. The node set is symmetric: node
    ``n**dim - 1 - i`` is minus node ``i`` (to the last bit), with the same weight.

    >>> x, w = gauss_hermite(1, 3)          # nodes -sqrt(3), 0, sqrt(3); weights 1/6, 2/3, 1/6
    >>> np.round(x[:, 0] ** 2, 12).tolist(), np.round(w * 6, 12).tolist()
    ([3.0, 0.0, 3.0], [1.0, 4.0, 1.0])
    """
    dim = _check_int("dim", dim, 1, "a positive integer")
    n = _check_int("n", n, 1, "a positive integer")
    if n ** dim > MAX_NODES:
        raise ValueError(f"a tensor rule of n**dim = {n}**{dim} nodes is too large (limit {MAX_NODES})")
    x, w = np.polynomial.hermite_e.hermegauss(n)
    # the rule is symmetric, x_i = -x_(n-1-i) and w_i = w_(n-1-i): make it so to the last bit
    x, w = 0.5 * (x - x[::-1]), 0.5 * (w + w[::-1])
    # weights of N(0, 1): hermegauss integrates against exp(-x^2 / 2), of mass sqrt(2 pi)
    w = w / w.sum()
    grids = np.meshgrid(*([x] * dim), indexing="ij")
    wgrids = np.meshgrid(*([w] * dim), indexing="ij")
    nodes = np.stack([g.ravel() for g in grids], axis=1)
    weights = np.prod(np.stack([g.ravel() for g in wgrids], axis=1), axis=1)
    return nodes, weights


def _check_nu(nu):
    try:
        v = float(nu)
    except (TypeError, ValueError):
        raise ValueError(f"nu must be a positive number, got {nu!r}") from None
    if not (np.isfinite(v) and v > 0):
        raise ValueError(f"nu must be a positive number, got {nu!r}")
    return v


def _values(f, points):
    vals = np.asarray(f(points), dtype=float)
    if vals.shape != (len(points),):
        raise ValueError(f"f must map points of shape (N, d) to values of shape (N,), got {vals.shape} "
                         f"for points of shape {points.shape}")
    return vals


def smooth(f, theta, nu, n_nodes):
    r""":math:`f^\nu(\theta) = \mathbb E\,f(\theta + \nu\xi)` by the rule of ``n_nodes`` per coordinate.

    ``f`` maps a batch of points (N, d) to values (N,); ``theta`` has shape (d,).
    Exact when :math:`f` is a polynomial of degree :math:`\le 2\,` ``n_nodes`` :math:`- 1` in each coordinate.
    """
    theta = _as_float_array("theta", theta, ndim=1)
    nu = _check_nu(nu)
    xi, w = gauss_hermite(theta.size, n_nodes)
    # E f(theta + nu xi) = sum_i w_i f(theta + nu xi_i)
    return float(w @ _values(f, theta + nu * xi))


def stein_gradient(f, theta, nu, n_nodes):
    r""":math:`\nabla f^\nu(\theta) = \mathbb E[f(\theta + \nu\xi)\,\xi]/\nu` by quadrature, shape (d,).

    Exact when :math:`f` is a polynomial of degree :math:`\le 2\,` ``n_nodes`` :math:`- 2` in each coordinate.
    """
    theta = _as_float_array("theta", theta, ndim=1)
    nu = _check_nu(nu)
    xi, w = gauss_hermite(theta.size, n_nodes)
    # grad f^nu = E[f(theta + nu xi) xi] / nu
    return (w * _values(f, theta + nu * xi)) @ xi / nu


# ---------------------------------------------------------------------------------------------
# LQR: batched finite-horizon costs
# ---------------------------------------------------------------------------------------------

def _check_system(system):
    if system.has_noise:
        raise ValueError("process noise W != 0 is not supported here: the episode cost must be "
                         "x_0' P_T(K) x_0 (deterministic given the start)")
    return system


def _check_gains(system, gains):
    G = _as_float_array("gains", gains)
    if G.ndim != 3 or G.shape[1:] != (system.m, system.n):
        raise ValueError(f"gains must have shape (N, m, n) = (N, {system.m}, {system.n}), got {G.shape}")
    return G


def value_matrices(system, gains, T):
    r""":math:`P_T(K_i)` for a batch of gains (N, m, n): shape (N, n, n).

    The recursion :math:`P_h = Q + K^\top R K + \gamma (A - BK)^\top P_{h-1} (A - BK)`, :math:`P_0 = 0`,
    for all gains at once; any gain, stable or not.
    """
    _check_system(system)
    G = _check_gains(system, gains)
    T = _check_int("T", T, 1, "a positive integer")
    # L_i = A - B K_i, Q_i = Q + K_i' R K_i
    L = system.A - system.B @ G
    QK = system.Q + np.swapaxes(G, 1, 2) @ system.R @ G
    P = np.zeros_like(QK)
    for _ in range(T):
        # P_h = Q_i + gamma L_i' P_(h-1) L_i
        P = QK + system.gamma * np.swapaxes(L, 1, 2) @ P @ L
    return P


def costs(system, gains, T):
    r""":math:`C_T(K_i) = \operatorname{tr}(P_T(K_i)\Sigma_0)` for a batch of gains (N, m, n): shape (N,)."""
    P = value_matrices(system, gains, T)
    return np.einsum("nij,ji->n", P, system.Sigma0)


def _nodes_for(system, K, nu, T, n_nodes, minimum):
    K = system.check_gain(K)
    nu = _check_nu(nu)
    T = _check_int("T", T, 1, "a positive integer")
    n = minimum(T) if n_nodes is None else _check_int("n_nodes", n_nodes, 1, "a positive integer")
    xi, w = gauss_hermite(K.size, n)
    return K, nu, T, xi.reshape(-1, *K.shape), w


def smoothed_cost(system, K, nu, T, n_nodes=None):
    r""":math:`C^\nu_T(K) = \mathbb E\,C_T(K + \nu\xi)`, :math:`\xi` of the shape of ``K`` with i.i.d. N(0, 1) entries.

    Exact (up to round-off) with the default ``n_nodes = T + 1`` per entry of ``K``.
    """
    _check_system(system)
    K, nu, T, xi, w = _nodes_for(system, K, nu, T, n_nodes, lambda T: T + 1)
    # sum_i w_i C_T(K + nu xi_i)
    return float(w @ costs(system, K + nu * xi, T))


def smoothed_gradient(system, K, nu, T, n_nodes=None):
    r""":math:`\nabla C^\nu_T(K) = \mathbb E[C_T(K + \nu\xi)\,\xi]/\nu` (Stein's identity), shape (m, n).

    Exact (up to round-off) with the default ``n_nodes = T + 1`` per entry of ``K``.
    """
    _check_system(system)
    K, nu, T, xi, w = _nodes_for(system, K, nu, T, n_nodes, lambda T: T + 1)
    # sum_i w_i C_T(K + nu xi_i) xi_i / nu
    return np.einsum("i,i,ijk->jk", w, costs(system, K + nu * xi, T), xi) / nu


# ---------------------------------------------------------------------------------------------
# LQR: simulated episodes and the ES estimators
# ---------------------------------------------------------------------------------------------

def _check_rng(rng):
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator (use np.random.default_rng(seed))")
    return rng


def start_states(system, N, rng):
    r"""``N`` draws of :math:`x_0 \sim \mathcal N(0, \Sigma_0)`: shape (N, n) (a symmetric square root of :math:`\Sigma_0`)."""
    N = _check_int("N", N, 1, "a positive integer")
    lam, V = np.linalg.eigh(system.Sigma0)
    # x_0 = F z with F F' = Sigma0, F = V diag(sqrt(lam)) V'
    F = (V * np.sqrt(np.clip(lam, 0.0, None))) @ V.T
    return _check_rng(rng).standard_normal((N, system.n)) @ F.T


def episode_costs(system, gains, x0, T):
    r"""Simulated :math:`\sum_{t<T}\gamma^t (x_t^\top Q x_t + u_t^\top R u_t)`, episode ``i`` with gain ``gains[i]`` from ``x0[i]``.

    ``gains`` (N, m, n), ``x0`` (N, n); returns (N,). The policy is :math:`u_t = -K_i x_t`, the
    dynamics :math:`x_{t+1} = A x_t + B u_t` (no noise: the cost is :math:`x_0^\top P_T(K_i)\, x_0`).
    """
    _check_system(system)
    G = _check_gains(system, gains)
    x = _as_float_array("x0", x0)
    if x.shape != (len(G), system.n):
        raise ValueError(f"x0 must have shape (N, n) = ({len(G)}, {system.n}), got {x.shape}")
    T = _check_int("T", T, 1, "a positive integer")
    # the closed loop x_(t+1) = (A - B K_i) x_t, and the cost x'Qx + u'Ru = x'(Q + K_i' R K_i) x of u = -K_i x
    L = system.A - system.B @ G
    QK = system.Q + np.swapaxes(G, 1, 2) @ system.R @ G
    total = np.zeros(len(G))
    for t in range(T):
        # + gamma^t x_t' (Q + K'RK) x_t
        total += system.gamma ** t * np.einsum("ni,nij,nj->n", x, QK, x)
        x = np.einsum("nij,nj->ni", L, x)
    return total


class Perturbed(NamedTuple):
    """Perturbations ``xi`` (N, m, n) and the simulated episode costs at ``K + nu xi`` and ``K - nu xi`` (N,) each.

    ``minus`` is None for the ``"plain"`` kind (one episode per perturbation).
    """

    xi: np.ndarray
    plus: np.ndarray
    minus: Optional[np.ndarray]


def _check_kind(kind):
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return kind


def perturbed_costs(system, K, nu, T, N, rng, kind="antithetic"):
    r"""``N`` perturbations :math:`\xi_i` of the gain and one simulated episode at :math:`K \pm \nu\xi_i` each.

    ``kind``: ``"plain"`` (only :math:`K + \nu\xi_i`; ``N`` episodes), ``"antithetic"``
    (both, from a common start :math:`x_0`; ``2N`` episodes) or ``"independent"`` (both,
    from independent starts). Every episode has ``T`` steps. Returns a :class:`Perturbed`.
    """
    _check_system(system)
    K = system.check_gain(K)
    nu = _check_nu(nu)
    N = _check_int("N", N, 1, "a positive integer")
    kind = _check_kind(kind)
    rng = _check_rng(rng)
    xi = rng.standard_normal((N,) + K.shape)
    x_plus = start_states(system, N, rng)
    plus = episode_costs(system, K + nu * xi, x_plus, T)
    if kind == "plain":
        return Perturbed(xi, plus, None)
    x_minus = x_plus if kind == "antithetic" else start_states(system, N, rng)
    return Perturbed(xi, plus, episode_costs(system, K - nu * xi, x_minus, T))


def es_samples(system, K, nu, T, N, rng, kind="antithetic"):
    r"""``N`` one-sample ES estimates of :math:`\nabla C^\nu_T(K)`, shape (N, m, n).

    ``"plain"``: :math:`F_i^+ \xi_i/\nu`; ``"antithetic"``, ``"independent"``:
    :math:`(F_i^+ - F_i^-)\,\xi_i/(2\nu)` (see :func:`perturbed_costs`). Each is unbiased for
    :func:`smoothed_gradient`.
    """
    nu = _check_nu(nu)
    p = perturbed_costs(system, K, nu, T, N, rng, kind)
    if p.minus is None:
        # F(K + nu xi) xi / nu
        return p.plus[:, None, None] * p.xi / nu
    # (F(K + nu xi) - F(K - nu xi)) xi / (2 nu)
    return (p.plus - p.minus)[:, None, None] * p.xi / (2 * nu)


def _moments(system, P):
    """E[x0'Mx0] = tr(M S0) and E[(x0'Mx0)^2] = 2 tr((M S0)^2) + tr(M S0)^2 for symmetric M (N, n, n)."""
    MS = P @ system.Sigma0
    m1 = np.trace(MS, axis1=1, axis2=2)
    m2 = 2.0 * np.einsum("nij,nji->n", MS, MS) + m1 ** 2
    return m1, m2


def es_variances(system, K, nu, T, n_nodes=None):
    r"""Exact variance of one sample of :func:`es_samples`, per entry of the gain, for the three kinds.

    Returns a dict ``kind -> (m, n) array``. With :math:`g = Y\xi/\nu`,
    :math:`\operatorname{Var} g_j = \mathbb E[Y^2 \xi_j^2]/\nu^2 - (\nabla C^\nu_T)_j^2`, where

    * plain: :math:`\mathbb E[Y^2 \mid \xi] = \mathbb E[F(K + \nu\xi)^2]`,
    * antithetic: :math:`\mathbb E[Y^2 \mid \xi] = \tfrac14\,\mathbb E[(x_0^\top (P_T^+ - P_T^-)\, x_0)^2]`,
    * independent: :math:`\tfrac14\big(\mathbb E[F^{+2}] + \mathbb E[F^{-2}] - 2\,\mathbb E[F^+]\,\mathbb E[F^-]\big)`,

    with :math:`P_T^\pm = P_T(K \pm \nu\xi)`, the Gaussian moments of the module docstring, and
    the :math:`\xi`-integral by the rule with ``n_nodes`` per entry (default :math:`2T + 2`: exact).
    """
    _check_system(system)
    K, nu, T, xi, w = _nodes_for(system, K, nu, T, n_nodes, lambda T: 2 * T + 2)
    P_plus = value_matrices(system, K + nu * xi, T)
    # the node set is symmetric: node N - 1 - i is -xi_i, so P_T(K - nu xi_i) is P_plus[N - 1 - i]
    P_minus = P_plus[::-1]
    m1p, m2p = _moments(system, P_plus)
    m1m, m2m = m1p[::-1], m2p[::-1]
    second = {"plain": m2p,
              "antithetic": _moments(system, P_plus - P_minus)[1] / 4.0,
              "independent": (m2p + m2m - 2.0 * m1p * m1m) / 4.0}
    # the mean, grad C^nu_T = E[C_T(K + nu xi) xi] / nu, from the same nodes
    mean = np.einsum("i,i,ijk->jk", w, m1p, xi) / nu
    # Var g_j = E[E[Y^2 | xi] xi_j^2] / nu^2 - mean_j^2
    return {kind: np.einsum("i,i,ijk->jk", w, second[kind], xi ** 2) / nu ** 2 - mean ** 2 for kind in KINDS}


def es_variance(system, K, nu, T, kind="antithetic", n_nodes=None):
    """Exact variance of one sample of :func:`es_samples` of one ``kind``, shape (m, n) (see :func:`es_variances`)."""
    kind = _check_kind(kind)
    return es_variances(system, K, nu, T, n_nodes)[kind]
