"""JupyterLab as a student runs it: the README's start command, served locally, driven in Chromium.

Like tests/browser, this folder runs only when named on the command line
(`make test-lab`: `.venv/bin/pytest -q tests/lab`); `pytest tests` (pglib's
tests) deselects it.

The ``lab`` fixture runs the README's JupyterLab command (``.venv/bin/jupyter lab
book/``) from a scratch directory holding a symlink to the project's ``.venv``
and a *copy* of ``book/`` (so that nothing the test does — running cells, a
kernel writing metadata — can touch the committed notebooks), on a free port of
127.0.0.1, without token or browser, with Jupyter's user directories pointed
into the scratch directory (the developer's own settings and extensions do not
leak in) and with ``tests/lab/overrides.json`` as JupyterLab's settings
overrides: ``windowingMode: none`` (every cell attached and rendered, so every
cell is checked), autosave off, no news or update checks.

Environment: ``LAB_BOOK`` serves another book folder (e.g. cleaned copies of the
notebooks); ``CI=true`` turns a missing Chromium from a skip into a failure.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from labutil import BOOK, CHROMIUM, CHROMIUM_ARGS, HERE, ROOT, lab_command


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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode("utf-8", "replace")


class Lab:
    def __init__(self, url: str, root: Path, log: Path, proc: subprocess.Popen):
        self.url, self.root, self.log, self.proc = url, root, log, proc

    def log_tail(self, n: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """The README's JupyterLab on a free local port, serving a copy of the book."""
    if not (ROOT / ".venv" / "bin" / "jupyter").exists():
        pytest.fail("no .venv/bin/jupyter: run `make venv` first")
    work = tmp_path_factory.mktemp("lab")
    (work / ".venv").symlink_to(ROOT / ".venv")
    shutil.copytree(BOOK, work / "book", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "_build"))
    settings = work / "app-settings"
    settings.mkdir()
    shutil.copy(HERE / "overrides.json", settings / "overrides.json")
    env = dict(os.environ)
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTERLAB_SETTINGS_DIR", "user-settings"),
                     ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("IPYTHONDIR", "ipython")]:
        env[var] = str(work / sub)
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_PREFER_ENV_PATH", None)
    port = _free_port()
    cmd = lab_command() + [
        f"--port={port}", "--ip=127.0.0.1", "--no-browser",
        "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.port_retries=0",
        f"--LabApp.app_settings_dir={settings}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")          # containers and CI run as root
    log = work / "jupyterlab.log"
    with open(log, "wb") as fh:
        # Own session: teardown ends the server and the kernels it started, and nothing else.
        proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    server = Lab(url, work / "book", log, proc)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {proc.returncode}:\n{server.log_tail()}")
            try:
                status, body = _get(f"{url}/lab")
                if status == 200 and "JupyterLab" in body:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not serve {url}/lab within 90 s:\n{server.log_tail()}")
            time.sleep(0.5)
        yield server
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} not found (Debian package `chromium`); the JupyterLab test needs it"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
