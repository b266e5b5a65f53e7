"""DDPG, TD3, SAC: the actor gradients against finite differences, action scaling, validation, smoke runs."""
import gymnasium as gym
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from pglib import algorithms
from pglib.algorithms.offpolicy import (LOG_STD_MAX, DeterministicActor, QNetwork, SquashedGaussianActor,
                                        action_scale)
from pglib.nn import flatten

BOX = gym.spaces.Box(low=np.array([-1.0, 0.0]), high=np.array([3.0, 0.5]), dtype=np.float64)


def central_fd(f, v, eps=1e-6):
    out = np.empty_like(v)
    for i in range(v.size):
        e = np.zeros_like(v)
        e[i] = eps
        out[i] = (f(v + e) - f(v - e)) / (2 * eps)
    return out


def fd_over_params(net, loss):
    """Central differences of ``loss()`` over the parameters of the MLP ``net`` (restored afterwards)."""
    theta0 = net.get_flat()

    def f(theta):
        net.set_flat(theta)
        return loss()
    g = central_fd(f, theta0)
    net.set_flat(theta0)
    return g


def randomised(model, rng, scale=0.5):
    """The model (an MLP, or a Q network / actor holding one) with its parameters redrawn from N(0, scale^2)."""
    net = getattr(model, "net", model)
    net.set_flat(scale * rng.standard_normal(net.n_params))
    return model


# ------------------------------------------------------------------ action scaling

def test_actions_map_minus_one_and_one_to_the_bounds():
    c, h = action_scale(BOX)
    assert_array_equal(c, [1.0, 0.25])
    assert_array_equal(h, [2.0, 0.25])
    actor = DeterministicActor(3, BOX, (4,), "tanh", np.random.default_rng(0))
    assert_allclose(actor.to_env(np.array([[-1.0, -1.0], [1.0, 1.0], [0.0, 0.0]])),
                    [[-1.0, 0.0], [3.0, 0.5], [1.0, 0.25]])


@pytest.mark.parametrize("space, match", [
    (gym.spaces.Box(-np.inf, np.inf, (1,), dtype=np.float64), "finite"),
    (gym.spaces.Box(np.array([0.0]), np.array([np.inf]), dtype=np.float64), "finite"),
    (gym.spaces.Discrete(3), "continuous"),
    (gym.spaces.Box(-1.0, 1.0, (2, 2), dtype=np.float64), "unsupported"),
])
def test_actors_refuse_unbounded_or_discrete_spaces(space, match):
    for Actor in (DeterministicActor, SquashedGaussianActor):
        with pytest.raises(ValueError, match=match):
            Actor(3, space, (4,), "tanh", np.random.default_rng(0))


# ------------------------------------------------------------------ gradients vs finite differences

@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_q_action_gradient_matches_finite_differences(activation, rng):
    q = randomised(QNetwork(3, 2, (6, 5), activation, rng), rng)
    q.net.params[-1] += 0.3
    s, a = rng.standard_normal((4, 3)), rng.uniform(-1, 1, (4, 2))
    w = rng.standard_normal(4)
    # L = sum_b w_b Q(s_b, a_b): dL/da_b = w_b grad_a Q(s_b, a_b)
    _, cache = q.forward(s, a)
    got = q.action_grad(cache, w)
    fd = central_fd(lambda af: float(w @ q(s, af.reshape(a.shape))), a.ravel()).reshape(a.shape)
    assert_allclose(got, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_deterministic_policy_gradient_matches_finite_differences(activation, rng):
    # the DDPG/TD3 actor loss L(theta) = -mean_b Q(s_b, mu_theta(s_b)), through Q's input VJP
    actor = DeterministicActor(3, BOX, (5, 4), activation, rng)
    randomised(actor.net, rng)
    q = randomised(QNetwork(3, 2, (6,), activation, rng), rng)
    s = rng.standard_normal((7, 3))
    B = len(s)
    a, cache = actor.forward(s)
    _, cq = q.forward(s, a)
    grads = actor.backward(cache, q.action_grad(cq, np.full(B, -1.0 / B)))
    fd = fd_over_params(actor.net, lambda: -float(np.mean(q(s, actor(s)))))
    assert_allclose(flatten(grads), fd, rtol=1e-5, atol=1e-8)


def sac_actor_loss_and_grads(actor, q1, q2, s, eps, alpha):
    """The lines of sac.py's actor step: L = mean(alpha log pi(a|s) - min_i Q_i(s, a)) and its gradient."""
    B = len(s)
    a, logp, cache = actor.sample(s, None, eps=eps)
    v1, c1 = q1.forward(s, a)
    v2, c2 = q2.forward(s, a)
    first = v1 <= v2
    da = -(q1.action_grad(c1, first / B) + q2.action_grad(c2, ~first / B))
    grads = actor.backward(cache, np.full(B, alpha / B), da)
    return float(np.mean(alpha * logp - np.minimum(v1, v2))), flatten(grads)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_sac_reparameterised_actor_gradient_matches_finite_differences(activation, rng):
    actor = SquashedGaussianActor(3, BOX, (5,), activation, rng)
    randomised(actor.net, rng)
    q1 = randomised(QNetwork(3, 2, (6,), activation, rng), rng)
    q2 = randomised(QNetwork(3, 2, (6,), activation, rng), rng)
    s, eps = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    # shift Q2 to the median of Q1 - Q2: each critic is the minimum for some samples, both VJPs are used
    a = actor.sample(s, None, eps=eps)[0]
    q2.net.params[-1] += np.median(q1(s, a) - q2(s, a)) + 1e-3
    loss, grads = sac_actor_loss_and_grads(actor, q1, q2, s, eps, alpha=0.7)
    first = q1(s, a) <= q2(s, a)
    assert 0 < first.sum() < len(s)
    fd = fd_over_params(actor.net, lambda: sac_actor_loss_and_grads(actor, q1, q2, s, eps, 0.7)[0])
    assert_allclose(grads, fd, rtol=1e-5, atol=1e-7)


def test_sac_gradient_is_zero_through_a_clipped_log_std(rng):
    actor = SquashedGaussianActor(3, BOX, (5,), "tanh", rng)
    randomised(actor.net, rng)
    actor.net.params[-1][2:] = LOG_STD_MAX + 5.0                 # every log std far above its clip
    q1 = randomised(QNetwork(3, 2, (6,), "tanh", rng), rng)
    s, eps = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    _, grads = sac_actor_loss_and_grads(actor, q1, q1, s, eps, alpha=0.3)
    fd = fd_over_params(actor.net, lambda: sac_actor_loss_and_grads(actor, q1, q1, s, eps, 0.3)[0])
    assert_allclose(grads, fd, rtol=1e-5, atol=1e-7)
    n_last = actor.net.params[-1].size
    assert_array_equal(grads[-n_last:][2:], 0.0)                   # the log-std biases get no gradient


def test_squashed_samples_and_log_prob_match_the_exact_bin_probabilities(rng):
    # a = tanh(u), u ~ N(m, s^2) at one state: P(a in [e0, e1]) = Phi((atanh e1 - m)/s) - Phi((atanh e0 - m)/s)
    from math import erf
    actor = SquashedGaussianActor(1, gym.spaces.Box(-1.0, 1.0, (1,), dtype=np.float64), (3,), "tanh", rng)
    randomised(actor.net, rng)
    out = actor.net(np.zeros((1, 1)))[0]
    m, sd = out[0], np.exp(out[1])
    edges = np.linspace(-0.99, 0.99, 23)
    Phi = np.array([0.5 * (1 + erf((np.arctanh(e) - m) / (sd * np.sqrt(2)))) for e in edges])
    p = np.diff(Phi)
    # the samples: a histogram of 200k draws against p, a z-test per bin
    n = 200_000
    a, logp, _ = actor.sample(np.zeros((n, 1)), rng)
    counts, _ = np.histogram(a[:, 0], edges)
    keep = p > 1e-4
    z = (counts - n * p)[keep] / np.sqrt(n * p * (1 - p))[keep]
    assert np.abs(z).max() < 4.5, z
    # the log-density (with the tanh Jacobian) integrates to p over each bin (Simpson, 2001 points per bin)
    for e0, e1, pk in zip(edges[:-1], edges[1:], p):
        x = np.linspace(e0, e1, 2001)
        u = np.arctanh(x)[:, None]
        _, lp, _ = actor.sample(np.zeros((len(x), 1)), None, eps=(u - m) / sd)
        w = np.ones(len(x))
        w[1:-1:2], w[2:-1:2] = 4, 2
        assert_allclose((x[1] - x[0]) / 3 * (w @ np.exp(lp)), pk, rtol=1e-7, atol=1e-12)


# ------------------------------------------------------------------ validation

@pytest.mark.parametrize("name", ["ddpg", "td3", "sac"])
def test_discrete_action_space_is_refused(name):
    with pytest.raises(ValueError, match="continuous"):
        getattr(algorithms, name)("CartPole-v1", total_steps=100, seed=0)


@pytest.mark.parametrize("name, overrides, match", [
    ("sac", dict(tau=1.5), "tau"),
    ("sac", dict(init_alpha=0.0), "init_alpha"),
    ("sac", dict(learn_alpha=1), "learn_alpha"),
    ("td3", dict(policy_delay=0), "policy_delay"),
    ("td3", dict(noise_clip=-0.1), "noise_clip"),
    ("td3", dict(exploration_noise=np.nan), "exploration_noise"),
    ("ddpg", dict(batch_size=2.5), "batch_size"),
    ("ddpg", dict(gamma=1.01), "gamma"),
    ("ddpg", dict(buffer_size=0), "buffer_size"),
    ("ddpg", dict(policy_noise=0.2), "unknown setting"),
])
def test_bad_settings(name, overrides, match):
    with pytest.raises(ValueError, match=match):
        getattr(algorithms, name)("Pendulum-v1", total_steps=100, seed=0, **overrides)


@pytest.mark.parametrize("kwargs, match", [
    (dict(env_id="Pendulum-v9"), "unknown environment"),
    (dict(total_steps=0), "total_steps"),
    (dict(seed=-1), "seed"),
])
def test_bad_calls(kwargs, match):
    call = dict(env_id="Pendulum-v1", total_steps=100, seed=0) | kwargs
    with pytest.raises(ValueError, match=match):
        algorithms.sac(**call)


# ------------------------------------------------------------------ smoke runs: shapes and determinism

SMALL = dict(hidden=(8, 8), batch_size=16, learning_starts=100, eval_every=150, eval_episodes=2)


@pytest.mark.parametrize("name", ["ddpg", "td3", "sac"])
def test_short_run_has_a_curve_and_repeats_exactly(name):
    run = getattr(algorithms, name)("Pendulum-v1", total_steps=300, seed=3, **SMALL)
    again = getattr(algorithms, name)("Pendulum-v1", total_steps=300, seed=3, **SMALL)
    assert isinstance(run, algorithms.Run) and run.algorithm == name
    assert_array_equal(run.steps, [0, 150, 300])
    assert run.returns.shape == (3,) and np.isfinite(run.returns).all()
    assert (run.returns < 0).all()                               # Pendulum rewards are <= 0
    assert_array_equal(run.returns, again.returns)               # same seed, same curve
    assert_array_equal(run.episode_returns, again.episode_returns)
    assert_array_equal(run.episode_steps, [200])                 # the one episode that ended
    score = run.evaluate(n_episodes=2, seed=1)
    assert np.isfinite(score) and score < 0
