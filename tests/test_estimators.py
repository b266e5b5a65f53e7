"""Statistical tests of the estimators with fixed seeds and stated z bounds."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

import pglib
from pglib import estimators, exact

Z = 4.0     # each coordinate of the mean within 4 standard errors of the exact gradient


def chain_setup(seed=7):
    mdp = pglib.chain_mdp(n=4, gamma=0.95, slip=0.1)
    pol = pglib.SoftmaxPolicy(mdp.n_states, 2)
    theta = np.random.default_rng(seed).normal(scale=0.5, size=pol.theta_shape)
    return mdp, pol, theta


def assert_unbiased(est, reference):
    se = est.stderr
    dev = np.abs(est.mean - reference)
    zero = se == 0
    assert np.all(dev[zero] < 1e-12)
    assert np.all(dev[~zero] <= Z * se[~zero]), (dev[~zero] / se[~zero]).max()


@pytest.mark.parametrize("kind", ["total", "to_go", "const", "value", "optimal"])
def test_estimators_are_unbiased_on_chain(kind):
    mdp, pol, theta = chain_setup()
    rng = np.random.default_rng(11)
    T = 60
    pi = pol.probs(theta)
    batch = pglib.rollouts(mdp, pi, 20_000, T, rng)
    g_T = exact.policy_gradient(mdp, pol, theta, horizon=T)
    if kind == "total":
        est = estimators.reinforce_total_return(batch, pol, theta, mdp.gamma)
    elif kind == "to_go":
        est = estimators.reinforce_reward_to_go(batch, pol, theta, mdp.gamma)
    elif kind == "const":
        est = estimators.reinforce_baseline(batch, pol, theta, mdp.gamma, -5.0)
    elif kind == "value":
        est = estimators.reinforce_baseline(batch, pol, theta, mdp.gamma, exact.state_values(mdp, pi))
    else:
        # b* estimated on an independent batch keeps the estimate unbiased
        other = pglib.rollouts(mdp, pi, 5_000, T, rng)
        b = estimators.variance_minimizing_baseline(other, pol, theta, mdp.gamma)
        est = estimators.reinforce_total_return(batch, pol, theta, mdp.gamma, baseline=b)
    assert_unbiased(est, g_T)


def test_variance_ordering_on_chain_exact():
    """Exact variances by enumeration: reward-to-go < total return; baselines reduce further."""
    mdp = pglib.chain_mdp(n=2, gamma=0.95, slip=0.1)
    pol = pglib.SoftmaxPolicy(3, 2)
    theta = np.zeros((3, 2))
    enum = exact.trajectory_distribution(mdp, pol.probs(theta), 8)
    v = exact.state_values(mdp, pol.probs(theta))
    tot = estimators.reinforce_total_return(enum, pol, theta, mdp.gamma).total_variance
    rtg = estimators.reinforce_reward_to_go(enum, pol, theta, mdp.gamma).total_variance
    base = estimators.reinforce_baseline(enum, pol, theta, mdp.gamma, v).total_variance
    b_star = estimators.variance_minimizing_baseline(enum, pol, theta, mdp.gamma)
    opt = estimators.reinforce_total_return(enum, pol, theta, mdp.gamma, baseline=b_star).total_variance
    assert rtg < tot and base < rtg and opt < tot
    # b* minimises the quadratic b -> Var(g (R - b)): nearby constants do worse
    for b in (b_star - 0.5, b_star + 0.5):
        assert estimators.reinforce_total_return(enum, pol, theta, mdp.gamma, baseline=b).total_variance > opt


def test_variance_ordering_on_chain_sampled():
    """Sampled variances: the ratios are far from 1 compared with their sampling error."""
    mdp, pol, theta = chain_setup()
    rng = np.random.default_rng(3)
    pi = pol.probs(theta)
    batch = pglib.rollouts(mdp, pi, 20_000, 60, rng)
    tot = estimators.reinforce_total_return(batch, pol, theta, mdp.gamma)
    rtg = estimators.reinforce_reward_to_go(batch, pol, theta, mdp.gamma)
    base = estimators.reinforce_baseline(batch, pol, theta, mdp.gamma, exact.state_values(mdp, pi))

    def sq_norm(est):      # per-episode ||g - mean||^2, whose mean is the total variance
        d = (est.terms - est.mean).reshape(est.n, -1)
        return (d ** 2).sum(axis=1)

    for hi, lo in ((tot, rtg), (rtg, base)):
        diff = sq_norm(hi) - sq_norm(lo)        # paired difference of the two total variances
        assert diff.mean() > Z * diff.std(ddof=1) / np.sqrt(len(diff))


def test_dropping_gamma_t_is_biased():
    """Weights G_t instead of gamma^t G_t: exact expectation differs from the gradient."""
    mdp = pglib.chain_mdp(n=2, gamma=0.8, slip=0.1)
    pol = pglib.SoftmaxPolicy(3, 2)
    theta = np.array([[0.3, -0.2], [0.1, 0.4], [0.0, 0.0]])
    enum = exact.trajectory_distribution(mdp, pol.probs(theta), 6)
    G = pglib.sampling.discounted_returns(enum.rewards, enum.mask, mdp.gamma)
    biased = estimators.GradientEstimate(estimators.score_terms(enum, pol, theta, G), enum.prob).mean
    g = exact.policy_gradient(mdp, pol, theta, horizon=6)
    assert np.abs(biased - g).max() > 1e-2
    assert_allclose(estimators.reinforce_reward_to_go(enum, pol, theta, mdp.gamma).mean, g, atol=1e-12)


def test_linear_policy_estimator_unbiased():
    mdp = pglib.short_corridor()
    X = np.zeros((4, 2, 2)); X[:, 0, 1] = 1; X[:, 1, 0] = 1
    pol = pglib.LinearSoftmaxPolicy(X)
    theta = np.array([0.2, 0.0])
    rng = np.random.default_rng(1)
    T = 400
    batch = pglib.rollouts(mdp, pol.probs(theta), 20_000, T, rng)
    est = estimators.reinforce_reward_to_go(batch, pol, theta, 1.0)
    assert_unbiased(est, exact.policy_gradient(mdp, pol, theta, horizon=T))
