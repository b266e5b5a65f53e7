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

import functools
import http.server
import os
import threading
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


# --- Fixtures shared by every module of the browser test (one server, one Chromium per session:
# Playwright's sync API allows one instance per thread, so modules must not start their own).

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature from the base class
        pass


@pytest.fixture(scope="session")
def base_url():
    from test_pages import HTML  # imported here: tests/test_browser_gate.py loads this file alone
    if not (HTML / "index.html").exists():
        pytest.skip(f"no built book at {HTML}: run `make book` first")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():  # (pytest_runtest_setup fails or skips first)
        pytest.skip(
            f"{CHROMIUM} not found: install Debian's chromium "
            "(`apt-get install chromium`, as .ci/run does) to run the browser test"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright Python package is not installed (see requirements.txt)")
    with sync_playwright() as pw:
        # Never let Playwright download a browser: use the system's Chromium.
        from test_pages import CHROMIUM_ARGS
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def screenshot_dir():
    from test_pages import SCREENSHOTS
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
