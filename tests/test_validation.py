"""Bad input: one test per error path, each a ValueError naming the problem; inputs never mutated."""
import numpy as np
import pytest

import pglib
from pglib import estimators, exact


def good_tables():
    P = np.zeros((2, 2, 2))
    P[:, :, 1] = 1.0
    R = np.array([[1.0, 0.0], [0.0, 0.0]])
    return P, R, np.array([1.0, 0.0])


def test_P_shape():
    P, R, p0 = good_tables()
    with pytest.raises(ValueError, match=r"P must have shape \(S, A, S\)"):
        pglib.TabularMDP(P[:, :, :1], R, p0, 0.9)


def test_P_negative():
    P, R, p0 = good_tables()
    P[0, 0] = [-0.5, 1.5]
    with pytest.raises(ValueError, match="non-negative"):
        pglib.TabularMDP(P, R, p0, 0.9)


def test_P_unnormalized():
    P, R, p0 = good_tables()
    P[1, 0, 1] = 0.7
    with pytest.raises(ValueError, match=r"must sum to 1 at index \[1, 0\]"):
        pglib.TabularMDP(P, R, p0, 0.9)


def test_R_nan_and_inf():
    P, R, p0 = good_tables()
    for bad in (np.nan, np.inf):
        R2 = R.copy()
        R2[1, 1] = bad
        with pytest.raises(ValueError, match=r"R must be finite.*\[1, 1\]"):
            pglib.TabularMDP(P, R2, p0, 0.9)


def test_R_shape():
    P, R, p0 = good_tables()
    with pytest.raises(ValueError, match="R must have shape"):
        pglib.TabularMDP(P, R[:, :1], p0, 0.9)


def test_p0_shape_and_sum():
    P, R, _ = good_tables()
    with pytest.raises(ValueError, match="p0 must have shape"):
        pglib.TabularMDP(P, R, [1.0], 0.9)
    with pytest.raises(ValueError, match="p0 must sum to 1"):
        pglib.TabularMDP(P, R, [0.5, 0.2], 0.9)


@pytest.mark.parametrize("gamma", [-0.1, 1.01, np.nan, "high"])
def test_gamma_outside_unit_interval(gamma):
    P, R, p0 = good_tables()
    with pytest.raises(ValueError, match="gamma must be"):
        pglib.TabularMDP(P, R, p0, gamma)


def test_terminal_mask():
    P, R, p0 = good_tables()
    with pytest.raises(ValueError, match="terminal must be a bool mask of shape"):
        pglib.TabularMDP(P, R, p0, 0.9, terminal=[True])
    with pytest.raises(ValueError, match="every state"):
        pglib.TabularMDP(P, R, p0, 0.9, terminal=[True, True])


def test_inputs_are_copied_not_mutated():
    P, R, p0 = good_tables()
    P[0, 0] = [1e-12 * -1, 1.0 + 1e-12]    # tiny round-off that the constructor cleans
    copies = [x.copy() for x in (P, R, p0)]
    mdp = pglib.TabularMDP(P, R, p0, 0.9)
    for x, c in zip((P, R, p0), copies):
        np.testing.assert_array_equal(x, c)
    P[0, 0] = [0.5, 0.5]
    assert mdp.P[0, 0, 1] == 1.0
    with pytest.raises(ValueError):
        mdp.P[0, 0, 0] = 0.3                 # read-only


def test_gamma_one_without_termination():
    mdp = pglib.two_state_mdp(gamma=1.0)
    pi = np.full((2, 2), 0.5)
    for f in (exact.state_values, exact.occupancy, exact.expected_visits):
        with pytest.raises(ValueError, match="some episodes never end: from state 0"):
            f(mdp, pi)
    with pytest.raises(ValueError, match="never end"):
        exact.policy_gradient(mdp, pglib.SoftmaxPolicy(2, 2), np.zeros((2, 2)))


def test_gamma_one_with_a_policy_that_never_finishes():
    mdp = pglib.chain_mdp(n=3, gamma=1.0)
    pi = np.tile([1.0, 0.0], (4, 1))          # always LEFT: stuck at state 0 forever
    with pytest.raises(ValueError, match="never end"):
        exact.state_values(mdp, pi)


def test_theta_wrong_shape():
    mdp = pglib.chain_mdp(3)
    pol = pglib.SoftmaxPolicy(4, 2)
    with pytest.raises(ValueError, match=r"theta must have shape \(4, 2\), got \(2, 4\)"):
        exact.policy_gradient(mdp, pol, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="theta must have shape"):
        pglib.GaussianPolicy(2).log_prob(np.zeros(2), np.zeros((1, 2)), np.zeros(1))


def test_pi_table_invalid():
    mdp = pglib.chain_mdp(3)
    with pytest.raises(ValueError, match="pi must have shape"):
        exact.state_values(mdp, np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match=r"pi\[s, :\] must sum to 1"):
        exact.state_values(mdp, np.full((4, 2), 0.4))
    with pytest.raises(ValueError, match="non-negative"):
        exact.state_values(mdp, np.tile([-0.5, 1.5], (4, 1)))


@pytest.mark.parametrize("horizon", [0, -3, 2.5])
def test_horizon_not_positive(horizon):
    mdp = pglib.chain_mdp(3)
    pi = np.full((4, 2), 0.5)
    with pytest.raises(ValueError, match="horizon must be a positive integer"):
        pglib.rollouts(mdp, pi, 10, horizon, np.random.default_rng(0))
    with pytest.raises(ValueError, match="horizon must be a positive integer"):
        exact.objective(mdp, pglib.SoftmaxPolicy(4, 2), np.zeros((4, 2)), horizon=horizon)


@pytest.mark.parametrize("n", [0, -1, 1.5])
def test_n_episodes_not_positive(n):
    mdp = pglib.chain_mdp(3)
    with pytest.raises(ValueError, match="n_episodes must be a positive integer"):
        pglib.rollouts(mdp, np.full((4, 2), 0.5), n, 10, np.random.default_rng(0))


def test_rng_must_be_a_generator():
    mdp = pglib.chain_mdp(3)
    with pytest.raises(ValueError, match="numpy.random.Generator"):
        pglib.rollouts(mdp, np.full((4, 2), 0.5), 10, 10, 42)


def test_k_must_be_non_negative_integer():
    mdp = pglib.chain_mdp(3)
    with pytest.raises(ValueError, match="k must be a non-negative integer"):
        exact.k_step(mdp, np.full((4, 2), 0.5), -1)


def test_baseline_wrong_shape():
    mdp = pglib.chain_mdp(3)
    pol = pglib.SoftmaxPolicy(4, 2)
    b = pglib.rollouts(mdp, np.full((4, 2), 0.5), 5, 10, np.random.default_rng(0))
    with pytest.raises(ValueError, match="baseline must be a number or have shape"):
        estimators.reinforce_baseline(b, pol, np.zeros((4, 2)), 1.0, np.zeros(3))


def test_states_out_of_range():
    pol = pglib.SoftmaxPolicy(3, 2)
    with pytest.raises(ValueError, match=r"states must lie in \[0, 3\)"):
        pol.log_prob(np.zeros((3, 2)), [3], [0])


def test_grid_layout_bad_characters():
    with pytest.raises(ValueError, match="only the characters"):
        pglib.grid_world(["SFX", "FFG"])


def test_enumeration_too_large():
    mdp = pglib.random_mdp(5, 4, np.random.default_rng(0))
    with pytest.raises(ValueError, match="max_trajectories"):
        exact.trajectory_distribution(mdp, np.full((5, 4), 0.25), 10, max_trajectories=1000)


@pytest.mark.parametrize("bad", [np.inf, np.nan, None, "3"])
def test_integer_arguments_that_int_cannot_take(bad):
    # Before: OverflowError (inf), TypeError (None), or a ValueError not naming the argument (NaN).
    mdp = pglib.chain_mdp(3)
    pi = np.full((4, 2), 0.5)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="horizon must be a positive integer"):
        pglib.rollouts(mdp, pi, 10, bad, rng)
    with pytest.raises(ValueError, match="n_episodes must be a positive integer"):
        pglib.rollouts(mdp, pi, bad, 10, rng)
    if bad is not None:                      # horizon=None is "no limit" for the exact objective
        with pytest.raises(ValueError, match="horizon must be a positive integer"):
            exact.objective(mdp, pglib.SoftmaxPolicy(4, 2), np.zeros((4, 2)), horizon=bad)
    with pytest.raises(ValueError, match="k must be a non-negative integer"):
        exact.k_step(mdp, pi, bad)
    with pytest.raises(ValueError, match="n_states must be a positive integer"):
        pglib.SoftmaxPolicy(bad, 2)


def test_gamma_and_lambda_that_are_not_numbers():
    mdp = pglib.chain_mdp(3)
    pol = pglib.SoftmaxPolicy(4, 2)
    b = pglib.rollouts(mdp, np.full((4, 2), 0.5), 5, 10, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"gamma must be a number in \[0, 1\], got None"):
        estimators.reinforce_reward_to_go(b, pol, np.zeros((4, 2)), None)
    with pytest.raises(ValueError, match=r"gamma must be a number in \[0, 1\], got None"):
        pglib.advantages.td_errors(b, np.zeros(4), None)
    with pytest.raises(ValueError, match=r"lam must be a number in \[0, 1\], got 'x'"):
        pglib.advantages.gae(b, np.zeros(4), 0.9, "x")


def test_discounted_returns_bad_input():
    # Before: IndexError for 1-d rewards, a silent broadcast of a wrong mask, gamma = 2 accepted.
    with pytest.raises(ValueError, match="rewards and mask must share one shape"):
        pglib.sampling.discounted_returns([1.0, 2.0], [True, True], 0.5)
    with pytest.raises(ValueError, match="rewards and mask must share one shape"):
        pglib.sampling.discounted_returns(np.ones((2, 2)), [[True, False]], 0.5)
    with pytest.raises(ValueError, match=r"gamma must be in \[0, 1\], got 2"):
        pglib.sampling.discounted_returns(np.ones((1, 2)), np.ones((1, 2), bool), 2.0)


def test_weighted_counts_state_outside_the_policy():
    # Before: state 4 of episode 0 with a 3-state policy landed in episode 1's block, silently.
    b = pglib.Batch(states=np.array([[0, 4], [1, 1]]), actions=np.array([[0, 1], [0, 0]]),
                    rewards=np.ones((2, 2)), mask=np.ones((2, 2), bool), final_states=np.array([2, 2]))
    with pytest.raises(ValueError, match=r"batch visits states outside \[0, 3\)"):
        estimators.weighted_counts(b, np.ones((2, 2)), 3, 2)
    with pytest.raises(ValueError, match=r"batch takes actions outside \[0, 1\)"):
        estimators.weighted_counts(b, np.ones((2, 2)), 5, 1)


def test_total_return_baseline_not_finite():
    mdp = pglib.chain_mdp(3)
    pol = pglib.SoftmaxPolicy(4, 2)
    b = pglib.rollouts(mdp, np.full((4, 2), 0.5), 5, 10, np.random.default_rng(0))
    for bad in (np.nan, np.inf, "x"):
        with pytest.raises(ValueError, match="baseline must be a finite number"):
            estimators.reinforce_total_return(b, pol, np.zeros((4, 2)), 0.9, baseline=bad)


def test_on_policy_distribution_when_every_episode_is_empty():
    # p0 entirely on the terminal state: n = 0, and mu = n / sum(n) was 0/0 (NaN and a RuntimeWarning).
    mdp = pglib.chain_mdp(3).with_p0([0, 0, 0, 1.0])
    pi = np.full((4, 2), 0.5)
    np.testing.assert_array_equal(exact.expected_visits(mdp, pi), 0.0)
    with pytest.raises(ValueError, match="on-policy distribution is undefined"):
        exact.on_policy_distribution(mdp, pi)


def test_states_and_actions_must_be_integers():
    pol = pglib.SoftmaxPolicy(3, 2)
    with pytest.raises(ValueError, match="states must be integer indices"):
        pol.log_prob(np.zeros((3, 2)), [1.5], [0])          # was silently read as state 1
    with pytest.raises(ValueError, match="actions must be integer indices"):
        pol.grad_log_prob(np.zeros((3, 2)), [1], [np.nan])
    np.testing.assert_allclose(pol.log_prob(np.zeros((3, 2)), [1.0], [0.0]), [np.log(0.5)])


def test_finite_difference_eps_and_expect_scalar():
    mdp = pglib.chain_mdp(3)
    pol = pglib.SoftmaxPolicy(4, 2)
    with pytest.raises(ValueError, match="eps must be a positive number"):
        exact.finite_difference_gradient(mdp, pol, np.zeros((4, 2)), eps="a")
    enum = exact.trajectory_distribution(mdp, np.full((4, 2), 0.5), 2)
    with pytest.raises(ValueError, match="values must have one row per trajectory"):
        enum.expect(1.0)
