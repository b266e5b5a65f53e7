"""ES, ARS, CEM: the ES estimator against the exact smoothed gradient (z-tests), hand-worked updates,
batched episodes against a plain Gymnasium loop, validation and short deterministic runs."""
import doctest
import importlib

import gymnasium as gym
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from pglib import algorithms, check_unbiased
from pglib.algorithms.ars import ars_step
from pglib.algorithms.es import antithetic_gradient, centered_ranks
from pglib.algorithms.search import LinearPolicy, RunningMeanStd, run_episodes
from pglib.rollout import make_vec


def test_doctests():
    # pglib.algorithms.es is the function; the module is reached by its full name
    assert doctest.testmod(importlib.import_module("pglib.algorithms.es")).failed == 0


# ------------------------------------------------------------------ the ES estimator

def es_estimates(F, theta, sigma, n_pairs, n_estimates, rng):
    """Independent antithetic estimates of grad F_sigma(theta): shape (n_estimates, P)."""
    out = np.empty((n_estimates, len(theta)))
    for k in range(n_estimates):
        eps = rng.standard_normal((n_pairs, len(theta)))
        out[k] = antithetic_gradient(F(theta + sigma * eps), F(theta - sigma * eps), eps, sigma)
    return out


def test_es_estimate_is_unbiased_on_a_quadratic(rng):
    # F(theta) = -(theta - c)' A (theta - c) / 2: F_sigma = F - sigma^2 tr(A) / 2, grad F_sigma = -A (theta - c)
    A = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, -0.3], [0.0, -0.3, 3.0]])
    c, theta = np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.1, -1.0])

    def F(th):
        d = th - c
        return -0.5 * np.einsum("ni,ij,nj->n", d, A, d)
    samples = es_estimates(F, theta, sigma=0.7, n_pairs=4, n_estimates=3000, rng=rng)
    check_unbiased("ES on a quadratic", samples, -A @ (theta - c), z=4)


def test_es_estimates_the_smoothed_gradient_not_the_gradient(rng):
    # F(theta) = sum_j cos(theta_j): E cos(x + sigma eps) = exp(-sigma^2 / 2) cos x, so
    # grad F_sigma = -exp(-sigma^2 / 2) sin(theta), 0.61 times grad F at sigma = 1
    theta, sigma = np.array([0.4, 1.2, -2.0, 2.9]), 1.0

    def F(th):
        return np.cos(th).sum(axis=1)
    samples = es_estimates(F, theta, sigma, n_pairs=10, n_estimates=4000, rng=rng)
    check_unbiased("ES on sum cos", samples, -np.exp(-sigma ** 2 / 2) * np.sin(theta), z=4)
    # the test has the power to tell the two apart: the unsmoothed gradient is rejected
    se = samples.std(axis=0, ddof=1) / np.sqrt(len(samples))
    z_raw = (samples.mean(axis=0) + np.sin(theta)) / se
    assert np.abs(z_raw).max() > 10


def test_centered_ranks_by_hand():
    assert_allclose(centered_ranks([3.0, 1.0, 2.0]), [0.5, -0.5, 0.0])
    # ties share the mean of their ranks: ranks (0, 1.5, 1.5, 3) / 3 - 1/2
    assert_allclose(centered_ranks([5.0, 7.0, 7.0, 9.0]), [-0.5, 0.0, 0.0, 0.5])
    x = np.array([0.3, -4.0, 10.0, 2.0, 2.0])
    assert_allclose(centered_ranks(np.exp(x)), centered_ranks(x))       # invariant to monotone maps
    assert_allclose(centered_ranks(x).sum(), 0.0, atol=1e-15)
    with pytest.raises(ValueError, match="at least 2"):
        centered_ranks([1.0])


def test_ars_step_by_hand():
    deltas = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    r_plus, r_minus = np.array([5.0, 1.0, 2.0]), np.array([3.0, 4.0, 0.0])
    # max(r+, r-) = (5, 4, 2): the top 2 are directions 0 and 1, their returns (5, 1, 3, 4):
    # mean 3.25, sigma_R = sqrt((1.75^2 + 2.25^2 + 0.25^2 + 0.75^2) / 4) = sqrt(2.1875)
    sigma_r = np.sqrt(2.1875)
    expected = 0.1 / (2 * sigma_r) * ((5 - 3) * deltas[0] + (1 - 4) * deltas[1])
    assert_allclose(ars_step(r_plus, r_minus, deltas, 2, 0.1), expected)
    # all kept returns equal: no step
    assert_array_equal(ars_step(np.ones(3), np.ones(3), deltas, 3, 0.1), [0.0, 0.0])
    with pytest.raises(ValueError, match="top"):
        ars_step(r_plus, r_minus, deltas, 4, 0.1)


def test_running_mean_std_matches_the_pooled_rows(rng):
    stats = RunningMeanStd(3)
    assert_array_equal(stats.std, [1.0, 1.0, 1.0])
    rows = []
    for n in (1, 7, 0, 30, 2):
        x = rng.normal(3.0, [0.1, 2.0, 5.0], size=(n, 3))
        stats.update(x)
        rows.append(x)
    X = np.concatenate(rows)
    assert stats.count == len(X)
    assert_allclose(stats.mean, X.mean(axis=0), rtol=1e-12)
    assert_allclose(stats.std, X.std(axis=0), rtol=1e-12)


# ------------------------------------------------------------------ the linear policy and batched episodes

def test_linear_policy_acts_with_each_copy_s_own_parameters(rng):
    space = gym.spaces.Box(np.array([-1.0, -2.0]), np.array([1.0, 2.0]), dtype=np.float64)
    for sp, bias in ((gym.spaces.Discrete(3), True), (space, True), (space, False)):
        pol = LinearPolicy(4, sp, bias=bias)
        pol.obs_mean, pol.obs_std = rng.standard_normal(4), rng.uniform(0.5, 2, 4)
        thetas, obs = rng.standard_normal((5, pol.n_params)), rng.standard_normal((5, 4))
        got = pol.act(thetas, obs)
        for i in range(5):
            k = pol.n_out
            W = thetas[i, :4 * k].reshape(4, k)
            y = ((obs[i] - pol.obs_mean) / pol.obs_std) @ W + (thetas[i, 4 * k:] if bias else 0.0)
            want = np.argmax(y) if sp is not space else np.clip(y, space.low, space.high)
            assert_allclose(got[i], want)


def test_run_episodes_matches_a_plain_gymnasium_loop(rng):
    pol = LinearPolicy(4, gym.spaces.Discrete(2))
    thetas = rng.standard_normal((4, pol.n_params))
    seeds = [11, 11, 12, 13]
    envs = make_vec("CartPole-v1", 4)
    ep = run_episodes(envs, lambda obs: pol.act(thetas, obs), seeds)
    envs.close()
    env = gym.make("CartPole-v1")
    first_states = []
    for i in range(4):
        obs, _ = env.reset(seed=seeds[i])
        first_states.append(obs)
        total, length, done = 0.0, 0, False
        while not done:
            obs, r, term, trunc, _ = env.step(int(pol.act(thetas[i:i + 1], obs[None])[0]))
            total, length, done = total + r, length + 1, term or trunc
        assert ep.returns[i] == total and ep.lengths[i] == length
    assert ep.states.shape == (ep.lengths.sum(), 4)
    assert_allclose(ep.states[:4], first_states)                  # the first step: every copy's reset state


# ------------------------------------------------------------------ validation

@pytest.mark.parametrize("name, overrides, match", [
    ("es", dict(sigma=-0.1), "sigma"),
    ("es", dict(n_pairs=0), "n_pairs"),
    ("es", dict(rank_returns="yes"), "rank_returns"),
    ("es", dict(noise=0.1), "unknown setting"),
    ("ars", dict(top_directions=9, n_directions=8), "top_directions"),
    ("ars", dict(step_size=np.inf), "step_size"),
    ("cem", dict(elite_frac=0.0), "elite_frac"),
    ("cem", dict(elite_frac=1.5), "elite_frac"),
    ("cem", dict(extra_std=-1.0), "extra_std"),
])
def test_bad_settings(name, overrides, match):
    with pytest.raises(ValueError, match=match):
        getattr(algorithms, name)("CartPole-v1", total_steps=100, seed=0, **overrides)


# ------------------------------------------------------------------ smoke runs

SMALL = {"es": dict(n_pairs=3), "ars": dict(n_directions=3, top_directions=2), "cem": dict(population=6)}


@pytest.mark.parametrize("name", ["es", "ars", "cem"])
def test_short_run_counts_every_step_and_repeats_exactly(name):
    kw = dict(SMALL[name], eval_every=500, eval_episodes=2)
    run = getattr(algorithms, name)("CartPole-v1", total_steps=1500, seed=2, **kw)
    again = getattr(algorithms, name)("CartPole-v1", total_steps=1500, seed=2, **kw)
    assert isinstance(run, algorithms.Run) and run.algorithm == name
    assert run.steps[0] == 0 and run.steps[-1] >= 1500 and (np.diff(run.steps) > 0).all()
    assert run.returns.shape == run.steps.shape and (run.returns >= 1).all()
    assert_array_equal(run.steps, again.steps)
    assert_array_equal(run.returns, again.returns)
    # CartPole pays 1 per step, so the steps charged are the sum of all perturbation episodes' returns
    assert run.steps[-1] == run.episode_returns.sum() == run.episode_steps[-1]
    assert 1 <= run.evaluate(n_episodes=2, seed=1) <= 500
