"""pglib.replay: the ring buffer by hand, uniform sampling by a z-test, episode ends from real Gymnasium runs."""
import doctest

import gymnasium as gym
import numpy as np
import pytest
from numpy.testing import assert_array_equal

from pglib import replay
from pglib.replay import ReplayBuffer
from pglib.rollout import Collector, Segment, make_vec


def test_doctests():
    assert doctest.testmod(replay).failed == 0


def fill(buf, ks):
    """Transition k: s = (k, -k), a = k / 10, r = k, s' = (k + 1, -k - 1), terminated iff k is odd."""
    for k in ks:
        buf.add([k, -k], [k / 10], float(k), [k + 1, -k - 1], bool(k % 2))


def test_ring_wraps_around_by_hand():
    buf = ReplayBuffer(obs_dim=2, act_dim=1, capacity=3)
    fill(buf, range(2))
    assert len(buf) == 2 and buf.n_added == 2
    fill(buf, range(2, 5))
    # transitions 0..4 into slots k mod 3: slot 0 <- 3, slot 1 <- 4, slot 2 <- 2
    assert len(buf) == 3 and buf.n_added == 5
    assert_array_equal(buf.rewards, [3.0, 4.0, 2.0])
    assert_array_equal(buf.obs, [[3, -3], [4, -4], [2, -2]])
    assert_array_equal(buf.actions[:, 0], [0.3, 0.4, 0.2])
    assert_array_equal(buf.next_obs, [[4, -4], [5, -5], [3, -3]])
    assert_array_equal(buf.terminated, [True, False, False])


def test_a_batch_wrapping_the_ring_equals_one_by_one():
    one, batch = ReplayBuffer(2, 1, 4), ReplayBuffer(2, 1, 4)
    fill(one, range(7))
    fill(batch, range(2))
    ks = np.arange(2, 7)
    batch.add(np.c_[ks, -ks], ks[:, None] / 10, ks.astype(float), np.c_[ks + 1, -ks - 1], ks % 2 == 1)
    for name in ("obs", "actions", "rewards", "next_obs", "terminated"):
        assert_array_equal(getattr(one, name), getattr(batch, name))


def test_sampling_is_uniform_over_the_filled_slots(rng):
    # capacity 8 holding 5 transitions (slots 0..4): each drawn with probability 1/5, slots 5..7 never
    buf = ReplayBuffer(2, 1, 8)
    fill(buf, range(5))
    n = 40_000
    r = buf.sample(n, rng).rewards
    counts = np.array([(r == k).sum() for k in range(5)])
    assert counts.sum() == n                                   # nothing from an empty slot
    p = 1 / 5
    z = (counts - n * p) / np.sqrt(n * p * (1 - p))
    assert np.abs(z).max() < 4, z
    # and the rows stay whole: s, a, s', d belong to the same transition as r
    b = buf.sample(200, rng)
    assert_array_equal(b.obs[:, 0], b.rewards)
    assert_array_equal(b.next_obs[:, 0], b.rewards + 1)
    assert_array_equal(b.terminated, b.rewards % 2 == 1)


def test_sampling_after_wrap_around_covers_every_slot_uniformly(rng):
    buf = ReplayBuffer(2, 1, 4)
    fill(buf, range(10))                                       # holds transitions 6..9
    n = 40_000
    r = buf.sample(n, rng).rewards
    counts = np.array([(r == k).sum() for k in range(6, 10)])
    assert counts.sum() == n
    z = (counts - n / 4) / np.sqrt(n * 0.25 * 0.75)
    assert np.abs(z).max() < 4, z


def test_sample_is_reproducible_and_returns_copies():
    buf = ReplayBuffer(2, 1, 5)
    fill(buf, range(5))
    a = buf.sample(16, np.random.default_rng(3))
    b = buf.sample(16, np.random.default_rng(3))
    for x, y in zip(a, b):
        assert_array_equal(x, y)
    a.obs[:] = 99.0
    assert not (buf.obs == 99.0).any()


def test_inputs_are_copied_not_kept():
    buf = ReplayBuffer(2, 1, 3)
    s = np.array([[1.0, 2.0]])
    buf.add(s, [[0.5]], [1.0], s, [False])
    s[0, 0] = -7.0
    assert buf.obs[0, 0] == 1.0 and buf.next_obs[0, 0] == 1.0


def test_hand_segment_terminated_truncated_and_reset_steps():
    # one copy, 5 steps: t=1 terminates, t=2 is the NEXT_STEP reset step, t=4 is truncated
    obs = np.arange(6, dtype=float)[:, None, None] * np.ones((6, 1, 2))
    seg = Segment(obs=obs, actions=np.zeros((5, 1, 1)), rewards=np.array([[1.0], [2.0], [0.0], [4.0], [5.0]]),
                  terminated=np.array([[False], [True], [False], [False], [False]]),
                  truncated=np.array([[False], [False], [False], [False], [True]]),
                  valid=np.array([[True], [True], [False], [True], [True]]))
    buf = ReplayBuffer(2, 1, 10)
    buf.add_segment(seg, np.arange(5, dtype=float).reshape(5, 1, 1))
    assert len(buf) == 4                                        # the reset step is not stored
    assert_array_equal(buf.rewards[:4], [1, 2, 4, 5])
    assert_array_equal(buf.actions[:4, 0], [0, 1, 3, 4])
    assert_array_equal(buf.obs[:4, 0], [0, 1, 3, 4])
    assert_array_equal(buf.next_obs[:4, 0], [1, 2, 4, 5])        # s' is obs[t + 1], the final observation
    # terminated is stored as d = 1; the truncation at t = 4 is stored with d = 0 (it bootstraps)
    assert_array_equal(buf.terminated[:4], [False, True, False, False])


def test_pendulum_every_episode_end_is_stored_as_a_bootstrapped_transition(rng):
    # Pendulum-v1 never terminates: 200-step episodes end by truncation
    envs = make_vec("Pendulum-v1", 1)
    col = Collector(envs, seed=4)
    seg = col.collect(lambda o, r: (r.uniform(-2, 2, (1, 1)), {}), 405, rng)
    envs.close()
    buf = ReplayBuffer(3, 1, 1000)
    buf.add_segment(seg, seg.actions)
    assert len(buf) == 403                                      # steps 200 and 401 are reset steps
    assert not buf.terminated[:403].any()
    assert seg.truncated[199, 0] and seg.truncated[400, 0]
    # within an episode s' of one transition is s of the next; at the truncation s' is the final
    # observation of the episode, not the first of the next one
    assert_array_equal(buf.next_obs[:199], buf.obs[1:200])
    assert not np.allclose(buf.next_obs[199], buf.obs[200])
    final = gym.make("Pendulum-v1")
    o, _ = final.reset(seed=4)
    for t in range(200):
        o, _, term, trunc, _ = final.step(seg.actions[t, 0])
    assert trunc and not term
    np.testing.assert_allclose(buf.next_obs[199], o)


def test_cartpole_terminations_are_stored_as_terminal(rng):
    envs = make_vec("CartPole-v1", 2)
    col = Collector(envs, seed=0)
    seg = col.collect(lambda o, r: (r.integers(0, 2, 2), {}), 200, rng)
    envs.close()
    buf = ReplayBuffer(4, 1, 1000)
    buf.add_segment(seg, seg.actions[..., None].astype(float))
    keep = seg.valid
    assert len(buf) == keep.sum() and seg.terminated.sum() > 5
    assert_array_equal(buf.terminated[:len(buf)], seg.terminated[keep])
    assert buf.terminated[:len(buf)].sum() == seg.terminated.sum()


@pytest.mark.parametrize("kwargs, match", [
    (dict(obs_dim=0, act_dim=1, capacity=3), "obs_dim"),
    (dict(obs_dim=2, act_dim=1.5, capacity=3), "act_dim"),
    (dict(obs_dim=2, act_dim=1, capacity=0), "capacity"),
])
def test_bad_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ReplayBuffer(**kwargs)


@pytest.mark.parametrize("args, match", [
    (([1, 2, 3], [0.0], 1.0, [1, 2], False), "obs"),
    (([1, 2], [0.0, 1.0], 1.0, [1, 2], False), "actions"),
    (([1, 2], [0.0], 1.0, [np.nan, 2], False), "next_obs"),
    (([1, 2], [0.0], np.inf, [1, 2], False), "rewards"),
    (([1, 2], [0.0], [1.0, 2.0], [1, 2], False), "rewards"),
    (([1, 2], [0.0], 1.0, [1, 2], 1), "terminated"),
])
def test_bad_transitions(args, match):
    buf = ReplayBuffer(2, 1, 3)
    with pytest.raises(ValueError, match=match):
        buf.add(*args)
    assert len(buf) == 0


def test_bad_sampling(rng):
    buf = ReplayBuffer(2, 1, 3)
    with pytest.raises(ValueError, match="empty"):
        buf.sample(4, rng)
    fill(buf, range(2))
    with pytest.raises(ValueError, match="batch_size"):
        buf.sample(0, rng)
    with pytest.raises(ValueError, match="Generator"):
        buf.sample(4, 0)
