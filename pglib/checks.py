r"""Live checks: one printed line when an identity holds, an ``AssertionError`` when it does not.

The chapters call these next to the equations they verify.  A notebook that
runs to its end is a notebook whose identities held, since nbval re-runs
them as tests.

* :func:`check_close` -- deterministic comparison,
  :math:`|x - y| \le \text{atol} + \text{rtol}\,|y|` element-wise.
* :func:`check_unbiased` -- a z-test for Monte Carlo samples: the sample
  mean :math:`\bar x` with standard error :math:`\hat\sigma/\sqrt N` must
  satisfy :math:`|\bar x - y| \le z\,\hat\sigma/\sqrt N` in every coordinate.
  Coordinates whose samples are all equal (standard error 0) must match
  the reference within ``atol``.

Both fail on a NaN or inf in the value, samples or reference: a NaN compares
False with everything, so it would otherwise pass (and hide other coordinates).

The printed error of :func:`check_close` depends on floating-point round-off,
so the notebooks' nbval sanitizer masks it; the pass/fail decision is not masked.
"""
from __future__ import annotations

import numpy as np

__all__ = ["check_close", "check_unbiased", "check_true"]


def _fmt(x):
    x = np.asarray(x, dtype=float)
    if x.size == 1:
        return f"{float(x):.6g}"
    return f"array of shape {x.shape}"


def check_close(name, value, reference, rtol=1e-7, atol=1e-10):
    """Check ``value`` equals ``reference`` within ``atol + rtol * |reference|`` everywhere.

    Prints ``✓ name: max |error| = ... (rtol=..., atol=...)`` and returns
    None (so a check as a cell's last line shows only its printed line);
    raises ``AssertionError`` naming the worst entry otherwise.
    """
    v = np.asarray(value, dtype=float)
    r = np.asarray(reference, dtype=float)
    if v.shape != r.shape:
        raise AssertionError(f"✗ {name}: shapes differ, value {v.shape} vs reference {r.shape}")
    if not (np.all(np.isfinite(v)) and np.all(np.isfinite(r))):
        raise AssertionError(f"✗ {name}: value or reference is not finite")
    err = np.abs(v - r)
    tol = atol + rtol * np.abs(r)
    max_err = float(err.max()) if err.size else 0.0
    if np.any(err > tol):
        i = np.unravel_index(np.argmax(err - tol), err.shape) if err.ndim else ()
        where = f" at index {list(map(int, i))}" if err.ndim else ""
        raise AssertionError(
            f"✗ {name}: value {float(v[i]):.10g} vs reference {float(r[i]):.10g}{where}, "
            f"error {float(err[i]):.3g} > tolerance {float(tol[i]):.3g} (rtol={rtol:g}, atol={atol:g})")
    print(f"✓ {name}: max |error| = {max_err:.1e} (rtol={rtol:g}, atol={atol:g})")


def check_unbiased(name, samples, reference, z=4.0, atol=1e-12):
    r"""z-test: the mean of ``samples`` (axis 0) matches ``reference`` within ``z`` standard errors.

    Parameters
    ----------
    samples : array_like, shape (N,) + shape
        Independent draws, one per row (e.g. per-episode gradient terms).
    reference : array_like, shape ``shape``
        The exact expectation.
    z : float
        Bound on :math:`|\bar x - y| / \mathrm{se}` in every coordinate
        (two-sided; z = 4 fails a correct estimator with probability 6e-5 per coordinate).

    Prints ``✓ name: mean ± s.e. vs reference, max |z| = ...`` and returns
    None; raises ``AssertionError`` otherwise.
    """
    x = np.asarray(samples, dtype=float)
    r = np.asarray(reference, dtype=float)
    if x.ndim < 1 or x.shape[0] < 2:
        raise ValueError(f"{name}: need at least 2 samples along axis 0, got shape {x.shape}")
    if x.shape[1:] != r.shape:
        raise AssertionError(f"✗ {name}: sample shape {x.shape[1:]} differs from reference shape {r.shape}")
    # A NaN would make every comparison below False, so the test would pass (and hide
    # failures of the other coordinates, since max(z) is then NaN): refuse it first.
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(r))):
        bad = "samples" if not np.all(np.isfinite(x)) else "reference"
        raise AssertionError(f"✗ {name}: {bad} not finite (NaN or inf)")
    mean = x.mean(axis=0)
    se = x.std(axis=0, ddof=1) / np.sqrt(x.shape[0])
    dev = np.abs(mean - r)
    degenerate = se == 0
    if np.any(degenerate & (dev > atol)):
        i = tuple(np.argwhere(np.atleast_1d(degenerate & (dev > atol)))[0])
        raise AssertionError(f"✗ {name}: all samples equal {np.atleast_1d(mean)[i].item():.6g} "
                             f"but reference is {np.atleast_1d(r)[i].item():.6g}"
                             + (f" at index {list(map(int, i))}" if r.ndim else ""))
    zs = np.where(degenerate, 0.0, dev / np.where(degenerate, 1.0, se))
    zmax = float(np.max(zs))
    if zmax > z:
        i = np.unravel_index(np.argmax(zs), zs.shape) if zs.ndim else ()
        raise AssertionError(
            f"✗ {name}: mean {float(mean[i]):.6g} ± {float(se[i]):.3g} (s.e.) vs reference "
            f"{float(r[i]):.6g}: |z| = {zmax:.2f} > {z:g}" + (f" at index {list(map(int, i))}" if zs.ndim else ""))
    if r.size == 1:
        # .item(), not float(): one coordinate may come as shape (1,) (float() of it is an error in NumPy 2)
        print(f"✓ {name}: mean {mean.item():.6f} ± {se.item():.6f} (s.e., N={x.shape[0]}) "
              f"vs reference {r.item():.6f}, |z| = {zmax:.2f} ≤ {z:g}")
    else:
        print(f"✓ {name}: {r.size} coordinates, N={x.shape[0]}, max |z| = {zmax:.2f} ≤ {z:g}")


def check_true(name, condition, detail=""):
    """Check a boolean statement (e.g. an inequality between two measured numbers)."""
    if not bool(condition):
        raise AssertionError(f"✗ {name}" + (f": {detail}" if detail else ""))
    print(f"✓ {name}" + (f": {detail}" if detail else ""))
