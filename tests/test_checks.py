"""The live checks pass on what holds and raise on what does not."""
import numpy as np
import pytest

import pglib


def test_check_close_passes_and_prints(capsys):
    assert pglib.check_close("identity", [1.0, 2.0], [1.0, 2.0 + 1e-12]) is None
    assert capsys.readouterr().out.startswith("✓ identity: max |error| = 1.0e-12")


def test_check_close_raises_with_location():
    with pytest.raises(AssertionError, match=r"✗ sum: .* at index \[1\]"):
        pglib.check_close("sum", [1.0, 2.1], [1.0, 2.0], rtol=1e-6)
    with pytest.raises(AssertionError, match="shapes differ"):
        pglib.check_close("shape", [1.0], [1.0, 2.0])


def test_check_unbiased_passes_on_a_true_mean_and_fails_on_a_shifted_one():
    rng = np.random.default_rng(0)
    x = rng.normal(loc=0.3, scale=2.0, size=(50_000, 3))
    pglib.check_unbiased("normal mean", x, np.full(3, 0.3))
    # a shift of 10 standard errors must be caught
    se = 2.0 / np.sqrt(50_000)
    with pytest.raises(AssertionError, match=r"\|z\| = "):
        pglib.check_unbiased("shifted", x, np.full(3, 0.3 + 10 * se))


def test_check_unbiased_degenerate_coordinates():
    x = np.zeros((10, 2)); x[:, 0] = np.arange(10)
    pglib.check_unbiased("zeros", x, np.array([4.5, 0.0]))
    with pytest.raises(AssertionError, match="all samples equal"):
        pglib.check_unbiased("zeros", x, np.array([4.5, 1.0]))


def test_check_true():
    pglib.check_true("ok", 1 < 2)
    with pytest.raises(AssertionError, match="✗ no"):
        pglib.check_true("no", 2 < 1)


def test_widget_live_reraises_errors_at_default_values():
    import ipywidgets as W
    from pglib.widgets import live

    def broken(k=1):
        raise RuntimeError("boom at k=%d" % k)

    with pytest.raises(RuntimeError, match="boom at k=3"):
        live(broken, k=W.IntSlider(value=3, min=1, max=5))

    calls = []
    box = live(lambda k=1: calls.append(k), k=W.IntSlider(value=2, min=1, max=5))
    assert calls == [2] and isinstance(box, W.VBox)


def test_check_unbiased_refuses_non_finite_samples_and_reference():
    # Before: NaN made max |z| NaN, "NaN > z" is False, and the check passed, even with
    # another coordinate 100 standard errors off.
    rng = np.random.default_rng(1)
    x = rng.normal(size=(100, 3))
    x[5, 0] = np.nan
    with pytest.raises(AssertionError, match="samples not finite"):
        pglib.check_unbiased("nan", x, np.array([0.0, 100.0, 0.0]))
    with pytest.raises(AssertionError, match="samples not finite"):
        pglib.check_unbiased("inf", np.append(rng.normal(size=10), np.inf), 0.0)
    with pytest.raises(AssertionError, match="reference not finite"):
        pglib.check_unbiased("nan ref", rng.normal(size=10), np.nan)


def test_check_unbiased_one_coordinate_as_shape_1(capsys):
    # samples (N, 1) against reference (1,): printed like a scalar (float() of a (1,) array
    # is an error in NumPy 2); mean of 0, 1, ..., 9 is 4.5 with s.e. sqrt(55/6)/sqrt(10)
    x = np.arange(10.0)[:, None]
    pglib.check_unbiased("one", x, np.array([4.5]))
    assert "mean 4.500000 ± 0.957427" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="all samples equal 1 but reference is 2$"):
        pglib.check_unbiased("degenerate scalar", np.ones(10), 2.0)
