"""gamma = 1 with a sink (absorbing, zero-reward, not flagged terminal): values, J and its gradient.

Independent answers: the same MDP with the sink flagged terminal, the chain's
hand formula, finite differences of the finite-horizon objective (backward
induction, which needs no termination), and the long-horizon limit J_T -> J.
"""
import numpy as np
import pytest
from numpy.testing import assert_allclose

import pglib
from pglib import exact


def unflagged(mdp):
    """The same tables with no terminal flag: the goal is an absorbing zero-reward state."""
    return pglib.TabularMDP(mdp.P, mdp.R_sas, mdp.p0, mdp.gamma)


def test_sink_of_the_chain_is_its_goal():
    chain = unflagged(pglib.chain_mdp(n=3, gamma=1.0, slip=0.1))
    assert exact.sink_states(chain).tolist() == [False, False, False, True]
    # a state that pays something is no sink; nor is a zero-reward state with an exit
    assert not exact.sink_states(pglib.two_state_mdp(1.0)).any()
    P = np.zeros((3, 2, 3))
    P[0, :, 1] = 1.0                   # 0 -> 1, paying -1
    P[1, 0, 1] = 1.0                   # 1 stays with action 0 (reward 0) ...
    P[1, 1, 0] = 1.0                   # ... but action 1 leads back to 0, which pays
    P[2, :, 2] = 1.0                   # 2 is absorbing, reward 0
    R = np.zeros((3, 2))
    R[0] = -1.0
    mdp = pglib.TabularMDP(P, R, [1.0, 0.0, 0.0], 1.0)
    assert exact.sink_states(mdp).tolist() == [False, False, True]


def test_values_and_gradient_at_gamma_one_match_the_terminal_version():
    flagged = pglib.chain_mdp(n=3, gamma=1.0, slip=0.1)
    sink = unflagged(flagged)
    pol = pglib.SoftmaxPolicy(4, 2)
    theta = np.random.default_rng(0).normal(size=(4, 2))
    pi = pol.probs(theta)
    assert_allclose(exact.state_values(sink, pi), exact.state_values(flagged, pi), atol=1e-12)
    assert_allclose(exact.action_values(sink, pi), exact.action_values(flagged, pi), atol=1e-12)
    J = exact.objective(sink, pol, theta)
    assert_allclose(J, -exact.expected_visits(flagged, pi).sum(), rtol=1e-12)   # -1 per step
    # J = lim J_T: backward induction needs no termination
    assert_allclose(exact.objective(sink, pol, theta, horizon=3000), J, rtol=1e-9)
    grad = exact.policy_gradient(sink, pol, theta)
    fd = exact.finite_difference_gradient(sink, pol, theta, eps=1e-5)
    assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)
    assert_allclose(grad[3], 0.0, atol=1e-15)            # the sink's logits change nothing
    assert_allclose(exact.value_gradient(sink, pol, theta),
                    exact.value_gradient(flagged, pol, theta), atol=1e-10)


def test_hand_formula_two_states_and_a_sink():
    # chain n = 2, no slip, gamma = 1: v(1) = -(1 + p0 - p1) / (p0 p1), v(0) = v(1) - 1/p0
    sink = unflagged(pglib.chain_mdp(n=2, gamma=1.0))
    p = np.array([0.7, 0.4])
    pi = np.array([[1 - p[0], p[0]], [1 - p[1], p[1]], [0.5, 0.5]])
    v1 = -(1 + p[0] - p[1]) / (p[0] * p[1])
    assert_allclose(exact.state_values(sink, pi), [v1 - 1 / p[0], v1, 0.0], rtol=1e-12)


def test_sink_is_visited_forever_so_visits_and_occupancy_still_raise():
    sink = unflagged(pglib.chain_mdp(n=3, gamma=1.0))
    pi = np.full((4, 2), 0.5)
    for f in (exact.expected_visits, exact.occupancy):
        with pytest.raises(ValueError, match="never end"):
            f(sink, pi)


def test_no_sink_no_termination_still_raises():
    # the two-state MDP pays rewards for ever; a zero-reward state with an exit is no sink
    with pytest.raises(ValueError, match="never end"):
        exact.state_values(pglib.two_state_mdp(1.0), np.full((2, 2), 0.5))
    P = np.zeros((2, 2, 2))
    P[0, 0, 0] = 1.0                  # action 0 loops on 0 (reward 0) ...
    P[0, 1, 1] = 1.0                  # ... action 1 goes to 1, which pays 1 for ever
    P[1, :, 1] = 1.0
    R = np.zeros((2, 2))
    R[1] = 1.0
    mdp = pglib.TabularMDP(P, R, [1.0, 0.0], 1.0)
    with pytest.raises(ValueError, match="never end"):
        exact.state_values(mdp, np.array([[1.0, 0.0], [0.5, 0.5]]))
