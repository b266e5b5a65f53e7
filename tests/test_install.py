"""The venv holds exactly the locked dependency tree (requirements.lock), and it is consistent.

`make lock` writes requirements.lock from requirements*.txt; every install step of
the Makefile uses it as constraints. These tests read what is really installed in
the running interpreter's venv (`pip list`, `pip check`) and compare it with the
lock file, parsed here with `packaging` (not with the script that wrote it).
"""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
REQUIREMENT_FILES = [ROOT / "requirements.txt", *sorted(ROOT.glob("requirements-*.txt"))]
SELF = "pglib"  # installed editable from the work tree, never locked
FIX = "run `make lock` (after editing requirements.txt), then `make venv`"


def requirement_lines(path):
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            yield line


def lock_entries():
    """{canonical name: (version, Requirement)} for every line of the lock."""
    entries = {}
    for line in requirement_lines(LOCK):
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==" and not req.extras and not req.url, (
            f"lock entry {line!r} is not a plain name==version pin")
        name = canonicalize_name(req.name)
        assert name not in entries, f"{req.name} appears twice in the lock"
        entries[name] = (specs[0].version, req)
    return entries


def installed():
    """{canonical name: version} of every distribution in this interpreter's environment (pip's view)."""
    out = subprocess.run([sys.executable, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
                         capture_output=True, text=True, check=True).stdout
    return {canonicalize_name(row["name"]): row["version"] for row in json.loads(out)}


@pytest.fixture(scope="module")
def venv():
    if sys.prefix == sys.base_prefix:
        pytest.fail(f"{sys.executable} is not a venv: run the tests with .venv/bin/pytest")
    return installed()


def test_lock_header_says_how_and_where():
    header = [line for line in LOCK.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    text = "\n".join(header)
    assert "make lock" in text and "requirements.txt" in text
    assert re.search(r"Python 3\.\d+\.\d+", text), "the header names the Python the lock was resolved on"


def test_lock_pins_a_whole_tree():
    entries = lock_entries()
    assert SELF not in entries
    # The bootstrap tools come from the lock too (the Makefile installs them with -c).
    assert {"pip", "setuptools"} <= set(entries)
    # More than the top-level requirements: the transitive tree.
    n_top = sum(len(list(requirement_lines(p))) for p in REQUIREMENT_FILES)
    assert len(entries) > 2 * n_top


def test_every_requirement_is_locked_at_a_version_it_allows():
    """requirements*.txt and the lock agree: a new or changed requirement line needs `make lock`."""
    entries = lock_entries()
    problems = []
    for path in REQUIREMENT_FILES:
        for line in requirement_lines(path):
            req = Requirement(line)
            name = canonicalize_name(req.name)
            if name not in entries:
                problems.append(f"{path.name}: {line} is not in the lock")
            elif not req.specifier.contains(entries[name][0], prereleases=True):
                problems.append(f"{path.name}: {line}, but the lock has {entries[name][0]}")
    assert not problems, "\n".join(problems + [FIX])


def test_pip_check_is_clean(venv):
    result = subprocess.run([sys.executable, "-m", "pip", "check", "--disable-pip-version-check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_venv_is_exactly_the_lock(venv):
    """Every installed distribution is locked at its version, and every lock entry for this Python is installed."""
    locked = {name: version for name, (version, req) in lock_entries().items()
              if req.marker is None or req.marker.evaluate()}
    here = {name: version for name, version in venv.items() if name != SELF}
    extra = sorted(f"{n}=={v}" for n, v in here.items() if n not in locked)
    missing = sorted(f"{n}=={v}" for n, v in locked.items() if n not in here)
    differ = sorted(f"{n}: installed {v}, locked {locked[n]}" for n, v in here.items()
                    if n in locked and v != locked[n])
    assert not (extra or missing or differ), (
        f"installed but not in the lock: {extra}\nlocked but not installed: {missing}\n"
        f"version differs: {differ}\n{FIX}")


def test_every_makefile_install_uses_the_lock():
    """Each `pip install` of the venv recipe takes the lock as constraints."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^\$\(STAMP\):.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe, "no $(STAMP) rule in the Makefile"
    installs = [line for line in recipe.group(1).splitlines() if "pip install" in line]
    assert len(installs) >= 3  # pip/setuptools, the requirements, pglib
    for line in installs:
        assert re.search(r"-c \$\(LOCK\)|-c requirements\.lock", line), f"not constrained by the lock: {line.strip()}"
    assert re.search(r"^LOCK\s*:?=\s*requirements\.lock\s*$", makefile, re.M)
