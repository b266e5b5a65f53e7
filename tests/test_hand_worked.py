"""Exact quantities against answers worked out by hand (formulas written in the tests)."""
import numpy as np
from numpy.testing import assert_allclose

import pglib
from pglib import exact


def two_state_closed_form(p, q, gamma):
    """Values of the two-state MDP by Cramer's rule on (I - gamma P^pi) v = r^pi."""
    # P^pi = [[p, 1-p], [1-q, q]],  r^pi = [p, 2(1-q)]
    a, b = 1 - gamma * p, -gamma * (1 - p)
    c, d = -gamma * (1 - q), 1 - gamma * q
    r0, r1 = p, 2 * (1 - q)
    det = a * d - b * c
    return np.array([(r0 * d - b * r1) / det, (a * r1 - c * r0) / det])


def test_two_state_values_occupancy_and_gradient():
    gamma = 0.9
    mdp = pglib.two_state_mdp(gamma)
    pol = pglib.SoftmaxPolicy(2, 2)
    theta = np.array([[0.4, -0.2], [0.1, 0.7]])
    pi = pol.probs(theta)
    p, q = pi[0, 0], pi[1, 0]
    v = two_state_closed_form(p, q, gamma)
    assert_allclose(exact.state_values(mdp, pi), v, rtol=1e-12)

    # q(s, a) = R(s, a) + gamma v(next state)
    qv = np.array([[1 + gamma * v[0], gamma * v[1]], [gamma * v[1], 2 + gamma * v[0]]])
    assert_allclose(exact.action_values(mdp, pi), qv, rtol=1e-12)

    # rho = p0^T (I - gamma P^pi)^{-1} by the 2x2 inverse, p0 = (1, 0): first row of the inverse
    a, b = 1 - gamma * p, -gamma * (1 - p)
    c, d = -gamma * (1 - q), 1 - gamma * q
    det = a * d - b * c
    rho = np.array([d / det, -b / det])
    assert_allclose(exact.occupancy(mdp, pi), rho, rtol=1e-12)
    assert_allclose(rho.sum(), 1 / (1 - gamma), rtol=1e-12)

    # Gradient: dJ/dtheta[s, b] = rho(s) pi(b|s) (q(s, b) - v(s)) for the tabular softmax
    grad = rho[:, None] * pi * (qv - v[:, None])
    assert_allclose(exact.policy_gradient(mdp, pol, theta), grad, rtol=1e-10)
    assert_allclose(exact.objective(mdp, pol, theta), v[0], rtol=1e-12)


def test_chain_two_states_by_hand():
    mdp = pglib.chain_mdp(n=2, gamma=1.0)
    pol = pglib.SoftmaxPolicy(3, 2)
    theta = np.array([[0.0, 0.5], [-0.3, 0.2], [0.0, 0.0]])
    pi = pol.probs(theta)
    p0, p1 = pi[0, 1], pi[1, 1]
    # v1 = -1 + (1 - p1) v0, v0 = -1 + p0 v1 + (1 - p0) v0  =>
    v1 = -(1 + p0 - p1) / (p0 * p1)
    v0 = v1 - 1 / p0
    assert_allclose(exact.state_values(mdp, pi), [v0, v1, 0.0], rtol=1e-12)
    # Expected visits: n = p0^T (I - P^pi)^{-1}; state 1 is left by the goal w.p. p1 each visit:
    # n(1) = 1/p1 visits per arrival... every visit to 1 comes from 0 or 1, and the
    # episode length is -v0 (cost 1 per step).
    n = exact.expected_visits(mdp, pi)
    assert_allclose(n[:2].sum(), -v0, rtol=1e-12)
    # n(1) p1 = 1 (the goal is entered exactly once, only from state 1)
    assert_allclose(n[1] * p1, 1.0, rtol=1e-12)
    assert n[2] == 0.0
    assert_allclose(exact.on_policy_distribution(mdp, pi), n / n.sum(), rtol=1e-12)


def test_short_corridor_matches_sutton_barto():
    mdp = pglib.short_corridor()
    X = np.zeros((4, 2, 2))
    X[:, 0, 1] = 1.0          # LEFT -> feature 1
    X[:, 1, 0] = 1.0          # RIGHT -> feature 0
    pol = pglib.LinearSoftmaxPolicy(X)
    for t in (-1.0, 0.0, 0.35, 2.0):
        theta = np.array([t, 0.0])
        p = 1 / (1 + np.exp(-t))                      # Pr(RIGHT)
        J = (2 * p - 4) / (p * (1 - p))
        assert_allclose(exact.objective(mdp, pol, theta), J, rtol=1e-12)
        # dJ/dp = (2 p (1-p) - (2p - 4)(1 - 2p)) / (p (1-p))^2, dp/dt = p (1-p)
        dJdp = (2 * p * (1 - p) - (2 * p - 4) * (1 - 2 * p)) / (p * (1 - p)) ** 2
        g = dJdp * p * (1 - p)
        assert_allclose(exact.policy_gradient(mdp, pol, theta), [g, -g], rtol=1e-10)
    # the optimum p = 2 - sqrt(2) has zero gradient
    p = 2 - np.sqrt(2)
    theta = np.array([np.log(p / (1 - p)), 0.0])
    assert_allclose(exact.policy_gradient(mdp, pol, theta), [0.0, 0.0], atol=1e-10)


def test_k_step_on_deterministic_chain():
    mdp = pglib.chain_mdp(n=3, gamma=1.0)
    pi = np.tile([0.0, 1.0], (4, 1))            # always RIGHT: 0 -> 1 -> 2 -> goal
    phi1 = exact.k_step(mdp, pi, 1)
    assert_allclose(phi1, [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0]])
    assert_allclose(exact.k_step(mdp, pi, 0), np.diag([1, 1, 1, 0]))
    assert_allclose(exact.k_step(mdp, pi, 3), np.zeros((4, 4)))
    assert_allclose(exact.expected_visits(mdp, pi), [1, 1, 1, 0])
    assert_allclose(exact.state_values(mdp, pi), [-3, -2, -1, 0])


def test_grid_world_slippery_matches_frozenlake_tables():
    import gymnasium as gym
    env = gym.make("FrozenLake-v1", map_name="4x4", is_slippery=True)
    ours = pglib.grid_world(pglib.examples.FROZEN_LAKE_4x4, gamma=0.9, slip=2 / 3)
    theirs = pglib.envs.from_gymnasium(env, gamma=0.9)
    pol_a, pol_b = pglib.SoftmaxPolicy(16, 4), pglib.SoftmaxPolicy(17, 4)
    theta = np.random.default_rng(3).normal(size=(17, 4))
    J_a = exact.objective(ours, pol_a, theta[:16])
    J_b = exact.objective(theirs, pol_b, theta)
    assert_allclose(J_a, J_b, rtol=1e-12)
    assert_allclose(exact.policy_gradient(ours, pol_a, theta[:16]),
                    exact.policy_gradient(theirs, pol_b, theta)[:16], rtol=1e-9, atol=1e-14)


def test_finite_horizon_action_values_on_deterministic_chain():
    mdp = pglib.chain_mdp(n=3, gamma=0.5)
    pi = np.tile([0.0, 1.0], (4, 1))            # always RIGHT: 0 -> 1 -> 2 -> goal, -1 per step
    Q = exact.finite_horizon_action_values(mdp, pi, 3)
    assert_allclose(Q[0], 0.0)
    assert_allclose(Q[1][:3], -1.0)
    # two steps to go from state 0 moving RIGHT: -1 + 0.5 * (-1); LEFT stays in 0: the same
    assert_allclose(Q[2][0], [-1.5, -1.5])
    # from state 2 moving RIGHT ends the episode: -1 whatever the horizon
    assert_allclose(Q[3][2, 1], -1.0)
    assert_allclose(Q[3][0, 1], -1 - 0.5 - 0.25)
    assert_allclose(Q[:, 3], 0.0)


def test_R_sas_is_reduced_with_the_normalised_P():
    # 0 -a0-> 1 (reward 1), 0 -a1-> 2 (reward 2), 1 -> 2 (reward 3); 2 terminal.  The reward on
    # every impossible transition is 1e6, and P[0, 0] is off the simplex by accepted round-off.
    P = np.zeros((3, 2, 3)); P[0, 0, 1] = 1; P[0, 1, 2] = 1; P[1, :, 2] = 1; P[2, :, 2] = 1
    R = np.full((3, 2, 3), 1e6); R[0, 0, 1] = 1.0; R[0, 1, 2] = 2.0; R[1, :, 2] = 3.0
    P[0, 0, 1] = 1 + 5e-7
    P[0, 0, 0] = -5e-9                       # 1e6 * -5e-9 used to put -0.005 into R[0, 0]
    mdp = pglib.TabularMDP(P, R, [1, 0, 0], 1.0, [False, False, True])
    assert_allclose(mdp.R[:2], [[1.0, 2.0], [3.0, 3.0]], rtol=1e-12)
    # uniform policy: J = 0.5 (1 + 3) + 0.5 * 2 = 3, what the sampler pays on average
    assert_allclose(exact.state_values(mdp, np.full((3, 2), 0.5))[0], 3.0, rtol=1e-12)


def test_expected_visits_ignore_the_discount():
    # n(s) is undiscounted whatever the MDP's gamma (Sutton & Barto eq. 9.2): the chain of
    # test_chain_two_states_by_hand at gamma = 0.5 has the same visits as at gamma = 1.
    mdp = pglib.chain_mdp(n=2, gamma=0.5)
    pi = pglib.SoftmaxPolicy(3, 2).probs(np.array([[0.0, 0.5], [-0.3, 0.2], [0.0, 0.0]]))
    p0, p1 = pi[0, 1], pi[1, 1]
    length = (1 + p0 - p1) / (p0 * p1) + 1 / p0           # -v0 of the gamma = 1 chain
    n = exact.expected_visits(mdp, pi)
    assert_allclose(n[1] * p1, 1.0, rtol=1e-12)
    assert_allclose(n.sum(), length, rtol=1e-12)
    assert_allclose(exact.k_step(mdp, np.tile([0.0, 1.0], (3, 1)), 1)[0], [0, 1, 0])
