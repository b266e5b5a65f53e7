"""Hyperparameters of every algorithm, in one table (as rl-baselines3-zoo keeps them).

``DEFAULTS[name]`` holds an algorithm's settings and what each means;
``TUNED[(name, env_id)]`` the settings that differ for one task.  A run's
settings are ``DEFAULTS`` updated by ``TUNED`` and then by the keyword
overrides of the call, in that order; :func:`settings` does that and
validates every value.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["DEFAULTS", "TUNED", "settings"]

# name: (default, meaning)
DEFAULTS = {
    "reinforce": {
        "n_envs": (16, "episodes per update (one per environment copy)"),
        "hidden": ((64, 64), "hidden layer widths of the policy and of the baseline network"),
        "activation": ("tanh", "hidden activation"),
        "lr": (3e-3, "Adam step size of the policy"),
        "lr_value": (3e-3, "Adam step size of the learned baseline V(s)"),
        "value_epochs": (5, "passes of the baseline regression over each batch"),
        "gamma": (0.99, "discount of the returns-to-go"),
        "baseline": (True, "subtract a learned V(s) from the returns-to-go"),
        "max_grad_norm": (1.0, "global gradient-norm clip"),
        "eval_every": (10_000, "env steps between greedy evaluations"),
        "eval_episodes": (10, "episodes per evaluation"),
    },
    "a2c": {
        "n_envs": (8, "environment copies stepped in parallel"),
        "n_steps": (16, "steps per copy between updates (the n of n-step returns)"),
        "hidden": ((64, 64), "hidden layer widths (separate actor and critic networks)"),
        "activation": ("tanh", "hidden activation"),
        "lr": (1e-3, "Adam step size of actor and critic"),
        "gamma": (0.99, "discount"),
        "lam": (1.0, "GAE parameter (1: n-step returns)"),
        "ent_coef": (0.0, "entropy bonus weight"),
        "normalize_advantages": (False, "standardise advantages in each batch"),
        "max_grad_norm": (0.5, "global gradient-norm clip"),
        "eval_every": (10_000, "env steps between greedy evaluations"),
        "eval_episodes": (10, "episodes per evaluation"),
    },
    "ppo": {
        "n_envs": (8, "environment copies stepped in parallel"),
        "n_steps": (128, "steps per copy between updates"),
        "hidden": ((64, 64), "hidden layer widths (separate actor and critic networks)"),
        "activation": ("tanh", "hidden activation"),
        "lr": (2.5e-4, "Adam step size, annealed linearly to 0"),
        "anneal_lr": (True, "anneal the step size linearly to 0 over the budget"),
        "gamma": (0.99, "discount"),
        "lam": (0.95, "GAE parameter"),
        "epochs": (4, "passes over each batch"),
        "minibatches": (4, "minibatches per pass"),
        "clip": (0.2, "clip range epsilon of the probability ratio"),
        "ent_coef": (0.0, "entropy bonus weight"),
        "max_grad_norm": (0.5, "global gradient-norm clip"),
        "init_log_std": (0.0, "initial log standard deviation (continuous actions)"),
        "eval_every": (10_000, "env steps between greedy evaluations"),
        "eval_episodes": (10, "episodes per evaluation"),
    },
    "trpo": {
        "n_envs": (8, "environment copies stepped in parallel"),
        "n_steps": (256, "steps per copy between updates"),
        "hidden": ((64, 64), "hidden layer widths (separate actor and critic networks)"),
        "activation": ("tanh", "hidden activation"),
        "max_kl": (0.01, "trust-region radius delta on the mean KL"),
        "cg_iters": (10, "conjugate-gradient iterations for F^-1 g"),
        "damping": (0.1, "Fisher damping: (F + damping I) x = g"),
        "backtracks": (10, "line-search halvings"),
        "lr_value": (1e-3, "Adam step size of the critic"),
        "value_epochs": (10, "critic passes per batch"),
        "value_minibatches": (8, "critic minibatches per pass"),
        "gamma": (0.99, "discount"),
        "lam": (0.95, "GAE parameter"),
        "init_log_std": (0.0, "initial log standard deviation (continuous actions)"),
        "eval_every": (10_000, "env steps between greedy evaluations"),
        "eval_episodes": (10, "episodes per evaluation"),
    },
    "ddpg": {
        "hidden": ((64, 64), "hidden layer widths of the actor and of the critic"),
        "activation": ("relu", "hidden activation"),
        "lr": (1e-3, "Adam step size of actor and critic"),
        "buffer_size": (100_000, "replay buffer capacity (transitions)"),
        "learning_starts": (1_000, "uniformly random steps before the first update"),
        "batch_size": (128, "transitions per update"),
        "gamma": (0.98, "discount"),
        "tau": (0.005, "Polyak rate of the target networks"),
        "exploration_noise": (0.1, "std of the Gaussian action noise, in [-1, 1] action units"),
        "eval_every": (2_000, "env steps between greedy evaluations"),
        "eval_episodes": (10, "episodes per evaluation"),
    },
    "td3": {
        "hidden": ((64, 64), "hidden layer widths of the actor and of the two critics"),
        "activation": ("relu", "hidden activation"),
        "lr": (1e-3, "Adam step size of actor and critics"),
        "buffer_size": (100_000, "replay buffer capacity (transitions)"),
        "learning_starts": (1_000, "uniformly random steps before the first update"),
        "batch_size": (128, "transitions per update"),
        "gamma": (0.98, "discount"),
        "tau": (0.005, "Polyak rate of the target networks"),
        "exploration_noise": (0.1, "std of the Gaussian action noise, in [-1, 1] action units"),
        "policy_noise": (0.2, "std of the target policy smoothing noise"),
        "noise_clip": (0.5, "the smoothing noise is clipped to [-noise_clip, noise_clip]"),
        "policy_delay": (2, "critic updates per actor (and target) update"),
        "eval_every": (2_000, "env steps between greedy evaluations"),
        "eval_episodes": (10, "episodes per evaluation"),
    },
    "sac": {
        "hidden": ((64, 64), "hidden layer widths of the actor and of the two critics"),
        "activation": ("relu", "hidden activation"),
        "lr": (1e-3, "Adam step size of actor, critics and temperature"),
        "buffer_size": (100_000, "replay buffer capacity (transitions)"),
        "learning_starts": (1_000, "uniformly random steps before the first update"),
        "batch_size": (128, "transitions per update"),
        "gamma": (0.99, "discount"),
        "tau": (0.005, "Polyak rate of the target critics"),
        "init_alpha": (1.0, "initial temperature alpha"),
        "learn_alpha": (True, "learn alpha towards the target entropy -dim(A)"),
        "eval_every": (2_000, "env steps between greedy evaluations"),
        "eval_episodes": (10, "episodes per evaluation"),
    },
    "es": {
        "n_pairs": (5, "antithetic pairs of perturbations per iteration (2 episodes each)"),
        "sigma": (0.5, "std of the Gaussian parameter perturbations"),
        "lr": (0.05, "Adam step size on the estimated gradient"),
        "weight_decay": (0.0, "L2 penalty coefficient on the parameters"),
        "rank_returns": (True, "replace returns by their centred ranks (else standardise them)"),
        "eval_every": (10_000, "env steps between greedy evaluations"),
        "eval_episodes": (10, "episodes per evaluation"),
    },
    "ars": {
        "n_directions": (8, "random directions per iteration (2 episodes each)"),
        "top_directions": (4, "best directions used in the update (b <= n_directions)"),
        "step_size": (0.02, "step size alpha"),
        "noise": (0.03, "exploration noise nu (std of the perturbations)"),
        "normalize_states": (True, "V2: normalise states by their running mean and std (V1: no)"),
        "eval_every": (10_000, "env steps between greedy evaluations"),
        "eval_episodes": (10, "episodes per evaluation"),
    },
    "cem": {
        "population": (20, "parameter vectors drawn per iteration (one episode each)"),
        "elite_frac": (0.2, "fraction of the population kept as the elite"),
        "init_std": (1.0, "initial std of the Gaussian over parameters"),
        "extra_std": (0.1, "std of the noise added to the refitted Gaussian, decayed linearly to 0"),
        "eval_every": (10_000, "env steps between greedy evaluations"),
        "eval_episodes": (10, "episodes per evaluation"),
    },
}

# Settings that differ from DEFAULTS for one task.
TUNED = {
    # short segments from 8 copies, many epochs on each: 32 x 8 = 256 steps a batch, 20 passes
    ("ppo", "CartPole-v1"): {"n_steps": 32, "epochs": 20, "minibatches": 1, "lr": 1e-3, "gamma": 0.98, "lam": 0.8},
    ("ppo", "Acrobot-v1"): {"n_steps": 256, "lam": 0.94},
    ("a2c", "CartPole-v1"): {"n_steps": 8, "lr": 7e-4},
    ("a2c", "Acrobot-v1"): {"n_envs": 16, "n_steps": 8, "lr": 7e-4},
    ("trpo", "CartPole-v1"): {"n_steps": 128, "lam": 0.98, "value_epochs": 20},
    # Pendulum's returns are large and dense: a short horizon (gamma 0.9) and long batches of 4 x 1024
    # steps, 10 passes of 64 minibatches (rl-baselines3-zoo's PPO row, without its state-dependent noise)
    ("ppo", "Pendulum-v1"): {"n_envs": 4, "n_steps": 1024, "gamma": 0.9, "lam": 0.95, "epochs": 10,
                             "minibatches": 64, "lr": 1e-3},
}

_UNIT = {"gamma", "lam", "tau", "elite_frac"}
_NONNEGATIVE = {"ent_coef", "exploration_noise", "policy_noise", "weight_decay", "extra_std"}
_ANY_SIGN = {"init_log_std"}
_FLAGS = {"baseline", "anneal_lr", "normalize_advantages", "learn_alpha", "rank_returns", "normalize_states"}


def _is_int(x):
    return not isinstance(x, bool) and isinstance(x, (int, np.integer))


def settings(algorithm, env_id, overrides):
    """The settings of one run: defaults, then the task's tuned values, then ``overrides``.

    Raises ``ValueError`` for an unknown name, a non-positive count or step
    size, NaN, a discount or lambda outside [0, 1], or a negative weight.
    """
    if algorithm not in DEFAULTS:
        raise ValueError(f"no defaults for algorithm {algorithm!r}")
    table = DEFAULTS[algorithm]
    config = {k: v for k, (v, _) in table.items()}
    config.update(TUNED.get((algorithm, env_id), {}))
    for k, v in overrides.items():
        if k not in table:
            raise ValueError(f"unknown setting {k!r} for {algorithm}; known: {', '.join(sorted(table))}")
        config[k] = v
    for k, v in config.items():
        default = table[k][0]
        if k in _FLAGS:
            if not isinstance(v, (bool, np.bool_)):
                raise ValueError(f"{k} must be True or False, got {v!r}")
        elif k == "activation":
            if v not in ("tanh", "relu"):
                raise ValueError(f"activation must be 'tanh' or 'relu', got {v!r}")
        elif k == "hidden":
            if not (isinstance(v, (tuple, list)) and len(v) >= 1 and all(_is_int(h) and h >= 1 for h in v)):
                raise ValueError(f"hidden must be a tuple of positive layer widths, got {v!r}")
            config[k] = tuple(int(h) for h in v)
        elif _is_int(default):
            if not _is_int(v) or v < 1:
                raise ValueError(f"{k} must be a positive integer, got {v!r}")
        else:
            if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)) or not math.isfinite(v):
                raise ValueError(f"{k} must be a finite number, got {v!r}")
            if k in _UNIT and not 0.0 <= v <= 1.0:
                raise ValueError(f"{k} must be in [0, 1], got {v!r}")
            if k in _NONNEGATIVE and v < 0:
                raise ValueError(f"{k} must be >= 0, got {v!r}")
            if k not in _UNIT | _NONNEGATIVE | _ANY_SIGN and v <= 0:
                raise ValueError(f"{k} must be positive, got {v!r}")
    return config
