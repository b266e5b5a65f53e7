"""J of random policies on Gymnasium's toy-text tables equals iterative policy evaluation done on env.P directly."""
import gymnasium as gym
import numpy as np
import pytest
from numpy.testing import assert_allclose

import pglib
from pglib import exact


def evaluate_on_env_P(env, pi, gamma, tol=1e-12, max_sweeps=200_000):
    """Iterative policy evaluation reading env.unwrapped.P: V(s) = sum_a pi sum p (r + gamma V(s') [not terminated])."""
    u = env.unwrapped
    S, A = u.observation_space.n, u.action_space.n
    probs = np.zeros((S, A, S)); cont = np.zeros((S, A, S)); rew = np.zeros((S, A))
    for s in range(S):
        for a in range(A):
            for p, s2, r, term in u.P[s][a]:
                rew[s, a] += p * r
                if not term:
                    cont[s, a, s2] += p
    V = np.zeros(S)
    for _ in range(max_sweeps):
        V_new = (pi * (rew + gamma * cont @ V)).sum(axis=1)
        if np.abs(V_new - V).max() < tol:
            return u.initial_state_distrib @ V_new
        V = V_new
    raise RuntimeError("policy evaluation did not converge")


@pytest.mark.parametrize("name,kwargs,gamma", [
    ("FrozenLake-v1", {"map_name": "8x8"}, 0.99),
    ("FrozenLake-v1", {"map_name": "4x4", "is_slippery": False}, 1.0),
    ("CliffWalking-v1", {}, 0.95),
    ("Taxi-v4", {}, 0.9),
])
def test_objective_matches_policy_evaluation(name, kwargs, gamma):
    env = gym.make(name, **kwargs)
    mdp = pglib.envs.from_gymnasium(env, gamma)
    S = env.unwrapped.observation_space.n
    assert mdp.n_states == S + 1 and mdp.terminal[S] and not mdp.terminal[:S].any()
    rng = np.random.default_rng(4)
    pol = pglib.SoftmaxPolicy(mdp.n_states, mdp.n_actions)
    theta = rng.normal(size=pol.theta_shape)
    J = exact.objective(mdp, pol, theta)
    J_ref = evaluate_on_env_P(env, pol.probs(theta)[:S], gamma)
    assert_allclose(J, J_ref, rtol=1e-8, atol=1e-10)


def test_taxi_goal_entered_without_termination_is_not_terminal():
    env = gym.make("Taxi-v4")
    mdp = pglib.envs.from_gymnasium(env, 0.9)
    u = env.unwrapped
    entered_plain = [(s, a) for s in range(500) for a in range(6)
                     for p, s2, r, term in u.P[s][a] if not term and s2 != s and r == -1]
    assert entered_plain    # ordinary moves exist and lead to ordinary (non-terminal) states
    done = [(s, a) for s in range(500) for a in range(6) for p, s2, r, term in u.P[s][a] if term]
    for s, a in done:
        assert mdp.P[s, a, 500] == 1.0 and mdp.R[s, a] == 20.0


def test_rollouts_on_frozenlake_match_gymnasium_statistics():
    """Mean episode length and success rate of our sampler vs Gymnasium's own step loop (z bound 4)."""
    env = gym.make("FrozenLake-v1", map_name="4x4")
    mdp = pglib.envs.from_gymnasium(env, 1.0)
    pi = np.full((17, 4), 0.25)
    rng = np.random.default_rng(9)
    b = pglib.rollouts(mdp, pi, 4000, 100, rng)
    ours_len, ours_win = b.lengths, b.returns(1.0)
    lens, wins = [], []
    env.reset(seed=9)
    for _ in range(4000):
        s, _ = env.reset()
        n, ret, done = 0, 0.0, False
        while not done and n < 100:
            s, r, term, trunc, _ = env.step(int(rng.integers(4)))
            n += 1; ret += r; done = term
        lens.append(n); wins.append(ret)
    for x, y in ((ours_len, np.array(lens)), (ours_win, np.array(wins))):
        se = np.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
        assert abs(x.mean() - y.mean()) <= 4 * se
