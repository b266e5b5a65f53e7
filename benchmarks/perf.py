"""Speed of pglib, as ratios against a baseline run side by side in the same process.

1. ``rollouts`` on FrozenLake 8x8 (20,000 episodes, horizon 200) against a plain
   Gymnasium step loop sampling the same (uniform) policy: env-steps per second.
2. The exact policy gradient on Taxi (S = 500 + sink, A = 6) against one
   ``np.linalg.solve`` of the same size.

Run: ``.venv/bin/python benchmarks/perf.py``.  Prints figures; asserts nothing.
"""
import time

import gymnasium as gym
import numpy as np

import pglib
from pglib import exact


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def rollouts_vs_gymnasium(n_episodes=20_000, horizon=200, gym_episodes=2_000):
    env = gym.make("FrozenLake-v1", map_name="8x8")
    mdp = pglib.envs.from_gymnasium(env, gamma=0.99)
    pi = np.full((mdp.n_states, mdp.n_actions), 0.25)
    rng = np.random.default_rng(0)

    def ours():
        ours.steps = int(pglib.rollouts(mdp, pi, n_episodes, horizon, rng).mask.sum())

    t_ours = best_of(ours, 3)

    def plain_loop():
        steps = 0
        env.reset(seed=0)
        for _ in range(gym_episodes):
            env.reset()
            for _ in range(horizon):
                _, _, terminated, truncated, _ = env.step(int(rng.integers(4)))
                steps += 1
                if terminated or truncated:
                    break
        plain_loop.steps = steps

    t_gym = best_of(plain_loop, 1)
    ours_rate = ours.steps / t_ours
    gym_rate = plain_loop.steps / t_gym
    print(f"FrozenLake 8x8, uniform policy, horizon {horizon}")
    print(f"  pglib.rollouts    : {ours.steps:>9} steps in {t_ours:.3f} s = {ours_rate:12,.0f} steps/s ({n_episodes} episodes)")
    print(f"  Gymnasium loop    : {plain_loop.steps:>9} steps in {t_gym:.3f} s = {gym_rate:12,.0f} steps/s ({gym_episodes} episodes)")
    print(f"  ratio             : {ours_rate / gym_rate:.0f}x")
    return ours_rate / gym_rate


def policy_gradient_vs_solve():
    env = gym.make("Taxi-v4")
    mdp = pglib.envs.from_gymnasium(env, gamma=0.99)
    pol = pglib.SoftmaxPolicy(mdp.n_states, mdp.n_actions)
    theta = np.random.default_rng(1).normal(size=pol.theta_shape)
    S = mdp.n_states
    A = np.eye(S) - 0.99 * exact.transition_matrix(mdp, pol.probs(theta))
    b = np.ones(S)
    t_solve = best_of(lambda: np.linalg.solve(A, b), 50)
    t_grad = best_of(lambda: exact.policy_gradient(mdp, pol, theta), 20)
    print(f"Taxi (S = {S}, A = {mdp.n_actions}), gamma = 0.99")
    print(f"  np.linalg.solve   : {1e3 * t_solve:.2f} ms")
    print(f"  policy_gradient   : {1e3 * t_grad:.2f} ms")
    print(f"  ratio             : {t_grad / t_solve:.1f}x")
    return t_grad / t_solve


if __name__ == "__main__":
    rollouts_vs_gymnasium()
    policy_gradient_vs_solve()
