"""pglib.algorithms: the pieces each algorithm's correctness rests on, checked against independent answers,
the contract (curves, determinism, evaluate), and every validation error."""
import gymnasium as gym
import numpy as np
import pytest

import pglib
from pglib import advantages, exact
from pglib.algorithms import a2c, ppo, reinforce, trpo
from pglib.algorithms.common import Policy
from pglib.algorithms.defaults import DEFAULTS, settings
from pglib.algorithms.ppo import clipped_surrogate_grad
from pglib.algorithms.trpo import conjugate_gradient
from pglib.nn import flatten


# --- segment_gae ----------------------------------------------------------------

def test_segment_gae_matches_episode_gae_on_a_tabular_batch():
    """Time-major GAE on padded episodes = pglib.advantages.gae (episode-major, independent code)."""
    mdp = pglib.chain_mdp(5, gamma=0.9)
    pi = np.full((mdp.n_states, mdp.n_actions), 1.0 / mdp.n_actions)
    batch = pglib.rollouts(mdp, pi, 50, 12, np.random.default_rng(0))
    V = np.random.default_rng(1).normal(size=mdp.n_states)
    V[mdp.terminal] = 0.0
    ref = advantages.gae(batch, V, mdp.gamma, 0.7, terminal=mdp.terminal)          # (N, T)
    N, T = batch.states.shape
    # time-major segment: values of s_t, and of s_{t+1} (final state after the last step)
    nxt = np.concatenate([batch.states[:, 1:], batch.final_states[:, None]], axis=1)
    last = batch.mask & ~np.concatenate([batch.mask[:, 1:], np.zeros((N, 1), bool)], axis=1)
    nxt = np.where(last, batch.final_states[:, None], nxt)
    ended = last & mdp.terminal[nxt]
    cut = last & ~mdp.terminal[nxt]
    values = np.zeros((T + 1, N))
    values[:T] = V[batch.states].T
    # a segment has one values row per step; put each episode's bootstrap state at t+1 by giving
    # the step after its last one the value of its final state
    for i in range(N):
        L = batch.mask[i].sum()
        values[L, i] = V[batch.final_states[i]]
    got = advantages.segment_gae(batch.rewards.T, values, ended.T, cut.T, batch.mask.T, mdp.gamma, 0.7)
    np.testing.assert_allclose(got, ref.T, atol=1e-12)


def test_segment_gae_hand_worked():
    # one copy, 4 steps: r = 1 each; step 1 truncated (bootstrap V(s_2) = 10), step 2 a reset step, step 3 running
    r = np.array([[1.0], [1.0], [0.0], [1.0]])
    V = np.array([[2.0], [3.0], [10.0], [4.0], [5.0]])
    term = np.zeros((4, 1), bool)
    trunc = np.array([[False], [True], [False], [False]])
    valid = np.array([[True], [True], [False], [True]])
    g, lam = 0.5, 0.5
    A = advantages.segment_gae(r, V, term, trunc, valid, g, lam)
    d1 = 1 + g * 10 - 3           # truncated: bootstrap from the final observation's value
    d0 = 1 + g * 3 - 2
    d3 = 1 + g * 5 - 4            # last step of the segment bootstraps from V(s_4)
    np.testing.assert_allclose(A[:, 0], [d0 + g * lam * d1, d1, 0.0, d3])
    # terminated instead of truncated: no bootstrap
    A2 = advantages.segment_gae(r, V, trunc, term, valid, g, lam)
    np.testing.assert_allclose(A2[1, 0], 1 - 3)


def test_segment_gae_errors():
    with pytest.raises(ValueError, match=r"\(T\+1, N\)"):
        advantages.segment_gae(np.zeros((3, 2)), np.zeros((3, 2)), np.zeros((3, 2), bool),
                               np.zeros((3, 2), bool), np.ones((3, 2), bool), 0.9, 0.9)
    with pytest.raises(ValueError, match="lam"):
        advantages.segment_gae(np.zeros((3, 2)), np.zeros((4, 2)), np.zeros((3, 2), bool),
                               np.zeros((3, 2), bool), np.ones((3, 2), bool), 0.9, 1.5)


# --- Policy ------------------------------------------------------------------------

def _fd(f, theta, eps=1e-6):
    g = np.zeros_like(theta)
    for k in range(theta.size):
        e = np.zeros_like(theta)
        e[k] = eps
        g[k] = (f(theta + e) - f(theta - e)) / (2 * eps)
    return g


@pytest.mark.parametrize("space", [gym.spaces.Discrete(3), gym.spaces.Box(-2, 2, shape=(2,))])
def test_policy_backward_matches_finite_differences(space):
    rng = np.random.default_rng(0)
    pol = Policy(4, space, (5,), "tanh", rng, init_log_std=-0.3)
    pol.set_flat(rng.normal(size=pol.get_flat().size) * 0.5)
    obs = rng.normal(size=(6, 4))
    actions = pol.sample(obs, rng)[0]
    w, u = rng.normal(size=6), rng.normal(size=6)

    def loss(theta):       # L = sum_t w_t log pi(a_t|s_t) + u_t H_t
        old = pol.get_flat()
        pol.set_flat(theta)
        logp, ent, _ = pol.log_prob(obs, actions)
        pol.set_flat(old)
        return float(w @ logp + u @ ent)

    _, _, cache = pol.log_prob(obs, actions)
    got = flatten(pol.backward(cache, w, u))
    np.testing.assert_allclose(got, _fd(loss, pol.get_flat()), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("space", [gym.spaces.Discrete(3), gym.spaces.Box(-2, 2, shape=(2,))])
def test_fisher_vector_product_is_the_hessian_of_the_kl(space):
    """F v against a finite-difference Hessian of the mean KL(pi_old || pi_theta) at theta_old."""
    rng = np.random.default_rng(1)
    pol = Policy(3, space, (4,), "tanh", rng)
    pol.set_flat(rng.normal(size=pol.get_flat().size) * 0.5)
    obs = rng.normal(size=(5, 3))
    old, theta0 = pol.dist_params(obs), pol.get_flat()
    v = rng.normal(size=theta0.size)

    def kl(theta):
        pol.set_flat(theta)
        out = pol.kl_from(old, obs)
        pol.set_flat(theta0)
        return out
    # directional second derivative: d^2/dh^2 KL(theta0 + h v) at 0 = v' F v; and F v by the gradient's difference
    h = 1e-4
    grad_plus = _fd(kl, theta0 + h * v, eps=1e-5)
    grad_minus = _fd(kl, theta0 - h * v, eps=1e-5)
    Fv_fd = (grad_plus - grad_minus) / (2 * h)
    Fv = pol.fisher_vector_product(obs, v)
    np.testing.assert_allclose(Fv, Fv_fd, rtol=2e-3, atol=2e-5)


def test_fisher_equals_score_outer_product_by_enumeration():
    """Discrete: F = E_s E_{a~pi}[score score'] computed by enumerating the actions."""
    rng = np.random.default_rng(2)
    pol = Policy(2, gym.spaces.Discrete(3), (3,), "tanh", rng)
    pol.set_flat(rng.normal(size=pol.get_flat().size))
    obs = rng.normal(size=(4, 2))
    P = pol.get_flat().size
    F = np.zeros((P, P))
    probs = pglib.policies.softmax(pol.net(obs))
    for b in range(4):
        for a in range(3):
            _, _, cache = pol.log_prob(obs[b:b + 1], np.array([a]))
            s = flatten(pol.backward(cache, np.ones(1)))
            F += probs[b, a] * np.outer(s, s) / 4
    v = rng.normal(size=P)
    np.testing.assert_allclose(pol.fisher_vector_product(obs, v), F @ v, rtol=1e-6, atol=1e-9)


# --- PPO and TRPO pieces -----------------------------------------------------------------

def test_clipped_surrogate_grad_matches_finite_differences():
    rng = np.random.default_rng(3)
    logp_old = rng.normal(size=200)
    logp = logp_old + rng.normal(scale=0.4, size=200)
    adv = rng.normal(size=200)
    eps = 0.2

    def objective(lp):
        r = np.exp(lp - logp_old)
        return np.minimum(r * adv, np.clip(r, 1 - eps, 1 + eps) * adv)
    h = 1e-7
    fd = (objective(logp + h) - objective(logp - h)) / (2 * h)
    got = clipped_surrogate_grad(np.exp(logp - logp_old), adv, eps)
    away = np.abs(np.abs(np.exp(logp - logp_old) - 1) - eps) > 1e-5     # not on a kink
    np.testing.assert_allclose(got[away], fd[away], rtol=1e-5, atol=1e-8)
    # the four sign cases: the gradient is zero exactly when the ratio left the clip range on the improving side
    r = np.exp(logp - logp_old)
    zero = ((adv > 0) & (r > 1 + eps)) | ((adv < 0) & (r < 1 - eps))
    assert np.all(got[zero] == 0) and np.all(got[~zero] != 0)


def test_conjugate_gradient_solves_spd_systems():
    rng = np.random.default_rng(4)
    M = rng.normal(size=(8, 8))
    M = M @ M.T + 8 * np.eye(8)
    b = rng.normal(size=8)
    np.testing.assert_allclose(conjugate_gradient(lambda x: M @ x, b, iters=8), np.linalg.solve(M, b), rtol=1e-8)


# --- the contract ---------------------------------------------------------------------------

@pytest.mark.parametrize("algo", [reinforce, a2c, trpo, ppo])
def test_contract_and_determinism(algo):
    kw = dict(eval_every=1000, eval_episodes=2)
    if algo is reinforce:
        kw["n_envs"] = 4
    r1 = algo("CartPole-v1", total_steps=2000, seed=3, **kw)
    r2 = algo("CartPole-v1", total_steps=2000, seed=3, **kw)
    assert r1.steps.shape == r1.returns.shape and r1.steps[0] == 0 and np.all(np.diff(r1.steps) > 0)
    assert r1.steps[-1] <= 2000 + 64 * 4
    np.testing.assert_array_equal(r1.returns, r2.returns)
    np.testing.assert_array_equal(r1.episode_returns, r2.episode_returns)
    # CartPole's return is the episode length: between 8 and 500
    assert np.all((r1.returns >= 8) & (r1.returns <= 500))
    e = r1.evaluate(n_episodes=3, seed=5)
    assert e == r2.evaluate(n_episodes=3, seed=5) and 8 <= e <= 500


def test_continuous_actions_are_accepted_by_ppo():
    run = ppo("Pendulum-v1", total_steps=512, seed=0, n_envs=2, n_steps=64, eval_every=512, eval_episodes=1)
    assert run.policy.kind == "continuous" and np.all(run.returns <= 0)


@pytest.mark.parametrize("bad, match", [
    (dict(env_id="NoSuchEnv-v0"), "unknown environment id"),
    (dict(total_steps=0), "total_steps"),
    (dict(total_steps=1.5), "total_steps"),
    (dict(seed=-1), "seed"),
    (dict(lr=-1e-3), "lr must be positive"),
    (dict(lr=float("nan")), "lr must be a finite number"),
    (dict(gamma=1.2), r"gamma must be in \[0, 1\]"),
    (dict(n_envs=0), "n_envs must be a positive integer"),
    (dict(hidden=(64, 0)), "hidden"),
    (dict(ent_coef=-0.1), "ent_coef must be >= 0"),
    (dict(no_such_setting=1), "unknown setting"),
    (dict(activation="sigmoid"), "activation"),
])
def test_errors(bad, match):
    args = dict(env_id="CartPole-v1", total_steps=1000, seed=0)
    args.update(bad)
    with pytest.raises(ValueError, match=match):
        ppo(args.pop("env_id"), **args)


def test_discrete_only_checks_and_defaults_table():
    with pytest.raises(ValueError, match="no defaults"):
        settings("nope", "CartPole-v1", {})
    for name, table in DEFAULTS.items():
        for key, (value, meaning) in table.items():
            assert isinstance(meaning, str) and meaning
        assert settings(name, "CartPole-v1", {})  # the defaults themselves validate


def test_reinforce_on_a_tabular_mdp_is_unbiased():
    """The network policy with one-hot inputs and no hidden layer is a tabular softmax: REINFORCE through
    Policy.backward (per episode) has mean = exact.policy_gradient (z-test, z = 4)."""
    mdp = pglib.chain_mdp(4, gamma=1.0)
    S, A = mdp.n_states, mdp.n_actions
    rng = np.random.default_rng(0)
    pol = Policy(S, gym.spaces.Discrete(A), (), "tanh", rng)
    W, b = pol.net.params
    W[...] = rng.normal(size=W.shape) * 0.5
    logits = np.eye(S) @ W + b
    pi = pglib.policies.softmax(logits)
    batch = pglib.rollouts(mdp, pi, 4000, 60, rng)
    G = pglib.sampling.discounted_returns(batch.rewards, batch.mask, mdp.gamma)
    terms = []
    for i in range(batch.n_episodes):
        m = batch.mask[i]
        obs = np.eye(S)[batch.states[i, m]]
        _, _, cache = pol.log_prob(obs, batch.actions[i, m])
        terms.append(pol.backward(cache, G[i, m])[0].ravel())     # gradient w.r.t. W
    ref = exact.policy_gradient(mdp, pglib.SoftmaxPolicy(S, A), logits, horizon=60).ravel()
    pglib.check_unbiased("REINFORCE through Policy.backward", np.array(terms), ref, z=4)
