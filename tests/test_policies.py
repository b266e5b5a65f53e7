"""Scores and vector-Jacobian products of the policies against finite differences."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

import pglib


def fd(f, theta, eps=1e-6):
    """Central finite differences of a function of theta with any output shape: shape out + theta."""
    out = []
    for i in np.ndindex(theta.shape):
        e = np.zeros_like(theta)
        e[i] = eps
        out.append((f(theta + e) - f(theta - e)) / (2 * eps))
    out = np.array(out)
    return np.moveaxis(out, 0, -1).reshape(np.shape(f(theta)) + theta.shape)


@pytest.fixture
def discrete_policies(rng):
    tab = pglib.SoftmaxPolicy(3, 4)
    lin = pglib.LinearSoftmaxPolicy(rng.normal(size=(3, 4, 2)))
    return [(tab, rng.normal(size=(3, 4))), (lin, rng.normal(size=2))]


def test_grad_log_prob_matches_finite_differences(discrete_policies):
    s = np.array([[0, 1, 2], [2, 2, 0]])
    a = np.array([[3, 0, 1], [2, 2, 0]])
    for pol, theta in discrete_policies:
        g = pol.grad_log_prob(theta, s, a)
        assert g.shape == s.shape + theta.shape
        assert_allclose(g, fd(lambda t: pol.log_prob(t, s, a), theta), atol=1e-8)


def test_probs_vjp_and_score_sum(discrete_policies, rng):
    for pol, theta in discrete_policies:
        W = rng.normal(size=(3, 4))
        jac = fd(pol.probs, theta)                          # (S, A) + theta.shape
        assert_allclose(pol.probs_vjp(theta, W), np.tensordot(W, jac, axes=2), atol=1e-8)
        C = rng.poisson(2.0, size=(5, 3, 4)).astype(float)
        s, a = np.indices((3, 4))
        scores = pol.grad_log_prob(theta, s, a)             # (S, A) + theta.shape
        assert_allclose(pol.score_sum(theta, C), np.tensordot(C, scores, axes=2), atol=1e-12)


def test_softmax_is_stable_for_huge_logits():
    pol = pglib.SoftmaxPolicy(2, 3)
    theta = np.array([[1000.0, 0.0, -1000.0], [800.0, 800.0, -5.0]])
    pi = pol.probs(theta)
    assert np.all(np.isfinite(pi))
    assert_allclose(pi, [[1, 0, 0], [0.5, 0.5, 0]], atol=1e-300)
    assert np.isfinite(pol.log_prob(theta, [0], [2])).all()
    assert_allclose(pol.log_prob(theta, [0], [2]), [-2000.0])


def test_gaussian_score_matches_finite_differences(rng):
    pol = pglib.GaussianPolicy(2)
    theta = np.array([0.5, -1.0, np.log(0.7)])
    x = rng.normal(size=(6, 2))
    a = rng.normal(size=6)
    g = pol.grad_log_prob(theta, x, a)
    assert g.shape == (6, 3)
    assert_allclose(g, fd(lambda t: pol.log_prob(t, x, a), theta), atol=1e-7)


def test_gaussian_score_has_zero_mean(rng):
    pol = pglib.GaussianPolicy(1)
    theta = np.array([0.8, np.log(0.5)])
    x = np.ones((200_000, 1))
    a = pol.sample(theta, x, rng)
    g = pol.grad_log_prob(theta, x, a)
    # E[score] = 0; z bound 4 on each coordinate
    se = g.std(axis=0, ddof=1) / np.sqrt(len(g))
    assert np.all(np.abs(g.mean(axis=0)) < 4 * se)
