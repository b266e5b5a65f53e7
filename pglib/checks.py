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
* :func:`check_cases` -- :func:`check_close` over several labelled cases
  (e.g. a student's function on two MDPs): one printed line, and a failure
  names the case and shows what was expected.

All fail on a NaN or inf in the value, samples or reference: a NaN compares
False with everything, so it would otherwise pass (and hide other coordinates).
A value of ``None`` (a function that forgot to ``return``) fails with a message
that says so.  A failure is raised from the public function itself, whose frame
sets ``__tracebackhide__``: pytest hides it, and IPython shows the caller's line,
this one raising line and the message (IPython always shows the frame that
raises, so no deeper pglib frame appears).

The printed error of :func:`check_close` depends on floating-point round-off,
so the notebooks' nbval sanitizer masks it; the pass/fail decision is not masked.
"""
from __future__ import annotations

import numpy as np

__all__ = ["check_close", "check_cases", "check_unbiased", "check_true"]


def _fmt(x):
    x = np.asarray(x, dtype=float)
    if x.size == 1:
        return f"{float(x):.6g}"
    return f"array of shape {x.shape}"


class _Failed(Exception):
    """A failed check inside this module; the public function re-raises it as ``AssertionError``
    from its own frame, so that a traceback shows one pglib frame (IPython always shows the
    frame that raises, and hides the other frames marked ``__tracebackhide__``)."""


def _expected(r):
    """A short description of the reference for a failure message."""
    if r.size == 1:
        return f"{r.item():.10g}" + (f" (shape {r.shape})" if r.ndim else "")
    if r.size <= 8:
        return np.array2string(r, separator=", ", formatter={"float_kind": lambda e: f"{e:.6g}"}) + f" (shape {r.shape})"
    return f"an array of shape {r.shape}"


def _as_value(name, value, r):
    """``value`` as a float array, or :class:`_Failed` saying why it is not one."""
    if value is None:
        raise _Failed(
            f"✗ {name}: the value is None (does the function end with a `return`?); "
            f"expected {_expected(r)}")
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError) as e:
        raise _Failed(
            f"✗ {name}: the value is not an array of numbers ({type(value).__name__}: {e}); "
            f"expected {_expected(r)}") from None


def _as_reference(name, reference):
    try:
        return np.asarray(reference, dtype=float)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name}: reference is not an array of numbers ({e})") from None


def _compare(name, value, reference, rtol, atol):
    """Max |value - reference| if within ``atol + rtol |reference|`` everywhere, else :class:`_Failed`."""
    if reference is None:
        raise ValueError(f"{name}: reference is None")
    r = _as_reference(name, reference)
    v = _as_value(name, value, r)
    if v.shape != r.shape:
        raise _Failed(f"✗ {name}: shapes differ, value {v.shape} vs reference {r.shape}"
                             + (f"; expected {_expected(r)}" if r.size <= 8 else ""))
    if not (np.all(np.isfinite(v)) and np.all(np.isfinite(r))):
        raise _Failed(f"✗ {name}: value or reference is not finite")
    err = np.abs(v - r)
    tol = atol + rtol * np.abs(r)
    max_err = float(err.max()) if err.size else 0.0
    if np.any(err > tol):
        i = np.unravel_index(np.argmax(err - tol), err.shape) if err.ndim else ()
        where = f" at index {list(map(int, i))}" if err.ndim else ""
        raise _Failed(
            f"✗ {name}: value {float(v[i]):.10g} vs reference {float(r[i]):.10g}{where}, "
            f"error {float(err[i]):.3g} > tolerance {float(tol[i]):.3g} (rtol={rtol:g}, atol={atol:g})")
    return max_err


def check_close(name, value, reference, rtol=1e-7, atol=1e-10):
    """Check ``value`` equals ``reference`` within ``atol + rtol * |reference|`` everywhere.

    Prints ``✓ name: max |error| = ... (rtol=..., atol=...)`` and returns
    None (so a check as a cell's last line shows only its printed line);
    raises ``AssertionError`` naming the worst entry otherwise (or saying
    that ``value`` is None, or not numeric, or of another shape than ``reference``).
    """
    __tracebackhide__ = True
    try:
        max_err = _compare(name, value, reference, rtol, atol)
    except _Failed as failed:
        raise AssertionError(str(failed)) from None
    print(f"✓ {name}: max |error| = {max_err:.1e} (rtol={rtol:g}, atol={atol:g})")


def check_cases(name, cases, rtol=1e-7, atol=1e-10):
    """:func:`check_close` on several labelled cases, e.g. a student's function on several inputs.

    Parameters
    ----------
    cases : mapping ``label -> (value, reference)`` or sequence of ``(label, value, reference)``
        ``value`` may also be a function of no arguments, called here, so that an
        exception raised by it is reported with the case's label.

    Prints ``✓ name: n cases, max |error| = ... (rtol=..., atol=...)`` and returns
    None; the first failing case raises ``AssertionError`` naming the case
    (``✗ name, case 'label': ...``) and showing the expected value.
    """
    __tracebackhide__ = True
    if hasattr(cases, "items"):
        cases = [(label, *pair) for label, pair in cases.items()]
    cases = list(cases)
    if not cases:
        raise ValueError(f"{name}: no cases to check")
    if any(len(c) != 3 for c in cases):
        raise ValueError(f"{name}: each case must be (label, value, reference)")
    worst = 0.0
    for label, value, reference in cases:
        where = f"{name}, case {label!r}"
        if callable(value):
            try:
                value = value()
            except Exception as e:
                raise AssertionError(f"✗ {where}: raised {type(e).__name__}: {e}") from e
        try:
            worst = max(worst, _compare(where, value, reference, rtol, atol))
        except _Failed as failed:
            raise AssertionError(str(failed)) from None
    print(f"✓ {name}: {len(cases)} cases, max |error| = {worst:.1e} (rtol={rtol:g}, atol={atol:g})")


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
    None; raises ``AssertionError`` otherwise.  Coordinates that are exactly 0
    in every sample and in the reference (e.g. the logits of terminal states)
    test nothing: they are not counted among the coordinates but reported apart,
    ``(k coordinates identically zero)``.
    """
    __tracebackhide__ = True
    try:
        line = _unbiased(name, samples, reference, z, atol)
    except _Failed as failed:
        raise AssertionError(str(failed)) from None
    print(line)


def _unbiased(name, samples, reference, z, atol):
    """The printed line of :func:`check_unbiased`, or :class:`_Failed`."""
    if reference is None:
        raise ValueError(f"{name}: reference is None")
    r = _as_reference(name, reference)
    x = _as_value(name, samples, r)
    if x.ndim < 1 or x.shape[0] < 2:
        raise ValueError(f"{name}: need at least 2 samples along axis 0, got shape {x.shape}")
    if x.shape[1:] != r.shape:
        raise _Failed(f"✗ {name}: sample shape {x.shape[1:]} differs from reference shape {r.shape}")
    # A NaN would make every comparison below False, so the test would pass (and hide
    # failures of the other coordinates, since max(z) is then NaN): refuse it first.
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(r))):
        bad = "samples" if not np.all(np.isfinite(x)) else "reference"
        raise _Failed(f"✗ {name}: {bad} not finite (NaN or inf)")
    mean = x.mean(axis=0)
    se = x.std(axis=0, ddof=1) / np.sqrt(x.shape[0])
    dev = np.abs(mean - r)
    degenerate = se == 0
    if np.any(degenerate & (dev > atol)):
        i = tuple(np.argwhere(np.atleast_1d(degenerate & (dev > atol)))[0])
        raise _Failed(f"✗ {name}: all samples equal {np.atleast_1d(mean)[i].item():.6g} "
                             f"but reference is {np.atleast_1d(r)[i].item():.6g}"
                             + (f" at index {list(map(int, i))}" if r.ndim else ""))
    zs = np.where(degenerate, 0.0, dev / np.where(degenerate, 1.0, se))
    zmax = float(np.max(zs))
    if zmax > z:
        i = np.unravel_index(np.argmax(zs), zs.shape) if zs.ndim else ()
        raise _Failed(
            f"✗ {name}: mean {float(mean[i]):.6g} ± {float(se[i]):.3g} (s.e.) vs reference "
            f"{float(r[i]):.6g}: |z| = {zmax:.2f} > {z:g}" + (f" at index {list(map(int, i))}" if zs.ndim else ""))
    if r.size == 1:
        # .item(), not float(): one coordinate may come as shape (1,) (float() of it is an error in NumPy 2)
        return (f"✓ {name}: mean {mean.item():.6f} ± {se.item():.6f} (s.e., N={x.shape[0]}) "
              f"vs reference {r.item():.6f}, |z| = {zmax:.2f} ≤ {z:g}")
    else:
        # exactly 0 in every sample and in the reference: nothing tested there
        n_zero = int(np.sum(np.all(x == 0, axis=0) & (r == 0)))
        zeros = f" ({n_zero} coordinates identically zero)" if n_zero else ""
        return (f"✓ {name}: {r.size - n_zero} coordinates, N={x.shape[0]}, max |z| = {zmax:.2f} ≤ {z:g}{zeros}")


def check_true(name, condition, detail=""):
    """Check a boolean statement (e.g. an inequality between two measured numbers)."""
    __tracebackhide__ = True
    if not bool(condition):
        raise AssertionError(f"✗ {name}" + (f": {detail}" if detail else ""))
    print(f"✓ {name}" + (f": {detail}" if detail else ""))
