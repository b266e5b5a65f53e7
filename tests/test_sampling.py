"""The sampler against exact distributions (z bounds stated) and its bookkeeping."""
import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

import pglib
from pglib import exact

Z = 4.0   # |z| bound for statistical assertions


def test_batch_shapes_and_masks(rng):
    mdp = pglib.chain_mdp(n=3, gamma=1.0)
    pi = np.tile([0.0, 1.0], (4, 1))                  # deterministic: exactly 3 steps
    b = pglib.rollouts(mdp, pi, n_episodes=7, horizon=5, rng=rng)
    assert b.states.shape == b.actions.shape == b.rewards.shape == b.mask.shape == (7, 5)
    assert_array_equal(b.mask, np.tile([True, True, True, False, False], (7, 1)))
    assert_array_equal(b.states[:, :3], np.tile([0, 1, 2], (7, 1)))
    assert_array_equal(b.final_states, 3)
    assert_allclose(b.returns(1.0), -3.0)
    assert_allclose(b.returns(0.5), -(1 + 0.5 + 0.25))


def test_truncation_at_horizon(rng):
    mdp = pglib.two_state_mdp(0.9)                    # never terminates
    b = pglib.rollouts(mdp, np.full((2, 2), 0.5), n_episodes=4, horizon=6, rng=rng)
    assert b.mask.all()


def test_visit_frequencies_match_exact_marginals(rng):
    mdp = pglib.random_mdp(4, 3, rng, gamma=0.9, n_terminal=1)
    pol = pglib.SoftmaxPolicy(mdp.n_states, 3)
    pi = pol.probs(rng.normal(size=pol.theta_shape))
    N, T = 40_000, 6
    b = pglib.rollouts(mdp, pi, N, T, rng)
    M = exact.transition_matrix(mdp, pi)
    d = mdp.p0 * mdp.live
    for t in range(T):
        # Pr(s_t = s, a_t = a, running) = d_t(s) pi(a|s); each indicator is Bernoulli.
        p = d[:, None] * pi
        counts = np.zeros_like(p)
        np.add.at(counts, (b.states[b.mask[:, t], t], b.actions[b.mask[:, t], t]), 1)
        freq = counts / N
        se = np.sqrt(np.maximum(p * (1 - p), 1e-12) / N)
        assert np.all(np.abs(freq - p) <= Z * se), t
        d = d @ M


def test_mean_return_matches_finite_horizon_objective(rng):
    mdp = pglib.grid_world(gamma=0.95, slip=2 / 3, step_reward=-0.01)
    pol = pglib.SoftmaxPolicy(mdp.n_states, 4)
    theta = rng.normal(size=pol.theta_shape)
    b = pglib.rollouts(mdp, pol.probs(theta), 20_000, 50, rng)
    R = b.returns(mdp.gamma)
    J50 = exact.objective(mdp, pol, theta, horizon=50)
    assert abs(R.mean() - J50) <= Z * R.std(ddof=1) / np.sqrt(len(R))


def test_discounted_returns_by_hand():
    r = np.array([[1.0, 2.0, 4.0, 8.0]])
    m = np.array([[True, True, True, False]])
    G = pglib.sampling.discounted_returns(r, m, 0.5)
    assert_allclose(G, [[1 + 1 + 1, 2 + 2, 4, 0]])


def test_same_seed_same_batch():
    mdp = pglib.chain_mdp(4, gamma=1.0, slip=0.2)
    pi = np.full((5, 2), 0.5)
    a = pglib.rollouts(mdp, pi, 100, 30, np.random.default_rng(5))
    b = pglib.rollouts(mdp, pi, 100, 30, np.random.default_rng(5))
    assert_array_equal(a.states, b.states)
    assert_array_equal(a.rewards, b.rewards)


def test_rewards_are_paid_per_transition(rng):
    # r_t = R[s_t, a_t, s_{t+1}], not its expectation R[s_t, a_t]: random_mdp draws a different
    # reward for every (s, a, s'), so each sampled reward must equal the table entry exactly.
    mdp = pglib.random_mdp(5, 3, rng, gamma=0.9, n_terminal=1)
    pi = pglib.SoftmaxPolicy(5, 3).probs(rng.normal(size=(5, 3)))
    b = pglib.rollouts(mdp, pi, 500, 8, rng)
    nxt = np.where(b.mask[:, 1:], b.states[:, 1:], 0)
    nxt = np.column_stack([nxt, np.zeros(b.n_episodes, dtype=int)])
    last = b.lengths - 1
    ran = last >= 0
    nxt[np.flatnonzero(ran), last[ran]] = b.final_states[ran]
    paid = mdp.R_sas[b.states, b.actions, nxt]
    assert_array_equal(b.rewards[b.mask], paid[b.mask])
    assert_array_equal(b.rewards[~b.mask], 0.0)
    assert mdp.terminal[b.final_states].any() and not mdp.terminal[b.final_states].all()
