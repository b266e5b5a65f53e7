"""Gymnasium conventions pinned (time limits, NEXT_STEP autoreset), and the Collector built on them.

If a Gymnasium upgrade changes any of these, these tests fail loudly: the
rollout code's masks and bootstraps depend on them.
"""
import gymnasium as gym
import numpy as np
import pytest

from pglib.rollout import Collector, action_kind, check_env_id, episode_returns, evaluate_policy, make_vec


@pytest.mark.parametrize("env_id, limit", [("CartPole-v1", 500), ("Acrobot-v1", 500), ("Pendulum-v1", 200)])
def test_time_limits(env_id, limit):
    assert gym.make(env_id).spec.max_episode_steps == limit


def test_pendulum_ends_by_truncation_only():
    env = gym.make("Pendulum-v1")
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    flags = []
    for t in range(200):
        _, _, term, trunc, _ = env.step(rng.uniform(-2, 2, size=1).astype(np.float32))
        flags.append((term, trunc))
    assert not any(f[0] for f in flags)
    assert [f[1] for f in flags] == [False] * 199 + [True]


def test_next_step_autoreset_is_the_default_and_behaves_as_documented():
    envs = gym.make_vec("CartPole-v1", num_envs=1, vectorization_mode="sync")
    assert envs.metadata["autoreset_mode"].name == "NEXT_STEP"
    obs, _ = envs.reset(seed=3)
    for _ in range(1000):                      # push right until the pole falls
        obs_next, r, term, trunc, _ = envs.step(np.array([1]))
        if term[0] or trunc[0]:
            break
        obs = obs_next
    assert term[0] and r[0] == 1.0
    final_obs = obs_next.copy()
    # the next step ignores the action and resets: reward 0, no flags, a fresh observation
    obs_reset, r, term, trunc, _ = envs.step(np.array([1]))
    assert r[0] == 0.0 and not term[0] and not trunc[0]
    assert np.all(np.abs(obs_reset) <= 0.05) and not np.allclose(obs_reset, final_obs)


def test_truncation_at_the_limit_in_a_vector_env():
    """A copy that survives 500 steps is truncated (not terminated) at step 500 exactly."""
    envs = make_vec("CartPole-v1", 1)
    c = Collector(envs, seed=0)

    def balance(obs, rng):       # a simple controller that keeps CartPole up for 500 steps
        return (obs[:, 2] + 0.5 * obs[:, 3] > 0).astype(int), {}
    seg = c.collect(balance, 502, np.random.default_rng(0))
    assert seg.valid[:500].all() and not seg.terminated[:500].any()
    assert not seg.truncated[:499].any() and seg.truncated[499, 0]
    assert not seg.valid[500, 0]                  # the reset step
    assert seg.rewards[500, 0] == 0.0 and seg.valid[501, 0]
    assert c.episode_returns == [500.0] and c.episode_ends == [500]
    assert c.steps == 502


def test_collector_masks_reset_steps_and_counts_returns():
    envs = make_vec("CartPole-v1", 4)
    c = Collector(envs, seed=1)
    rng = np.random.default_rng(1)
    seg = c.collect(lambda obs, rng: (rng.integers(0, 2, size=len(obs)), {"x": obs[:, 0]}), 200, rng)
    T, N = seg.rewards.shape
    assert (T, N) == (200, 4) and seg.obs.shape == (201, 4, 4) and seg.extras["x"].shape == (200, 4)
    # a step is invalid exactly when the previous step of that copy ended its episode
    prev_done = np.vstack([np.zeros((1, N), bool), seg.done[:-1]])
    assert np.array_equal(~seg.valid, prev_done)
    # rewards of CartPole are 1 on every valid step, 0 on reset steps
    assert np.array_equal(seg.rewards, seg.valid.astype(float))
    # every recorded return equals the length of its episode, counted from the masks independently
    lengths = []
    for i in range(N):
        run = 0
        for t in range(T):
            if seg.valid[t, i]:
                run += 1
            if seg.done[t, i]:
                lengths.append(run)
                run = 0
    assert sorted(lengths) == sorted(c.episode_returns)
    assert c.steps == 800


def test_collect_episodes_keeps_first_episode_of_each_copy():
    envs = make_vec("CartPole-v1", 5)
    c = Collector(envs, seed=2)
    rng = np.random.default_rng(2)
    seg = c.collect_episodes(lambda obs, rng: (rng.integers(0, 2, size=len(obs)), {}), rng, chunk=8)
    # each copy: one contiguous run of valid steps from t = 0, ending with a done flag
    for i in range(5):
        v = seg.valid[:, i]
        L = v.sum()
        assert v[:L].all() and not v[L:].any()
        assert seg.done[L - 1, i] and not seg.done[:L - 1, i].any()
    assert sorted(c.episode_returns) == sorted(seg.valid.sum(axis=0).astype(float).tolist())
    assert c.steps == seg.rewards.shape[0] * 5


def test_episode_returns_and_evaluate():
    envs = make_vec("CartPole-v1", 3)
    always_left = lambda obs: np.zeros(len(obs), dtype=int)  # noqa: E731
    r = episode_returns(envs, always_left, seed=0)
    # independent: step single environments with the same seeds
    expected = []
    for i in range(3):
        env = gym.make("CartPole-v1")
        env.reset(seed=i)
        n, done = 0, False
        while not done:
            _, rew, term, trunc, _ = env.step(0)
            n += rew
            done = term or trunc
        expected.append(n)
    assert r.tolist() == expected
    assert evaluate_policy("CartPole-v1", always_left, n_episodes=3, seed=0) == pytest.approx(np.mean(expected))


def test_errors():
    with pytest.raises(ValueError, match="unknown environment id"):
        check_env_id("NoSuchEnv-v0")
    with pytest.raises(ValueError, match="Gymnasium environment id"):
        check_env_id(3)
    with pytest.raises(ValueError, match="n_envs"):
        make_vec("CartPole-v1", 0)
    with pytest.raises(ValueError, match="n_episodes"):
        evaluate_policy("CartPole-v1", lambda o: np.zeros(len(o), int), n_episodes=0)
    with pytest.raises(ValueError, match="finite"):
        action_kind(gym.spaces.Box(-np.inf, np.inf, shape=(2,)))
    with pytest.raises(ValueError, match="unsupported action space"):
        action_kind(gym.spaces.MultiBinary(3))
    assert action_kind(gym.spaces.Discrete(2)) == "discrete"
    assert action_kind(gym.spaces.Box(-1, 1, shape=(2,))) == "continuous"
