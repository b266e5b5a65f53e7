"""pglib.learning: REINFORCE runs against updates worked by hand, the exact gradient (z-tests) and closed forms."""
import doctest

import numpy as np
import pytest
from numpy.testing import assert_allclose

import pglib
from pglib import exact, learning
from pglib.sampling import discounted_returns


def two_step_mdp(gamma):
    """States 0 -> 1 -> terminal 2 whatever the action; r(0, a) = a, r(1, a) = 10 a."""
    P = np.zeros((3, 2, 3))
    P[0, :, 1] = 1.0
    P[1, :, 2] = 1.0
    P[2, :, 2] = 1.0
    R = np.array([[0.0, 1.0], [0.0, 10.0], [0.0, 0.0]])
    return pglib.TabularMDP(P, R, [1.0, 0.0, 0.0], gamma, [False, False, True])


def shared_policy():
    """x(s, a) = e_a in both states: one probability vector for every state, so a step moves the next score."""
    X = np.zeros((3, 2, 2))
    X[:, 0, 0] = X[:, 1, 1] = 1.0
    return pglib.LinearSoftmaxPolicy(X)


def corridor_policy():
    """Sutton & Barto's features: x(s, right) = (1, 0), x(s, left) = (0, 1)."""
    X = np.zeros((4, 2, 2))
    X[:, 1] = [1.0, 0.0]
    X[:, 0] = [0.0, 1.0]
    return pglib.LinearSoftmaxPolicy(X)


def _score(theta, a):
    # grad log softmax(theta)[a] = e_a - softmax(theta)
    p = np.exp(theta - theta.max())
    p /= p.sum()
    return np.eye(2)[a] - p


def _actions_from_return(G0, gamma):
    """The two-step MDP pays a0 + gamma * 10 a1: the return names the actions."""
    for a0 in (0, 1):
        for a1 in (0, 1):
            if np.isclose(G0, a0 + gamma * 10 * a1):
                return a0, a1
    raise AssertionError(f"return {G0} matches no action pair")


@pytest.mark.parametrize("seed", range(6))
def test_one_episode_by_hand(seed):
    gamma, alpha, alpha_w, w0 = 0.5, 0.5, 0.25, 2.0
    mdp, pol = two_step_mdp(gamma), shared_policy()
    theta0 = np.array([0.3, -0.2])
    for update in ("per_step", "per_episode"):
        for baseline in (False, True):
            kw = dict(value_features=np.ones((3, 1)), alpha_w=alpha_w, w0=w0) if baseline else {}
            runs = learning.reinforce(mdp, pol, theta0, alpha, 1, np.random.default_rng(seed), n_runs=1,
                                      update=update, **kw)
            G0 = runs.returns[0, 0]
            a0, a1 = _actions_from_return(G0, gamma)
            G = [G0, 10.0 * a1]                     # G_1 = r_1
            assert runs.lengths[0, 0] == 2
            if update == "per_episode":
                w = w0 if baseline else 0.0
                theta = theta0 + alpha * ((G[0] - w) * _score(theta0, a0)
                                          + gamma * (G[1] - w) * _score(theta0, a1))
                if baseline:
                    w = w + alpha_w * (G[0] - w)
                    w = w + alpha_w * (G[1] - w)
            else:
                # Sutton & Barto's box: delta, then w, then theta, step after step
                theta, w = theta0.copy(), (w0 if baseline else 0.0)
                for t, a in enumerate((a0, a1)):
                    delta = G[t] - w
                    if baseline:
                        w = w + alpha_w * delta
                    theta = theta + alpha * gamma ** t * delta * _score(theta, a)
            assert_allclose(runs.thetas[0, 1], theta, rtol=1e-12, atol=1e-14)
            assert_allclose(runs.thetas[0, 0], theta0)
            if baseline:
                assert_allclose(runs.weights[0, 1], [w], rtol=1e-12)


def test_per_step_and_per_episode_differ_when_the_first_step_moves_the_second_score():
    mdp, pol = two_step_mdp(0.5), shared_policy()
    # all four action pairs over the seeds: the schedules differ whenever G_0 != 0 and G_1 != 0
    differ = 0
    for seed in range(12):
        out = [learning.reinforce(mdp, pol, np.zeros(2), 1.0, 1, np.random.default_rng(seed), n_runs=1,
                                  update=u).thetas[0, 1] for u in ("per_step", "per_episode")]
        differ += not np.allclose(out[0], out[1])
    assert differ > 0


@pytest.mark.parametrize("update", ["per_episode", "per_step"])
def test_mean_first_update_is_the_policy_gradient(update):
    # One episode per run: (theta_1 - theta_0) / alpha is one REINFORCE term.  Per episode it is
    # unbiased for grad J; per step it is too up to O(alpha), negligible at alpha = 1e-6.
    rng = np.random.default_rng(7)
    mdp = pglib.random_mdp(5, 3, rng, gamma=0.9, n_terminal=1)
    pol = pglib.SoftmaxPolicy(5, 3)
    theta0 = rng.standard_normal((5, 3))
    alpha = 1.0 if update == "per_episode" else 1e-6
    runs = learning.reinforce(mdp, pol, theta0, alpha, 1, np.random.default_rng(8), n_runs=20_000,
                              update=update)
    terms = (runs.thetas[:, 1] - theta0) / alpha
    pglib.check_unbiased(f"{update}: mean update / alpha = grad J", terms[:, :4],
                         exact.policy_gradient(mdp, pol, theta0)[:4], z=4.5)


def test_baseline_learned_before_the_episode_adds_no_bias():
    # per_episode reads v(s_t, w_k) with w_k fixed before the episode: any w_k leaves the mean at grad J
    rng = np.random.default_rng(11)
    mdp = pglib.random_mdp(4, 2, rng, gamma=0.8, n_terminal=1)
    pol = pglib.SoftmaxPolicy(4, 2)
    theta0 = rng.standard_normal((4, 2))
    w0 = np.array([3.0, -2.0, 1.0, 5.0])
    runs = learning.reinforce(mdp, pol, theta0, 1.0, 1, np.random.default_rng(12), n_runs=20_000,
                              value_features=np.eye(4), alpha_w=0.1, w0=w0, update="per_episode")
    terms = runs.thetas[:, 1] - theta0
    pglib.check_unbiased("per_episode with a baseline: mean update = grad J", terms[:, :3],
                         exact.policy_gradient(mdp, pol, theta0)[:3], z=4.5)
    # ... while the same baseline does change the per-episode terms
    plain = learning.reinforce(mdp, pol, theta0, 1.0, 1, np.random.default_rng(12), n_runs=20_000,
                               update="per_episode")
    assert not np.allclose(plain.thetas[:, 1], runs.thetas[:, 1])


def test_weights_follow_the_per_step_regression():
    # one state value w (constant feature): after the episode, w = the per-step recursion on G_t
    mdp = pglib.chain_mdp(n=3, gamma=1.0)
    pol = pglib.SoftmaxPolicy(4, 2)
    runs = learning.reinforce(mdp, pol, pol.zeros(), 0.0, 1, np.random.default_rng(3), n_runs=1,
                              value_features=np.ones((4, 1)), alpha_w=0.1, w0=0.0)
    L = runs.lengths[0, 0]
    G = -(L - np.arange(L)).astype(float)          # -1 per step: G_t = -(L - t)
    assert runs.returns[0, 0] == G[0]
    w = 0.0
    for g in G:
        w += 0.1 * (g - w)
    assert_allclose(runs.weights[0, 1, 0], w, rtol=1e-12)
    assert_allclose(runs.thetas[0, 1], pol.zeros())    # alpha = 0: theta never moves


def test_objectives_closed_form_and_exact():
    # Sutton & Barto's corridor: J(p) = (2p - 4) / (p (1 - p)) with p = sigmoid(theta_R - theta_L)
    mdp, pol = pglib.short_corridor(), corridor_policy()
    rng = np.random.default_rng(0)
    thetas = rng.normal(0, 3, size=(7, 5, 2))
    u = thetas[..., 0] - thetas[..., 1]
    p = 1 / (1 + np.exp(-u))
    assert_allclose(learning.objectives(mdp, pol, thetas), (2 * p - 4) / (p * (1 - p)), rtol=1e-9)
    # a discounted random MDP, tabular softmax: against exact.objective one theta at a time
    mdp2 = pglib.random_mdp(5, 3, rng, gamma=0.9)
    pol2 = pglib.SoftmaxPolicy(5, 3)
    th2 = rng.standard_normal((6, 5, 3))
    assert_allclose(learning.objectives(mdp2, pol2, th2, chunk=4),
                    [exact.objective(mdp2, pol2, t) for t in th2], rtol=1e-12)


def test_objectives_nan_where_double_precision_cannot_resolve_j():
    mdp, pol = pglib.short_corridor(), corridor_policy()
    J = learning.objectives(mdp, pol, np.array([[10.0, -10.0], [20.0, -20.0], [0.0, 0.0]]))
    assert np.isnan(J[1]) and np.isfinite(J[0]) and J[2] == pytest.approx(-12.0)


def test_a_run_is_stopped_by_an_endless_episode():
    mdp, pol = pglib.short_corridor(), corridor_policy()
    theta0 = np.array([-6.0, 6.0])      # p(right) = 6e-6: an episode takes about 10^5 steps
    runs = learning.reinforce(mdp, pol, theta0, 2.0 ** -12, 4, np.random.default_rng(0), n_runs=3,
                              max_steps=100)
    assert runs.diverged.all() and (runs.stopped == 0).all()
    assert (runs.lengths[:, 0] == 100).all() and (runs.lengths[:, 1:] == 0).all()
    assert np.isnan(runs.returns).all()
    assert_allclose(runs.thetas, np.broadcast_to(theta0, runs.thetas.shape))


def test_runs_are_reproducible_and_mixed_settings_match_separate_ones_in_distribution():
    mdp, pol = pglib.short_corridor(), corridor_policy()
    a = learning.reinforce(mdp, pol, np.zeros(2), [2.0 ** -8, 2.0 ** -10], 20, np.random.default_rng(5),
                           update=["per_step", "per_episode"])
    b = learning.reinforce(mdp, pol, np.zeros(2), [2.0 ** -8, 2.0 ** -10], 20, np.random.default_rng(5),
                           update=["per_step", "per_episode"])
    assert_allclose(a.thetas, b.thetas)
    assert list(a.update) == ["per_step", "per_episode"]
    # the sampled return of an episode is minus its length (reward -1 per step, gamma = 1)
    assert_allclose(a.returns, -a.lengths)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 0.9, 1.0])
def test_returns_to_go_against_the_backward_recursion(gamma):
    rng = np.random.default_rng(1)
    L = np.array([1, 5, 3, 8])
    mask = np.arange(8)[None, :] < L[:, None]
    r = np.where(mask, rng.standard_normal((4, 8)), 0.0)
    assert_allclose(learning._returns_to_go(r, L, gamma), discounted_returns(r, mask, gamma), rtol=1e-12,
                    atol=1e-12)
    # long episodes at small gamma take the backward recursion (gamma^T would underflow)
    long = np.ones((1, 2000))
    assert_allclose(learning._returns_to_go(long, np.array([2000]), 0.5)[0, :3], 2.0, rtol=1e-12)


def test_errors():
    mdp, pol = pglib.short_corridor(), corridor_policy()
    rng = np.random.default_rng(0)
    ok = dict(mdp=mdp, policy=pol, theta0=np.zeros(2), alpha=0.1, n_episodes=2, rng=rng, n_runs=2)
    bad = [
        (dict(mdp="corridor"), "mdp must be a TabularMDP"),
        (dict(policy=pglib.GaussianPolicy(2)), "policy must be a SoftmaxPolicy"),
        (dict(policy=pglib.SoftmaxPolicy(3, 2)), "policy is for 3 states"),
        (dict(theta0=np.zeros(3)), "theta0 must have shape"),
        (dict(theta0=np.array([np.nan, 0.0])), "theta0 must be finite"),
        (dict(alpha=-1.0), "alpha must be finite and >= 0"),
        (dict(alpha=[0.1, 0.2, 0.3]), "number of runs R is ambiguous"),
        (dict(n_runs=None), "number of runs R is ambiguous"),
        (dict(n_episodes=0), "n_episodes must be a positive integer"),
        (dict(rng=0), "rng must be a numpy.random.Generator"),
        (dict(update="batch"), "update must be"),
        (dict(max_steps=0), "max_steps must be a positive integer"),
        (dict(value_features=np.ones(4)), "value_features must be a finite array of shape"),
        (dict(value_features=np.ones((4, 1)), w0=np.zeros(3)), "w0 must be a number or have shape"),
        (dict(value_features=np.ones((4, 1)), alpha_w=np.nan), "alpha_w must be finite"),
    ]
    for change, message in bad:
        with pytest.raises(ValueError, match=message):
            learning.reinforce(**{**ok, **change})
    with pytest.raises(ValueError, match="thetas must have shape"):
        learning.objectives(mdp, pol, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="thetas must be finite"):
        learning.objectives(mdp, pol, np.array([np.inf, 0.0]))
    with pytest.raises(ValueError, match="mdp must be a TabularMDP"):
        learning.objectives(None, pol, np.zeros(2))


def test_inputs_not_mutated():
    mdp, pol = pglib.short_corridor(), corridor_policy()
    theta0, alpha, w0 = np.array([0.1, -0.1]), np.array([0.01, 0.02]), np.array([1.0])
    copies = [x.copy() for x in (theta0, alpha, w0)]
    learning.reinforce(mdp, pol, theta0, alpha, 3, np.random.default_rng(0), value_features=np.ones((4, 1)),
                       alpha_w=0.1, w0=w0)
    for x, c in zip((theta0, alpha, w0), copies):
        assert_allclose(x, c)


def test_doctests():
    assert doctest.testmod(learning).failed == 0
