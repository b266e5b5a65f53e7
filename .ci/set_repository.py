#!/usr/bin/env python3
"""Set (or unset) the book's git repository: one setting, and everything that depends on it.

The repository URL is ``repository.url`` in ``_config.yml``.  Empty (the
default), the web book shows no repository, issue, Binder or Colab button:
no link points to a repository that does not exist.  Set it with this script,
never by hand, because four things follow from it::

    .ci/set_repository.py https://github.com/ORG/REPO [--branch main]   # set
    .ci/set_repository.py ""                                            # unset
    .ci/set_repository.py --sync     # re-apply _config.yml's setting (after adding a chapter)
    .ci/set_repository.py --check    # exit 1 if _config.yml and the notebooks disagree

1. ``repository.url`` and ``repository.branch`` in ``_config.yml``;
2. the buttons in ``html:``: ``use_repository_button`` (any host) and
   ``use_issues_button`` (GitHub and GitLab: sphinx-book-theme builds no issue
   link for other hosts and warns, which fails the ``-W`` build);
3. the launch buttons in ``launch_buttons:``: ``binderhub_url`` (mybinder.org,
   which builds the repository from ``binder/``) and ``colab_url`` (GitHub
   only: sphinx-book-theme warns for other hosts).  Both must be empty when
   the URL is: sphinx-book-theme fails on a notebook page with a launch
   button and no repository;
4. the Colab install cell of every chapter notebook (``book/[0-9]*.ipynb``):
   a code cell with the id and tag ``colab-install``, just before the
   chapter's first code cell, that does nothing off Colab and on Colab clones
   the repository and installs pglib from it (the clone also holds the stored
   results of ``experiments/``).  It names the URL (``REPOSITORY``); with none
   set it tells the reader what to do.  It is tagged ``remove-cell``: the web
   page has no kernel and does not show it.

sphinx-book-theme recognises GitHub, GitLab and Bitbucket URLs
(``https://HOST/ORG/REPO``) only; any other host stops the build, so this
script refuses it.  ``_config.yml`` is edited line by line (its comments
stay); the keys above must be present.  ``tests/test_launch.py`` checks that
``_config.yml`` and the notebooks agree.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = "_config.yml"
CHAPTERS = "book/[0-9]*.ipynb"
CELL_ID = "colab-install"
CELL_TAGS = [CELL_ID, "remove-cell"]
BINDERHUB_URL = "https://mybinder.org"
COLAB_URL = "https://colab.research.google.com"
PROVIDERS = {"github": "github.com", "gitlab": "gitlab", "bitbucket": "bitbucket.org"}
# The keys this script owns, by section of _config.yml.
MANAGED = {
    "repository": ("url", "branch"),
    "html": ("use_repository_button", "use_issues_button"),
    "launch_buttons": ("binderhub_url", "colab_url"),
}

CELL_TEMPLATE = '''\
#@title Colab only: get pglib (elsewhere this cell does nothing)
# Written by .ci/set_repository.py from the book's repository setting (_config.yml).
import sys
if "google.colab" in sys.modules:
    import os, subprocess
    from importlib.metadata import version
    REPOSITORY, BRANCH = {repository}, {branch}
    if not REPOSITORY:
        raise RuntimeError(
            "This copy of the book names no repository, so Colab cannot get pglib. Set "
            "REPOSITORY above to the git URL of the book's repository and run this cell "
            "again (the book's maintainers set it for every chapter with "
            "`.ci/set_repository.py URL`), or run the book on your own machine (`make lab`).")
    clone = os.path.abspath(REPOSITORY.rstrip("/").rsplit("/", 1)[-1])
    if not os.path.isdir(clone):
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", "--branch", BRANCH,
                        REPOSITORY, clone], check=True)
    # Editable: pglib then finds the stored experiment results in the clone.
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--editable", clone],
                   check=True)
    sys.path.insert(0, clone)  # importable now, without a restart
    stale = [m for m in ("numpy", "matplotlib", "ipywidgets", "gymnasium")
             if m in sys.modules and sys.modules[m].__version__ != version(m)]
    if stale:
        raise RuntimeError(f"pip upgraded {{', '.join(stale)}}, which Colab had already "
                           "imported: restart the session (Runtime > Restart session) and "
                           "run this cell again.")
'''


class SettingError(ValueError):
    """A repository URL or a _config.yml that this script cannot work with."""


def normalize_url(url: str) -> str:
    """``https://HOST/ORG/REPO`` without a trailing slash or ``.git``; '' stays ''."""
    url = url.strip()
    if not url:
        return ""
    url = url.rstrip("/")
    if url.endswith(".git"):
        url = url[: -len(".git")]
    if not re.fullmatch(r"https://[A-Za-z0-9.-]+(:[0-9]+)?/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", url):
        raise SettingError(f"repository URL {url!r} is not of the form https://HOST/ORG/REPO")
    provider(url)
    return url


def provider(url: str) -> str:
    """'github', 'gitlab' or 'bitbucket', as sphinx-book-theme infers it from the host."""
    host = url.split("/")[2].lower()
    for name, marker in PROVIDERS.items():
        if marker in host:
            return name
    raise SettingError(f"repository URL {url!r}: sphinx-book-theme only knows GitHub, GitLab and "
                       "Bitbucket hosts (any other stops the book's build)")


def settings(url: str, branch: str) -> dict:
    """{section: {key: value}} for _config.yml, from the repository URL (normalised) and branch."""
    kind = provider(url) if url else None
    return {
        "repository": {"url": url, "branch": branch},
        "html": {"use_repository_button": bool(url),
                 "use_issues_button": kind in ("github", "gitlab")},
        "launch_buttons": {"binderhub_url": BINDERHUB_URL if url else "",
                           "colab_url": COLAB_URL if kind == "github" else ""},
    }


def _yaml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value and re.fullmatch(r"[A-Za-z0-9_./:-]+", value) and yaml.safe_load(value) == value:
        return value                  # plain: main, https://github.com/ORG/REPO
    return json.dumps(value)          # a JSON string is a YAML double-quoted scalar ("")


def update_config_text(text: str, wanted: dict) -> str:
    """``text`` with the managed keys set to ``wanted``; every other line unchanged."""
    out, section, seen = [], None, set()
    for line in text.splitlines(keepends=True):
        top = re.match(r"^([A-Za-z_][\w-]*):", line)
        if top:
            section = top.group(1)
        m = re.match(r"^(  )([\w-]+)(:\s*)(\"[^\"]*\"|'[^']*'|[^#\s]*)(\s*#.*)?(\r?\n)?$", line)
        if m and section in wanted and m.group(2) in wanted[section]:
            key = m.group(2)
            comment = m.group(5) or ""
            line = f"{m.group(1)}{key}: {_yaml_value(wanted[section][key])}{comment}{m.group(6) or ''}"
            seen.add((section, key))
        out.append(line)
    missing = [f"{s}.{k}" for s, keys in wanted.items() for k in keys if (s, k) not in seen]
    if missing:
        raise SettingError(f"{CONFIG} has no line for {', '.join(missing)} (two-space indented "
                           "under its section): add it, then run this again")
    new = "".join(out)
    # The edit must change exactly the managed values and nothing else.
    before, after = yaml.safe_load(text), yaml.safe_load(new)
    for section, keys in wanted.items():
        for key, value in keys.items():
            if after[section][key] != value:
                raise SettingError(f"{CONFIG}: could not set {section}.{key} (got {after[section][key]!r})")
            before[section][key] = value
    if before != after:
        raise SettingError(f"{CONFIG}: the edit would change more than the repository settings")
    return new


def read_config(root: Path) -> dict:
    return yaml.safe_load((root / CONFIG).read_text(encoding="utf-8"))


def cell_source(url: str, branch: str) -> str:
    return CELL_TEMPLATE.format(repository=json.dumps(url), branch=json.dumps(branch)).rstrip("\n")


def update_notebook(nb, url: str, branch: str) -> bool:
    """Insert or update the Colab install cell of a notebook in place; True if anything changed."""
    before = nbformat.writes(nb)
    ours = [c for c in nb.cells if c.get("id") == CELL_ID or CELL_ID in c.metadata.get("tags", [])]
    if len(ours) > 1:
        raise SettingError(f"{len(ours)} cells with the id or tag {CELL_ID!r}: keep one")
    cell = ours[0] if ours else nbformat.v4.new_code_cell(id=CELL_ID)
    if cell.cell_type != "code":
        raise SettingError(f"the cell {CELL_ID!r} is not a code cell")
    cell.id = CELL_ID
    cell.source = cell_source(url, branch)
    cell.metadata["tags"] = CELL_TAGS + [t for t in cell.metadata.get("tags", []) if t not in CELL_TAGS]
    cell.metadata["cellView"] = "form"   # Colab shows the title line and hides the code
    cell.outputs = []                    # it prints nothing off Colab
    if ours:
        nb.cells.remove(cell)
    first_code = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), len(nb.cells))
    nb.cells.insert(first_code, cell)
    return nbformat.writes(nb) != before


def chapters(root: Path):
    return sorted(root.glob(CHAPTERS))


def apply(root: Path, url: str | None, branch: str | None = None, log=print) -> list[Path]:
    """Set the repository (``url=None``: keep _config.yml's) everywhere; returns the files changed."""
    config_path = root / CONFIG
    text = config_path.read_text(encoding="utf-8")
    config = yaml.safe_load(text)
    current = config.get("repository") or {}
    url = normalize_url((current.get("url") or "") if url is None else url)
    branch = branch or current.get("branch") or "main"
    if not re.fullmatch(r"[\w./-]+", branch):
        raise SettingError(f"branch {branch!r} is not a plain git branch name")
    changed = []
    new = update_config_text(text, settings(url, branch))
    if new != text:
        config_path.write_text(new, encoding="utf-8")
        changed.append(config_path)
    for path in chapters(root):
        nb = nbformat.read(path, as_version=4)
        try:
            if update_notebook(nb, url, branch):
                nbformat.validate(nb)
                nbformat.write(nb, path)
                changed.append(path)
        except SettingError as err:
            raise SettingError(f"{path.relative_to(root)}: {err}") from None
    what = f"{url} (branch {branch})" if url else "none (no repository, issue or launch button)"
    log(f"repository: {what}; {len(changed)} file(s) changed")
    for path in changed:
        log(f"  {path.relative_to(root)}")
    return changed


def check(root: Path) -> list[str]:
    """Where _config.yml and the notebooks disagree with the repository setting ([] when they agree)."""
    config = read_config(root)
    url, branch = config["repository"].get("url") or "", config["repository"].get("branch") or "main"
    problems = []
    try:
        expected = settings(normalize_url(url), branch)
    except SettingError as err:
        return [str(err)]
    if normalize_url(url) != url:
        problems.append(f"{CONFIG}: repository.url {url!r} is not normalised")
    for section, keys in expected.items():
        for key, value in keys.items():
            if (config.get(section) or {}).get(key) != value:
                problems.append(f"{CONFIG}: {section}.{key} is {(config.get(section) or {}).get(key)!r}, "
                                f"expected {value!r} for repository {url!r}")
    for path in chapters(root):
        nb = nbformat.read(path, as_version=4)
        try:
            if update_notebook(nb, url, branch):
                problems.append(f"{path.relative_to(root)}: its Colab install cell is missing or out of date")
        except SettingError as err:
            problems.append(f"{path.relative_to(root)}: {err}")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", nargs="?", help='https://HOST/ORG/REPO, or "" to unset')
    parser.add_argument("--branch", help="the branch readers launch (default: keep _config.yml's)")
    parser.add_argument("--sync", action="store_true", help="re-apply _config.yml's setting everywhere")
    parser.add_argument("--check", action="store_true", help="report disagreements; exit 1 if any")
    parser.add_argument("--root", type=Path, default=ROOT, help="the book's root (default: this checkout)")
    args = parser.parse_args(argv)
    if sum([args.url is not None, args.sync, args.check]) != 1:
        parser.error('give a URL (or "" to unset), --sync or --check')
    try:
        if args.check:
            problems = check(args.root)
            for p in problems:
                print(p, file=sys.stderr)
            if problems:
                print("fix: .ci/set_repository.py --sync (or URL / \"\")", file=sys.stderr)
            return 1 if problems else 0
        apply(args.root, None if args.sync else args.url, args.branch)
    except SettingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
