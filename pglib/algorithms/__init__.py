"""Policy-gradient algorithms on Gymnasium tasks, one readable function each.

Every function has the same contract::

    run = pglib.algorithms.ppo("CartPole-v1", total_steps=100_000, seed=0, **overrides)
    run.steps, run.returns          # (K,) evaluation curve: env steps, mean return of the greedy policy
    run.evaluate(n_episodes=100, seed=1)   # mean undiscounted return of the final greedy policy

Settings: :mod:`pglib.algorithms.defaults` (one table; overrides by keyword).
"""
from .a2c import a2c
from .ars import ars
from .cem import cem
from .common import Run
from .ddpg import ddpg
from .defaults import DEFAULTS, TUNED
from .es import es
from .ppo import ppo
from .reinforce import reinforce
from .sac import sac
from .td3 import td3
from .trpo import trpo

__all__ = ["reinforce", "a2c", "trpo", "ppo", "ddpg", "td3", "sac", "es", "ars", "cem",
           "Run", "DEFAULTS", "TUNED"]
