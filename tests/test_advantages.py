"""pglib.advantages: TD errors and GAE against hand-worked arrays and independent formulas."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

import pglib
from pglib import advantages, exact
from pglib.sampling import Batch, discounted_returns


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
V = np.array([10.0, 20.0, 30.0, 99.0])       # 99 at the terminal state must be ignored


def test_td_errors_by_hand():
    g = 0.5
    delta = advantages.td_errors(hand_batch(), V, g, terminal=TERMINAL)
    expected = np.array([
        [1 + g * 20 - 10, 2 + g * 0 - 20, 0.0],          # terminal next state has value 0
        [0 + g * 10 - 30, -1 + g * 20 - 10, 4 + g * 30 - 20],  # truncated: bootstrap from V(2)
    ])
    assert_allclose(delta, expected, rtol=0, atol=1e-12)


def test_td_errors_without_terminal_mask_uses_the_critic_as_given():
    g = 0.5
    delta = advantages.td_errors(hand_batch(), V, g)
    assert delta[0, 1] == pytest.approx(2 + g * 99 - 20)


def test_gae_by_hand():
    g, lam = 0.5, 0.5
    d = advantages.td_errors(hand_batch(), V, g, terminal=TERMINAL)
    A = advantages.gae(hand_batch(), V, g, lam, terminal=TERMINAL)
    k = g * lam
    expected = np.array([
        [d[0, 0] + k * d[0, 1], d[0, 1], 0.0],
        [d[1, 0] + k * d[1, 1] + k ** 2 * d[1, 2], d[1, 1] + k * d[1, 2], d[1, 2]],
    ])
    assert_allclose(A, expected, rtol=0, atol=1e-12)


def test_gae_lambda_zero_is_td_error_and_one_is_return_minus_value(rng):
    mdp = pglib.grid_world(gamma=0.9, slip=0.2, hole_reward=-1.0, step_reward=-0.01)
    pi = pglib.SoftmaxPolicy(mdp.n_states, 4).probs(rng.standard_normal((mdp.n_states, 4)))
    batch = pglib.rollouts(mdp, pi, 300, 12, rng)          # horizon short: many truncated episodes
    Vhat = rng.standard_normal(mdp.n_states)
    g = mdp.gamma
    assert_allclose(advantages.gae(batch, Vhat, g, 0.0, terminal=mdp.terminal),
                    advantages.td_errors(batch, Vhat, g, terminal=mdp.terminal), atol=1e-12)
    # lambda = 1: G_t - V(s_t) + gamma^(L - t) V(s_L) if cut at the horizon (0 if terminal)
    G = discounted_returns(batch.rewards, batch.mask, g)
    L = batch.lengths
    t = np.arange(batch.horizon)
    v_end = np.where(mdp.terminal[batch.final_states], 0.0, Vhat[batch.final_states])
    tail = g ** (L[:, None] - t[None, :]) * v_end[:, None]
    expected = np.where(batch.mask, G - Vhat[batch.states] + tail, 0.0)
    assert (~mdp.terminal[batch.final_states]).any() and mdp.terminal[batch.final_states].any()
    assert_allclose(advantages.gae(batch, Vhat, g, 1.0, terminal=mdp.terminal), expected, atol=1e-10)


def test_gae_matches_explicit_double_sum(rng):
    mdp = pglib.random_mdp(5, 3, rng, gamma=0.8, n_terminal=1, end_prob=0.3)
    pi = np.full((5, 3), 1 / 3)
    batch = pglib.rollouts(mdp, pi, 50, 7, rng)
    Vhat = rng.standard_normal(5)
    delta = advantages.td_errors(batch, Vhat, mdp.gamma, terminal=mdp.terminal)
    lam = 0.7
    k = mdp.gamma * lam
    T = batch.horizon
    expected = np.zeros_like(delta)
    for t in range(T):
        for l in range(T - t):
            expected[:, t] += k ** l * delta[:, t + l]
    assert_allclose(advantages.gae(batch, Vhat, mdp.gamma, lam, terminal=mdp.terminal), expected, atol=1e-12)


def test_expected_gae_special_cases(rng):
    mdp = pglib.random_mdp(6, 3, rng, gamma=0.9, n_terminal=2, end_prob=0.2)
    pi = pglib.SoftmaxPolicy(6, 3).probs(rng.standard_normal((6, 3)))
    v = exact.state_values(mdp, pi)
    q = exact.action_values(mdp, pi)
    Vhat = v + rng.standard_normal(6)
    live = mdp.live[:, None]
    for lam in (0.0, 0.3, 1.0):   # exact critic: the advantage for every lambda
        assert_allclose(advantages.expected_gae(mdp, pi, v, lam), exact.advantages(mdp, pi) * live, atol=1e-10)
    # lambda = 1: q - Vhat for any critic
    assert_allclose(advantages.expected_gae(mdp, pi, Vhat, 1.0), (q - Vhat[:, None]) * live, atol=1e-10)
    # lambda = 0: the expected TD error R + gamma P Vhat - Vhat (Vhat = 0 at terminal states)
    Vz = np.where(mdp.terminal, 0.0, Vhat)
    D = (mdp.R + mdp.gamma * mdp.P @ Vz - Vz[:, None]) * live
    assert_allclose(advantages.expected_gae(mdp, pi, Vhat, 0.0), D, atol=1e-10)


def test_expected_gae_matches_truncated_series(rng):
    mdp = pglib.random_mdp(5, 2, rng, gamma=0.95, n_terminal=1, end_prob=0.25)
    pi = pglib.SoftmaxPolicy(5, 2).probs(rng.standard_normal((5, 2)))
    Vhat = rng.standard_normal(5)
    lam = 0.6
    Vz = np.where(mdp.terminal, 0.0, Vhat)
    D = (mdp.R + mdp.gamma * mdp.P @ Vz - Vz[:, None]) * mdp.live[:, None]
    M = exact.transition_matrix(mdp, pi)
    # Sum_l (gamma lambda)^l E[delta_{t+l} | s, a] by propagating the state distribution step by step
    total = D.copy()
    dist = mdp.P * mdp.live[None, None, :]         # Pr(s_{t+1} = x, running | s, a)
    k = mdp.gamma * lam
    for l in range(1, 400):
        total += k ** l * dist @ (pi * D).sum(axis=1)
        dist = dist @ M
    total *= mdp.live[:, None]                       # nobody acts in terminal states
    assert_allclose(advantages.expected_gae(mdp, pi, Vhat, lam), total, atol=1e-10)


def test_expected_gae_is_the_monte_carlo_mean(rng):
    mdp = pglib.chain_mdp(n=3, gamma=0.9, slip=0.2)
    pi = np.array([[0.3, 0.7], [0.4, 0.6], [0.2, 0.8], [0.5, 0.5]])
    Vhat = np.array([-2.0, 0.5, -1.0, 0.0])
    lam = 0.5
    batch = pglib.rollouts(mdp, pi, 4000, 200, rng)
    assert not np.any(batch.mask[:, -1])                  # every episode ended: no truncation
    A = advantages.gae(batch, Vhat, mdp.gamma, lam, terminal=mdp.terminal)
    table = advantages.expected_gae(mdp, pi, Vhat, lam)
    # Every first step is in state 0: compare the mean of A_0 per first action (z-bounded)
    for a in range(2):
        x = A[batch.actions[:, 0] == a, 0]
        z = abs(x.mean() - table[0, a]) / (x.std(ddof=1) / np.sqrt(x.size))
        assert z < 4.5


@pytest.mark.parametrize("bad, message", [
    (dict(gamma=1.5), "gamma must be in"),
    (dict(lam=-0.1), "lam must be in"),
    (dict(values=np.ones((4, 1))), "values must be a 1-d array"),
    (dict(values=np.array([0.0, np.nan, 0.0, 0.0])), "values must be finite"),
    (dict(values=np.ones(2)), "values has 2 entries"),
    (dict(terminal=np.array([0, 0, 0, 1])), "terminal must be a boolean mask"),
    (dict(terminal=np.array([False, True])), "terminal must be a boolean mask"),
])
def test_gae_error_paths(bad, message):
    kwargs = dict(values=V, gamma=0.5, lam=0.5, terminal=TERMINAL)
    kwargs.update(bad)
    with pytest.raises(ValueError, match=message):
        advantages.gae(hand_batch(), **kwargs)


def test_td_errors_rejects_inconsistent_batch():
    b = hand_batch()
    bad = Batch(states=b.states, actions=b.actions, rewards=b.rewards[:, :2], mask=b.mask,
                final_states=b.final_states)
    with pytest.raises(ValueError, match="share one shape"):
        advantages.td_errors(bad, V, 0.5)
    bad = Batch(states=b.states, actions=b.actions, rewards=b.rewards, mask=b.mask,
                final_states=np.array([3]))
    with pytest.raises(ValueError, match="final_states must have shape"):
        advantages.td_errors(bad, V, 0.5)


def test_expected_gae_error_paths():
    mdp = pglib.chain_mdp(n=2, gamma=1.0)
    pi = np.array([[1.0, 0.0], [1.0, 0.0], [0.5, 0.5]])    # always LEFT: never ends
    with pytest.raises(ValueError, match="never end"):
        advantages.expected_gae(mdp, pi, np.zeros(3), 1.0)
    with pytest.raises(ValueError, match="values must have shape"):
        advantages.expected_gae(mdp, pi, np.zeros(2), 0.5)
    with pytest.raises(ValueError, match="lam must be in"):
        advantages.expected_gae(mdp, pi, np.zeros(3), 2.0)


def test_td_errors_ignore_padding_states():
    # Padding may hold any state (an Enumeration keeps the last one); an out-of-range padding
    # state used to raise IndexError.  Episode 0 of hand_batch with padding state 7 instead of 0.
    b = hand_batch()
    states = b.states.copy()
    states[0, 2] = 7
    odd = Batch(states=states, actions=b.actions, rewards=b.rewards, mask=b.mask, final_states=b.final_states)
    assert_allclose(advantages.gae(odd, V, 0.5, 0.5, terminal=TERMINAL),
                    advantages.gae(b, V, 0.5, 0.5, terminal=TERMINAL), rtol=0, atol=0)
    assert_allclose(advantages.td_errors(odd, V, 0.5, terminal=TERMINAL)[0], [1 + 0.5 * 20 - 10, 2 - 20, 0.0])
