"""pglib.nn: the backward pass against finite differences, the init, Adam, clipping and Polyak by hand."""
import doctest

import numpy as np
import pytest
from hypothesis import given, strategies as st
from numpy.testing import assert_allclose

from pglib import nn
from pglib.nn import MLP, Adam, clip_grad_norm, flatten, polyak_update, unflatten


def central_fd(f, v, eps=1e-6):
    """Central finite differences of a scalar function of the vector v, shape v.shape."""
    out = np.empty_like(v)
    for i in range(v.size):
        e = np.zeros_like(v)
        e[i] = eps
        out[i] = (f(v + e) - f(v - e)) / (2 * eps)
    return out


def randomised(net, rng):
    """The network with every parameter (biases too) redrawn from N(0, 1), so no ReLU sits at its kink."""
    net.set_flat(rng.standard_normal(net.n_params))
    return net


# ------------------------------------------------------------------ backward vs finite differences

@given(n_in=st.integers(1, 8), hidden=st.lists(st.integers(1, 8), min_size=1, max_size=3),
       n_out=st.integers(1, 8), batch=st.integers(1, 5), activation=st.sampled_from(["tanh", "relu"]),
       seed=st.integers(0, 2**32 - 1))
def test_backward_matches_finite_differences(n_in, hidden, n_out, batch, activation, seed):
    rng = np.random.default_rng(seed)
    net = randomised(MLP((n_in, *hidden, n_out), activation, rng=rng), rng)
    x = rng.standard_normal((batch, n_in))
    c = rng.standard_normal((batch, n_out))
    # scalar loss l = sum(c * y), so dl/dy = c
    y, cache = net.forward(x)
    grads, grad_x = net.backward(cache, c)

    theta0 = net.get_flat()

    def loss_theta(theta):
        probe = net.copy()
        probe.set_flat(theta)
        return float(np.sum(c * probe(x)))

    def loss_x(xf):
        return float(np.sum(c * net(xf.reshape(x.shape))))

    assert_allclose(flatten(grads), central_fd(loss_theta, theta0), rtol=1e-6, atol=1e-8)
    assert_allclose(grad_x, central_fd(loss_x, x.ravel()).reshape(x.shape), rtol=1e-6, atol=1e-8)
    assert [g.shape for g in grads] == [p.shape for p in net.params]


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_single_input_matches_a_batch_row(activation, rng):
    net = randomised(MLP((3, 5, 4, 2), activation, rng=rng), rng)
    X = rng.standard_normal((4, 3))
    C = rng.standard_normal((4, 2))
    Y, cache = net.forward(X)
    grads, gx = net.backward(cache, C)
    sum_grads = [np.zeros_like(p) for p in net.params]
    for i in range(4):
        y, c1 = net.forward(X[i])
        assert y.shape == (2,)
        assert_allclose(y, Y[i], rtol=1e-13, atol=1e-14)
        g1, gx1 = net.backward(c1, C[i])
        assert gx1.shape == (3,)
        assert_allclose(gx1, gx[i], rtol=1e-12, atol=1e-14)
        sum_grads = [s + g for s, g in zip(sum_grads, g1)]
    # the batch gradients are the sums of the per-sample gradients
    for s, g in zip(sum_grads, grads):
        assert_allclose(g, s, rtol=1e-12, atol=1e-13)


def test_forward_by_hand():
    net = MLP((2, 2, 1), "relu", rng=np.random.default_rng(0))
    net.params[0][...] = [[1.0, -1.0], [2.0, 0.5]]
    net.params[1][...] = [0.5, -3.0]
    net.params[2][...] = [[2.0], [-1.0]]
    net.params[3][...] = [0.25]
    # x = (1, 1): z1 = (1 + 2 + 0.5, -1 + 0.5 - 3) = (3.5, -3.5), h1 = (3.5, 0), y = 7 + 0.25
    assert_allclose(net(np.array([1.0, 1.0])), [7.25])
    net.activation = "tanh"
    assert_allclose(net(np.array([1.0, 1.0])), [2 * np.tanh(3.5) - np.tanh(-3.5) + 0.25])


# ------------------------------------------------------------------ initialisation

@pytest.mark.parametrize("sizes", [(3, 8, 8, 2), (8, 2, 5, 1), (1, 4, 4)])
def test_orthogonal_init(sizes, rng):
    net = MLP(sizes, rng=rng, hidden_gain=1.7, out_gain=0.01)
    L = len(sizes) - 1
    for l in range(L):
        W, b = net.params[2 * l], net.params[2 * l + 1]
        gain = 0.01 if l == L - 1 else 1.7
        assert W.shape == (sizes[l], sizes[l + 1]) and b.shape == (sizes[l + 1],)
        assert np.all(b == 0.0)
        # orthonormal along the smaller side: W^T W = g^2 I if n_in >= n_out, else W W^T = g^2 I
        gram = W.T @ W if W.shape[0] >= W.shape[1] else W @ W.T
        assert_allclose(gram, gain ** 2 * np.eye(min(W.shape)), atol=1e-12)


def test_init_is_random_and_reproducible():
    a = MLP((4, 6, 3), rng=np.random.default_rng(1)).get_flat()
    b = MLP((4, 6, 3), rng=np.random.default_rng(1)).get_flat()
    c = MLP((4, 6, 3), rng=np.random.default_rng(2)).get_flat()
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)


def test_default_gains(rng):
    net = MLP((6, 4, 3), rng=rng)
    assert_allclose(net.params[0].T @ net.params[0], 2.0 * np.eye(4), atol=1e-12)   # sqrt(2)^2
    assert_allclose(net.params[2].T @ net.params[2], np.eye(3), atol=1e-12)


# ------------------------------------------------------------------ flat vectors, copy, polyak

def test_flat_round_trip_and_count(rng):
    net = MLP((3, 4, 2), rng=rng)
    # 3*4 + 4 + 4*2 + 2 = 26
    assert net.n_params == 26
    ids = [id(p) for p in net.params]
    v = rng.standard_normal(26)
    v_copy = v.copy()
    net.set_flat(v)
    assert np.array_equal(net.get_flat(), v)
    assert np.array_equal(v, v_copy)
    assert [id(p) for p in net.params] == ids            # written in place: optimisers keep their references
    assert_allclose(net.params[0], v[:12].reshape(3, 4))
    assert_allclose(net.params[3], v[24:])
    v[0] = 99.0                                          # set_flat copied v in
    assert net.params[0][0, 0] != 99.0
    g = net.get_flat()
    g[0] = -99.0                                         # get_flat returns a copy
    assert net.params[0][0, 0] != -99.0


def test_unflatten_inverts_flatten(rng):
    like = [rng.standard_normal((2, 3)), rng.standard_normal(4), rng.standard_normal((1, 1))]
    v = flatten(like)
    assert v.shape == (11,)
    back = unflatten(v, like)
    for a, b in zip(back, like):
        assert a.shape == b.shape and np.array_equal(a, b) and a is not b


def test_copy_is_deep(rng):
    net = MLP((2, 3, 1), rng=rng)
    twin = net.copy()
    assert twin.sizes == net.sizes and twin.activation == net.activation
    twin.params[0][0, 0] += 1.0
    assert twin.params[0][0, 0] != net.params[0][0, 0]
    x = rng.standard_normal((4, 2))
    twin.set_flat(net.get_flat())
    assert_allclose(twin(x), net(x), rtol=0, atol=0)


def test_polyak_by_hand(rng):
    target = MLP((2, 2, 1), rng=rng)
    source = MLP((2, 2, 1), rng=rng)
    target.set_flat(np.ones(target.n_params))
    source.set_flat(np.full(source.n_params, 3.0))
    ids = [id(p) for p in target.params]
    polyak_update(target, source, 0.25)
    # (1 - 0.25) * 1 + 0.25 * 3 = 1.5; the source is untouched
    assert_allclose(target.get_flat(), 1.5)
    assert_allclose(source.get_flat(), 3.0)
    assert [id(p) for p in target.params] == ids
    polyak_update(target, source, 1.0)
    assert_allclose(target.get_flat(), 3.0)


# ------------------------------------------------------------------ clipping

def test_clip_grad_norm_by_hand():
    grads = [np.array([3.0]), np.array([[4.0, 0.0]])]
    clipped, norm = clip_grad_norm(grads, 1.0)
    # ||g|| = sqrt(9 + 16) = 5, scale 1/5
    assert norm == 5.0
    assert_allclose(clipped[0], [0.6])
    assert_allclose(clipped[1], [[0.8, 0.0]])
    assert_allclose(grads[0], [3.0])                     # inputs untouched
    same, norm = clip_grad_norm(grads, 10.0)
    assert norm == 5.0
    assert_allclose(same[1], grads[1])
    assert same[1] is not grads[1]
    zero, norm = clip_grad_norm([np.zeros(3)], 1.0)
    assert norm == 0.0 and np.all(zero[0] == 0.0)


# ------------------------------------------------------------------ Adam

def test_adam_first_two_steps_by_hand():
    # f(x) = (x - 0)^2 with x0 = 1, so g = 2 x; lr = 0.1, betas (0.9, 0.999), eps = 1e-8
    x = np.array([1.0])
    opt = Adam([x], lr=0.1)
    opt.step([2 * x])
    # step 1: m_hat = g_1, v_hat = g_1^2, so x1 = 1 - 0.1 * 2 / (2 + 1e-8)
    x1 = 1.0 - 0.1 * 2.0 / (2.0 + 1e-8)
    assert_allclose(x, [x1], rtol=1e-15)
    opt.step([2 * x])
    # step 2: g2 = 2 x1; m2 = 0.9 * 0.2 + 0.1 * g2; v2 = 0.999 * 0.001 * 4 + 0.001 * g2^2
    g2 = 2.0 * x1
    m2 = 0.9 * (0.1 * 2.0) + 0.1 * g2
    v2 = 0.999 * (0.001 * 4.0) + 0.001 * g2 ** 2
    x2 = x1 - 0.1 * (m2 / (1 - 0.9 ** 2)) / (np.sqrt(v2 / (1 - 0.999 ** 2)) + 1e-8)
    assert_allclose(x, [x2], rtol=1e-14)
    # worked out on paper: m2 = 0.36, v2 = 0.007236, x2 = 0.9 - 0.1 * 1.8947368 / 1.9025799 = 0.8004122
    assert_allclose(x, [0.8004122], atol=1e-6)


def test_adam_minimises_a_convex_quadratic(rng):
    # f(w, c) = 1/2 theta^T A theta - b^T theta with theta = (w.ravel(), c), A SPD; minimiser A^{-1} b
    M = rng.standard_normal((5, 5))
    A = M @ M.T + 0.5 * np.eye(5)
    b = rng.standard_normal(5)
    w, c = np.zeros((2, 2)), np.zeros(1)
    opt = Adam([w, c], lr=0.1)

    def f(theta):
        return 0.5 * theta @ A @ theta - b @ theta

    f0 = f(np.concatenate([w.ravel(), c]))
    for k in range(3000):
        theta = np.concatenate([w.ravel(), c])
        g = A @ theta - b
        opt.lr = 0.1 * 0.998 ** k                      # annealed step size
        opt.step([g[:4].reshape(2, 2), g[4:]])
    theta = np.concatenate([w.ravel(), c])
    theta_star = np.linalg.solve(A, b)
    assert f(theta) < f0
    assert_allclose(theta, theta_star, atol=1e-4)


def test_adam_on_an_mlp_keeps_references(rng):
    net = MLP((2, 3, 1), rng=rng)
    opt = Adam(net.params, lr=1e-2)
    x = rng.standard_normal((6, 2))
    before = net.get_flat()
    y, cache = net.forward(x)
    grads, _ = net.backward(cache, np.ones_like(y))
    opt.step(grads)
    # every parameter moved, by at most lr (Adam's first step is lr * g / (|g| + eps))
    delta = net.get_flat() - before
    assert np.all(np.abs(delta) <= 1e-2 + 1e-12)
    assert_allclose(delta, -1e-2 * np.sign(flatten(grads)) * (np.abs(flatten(grads)) > 1e-6), atol=1e-6)
    assert Adam(net, lr=1e-3).params[0] is net.params[0]


# ------------------------------------------------------------------ inputs are never mutated

@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_forward_backward_do_not_mutate(activation, rng):
    net = randomised(MLP((3, 4, 4, 2), activation, rng=rng), rng)
    x = rng.standard_normal((5, 3))
    x0 = x.copy()
    y, cache = net.forward(x)
    cache0 = [h.copy() for h in cache["hs"]]
    gy = rng.standard_normal((5, 2))
    gy0 = gy.copy()
    params0 = net.get_flat()
    grads, gx = net.backward(cache, gy)
    grads2, gx2 = net.backward(cache, gy)                # a second call gives the same answer
    assert np.array_equal(x, x0) and np.array_equal(gy, gy0)
    assert all(np.array_equal(a, b) for a, b in zip(cache["hs"], cache0))
    assert np.array_equal(net.get_flat(), params0)
    assert np.array_equal(flatten(grads), flatten(grads2)) and np.array_equal(gx, gx2)


def test_optimiser_helpers_do_not_mutate_their_inputs(rng):
    grads = [rng.standard_normal((2, 2)), rng.standard_normal(2)]
    saved = [g.copy() for g in grads]
    p = [np.zeros((2, 2)), np.zeros(2)]
    Adam(p, lr=0.1).step(grads)
    clip_grad_norm(grads, 0.1)
    flatten(grads)
    assert all(np.array_equal(a, b) for a, b in zip(grads, saved))


# ------------------------------------------------------------------ error paths

@pytest.mark.parametrize("sizes, match", [
    ((3,), "at least 2"),
    ((), "at least 2"),
    ((3, 0, 2), r"sizes\[1\] must be a positive integer"),
    ((3, -4), r"sizes\[1\] must be a positive integer"),
    ((3, 2.5, 1), r"sizes\[1\] must be a positive integer"),
    ((3, "4", 1), r"sizes\[1\] must be a positive integer"),
    (5, "sequence of layer widths"),
])
def test_bad_sizes(sizes, match, rng):
    with pytest.raises(ValueError, match=match):
        MLP(sizes, rng=rng)


def test_bad_activation(rng):
    with pytest.raises(ValueError, match="activation must be one of"):
        MLP((2, 2), "sigmoid", rng=rng)


@pytest.mark.parametrize("bad", [None, 0, np.random.RandomState(0)])
def test_rng_must_be_a_generator(bad):
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        MLP((2, 2), rng=bad)


@pytest.mark.parametrize("kw", [{"hidden_gain": -1.0}, {"out_gain": np.nan}, {"out_gain": "big"}])
def test_bad_gains(kw, rng):
    with pytest.raises(ValueError, match="gain must be"):
        MLP((2, 3, 2), rng=rng, **kw)


def test_bad_x(rng):
    net = MLP((3, 4, 2), rng=rng)
    with pytest.raises(ValueError, match=r"x must have shape \(B, 3\) or \(3,\), got \(5, 2\)"):
        net.forward(np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"x must have shape"):
        net(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=r"x must be finite.*x\[1, 2\]"):
        net(np.array([[0.0, 0.0, 0.0], [0.0, 0.0, np.nan]]))
    with pytest.raises(ValueError, match="x must be an array of numbers"):
        net([["a", "b", "c"]])


def test_bad_grad_y(rng):
    net = MLP((3, 4, 2), rng=rng)
    _, cache = net.forward(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"grad_y must have the shape of y, \(5, 2\), got \(5,\)"):
        net.backward(cache, np.zeros(5))
    with pytest.raises(ValueError, match=r"grad_y must be finite"):
        net.backward(cache, np.full((5, 2), np.inf))
    _, cache1 = net.forward(np.zeros(3))
    with pytest.raises(ValueError, match=r"grad_y must have the shape of y, \(2,\)"):
        net.backward(cache1, np.zeros((1, 2)))


def test_bad_set_flat_and_unflatten(rng):
    net = MLP((3, 4, 2), rng=rng)
    with pytest.raises(ValueError, match=r"v must have shape \(26,\)"):
        net.set_flat(np.zeros(25))
    with pytest.raises(ValueError, match=r"v must be finite"):
        net.set_flat(np.full(26, np.nan))
    with pytest.raises(ValueError, match=r"v must have shape \(3,\)"):
        unflatten(np.zeros((3, 1)), [np.zeros(3)])


@pytest.mark.parametrize("lr", [0.0, -1e-3, np.nan, np.inf, None])
def test_adam_bad_lr(lr):
    with pytest.raises(ValueError, match="lr must be"):
        Adam([np.zeros(2)], lr=lr)
    opt = Adam([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="lr must be"):
        opt.lr = lr


def test_adam_bad_arguments():
    with pytest.raises(ValueError, match="betas must lie in"):
        Adam([np.zeros(2)], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="betas must be two numbers"):
        Adam([np.zeros(2)], betas=0.9)
    with pytest.raises(ValueError, match="eps must be"):
        Adam([np.zeros(2)], eps=0.0)
    with pytest.raises(ValueError, match=r"params\[0\] must be a writeable float numpy array"):
        Adam([np.zeros(2, dtype=int)])
    with pytest.raises(ValueError, match=r"params\[1\] must be a writeable float numpy array"):
        Adam([np.zeros(2), [0.0, 0.0]])
    with pytest.raises(ValueError, match="params must be a list of arrays"):
        Adam(3.0)


def test_adam_bad_grads():
    p = [np.zeros((2, 2)), np.zeros(2)]
    opt = Adam(p, lr=0.1)
    with pytest.raises(ValueError, match="grads must hold 2 arrays, got 1"):
        opt.step([np.zeros((2, 2))])
    with pytest.raises(ValueError, match=r"grads\[1\] must have shape \(2,\), got \(3,\)"):
        opt.step([np.zeros((2, 2)), np.zeros(3)])
    with pytest.raises(ValueError, match=r"grads\[0\] must be finite.*\[0, 1\]"):
        opt.step([np.array([[0.0, np.nan], [0.0, 0.0]]), np.zeros(2)])
    assert opt.t == 0 and all(np.all(q == 0) for q in p)        # a refused step changes nothing


@pytest.mark.parametrize("max_norm", [0.0, -1.0, np.nan, "x"])
def test_clip_bad_max_norm(max_norm):
    with pytest.raises(ValueError, match="max_norm must be"):
        clip_grad_norm([np.ones(2)], max_norm)


def test_clip_nan_grads():
    with pytest.raises(ValueError, match=r"grads\[1\] must be finite"):
        clip_grad_norm([np.ones(2), np.array([np.nan])], 1.0)


def test_polyak_bad_arguments(rng):
    a, b = MLP((2, 2), rng=rng), MLP((2, 3), rng=rng)
    with pytest.raises(ValueError, match=r"tau must be in \[0, 1\]"):
        polyak_update(a, a.copy(), 1.5)
    with pytest.raises(ValueError, match="tau must be a number"):
        polyak_update(a, a.copy(), None)
    with pytest.raises(ValueError, match=r"source.params\[0\] must have shape \(2, 2\)"):
        polyak_update(a, b, 0.5)


def test_docstring_examples():
    result = doctest.testmod(nn, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
