r"""The linear-quadratic regulator (LQR): the exact model of continuous control.

What the tabular MDP is to Part I, LQR is to continuous states and actions:
every quantity of a linear policy is a small matrix equation.  The system

.. math::

    x_{t+1} = A x_t + B u_t + w_t, \qquad x_0 \sim \mathcal N(0, \Sigma_0), \quad
    w_t \sim \mathcal N(0, W),

with state :math:`x \in \mathbb R^n` and action :math:`u \in \mathbb R^m`, pays the
cost (to be *minimised*)

.. math::

    C = \mathbb E \sum_{t \ge 0} \gamma^t \big(x_t^\top Q x_t + u_t^\top R u_t\big),
    \qquad Q \succeq 0,\; R \succ 0,\; \gamma \in (0, 1].

Linear policy :math:`u = -Kx` (gain ``K`` of shape (m, n)), closed loop
:math:`L = A - BK`.  When :math:`\rho(\sqrt\gamma L) < 1` (stable), the cost-to-go
is :math:`V(x) = x^\top P_K x` (plus a constant with noise) and

.. math::

    P_K &= Q + K^\top R K + \gamma L^\top P_K L, \qquad
    \Sigma_K = \sum_t \gamma^t L^t \Sigma_0 (L^\top)^t = \Sigma_0 + \gamma L \Sigma_K L^\top, \\
    C(K) &= \operatorname{tr}(P_K \Sigma_0) = \operatorname{tr}\big((Q + K^\top R K)\Sigma_K\big), \\
    \nabla C(K) &= 2 E_K \Sigma_K, \qquad
    E_K = (R + \gamma B^\top P_K B) K - \gamma B^\top P_K A,

(Fazel, Ge, Kakade & Mesbahi 2018, Lemma 1, written with the discount: perturb
:math:`K`, and :math:`dP` solves the same Lyapunov equation with source
:math:`dK^\top E_K + E_K^\top dK`, so :math:`dC = \operatorname{tr}(dP\,\Sigma_0) = 2\operatorname{tr}(dK^\top E_K \Sigma_K)`).
The optimal gain solves the discrete algebraic Riccati equation

.. math::

    P = Q + \gamma A^\top P A - \gamma^2 A^\top P B (R + \gamma B^\top P B)^{-1} B^\top P A,
    \qquad K^* = \gamma (R + \gamma B^\top P B)^{-1} B^\top P A,

which is the undiscounted equation for :math:`(\sqrt\gamma A, \sqrt\gamma B)`.

Gaussian policy :math:`u = -Kx + \sigma\odot\varepsilon`, :math:`\varepsilon \sim \mathcal N(0, I_m)`,
action-noise covariance :math:`S_u = \operatorname{diag}(\sigma^2)`.  The noise enters the
state as :math:`N = W + B S_u B^\top` per step and costs :math:`\operatorname{tr}(R S_u)` per step, so with
:math:`\gamma < 1`

.. math::

    C_\sigma(K) = \operatorname{tr}(P_K \Sigma_0)
      + \frac{\gamma}{1-\gamma}\operatorname{tr}(P_K N) + \frac{\operatorname{tr}(R S_u)}{1-\gamma},
    \qquad \nabla_K C_\sigma = 2 E_K \Sigma_K^\sigma,

with :math:`\Sigma_K^\sigma = \sum_t \gamma^t \mathbb E[x_t x_t^\top]` solving
:math:`\Sigma = \Sigma_0 + \frac{\gamma}{1-\gamma} N + \gamma L \Sigma L^\top`.  With
:math:`\gamma = 1` and any noise the infinite sum diverges: those calls raise ``ValueError``.

Finite horizon :math:`T` (cost of :math:`t = 0, \dots, T-1`, no terminal cost):
backward recursion over steps to go :math:`h`,
:math:`P_0 = 0`, :math:`P_h = Q + K^\top R K + \gamma L^\top P_{h-1} L`,
:math:`c_0 = 0`, :math:`c_h = \operatorname{tr}(R S_u) + \gamma(\operatorname{tr}(P_{h-1} N) + c_{h-1})`,
:math:`C_T = \operatorname{tr}(P_T \Sigma_0) + c_T` and
:math:`\nabla_K C_T = 2\sum_{t<T} \gamma^t E^{(T-t)} S_t` with
:math:`E^{(h)} = (R + \gamma B^\top P_{h-1} B) K - \gamma B^\top P_{h-1} A` and the
forward second moments :math:`S_0 = \Sigma_0`, :math:`S_{t+1} = L S_t L^\top + N`.

Solvers, pure NumPy: the Lyapunov equation :math:`X = M + F X F^\top` by the
Kronecker (vec) linear solve :math:`(I - F \otimes F)\,\mathrm{vec}\,X = \mathrm{vec}\,M`
or by doubling; the Riccati equation by the structure-preserving doubling
algorithm or by plain value iteration, each iterated to a fixed point with a
tolerance check and verified by its residual.

References: Fazel, Ge, Kakade & Mesbahi (2018), *Global convergence of policy
gradient methods for the linear quadratic regulator*, ICML; Bertsekas (2017),
*Dynamic Programming and Optimal Control* I, ch. 3; Anderson & Moore (1990),
*Optimal Control: Linear Quadratic Methods*; Chu, Fan & Lin (2005), *A
structure-preserving doubling algorithm for continuous-time algebraic Riccati
equations* (and its discrete-time form); Silver et al. (2014), *Deterministic
policy gradient algorithms*; Williams (1992).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .mdp import _as_float_array, _check_int

__all__ = ["LQR", "QuadraticQ", "GaussianGradient", "solve_lyapunov", "solve_riccati",
           "example", "scalar", "random_lqr"]

# Symmetry and (semi)definiteness are judged relative to the matrix's scale.
SYM_RTOL = 1e-9      # |M - M^T| <= SYM_RTOL max|M|
PSD_RTOL = 1e-10     # PSD: smallest eigenvalue >= -PSD_RTOL max|eig|
PD_RTOL = 1e-14      # PD: smallest eigenvalue > PD_RTOL max|eig| (R + gamma B'PB stays invertible)


# ---------------------------------------------------------------------------------------------
# Solvers
# ---------------------------------------------------------------------------------------------

def _spectral_radius(F):
    return float(np.max(np.abs(np.linalg.eigvals(F)))) if F.size else 0.0


def solve_lyapunov(F, M, method="auto", tol=1e-14, max_iter=100):
    r"""Solve the discrete Lyapunov equation :math:`X = M + F X F^\top`, shape (n, n).

    The solution is :math:`X = \sum_{k \ge 0} F^k M (F^\top)^k`, finite when the
    spectral radius :math:`\rho(F) < 1`; otherwise ``ValueError``.

    Parameters
    ----------
    F, M : array_like(float, ndim=2), shape (n, n)
    method : {"auto", "kron", "doubling"}
        ``"kron"``: the linear solve :math:`(I - F \otimes F)\,\mathrm{vec}X = \mathrm{vec}M`
        (:math:`n^2` unknowns).  ``"doubling"``: :math:`X_{j+1} = X_j + F_j X_j F_j^\top`,
        :math:`F_{j+1} = F_j^2`, so :math:`X_j` sums the first :math:`2^j` terms; stops when the
        increment is below ``tol`` relative to :math:`X`.  ``"auto"``: kron for n <= 30.
    """
    F = _as_float_array("F", F, ndim=2)
    M = _as_float_array("M", M, ndim=2)
    n = F.shape[0]
    if F.shape != (n, n) or M.shape != (n, n):
        raise ValueError(f"F and M must be square of the same shape, got {F.shape} and {M.shape}")
    rho = _spectral_radius(F)
    if rho >= 1.0:
        raise ValueError(f"the Lyapunov sum diverges: spectral radius of F is {rho:.6g} >= 1")
    if method == "auto":
        method = "kron" if n <= 30 else "doubling"
    if method == "kron":
        # Row-major vec: vec(F X F^T) = (F kron F) vec(X); solve (I - F kron F) vec X = vec M
        x = np.linalg.solve(np.eye(n * n) - np.kron(F, F), M.reshape(-1))
        X = x.reshape(n, n)
    elif method == "doubling":
        X, Fj = M.copy(), F.copy()
        for _ in range(max_iter):
            # X_{j+1} = X_j + F_j X_j F_j^T: the terms 2^j, ..., 2^{j+1} - 1 of the sum
            step = Fj @ X @ Fj.T
            X = X + step
            Fj = Fj @ Fj
            if np.abs(step).max() <= tol * max(np.abs(X).max(), 1e-300):
                break
        else:
            raise ValueError(f"Lyapunov doubling did not converge in {max_iter} steps "
                             f"(spectral radius of F is {rho:.6g}, too close to 1)")
    else:
        raise ValueError(f"method must be 'auto', 'kron' or 'doubling', got {method!r}")
    if np.array_equal(M, M.T):
        X = 0.5 * (X + X.T)            # symmetric source, symmetric solution: drop round-off
    return X


def _riccati_rhs(A, B, Q, R, P):
    """Q + A'PA - A'PB (R + B'PB)^{-1} B'PA, for already discounted A, B."""
    BtPA = B.T @ P @ A
    return Q + A.T @ P @ A - BtPA.T @ np.linalg.solve(R + B.T @ P @ B, BtPA)


def _converged(new, old, tol):
    return np.abs(new - old).max() <= tol * max(np.abs(new).max(), 1e-300)


def _riccati_iteration(A, B, Q, R, tol, max_iter):
    """Value iteration from P = 0 for discounted A, B; stops early if P stops being finite."""
    P = np.zeros_like(Q)
    max_iter = max_iter or 100_000
    for _ in range(max_iter):
        # P_{h+1} = Q + A'P_h A - A'P_h B (R + B'P_h B)^{-1} B'P_h A
        P_new = _riccati_rhs(A, B, Q, R, P)
        P_new = 0.5 * (P_new + P_new.T)
        done = not np.all(np.isfinite(P_new)) or _converged(P_new, P, tol)
        P = P_new
        if done:
            return P
    raise ValueError(f"Riccati iteration did not converge in {max_iter} steps: "
                     "(sqrt(gamma) A, B) may not be stabilizable")


def _riccati_doubling(A, B, Q, R, tol, max_iter):
    """Structure-preserving doubling for discounted A, B; H_k is the optimal cost of 2^k steps."""
    Ak, Hk = A.copy(), Q.copy()
    Gk = B @ np.linalg.solve(R, B.T)
    Gk = 0.5 * (Gk + Gk.T)
    I = np.eye(A.shape[0])
    for _ in range(max_iter or 200):
        # (I + G_k H_k)^{-1} applied to A_k and G_k (always invertible: G_k, H_k are PSD)
        S = I + Gk @ Hk
        SA, SG = np.linalg.solve(S, Ak), np.linalg.solve(S, Gk)
        # H_{k+1} = H_k + A_k' H_k (I + G_k H_k)^{-1} A_k
        H_new = Hk + Ak.T @ Hk @ SA
        # G_{k+1} = G_k + A_k (I + G_k H_k)^{-1} G_k A_k'
        Gk = Gk + Ak @ SG @ Ak.T
        # A_{k+1} = A_k (I + G_k H_k)^{-1} A_k
        Ak = Ak @ SA
        H_new, Gk = 0.5 * (H_new + H_new.T), 0.5 * (Gk + Gk.T)
        done = not np.all(np.isfinite(H_new)) or _converged(H_new, Hk, tol)
        Hk = H_new
        if done:
            return Hk
    raise ValueError("Riccati doubling did not converge: (sqrt(gamma) A, B) may not be stabilizable")


def solve_riccati(A, B, Q, R, gamma=1.0, method="doubling", tol=1e-13, max_iter=None):
    r"""The minimal PSD solution :math:`P` of the discounted discrete Riccati equation, shape (n, n).

    .. math:: P = Q + \gamma A^\top P A - \gamma^2 A^\top P B (R + \gamma B^\top P B)^{-1} B^\top P A

    Both methods are value iteration from :math:`P = 0` (the optimal cost of
    :math:`h` steps, :math:`h \to \infty`), run to a fixed point
    (relative change below ``tol``); the result must satisfy the equation to
    ``1e-8`` relative residual, else ``ValueError``.

    ``"iteration"``: one Riccati step at a time (linear convergence), at most
    ``max_iter`` (default 100000) steps.  ``"doubling"``: the
    structure-preserving doubling algorithm with :math:`G = \tilde B R^{-1} \tilde B^\top`,

    .. math::

        A_{k+1} = A_k (I + G_k H_k)^{-1} A_k, \quad
        G_{k+1} = G_k + A_k (I + G_k H_k)^{-1} G_k A_k^\top, \quad
        H_{k+1} = H_k + A_k^\top H_k (I + G_k H_k)^{-1} A_k,

    from :math:`(\tilde A, G, Q)`, :math:`\tilde A = \sqrt\gamma A`, :math:`\tilde B = \sqrt\gamma B`;
    :math:`H_k` is the optimal cost of :math:`2^k` steps (quadratic convergence),
    at most ``max_iter`` (default 200) doublings.

    Inputs are not validated here; use :class:`LQR` (its :meth:`LQR.optimal_value_matrix`).
    """
    At, Bt = np.sqrt(gamma) * np.asarray(A, float), np.sqrt(gamma) * np.asarray(B, float)
    Q, R = np.asarray(Q, float), np.asarray(R, float)
    if method not in ("doubling", "iteration"):
        raise ValueError(f"method must be 'doubling' or 'iteration', got {method!r}")
    solver = _riccati_doubling if method == "doubling" else _riccati_iteration
    try:
        with np.errstate(over="ignore", invalid="ignore"):     # divergence is detected below
            P = solver(At, Bt, Q, R, tol, max_iter)
    except np.linalg.LinAlgError:
        P = np.full_like(Q, np.nan)
    if not np.all(np.isfinite(P)):
        raise ValueError("the Riccati iteration diverged: (sqrt(gamma) A, B) is not stabilizable "
                         "(some unstable mode cannot be controlled)")
    residual = np.abs(_riccati_rhs(At, Bt, Q, R, P) - P).max()
    if residual > 1e-8 * max(1.0, np.abs(P).max()):
        raise ValueError(f"the Riccati fixed point has residual {residual:.3g}: not converged")
    return P


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------

class GaussianGradient(NamedTuple):
    """Exact gradient of a Gaussian-policy cost: ``K`` shape (m, n), ``sigma`` the shape of sigma."""

    K: np.ndarray
    sigma: np.ndarray


@dataclass(frozen=True)
class QuadraticQ:
    r"""An action-value function (a cost) that is a quadratic form,

    .. math::

        Q(x, u) = \begin{bmatrix} x \\ u \end{bmatrix}^\top
                  \begin{bmatrix} Q_{xx} & Q_{xu} \\ Q_{xu}^\top & Q_{uu} \end{bmatrix}
                  \begin{bmatrix} x \\ u \end{bmatrix} + c .

    Attributes
    ----------
    Qxx : ndarray, shape (n, n)
    Qxu : ndarray, shape (n, m)
    Quu : ndarray, shape (m, m)
    c : float
    """

    Qxx: np.ndarray
    Qxu: np.ndarray
    Quu: np.ndarray
    c: float

    @property
    def H(self):
        """The (n + m, n + m) matrix of the quadratic form."""
        return np.block([[self.Qxx, self.Qxu], [self.Qxu.T, self.Quu]])

    def _xu(self, x, u):
        x = _as_float_array("x", x)
        u = _as_float_array("u", u)
        n, m = self.Qxu.shape
        if x.ndim == 0 or x.shape[-1] != n or u.ndim == 0 or u.shape[-1] != m:
            raise ValueError(f"x must have last axis {n} and u last axis {m}, got {x.shape} and {u.shape}")
        return x, u

    def __call__(self, x, u):
        """:math:`Q(x, u)` for ``x`` of shape (..., n) and ``u`` of shape (..., m); shape (...)."""
        x, u = self._xu(x, u)
        return (np.einsum("...i,ij,...j->...", x, self.Qxx, x)
                + 2.0 * np.einsum("...i,ij,...j->...", x, self.Qxu, u)
                + np.einsum("...i,ij,...j->...", u, self.Quu, u) + self.c)

    def grad_u(self, x, u):
        r""":math:`\nabla_u Q(x, u) = 2 (Q_{xu}^\top x + Q_{uu} u)`, shape (..., m)."""
        x, u = self._xu(x, u)
        return 2.0 * (x @ self.Qxu + u @ self.Quu.T)


# ---------------------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------------------

def _check_symmetric(name, M, definite):
    """Return the symmetrised ``M``; raise unless symmetric and PSD (PD when ``definite``)."""
    scale = max(np.abs(M).max(), 1e-300) if M.size else 1.0
    asym = np.abs(M - M.T).max() if M.size else 0.0
    if asym > SYM_RTOL * scale:
        i, j = np.unravel_index(np.argmax(np.abs(M - M.T)), M.shape)
        raise ValueError(f"{name} must be symmetric: {name}[{i}, {j}] = {M[i, j]:.6g} but "
                         f"{name}[{j}, {i}] = {M[j, i]:.6g}")
    M = 0.5 * (M + M.T)
    eig = np.linalg.eigvalsh(M)
    top = max(np.abs(eig).max(), 1e-300)
    if definite and eig.min() <= PD_RTOL * top:
        raise ValueError(f"{name} must be positive definite: its smallest eigenvalue is {eig.min():.6g}")
    if not definite and eig.min() < -PSD_RTOL * top:
        raise ValueError(f"{name} must be positive semidefinite: its smallest eigenvalue is {eig.min():.6g}")
    return M


def _check_gamma(gamma):
    try:
        g = float(gamma)
    except (TypeError, ValueError):
        raise ValueError(f"gamma must be a number in (0, 1], got {gamma!r}") from None
    if not 0.0 < g <= 1.0:
        raise ValueError(f"gamma must be in (0, 1], got {gamma!r}")
    return g


def _psd_sqrt(M):
    """A matrix F with F F^T = M for a PSD M (eigenvalues clipped at 0)."""
    lam, V = np.linalg.eigh(M)
    return V * np.sqrt(np.clip(lam, 0.0, None))


# ---------------------------------------------------------------------------------------------
# The system
# ---------------------------------------------------------------------------------------------

class LQR:
    r"""A discrete-time linear-quadratic regulator with linear (and linear-Gaussian) policies.

    Parameters
    ----------
    A : array_like(float, ndim=2), shape (n, n)
        Dynamics, :math:`x_{t+1} = A x_t + B u_t + w_t`.
    B : array_like(float, ndim=2), shape (n, m)
        Input matrix.
    Q : array_like(float, ndim=2), shape (n, n)
        State cost, symmetric positive semidefinite.
    R : array_like(float, ndim=2), shape (m, m)
        Action cost, symmetric positive definite.
    Sigma0 : array_like(float, ndim=2), shape (n, n)
        Covariance of :math:`x_0 \sim \mathcal N(0, \Sigma_0)`, symmetric PSD.
    gamma : float in (0, 1]
        Discount factor.
    W : array_like(float, ndim=2), shape (n, n), optional
        Process-noise covariance (symmetric PSD), default 0.  Infinite-horizon
        costs with ``W != 0`` need ``gamma < 1``.

    Gains ``K`` have shape (m, n) (the policy is :math:`u = -Kx`); when
    ``n == m == 1`` a plain number is accepted.  Gaussian noise levels
    ``sigma`` are a number (:math:`\sigma I_m`) or shape (m,) (one per action), all >= 0.

    Attributes
    ----------
    A, B, Q, R, Sigma0, W : the validated copies (read only; Q, R, Sigma0, W symmetrised).
    gamma : float
    n, m : int, state and action dimensions.

    Examples
    --------
    >>> sys = scalar(a=1.0, b=1.0, q=1.0, r=1.0, s0=1.0, gamma=1.0)
    >>> round(sys.cost(0.5), 6)          # s0 (q + r k^2) / (1 - gamma (a - b k)^2)
    1.666667
    >>> round(float(sys.optimal_gain()[0, 0]), 6)   # (sqrt(5) - 1) / 2, the golden ratio's inverse
    0.618034
    """

    def __init__(self, A, B, Q, R, Sigma0, gamma=1.0, W=None):
        A = _as_float_array("A", A)
        if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] == 0:
            raise ValueError(f"A must be a non-empty square matrix (n, n), got shape {A.shape}")
        n = A.shape[0]
        B = _as_float_array("B", B)
        if B.ndim != 2 or B.shape[0] != n or B.shape[1] == 0:
            raise ValueError(f"B must have shape (n, m) with n = {n} rows and m >= 1, got {B.shape}")
        m = B.shape[1]
        mats = {}
        for name, M, size, definite in (("Q", Q, n, False), ("R", R, m, True),
                                        ("Sigma0", Sigma0, n, False),
                                        ("W", np.zeros((n, n)) if W is None else W, n, False)):
            M = _as_float_array(name, M)
            if M.shape != (size, size):
                raise ValueError(f"{name} must have shape ({size}, {size}), got {M.shape}")
            mats[name] = _check_symmetric(name, M, definite)
        self.gamma = _check_gamma(gamma)
        for name, arr in (("A", A), ("B", B), *mats.items()):
            arr.setflags(write=False)
            setattr(self, name, arr)

    # -- basic -----------------------------------------------------------------------------

    @property
    def n(self):
        """State dimension."""
        return self.A.shape[0]

    @property
    def m(self):
        """Action dimension."""
        return self.B.shape[1]

    @property
    def has_noise(self):
        """True when the process noise W is not zero."""
        return bool(np.any(self.W != 0))

    def __repr__(self):
        return f"LQR(n={self.n}, m={self.m}, gamma={self.gamma}, noise={self.has_noise})"

    def with_gamma(self, gamma):
        """The same system with another discount factor."""
        return LQR(self.A, self.B, self.Q, self.R, self.Sigma0, gamma, self.W)

    def check_gain(self, K):
        """Return ``K`` as a float array of shape (m, n), or raise ``ValueError``."""
        K = _as_float_array("K", K)
        if K.ndim == 0 and (self.m, self.n) == (1, 1):
            K = K.reshape(1, 1)
        if K.shape != (self.m, self.n):
            raise ValueError(f"K must have shape (m, n) = {(self.m, self.n)}, got {K.shape}")
        return K

    def _check_sigma(self, sigma):
        """Return (sigma as float or (m,) array, S_u = diag(sigma^2) of shape (m, m))."""
        s = _as_float_array("sigma", sigma)
        if s.ndim == 0:
            out = float(s)
        elif s.shape == (self.m,):
            out = s
        else:
            raise ValueError(f"sigma must be a number or have shape (m,) = ({self.m},), got {s.shape}")
        if np.any(s < 0):
            raise ValueError(f"sigma must be >= 0, got {sigma!r}")
        # S_u = diag(sigma^2), the covariance of the action noise sigma * eps
        Su = np.diag(np.broadcast_to(s, (self.m,)) ** 2)
        return out, Su

    def closed_loop(self, K):
        """:math:`A - BK`, shape (n, n)."""
        K = self.check_gain(K)
        return self.A - self.B @ K

    def spectral_radius(self, K):
        r""":math:`\rho(\sqrt\gamma (A - BK))`: the discounted sums converge iff it is < 1."""
        return _spectral_radius(np.sqrt(self.gamma) * self.closed_loop(K))

    def is_stable(self, K):
        r"""True when :math:`\rho(\sqrt\gamma (A - BK)) < 1`."""
        return self.spectral_radius(K) < 1.0

    def _stable_closed_loop(self, K):
        L = self.closed_loop(K)
        rho = _spectral_radius(np.sqrt(self.gamma) * L)
        if rho >= 1.0:
            raise ValueError(f"closed loop A - BK is unstable: spectral radius of sqrt(gamma) (A - BK) "
                             f"is {rho:.6g} >= 1, so the infinite-horizon cost is infinite")
        return L

    def _noise(self, Su):
        """N = W + B S_u B^T, the covariance the noise adds to the state each step; raise if gamma = 1."""
        N = self.W + self.B @ Su @ self.B.T
        if self.gamma == 1.0 and (np.any(N != 0) or np.any(Su != 0)):
            raise ValueError("gamma = 1 with noise (sigma > 0 or W != 0): the infinite-horizon cost "
                             "sum_t E[x'Qx + u'Ru] diverges; use gamma < 1 or a finite horizon")
        return N

    # -- infinite horizon, deterministic policy -------------------------------------------------

    def value_matrix(self, K):
        r""":math:`P_K`, shape (n, n), solving :math:`P_K = Q + K^\top R K + \gamma (A-BK)^\top P_K (A-BK)`.

        The cost-to-go of :math:`u = -Kx` is :math:`x^\top P_K x` (plus a constant when there is noise).
        """
        K = self.check_gain(K)
        L = self._stable_closed_loop(K)
        # P_K = (Q + K'RK) + (sqrt(gamma) L)' P_K (sqrt(gamma) L)
        return solve_lyapunov(np.sqrt(self.gamma) * L.T, self.Q + K.T @ self.R @ K)

    def state_covariance(self, K, sigma=0.0):
        r"""Discounted state correlation :math:`\Sigma_K = \sum_t \gamma^t \mathbb E[x_t x_t^\top]`, shape (n, n).

        Without noise :math:`\Sigma_K = \sum_t \gamma^t L^t \Sigma_0 (L^\top)^t`; in general it solves
        :math:`\Sigma_K = \Sigma_0 + \frac{\gamma}{1-\gamma} N + \gamma L \Sigma_K L^\top`,
        :math:`N = W + B\,\mathrm{diag}(\sigma^2) B^\top`, for the policy :math:`u = -Kx + \sigma\varepsilon`.
        """
        K = self.check_gain(K)
        _, Su = self._check_sigma(sigma)
        L = self._stable_closed_loop(K)
        return self._covariance(L, self._noise(Su))

    def _covariance(self, L, N):
        g = self.gamma
        # Sigma_K = Sigma0 + gamma/(1-gamma) N + (sqrt(gamma) L) Sigma_K (sqrt(gamma) L)'
        source = self.Sigma0 if g == 1.0 else self.Sigma0 + g / (1.0 - g) * N
        return solve_lyapunov(np.sqrt(g) * L, source)

    def _E(self, K, P):
        # E_K = (R + gamma B'PB) K - gamma B'PA
        return (self.R + self.gamma * self.B.T @ P @ self.B) @ K - self.gamma * self.B.T @ P @ self.A

    def cost(self, K):
        r""":math:`C(K) = \mathbb E_{x_0}\sum_t \gamma^t (x_t^\top Q x_t + u_t^\top R u_t)` for :math:`u = -Kx`.

        :math:`C(K) = \operatorname{tr}(P_K \Sigma_0)` (plus
        :math:`\frac{\gamma}{1-\gamma}\operatorname{tr}(P_K W)` with process noise).
        An unstable closed loop raises ``ValueError``.
        """
        return self.gaussian_cost(K, 0.0)

    def gradient(self, K):
        r"""Exact :math:`\nabla C(K) = 2[(R + \gamma B^\top P_K B)K - \gamma B^\top P_K A]\,\Sigma_K`, shape (m, n).

        Fazel, Ge, Kakade & Mesbahi (2018), Lemma 1, with the discount.
        """
        return self.gaussian_gradient(K, 0.0).K

    def optimal_value_matrix(self, method="doubling"):
        r"""The Riccati solution :math:`P^*`, shape (n, n) (see :func:`solve_riccati`)."""
        return solve_riccati(self.A, self.B, self.Q, self.R, self.gamma, method=method)

    def optimal_gain(self, method="doubling"):
        r""":math:`K^* = \gamma (R + \gamma B^\top P^* B)^{-1} B^\top P^* A`, shape (m, n).

        Raises ``ValueError`` if the Riccati iteration diverges (not stabilizable) or
        its gain does not stabilise the closed loop (an unstable mode that
        :math:`Q` does not see: not detectable).
        """
        P = self.optimal_value_matrix(method)
        # K* = gamma (R + gamma B'PB)^{-1} B'PA
        K = np.linalg.solve(self.R + self.gamma * self.B.T @ P @ self.B, self.gamma * self.B.T @ P @ self.A)
        rho = self.spectral_radius(K)
        if rho >= 1.0:
            raise ValueError(f"the Riccati solution gives an unstable closed loop (spectral radius "
                             f"{rho:.6g}): no stabilising optimal gain (is (Q, A) detectable?)")
        return K

    # -- infinite horizon, Gaussian policy ------------------------------------------------------

    def gaussian_cost(self, K, sigma):
        r""":math:`C_\sigma(K)` for :math:`u = -Kx + \sigma\odot\varepsilon`, :math:`\varepsilon\sim\mathcal N(0, I_m)`.

        .. math:: C_\sigma(K) = \operatorname{tr}(P_K\Sigma_0)
                  + \tfrac{\gamma}{1-\gamma}\operatorname{tr}(P_K N) + \tfrac{1}{1-\gamma}\operatorname{tr}(R S_u)

        with :math:`S_u = \mathrm{diag}(\sigma^2)`, :math:`N = W + B S_u B^\top`.  Needs
        ``gamma < 1`` when there is any noise.
        """
        P, _, Su, N = self._gaussian_parts(K, sigma)
        g = self.gamma
        if g == 1.0:
            return float(np.trace(P @ self.Sigma0))
        return float(np.trace(P @ self.Sigma0) + g / (1.0 - g) * np.trace(P @ N)
                     + np.trace(self.R @ Su) / (1.0 - g))

    def _gaussian_parts(self, K, sigma):
        K = self.check_gain(K)
        _, Su = self._check_sigma(sigma)
        N = self._noise(Su)
        P = self.value_matrix(K)
        return P, K, Su, N

    def gaussian_gradient(self, K, sigma):
        r"""Exact gradient of :meth:`gaussian_cost`: ``GaussianGradient(K=(m, n), sigma=shape of sigma)``.

        .. math::

            \nabla_K C_\sigma = 2 E_K \Sigma_K^\sigma, \qquad
            \frac{\partial C_\sigma}{\partial \sigma_i} = \frac{2\sigma_i}{1-\gamma}
                \big(R + \gamma B^\top P_K B\big)_{ii}

        (for a scalar :math:`\sigma`, the sum over :math:`i`).  :math:`\Sigma_K^\sigma` is
        :meth:`state_covariance`; only it depends on :math:`\sigma` in :math:`\nabla_K`.
        """
        P, K, Su, N = self._gaussian_parts(K, sigma)
        s, _ = self._check_sigma(sigma)
        L = self.A - self.B @ K
        # grad_K C = 2 E_K Sigma_K
        gK = 2.0 * self._E(K, P) @ self._covariance(L, N)
        if self.gamma == 1.0:
            gs = 0.0 * np.asarray(s)
        else:
            # dC/dsigma_i = 2 sigma_i (R + gamma B'PB)_ii / (1 - gamma)
            d = np.diag(self.R + self.gamma * self.B.T @ P @ self.B)
            gs = 2.0 * np.asarray(s) * (d if np.ndim(s) else d.sum()) / (1.0 - self.gamma)
        return GaussianGradient(K=gK, sigma=float(gs) if np.ndim(s) == 0 else gs)

    def q_function(self, K, sigma=0.0):
        r"""Exact :math:`Q^K(x, u)`: pay :math:`(x, u)` now, then follow the policy; a :class:`QuadraticQ`.

        .. math::

            Q^K(x, u) = x^\top Q x + u^\top R u + \gamma\,\mathbb E[V^K(Ax + Bu + w)], \qquad
            V^K(x) = x^\top P_K x + v,

        so :math:`Q_{xx} = Q + \gamma A^\top P_K A`, :math:`Q_{xu} = \gamma A^\top P_K B`,
        :math:`Q_{uu} = R + \gamma B^\top P_K B`, :math:`c = \gamma(\operatorname{tr}(P_K W) + v)` with
        :math:`v = \frac{\operatorname{tr}(R S_u) + \gamma \operatorname{tr}(P_K N)}{1-\gamma}` for the
        Gaussian policy of noise ``sigma`` (:math:`v = 0` without noise).
        """
        P, K, Su, N = self._gaussian_parts(K, sigma)
        g = self.gamma
        # v = (tr(R S_u) + gamma tr(P N)) / (1 - gamma), the constant of V(x) = x'Px + v
        v = 0.0 if g == 1.0 else (np.trace(self.R @ Su) + g * np.trace(P @ N)) / (1.0 - g)
        blocks = (self.Q + g * self.A.T @ P @ self.A,     # Qxx = Q + gamma A'PA
                  g * self.A.T @ P @ self.B,              # Qxu = gamma A'PB
                  self.R + g * self.B.T @ P @ self.B)     # Quu = R + gamma B'PB
        for M in blocks:
            M.setflags(write=False)
        # c = gamma (tr(P W) + v)
        return QuadraticQ(*blocks, c=float(g * (np.trace(P @ self.W) + v)))

    # -- finite horizon ------------------------------------------------------------------------

    def _finite(self, K, T, sigma):
        """Backward P_h, c_h (h = 0..T) and forward S_t (t = 0..T-1)."""
        K = self.check_gain(K)
        T = _check_int("T", T, 1, "a positive integer")
        s, Su = self._check_sigma(sigma)
        g = self.gamma
        L = self.A - self.B @ K
        N = self.W + self.B @ Su @ self.B.T
        QK = self.Q + K.T @ self.R @ K
        P = [np.zeros((self.n, self.n))]
        c = [0.0]
        for h in range(1, T + 1):
            # P_h = Q + K'RK + gamma L' P_{h-1} L;  c_h = tr(R S_u) + gamma (tr(P_{h-1} N) + c_{h-1})
            P.append(QK + g * L.T @ P[-1] @ L)
            c.append(np.trace(self.R @ Su) + g * (np.trace(P[h - 1] @ N) + c[-1]))
        S = [self.Sigma0]
        for t in range(1, T):
            # S_t = E[x_t x_t'] = L S_{t-1} L' + N
            S.append(L @ S[-1] @ L.T + N)
        return K, T, s, Su, P, c, S

    def finite_horizon_cost(self, K, T, sigma=0.0):
        r""":math:`C_T = \mathbb E\sum_{t=0}^{T-1}\gamma^t (x_t^\top Q x_t + u_t^\top R u_t) = \operatorname{tr}(P_T\Sigma_0) + c_T`.

        For :math:`u = -Kx + \sigma\odot\varepsilon` (``sigma=0``: deterministic).  Any ``K``
        and any gamma in (0, 1]: no stability needed.
        """
        _, T, _, _, P, c, _ = self._finite(K, T, sigma)
        return float(np.trace(P[T] @ self.Sigma0) + c[T])

    def finite_horizon_gaussian_gradient(self, K, T, sigma):
        r"""Exact gradient of :meth:`finite_horizon_cost`: ``GaussianGradient(K=(m, n), sigma=shape of sigma)``.

        .. math::

            \nabla_K C_T = 2\sum_{t<T}\gamma^t E^{(T-t)} S_t, \quad
            E^{(h)} = (R + \gamma B^\top P_{h-1} B)K - \gamma B^\top P_{h-1} A, \\
            \frac{\partial C_T}{\partial\sigma_i} = 2\sigma_i \sum_{h=1}^{T}\gamma^{T-h}
                \big(R + \gamma B^\top P_{h-1} B\big)_{ii}.

        The first line is the policy gradient theorem for the time-varying
        :math:`Q_h(x, u)`, whose :math:`u`-gradient is linear, so the action noise averages out.
        """
        K, T, s, _, P, _, S = self._finite(K, T, sigma)
        g = self.gamma
        gK = np.zeros_like(K)
        d = np.zeros(self.m)
        for t in range(T):
            h = T - t
            # gamma^t E^{(T-t)} S_t with E^{(h)} built from P_{h-1}
            gK += g ** t * self._E(K, P[h - 1]) @ S[t]
            # (R + gamma B'P_{h-1}B)_ii weighted gamma^{T-h} = gamma^t
            d += g ** t * np.diag(self.R + g * self.B.T @ P[h - 1] @ self.B)
        gs = 2.0 * np.asarray(s) * (d if np.ndim(s) else d.sum())
        return GaussianGradient(K=2.0 * gK, sigma=float(gs) if np.ndim(s) == 0 else gs)

    def finite_horizon_gradient(self, K, T, sigma=0.0):
        r""":math:`\nabla_K C_T`, shape (m, n): the ``K`` part of :meth:`finite_horizon_gaussian_gradient`."""
        return self.finite_horizon_gaussian_gradient(K, T, sigma).K

    # -- sampling -----------------------------------------------------------------------------

    def _simulate(self, K, sigma, T, n_episodes, rng):
        """Roll out n_episodes episodes of T steps: x (N, T, n), eps (N, T, m), costs (N, T)."""
        K = self.check_gain(K)
        s, _ = self._check_sigma(sigma)
        T = _check_int("T", T, 1, "a positive integer")
        N = _check_int("n_episodes", n_episodes, 1, "a positive integer")
        if not isinstance(rng, np.random.Generator):
            raise ValueError("rng must be a numpy.random.Generator (use np.random.default_rng(seed))")
        s = np.broadcast_to(np.asarray(s, float), (self.m,))
        F0, FW = _psd_sqrt(self.Sigma0), _psd_sqrt(self.W)
        xs = np.empty((N, T, self.n))
        eps = rng.standard_normal((N, T, self.m))
        costs = np.empty((N, T))
        # x_0 ~ N(0, Sigma0): x_0 = F0 z with F0 F0' = Sigma0
        x = rng.standard_normal((N, self.n)) @ F0.T
        for t in range(T):
            xs[:, t] = x
            # u_t = -K x_t + sigma * eps_t
            u = -x @ K.T + s * eps[:, t]
            # c_t = x'Qx + u'Ru
            costs[:, t] = np.einsum("ei,ij,ej->e", x, self.Q, x) + np.einsum("ei,ij,ej->e", u, self.R, u)
            # x_{t+1} = A x_t + B u_t + w_t
            x = x @ self.A.T + u @ self.B.T
            if self.has_noise:
                x = x + rng.standard_normal((N, self.n)) @ FW.T
        return xs, eps, costs, s

    def sample_cost(self, K, sigma, T, n_episodes, rng):
        r"""Sampled discounted costs :math:`\sum_{t<T}\gamma^t c_t` of ``n_episodes`` rollouts, shape (n_episodes,).

        Policy :math:`u = -Kx + \sigma\odot\varepsilon`; the mean is :meth:`finite_horizon_cost`.
        All randomness from the Generator ``rng``.
        """
        _, _, costs, _ = self._simulate(K, sigma, T, n_episodes, rng)
        return costs @ self.gamma ** np.arange(costs.shape[1])

    def reinforce_gradient(self, K, sigma, T, n_episodes, rng):
        r"""Per-episode REINFORCE (reward-to-go) samples of :math:`\nabla_K C_T`, shape (n_episodes, m, n).

        .. math::

            \hat g = \sum_{t<T} \nabla_K \log\pi(u_t|x_t) \sum_{k=t}^{T-1}\gamma^k c_k, \qquad
            \nabla_K \log\pi(u|x) = -\frac{(u + Kx)}{\sigma^2} x^\top = -\frac{\varepsilon}{\sigma} x^\top

        (element-wise in the actions).  Unbiased for :meth:`finite_horizon_gradient` at the same
        ``sigma``; needs ``sigma > 0``.
        """
        s = _as_float_array("sigma", sigma)
        if np.any(s <= 0):
            raise ValueError(f"sigma must be > 0 for REINFORCE (the score divides by sigma), got {sigma!r}")
        xs, eps, costs, s = self._simulate(K, sigma, T, n_episodes, rng)
        disc = costs * self.gamma ** np.arange(costs.shape[1])
        # reward-to-go, discounted from t = 0: G[t] = sum_{k >= t} gamma^k c_k
        G = np.cumsum(disc[:, ::-1], axis=1)[:, ::-1]
        # sum_t G[t] * (-(eps_t / sigma) x_t')
        return -np.einsum("et,eti,etj->eij", G, eps / s, xs)


# ---------------------------------------------------------------------------------------------
# Examples
# ---------------------------------------------------------------------------------------------

def scalar(a, b, q, r, s0, gamma=1.0, w=0.0):
    r"""The 1-D system :math:`x_{t+1} = a x_t + b u_t + w_t`, cost :math:`q x^2 + r u^2`, :math:`x_0 \sim \mathcal N(0, s_0)`.

    Hand-workable: :math:`C(k) = s_0 (q + r k^2) / (1 - \gamma (a - b k)^2)` when
    :math:`\gamma (a - bk)^2 < 1` and ``w = 0``.
    """
    return LQR([[a]], [[b]], [[q]], [[r]], [[s0]], gamma, W=[[w]])


def example(dt=0.1, r=1.0, gamma=1.0, sigma0=1.0):
    r"""The double integrator: a unit mass pushed by a force, sampled every ``dt``.

    State :math:`x = (\text{position}, \text{velocity})`, action the force (m = 1):

    .. math::

        A = \begin{bmatrix} 1 & dt \\ 0 & 1 \end{bmatrix}, \quad
        B = \begin{bmatrix} dt^2/2 \\ dt \end{bmatrix}, \quad
        Q = I_2, \quad R = r, \quad \Sigma_0 = \sigma_0^2 I_2 .

    :math:`A` has the double eigenvalue 1, so :math:`K = 0` is unstable at
    ``gamma = 1`` (spectral radius 1) and stable for ``gamma < 1``.
    """
    dt = float(dt)
    if not (np.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a positive number, got {dt!r}")
    A = np.array([[1.0, dt], [0.0, 1.0]])
    B = np.array([[0.5 * dt ** 2], [dt]])
    return LQR(A, B, np.eye(2), [[r]], float(sigma0) ** 2 * np.eye(2), gamma)


def random_lqr(n, m, rng, gamma=1.0, spectral_radius=0.9):
    r"""A random system with :math:`\rho(A)` = ``spectral_radius``, shape-(n, m) ``B``, random PD ``Q``, ``R``, ``Sigma0``.

    With the default radius < 1, :math:`K = 0` is stable; a radius > 1 gives an
    open-loop unstable system that a gain must stabilise.
    """
    n = _check_int("n", n, 1, "a positive integer")
    m = _check_int("m", m, 1, "a positive integer")
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator (use np.random.default_rng(seed))")
    try:
        radius = float(spectral_radius)
    except (TypeError, ValueError):
        radius = np.nan
    if not (np.isfinite(radius) and radius > 0):
        raise ValueError(f"spectral_radius must be a positive number, got {spectral_radius!r}")
    A = rng.standard_normal((n, n))
    A *= radius / _spectral_radius(A)
    B = rng.standard_normal((n, m))

    def pd(k):
        M = rng.standard_normal((k, k))
        return M @ M.T / k + 0.5 * np.eye(k)

    return LQR(A, B, pd(n), pd(m), pd(n), gamma)
