"""Training throughput of pglib.algorithms as a fraction of a bare vector-environment loop.

For each algorithm and task, in one process and one after the other:

* baseline: step the same vector environment (same number of copies) with
  uniformly random actions drawn from a Generator, nothing else -- the
  fastest an agent could collect that many steps;
* the algorithm: a full training run at its default settings for the task,
  updates included, with greedy evaluations only at the start and the end
  (``eval_every`` set past the budget: evaluation episodes are measurement,
  not training, and would otherwise add up to half as many env steps again).

Prints env steps per second of both and their ratio (aim: >= 0.3), and the
wall time of the run.  Ratios are what to compare across machines; the
absolute numbers depend on the machine and its load.

    .venv/bin/python benchmarks/training.py             # every on-policy algorithm on CartPole-v1
    .venv/bin/python benchmarks/training.py ppo:Acrobot-v1 sac:Pendulum-v1
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import pglib.algorithms as algorithms  # noqa: E402
from pglib.algorithms.defaults import settings  # noqa: E402
from pglib.rollout import make_vec  # noqa: E402

DEFAULT = ["reinforce:CartPole-v1", "a2c:CartPole-v1", "trpo:CartPole-v1", "ppo:CartPole-v1"]
STEPS = {"CartPole-v1": 100_000, "Acrobot-v1": 100_000, "Pendulum-v1": 10_000}


def bare_loop(env_id, n_envs, n_steps, seed=0):
    """Env steps per second of a vector env stepped with random actions (n_steps in total)."""
    envs = make_vec(env_id, n_envs)
    rng = np.random.default_rng(seed)
    space = envs.single_action_space
    envs.reset(seed=seed)
    t = time.perf_counter()
    for _ in range(n_steps // n_envs):
        if hasattr(space, "n"):
            a = rng.integers(0, space.n, size=n_envs)
        else:
            a = rng.uniform(space.low, space.high, size=(n_envs,) + space.shape).astype(space.dtype)
        envs.step(a)
    dt = time.perf_counter() - t
    envs.close()
    return (n_steps // n_envs) * n_envs / dt


def main(targets):
    print(f"{'algorithm':10s} {'task':12s} {'copies':>6s} {'bare steps/s':>13s} {'train steps/s':>14s} {'ratio':>6s} {'run s':>7s}")
    for name in targets:
        algo, env_id = name.split(":")
        n_envs = settings(algo, env_id, {}).get("n_envs", 1)
        steps = STEPS.get(env_id, 50_000)
        bare = bare_loop(env_id, n_envs, min(steps, 50_000))
        t = time.perf_counter()
        run = getattr(algorithms, algo)(env_id, total_steps=steps, seed=0, eval_every=10 ** 9)
        dt = time.perf_counter() - t
        taken = max(run.steps[-1], steps)
        train = taken / dt
        print(f"{algo:10s} {env_id:12s} {n_envs:6d} {bare:13,.0f} {train:14,.0f} {train / bare:6.2f} {dt:7.1f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or DEFAULT)
