"""The browser tests never pass silently without Chromium (tests/browser/conftest.py).

Under CI=true a browser test fails when its Chromium is missing; locally it is
skipped, and both say how to install it. Checked on the conftest's functions and
by running pytest on a small browser test whose Chromium path does not exist.
"""
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = Path(__file__).resolve().parent / "browser" / "conftest.py"
_spec = importlib.util.spec_from_file_location("browser_conftest", CONFTEST)
gate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gate)

FAKE_SUITE = '''
import pytest

CHROMIUM = {chromium!r}


@pytest.fixture
def browser():
    return "a browser"


def test_needs_browser(browser):
    assert browser == "a browser"


def test_without_browser():
    assert 1 + 1 == 2
'''


def test_ci_variable():
    assert gate.in_ci({"CI": "true"}) and gate.in_ci({"CI": "1"}) and gate.in_ci({"CI": "TRUE"})
    assert not gate.in_ci({}) and not gate.in_ci({"CI": "false"}) and not gate.in_ci({"CI": ""})


def test_missing_chromium_message(tmp_path):
    fake = tmp_path / "no" / "chromium"
    message = gate.chromium_missing(str(fake))
    assert str(fake) in message and "apt-get install chromium" in message
    not_executable = tmp_path / "chromium"
    not_executable.write_text("")
    not_executable.chmod(0o644)
    assert gate.chromium_missing(str(not_executable)) is not None
    assert gate.chromium_missing(sys.executable) is None  # an executable file


def run_fake_suite(tmp_path, chromium, ci):
    suite = tmp_path / "suite"
    suite.mkdir()
    shutil.copy(CONFTEST, suite / "conftest.py")
    (suite / "pytest.ini").write_text("[pytest]\n")
    (suite / "test_fake.py").write_text(FAKE_SUITE.format(chromium=str(chromium)))
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # only the conftest matters here; faster start
    if ci:
        env["CI"] = "true"
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite)],
                            cwd=suite, env=env, capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("ci", [True, False], ids=["ci", "local"])
def test_missing_chromium_fails_in_ci_and_skips_locally(tmp_path, ci):
    code, out = run_fake_suite(tmp_path, tmp_path / "missing" / "chromium", ci)
    assert "apt-get install chromium" in out, out
    if ci:
        assert code == 1 and "1 passed" in out and "1 error" in out, out
        assert "CI=true and" in out
    else:
        assert code == 0 and "1 passed, 1 skipped" in out, out
        assert "browser tests skipped: Chromium is missing" in out


def test_present_chromium_runs_the_browser_test(tmp_path):
    code, out = run_fake_suite(tmp_path, sys.executable, ci=True)  # any executable stands in for it
    assert code == 0 and "2 passed" in out, out
