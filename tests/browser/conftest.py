"""Keep the browser test out of pglib's test run.

`pytest tests` (pglib's tests) deselects everything under tests/browser; the
browser test runs only when this folder (or a file in it) is named on the
command line, as `make test` does after building the book:
`.venv/bin/pytest tests/browser`.

Chromium: a test that uses the ``browser`` fixture needs Debian's Chromium at
the path its module names (``CHROMIUM``, default ``/usr/bin/chromium``). Where it
is missing, the test fails under ``CI=true`` (so CI can never pass by skipping the
browser test) and is skipped on a developer's machine; either way the message
says how to install it, and a local run repeats it at the end of its output.
"""

import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
INSTALL = "apt-get install chromium"
_MISSING = pytest.StashKey[str]()


def in_ci(environ=os.environ) -> bool:
    """True when the CI variable is set to a true value (GitHub, GitLab and .ci/run's CI set CI=true)."""
    return environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def chromium_missing(path: str):
    """None if `path` is an executable file, else the message saying how to install Chromium."""
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return None
    return (f"{path} not found: the browser tests need Debian's Chromium. "
            f"Install it with `{INSTALL}` (as root or with sudo; .ci/run does this), "
            "then rerun `make test-browser`.")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before any fixture: fail (CI) or skip (locally) a browser test when Chromium is missing."""
    if "browser" not in getattr(item, "fixturenames", ()):
        return
    message = chromium_missing(getattr(getattr(item, "module", None), "CHROMIUM", CHROMIUM))
    if message is None:
        return
    if in_ci():
        pytest.fail(f"CI=true and {message}", pytrace=False)
    item.config.stash[_MISSING] = message
    pytest.skip(message)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    message = config.stash.get(_MISSING, None)
    if message:
        terminalreporter.write_sep("=", "browser tests skipped: Chromium is missing", yellow=True)
        terminalreporter.write_line(message)


def _names_this_folder(arg: str) -> bool:
    path = Path(arg.split("::")[0]).resolve()
    return path == HERE or HERE in path.parents


def pytest_collection_modifyitems(config, items):
    if any(_names_this_folder(arg) for arg in config.args):
        return
    keep = [item for item in items if HERE not in Path(str(item.path)).resolve().parents]
    dropped = [item for item in items if HERE in Path(str(item.path)).resolve().parents]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
