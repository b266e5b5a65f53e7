"""Write and check requirements.lock, the pinned dependency tree of the project's venv.

``make lock`` resolves the requirement files in a fresh venv and then runs, with
that venv's Python::

    python .ci/lock.py write requirements.lock requirements.txt [requirements-*.txt ...]

which pins every installed distribution (pip and setuptools included, pglib
excluded) as ``name==version``.  The tree is walked from the requirement files
through each distribution's ``Requires-Dist``, with the environment markers
evaluated for this Python and for the next minor versions: a distribution that
only some of them need (``overrides; python_version < "3.12"``) gets that
marker in the lock, so the lock's entries are exactly what each of these
Pythons installs.

``make lock-check`` asks pip, for each other Python it finds, what a fresh
install would take (``pip install --dry-run --report`` with the lock as
constraints, nothing downloaded but metadata) and compares it with the lock::

    python3 .ci/lock.py check requirements.lock python3.12 python3.13 -- requirements.txt
"""
from __future__ import annotations

import json
import platform
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HEADER = """\
# requirements.lock: every distribution of the project's venv, pinned (pglib itself excluded).
# Resolved by `make lock` on Python {python} ({system} {machine}) from: {sources}.
# Do not edit by hand: edit requirements.txt (or requirements-*.txt), then run `make lock`
# and commit both. Every install step of the Makefile uses this file as constraints
# (pip install -c requirements.lock), so it decides every version.
# It serves Python {python_minor} and later minor versions; entries that only some of them need
# carry a python_version marker (from the metadata). `make lock-check` asks pip whether other
# Pythons install exactly these versions.
"""
BOOTSTRAP = ("pip", "setuptools")  # installed by the Makefile before the requirements
SELF = "pglib"
LATER_MINORS = 3  # markers are worked out for this Python and the next three minors


def normalize(name: str) -> str:
    """PEP 503 name normalisation: 'Jinja2', 'jupyterlab_myst' -> 'jinja2', 'jupyterlab-myst'."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_requirements(paths):
    """The requirement lines of the files (comments and blank lines dropped)."""
    from packaging.requirements import Requirement

    reqs = []
    for path in paths:
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            if line.startswith("-"):
                raise ValueError(f"{path}:{number}: options ({line!r}) are not supported; "
                                 "write one requirement per line")
            reqs.append(Requirement(line))
    return reqs


def read_lock(path):
    """{normalized name: (version, marker or None)} from a lock file."""
    from packaging.markers import Marker

    entries = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        spec, _, marker = line.partition(";")
        name, sep, version = spec.strip().partition("==")
        if not sep:
            raise ValueError(f"{path}: {line!r} is not pinned with ==")
        entries[normalize(name)] = (version.strip(), Marker(marker) if marker.strip() else None)
    return entries


def applies(marker, environment=None) -> bool:
    return marker is None or marker.evaluate(environment)


def _environment(minor: str) -> dict:
    from packaging.markers import default_environment

    env = default_environment()
    env["python_version"] = minor
    env["python_full_version"] = f"{minor}.0"
    return env


def reachable(roots, installed, environment):
    """Names reached from the roots through Requires-Dist under the environment.

    roots: Requirement objects; installed: {normalized name: Distribution}.
    Returns (reached names, names required but not installed).
    """
    from packaging.requirements import Requirement

    seen, missing = set(), set()
    todo = [(normalize(r.name), frozenset(r.extras)) for r in roots
            if r.marker is None or r.marker.evaluate(environment)]
    done = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in done:
            continue
        done.add((name, extras))
        seen.add(name)
        dist = installed.get(name)
        if dist is None:
            missing.add(name)
            continue
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is not None and not any(
                    req.marker.evaluate({**environment, "extra": extra}) for extra in ("", *extras)):
                continue
            todo.append((normalize(req.name), frozenset(req.extras)))
    return seen, missing


def marker_for(minors, needed):
    """A python_version marker true on exactly the minors in `needed` (a prefix, a suffix or a list)."""
    if needed == set(minors):
        return None
    flags = [m in needed for m in minors]
    cut = flags.index(not flags[0])
    if all(f == flags[0] for f in flags[:cut]) and all(f != flags[0] for f in flags[cut:]):
        return f'python_version {"<" if flags[0] else ">="} "{minors[cut]}"'
    return " or ".join(f'python_version == "{m}"' for m in minors if m in needed)


def write(lock_path, requirement_paths):
    from importlib.metadata import distributions

    installed = {normalize(d.metadata["Name"]): d for d in distributions()}
    installed.pop(normalize(SELF), None)
    roots = read_requirements(requirement_paths)
    from packaging.requirements import Requirement
    roots += [Requirement(name) for name in BOOTSTRAP]

    major, minor = sys.version_info[:2]
    minors = [f"{major}.{minor + k}" for k in range(LATER_MINORS + 1)]
    needed_on = {}
    for m in minors:
        seen, missing = reachable(roots, installed, _environment(m))
        if m == minors[0] and missing:
            raise SystemExit(f"required but not installed: {sorted(missing)}")
        if missing:
            print(f"note: Python {m} also needs {sorted(missing)}, which this Python does not "
                  "install; they are not in the lock (pip picks their versions there)")
        for name in seen - missing:
            needed_on.setdefault(name, set()).add(m)

    lines = []
    for name in sorted(installed):
        dist = installed[name]
        entry = f"{dist.metadata['Name']}=={dist.version}"
        if name not in needed_on:
            print(f"note: {entry} is installed but required by nothing; locked anyway")
        marker = marker_for(minors, needed_on.get(name, set(minors)))
        lines.append(entry + (f" ; {marker}" if marker else ""))
    header = HEADER.format(
        python=platform.python_version(), python_minor=minors[0], system=platform.system(),
        machine=platform.machine(), sources=", ".join(requirement_paths))
    Path(lock_path).write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    conditional = sum(";" in line for line in lines)
    print(f"{lock_path}: {len(lines)} distributions pinned on Python {platform.python_version()}"
          f" ({conditional} with a python_version marker)")


def check(lock_path, pythons, requirement_paths):
    """For each interpreter: would a fresh venv install exactly the lock's entries? Returns 0 if all do."""
    lock = read_lock(lock_path)
    failures = 0
    for python in pythons:
        with tempfile.TemporaryDirectory(prefix="pglib-lock-check.") as tmp:
            venv = Path(tmp) / "venv"
            if subprocess.run([python, "-m", "venv", str(venv)], capture_output=True).returncode:
                print(f"{python}: cannot create a venv with it; skipped")
                continue
            pip = [str(venv / "bin" / "python"), "-m", "pip"]
            report = Path(tmp) / "report.json"
            step = subprocess.run(pip + ["install", "--quiet", "-c", lock_path, "pip"],
                                  capture_output=True, text=True)
            if step.returncode == 0:
                args = ["install", "--dry-run", "--ignore-installed", "--quiet", "--report", str(report),
                        "-c", lock_path, *BOOTSTRAP]
                for path in requirement_paths:
                    args += ["-r", path]
                step = subprocess.run(pip + args, capture_output=True, text=True)
            if step.returncode != 0:
                errors = [l for l in step.stderr.splitlines() if l.startswith("ERROR")]
                print(f"{python}: FAILS to install with the lock:\n  " + "\n  ".join(errors[-3:]))
                failures += 1
                continue
            data = json.loads(report.read_text())
            env = data["environment"]
            would = {normalize(i["metadata"]["name"]): i["metadata"]["version"] for i in data["install"]}
        want = {name: version for name, (version, marker) in lock.items() if applies(marker, env)}
        extra = {n: v for n, v in would.items() if n not in want}
        differ = {n: (v, want[n]) for n, v in would.items() if n in want and want[n] != v}
        absent = sorted(set(want) - set(would))
        ok = not (extra or differ or absent)
        failures += not ok
        print(f"{python} (Python {env['python_full_version']}): {len(would)} distributions, "
              + ("exactly the lock" if ok else
                 f"not in the lock {extra}, versions differ {differ}, lock entries not installed {absent}"))
    return 1 if failures else 0


if __name__ == "__main__":
    command, *args = sys.argv[1:] or ["help"]
    if command == "write" and len(args) >= 2:
        write(args[0], args[1:])
    elif command == "check" and "--" in args and args.index("--") >= 2:
        cut = args.index("--")
        sys.exit(check(args[0], args[1:cut], args[cut + 1:]))
    else:
        sys.exit(__doc__)
