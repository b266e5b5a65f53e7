"""pglib.trust_region against independent answers: enumeration, finite differences, Monte Carlo, hand formulas."""
import numpy as np
import pytest

import pglib
from pglib import distributions as D
from pglib import estimators, exact
from pglib import trust_region as tr


def _setup(seed=0, S=5, A=3, gamma=0.9, n_terminal=0):
    rng = np.random.default_rng(seed)
    mdp = pglib.random_mdp(S, A, rng, gamma=gamma, n_terminal=n_terminal)
    policy = pglib.SoftmaxPolicy(S, A)
    theta = rng.normal(size=(S, A))
    return mdp, policy, theta, rng


def _fd_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


# --- Fisher matrix ------------------------------------------------------------------------------

def test_fisher_is_expected_score_outer_product_by_loops():
    """F against a loop over (s, a) of d(s) pi(a|s) score score', scores from grad_log_prob one pair at a time."""
    mdp, policy, theta, _ = _setup(1, n_terminal=1)
    pi = policy.probs(theta)
    rho = exact.occupancy(mdp, pi)
    d = rho / rho.sum()
    F = np.zeros((theta.size, theta.size))
    for s in range(mdp.n_states):
        for a in range(mdp.n_actions):
            # hand-written tabular score: row s is onehot(a) - pi(.|s)
            score = np.zeros_like(theta)
            score[s] = -pi[s]
            score[s, a] += 1.0
            F += d[s] * pi[s, a] * np.outer(score.ravel(), score.ravel())
    np.testing.assert_allclose(tr.fisher_matrix(mdp, policy, theta), F, rtol=1e-12, atol=1e-14)


def test_fisher_is_expected_score_outer_product_by_sampling():
    """Monte Carlo: s ~ d^pi, a ~ pi(.|s), mean of score score' within 4 standard errors of F."""
    mdp, policy, theta, rng = _setup(2)
    pi = policy.probs(theta)
    d = tr.state_distribution(mdp, pi)
    N = 40_000
    s = rng.choice(mdp.n_states, size=N, p=d)
    u = rng.random(N)
    a = (np.cumsum(pi[s], axis=1) < u[:, None]).sum(axis=1)
    psi = policy.grad_log_prob(theta, s, a).reshape(N, -1)
    outer = psi[:, :, None] * psi[:, None, :]
    F = tr.fisher_matrix(mdp, policy, theta)
    mean, se = outer.mean(axis=0), outer.std(axis=0, ddof=1) / np.sqrt(N)
    ok = se > 0
    assert np.all(np.abs(mean - F)[ok] <= 4 * se[ok])
    assert np.all(np.abs(F[~ok]) < 1e-12)


def test_fisher_is_hessian_of_mean_kl():
    """F = Hessian at theta' = theta of sum_s d(s) KL(pi_theta(.|s) || pi_theta'(.|s)), by finite differences of the KL gradient."""
    mdp, policy, theta, rng = _setup(3)
    d = tr.state_distribution(mdp, policy.probs(theta))

    def kl_grad(theta_new):
        # gradient of sum_s d(s) KL(p || q) in the logits of q: d(s) (q - p) (distributions.categorical_kl_grad_q)
        return d[:, None] * D.categorical_kl_grad_q(theta, theta_new)

    # a check that the KL gradient is right, by finite differences of categorical_kl
    th2 = theta + 0.3 * rng.normal(size=theta.shape)
    np.testing.assert_allclose(kl_grad(th2), _fd_grad(lambda t: float(d @ D.categorical_kl(theta, t)), th2),
                               rtol=1e-6, atol=1e-9)
    n = theta.size
    H = np.zeros((n, n))
    h = 1e-5
    for i in range(n):
        e = np.zeros(n)
        e[i] = h
        H[:, i] = (kl_grad(theta + e.reshape(theta.shape)) - kl_grad(theta - e.reshape(theta.shape))).ravel() / (2 * h)
    np.testing.assert_allclose(tr.fisher_matrix(mdp, policy, theta), H, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("kind", ["tabular", "linear"])
def test_fisher_vector_product_matches_matrix(kind):
    mdp, policy, theta, rng = _setup(4, n_terminal=1)
    if kind == "linear":
        policy = pglib.LinearSoftmaxPolicy(rng.normal(size=(mdp.n_states, mdp.n_actions, 4)))
        theta = rng.normal(size=4)
    weights = rng.random(mdp.n_states)
    for w in (None, weights):
        F = tr.fisher_matrix(mdp, policy, theta, weights=w)
        v = rng.normal(size=theta.shape)
        theta_copy, v_copy = theta.copy(), v.copy()
        Fv = tr.fisher_vector_product(mdp, policy, theta, v, weights=w)
        np.testing.assert_allclose(Fv.ravel(), F @ v.ravel(), rtol=1e-10, atol=1e-13)
        np.testing.assert_array_equal(theta, theta_copy)
        np.testing.assert_array_equal(v, v_copy)
    np.testing.assert_allclose(F, F.T, atol=1e-14)
    assert np.linalg.eigvalsh(F).min() > -1e-12


def test_natural_gradient_of_tabular_softmax_is_the_advantage():
    """Hand-derived: the min-norm solution of F x = grad J is sum(rho) (A - row mean of A) on visited states."""
    mdp, policy, theta, _ = _setup(5)
    pi = policy.probs(theta)
    F = tr.fisher_matrix(mdp, policy, theta)
    g = exact.policy_gradient(mdp, policy, theta)
    x = np.linalg.lstsq(F, g.ravel(), rcond=None)[0].reshape(theta.shape)
    rho = exact.occupancy(mdp, pi)
    A = exact.advantages(mdp, pi)
    np.testing.assert_allclose(rho.sum(), 1 / (1 - mdp.gamma), rtol=1e-12)       # no terminal states
    np.testing.assert_allclose(x, rho.sum() * (A - A.mean(axis=1, keepdims=True)), rtol=1e-8, atol=1e-10)


# --- divergences ----------------------------------------------------------------------------------

def test_divergences_against_distributions_and_hand_values():
    mdp, policy, theta, rng = _setup(6, n_terminal=1)
    pi, pi_new = policy.probs(theta), policy.probs(theta + rng.normal(size=theta.shape))
    kl = tr.kl_per_state(mdp, pi, pi_new)
    np.testing.assert_allclose(kl[mdp.live], D.categorical_kl(theta, theta + (np.log(pi_new) - theta))[mdp.live],
                               rtol=1e-12)
    assert np.all(kl[mdp.terminal] == 0)
    assert tr.max_kl(mdp, pi, pi_new) == pytest.approx(kl[mdp.live].max())
    d = tr.state_distribution(mdp, pi)
    assert tr.mean_kl(mdp, pi, pi_new) == pytest.approx(float(d @ kl), rel=1e-12)
    # hand: two states, one changes from (1/2, 1/2) to (1, 0): TV = 1/2, KL(p || q) = inf, KL(q || p) = log 2
    P = np.zeros((2, 2, 2))
    P[:, :, 0] = 1.0
    m2 = pglib.TabularMDP(P, np.zeros((2, 2)), [1.0, 0.0], 0.5)
    p, q = np.full((2, 2), 0.5), np.array([[1.0, 0.0], [0.5, 0.5]])
    assert tr.max_tv(m2, p, q) == pytest.approx(0.5)
    assert tr.max_kl(m2, q, p) == pytest.approx(np.log(2))
    assert tr.max_kl(m2, p, q) == np.inf
    # Pinsker: TV^2 <= KL / 2 on random pairs
    for _ in range(50):
        a, b = policy.probs(rng.normal(size=theta.shape) * 2), policy.probs(rng.normal(size=theta.shape) * 2)
        tv = 0.5 * np.abs(a - b).sum(axis=1)
        assert np.all(tv[mdp.live] ** 2 <= tr.kl_per_state(mdp, a, b)[mdp.live] / 2 + 1e-15)


# --- surrogate and bound ------------------------------------------------------------------------------

def test_surrogate_is_J_at_the_old_policy_and_has_its_gradient():
    mdp, policy, theta, rng = _setup(7, n_terminal=1)
    pi = policy.probs(theta)
    assert tr.surrogate(mdp, pi, pi) == pytest.approx(exact.objective(mdp, policy, theta), rel=1e-12)
    grad_fd = _fd_grad(lambda t: tr.surrogate(mdp, pi, policy.probs(t)), theta)
    np.testing.assert_allclose(grad_fd, exact.policy_gradient(mdp, policy, theta), rtol=1e-6, atol=1e-8)
    # away from theta_old: surrogate_gradient against finite differences of the surrogate
    theta2 = theta + 0.7 * rng.normal(size=theta.shape)
    np.testing.assert_allclose(tr.surrogate_gradient(mdp, policy, theta, theta2),
                               _fd_grad(lambda t: tr.surrogate(mdp, pi, policy.probs(t)), theta2),
                               rtol=1e-6, atol=1e-8)


def test_surrogate_gradient_with_horizon_uses_the_cut_occupancy():
    mdp, policy, theta, rng = _setup(8)
    theta2 = theta + 0.5 * rng.normal(size=theta.shape)
    pi_old = policy.probs(theta)
    T = 7
    # rho_T from k_step matrices, an independent computation
    rho_T = sum(mdp.gamma ** k * (mdp.p0 @ exact.k_step(mdp, pi_old, k)) for k in range(T))
    want = policy.probs_vjp(theta2, rho_T[:, None] * exact.advantages(mdp, pi_old))
    np.testing.assert_allclose(tr.surrogate_gradient(mdp, policy, theta, theta2, horizon=T), want, rtol=1e-12)
    # a long horizon tends to the infinite one
    np.testing.assert_allclose(tr.surrogate_gradient(mdp, policy, theta, theta2, horizon=600),
                               tr.surrogate_gradient(mdp, policy, theta, theta2), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("n_terminal", [0, 1])
def test_improvement_bound_holds_on_random_policies(n_terminal):
    mdp, policy, theta, rng = _setup(9, gamma=0.8, n_terminal=n_terminal)
    pi = policy.probs(theta)
    eps = np.abs(exact.advantages(mdp, pi)[mdp.live]).max()
    for _ in range(300):
        pi_new = policy.probs(theta + 10 ** rng.uniform(-3, 0.5) * rng.normal(size=theta.shape))
        b = tr.improvement_bound(mdp, pi, pi_new)
        assert b.C == pytest.approx(4 * eps * mdp.gamma / (1 - mdp.gamma) ** 2)
        assert b.J_new == pytest.approx(mdp.p0 @ exact.state_values(mdp, pi_new))
        # |J - L| <= C alpha^2 on both sides, and the KL form is weaker
        assert abs(b.J_new - b.surrogate) <= b.C * b.alpha ** 2
        assert b.bound_kl <= b.bound_tv <= b.J_new
    same = tr.improvement_bound(mdp, pi, pi)
    assert same.alpha == 0 and same.max_kl == 0 and same.bound_kl == pytest.approx(same.J_old, rel=1e-12)


# --- importance sampling -----------------------------------------------------------------------------------

@pytest.mark.parametrize("per_decision", [True, False])
def test_importance_weighted_gradient_is_unbiased(per_decision):
    mdp, policy, theta, rng = _setup(10, S=4, A=2, gamma=0.9, n_terminal=1)
    theta_b = theta + 0.3 * rng.normal(size=theta.shape)
    beta = policy.probs(theta_b)
    T = 12
    batch = pglib.rollouts(mdp, beta, 20_000, T, rng)
    est = tr.importance_weighted_gradient(batch, policy, theta, beta, mdp.gamma, per_decision=per_decision)
    target = exact.policy_gradient(mdp, policy, theta, horizon=T)
    ok = est.stderr > 0
    z = np.abs(est.mean - target)[ok] / est.stderr[ok]
    assert z.max() < 4.5, z.max()


def test_importance_weighted_gradient_on_policy_is_reinforce():
    mdp, policy, theta, rng = _setup(11, n_terminal=1)
    pi = policy.probs(theta)
    batch = pglib.rollouts(mdp, pi, 50, 10, rng)
    rtg = estimators.reinforce_reward_to_go(batch, policy, theta, mdp.gamma).terms
    for per_decision in (True, False):
        est = tr.importance_weighted_gradient(batch, policy, theta, pi, mdp.gamma, per_decision).terms
        np.testing.assert_allclose(est, rtg, rtol=1e-12, atol=1e-12)


# --- errors --------------------------------------------------------------------------------------------------

def test_errors_name_the_problem():
    mdp, policy, theta, rng = _setup(12)
    pi = policy.probs(theta)
    with pytest.raises(ValueError, match="gamma < 1"):
        tr.penalty_coefficient(mdp.with_gamma(1.0), pi)
    beta = pi.copy()
    beta[0] = [1.0, 0.0, 0.0]
    batch = pglib.rollouts(mdp, beta, 5, 5, rng)
    with pytest.raises(ValueError, match="cover the target policy"):
        tr.importance_weighted_gradient(batch, policy, theta, beta, mdp.gamma)
    with pytest.raises(ValueError, match="theta must have shape"):
        tr.fisher_vector_product(mdp, policy, theta, np.zeros(3))
    with pytest.raises(ValueError, match="weights must have shape"):
        tr.fisher_matrix(mdp, policy, theta, weights=np.ones(2))
    with pytest.raises(ValueError, match="weights must be finite and non-negative"):
        tr.fisher_matrix(mdp, policy, theta, weights=-np.ones(mdp.n_states))
    with pytest.raises(ValueError, match="pi must have shape"):
        tr.surrogate(mdp, pi, pi[:2])
    with pytest.raises(ValueError, match="discrete policy"):
        tr.fisher_matrix(mdp, pglib.GaussianPolicy(2), np.zeros(3))
    with pytest.raises(ValueError, match=r"policy has \(S, A\)"):
        tr.fisher_matrix(mdp, pglib.SoftmaxPolicy(2, 2), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="horizon"):
        tr.surrogate_gradient(mdp, policy, theta, theta, horizon=0)
