"""pglib.lqr against independent answers: 1-D formulas worked by hand, finite differences,
direct simulation sums, forward covariance propagation and seeded Monte Carlo z-tests."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from pglib import lqr

Z = 4.0          # z bound of every Monte Carlo test (seeded: the outcome is fixed)


def z_scores(samples, reference):
    """|mean - reference| / standard error, per coordinate (samples along axis 0)."""
    samples = np.asarray(samples, dtype=float)
    se = samples.std(axis=0, ddof=1) / np.sqrt(samples.shape[0])
    return np.abs(samples.mean(axis=0) - reference) / se


def stable_gain(sys, rng, scale=0.2):
    """K* plus a random perturbation, redrawn until the closed loop is stable."""
    K_star = sys.optimal_gain()
    for _ in range(100):
        K = K_star + scale * rng.standard_normal(K_star.shape)
        if sys.spectral_radius(K) < 0.97:
            return K
    raise RuntimeError("no stable perturbation found")


def central_differences(f, x, eps=1e-6):
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def systems(seed=3):
    """Random 2- and 3-dimensional systems, open-loop unstable (radius 1.2), with gamma 1 and 0.9."""
    rng = np.random.default_rng(seed)
    out = []
    for n, m, gamma in ((2, 1, 1.0), (3, 2, 0.9), (3, 1, 0.95), (2, 2, 1.0)):
        out.append((lqr.random_lqr(n, m, rng, gamma=gamma, spectral_radius=1.2), rng))
    return out


# ---------------------------------------------------------------------------------------------
# 1-D, by hand
# ---------------------------------------------------------------------------------------------

SCALAR_CASES = [  # a, b, q, r, s0, gamma, k
    (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5),
    (1.3, 0.7, 2.0, 0.5, 3.0, 1.0, 1.2),
    (0.9, -1.0, 1.0, 2.0, 0.5, 0.8, -0.3),
    (1.2, 1.0, 0.0, 1.0, 1.0, 0.5, 1.5),          # q = 0: K* = 0 (stable since 0.5 * 1.2^2 < 1)
]


@pytest.mark.parametrize("a, b, q, r, s0, gamma, k", SCALAR_CASES)
def test_scalar_cost_and_gradient_by_hand(a, b, q, r, s0, gamma, k):
    sys = lqr.scalar(a, b, q, r, s0, gamma)
    l = a - b * k
    denom = 1 - gamma * l ** 2
    assert denom > 0
    # C(k) = s0 (q + r k^2) / (1 - gamma (a - b k)^2)
    assert_allclose(sys.cost(k), s0 * (q + r * k ** 2) / denom, rtol=1e-12)
    assert_allclose(sys.value_matrix(k), [[(q + r * k ** 2) / denom]], rtol=1e-12)
    assert_allclose(sys.state_covariance(k), [[s0 / denom]], rtol=1e-12)
    # dC/dk = s0 [2 r k (1 - gamma l^2) - (q + r k^2) 2 gamma b l] / (1 - gamma l^2)^2
    dC = s0 * (2 * r * k * denom - (q + r * k ** 2) * 2 * gamma * b * l) / denom ** 2
    assert_allclose(sys.gradient(k), [[dC]], rtol=1e-10)
    assert_allclose(sys.closed_loop(k), [[l]], rtol=1e-15)
    assert sys.is_stable(k)


@pytest.mark.parametrize("a, b, q, r, s0, gamma, k", SCALAR_CASES)
def test_scalar_riccati_by_the_quadratic_formula(a, b, q, r, s0, gamma, k):
    sys = lqr.scalar(a, b, q, r, s0, gamma)
    # p solves gamma b^2 p^2 + (r (1 - gamma a^2) - gamma q b^2) p - q r = 0 (positive root)
    c1 = r * (1 - gamma * a ** 2) - gamma * q * b ** 2
    p = (-c1 + np.sqrt(c1 ** 2 + 4 * gamma * b ** 2 * q * r)) / (2 * gamma * b ** 2)
    k_star = gamma * b * p * a / (r + gamma * b ** 2 * p)
    for method in ("doubling", "iteration"):
        assert_allclose(sys.optimal_value_matrix(method), [[p]], rtol=1e-10)
        assert_allclose(sys.optimal_gain(method), [[k_star]], rtol=1e-10)
    assert_allclose(sys.cost(k_star), s0 * p, rtol=1e-10)


def test_scalar_golden_ratio():
    # a = b = q = r = 1, gamma = 1: p^2 - p - 1 = 0, p = golden ratio, k* = p / (1 + p) = 1 / p
    phi = (1 + np.sqrt(5)) / 2
    sys = lqr.scalar(1, 1, 1, 1, 1)
    assert_allclose(sys.optimal_value_matrix(), [[phi]], rtol=1e-12)
    assert_allclose(sys.optimal_gain(), [[1 / phi]], rtol=1e-12)


def test_scalar_gaussian_cost_by_hand():
    a, b, q, r, s0, gamma, k, sigma, w = 1.1, 0.8, 1.5, 0.7, 2.0, 0.9, 0.9, 0.4, 0.3
    sys = lqr.scalar(a, b, q, r, s0, gamma, w=w)
    l = a - b * k
    p = (q + r * k ** 2) / (1 - gamma * l ** 2)
    # every step from t = 1 on adds variance b^2 sigma^2 + w; every step pays r sigma^2
    C = s0 * p + gamma / (1 - gamma) * p * (b ** 2 * sigma ** 2 + w) + r * sigma ** 2 / (1 - gamma)
    assert_allclose(sys.gaussian_cost(k, sigma), C, rtol=1e-12)
    dsigma = 2 * sigma * (r + gamma * b ** 2 * p) / (1 - gamma)
    assert_allclose(sys.gaussian_gradient(k, sigma).sigma, dsigma, rtol=1e-12)
    # T = 2 by hand: E x_1^2 = l^2 s0 + b^2 sigma^2 + w
    C2 = (q + r * k ** 2) * s0 + r * sigma ** 2 + gamma * (
        (q + r * k ** 2) * (l ** 2 * s0 + b ** 2 * sigma ** 2 + w) + r * sigma ** 2)
    assert_allclose(sys.finite_horizon_cost(k, 2, sigma), C2, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# Exact gradient, Riccati, Lyapunov
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", range(4))
def test_gradient_matches_finite_differences(case):
    sys, rng = systems()[case]
    K = stable_gain(sys, rng)
    fd = central_differences(sys.cost, K)
    assert_allclose(sys.gradient(K), fd, rtol=1e-5, atol=1e-6 * np.abs(fd).max())
    assert np.abs(fd).max() > 1e-2          # a point where the gradient is not ~0


@pytest.mark.parametrize("case", range(4))
def test_optimal_gain(case):
    sys, rng = systems()[case]
    A, B, Q, R, g = sys.A, sys.B, sys.Q, sys.R, sys.gamma
    P = sys.optimal_value_matrix()
    # The Riccati equation, written out here
    rhs = Q + g * A.T @ P @ A - g ** 2 * A.T @ P @ B @ np.linalg.inv(R + g * B.T @ P @ B) @ B.T @ P @ A
    assert_allclose(P, rhs, rtol=1e-10, atol=1e-10 * np.abs(P).max())
    assert_allclose(sys.optimal_value_matrix("iteration"), P, rtol=1e-8, atol=1e-9 * np.abs(P).max())
    K = sys.optimal_gain()
    assert sys.is_stable(K)
    assert_allclose(sys.value_matrix(K), P, rtol=1e-8, atol=1e-9 * np.abs(P).max())
    assert np.abs(sys.gradient(K)).max() < 1e-8 * sys.cost(K)
    C = sys.cost(K)
    for _ in range(20):
        Kp = K + 0.05 * rng.standard_normal(K.shape)
        if sys.is_stable(Kp):
            assert sys.cost(Kp) > C


def test_cost_equals_direct_simulation():
    # C(K) = sum_i lambda_i sum_t gamma^t x_t'(Q + K'RK) x_t from x_0 = v_i (Sigma0 = sum lambda_i v_i v_i')
    for sys, rng in systems():
        K = stable_gain(sys, rng)
        L = sys.A - sys.B @ K
        QK = sys.Q + K.T @ sys.R @ K
        lam, V = np.linalg.eigh(sys.Sigma0)
        X = V.copy()                                 # columns: one trajectory per eigenvector
        total = np.zeros(sys.n)
        for t in range(3000):
            total += sys.gamma ** t * np.einsum("it,ij,jt->t", X, QK, X)
            X = L @ X
        assert np.abs(X).max() < 1e-12
        assert_allclose(sys.cost(K), lam @ total, rtol=1e-10)
        # Sigma_K by the same direct sum, and C(K) = tr((Q + K'RK) Sigma_K)
        S, M = np.zeros((sys.n, sys.n)), sys.Sigma0.copy()
        for t in range(3000):
            S += sys.gamma ** t * M
            M = L @ M @ L.T
        assert_allclose(sys.state_covariance(K), S, rtol=1e-9, atol=1e-12)
        assert_allclose(np.trace(QK @ sys.state_covariance(K)), sys.cost(K), rtol=1e-10)


def test_solve_lyapunov_methods_agree():
    rng = np.random.default_rng(7)
    for n in (1, 3, 6):
        F = rng.standard_normal((n, n))
        F *= 0.95 / np.max(np.abs(np.linalg.eigvals(F)))
        M = rng.standard_normal((n, n))
        X_direct, term = np.zeros((n, n)), M.copy()
        for _ in range(2000):                         # 0.95^2000 ~ 1e-45
            X_direct += term
            term = F @ term @ F.T
        for method in ("kron", "doubling", "auto"):
            assert_allclose(lqr.solve_lyapunov(F, M, method), X_direct, rtol=1e-9, atol=1e-11)
    with pytest.raises(ValueError, match="spectral radius of F is 1.5"):
        lqr.solve_lyapunov([[1.5]], [[1.0]])
    with pytest.raises(ValueError, match="method"):
        lqr.solve_lyapunov([[0.5]], [[1.0]], method="schur")


def test_optimal_gain_not_stabilizable_or_not_detectable():
    # b = 0, a = 2: nothing can stabilise the state
    with pytest.raises(ValueError, match="not stabilizable"):
        lqr.LQR([[2.0, 0.0], [0.0, 0.5]], [[0.0], [1.0]], np.eye(2), [[1.0]], np.eye(2)).optimal_gain()
    # q = 0, a = 2: the cheapest gain is 0, which leaves the closed loop unstable
    with pytest.raises(ValueError, match="unstable closed loop"):
        lqr.scalar(2.0, 1.0, 0.0, 1.0, 1.0).optimal_gain()
    with pytest.raises(ValueError, match="method"):
        lqr.scalar(0.5, 1.0, 1.0, 1.0, 1.0).optimal_gain(method="newton")


# ---------------------------------------------------------------------------------------------
# Q function (DPG form of the gradient)
# ---------------------------------------------------------------------------------------------

def test_q_function_by_rollout_and_dpg_gradient():
    sys, rng = systems()[1]
    K = stable_gain(sys, rng)
    q = sys.q_function(K)
    L = sys.A - sys.B @ K
    QK = sys.Q + K.T @ sys.R @ K
    # Q(x, u) = x'Qx + u'Ru + sum_{t>=1} gamma^t (cost of following K from x_1 = Ax + Bu)
    for _ in range(3):
        x, u = rng.standard_normal(sys.n), rng.standard_normal(sys.m)
        total, y = x @ sys.Q @ x + u @ sys.R @ u, sys.A @ x + sys.B @ u
        for t in range(1, 3000):
            total += sys.gamma ** t * y @ QK @ y
            y = L @ y
        assert_allclose(q(x, u), total, rtol=1e-10)
    assert_allclose(q.H, q.H.T)
    # DPG (Silver et al. 2014): grad C(K) = sum_x rho_K(x) grad_u Q(x, u)|_{u=-Kx} d(-Kx)/dK
    #                                    = -E_{x ~ Sigma_K}[grad_u Q(x, -Kx) x'], with Sigma_K = sum lambda_i v_i v_i'
    lam, V = np.linalg.eigh(sys.state_covariance(K))
    X = V.T                                            # (n points, n)
    dpg = -np.einsum("i,im,in->mn", lam, q.grad_u(X, -X @ K.T), X)
    assert_allclose(dpg, central_differences(sys.cost, K), rtol=1e-5)


def test_gaussian_q_function_averages_to_the_cost():
    sys = lqr.random_lqr(3, 2, np.random.default_rng(11), gamma=0.9)
    sys = lqr.LQR(sys.A, sys.B, sys.Q, sys.R, sys.Sigma0, sys.gamma, W=0.1 * np.eye(3))
    K, sigma = 0.1 * np.ones((2, 3)), np.array([0.3, 0.5])
    q = sys.q_function(K, sigma)
    # E_{x0, u ~ pi} Q(x0, u) = E Q(x0, -Kx0) + tr(Quu diag(sigma^2)), E over x0 by Sigma0's eigenvectors
    lam, V = np.linalg.eigh(sys.Sigma0)
    X = V.T
    EQ = lam @ (q(X, -X @ K.T) - q.c) + q.c + np.trace(q.Quu @ np.diag(sigma ** 2))
    assert_allclose(EQ, sys.gaussian_cost(K, sigma), rtol=1e-10)


# ---------------------------------------------------------------------------------------------
# Gaussian policies and finite horizons
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sigma", [0.3, np.array([0.2, 0.6])])
def test_gaussian_gradient_matches_finite_differences(sigma):
    base = lqr.random_lqr(3, 2, np.random.default_rng(5), gamma=0.9, spectral_radius=1.05)
    sys = lqr.LQR(base.A, base.B, base.Q, base.R, base.Sigma0, 0.9, W=0.05 * np.eye(3))
    K = stable_gain(sys, np.random.default_rng(6))
    grad = sys.gaussian_gradient(K, sigma)
    fdK = central_differences(lambda k: sys.gaussian_cost(k, sigma), K)
    fds = central_differences(lambda s: sys.gaussian_cost(K, s), sigma)
    assert_allclose(grad.K, fdK, rtol=1e-5, atol=1e-6 * np.abs(fdK).max())
    assert_allclose(grad.sigma, fds, rtol=1e-6)
    assert np.shape(grad.sigma) == np.shape(sigma)
    # noise changes grad_K (through Sigma_K), not the optimum (certainty equivalence)
    assert np.abs(grad.K - sys.gradient(K)).max() > 1e-3
    assert np.abs(sys.gaussian_gradient(sys.optimal_gain(), sigma).K).max() < 1e-8


@pytest.mark.parametrize("sigma", [0.0, 0.4, np.array([0.2, 0.7])])
def test_finite_horizon_cost_forward_and_gradient(sigma):
    base = lqr.random_lqr(2, 2, np.random.default_rng(8), gamma=1.0, spectral_radius=1.1)
    sys = lqr.LQR(base.A, base.B, base.Q, base.R, base.Sigma0, 1.0, W=0.1 * np.eye(2))
    K = 0.3 * np.ones((2, 2))
    T = 7
    # forward: C_T = sum_t gamma^t [tr((Q + K'RK) S_t) + tr(R diag(sigma^2))], S_{t+1} = L S_t L' + N
    Su = np.diag(np.broadcast_to(sigma, (2,)) ** 2)
    L, N = sys.A - sys.B @ K, sys.W + sys.B @ Su @ sys.B.T
    S, C = sys.Sigma0, 0.0
    for t in range(T):
        C += sys.gamma ** t * (np.trace((sys.Q + K.T @ sys.R @ K) @ S) + np.trace(sys.R @ Su))
        S = L @ S @ L.T + N
    assert_allclose(sys.finite_horizon_cost(K, T, sigma), C, rtol=1e-12)
    grad = sys.finite_horizon_gaussian_gradient(K, T, sigma)
    fdK = central_differences(lambda k: sys.finite_horizon_cost(k, T, sigma), K)
    assert_allclose(grad.K, fdK, rtol=1e-6)
    assert_allclose(sys.finite_horizon_gradient(K, T, sigma), grad.K, rtol=0, atol=0)
    if np.any(np.asarray(sigma) > 0):
        fds = central_differences(lambda s: sys.finite_horizon_cost(K, T, s), sigma)
        assert_allclose(grad.sigma, fds, rtol=1e-6)


def test_finite_horizon_tends_to_infinite_horizon():
    for sys, rng in systems():
        K = stable_gain(sys, rng)
        C, G = sys.cost(K), sys.gradient(K)
        errs = [abs(sys.finite_horizon_cost(K, T) - C) for T in (1, 4, 400)]
        assert errs[0] > errs[1] > 1e-6 * C
        assert errs[2] < 1e-12 * C
        assert_allclose(sys.finite_horizon_gradient(K, 400), G, rtol=1e-8, atol=1e-10 * np.abs(G).max())
    sys = lqr.example(gamma=0.9)
    K = sys.optimal_gain() * 0.8
    assert_allclose(sys.finite_horizon_cost(K, 400, 0.3), sys.gaussian_cost(K, 0.3), rtol=1e-12)
    g400, g = sys.finite_horizon_gaussian_gradient(K, 400, 0.3), sys.gaussian_gradient(K, 0.3)
    assert_allclose(g400.K, g.K, rtol=1e-10)
    assert_allclose(g400.sigma, g.sigma, rtol=1e-10)


def test_sampled_cost_matches_gaussian_cost(rng):
    # gamma = 0.9, T = 300: the truncated tail is below 0.9^300 ~ 2e-14 of the cost, far below the z bound
    base = lqr.example(gamma=0.9)
    sys = lqr.LQR(base.A, base.B, base.Q, base.R, base.Sigma0, 0.9, W=0.01 * np.eye(2))
    K = sys.optimal_gain() * 0.7
    samples = sys.sample_cost(K, 0.5, 300, 4000, rng)
    assert samples.shape == (4000,)
    assert z_scores(samples, sys.gaussian_cost(K, 0.5)) < Z
    # and the deterministic policy on the 1-D system, gamma = 1, against C_T
    s1 = lqr.scalar(1.2, 1.0, 1.0, 0.5, 2.0)
    samples = s1.sample_cost(0.8, 0.0, 20, 4000, rng)
    assert z_scores(samples, s1.finite_horizon_cost(0.8, 20)) < Z


@pytest.mark.parametrize("sigma", [0.5, np.array([0.4, 0.8])])
def test_reinforce_gradient_is_unbiased(rng, sigma):
    base = lqr.random_lqr(2, 2, np.random.default_rng(9), gamma=0.95, spectral_radius=1.05)
    sys = lqr.LQR(base.A, base.B, base.Q, base.R, base.Sigma0, 0.95, W=0.02 * np.eye(2))
    K = stable_gain(sys, np.random.default_rng(10), scale=0.3)
    T = 8
    g = sys.reinforce_gradient(K, sigma, T, 40_000, rng)
    assert g.shape == (40_000, 2, 2)
    exact = sys.finite_horizon_gradient(K, T, sigma)
    z = z_scores(g, exact)
    assert np.all(z < Z), z
    # the test has power: the deterministic gradient (sigma = 0) is rejected
    assert np.any(z_scores(g, sys.finite_horizon_gradient(K, T)) > Z)


def test_samples_are_reproducible():
    sys = lqr.example()
    a = sys.sample_cost([[1.0, 1.5]], 0.2, 10, 5, np.random.default_rng(1))
    b = sys.sample_cost([[1.0, 1.5]], 0.2, 10, 5, np.random.default_rng(1))
    assert_allclose(a, b, rtol=0, atol=0)


# ---------------------------------------------------------------------------------------------
# Errors, copies
# ---------------------------------------------------------------------------------------------

def test_unstable_gain_raises():
    sys = lqr.example()                       # double integrator, gamma = 1: K = 0 is unstable
    assert not sys.is_stable(np.zeros((1, 2)))
    assert_allclose(sys.spectral_radius(np.zeros((1, 2))), 1.0)
    for f in (sys.cost, sys.gradient, sys.value_matrix, sys.state_covariance, sys.q_function):
        with pytest.raises(ValueError, match=r"closed loop A - BK is unstable: spectral radius"):
            f(np.zeros((1, 2)))
    # the finite horizon needs no stability
    assert np.isfinite(sys.finite_horizon_cost(np.zeros((1, 2)), 5))


def test_noise_with_gamma_one_raises():
    sys = lqr.example()
    K = sys.optimal_gain()
    with pytest.raises(ValueError, match="gamma = 1 with noise"):
        sys.gaussian_cost(K, 0.1)
    with pytest.raises(ValueError, match="gamma = 1 with noise"):
        sys.gaussian_gradient(K, 0.1)
    noisy = lqr.LQR(sys.A, sys.B, sys.Q, sys.R, sys.Sigma0, 1.0, W=0.1 * np.eye(2))
    with pytest.raises(ValueError, match="gamma = 1 with noise"):
        noisy.cost(K)
    assert_allclose(sys.gaussian_cost(K, 0.0), sys.cost(K))


GOOD = dict(A=np.eye(2), B=np.ones((2, 1)), Q=np.eye(2), R=np.eye(1), Sigma0=np.eye(2))


@pytest.mark.parametrize("change, match", [
    (dict(A=np.ones((2, 3))), "A must be a non-empty square"),
    (dict(A=np.ones(2)), "A must be a non-empty square"),
    (dict(B=np.ones((3, 1))), "B must have shape"),
    (dict(B=np.ones(2)), "B must have shape"),
    (dict(Q=np.eye(3)), r"Q must have shape \(2, 2\)"),
    (dict(R=np.eye(2)), r"R must have shape \(1, 1\)"),
    (dict(Sigma0=np.eye(1)), r"Sigma0 must have shape \(2, 2\)"),
    (dict(W=np.eye(3)), r"W must have shape \(2, 2\)"),
    (dict(Q=[[1.0, 0.5], [0.0, 1.0]]), "Q must be symmetric"),
    (dict(Q=[[1.0, 0.0], [0.0, -1e-3]]), "Q must be positive semidefinite"),
    (dict(R=[[0.0]]), "R must be positive definite"),
    (dict(R=[[-1.0]]), "R must be positive definite"),
    (dict(Sigma0=[[1.0, 2.0], [2.0, 1.0]]), "Sigma0 must be positive semidefinite"),
    (dict(W=[[0.0, 1.0], [-1.0, 0.0]]), "W must be symmetric"),
    (dict(A=[[1.0, np.nan], [0.0, 1.0]]), "A must be finite"),
    (dict(B=[[np.inf], [0.0]]), "B must be finite"),
    (dict(R=[["x"]]), "R must be an array of numbers"),
    (dict(gamma=0.0), r"gamma must be in \(0, 1\]"),
    (dict(gamma=1.5), r"gamma must be in \(0, 1\]"),
    (dict(gamma="a"), "gamma must be a number"),
])
def test_validation(change, match):
    with pytest.raises(ValueError, match=match):
        lqr.LQR(**{**GOOD, **change})


def test_argument_validation():
    sys = lqr.example(gamma=0.9)
    K = sys.optimal_gain()
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"K must have shape \(m, n\) = \(1, 2\)"):
        sys.cost(np.ones((2, 1)))
    with pytest.raises(ValueError, match=r"K must have shape"):
        sys.cost(0.5)                             # a plain number only when n = m = 1
    with pytest.raises(ValueError, match="K must be finite"):
        sys.gradient([[np.nan, 1.0]])
    with pytest.raises(ValueError, match="sigma must be >= 0"):
        sys.gaussian_cost(K, -0.1)
    with pytest.raises(ValueError, match=r"sigma must be a number or have shape \(m,\)"):
        sys.gaussian_cost(K, [0.1, 0.2])
    with pytest.raises(ValueError, match="T must be a positive integer"):
        sys.finite_horizon_cost(K, 0)
    with pytest.raises(ValueError, match="T must be a positive integer"):
        sys.finite_horizon_gradient(K, 2.5)
    with pytest.raises(ValueError, match="n_episodes must be a positive integer"):
        sys.sample_cost(K, 0.1, 5, 0, rng)
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        sys.sample_cost(K, 0.1, 5, 3, 42)
    with pytest.raises(ValueError, match="sigma must be > 0 for REINFORCE"):
        sys.reinforce_gradient(K, 0.0, 5, 3, rng)
    with pytest.raises(ValueError, match="dt must be a positive number"):
        lqr.example(dt=0.0)
    with pytest.raises(ValueError, match="spectral_radius must be a positive number"):
        lqr.random_lqr(2, 1, rng, spectral_radius=-1.0)
    with pytest.raises(ValueError, match="x must have last axis 2 and u last axis 1"):
        sys.q_function(K)(np.ones(3), np.ones(1))
    with pytest.raises(ValueError, match="F and M must be square of the same shape"):
        lqr.solve_lyapunov(np.eye(2) * 0.5, np.eye(3))


def test_inputs_copied_read_only_and_not_mutated():
    A, B = np.array([[1.0, 0.1], [0.0, 1.0]]), np.array([[0.0], [0.1]])
    Q = np.array([[1.0, 1e-13], [0.0, 1.0]])      # symmetric within round-off: symmetrised copy
    args = [A, B, Q, np.eye(1), np.eye(2)]
    before = [a.copy() for a in args]
    sys = lqr.LQR(*args, gamma=0.9)
    K = np.array([[1.0, 1.0]])
    K0 = K.copy()
    sys.cost(K), sys.gradient(K), sys.gaussian_gradient(K, 0.2), sys.reinforce_gradient(K, 0.2, 3, 2, np.random.default_rng(0))
    for a, b in zip(args, before):
        assert_allclose(a, b, rtol=0, atol=0)
    assert_allclose(K, K0, rtol=0, atol=0)
    assert_allclose(sys.Q, sys.Q.T, rtol=0, atol=0)
    A[0, 0] = 5.0
    assert sys.A[0, 0] == 1.0
    for name in ("A", "B", "Q", "R", "Sigma0", "W"):
        with pytest.raises(ValueError):
            getattr(sys, name)[0, 0] = 2.0
    assert (sys.n, sys.m) == (2, 1)


def test_double_integrator_example():
    dt = 0.2
    sys = lqr.example(dt=dt, r=0.5, gamma=0.95, sigma0=2.0)
    assert_allclose(sys.A, [[1, dt], [0, 1]])
    assert_allclose(sys.B, [[dt ** 2 / 2], [dt]])
    assert_allclose(sys.R, [[0.5]])
    assert_allclose(sys.Sigma0, 4 * np.eye(2))
    # position x_{t+1} = x + dt v + dt^2/2 u, velocity v_{t+1} = v + dt u: one step by hand
    x, u = np.array([1.0, -2.0]), np.array([3.0])
    assert_allclose(sys.A @ x + sys.B @ u, [1 + dt * -2 + dt ** 2 / 2 * 3, -2 + dt * 3])
    assert sys.is_stable(sys.optimal_gain())
