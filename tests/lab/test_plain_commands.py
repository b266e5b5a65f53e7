"""The README's commands for running the notebooks without `make` are the Makefile's own, and they work.

* Each command names files that exist (and the how-to page gives the same ones), and the list is exactly what `make venv`
  and `make lab` run (read with `make -n`, so README and Makefile cannot drift
  apart), `--quiet` aside.
* On this machine's `.venv` the README's install command has nothing left to
  install (pip's dry run, offline): the commands produce this environment.
* The last command, run as the README writes it (see conftest.py), serves
  JupyterLab with the chapters, jupyterlab-myst loaded and the test's settings
  overrides applied.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import urllib.request

import pytest

from labutil import ROOT, readme_commands

VENV_PYTHON = ROOT / ".venv" / "bin" / "python"


def test_commands_name_existing_files():
    commands = [shlex.split(c) for c in readme_commands()]
    assert commands[0][1:] == ["-m", "venv", ".venv"], commands[0]
    assert commands[-1][:2] == [".venv/bin/jupyter", "lab"] and (ROOT / commands[-1][2]).is_dir()
    for args in commands[1:]:
        assert args[0].startswith(".venv/bin/"), args
        for flag, value in zip(args, args[1:]):
            if flag in ("-r", "-c"):
                assert (ROOT / value).is_file(), f"{' '.join(args)}: {value} does not exist"
        if "-e" in args:
            assert (ROOT / args[args.index("-e") + 1] / "pyproject.toml").is_file()


def test_how_to_page_gives_the_same_commands():
    text = (ROOT / "book" / "how-to-use.md").read_text(encoding="utf-8")
    blocks = [[line.strip() for line in b.splitlines() if line.strip()]
              for b in re.findall(r"```bash\n(.*?)```", text, re.S)]
    assert readme_commands() in blocks


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine (the README's case)")
def test_commands_are_the_makefiles_steps():
    def dry_run(*target):
        # run from inside `make test` the child make would print "Entering directory" lines
        # (it inherits MAKELEVEL/MAKEFLAGS): start it afresh and without them
        env = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES")}
        out = subprocess.run(["make", "--no-print-directory", "-n", "REQUIREMENTS=requirements.txt", "PYTHON=python3",
                              *target], cwd=ROOT, capture_output=True, text=True, check=True, env=env).stdout
        return [line.strip() for line in out.splitlines() if line.strip()]

    # -W: treat pyproject.toml as changed, so make prints the whole venv recipe.
    install = dry_run("-W", "pyproject.toml", ".venv/.installed")
    expected = []
    for line in install:
        if line.startswith("touch "):
            continue
        line = line.split("||")[-1].strip()            # "test -x .venv/bin/python || python3 -m venv .venv"
        expected.append(" ".join(a for a in shlex.split(line) if a != "--quiet"))
    expected.append(dry_run("lab")[-1])
    assert readme_commands() == expected


def test_install_command_has_nothing_left_to_install():
    if not VENV_PYTHON.exists():
        pytest.fail("no .venv: run `make venv` first")
    install = next(c for c in readme_commands() if " -r requirements.txt" in c)
    args = shlex.split(install)
    i = args.index("install")
    args = [str(VENV_PYTHON)] + args[1:i + 1] + ["--dry-run", "--no-index"] + args[i + 1:]
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Would install" not in result.stdout, result.stdout
    # ... and pglib is the editable install of this tree
    where = subprocess.run([str(VENV_PYTHON), "-c", "import pglib; print(pglib.__file__)"],
                           cwd="/", capture_output=True, text=True, check=True).stdout.strip()
    assert where == str(ROOT / "pglib" / "__init__.py")


def test_lab_command_serves_the_chapters(lab):
    with urllib.request.urlopen(f"{lab.url}/lab", timeout=10) as r:
        page = r.read().decode()
    config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                  page, re.S).group(1))
    assert "jupyterlab-myst" in {e["name"] for e in config["federated_extensions"]}
    with urllib.request.urlopen(f"{lab.url}/api/contents/", timeout=10) as r:
        names = {item["name"] for item in json.load(r)["content"]}
    assert {p.name for p in lab.root.glob("[0-9]*.ipynb")} <= names and len(names) > 1
    with urllib.request.urlopen(f"{lab.url}/lab/api/settings/@jupyterlab/notebook-extension:tracker",
                                timeout=10) as r:
        tracker = json.load(r)
    assert tracker["schema"]["properties"]["windowingMode"]["default"] == "none"
