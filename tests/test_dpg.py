"""pglib.dpg against independent answers: finite differences of the LQR cost, the 1-D derivative
worked by hand, a loop over states, and seeded Monte Carlo z-tests of the sampled estimators."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from pglib import dpg, lqr

Z = 4.0          # z bound of every Monte Carlo test (seeded: the outcome is fixed)


def z_scores(samples, reference):
    samples = np.asarray(samples, dtype=float)
    se = samples.std(axis=0, ddof=1) / np.sqrt(samples.shape[0])
    return np.abs(samples.mean(axis=0) - reference) / se


def central_differences(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def stable_gain(sys, rng, scale=0.3):
    K_star = sys.optimal_gain()
    for _ in range(100):
        K = K_star + scale * rng.standard_normal(K_star.shape)
        if sys.spectral_radius(K) < 0.97:
            return K
    raise RuntimeError("no stable perturbation found")


@pytest.mark.parametrize("gamma", [0.9, 1.0])
def test_dpg_with_the_exact_q_and_state_measure_is_the_gradient_of_the_cost(gamma):
    rng = np.random.default_rng(14)
    sys = lqr.random_lqr(3, 2, rng, gamma=gamma, spectral_radius=1.1)
    K = stable_gain(sys, rng)
    g = dpg.expected_gradient(sys, K, sys.state_covariance(K))
    assert_allclose(g, central_differences(sys.cost, K), rtol=1e-6, atol=1e-7)


def test_scalar_dpg_matches_the_derivative_worked_by_hand():
    # C(k) = s0 (q + r k^2) / (1 - gamma (a - b k)^2), so
    # C'(k) = 2 Sigma_k (r k - gamma b (a - b k) p_k), Sigma_k = s0 / (1 - gamma (a - bk)^2), p_k = (q + r k^2) / (...)
    a, b, q, r, s0, gamma, k = 1.2, 0.5, 1.0, 0.3, 2.0, 0.95, 1.1
    sys = lqr.scalar(a, b, q, r, s0, gamma)
    d = 1.0 - gamma * (a - b * k) ** 2
    by_hand = 2 * (s0 / d) * (r * k - gamma * b * (a - b * k) * (q + r * k * k) / d)
    assert_allclose(dpg.expected_gradient(sys, k, [[s0 / d]]), [[by_hand]], rtol=1e-12)


def test_weighted_sum_equals_a_loop_over_states():
    rng = np.random.default_rng(1)
    sys = lqr.random_lqr(3, 2, rng, gamma=0.9)
    K = stable_gain(sys, rng)
    x, w = rng.standard_normal((4, 5, 3)), rng.uniform(0, 2, (4, 5))
    Qk = sys.q_function(K)
    loop = np.zeros((2, 3))
    for i in np.ndindex(w.shape):
        u = -K @ x[i]
        # d m_i / d K_ij = -x_j, so the term is -grad_u Q (x, u) x^T
        loop += w[i] * np.outer(-2 * (Qk.Qxu.T @ x[i] + Qk.Quu @ u), x[i])
    assert_allclose(dpg.gradient(sys, K, x, w), loop, rtol=1e-12)
    x_before = x.copy()
    dpg.gradient(sys, K, x, w)
    assert np.array_equal(x, x_before)


def test_second_moment_points_reproduce_the_matrix():
    rng = np.random.default_rng(2)
    M = rng.standard_normal((3, 2))
    S = M @ M.T                                   # rank 2
    X = dpg.second_moment_points(S)
    assert_allclose(X.T @ X, S, atol=1e-12)


def test_on_policy_episodes_average_to_the_gradient():
    sys = lqr.example(dt=0.1, gamma=0.9)
    K = np.array([[1.0, 1.0]])
    samples = dpg.episode_gradients(sys, K, 200, 4000, np.random.default_rng(3))
    assert samples.shape == (4000, 1, 2)
    assert np.all(z_scores(samples, sys.gradient(K)) < Z)


def test_off_policy_episodes_average_to_the_dpg_over_the_behaviour_states():
    # states of u = -K_b x + sigma_b eps; the reference uses the behaviour's exact second moment
    sys = lqr.example(dt=0.1, gamma=0.9)
    K, Kb, sb = np.array([[1.0, 1.0]]), np.array([[0.3, 0.2]]), 0.5
    samples = dpg.episode_gradients(sys, K, 300, 4000, np.random.default_rng(4), behaviour_gain=Kb,
                                    behaviour_sigma=sb)
    reference = dpg.expected_gradient(sys, K, sys.state_covariance(Kb, sb))
    assert np.all(z_scores(samples, reference) < Z)
    # and it is not the on-policy gradient
    assert np.max(z_scores(samples, sys.gradient(K))) > 10


def test_gaussian_policy_states_give_the_gaussian_gradient():
    # on LQR grad_u Q is affine in u, so the DPG over the sigma-policy's states is grad_K C_sigma
    sys = lqr.example(dt=0.1, gamma=0.9)
    K, sigma = np.array([[1.0, 1.0]]), 0.7
    assert_allclose(dpg.expected_gradient(sys, K, sys.state_covariance(K, sigma)),
                    sys.gaussian_gradient(K, sigma).K, rtol=1e-10)


@pytest.mark.parametrize("call, match", [
    (lambda s: dpg.gradient("not a system", [[1.0, 1.0]], np.ones((2, 2))), "pglib.lqr.LQR"),
    (lambda s: dpg.gradient(s, [[1.0, 1.0]], np.ones((4, 3))), "last axis"),
    (lambda s: dpg.gradient(s, [[1.0, 1.0]], np.ones((4, 2)), np.ones(3)), "weights"),
    (lambda s: dpg.gradient(s, [[1.0, 1.0, 1.0]], np.ones((4, 2))), "K must have shape"),
    (lambda s: dpg.gradient(s, [[-5.0, 0.0]], np.ones((4, 2))), "unstable"),
    (lambda s: dpg.expected_gradient(s, [[1.0, 1.0]], np.eye(3)), "S must have shape"),
    (lambda s: dpg.second_moment_points([[1.0, 2.0], [0.0, 1.0]]), "symmetric"),
    (lambda s: dpg.second_moment_points([[1.0, 0.0], [0.0, -1.0]]), "semidefinite"),
    (lambda s: dpg.episode_gradients(s, [[1.0, 1.0]], 10, 5, 0), "Generator"),
    (lambda s: dpg.episode_gradients(s, [[1.0, 1.0]], 10, 5, np.random.default_rng(0), behaviour_sigma=-1), "sigma"),
])
def test_bad_input_raises_value_error_naming_the_problem(call, match):
    with pytest.raises(ValueError, match=match):
        call(lqr.example(dt=0.1, gamma=0.9))
