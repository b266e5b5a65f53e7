"""pglib.critics: tabular critics against hand-worked updates, the certainty-equivalence solve, and exact values."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

import pglib
from pglib import advantages, critics, exact
from pglib.sampling import Batch


def hand_batch():
    """Two episodes, horizon 3, on 4 states (state 3 terminal).

    Episode 0: s = 0, 1 then enters terminal 3; rewards 1, 2.
    Episode 1: s = 2, 0, 1 and is cut at the horizon in state 2; rewards 0, -1, 4.
    """
    return Batch(states=np.array([[0, 1, 0], [2, 0, 1]]),
                 actions=np.zeros((2, 3), dtype=int),
                 rewards=np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 4.0]]),
                 mask=np.array([[True, True, False], [True, True, True]]),
                 final_states=np.array([3, 2]))


TERMINAL = np.array([False, False, False, True])


def test_monte_carlo_values_docstring_example():
    b = Batch(states=np.array([[0, 1], [0, 0]]), actions=np.zeros((2, 2), dtype=int),
              rewards=np.array([[1.0, 2.0], [4.0, 0.0]]), mask=np.array([[True, True], [True, False]]),
              final_states=np.array([2, 2]))
    assert_allclose(critics.monte_carlo_values(b, 0.5, 3), [3.0, 2.0, 0.0], rtol=0, atol=1e-14)


def test_monte_carlo_values_by_hand():
    g = 0.5
    # episode 0: G = [1 + 0.5*2, 2] = [2, 2]; episode 1: G = [0 - 0.5 + 0.25*4, -1 + 0.5*4, 4] = [0.5, 1, 4]
    # state 0: visits with G = 2 (ep 0, t 0) and 1 (ep 1, t 1); state 1: 2 and 4; state 2: 0.5
    assert_allclose(critics.monte_carlo_values(hand_batch(), g, 4), [1.5, 3.0, 0.5, 0.0], rtol=0, atol=1e-14)
    assert_allclose(critics.visit_counts(hand_batch(), 4), [2, 2, 1, 0])


def test_lambda_returns_by_hand():
    g = 0.5
    V = np.array([10.0, 20.0, 30.0, 99.0])
    # lambda = 0: r_t + gamma V(s_{t+1}); terminal next state counts 0, the cut episode bootstraps from V(2)
    expected0 = np.array([[1 + g * 20, 2 + g * 0, 0.0],
                          [0 + g * 10, -1 + g * 20, 4 + g * 30]])
    assert_allclose(critics.lambda_returns(hand_batch(), V, g, 0.0, TERMINAL), expected0, rtol=0, atol=1e-12)
    # lambda = 1: the observed return, plus gamma^(L - t) V(s_L) for the cut episode
    expected1 = np.array([[1 + g * 2, 2, 0.0],
                          [0 - g * 1 + g ** 2 * 4 + g ** 3 * 30, -1 + g * 4 + g ** 2 * 30, 4 + g * 30]])
    assert_allclose(critics.lambda_returns(hand_batch(), V, g, 1.0, TERMINAL), expected1, rtol=0, atol=1e-12)
    # lambda = 0.5, episode 0 by the recursion G_t = r_t + gamma [(1 - lam) V(s_{t+1}) + lam G_{t+1}]
    G1 = 2.0
    G0 = 1 + g * (0.5 * 20 + 0.5 * G1)
    assert_allclose(critics.lambda_returns(hand_batch(), V, g, 0.5, TERMINAL)[0, :2], [G0, G1], rtol=0, atol=1e-12)


def test_regression_step_by_hand_and_no_mutation():
    b = Batch(states=np.array([[0, 0]]), actions=np.zeros((1, 2), dtype=int), rewards=np.zeros((1, 2)),
              mask=np.ones((1, 2), dtype=bool), final_states=np.array([1]))
    V = np.array([0.0, 5.0])
    new = critics.regression_step(b, np.array([[1.0, 3.0]]), V, 0.25)
    assert_allclose(new, [1.0, 5.0], rtol=0, atol=1e-14)        # docstring example; state 1 untouched
    assert_allclose(V, [0.0, 5.0])
    # two episodes: the loss averages over episodes, sums over steps
    V4 = np.array([1.0, 2.0, 3.0, 0.0])
    y = np.array([[2.0, 0.0, 9.0], [5.0, 1.0, 4.0]])              # y at the padding step must be ignored
    new = critics.regression_step(hand_batch(), y, V4, 0.5)
    # state 0: visits (ep 0, t 0, y = 2) and (ep 1, t 1, y = 1): grad = ((1-2) + (1-1)) / 2 = -0.5
    # state 1: (ep 0, t 1, y = 0) and (ep 1, t 2, y = 4): grad = ((2-0) + (2-4)) / 2 = 0
    # state 2: (ep 1, t 0, y = 5): grad = (3 - 5) / 2 = -1
    assert_allclose(new, [1.25, 2.0, 3.5, 0.0], rtol=0, atol=1e-14)


def certainty_equivalence(batch, gamma, S, terminal):
    """Value of the batch's maximum-likelihood model: V = r_hat + gamma P_hat V on visited states."""
    s_t = batch.states[batch.mask]
    r_t = batch.rewards[batch.mask]
    nxt = np.where(np.roll(batch.mask, -1, axis=1), np.roll(batch.states, -1, axis=1), -1)
    last = batch.mask & ~np.roll(batch.mask, -1, axis=1)
    last[:, -1] = batch.mask[:, -1]
    nxt = np.where(last, batch.final_states[:, None], nxt)[batch.mask]
    counts = np.zeros(S)
    trans = np.zeros((S, S))
    rsum = np.zeros(S)
    for s, r, s2 in zip(s_t, r_t, nxt):
        counts[s] += 1
        rsum[s] += r
        trans[s, s2] += 1
    vis = (counts > 0) & ~terminal
    P_hat = trans[vis][:, vis] / counts[vis][:, None]              # unvisited / terminal next states count 0
    r_hat = rsum[vis] / counts[vis]
    V = np.zeros(S)
    V[vis] = np.linalg.solve(np.eye(vis.sum()) - gamma * P_hat, r_hat)
    return V


def test_batch_td0_is_certainty_equivalence(rng):
    mdp = pglib.random_mdp(6, 3, rng, gamma=0.9, n_terminal=2, end_prob=0.1)
    pi = pglib.SoftmaxPolicy(6, 3).probs(rng.standard_normal((6, 3)))
    batch = pglib.rollouts(mdp, pi, 80, 3, rng)                   # short horizon: truncations bootstrap
    assert (~mdp.terminal[batch.final_states]).sum() > 5
    assert_allclose(critics.batch_td_lambda(batch, mdp.gamma, 0.0, 6, mdp.terminal),
                    certainty_equivalence(batch, mdp.gamma, 6, mdp.terminal), rtol=1e-10, atol=1e-10)


def test_batch_td1_is_monte_carlo_when_every_episode_ends(rng):
    mdp = pglib.random_mdp(6, 3, rng, gamma=0.95, n_terminal=2, end_prob=0.3)
    pi = pglib.SoftmaxPolicy(6, 3).probs(rng.standard_normal((6, 3)))
    batch = pglib.rollouts(mdp, pi, 100, 200, rng)
    assert mdp.terminal[batch.final_states].all()
    assert_allclose(critics.batch_td_lambda(batch, mdp.gamma, 1.0, 6, mdp.terminal),
                    critics.monte_carlo_values(batch, mdp.gamma, 6), rtol=1e-10, atol=1e-10)


def test_batch_fixed_point_is_the_limit_of_repeated_regression(rng):
    mdp = pglib.random_mdp(5, 2, rng, gamma=0.8, n_terminal=1, end_prob=0.2)
    pi = pglib.SoftmaxPolicy(5, 2).probs(rng.standard_normal((5, 2)))
    batch = pglib.rollouts(mdp, pi, 30, 10, rng)
    lam = 0.6
    fixed = critics.batch_td_lambda(batch, mdp.gamma, lam, 5, mdp.terminal)
    # regression on lambda-returns with the targets recomputed each time, step 1 / (visits) per state
    counts = critics.visit_counts(batch, 5)
    V = np.zeros(5)
    for _ in range(400):
        y = critics.lambda_returns(batch, V, mdp.gamma, lam, mdp.terminal)
        lr_state = batch.n_episodes / np.maximum(counts, 1)
        V = V + lr_state * (critics.regression_step(batch, y, V, 1.0) - V)
    assert_allclose(V, fixed, rtol=1e-9, atol=1e-9)
    # at the fixed point the error sums vanish on visited states
    y = critics.lambda_returns(batch, fixed, mdp.gamma, lam, mdp.terminal)
    s = batch.states[batch.mask]
    sums = np.bincount(s, weights=y[batch.mask] - fixed[s], minlength=5)
    assert_allclose(sums, 0.0, atol=1e-9)


def test_monte_carlo_values_converge_to_state_values():
    # 60 independent batches of 400 episodes; each fit is one sample: z-test with |z| <= 4
    rng = np.random.default_rng(11)
    mdp = pglib.random_mdp(5, 2, rng, gamma=0.9, n_terminal=1, end_prob=0.25)
    pi = pglib.SoftmaxPolicy(5, 2).probs(rng.standard_normal((5, 2)))
    v = exact.state_values(mdp, pi)
    fits = np.array([critics.monte_carlo_values(pglib.rollouts(mdp, pi, 400, 200, rng), mdp.gamma, 5)
                     for _ in range(60)])
    live = mdp.live
    se = fits[:, live].std(axis=0, ddof=1) / np.sqrt(len(fits))
    assert np.all(np.abs(fits[:, live].mean(axis=0) - v[live]) <= 4 * se)
    assert np.all(se < 0.05)                                        # and the test has power


@pytest.mark.parametrize("lam", [0.0, 0.5, 1.0])
def test_td_learning_mean_follows_the_expected_recursion_and_converges(lam):
    rng = np.random.default_rng(5)
    mdp = pglib.random_mdp(5, 2, rng, gamma=0.9, n_terminal=1, end_prob=0.3)
    pi = pglib.SoftmaxPolicy(5, 2).probs(rng.standard_normal((5, 2)))
    v = exact.state_values(mdp, pi)
    n = exact.expected_visits(mdp, pi)
    lr = 0.4
    hist = critics.td_learning(mdp, pi, lam, lr, 60, 10, 200, rng, n_runs=200)
    # mean iterate: m_{k+1} = m_k + lr n(s) E[A^lambda_t | s_t = s] under the critic m_k,
    # with E[A^lambda | s] = sum_a pi(a|s) expected_gae(m_k)(s, a)  (episodes that end: horizon 200)
    m = np.zeros(5)
    means = [m]
    for _ in range(400):
        m = m + lr * n * (pi * advantages.expected_gae(mdp, pi, m, lam)).sum(axis=1)
        means.append(m)
    live = mdp.live
    for k in (1, 3, 60):
        se = hist[k][:, live].std(axis=0, ddof=1) / np.sqrt(200)
        z = np.abs(hist[k][:, live].mean(axis=0) - means[k][live]) / se
        assert np.all(z <= 4), (k, z)
    # the recursion's limit is v^pi
    assert_allclose(means[400], v, atol=1e-10)


def test_td_learning_first_step_is_a_regression_step():
    mdp = pglib.grid_world(gamma=0.9, slip=0.2, hole_reward=-1.0, step_reward=-0.01)
    S = mdp.n_states
    pi = np.full((S, 4), 0.25)
    v0 = np.linspace(-1.0, 0.0, S)
    hist = critics.td_learning(mdp, pi, 0.7, 0.3, 1, 5, 12, np.random.default_rng(2), values=v0, n_runs=3)
    b = pglib.rollouts(mdp, pi, 15, 12, np.random.default_rng(2))      # the same draws
    for r in range(3):
        sub = Batch(*(getattr(b, f)[5 * r: 5 * (r + 1)] for f in ("states", "actions", "rewards", "mask",
                                                                  "final_states")))
        y = critics.lambda_returns(sub, v0, mdp.gamma, 0.7, mdp.terminal)
        assert_allclose(hist[1, r], critics.regression_step(sub, y, v0, 0.3), rtol=0, atol=1e-12)
    assert_allclose(hist[0], np.tile(v0, (3, 1)))


def test_errors():
    b = hand_batch()
    with pytest.raises(ValueError, match="n_states"):
        critics.monte_carlo_values(b, 0.5, 2)
    with pytest.raises(ValueError, match="gamma"):
        critics.monte_carlo_values(b, 1.5, 4)
    with pytest.raises(ValueError, match="lr"):
        critics.regression_step(b, np.zeros((2, 3)), np.zeros(4), 0.0)
    with pytest.raises(ValueError, match="targets"):
        critics.regression_step(b, np.zeros((2, 2)), np.zeros(4), 0.1)
    with pytest.raises(ValueError, match="finite"):
        critics.regression_step(b, np.zeros((2, 3)), np.array([0.0, np.nan, 0.0, 0.0]), 0.1)
    with pytest.raises(ValueError, match="lam"):
        critics.batch_td_lambda(b, 0.5, -0.1, 4)
    with pytest.raises(ValueError, match="terminal"):
        critics.batch_td_lambda(b, 0.5, 0.5, 4, terminal=np.zeros(4))
    mdp = pglib.two_state_mdp(0.9)
    pi = np.full((2, 2), 0.5)
    with pytest.raises(ValueError, match="rng"):
        critics.td_learning(mdp, pi, 0.5, 0.1, 1, 1, 5, rng=0)
    with pytest.raises(ValueError, match="n_runs"):
        critics.td_learning(mdp, pi, 0.5, 0.1, 1, 1, 5, np.random.default_rng(0), n_runs=0)
    with pytest.raises(ValueError, match="values"):
        critics.td_learning(mdp, pi, 0.5, 0.1, 1, 1, 5, np.random.default_rng(0), values=np.zeros(3))


def test_singular_batch_raises():
    # gamma = 1, one state that loops on itself and is cut at the horizon: no equation pins V
    b = Batch(states=np.array([[0, 0]]), actions=np.zeros((1, 2), dtype=int), rewards=np.ones((1, 2)),
              mask=np.ones((1, 2), dtype=bool), final_states=np.array([0]))
    with pytest.raises(ValueError, match="singular"):
        critics.batch_td_lambda(b, 1.0, 0.0, 1)
