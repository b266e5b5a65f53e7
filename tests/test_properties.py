"""Property tests over random MDPs and policies: independent formulas must agree."""
import numpy as np
from hypothesis import given, strategies as st
from numpy.testing import assert_allclose

import pglib
from pglib import estimators, exact

seeds = st.integers(0, 2**32 - 1)
sizes = st.tuples(st.integers(1, 5), st.integers(1, 4))


def setup(seed, S, A, gamma=0.9, n_terminal=0, scale=1.0):
    rng = np.random.default_rng(seed)
    mdp = pglib.random_mdp(S + n_terminal, A, rng, gamma=gamma, n_terminal=n_terminal)
    pol = pglib.SoftmaxPolicy(mdp.n_states, A)
    theta = scale * rng.normal(size=pol.theta_shape)
    return mdp, pol, theta


@given(seeds, sizes, st.sampled_from([0.0, 0.5, 0.9, 0.99]))
def test_policy_gradient_equals_finite_differences(seed, size, gamma):
    mdp, pol, theta = setup(seed, *size, gamma=gamma)
    g = exact.policy_gradient(mdp, pol, theta)
    fd = exact.finite_difference_gradient(mdp, pol, theta, eps=1e-5)
    scale = 1 + np.abs(exact.state_values(mdp, pol.probs(theta))).max()
    assert_allclose(g, fd, atol=1e-6 * scale)


@given(seeds, sizes)
def test_episodic_gradient_equals_finite_differences(seed, size):
    mdp, pol, theta = setup(seed, *size, gamma=1.0, n_terminal=1)
    assert_allclose(exact.policy_gradient(mdp, pol, theta),
                    exact.finite_difference_gradient(mdp, pol, theta), atol=1e-6)


@given(seeds, sizes)
def test_linear_softmax_gradient_equals_finite_differences(seed, size):
    S, A = size
    rng = np.random.default_rng(seed)
    mdp = pglib.random_mdp(S, A, rng, gamma=0.8)
    pol = pglib.LinearSoftmaxPolicy(rng.normal(size=(S, A, 3)))
    theta = rng.normal(size=3)
    assert_allclose(exact.policy_gradient(mdp, pol, theta),
                    exact.finite_difference_gradient(mdp, pol, theta), atol=1e-6)


@given(seeds, sizes, st.sampled_from([0.0, 0.3, 0.95]))
def test_objective_three_ways_and_occupancy_mass(seed, size, gamma):
    mdp, pol, theta = setup(seed, *size, gamma=gamma)
    pi = pol.probs(theta)
    J = exact.objective(mdp, pol, theta)
    rho = exact.occupancy(mdp, pi)
    assert_allclose(J, mdp.p0 @ exact.state_values(mdp, pi), rtol=1e-10)
    # J = sum_s rho(s) r^pi(s)
    assert_allclose(J, rho @ exact.reward_vector(mdp, pi), rtol=1e-8, atol=1e-10)
    assert_allclose(rho.sum(), 1 / (1 - gamma), rtol=1e-10)
    # rho = p0^T sum_t gamma^t (P^pi)^t, truncated power sum
    M, acc, term = exact.transition_matrix(mdp, pi), np.zeros(mdp.n_states), mdp.p0.copy()
    for t in range(2000):
        acc += term
        term = gamma * term @ M
    assert_allclose(rho, acc, rtol=1e-8, atol=1e-12)


@given(seeds, sizes)
def test_expected_visits_is_sum_of_k_step(seed, size):
    mdp, pol, theta = setup(seed, *size, gamma=1.0, n_terminal=1)
    pi = pol.probs(theta)
    n = exact.expected_visits(mdp, pi)
    partial = sum(mdp.p0 @ exact.k_step(mdp, pi, k) for k in range(400))
    assert_allclose(partial, n, rtol=1e-8, atol=1e-12)
    # phi(k+1) = phi(k) phi(1)
    assert_allclose(exact.k_step(mdp, pi, 5), exact.k_step(mdp, pi, 4) @ exact.k_step(mdp, pi, 1), atol=1e-14)
    # Episodic, gamma = 1: the occupancy is n and the on-policy distribution sums to 1
    assert_allclose(exact.occupancy(mdp, pi), n, rtol=1e-10)
    assert_allclose(exact.on_policy_distribution(mdp, pi).sum(), 1.0)


@given(seeds, st.tuples(st.integers(1, 3), st.integers(1, 3)), st.integers(1, 4),
       st.sampled_from([1.0, 0.8]))
def test_enumeration_gives_J_and_gradient(seed, size, T, gamma):
    mdp, pol, theta = setup(seed, *size, gamma=gamma, n_terminal=1)
    pi = pol.probs(theta)
    enum = exact.trajectory_distribution(mdp, pi, T)
    assert_allclose(enum.prob.sum(), 1.0, rtol=1e-12)
    # E[r(tau)] = J_T (backward induction)
    assert_allclose(enum.expect(enum.returns(gamma)), exact.objective(mdp, pol, theta, horizon=T), atol=1e-12)
    # E[grad log rho(tau) r(tau)] = grad J_T = central finite differences of J_T
    g_T = exact.policy_gradient(mdp, pol, theta, horizon=T)
    assert_allclose(g_T, exact.finite_difference_gradient(mdp, pol, theta, horizon=T), atol=1e-7)
    total = estimators.reinforce_total_return(enum, pol, theta, gamma)
    to_go = estimators.reinforce_reward_to_go(enum, pol, theta, gamma)
    assert_allclose(total.mean, g_T, atol=1e-10)
    assert_allclose(to_go.mean, total.mean, atol=1e-10)
    v = exact.state_values(mdp, pi)
    assert_allclose(estimators.reinforce_baseline(enum, pol, theta, gamma, v).mean, g_T, atol=1e-10)


@given(seeds, sizes)
def test_finite_horizon_converges_to_infinite(seed, size):
    mdp, pol, theta = setup(seed, *size, gamma=0.7)
    assert_allclose(exact.objective(mdp, pol, theta, horizon=200), exact.objective(mdp, pol, theta), atol=1e-10)
    assert_allclose(exact.policy_gradient(mdp, pol, theta, horizon=200),
                    exact.policy_gradient(mdp, pol, theta), atol=1e-10)


@given(seeds, sizes)
def test_value_gradient_solves_bellman_equation_on_grad_v(seed, size):
    mdp, pol, theta = setup(seed, *size, gamma=0.85)
    grad_v = exact.value_gradient(mdp, pol, theta)
    # finite differences of v(s) for every state
    eps = 1e-5
    fd = np.zeros_like(grad_v)
    for i in np.ndindex(theta.shape):
        e = np.zeros_like(theta)
        e[i] = eps
        fd[(slice(None),) + i] = (exact.state_values(mdp, pol.probs(theta + e))
                                  - exact.state_values(mdp, pol.probs(theta - e))) / (2 * eps)
    assert_allclose(grad_v, fd, atol=1e-6)
    # grad J = p0 . grad v
    assert_allclose(np.tensordot(mdp.p0, grad_v, axes=1), exact.policy_gradient(mdp, pol, theta), atol=1e-10)


@given(seeds, sizes)
def test_advantages_have_zero_policy_mean(seed, size):
    mdp, pol, theta = setup(seed, *size)
    pi = pol.probs(theta)
    assert_allclose((pi * exact.advantages(mdp, pi)).sum(axis=1), 0.0, atol=1e-10)


@given(seeds, sizes)
def test_delta_and_start_swapped_values(seed, size):
    """Delta(s) = grad v(s) - gamma sum_x P^pi(s, x) grad v(x); grad J from a start state s equals grad v(s)."""
    mdp, pol, theta = setup(seed, *size, gamma=0.8)
    grad_v = exact.value_gradient(mdp, pol, theta)
    M = exact.transition_matrix(mdp, pol.probs(theta))
    assert_allclose(exact.delta(mdp, pol, theta),
                    grad_v - mdp.gamma * np.tensordot(M, grad_v, axes=1), atol=1e-10)
    s = mdp.n_states - 1
    start = mdp.with_p0(np.eye(mdp.n_states)[s])
    assert_allclose(exact.policy_gradient(start, pol, theta), grad_v[s], atol=1e-10)
