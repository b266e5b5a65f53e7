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


def test_check_close_says_when_the_value_is_none():
    # Before: np.asarray(None, dtype=float) is nan of shape (), reported as "shapes differ, value ()".
    def student(x):
        2 * x                                  # forgot the return

    with pytest.raises(AssertionError, match=r"^✗ double: the value is None \(does the function end "
                                             r"with a `return`\?\); expected \[2, 4\] \(shape \(2,\)\)$"):
        pglib.check_close("double", student(np.array([1.0, 2.0])), np.array([2.0, 4.0]))
    with pytest.raises(AssertionError, match=r"value is None .* expected 3.5$"):
        pglib.check_close("scalar", None, 3.5)
    with pytest.raises(AssertionError, match=r"value is not an array of numbers \(str"):
        pglib.check_close("text", "abc", 1.0)
    with pytest.raises(AssertionError, match="samples: the value is None|value is None"):
        pglib.check_unbiased("samples", None, 0.0)
    with pytest.raises(ValueError, match="reference is None"):
        pglib.check_close("no reference", 1.0, None)


def test_check_close_output_unchanged(capsys):
    # The stored notebook outputs hold these lines: the format must not move.
    pglib.check_close("a", [1.0, 2.0], [1.0, 2.0])
    pglib.check_close("b", 0.5, 0.5 + 1e-9, rtol=1e-6, atol=0)
    assert capsys.readouterr().out == ("✓ a: max |error| = 0.0e+00 (rtol=1e-07, atol=1e-10)\n"
                                       "✓ b: max |error| = 1.0e-09 (rtol=1e-06, atol=0)\n")


def test_check_cases_names_the_failing_case_and_the_expected_value(capsys):
    cases = [("chain", np.array([1.0, 2.0]), np.array([1.0, 2.0])),
             ("corridor", np.array([0.25]), np.array([-0.75]))]
    with pytest.raises(AssertionError, match=r"^✗ by hand = pglib, case 'corridor': value 0.25 vs "
                                             r"reference -0.75 at index \[0\], error 1 > tolerance"):
        pglib.checks.check_cases("by hand = pglib", cases)
    assert capsys.readouterr().out == ""      # nothing printed before the failure
    # a case whose value is None, or whose function raises, is named too
    with pytest.raises(AssertionError, match=r"case 'b': the value is None.*expected -1$"):
        pglib.checks.check_cases("f", {"a": (1.0, 1.0), "b": (None, -1.0)})
    with pytest.raises(AssertionError, match=r"case 'b': raised ZeroDivisionError"):
        pglib.checks.check_cases("f", {"a": (lambda: 1.0, 1.0), "b": (lambda: 1 / 0, 1.0)})
    # all pass: one line with the worst error over the cases (1e-12 here)
    pglib.checks.check_cases("f", {"a": (1.0, 1.0), "b": (lambda: 2.0 + 1e-12, 2.0)})
    assert capsys.readouterr().out == "✓ f: 2 cases, max |error| = 1.0e-12 (rtol=1e-07, atol=1e-10)\n"
    with pytest.raises(ValueError, match="no cases"):
        pglib.checks.check_cases("f", [])


def test_check_unbiased_does_not_count_identically_zero_coordinates(capsys):
    # 3 coordinates: one random (mean 0, tested), two exactly 0 in every sample and in the reference
    rng = np.random.default_rng(2)
    x = np.zeros((1000, 3))
    x[:, 1] = rng.normal(size=1000)
    pglib.check_unbiased("mixed", x, np.zeros(3))
    out = capsys.readouterr().out
    z = abs(x[:, 1].mean()) / (x[:, 1].std(ddof=1) / np.sqrt(1000))
    assert out == f"✓ mixed: 1 coordinates, N=1000, max |z| = {z:.2f} ≤ 4 (2 coordinates identically zero)\n"
    # a coordinate constant at 0 with a non-zero reference still fails; one constant at a
    # non-zero value equal to the reference is counted (it tests something)
    with pytest.raises(AssertionError, match="all samples equal 0 but reference is 1"):
        pglib.check_unbiased("mixed", x, np.array([1.0, 0.0, 0.0]))
    x[:, 0] = 2.0
    pglib.check_unbiased("constant", x, np.array([2.0, 0.0, 0.0]))
    assert "2 coordinates, N=1000" in capsys.readouterr().out and "(1 coordinates identically zero)"
    # without zero coordinates the line is as before
    pglib.check_unbiased("plain", rng.normal(size=(50, 2)) + 5, np.full(2, 5.0), z=10)
    assert "identically zero" not in capsys.readouterr().out


def _ipython_traceback(code):
    """Run ``code`` in a fresh IPython shell and return the traceback text it shows."""
    import io
    from contextlib import redirect_stdout

    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance(colors="nocolor")
    try:
        shell.run_cell("import numpy as np, pglib")
        buf = io.StringIO()
        with redirect_stdout(buf):
            shell.run_cell(code)
        return buf.getvalue()
    finally:
        InteractiveShell.clear_instance()


def test_ipython_shows_one_pglib_frame():
    # IPython always shows the frame that raises and hides the others marked __tracebackhide__:
    # the checks raise from the public function, so the student sees their line, that one
    # frame and the message, never the helpers (_compare, _as_value, _unbiased).
    cases = {"check_close": "def f(x):\n    2 * x\n\npglib.check_close('my f', f(1.0), 2.0)\n",
             "check_cases": "pglib.checks.check_cases('g', [('one', 1.0, 2.0)])",
             "check_unbiased": "pglib.check_unbiased('u', np.ones((5, 2)), np.zeros(2))",
             "check_true": "pglib.check_true('t', 1 > 2)"}
    for public, code in cases.items():
        tb = _ipython_traceback(code)
        assert tb.count("checks.py") == 1, tb
        assert f"checks.py:" in tb and f"in {public}(" in tb, tb
        assert "AssertionError: ✗" in tb and code.splitlines()[-1] in tb
        assert not any(f"in {h}(" in tb for h in ("_compare", "_as_value", "_unbiased")), tb
    assert "the value is None" in _ipython_traceback(cases["check_close"])
