r"""A small multilayer perceptron with a hand-written backward pass, Adam, and helpers.

**Forward pass.**  An MLP with layer sizes :math:`(n_0, n_1, \dots, n_L)` maps a
batch :math:`x` of shape (B, :math:`n_0`) to :math:`y` of shape (B, :math:`n_L`):

.. math::

    h_0 = x, \qquad z_{l+1} = h_l W_l + b_l, \qquad
    h_{l+1} = \sigma(z_{l+1}) \;(l + 1 < L), \qquad y = z_L,

with :math:`W_l` of shape :math:`(n_l, n_{l+1})`, :math:`b_l` of shape
:math:`(n_{l+1},)`, :math:`\sigma` = tanh or ReLU on the hidden layers and a
linear output.

**Backward pass** (reverse mode).  Given :math:`g_y = \partial\ell/\partial y`
for a scalar loss :math:`\ell`, the vector-Jacobian products run the layers
backwards, starting from :math:`g_{z_L} = g_y`:

.. math::

    \frac{\partial\ell}{\partial W_l} = h_l^\top g_{z_{l+1}}, \qquad
    \frac{\partial\ell}{\partial b_l} = \sum_{\text{batch}} g_{z_{l+1}}, \qquad
    g_{h_l} = g_{z_{l+1}} W_l^\top, \qquad
    g_{z_l} = g_{h_l} \odot \sigma'(z_l),

with :math:`\sigma'(z) = 1 - \tanh^2 z = 1 - h^2` for tanh and
:math:`[z > 0] = [h > 0]` for ReLU (both read off the stored activation
:math:`h`), and :math:`g_x = g_{h_0}`.  The parameter gradients are *sums* over
the batch: divide ``grad_y`` by B for a mean loss.

**Initialisation** (Saxe, McClelland & Ganguli 2014): each :math:`W_l` is
:math:`g` times a random matrix with orthonormal columns (if
:math:`n_l \ge n_{l+1}`, so :math:`W^\top W = g^2 I`) or orthonormal rows
(otherwise, :math:`W W^\top = g^2 I`), drawn by a QR decomposition of a
Gaussian matrix with the signs of :math:`\operatorname{diag} R` fixed so the
draw is uniform (Haar).  Hidden layers use gain ``hidden_gain`` (default
:math:`\sqrt 2`), the output layer ``out_gain``; biases start at 0.

**Adam** (Kingma & Ba 2015, Algorithm 1), a gradient *descent* step with
:math:`t` counting steps from 1:

.. math::

    m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
    v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \quad
    \theta_t = \theta_{t-1} - \alpha\,
    \frac{m_t / (1-\beta_1^t)}{\sqrt{v_t / (1-\beta_2^t)} + \epsilon}.

**Gradient-norm clipping** (Pascanu, Mikolov & Bengio 2013): with the global
norm :math:`\|g\| = \sqrt{\sum_i \|g_i\|^2}` over all arrays, every array is
scaled by :math:`\min(1, c / \|g\|)`.

**Polyak averaging** of target networks (Lillicrap et al. 2016):
:math:`\bar\theta \leftarrow (1-\tau)\bar\theta + \tau\theta`.

Shapes
------
==============  ====================  ==========================================
name            shape                 meaning
==============  ====================  ==========================================
``x``           (B, n_0) or (n_0,)    inputs, one row per sample
``y``           (B, n_L) or (n_L,)    outputs
``params``      list of 2L arrays     ``[W_0, b_0, W_1, b_1, ...]``
``grads``       list like ``params``  gradients, summed over the batch
``get_flat()``  (P,)                  all parameters, in the order of ``params``
==============  ====================  ==========================================

References: Rumelhart, Hinton & Williams (1986) (back-propagation);
Saxe, McClelland & Ganguli (2014), *Exact solutions to the nonlinear dynamics
of learning in deep linear neural networks*; Kingma & Ba (2015), *Adam: a
method for stochastic optimization*; Pascanu, Mikolov & Bengio (2013), *On the
difficulty of training recurrent neural networks*; Lillicrap et al. (2016),
*Continuous control with deep reinforcement learning*.
"""
from __future__ import annotations

import numpy as np

from .mdp import _check_int

__all__ = ["MLP", "Adam", "polyak_update", "flatten", "unflatten", "clip_grad_norm"]

_ACTIVATIONS = ("tanh", "relu")


def _check_positive(name, x, allow_zero=False):
    """Return ``x`` as a finite float > 0 (>= 0 with ``allow_zero``), else raise ``ValueError``."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {x!r}") from None
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        what = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a finite {what} number, got {x!r}")
    return v


def _check_finite(name, a):
    """Raise ``ValueError`` naming the first NaN/inf entry of the float array ``a``."""
    if not np.isfinite(a).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        raise ValueError(f"{name} must be finite (no NaN or inf): {name}{list(bad)} = {a[bad]}")


def _check_grads(name, grads, like):
    """Return ``grads`` as a list of float arrays with the shapes of ``like``, all finite."""
    try:
        grads = list(grads)
    except TypeError:
        raise ValueError(f"{name} must be a list of arrays, got {type(grads).__name__}") from None
    if len(grads) != len(like):
        raise ValueError(f"{name} must hold {len(like)} arrays, got {len(grads)}")
    out = []
    for i, (g, p) in enumerate(zip(grads, like)):
        try:
            g = np.asarray(g, dtype=float)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{name}[{i}] must be an array of numbers: {err}") from None
        if g.shape != np.shape(p):
            raise ValueError(f"{name}[{i}] must have shape {np.shape(p)}, got {g.shape}")
        _check_finite(f"{name}[{i}]", g)
        out.append(g)
    return out


def _orthogonal(rng, n_in, n_out, gain):
    """A (n_in, n_out) matrix ``gain * Q`` with orthonormal columns (n_in >= n_out) or rows."""
    big, small = max(n_in, n_out), min(n_in, n_out)
    # A = Q R with A Gaussian (big, small); Q diag(sign(diag R)) is Haar-distributed
    Q, R = np.linalg.qr(rng.standard_normal((big, small)))
    Q = Q * np.where(np.diag(R) < 0, -1.0, 1.0)
    return gain * (Q if n_in >= n_out else Q.T)


class MLP:
    r"""Multilayer perceptron :math:`y = f_\theta(x)` with tanh or ReLU hidden layers and a linear output.

    Parameters
    ----------
    sizes : sequence of int, length L + 1 >= 2
        ``(n_in, h_1, ..., n_out)``.
    activation : {"tanh", "relu"}
        Nonlinearity of the hidden layers.
    rng : numpy.random.Generator
        Draws the orthogonal initial weights.
    hidden_gain, out_gain : float >= 0
        Scale of the orthogonal initial weights of the hidden layers and of the
        output layer (``out_gain=0.01`` gives a near-uniform initial policy).

    Attributes
    ----------
    params : list of arrays ``[W_0, b_0, ..., W_{L-1}, b_{L-1}]``
        ``W_l`` has shape (n_l, n_{l+1}), ``b_l`` shape (n_{l+1},).  Optimisers
        update these arrays in place; :meth:`set_flat` writes into them.

    Examples
    --------
    >>> net = MLP((3, 4, 2), rng=np.random.default_rng(0))
    >>> y, cache = net.forward(np.ones((5, 3)))
    >>> grads, grad_x = net.backward(cache, np.ones((5, 2)))
    >>> y.shape, [g.shape for g in grads], grad_x.shape
    ((5, 2), [(3, 4), (4,), (4, 2), (2,)], (5, 3))
    """

    def __init__(self, sizes, activation="tanh", rng=None, hidden_gain=np.sqrt(2), out_gain=1.0):
        try:
            sizes = list(sizes)
        except TypeError:
            raise ValueError(f"sizes must be a sequence of layer widths, got {sizes!r}") from None
        if len(sizes) < 2:
            raise ValueError(f"sizes must hold at least 2 widths (n_in, n_out), got {sizes!r}")
        self.sizes = tuple(_check_int(f"sizes[{i}]", n, 1, "a positive integer") for i, n in enumerate(sizes))
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {_ACTIVATIONS}, got {activation!r}")
        self.activation = activation
        if not isinstance(rng, np.random.Generator):
            raise ValueError("rng must be a numpy.random.Generator (use np.random.default_rng(seed))")
        hidden_gain = _check_positive("hidden_gain", hidden_gain, allow_zero=True)
        out_gain = _check_positive("out_gain", out_gain, allow_zero=True)
        L = len(self.sizes) - 1
        self.params = []
        for l in range(L):
            gain = out_gain if l == L - 1 else hidden_gain
            self.params.append(_orthogonal(rng, self.sizes[l], self.sizes[l + 1], gain))
            self.params.append(np.zeros(self.sizes[l + 1]))

    @property
    def n_params(self):
        """Total number of parameters P."""
        return sum(p.size for p in self.params)

    def _check_x(self, x):
        try:
            x = np.asarray(x, dtype=float)
        except (TypeError, ValueError) as err:
            raise ValueError(f"x must be an array of numbers: {err}") from None
        if x.ndim not in (1, 2) or x.shape[-1] != self.sizes[0]:
            raise ValueError(f"x must have shape (B, {self.sizes[0]}) or ({self.sizes[0]},), got {x.shape}")
        _check_finite("x", x)
        return x

    def forward(self, x):
        """Outputs ``y`` and the ``cache`` that :meth:`backward` needs.

        ``x`` of shape (B, n_in) gives ``y`` of shape (B, n_out); a single
        input of shape (n_in,) gives shape (n_out,).  ``x`` is not modified.
        """
        x = self._check_x(x)
        single = x.ndim == 1
        h = x[None, :] if single else x
        hs = [h]                                   # h_0, ..., h_{L-1}: the inputs of each layer
        L = len(self.sizes) - 1
        for l in range(L):
            W, b = self.params[2 * l], self.params[2 * l + 1]
            # z_{l+1} = h_l W_l + b_l
            z = h @ W + b
            if l == L - 1:
                y = z
            else:
                # h_{l+1} = sigma(z_{l+1})
                h = np.tanh(z) if self.activation == "tanh" else np.maximum(z, 0.0)
                hs.append(h)
        cache = {"hs": hs, "single": single}
        return (y[0] if single else y), cache

    def __call__(self, x):
        """Outputs only: ``forward(x)[0]``."""
        return self.forward(x)[0]

    def backward(self, cache, grad_y):
        r"""Vector-Jacobian products of :math:`\ell` with :math:`\partial\ell/\partial y` = ``grad_y``.

        Parameters
        ----------
        cache : the second output of :meth:`forward`
        grad_y : array, the shape of ``y``
            :math:`\partial\ell/\partial y` for each sample.

        Returns
        -------
        grads : list of arrays shaped like ``params``
            :math:`\partial\ell/\partial\theta`, **summed** over the batch.
        grad_x : array, the shape of ``x``
            :math:`\partial\ell/\partial x`, one row per sample.

        Uses the current ``params`` (call it before updating them).  Neither
        ``cache`` nor ``grad_y`` is modified.
        """
        hs, single = cache["hs"], cache["single"]
        try:
            g = np.asarray(grad_y, dtype=float)
        except (TypeError, ValueError) as err:
            raise ValueError(f"grad_y must be an array of numbers: {err}") from None
        B = hs[0].shape[0]
        y_shape = (self.sizes[-1],) if single else (B, self.sizes[-1])
        if g.shape != y_shape:
            raise ValueError(f"grad_y must have the shape of y, {y_shape}, got {g.shape}")
        _check_finite("grad_y", g)
        if single:
            g = g[None, :]
        L = len(self.sizes) - 1
        grads = [None] * (2 * L)
        for l in range(L - 1, -1, -1):
            h = hs[l]
            # dl/dW_l = h_l^T g_{z_{l+1}},  dl/db_l = sum over the batch of g_{z_{l+1}}
            grads[2 * l] = h.T @ g
            grads[2 * l + 1] = g.sum(axis=0)
            # g_{h_l} = g_{z_{l+1}} W_l^T
            g = g @ self.params[2 * l].T
            if l > 0:
                # g_{z_l} = g_{h_l} * sigma'(z_l): 1 - h^2 for tanh, [h > 0] for ReLU
                g = g * (1.0 - h * h) if self.activation == "tanh" else g * (h > 0)
        return grads, (g[0] if single else g)

    def copy(self):
        """An independent network with copies of the parameters (for target networks)."""
        new = object.__new__(MLP)
        new.sizes, new.activation = self.sizes, self.activation
        new.params = [p.copy() for p in self.params]
        return new

    def get_flat(self):
        """All parameters as one vector, shape (P,), in the order of ``params`` (a copy)."""
        return flatten(self.params)

    def set_flat(self, v):
        """Copy the vector ``v`` of shape (P,) into the parameter arrays, in place."""
        for p, new in zip(self.params, unflatten(v, self.params)):
            p[...] = new


def flatten(grads):
    """Concatenate a list of arrays into one vector, shape (sum of sizes,) (a copy)."""
    try:
        arrays = [np.asarray(g, dtype=float).ravel() for g in grads]
    except (TypeError, ValueError) as err:
        raise ValueError(f"grads must be a list of arrays of numbers: {err}") from None
    return np.concatenate(arrays) if arrays else np.zeros(0)


def unflatten(v, like):
    """Split the vector ``v`` into new arrays shaped like the arrays of ``like`` (inverse of :func:`flatten`)."""
    try:
        v = np.asarray(v, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"v must be an array of numbers: {err}") from None
    sizes = [int(np.size(p)) for p in like]
    if v.shape != (sum(sizes),):
        raise ValueError(f"v must have shape ({sum(sizes)},) to fill the arrays of like, got {v.shape}")
    _check_finite("v", v)
    out, start = [], 0
    for p, n in zip(like, sizes):
        out.append(v[start:start + n].reshape(np.shape(p)).copy())
        start += n
    return out


def _params_of(net):
    """The parameter arrays of an :class:`MLP`, or the list itself."""
    return net.params if isinstance(net, MLP) else list(net)


def polyak_update(target, source, tau):
    r"""In place :math:`\bar\theta \leftarrow (1-\tau)\bar\theta + \tau\theta` for every parameter array.

    ``target`` and ``source`` are :class:`MLP` (or lists of arrays) of the same
    shapes; ``tau`` in [0, 1].  Only ``target`` is modified.
    """
    try:
        tau = float(tau)
    except (TypeError, ValueError):
        raise ValueError(f"tau must be a number in [0, 1], got {tau!r}") from None
    if not 0.0 <= tau <= 1.0:
        raise ValueError(f"tau must be in [0, 1], got {tau}")
    tp, sp = _params_of(target), _params_of(source)
    sp = _check_grads("source.params", sp, tp)
    for t, s in zip(tp, sp):
        # theta_bar <- (1 - tau) theta_bar + tau theta
        t *= 1.0 - tau
        t += tau * s


def clip_grad_norm(grads, max_norm):
    r"""Scale all arrays by :math:`\min(1, c/\|g\|)` with :math:`\|g\|` the global norm.

    Parameters
    ----------
    grads : list of arrays
    max_norm : float > 0
        The bound :math:`c`.

    Returns
    -------
    clipped : list of new arrays (the inputs are not modified)
    norm : float
        :math:`\|g\| = \sqrt{\sum_i \|g_i\|^2}` *before* clipping.

    Unlike ``torch.nn.utils.clip_grad_norm_`` there is no 1e-6 in the
    denominator: a clipped gradient has norm exactly ``max_norm``.
    """
    max_norm = _check_positive("max_norm", max_norm)
    try:
        grads = list(grads)
    except TypeError:
        raise ValueError(f"grads must be a list of arrays, got {type(grads).__name__}") from None
    grads = _check_grads("grads", grads, grads)
    # ||g|| = sqrt(sum_i ||g_i||^2)
    norm = float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads)))
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return [g * scale for g in grads], norm


class Adam:
    r"""Adam (Kingma & Ba 2015): a gradient-descent step on arrays kept by reference.

    Parameters
    ----------
    params : list of float arrays (or an :class:`MLP`, meaning its ``params``)
        Updated **in place** by :meth:`step`.
    lr : float > 0
        Step size :math:`\alpha`; the attribute ``lr`` may be changed between
        steps (annealing).
    betas : (float, float) in [0, 1)
        Decay rates :math:`\beta_1, \beta_2` of the moment estimates.
    eps : float > 0

    Examples
    --------
    >>> x = np.array([1.0])
    >>> opt = Adam([x], lr=0.1)
    >>> opt.step([2 * x])          # gradient of x^2
    >>> x.round(6)                 # the first step moves by lr * g / |g|
    array([0.9])
    """

    def __init__(self, params, lr=3e-4, betas=(0.9, 0.999), eps=1e-8):
        params = params.params if isinstance(params, MLP) else params
        try:
            params = list(params)
        except TypeError:
            raise ValueError(f"params must be a list of arrays, got {type(params).__name__}") from None
        for i, p in enumerate(params):
            if not (isinstance(p, np.ndarray) and p.dtype.kind == "f" and p.flags.writeable):
                raise ValueError(f"params[{i}] must be a writeable float numpy array (updated in place)")
        self.params = params
        self.lr = lr
        try:
            b1, b2 = (float(b) for b in betas)
        except (TypeError, ValueError):
            raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}") from None
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"betas must lie in [0, 1), got {betas!r}")
        self.betas = (b1, b2)
        self.eps = _check_positive("eps", eps)
        self.t = 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    @property
    def lr(self):
        """Step size :math:`\\alpha` (a positive number; may be set between steps)."""
        return self._lr

    @lr.setter
    def lr(self, value):
        self._lr = _check_positive("lr", value)

    def step(self, grads):
        """One descent step with the gradients ``grads`` (a list shaped like ``params``)."""
        grads = _check_grads("grads", grads, self.params)
        b1, b2 = self.betas
        self.t += 1
        # bias corrections 1 - beta^t
        c1, c2 = 1.0 - b1 ** self.t, 1.0 - b2 ** self.t
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            # m_t = beta1 m_{t-1} + (1 - beta1) g_t
            m *= b1
            m += (1.0 - b1) * g
            # v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
            v *= b2
            v += (1.0 - b2) * g * g
            # theta_t = theta_{t-1} - lr * (m_t / c1) / (sqrt(v_t / c2) + eps)
            p -= self._lr * (m / c1) / (np.sqrt(v / c2) + self.eps)
