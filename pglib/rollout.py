r"""Rollouts of Gymnasium vector environments, with the episode-end conventions made explicit.

A vector environment steps :math:`N` copies of a task in lock-step (the
"parallel rollouts" of actor-critic methods).  One call to :func:`collect`
takes :math:`T` steps of all copies and returns *time-major* arrays of shape
(T, N): entry ``[t, i]`` is step :math:`t` of copy :math:`i`.

Episode ends (Gymnasium 1.x)
----------------------------
``step`` returns ``(obs, reward, terminated, truncated, info)``.

* ``terminated``: the task reached a terminal state.  Nothing follows, so the
  value of the next state is 0: :math:`\delta_t = r_t - V(s_t)`.
* ``truncated``: a time limit cut the episode (CartPole-v1 and Acrobot-v1 at
  500 steps, Pendulum-v1 at 200).  The state is not terminal; the returns
  that would have followed are estimated by the critic:
  :math:`\delta_t = r_t + \gamma V(s_{t+1}) - V(s_t)` (bootstrapping).
* Vector environments default to ``AutoresetMode.NEXT_STEP``: the ``obs``
  returned with a ``terminated``/``truncated`` flag is the *final*
  observation of the episode, and the **next** call to ``step`` ignores its
  action, resets that copy and returns the first observation of a new
  episode with reward 0 and both flags False.  That step is no transition of
  the task: :func:`collect` marks it ``valid = False`` and every loss masks it.

With these conventions the observation array ``obs[t + 1]`` is always the
state that followed step :math:`t` -- the final observation after an episode
end -- so one array of values ``V(obs[t])``, :math:`t = 0..T`, gives every
bootstrap target, at truncations and at the end of the segment alike.

=================  ===========  =================================================
name               shape        meaning
=================  ===========  =================================================
``obs``            (T+1, N, d)  :math:`s_t`; ``obs[T]`` continues the next segment
``actions``        (T, N, ...)  :math:`a_t`
``rewards``        (T, N)       :math:`r_t` (0 on reset steps)
``terminated``     (T, N) bool  step t ended the episode in a terminal state
``truncated``      (T, N) bool  step t ended the episode by a time limit
``valid``          (T, N) bool  False on NEXT_STEP reset steps
=================  ===========  =================================================

All randomness comes from an explicit ``numpy.random.Generator`` (actions)
and from ``reset(seed=...)`` (the environments).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["make_vec", "check_env_id", "action_kind", "Segment", "Collector",
           "evaluate_policy", "episode_returns"]


def check_env_id(env_id):
    """Raise ``ValueError`` unless ``env_id`` is a registered Gymnasium id."""
    import gymnasium as gym
    if not isinstance(env_id, str):
        raise ValueError(f"env_id must be a Gymnasium environment id (a str), got {env_id!r}")
    if env_id not in gym.registry:
        raise ValueError(f"unknown environment id {env_id!r}: not in Gymnasium's registry")
    return env_id


def make_vec(env_id, n_envs):
    """``n_envs`` copies of ``env_id`` stepped in one process (NEXT_STEP autoreset).

    Reset it with ``envs.reset(seed=s)``: copy ``i`` gets seed ``s + i``.
    """
    import gymnasium as gym
    check_env_id(env_id)
    if isinstance(n_envs, bool) or not isinstance(n_envs, (int, np.integer)) or n_envs < 1:
        raise ValueError(f"n_envs must be a positive integer, got {n_envs!r}")
    envs = gym.make_vec(env_id, num_envs=int(n_envs), vectorization_mode="sync")
    mode = envs.metadata.get("autoreset_mode")
    if getattr(mode, "name", mode) != "NEXT_STEP":
        raise ValueError(f"expected Gymnasium's NEXT_STEP autoreset mode, got {mode!r}")
    return envs


def action_kind(space):
    """``"discrete"`` for ``Discrete``, ``"continuous"`` for a bounded 1-D ``Box``; else ``ValueError``."""
    import gymnasium as gym
    if isinstance(space, gym.spaces.Discrete):
        return "discrete"
    if isinstance(space, gym.spaces.Box) and len(space.shape) == 1:
        if not (np.all(np.isfinite(space.low)) and np.all(np.isfinite(space.high))):
            raise ValueError(f"action bounds must be finite, got low={space.low}, high={space.high}")
        return "continuous"
    raise ValueError(f"unsupported action space {space}: need Discrete or a 1-D Box")


@dataclass
class Segment:
    """T steps of N environment copies, time-major; see the module docstring."""

    obs: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    valid: np.ndarray
    extras: dict = field(default_factory=dict)

    @property
    def done(self):
        """(T, N) bool: step t ended its episode (either way)."""
        return self.terminated | self.truncated

    def flat(self, x):
        """Flatten the batch: an array (T, N, ...) to (B, ...), dropping the reset steps (B = valid.sum())."""
        x = np.asarray(x)
        return x.reshape((-1,) + x.shape[2:])[self.valid.reshape(-1)]


class Collector:
    """Steps a vector environment with a policy, segment after segment.

    ``policy_step(obs, rng) -> (actions, extras)`` maps observations (N, d)
    to actions for every copy and a dict of per-step arrays of leading shape
    (N,) (log-probabilities, values, ...) that the algorithm wants kept.
    Counts every environment step taken, reset steps included, in ``steps``
    (the budget an algorithm is charged), and records the undiscounted return
    of every episode that ends in ``episode_returns`` / ``episode_ends``
    (the value of ``steps`` when it ended).
    """

    def __init__(self, envs, seed):
        self.envs = envs
        self.n_envs = envs.num_envs
        self.obs, _ = envs.reset(seed=int(seed))
        self.prev_done = np.zeros(self.n_envs, dtype=bool)   # the next step is a reset step
        self.running_return = np.zeros(self.n_envs)
        self.steps = 0
        self.episode_returns = []
        self.episode_ends = []

    def collect(self, policy_step, n_steps, rng):
        N = self.n_envs
        obs = np.empty((n_steps + 1,) + self.obs.shape, dtype=float)
        rewards = np.zeros((n_steps, N))
        terminated = np.zeros((n_steps, N), dtype=bool)
        truncated = np.zeros((n_steps, N), dtype=bool)
        valid = np.zeros((n_steps, N), dtype=bool)
        actions, extras = None, {}
        for t in range(n_steps):
            obs[t] = self.obs
            a, ex = policy_step(self.obs, rng)
            if actions is None:
                actions = np.zeros((n_steps,) + np.shape(a), dtype=np.asarray(a).dtype)
                extras = {k: np.zeros((n_steps,) + np.shape(v)) for k, v in ex.items()}
            actions[t] = a
            for k, v in ex.items():
                extras[k][t] = v
            self.obs, r, term, trunc, _ = self.envs.step(a)
            # NEXT_STEP autoreset: a copy whose previous step ended its episode was
            # reset by this call, whatever the action: not a transition of the task
            valid[t] = ~self.prev_done
            rewards[t] = np.where(valid[t], r, 0.0)
            terminated[t] = term & valid[t]
            truncated[t] = trunc & valid[t]
            self.steps += N
            self.running_return += rewards[t]
            for i in np.flatnonzero(terminated[t] | truncated[t]):
                self.episode_returns.append(float(self.running_return[i]))
                self.episode_ends.append(self.steps)
                self.running_return[i] = 0.0
            self.prev_done = terminated[t] | truncated[t]
        obs[n_steps] = self.obs
        return Segment(obs, actions, rewards, terminated, truncated, valid, extras)

    def collect_episodes(self, policy_step, rng, chunk=64, max_steps=100_000):
        """One complete episode of every copy, for Monte Carlo methods.

        Resets all copies (their generators continue from the seeded ones),
        steps them until each has ended one episode, and returns a segment
        whose ``valid`` marks each copy's first episode only.  Steps taken by a
        copy after its episode ended are counted in ``steps`` but are not
        data: keeping the episodes that happen to fit in the window would
        favour short ones.  Only the first episodes' returns are recorded.
        """
        self.obs, _ = self.envs.reset()
        self.prev_done[:] = False
        self.running_return[:] = 0.0
        n_recorded, steps_before = len(self.episode_returns), self.steps
        chunks, running = [], np.ones(self.n_envs, dtype=bool)
        while running.any():
            if len(chunks) * chunk >= max_steps:
                raise ValueError(f"episodes did not end within max_steps={max_steps}")
            seg = self.collect(policy_step, chunk, rng)
            first = np.zeros_like(seg.valid)
            for t in range(chunk):
                first[t] = running            # the copy is still in its first episode
                running = running & ~seg.done[t]
            seg.valid &= first
            chunks.append(seg)
        seg = Segment(np.concatenate([s.obs[:-1] for s in chunks] + [chunks[-1].obs[-1:]]),
                      *(np.concatenate([getattr(s, k) for s in chunks])
                        for k in ("actions", "rewards", "terminated", "truncated", "valid")),
                      {k: np.concatenate([s.extras[k] for s in chunks]) for k in chunks[0].extras})
        seg.terminated &= seg.valid
        seg.truncated &= seg.valid
        del self.episode_returns[n_recorded:], self.episode_ends[n_recorded:]
        t_end = seg.valid.sum(axis=0)                      # length of each first episode
        order = np.argsort(t_end, kind="stable")
        for i in order:
            self.episode_returns.append(float(seg.rewards[:, i] @ seg.valid[:, i]))
            self.episode_ends.append(steps_before + int(t_end[i]) * self.n_envs)
        return seg


def episode_returns(envs, act, seed, max_steps=100_000):
    """Undiscounted return of the first episode of every copy of ``envs``, shape (N,).

    ``act(obs) -> actions`` is applied to all copies at once; copy ``i`` is
    reset with seed ``seed + i``.  Steps after a copy's first episode ends are
    ignored.
    """
    obs, _ = envs.reset(seed=int(seed))
    N = envs.num_envs
    total = np.zeros(N)
    running = np.ones(N, dtype=bool)
    for _ in range(max_steps):
        obs, r, term, trunc, _ = envs.step(act(obs))
        total += np.where(running, r, 0.0)
        running &= ~(term | trunc)
        if not running.any():
            return total
    raise ValueError(f"episodes did not end within max_steps={max_steps}")


def evaluate_policy(env_id, act, n_episodes=100, seed=1):
    """Mean undiscounted return of ``act`` over ``n_episodes`` episodes seeded ``seed, seed+1, ...``."""
    if isinstance(n_episodes, bool) or not isinstance(n_episodes, (int, np.integer)) or n_episodes < 1:
        raise ValueError(f"n_episodes must be a positive integer, got {n_episodes!r}")
    envs = make_vec(env_id, n_episodes)
    try:
        return float(episode_returns(envs, act, seed).mean())
    finally:
        envs.close()
