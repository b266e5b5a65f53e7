"""pglib.smoothing against independent answers: Gaussian moments and closed-form smoothings, the
trapezoid rule on a scalar regulator worked by hand, finite differences, pglib.lqr's own recursions
and simulator, and seeded Monte Carlo z-tests."""
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from pglib import lqr, smoothing as S

Z = 4.0          # z bound of every Monte Carlo test (seeded: the outcome is fixed)


def z_scores(samples, reference):
    """|mean - reference| / standard error, per coordinate (samples along axis 0)."""
    samples = np.asarray(samples, dtype=float)
    se = samples.std(axis=0, ddof=1) / np.sqrt(samples.shape[0])
    return np.abs(samples.mean(axis=0) - reference) / se


def double_factorial(k):
    return math.prod(range(k - 1, 0, -2)) if k > 0 else 1


def central_differences(f, x, eps=1e-6):
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


SYSTEM = lqr.example(dt=0.1, gamma=0.9)
K11 = np.array([[1.0, 1.0]])


# ---------------------------------------------------------------------------------------------
# The quadrature rule
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_gauss_hermite_one_dimensional_moments(n):
    x, w = S.gauss_hermite(1, n)
    assert x.shape == (n, 1) and w.shape == (n,)
    assert_allclose(w.sum(), 1.0, rtol=1e-14)
    # E xi^k = (k - 1)!! for even k, 0 for odd k: exact up to degree 2n - 1
    for k in range(2 * n):
        exact = double_factorial(k) if k % 2 == 0 else 0.0
        assert_allclose(w @ x[:, 0] ** k, exact, rtol=1e-11, atol=1e-11)
    # and not beyond: the moment of degree 2n is missed (the rule has only n nodes)
    assert abs(w @ x[:, 0] ** (2 * n) - double_factorial(2 * n)) > 1e-3


def test_gauss_hermite_tensor_moments_and_symmetry():
    x, w = S.gauss_hermite(3, 4)
    assert x.shape == (64, 3)
    # E[xi_1^a xi_2^b xi_3^c] = product of one-dimensional moments, all degrees <= 7
    for a, b, c in [(0, 0, 0), (2, 0, 0), (2, 4, 0), (6, 2, 2), (1, 2, 2), (3, 3, 0), (4, 6, 2)]:
        exact = math.prod(double_factorial(k) if k % 2 == 0 else 0 for k in (a, b, c))
        assert_allclose(w @ (x[:, 0] ** a * x[:, 1] ** b * x[:, 2] ** c), exact, rtol=1e-11, atol=1e-11)
    # node N - 1 - i is exactly minus node i, with the same weight
    assert np.array_equal(x[::-1], -x)
    assert np.array_equal(w[::-1], w)


# ---------------------------------------------------------------------------------------------
# Smoothing of functions with closed-form answers
# ---------------------------------------------------------------------------------------------

def test_smoothing_a_quadratic_shifts_it_by_a_constant():
    rng = np.random.default_rng(0)
    d = 3
    M = rng.standard_normal((d, d))
    H, g, c = M + M.T, rng.standard_normal(d), 1.7          # H indefinite in general
    theta = rng.standard_normal(d)

    def f(P):
        return c + P @ g + 0.5 * np.einsum("ni,ij,nj->n", P, H, P)

    for nu in (0.01, 0.5, 3.0):
        # f^nu = f + nu^2 tr(H) / 2, grad f^nu = grad f = g + H theta (two nodes suffice: degree 2)
        assert_allclose(S.smooth(f, theta, nu, 2), f(theta[None])[0] + 0.5 * nu ** 2 * np.trace(H), rtol=1e-12)
        assert_allclose(S.stein_gradient(f, theta, nu, 2), g + H @ theta, rtol=1e-11, atol=1e-12)


def test_smoothing_a_cubic_by_hand():
    # f = sum_i a_i theta_i^3: E (theta + nu xi)^3 = theta^3 + 3 theta nu^2, so grad f^nu = 3 a (theta^2 + nu^2)
    a, theta, nu = np.array([1.0, -2.0]), np.array([0.3, 1.1]), 0.7

    def f(P):
        return (P ** 3) @ a

    assert_allclose(S.smooth(f, theta, nu, 2), a @ (theta ** 3 + 3 * theta * nu ** 2), rtol=1e-12)
    assert_allclose(S.stein_gradient(f, theta, nu, 3), 3 * a * (theta ** 2 + nu ** 2), rtol=1e-12)
    # two nodes integrate the Stein integrand (degree 4 in xi) wrongly
    assert np.abs(S.stein_gradient(f, theta, nu, 2) - 3 * a * (theta ** 2 + nu ** 2)).max() > 1e-3


def test_smoothing_an_exponential_in_closed_form():
    # E exp(b'(theta + nu xi)) = exp(b'theta + nu^2 |b|^2 / 2), gradient b times that (not a polynomial:
    # the rule converges, exactly enough with 30 nodes per coordinate)
    b, theta, nu = np.array([0.4, -0.3]), np.array([0.2, 0.5]), 0.8
    exact = math.exp(b @ theta + 0.5 * nu ** 2 * b @ b)

    def f(P):
        return np.exp(P @ b)

    assert_allclose(S.smooth(f, theta, nu, 30), exact, rtol=1e-13)
    assert_allclose(S.stein_gradient(f, theta, nu, 30), b * exact, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# LQR: batched finite-horizon costs and simulated episodes
# ---------------------------------------------------------------------------------------------

def test_batched_costs_equal_lqr_finite_horizon_cost():
    rng = np.random.default_rng(1)
    sys = lqr.random_lqr(3, 2, rng, gamma=0.95, spectral_radius=1.2)
    gains = 0.8 * rng.standard_normal((6, 2, 3))             # stable and unstable gains alike
    for T in (1, 2, 7):
        ref = [sys.finite_horizon_cost(K, T) for K in gains]
        assert_allclose(S.costs(sys, gains, T), ref, rtol=1e-12)
    assert any(not sys.is_stable(K) for K in gains)


def test_episode_costs_simulated_equal_the_quadratic_form():
    rng = np.random.default_rng(2)
    sys = lqr.random_lqr(3, 2, rng, gamma=0.9, spectral_radius=1.1)
    gains, x0, T = 0.5 * rng.standard_normal((5, 2, 3)), rng.standard_normal((5, 3)), 12
    simulated = S.episode_costs(sys, gains, x0, T)
    # the recursion for P_T, independently of the simulation
    P = S.value_matrices(sys, gains, T)
    assert_allclose(simulated, np.einsum("ni,nij,nj->n", x0, P, x0), rtol=1e-11)
    # and pglib.lqr's own finite-horizon cost with the start fixed at x0 (Sigma0 = x0 x0')
    for K, x in zip(gains, x0):
        fixed = lqr.LQR(sys.A, sys.B, sys.Q, sys.R, np.outer(x, x), sys.gamma)
        assert_allclose(S.episode_costs(sys, K[None], x[None], T)[0], fixed.finite_horizon_cost(K, T), rtol=1e-11)


def test_start_states_and_quadratic_form_moments():
    rng = np.random.default_rng(3)
    sys = lqr.random_lqr(3, 1, rng, gamma=0.9)
    x = S.start_states(sys, 40000, rng)
    outer = np.einsum("ni,nj->nij", x, x)
    assert np.all(z_scores(outer, sys.Sigma0) < Z)
    # E[x'Mx] = tr(M S0), E[(x'Mx)^2] = 2 tr((M S0)^2) + tr(M S0)^2, M symmetric (not PSD)
    M = rng.standard_normal((3, 3))
    M = M + M.T
    q = np.einsum("ni,ij,nj->n", x, M, x)
    m1, m2 = S._moments(sys, M[None])
    assert z_scores(q, m1[0]) < Z
    assert z_scores(q ** 2, m2[0]) < Z


# ---------------------------------------------------------------------------------------------
# LQR: the smoothed cost and its gradient
# ---------------------------------------------------------------------------------------------

def scalar_cost(k, a, b, q, r, s0, gamma, T):
    """C_T(k) = s0 sum_{t<T} gamma^t (q + r k^2) (a - b k)^(2t), by hand; and its derivative."""
    t = np.arange(T)[:, None]
    l = a - b * k
    c = s0 * np.sum(gamma ** t * (q + r * k ** 2) * l ** (2 * t), axis=0)
    dc = s0 * np.sum(gamma ** t * (2 * r * k * l ** (2 * t) - (q + r * k ** 2) * 2 * t * b * l ** (2 * t - 1)), axis=0)
    return c, dc


@pytest.mark.parametrize("nu", [0.05, 0.3])
def test_smoothed_scalar_regulator_by_the_trapezoid_rule(nu):
    a, b, q, r, s0, gamma, T, k = 1.1, 0.5, 1.0, 0.4, 2.0, 0.9, 15, 0.8
    sys = lqr.scalar(a, b, q, r, s0, gamma)
    xi = np.linspace(-14.0, 14.0, 200001)
    phi = np.exp(-0.5 * xi ** 2) / math.sqrt(2 * math.pi)
    c, dc = scalar_cost(k + nu * xi, a, b, q, r, s0, gamma, T)
    assert_allclose(sys.finite_horizon_cost(k, T), scalar_cost(np.array([k]), a, b, q, r, s0, gamma, T)[0][0],
                    rtol=1e-12)          # the hand formula is pglib.lqr's cost
    # E C_T(k + nu xi) and E C_T'(k + nu xi) (the gradient passed under the integral)
    assert_allclose(S.smoothed_cost(sys, k, nu, T), np.trapezoid(phi * c, xi), rtol=1e-10)
    assert_allclose(S.smoothed_gradient(sys, k, nu, T), [[np.trapezoid(phi * dc, xi)]], rtol=1e-9)


def test_smoothed_gradient_is_the_derivative_of_the_smoothed_cost():
    T, nu = 20, 0.3
    g = S.smoothed_gradient(SYSTEM, K11, nu, T)
    fd = central_differences(lambda K: S.smoothed_cost(SYSTEM, K, nu, T), K11)
    assert_allclose(g, fd, rtol=1e-6)
    # exact: more nodes change nothing beyond round-off; too few nodes do
    assert_allclose(S.smoothed_gradient(SYSTEM, K11, nu, T, n_nodes=T + 9), g, rtol=1e-11)
    assert np.abs(S.smoothed_gradient(SYSTEM, K11, nu, T, n_nodes=4) - g).max() > 1e-6 * np.abs(g).max()


def test_smoothed_gradient_is_the_mean_of_exact_gradients():
    # grad E C_T(K + nu xi) = E grad C_T(K + nu xi), the latter from pglib.lqr's gradient recursion
    T, nu = 10, 0.4
    rng = np.random.default_rng(4)
    grads = [SYSTEM.finite_horizon_gradient(K11 + nu * rng.standard_normal(K11.shape), T) for _ in range(1000)]
    assert np.all(z_scores(np.array(grads), S.smoothed_gradient(SYSTEM, K11, nu, T)) < Z)


def test_one_step_cost_is_quadratic_so_smoothing_leaves_its_gradient():
    # C_1(K) = tr((Q + K'RK) Sigma0) is quadratic in K: grad C_1^nu = grad C_1 for every nu, and the
    # antithetic estimator does not depend on nu (exact variance constant in nu)
    sys = lqr.random_lqr(2, 2, np.random.default_rng(5), gamma=0.9)
    K = np.array([[0.3, -0.2], [0.1, 0.5]])
    for nu in (0.01, 1.0, 5.0):
        assert_allclose(S.smoothed_gradient(sys, K, nu, 1), sys.finite_horizon_gradient(K, 1), rtol=1e-10, atol=1e-12)
    assert_allclose(S.es_variance(sys, K, 0.01, 1), S.es_variance(sys, K, 5.0, 1), rtol=1e-9)


# ---------------------------------------------------------------------------------------------
# LQR: the ES estimators and their exact variances
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", S.KINDS)
def test_es_samples_unbiased_and_variance_exact(kind):
    T, nu = 20, 0.2
    rng = np.random.default_rng(6)
    samples = S.es_samples(SYSTEM, K11, nu, T, 40000, rng, kind)
    mean = S.smoothed_gradient(SYSTEM, K11, nu, T)
    assert samples.shape == (40000, 1, 2)
    assert np.all(z_scores(samples, mean) < Z)
    # squared deviations from the exact mean average to the exact variance
    assert np.all(z_scores((samples - mean) ** 2, S.es_variance(SYSTEM, K11, nu, T, kind)) < Z)


def test_es_variances_scale_with_nu():
    T = 20
    small, smaller = S.es_variances(SYSTEM, K11, 1e-2, T), S.es_variances(SYSTEM, K11, 1e-3, T)
    # plain and independent: nu^2 Var tends to a constant (the variance grows like 1/nu^2)
    for kind in ("plain", "independent"):
        assert_allclose(1e-6 * smaller[kind], 1e-4 * small[kind], rtol=1e-3)
    # antithetic with a common start: bounded as nu -> 0
    assert_allclose(smaller["antithetic"], small["antithetic"], rtol=1e-3)
    # plain: nu^2 Var -> E[F(K)^2] = E[(x0' P_T(K) x0)^2], the same in every coordinate
    m2 = S._moments(SYSTEM, S.value_matrices(SYSTEM, K11[None], T))[1][0]
    assert_allclose(1e-6 * smaller["plain"], [[m2, m2]], rtol=1e-4)


def test_perturbed_costs_pairs():
    rng = np.random.default_rng(7)
    p = S.perturbed_costs(SYSTEM, K11, 0.1, 15, 4, rng, "antithetic")
    assert p.xi.shape == (4, 1, 2) and p.plus.shape == p.minus.shape == (4,)
    assert S.perturbed_costs(SYSTEM, K11, 0.1, 15, 4, rng, "plain").minus is None
    # a common start: the pair's costs are x0' P(K +- nu xi) x0 for the same x0, so with xi -> 0 they coincide
    q = S.perturbed_costs(SYSTEM, K11, 1e-9, 15, 4, np.random.default_rng(8), "antithetic")
    assert_allclose(q.plus, q.minus, rtol=1e-7)
    r = S.perturbed_costs(SYSTEM, K11, 1e-9, 15, 4, np.random.default_rng(8), "independent")
    assert np.abs(r.plus - r.minus).max() > 1e-3


# ---------------------------------------------------------------------------------------------
# Bad input, no mutation
# ---------------------------------------------------------------------------------------------

def test_bad_input_raises_value_error_naming_the_problem():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="nu must be a positive number"):
        S.smoothed_gradient(SYSTEM, K11, 0.0, 5)
    with pytest.raises(ValueError, match="nu must be a positive number"):
        S.es_samples(SYSTEM, K11, float("nan"), 5, 3, rng)
    with pytest.raises(ValueError, match="nu must be a positive number"):
        S.smooth(lambda P: P[:, 0], [0.0], "wide", 2)
    with pytest.raises(ValueError, match="kind must be one of"):
        S.es_samples(SYSTEM, K11, 0.1, 5, 3, rng, kind="mirrored")
    with pytest.raises(ValueError, match="process noise"):
        S.smoothed_cost(lqr.scalar(0.5, 1.0, 1.0, 1.0, 1.0, 0.9, w=0.1), 0.2, 0.1, 5)
    with pytest.raises(ValueError, match="gains must have shape"):
        S.costs(SYSTEM, np.zeros((3, 2)), 5)
    with pytest.raises(ValueError, match="x0 must have shape"):
        S.episode_costs(SYSTEM, np.zeros((3, 1, 2)), np.zeros((2, 2)), 5)
    with pytest.raises(ValueError, match="T must be a positive integer"):
        S.costs(SYSTEM, np.zeros((3, 1, 2)), 0)
    with pytest.raises(ValueError, match="K must have shape"):
        S.smoothed_cost(SYSTEM, np.zeros((2, 1)), 0.1, 5)
    with pytest.raises(ValueError, match="too large"):
        S.gauss_hermite(7, 10)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        S.gauss_hermite(2, 0)
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        S.es_samples(SYSTEM, K11, 0.1, 5, 3, 42)
    with pytest.raises(ValueError, match="f must map points"):
        S.smooth(lambda P: P, [0.0, 1.0], 0.1, 2)


def test_inputs_not_mutated():
    K, gains, x0 = K11.copy(), np.ones((2, 1, 2)), np.ones((2, 2))
    S.smoothed_gradient(SYSTEM, K, 0.1, 5)
    S.es_samples(SYSTEM, K, 0.1, 5, 3, np.random.default_rng(0))
    S.episode_costs(SYSTEM, gains, x0, 5)
    theta = np.array([0.5, -0.5])
    S.stein_gradient(lambda P: P.sum(axis=1), theta, 0.1, 2)
    assert np.array_equal(K, K11) and np.array_equal(gains, np.ones((2, 1, 2)))
    assert np.array_equal(x0, np.ones((2, 2))) and np.array_equal(theta, [0.5, -0.5])
