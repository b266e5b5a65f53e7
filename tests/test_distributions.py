"""pglib.distributions: every gradient against finite differences, densities against quadrature,
KL and entropy against Monte Carlo (z bound 4 on each coordinate, seeded Generator)."""
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from pglib import distributions as D

Z = 4.0   # two-sided z bound: a correct estimator fails with probability 6e-5 per coordinate


def fd(f, v, eps=1e-6):
    """Central finite differences of a scalar function of the array v, shape v.shape."""
    out = np.empty(v.shape)
    for i in np.ndindex(v.shape):
        e = np.zeros(v.shape)
        e[i] = eps
        out[i] = (f(v + e) - f(v - e)) / (2 * eps)
    return out


def assert_unbiased(samples, reference, z=Z):
    """z-test of the sample mean (axis 0) against reference, every coordinate."""
    x = np.asarray(samples, dtype=float)
    se = x.std(axis=0, ddof=1) / np.sqrt(x.shape[0])
    dev = np.abs(x.mean(axis=0) - reference)
    assert np.all(se > 0)
    assert np.all(dev <= z * se), f"max |z| = {np.max(dev / se):.2f} > {z}"


@pytest.fixture
def logits(rng):
    return rng.normal(scale=1.5, size=(4, 5))


@pytest.fixture
def gauss(rng):
    mean = rng.normal(size=(4, 3))
    log_std = rng.normal(scale=0.4, size=3)
    x = mean + np.exp(log_std) * rng.normal(size=(4, 3))
    return mean, log_std, x


# ============================================================================ categorical

def test_categorical_log_prob_by_hand():
    # logits (0, log 2, log 3): probabilities 1/6, 2/6, 3/6
    z = np.log([[1.0, 2.0, 3.0]])
    for a, p in enumerate([1 / 6, 2 / 6, 3 / 6]):
        assert_allclose(D.categorical_log_prob(z, [a]), [np.log(p)], rtol=1e-14)
    # entropy -sum p log p, written out
    H = -(1 / 6 * np.log(1 / 6) + 2 / 6 * np.log(2 / 6) + 3 / 6 * np.log(3 / 6))
    assert_allclose(D.categorical_entropy(z), [H], rtol=1e-14)
    assert_allclose(D.categorical_entropy(np.zeros((2, 7))), [np.log(7)] * 2, rtol=1e-14)


def test_categorical_probabilities_sum_to_one(logits):
    B, A = logits.shape
    probs = np.stack([np.exp(D.categorical_log_prob(logits, np.full(B, a))) for a in range(A)], axis=-1)
    assert np.all(probs > 0)
    assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-14)


def test_categorical_stable_for_huge_logits():
    z = np.array([[1000.0, 0.0, -1000.0]])
    assert_allclose(D.categorical_log_prob(z, [2]), [-2000.0])
    assert_allclose(D.categorical_entropy(z), [0.0], atol=1e-300)
    assert np.all(np.isfinite(D.categorical_entropy_grad(z)))
    assert_allclose(D.categorical_kl(z, z[:, ::-1]), [2000.0])


def test_categorical_time_major_batches(rng):
    z = rng.normal(size=(3, 2, 4))                       # (T, B, A)
    a = rng.integers(0, 4, size=(3, 2))
    lp = D.categorical_log_prob(z, a)
    assert lp.shape == (3, 2)
    assert_allclose(lp.ravel(), D.categorical_log_prob(z.reshape(6, 4), a.ravel()))
    assert D.categorical_log_prob_grad(z, a).shape == (3, 2, 4)


def test_categorical_sample_frequencies(logits, rng):
    N = 20_000
    B, A = logits.shape
    probs = np.exp(np.stack([D.categorical_log_prob(logits, np.full(B, a)) for a in range(A)], axis=-1))
    draws = D.categorical_sample(np.broadcast_to(logits, (N, B, A)), rng)        # (N, B)
    assert draws.dtype.kind == "i" and draws.min() >= 0 and draws.max() < A
    onehot = (draws[..., None] == np.arange(A)).astype(float)                    # (N, B, A)
    assert_unbiased(onehot, probs)


def test_categorical_sample_never_draws_probability_zero(rng):
    z = np.array([[0.0, -2000.0, 0.0, -2000.0]] * 5000)
    a = D.categorical_sample(z, rng)
    assert set(np.unique(a)) == {0, 2}


def test_categorical_log_prob_grad_fd(logits, rng):
    a = rng.integers(0, logits.shape[1], size=logits.shape[0])
    w = rng.normal(size=logits.shape[0])     # weights per row: checks which row each gradient belongs to
    g = D.categorical_log_prob_grad(logits, a)
    assert_allclose(w[:, None] * g, fd(lambda z: w @ D.categorical_log_prob(z, a), logits), atol=1e-8)
    assert_allclose(g.sum(axis=-1), 0.0, atol=1e-14)


def test_categorical_entropy_grad_fd(logits, rng):
    w = rng.normal(size=logits.shape[0])
    g = D.categorical_entropy_grad(logits)
    assert_allclose(w[:, None] * g, fd(lambda z: w @ D.categorical_entropy(z), logits), atol=1e-8)


def test_categorical_entropy_monte_carlo(logits, rng):
    # H = -E[log pi(a)], estimated with 20,000 draws per row (leading axis N)
    zN = np.broadcast_to(logits, (20_000,) + logits.shape)
    lp = D.categorical_log_prob(zN, D.categorical_sample(zN, rng))
    assert_unbiased(-lp, D.categorical_entropy(logits))


def test_categorical_kl(logits, rng):
    q = logits + rng.normal(size=logits.shape)
    kl = D.categorical_kl(logits, q)
    assert np.all(kl > 0)
    assert_allclose(D.categorical_kl(logits, logits), 0.0, atol=1e-15)
    # KL(p||q) = E_p[log p(a) - log q(a)], 20,000 draws per row
    pN, qN = (np.broadcast_to(z, (20_000,) + z.shape) for z in (logits, q))
    a = D.categorical_sample(pN, rng)
    assert_unbiased(D.categorical_log_prob(pN, a) - D.categorical_log_prob(qN, a), kl)
    # shifting all logits by a constant changes nothing
    assert_allclose(D.categorical_kl(logits + 3.0, q - 7.0), kl, rtol=1e-12)


def test_categorical_kl_grad_q_fd(logits, rng):
    q = logits + rng.normal(size=logits.shape)
    w = rng.normal(size=logits.shape[0])
    g = D.categorical_kl_grad_q(logits, q)
    assert_allclose(w[:, None] * g, fd(lambda zq: w @ D.categorical_kl(logits, zq), q), atol=1e-8)


# ============================================================================ Gaussian

@pytest.mark.parametrize("per_row", [False, True])
def test_gaussian_log_prob_grad_fd(gauss, rng, per_row):
    mean, log_std, x = gauss
    if per_row:
        log_std = log_std + rng.normal(scale=0.3, size=mean.shape)          # (B, D)
    w = rng.normal(size=mean.shape[0])
    dmean, dls = D.gaussian_log_prob_grad(mean, log_std, x)
    assert dmean.shape == dls.shape == mean.shape
    assert_allclose(w[:, None] * dmean, fd(lambda m: w @ D.gaussian_log_prob(m, log_std, x), mean), atol=1e-8)
    # a shared log_std (D,) gets the sum of the per-row gradients
    expect = w[:, None] * dls if per_row else w @ dls
    assert_allclose(expect, fd(lambda s: w @ D.gaussian_log_prob(mean, s, x), log_std), atol=1e-8)


def test_gaussian_density_integrates_to_one_1d():
    mu, ls = 0.7, np.log(0.3)
    grid = np.linspace(mu - 12 * 0.3, mu + 12 * 0.3, 200_001)
    dens = np.exp(D.gaussian_log_prob(np.full((grid.size, 1), mu), [ls], grid[:, None]))
    assert_allclose(np.trapezoid(dens, grid), 1.0, rtol=1e-10)
    # the density at the mean is 1 / (sigma sqrt(2 pi))
    assert_allclose(D.gaussian_log_prob([[mu]], [ls], [[mu]]), [-np.log(0.3 * np.sqrt(2 * np.pi))])


def test_gaussian_density_integrates_to_one_2d():
    mean, log_std = np.array([0.5, -1.0]), np.log([0.8, 1.5])
    g0 = np.linspace(0.5 - 10 * 0.8, 0.5 + 10 * 0.8, 801)
    g1 = np.linspace(-1.0 - 10 * 1.5, -1.0 + 10 * 1.5, 801)
    X0, X1 = np.meshgrid(g0, g1, indexing="ij")
    pts = np.stack([X0.ravel(), X1.ravel()], axis=-1)
    dens = np.exp(D.gaussian_log_prob(np.broadcast_to(mean, pts.shape), log_std, pts)).reshape(X0.shape)
    assert_allclose(np.trapezoid(np.trapezoid(dens, g1, axis=1), g0), 1.0, rtol=1e-8)


def test_gaussian_sample_moments(rng):
    mean = np.array([[1.0, -2.0, 0.0]])
    log_std = np.log([0.5, 2.0, 1.0])
    x = D.gaussian_sample(np.repeat(mean, 200_000, axis=0), log_std, rng)           # (N, D)
    assert_unbiased(x, mean[0])
    assert_unbiased((x - mean[0]) ** 2, np.exp(2 * log_std))


def test_gaussian_entropy(rng):
    # 1-D: -integral p log p on a fine grid
    mu, ls = -0.3, np.log(1.7)
    grid = np.linspace(mu - 14 * 1.7, mu + 14 * 1.7, 200_001)
    logp = D.gaussian_log_prob(np.full((grid.size, 1), mu), [ls], grid[:, None])
    assert_allclose(D.gaussian_entropy([ls]), -np.trapezoid(np.exp(logp) * logp, grid), rtol=1e-9)
    assert isinstance(D.gaussian_entropy([ls]), float)
    # D = 3, per-row log_std: H = -E[log p(x)] by Monte Carlo
    mean = rng.normal(size=(2, 3))
    log_std = rng.normal(scale=0.5, size=(2, 3))
    mN = np.broadcast_to(mean, (20_000, 2, 3))
    lp = D.gaussian_log_prob(mN, log_std, D.gaussian_sample(mN, log_std, rng))     # (N, B)
    H = D.gaussian_entropy(log_std)
    assert H.shape == (2,)
    assert_unbiased(-lp, H)


def test_gaussian_kl(rng):
    mp, lp = rng.normal(size=(3, 2)), rng.normal(scale=0.4, size=2)
    mq, lq = mp + rng.normal(scale=0.5, size=(3, 2)), rng.normal(scale=0.4, size=(3, 2))
    kl = D.gaussian_kl(mp, lp, mq, lq)
    assert kl.shape == (3,) and np.all(kl > 0)
    assert_allclose(D.gaussian_kl(mp, lp, mp, lp), 0.0, atol=1e-15)
    # KL = E_p[log p(x) - log q(x)], 40,000 draws
    mpN, mqN = (np.broadcast_to(m, (40_000, 3, 2)) for m in (mp, mq))
    x = D.gaussian_sample(mpN, lp, rng)
    assert_unbiased(D.gaussian_log_prob(mpN, lp, x) - D.gaussian_log_prob(mqN, lq, x), kl)


def test_gaussian_kl_by_quadrature_1d():
    grid = np.linspace(-15, 15, 300_001)
    col = grid[:, None]
    logp = D.gaussian_log_prob(np.full_like(col, 0.4), [np.log(0.9)], col)
    logq = D.gaussian_log_prob(np.full_like(col, -0.6), [np.log(1.3)], col)
    kl = np.trapezoid(np.exp(logp) * (logp - logq), grid)
    assert_allclose(D.gaussian_kl([[0.4]], [np.log(0.9)], [[-0.6]], [np.log(1.3)]), [kl], rtol=1e-9)


@pytest.mark.parametrize("per_row", [False, True])
def test_gaussian_kl_grad_q_fd(rng, per_row):
    mp, lp = rng.normal(size=(4, 2)), rng.normal(scale=0.4, size=(4, 2))
    mq = rng.normal(size=(4, 2))
    lq = rng.normal(scale=0.4, size=(4, 2) if per_row else 2)
    w = rng.normal(size=4)
    dm, dls = D.gaussian_kl_grad_q(mp, lp, mq, lq)
    assert dm.shape == dls.shape == (4, 2)
    assert_allclose(w[:, None] * dm, fd(lambda m: w @ D.gaussian_kl(mp, lp, m, lq), mq), atol=1e-8)
    expect = w[:, None] * dls if per_row else w @ dls
    assert_allclose(expect, fd(lambda s: w @ D.gaussian_kl(mp, lp, mq, s), lq), atol=1e-8)


# ============================================================================ tanh-squashed Gaussian

@pytest.mark.parametrize("mu, sigma", [(0.3, 0.7), (-1.0, 1.0), (0.0, 0.2)])
def test_squashed_density_integrates_to_one(mu, sigma):
    # a = tanh(u) on an open grid of (-1, 1); the density at a is exp(squashed_log_prob(mu, log sigma, atanh a))
    a = np.linspace(-1.0, 1.0, 400_001)[1:-1]
    u = np.arctanh(a)[:, None]
    dens = np.exp(D.squashed_log_prob(np.full_like(u, mu), [np.log(sigma)], u))
    assert_allclose(np.trapezoid(dens, a), 1.0, rtol=1e-6)
    # and its integral up to t is P(tanh(u) <= t) = Phi((atanh t - mu) / sigma)
    for t in (-0.5, 0.2, 0.9):
        k = np.searchsorted(a, t)
        cdf = 0.5 * (1 + math.erf((np.arctanh(a[k]) - mu) / (sigma * math.sqrt(2))))
        assert_allclose(np.trapezoid(dens[:k + 1], a[:k + 1]), cdf, atol=1e-6)


def test_squashed_matches_naive_formula_and_stays_finite(gauss):
    mean, log_std, u = gauss
    # log N(u) - sum log(1 - tanh^2 u), the naive form, fine for moderate u
    naive = D.gaussian_log_prob(mean, log_std, u) - np.log(1 - np.tanh(u) ** 2).sum(axis=-1)
    assert_allclose(D.squashed_log_prob(mean, log_std, u), naive, rtol=1e-12)
    # for |u| = 30 the naive 1 - tanh^2 is 0 (log = -inf); log(1 - tanh^2 u) ~ log 4 - 2|u|
    big = np.array([[30.0, -30.0]])
    lp = D.squashed_log_prob(big, [0.0, 0.0], big)
    assert_allclose(lp, [2 * (-0.5 * np.log(2 * np.pi) - (np.log(4) - 60.0))], rtol=1e-12)


@pytest.mark.parametrize("per_row", [False, True])
def test_squashed_log_prob_grads_fd(gauss, rng, per_row):
    mean, log_std, u = gauss
    if per_row:
        log_std = log_std + rng.normal(scale=0.3, size=mean.shape)
    w = rng.normal(size=mean.shape[0])
    dm, dls, du = D.squashed_log_prob_grads(mean, log_std, u)
    assert dm.shape == dls.shape == du.shape == mean.shape
    f = D.squashed_log_prob
    assert_allclose(w[:, None] * dm, fd(lambda m: w @ f(m, log_std, u), mean), atol=1e-8)
    assert_allclose(w[:, None] * du, fd(lambda v: w @ f(mean, log_std, v), u), atol=1e-8)
    expect = w[:, None] * dls if per_row else w @ dls
    assert_allclose(expect, fd(lambda s: w @ f(mean, s, u), log_std), atol=1e-8)


def test_squashed_reparameterised_total_derivative(gauss, rng):
    # the recipe of the docstring: u = mean + sigma * eps, d/dmean = dmean + du, d/dlog_std = dlog_std + du sigma eps
    mean, log_std, _ = gauss
    eps = rng.normal(size=mean.shape)
    w = rng.normal(size=mean.shape[0])

    def total(m, s):
        return w @ D.squashed_log_prob(m, s, m + np.exp(s) * eps)

    u = mean + np.exp(log_std) * eps
    dm, dls, du = D.squashed_log_prob_grads(mean, log_std, u)
    assert_allclose(w[:, None] * (dm + du), fd(lambda m: total(m, log_std), mean), atol=1e-8)
    assert_allclose(w @ (dls + du * (u - mean)), fd(lambda s: total(mean, s), log_std), atol=1e-8)


# ============================================================================ inputs and errors

def test_inputs_not_mutated(gauss, logits, rng):
    mean, log_std, x = gauss
    q = logits + 1.0
    a = rng.integers(0, 5, size=4)
    saved = [arr.copy() for arr in (mean, log_std, x, logits, q, a)]
    D.categorical_sample(logits, rng)
    D.categorical_log_prob(logits, a)
    D.categorical_log_prob_grad(logits, a)
    D.categorical_entropy(logits)
    D.categorical_entropy_grad(logits)
    D.categorical_kl(logits, q)
    D.categorical_kl_grad_q(logits, q)
    D.gaussian_sample(mean, log_std, rng)
    D.gaussian_log_prob(mean, log_std, x)
    D.gaussian_log_prob_grad(mean, log_std, x)
    D.gaussian_entropy(log_std)
    D.gaussian_kl(mean, log_std, x, log_std)
    D.gaussian_kl_grad_q(mean, log_std, x, log_std)
    D.squashed_log_prob(mean, log_std, x)
    D.squashed_log_prob_grads(mean, log_std, x)
    for before, after in zip(saved, (mean, log_std, x, logits, q, a)):
        assert np.array_equal(before, after)


def test_bad_logits():
    with pytest.raises(ValueError, match=r"logits must be finite.*logits\[0, 1\]"):
        D.categorical_entropy([[0.0, np.nan]])
    with pytest.raises(ValueError, match="logits must have a non-empty last axis"):
        D.categorical_entropy(3.0)
    with pytest.raises(ValueError, match="logits must have a non-empty last axis"):
        D.categorical_entropy(np.zeros((2, 0)))
    with pytest.raises(ValueError, match="logits must be an array of numbers"):
        D.categorical_entropy([["a", "b"]])
    with pytest.raises(ValueError, match="logits_p and logits_q must have the same shape"):
        D.categorical_kl(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="logits_q must be finite"):
        D.categorical_kl_grad_q(np.zeros((2, 3)), np.full((2, 3), np.inf))


def test_bad_actions():
    z = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"actions must lie in \[0, 4\)"):
        D.categorical_log_prob(z, [0, 4, 1])
    with pytest.raises(ValueError, match=r"actions must lie in \[0, 4\)"):
        D.categorical_log_prob_grad(z, [0, -1, 1])
    with pytest.raises(ValueError, match="actions must be integer indices"):
        D.categorical_log_prob(z, [0.5, 1.0, 2.0])
    with pytest.raises(ValueError, match=r"actions must have shape \(3,\)"):
        D.categorical_log_prob(z, [0, 1])


@pytest.mark.parametrize("bad", [None, 7, np.random.RandomState(0)])
def test_rng_must_be_a_generator(bad):
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        D.categorical_sample(np.zeros((2, 3)), bad)
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        D.gaussian_sample(np.zeros((2, 3)), np.zeros(3), bad)


def test_bad_gaussian_shapes():
    m = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"log_std must have shape \(3,\) or \(4, 3\)"):
        D.gaussian_log_prob(m, np.zeros(2), m)
    with pytest.raises(ValueError, match=r"log_std must have shape \(3,\) or \(4, 3\)"):
        D.gaussian_sample(m, np.zeros((2, 4, 3)), np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"x must have the shape of mean, \(4, 3\), got \(4, 2\)"):
        D.gaussian_log_prob_grad(m, np.zeros(3), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"u must have the shape of mean"):
        D.squashed_log_prob(m, np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"u must be finite"):
        D.squashed_log_prob_grads(m, np.zeros(3), np.full((4, 3), np.nan))
    with pytest.raises(ValueError, match=r"mean_p and mean_q must have the same shape"):
        D.gaussian_kl(m, np.zeros(3), np.zeros((5, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"log_std_q must have shape"):
        D.gaussian_kl_grad_q(m, np.zeros(3), m, np.zeros(4))
    with pytest.raises(ValueError, match=r"log_std must be finite"):
        D.gaussian_entropy([0.0, np.inf])
    with pytest.raises(ValueError, match=r"mean must be finite"):
        D.gaussian_sample(np.full((1, 2), np.nan), np.zeros(2), np.random.default_rng(0))
