"""Launching the book (issue 12): one repository setting, Binder's files, the Colab install cell.

* The repository URL is one setting (``repository.url`` in ``_config.yml``), set
  with ``.ci/set_repository.py``; the repository, issue, Binder and Colab buttons
  exist only when it is set, and every chapter's Colab install cell names it.
  These tests run the script on a copy (set, unset, again: nothing changes),
  build a one-page book with the settings it writes (the buttons and their links
  are in the HTML only when a URL is set), and check the real ``_config.yml``
  and chapters agree.
* The Colab cell is run here with and without a (simulated) ``google.colab``:
  silent and inert off Colab; on Colab it clones the repository (a real clone
  of a local git repository) and installs it; with no URL it says what to do.
* ``test_binder_environment_runs_a_chapter`` installs exactly what ``binder/``
  says into a fresh venv, as repo2docker would, and executes chapter 1 (with
  its Colab cell) there: a few minutes, most of them pip's downloads.
"""
from __future__ import annotations

import ast
import contextlib
import copy
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / ".ci" / "set_repository.py"
BINDER = ROOT / "binder"
LOCK = ROOT / "requirements.lock"
CELL_ID = "colab-install"
FIX = "run `.ci/set_repository.py --sync` (or `.ci/set_repository.py URL`) and commit the notebooks"
GITHUB = "https://github.com/someone/policy-gradient-book"
# What each host gets, read off sphinx-book-theme 1.3 (header_buttons/source.py, launch.py):
# issue links for GitHub and GitLab only, Colab links for GitHub only.
BUTTONS = {
    "": dict(use_repository_button=False, use_issues_button=False, binderhub_url="", colab_url=""),
    GITHUB: dict(use_repository_button=True, use_issues_button=True,
                 binderhub_url="https://mybinder.org", colab_url="https://colab.research.google.com"),
    "https://gitlab.com/someone/book": dict(use_repository_button=True, use_issues_button=True,
                                            binderhub_url="https://mybinder.org", colab_url=""),
    "https://bitbucket.org/someone/book": dict(use_repository_button=True, use_issues_button=False,
                                               binderhub_url="https://mybinder.org", colab_url=""),
}


def expected_buttons(url):
    """The buttons a repository URL gets (the table above, by host)."""
    if not url:
        return BUTTONS[""]
    host = url.split("/")[2]
    return next(b for u, b in BUTTONS.items() if u and u.split("/")[2].split(".")[0] in host)


def load_script():
    spec = importlib.util.spec_from_file_location("set_repository", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_script(*args, root):
    """The script's command line, run in this process (its imports are paid once)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        returncode = SET_REPOSITORY.main([*args, "--root", str(root)])
    return subprocess.CompletedProcess(args, returncode, out.getvalue(), err.getvalue())


SET_REPOSITORY = load_script()


def chapters(root=ROOT):
    return sorted((root / "book").glob("[0-9]*.ipynb"))


def buttons(config):
    return dict(use_repository_button=config["html"]["use_repository_button"],
                use_issues_button=config["html"]["use_issues_button"],
                binderhub_url=config["launch_buttons"]["binderhub_url"],
                colab_url=config["launch_buttons"]["colab_url"])


def colab_cells(nb):
    return [c for c in nb.cells if c.get("id") == CELL_ID or CELL_ID in c.metadata.get("tags", [])]


def cell_setting(source):
    """(REPOSITORY, BRANCH) as the cell's own assignment states them (read with ast)."""
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Tuple)
                and [t.id for t in node.targets[0].elts] == ["REPOSITORY", "BRANCH"]):
            return tuple(ast.literal_eval(node.value))
    raise AssertionError("no `REPOSITORY, BRANCH = ...` line in the Colab cell")


@pytest.fixture
def book(tmp_path):
    """A copy of _config.yml and two chapters (Part I and Part II) to run the script on."""
    shutil.copy(ROOT / "_config.yml", tmp_path / "_config.yml")
    (tmp_path / "book").mkdir()
    for name in ("01_trajectories.ipynb", "14_deterministic_pg.ipynb"):
        shutil.copy(ROOT / "book" / name, tmp_path / "book" / name)
    return tmp_path


def snapshot(root):
    return {p.relative_to(root): p.read_bytes() for p in [root / "_config.yml", *chapters(root)]}


# --- the real book ----------------------------------------------------------------------------

def test_the_repository_setting_and_the_chapters_agree():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    url, branch = config["repository"]["url"] or "", config["repository"]["branch"]
    assert url == "" or re.fullmatch(r"https://[^/\s]+/[^/\s]+/[^/\s]+", url) and not url.endswith(".git"), url
    assert buttons(config) == expected_buttons(url), (
        f"_config.yml: the buttons do not match repository.url {url!r}: {FIX}")
    sources = set()
    for path in chapters():
        nb = nbformat.read(path, as_version=4)
        ours = colab_cells(nb)
        assert len(ours) == 1, f"{path.name}: {len(ours)} Colab install cells: {FIX}"
        cell = ours[0]
        assert cell.id == CELL_ID and cell.cell_type == "code"
        assert {"colab-install", "remove-cell"} <= set(cell.metadata["tags"])
        first_code = next(c for c in nb.cells if c.cell_type == "code")
        assert first_code is cell, f"{path.name}: the Colab cell must come before the chapter's first code cell"
        assert cell.outputs == [], f"{path.name}: the Colab cell prints nothing off Colab"
        assert cell_setting(cell.source) == (url, branch), (
            f"{path.name}: its Colab cell names {cell_setting(cell.source)}, _config.yml {(url, branch)}: {FIX}")
        sources.add(cell.source)
    assert len(sources) == 1, "every chapter has the same Colab cell"


def test_check_mode_agrees():
    result = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- .ci/set_repository.py on a copy --------------------------------------------------------

def test_set_then_unset_changes_only_the_setting_and_is_idempotent(book):
    original = snapshot(book)
    original_config = yaml.safe_load(original[Path("_config.yml")])
    result = run_script(GITHUB + ".git/", root=book)          # normalised: no .git, no slash
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load((book / "_config.yml").read_text(encoding="utf-8"))
    assert config["repository"]["url"] == GITHUB
    assert config["repository"]["branch"] == original_config["repository"]["branch"]
    assert buttons(config) == BUTTONS[GITHUB]
    # Nothing else in _config.yml moved, comments included: only the managed lines differ.
    expected = copy.deepcopy(original_config)
    expected["repository"]["url"] = GITHUB
    for key in ("use_repository_button", "use_issues_button"):
        expected["html"][key] = BUTTONS[GITHUB][key]
    for key in ("binderhub_url", "colab_url"):
        expected["launch_buttons"][key] = BUTTONS[GITHUB][key]
    assert config == expected
    old_lines = original[Path("_config.yml")].decode().splitlines()
    new_lines = (book / "_config.yml").read_text(encoding="utf-8").splitlines()
    assert len(old_lines) == len(new_lines)
    changed = {o.split(":")[0].strip() for o, n in zip(old_lines, new_lines) if o != n}
    assert changed <= {"url", "use_repository_button", "use_issues_button", "binderhub_url", "colab_url"}
    for path in chapters(book):
        before = nbformat.reads(original[path.relative_to(book)].decode(), as_version=4)
        after = nbformat.read(path, as_version=4)
        cell, = colab_cells(after)
        assert cell_setting(cell.source) == (GITHUB, config["repository"]["branch"])
        # The chapter's own cells are untouched, in order.
        rest = [c for c in after.cells if c is not cell]
        assert [(c.id, c.source, c.get("outputs")) for c in rest] == \
               [(c.id, c.source, c.get("outputs")) for c in before.cells if c.get("id") != CELL_ID]
    state_set = snapshot(book)
    result = run_script(GITHUB, root=book)
    assert result.returncode == 0 and "0 file(s) changed" in result.stdout
    assert snapshot(book) == state_set

    assert run_script("", root=book).returncode == 0
    config = yaml.safe_load((book / "_config.yml").read_text(encoding="utf-8"))
    assert config["repository"]["url"] == ""
    assert buttons(config) == BUTTONS[""]
    for path in chapters(book):
        cell, = colab_cells(nbformat.read(path, as_version=4))
        assert cell_setting(cell.source) == ("", config["repository"]["branch"])
    state_unset = snapshot(book)
    assert run_script("", root=book).returncode == 0
    assert run_script("--sync", root=book).returncode == 0
    assert snapshot(book) == state_unset
    # Set and unset again: back to exactly the same files.
    assert run_script(GITHUB, root=book).returncode == 0
    assert snapshot(book) == state_set
    assert run_script("", root=book).returncode == 0
    assert snapshot(book) == state_unset


@pytest.mark.parametrize("url", [u for u in BUTTONS if u])
def test_buttons_follow_the_host(book, url):
    assert run_script(url, "--branch", "course-2027", root=book).returncode == 0
    config = yaml.safe_load((book / "_config.yml").read_text(encoding="utf-8"))
    assert (config["repository"]["url"], config["repository"]["branch"]) == (url, "course-2027")
    assert buttons(config) == BUTTONS[url]
    assert run_script("--check", root=book).returncode == 0
    for path in chapters(book):
        cell, = colab_cells(nbformat.read(path, as_version=4))
        assert cell_setting(cell.source) == (url, "course-2027")


@pytest.mark.parametrize("url", ["http://github.com/a/b", "https://example.org/a/b", "https://github.com/a",
                                 "github.com/a/b", "https://github.com/a/b/tree/main", "https://github.com/a b/c"])
def test_refuses_a_url_the_book_cannot_use(book, url):
    before = snapshot(book)
    result = run_script(url, root=book)
    assert result.returncode == 2 and "error:" in result.stderr
    assert snapshot(book) == before


def test_check_names_what_disagrees(book):
    assert run_script(GITHUB, root=book).returncode == 0
    text = (book / "_config.yml").read_text(encoding="utf-8")
    (book / "_config.yml").write_text(text.replace(GITHUB, "https://github.com/else/where"), encoding="utf-8")
    result = run_script("--check", root=book)
    assert result.returncode == 1
    assert all(p.name in result.stderr for p in chapters(book)), result.stderr


# --- the buttons, as jupyter-book renders them -----------------------------------------------

def build_one_page(root, config, out):
    """A one-notebook book with _config.yml's repository, html buttons and launch_buttons."""
    root.mkdir()
    mini = {"title": "launch", "author": "test", "only_build_toc_files": True,
            "execute": {"execute_notebooks": "off"}, "repository": config["repository"],
            "html": {k: v for k, v in config["html"].items() if k.startswith("use_")},
            "launch_buttons": config["launch_buttons"]}
    (root / "_config.yml").write_text(yaml.safe_dump(mini), encoding="utf-8")
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/page\n", encoding="utf-8")
    (root / "book").mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A page"),
                                         nbformat.v4.new_code_cell("1 + 1")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "book" / "page.ipynb")
    jb = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run([str(jb), "build", str(root), "-n", "-W", "--path-output", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return (out / "_build" / "html" / "book" / "page.html").read_text(encoding="utf-8")


def test_buttons_are_on_the_page_only_when_the_url_is_set(book, tmp_path):
    assert run_script(GITHUB, root=book).returncode == 0
    html = build_one_page(tmp_path / "set", yaml.safe_load((book / "_config.yml").read_text()), tmp_path / "o1")
    links = set(re.findall(r'href="([^"]+)"', html))
    branch = yaml.safe_load((book / "_config.yml").read_text())["repository"]["branch"]
    assert GITHUB in links
    assert any(link.startswith(f"{GITHUB}/issues/new") for link in links)
    assert f"https://mybinder.org/v2/gh/someone/policy-gradient-book/{branch}?urlpath=lab/tree/book/page.ipynb" in links
    assert f"https://colab.research.google.com/github/someone/policy-gradient-book/blob/{branch}/book/page.ipynb" in links

    assert run_script("", root=book).returncode == 0
    html = build_one_page(tmp_path / "unset", yaml.safe_load((book / "_config.yml").read_text()), tmp_path / "o2")
    links = set(re.findall(r'href="([^"]+)"', html))
    assert not [link for link in links if re.search(r"github|gitlab|bitbucket|binder|colab", link)], links
    for label in ("source-repository-button", "source-issues-button", "launch-buttons"):
        assert label not in html


# --- the Colab cell -----------------------------------------------------------------------------

def the_cell():
    cell, = colab_cells(nbformat.read(ROOT / "book" / "01_trajectories.ipynb", as_version=4))
    return cell.source


def forbid_subprocess(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"the Colab cell ran {args}")
    monkeypatch.setattr(subprocess, "run", refuse)


def test_colab_cell_is_silent_and_inert_off_colab(monkeypatch, capfd):
    assert "google.colab" not in sys.modules
    forbid_subprocess(monkeypatch)
    namespace = {}
    exec(compile(the_cell(), "colab-install", "exec"), namespace)
    assert set(namespace) - {"__builtins__"} == {"sys"}
    assert capfd.readouterr() == ("", "")


@pytest.fixture
def on_colab(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.chdir(tmp_path)              # Colab's working directory (/content)
    return tmp_path


def test_colab_cell_without_a_url_says_what_to_do(on_colab, monkeypatch):
    forbid_subprocess(monkeypatch)
    source = SET_REPOSITORY.cell_source("", "main")
    with pytest.raises(RuntimeError, match=r"names no repository.*Set REPOSITORY above.*set_repository\.py URL"):
        exec(compile(source, "colab-install", "exec"), {})


def test_colab_cell_clones_the_repository_and_installs_pglib_from_it(on_colab, monkeypatch):
    # The "remote": a git repository on disk with a pglib package, on a branch of its own.
    origin = on_colab / "remote" / "policy-book"
    (origin / "pglib").mkdir(parents=True)
    (origin / "pglib" / "__init__.py").write_text("ORIGIN = True\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"]
    for args in (["init", "-q"], ["checkout", "-q", "-b", "course"], ["add", "."], ["commit", "-q", "-m", "x"]):
        subprocess.run(git + args, cwd=origin, check=True)
    url = origin.as_uri()
    work = on_colab / "content"
    work.mkdir()
    monkeypatch.chdir(work)
    real_run, pip_calls = subprocess.run, []

    def run(cmd, **kwargs):
        if cmd[0] == "git":
            return real_run(cmd, **kwargs)
        pip_calls.append(cmd)                 # never install into the test's own venv
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(subprocess, "run", run)
    source = SET_REPOSITORY.cell_source(url, "course")
    exec(compile(source, "colab-install", "exec"), {})
    clone = work / "policy-book"
    assert (clone / "pglib" / "__init__.py").read_text() == "ORIGIN = True\n"
    head = real_run(["git", "rev-parse", "--abbrev-ref", "HEAD"], cwd=clone, capture_output=True, text=True)
    assert head.stdout.strip() == "course"
    assert pip_calls == [[sys.executable, "-m", "pip", "install", "--quiet", "--editable", str(clone)]]
    assert sys.path[0] == str(clone)
    # Run again (after a restart): no second clone, the same install.
    (clone / "marker").write_text("kept")
    exec(compile(source, "colab-install", "exec"), {})
    assert (clone / "marker").exists() and len(pip_calls) == 2


def test_colab_cell_asks_for_a_restart_when_pip_upgraded_an_imported_library(on_colab, monkeypatch):
    stale = types.ModuleType("gymnasium")
    stale.__version__ = "0.0.1"               # what Colab had imported before pip upgraded it
    monkeypatch.setitem(sys.modules, "gymnasium", stale)
    (on_colab / "repo").mkdir()               # already cloned
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(cmd, 0))
    source = SET_REPOSITORY.cell_source("https://github.com/someone/repo", "main")
    with pytest.raises(RuntimeError, match=r"pip upgraded gymnasium.*Restart session"):
        exec(compile(source, "colab-install", "exec"), {})


# --- Binder --------------------------------------------------------------------------------------

def lock_entries():
    entries = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate():
                entries[canonicalize_name(req.name)] = next(iter(req.specifier)).version
    return entries


def binder_requirements():
    lines = [l.split("#", 1)[0].strip() for l in (BINDER / "requirements.txt").read_text().splitlines()]
    return [l for l in lines if l]


def test_binder_files_take_every_version_from_the_lock():
    lines = binder_requirements()
    assert lines[0] == "-c ../requirements.lock"
    top = set()
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            top.add(canonicalize_name(Requirement(line).name))
    lock = lock_entries()
    for line in lines[1:]:
        req = Requirement(line)
        assert not req.specifier and not req.url, f"binder/requirements.txt pins {line!r}: the lock decides"
        name = canonicalize_name(req.name)
        assert name in lock, f"{line} is not in requirements.lock"
        assert name in top | {"pip", "setuptools"}, f"{line} is not a requirement of requirements.txt"
    runtime = (BINDER / "runtime.txt").read_text().strip()
    header = re.search(r"on Python (\d+\.\d+)\.\d+", LOCK.read_text()).group(1)
    assert runtime == f"python-{header}", "binder/runtime.txt names the Python the lock was resolved on"
    for script in ("postBuild", "start"):
        text = (BINDER / script).read_text()
        assert text.startswith("#!/bin/bash\n") and os.access(BINDER / script, os.X_OK)
    assert (BINDER / "start").read_text().rstrip().endswith('exec "$@"')


PROBE = "import os, sys, pglib\nprint(sys.prefix)\nprint(pglib.__file__)\nprint(os.environ.get('PYTHONHASHSEED'))"

# Runs inside the fresh venv: every module the chapters import is there, then one chapter executes.
RUN_CHAPTER = r'''
import ast, importlib, importlib.util, json, pkgutil, sys
from pathlib import Path
import nbclient, nbformat
root, chapter, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
missing = {}
for path in sorted((root / "book").glob("[0-9]*.ipynb")):
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                if importlib.util.find_spec(name.split(".")[0]) is None:
                    missing.setdefault(name, path.name)
import pglib
for info in pkgutil.walk_packages(pglib.__path__, "pglib."):
    importlib.import_module(info.name)
nb = nbformat.read(chapter, as_version=4)
nb.cells.append(nbformat.v4.new_code_cell(sys.argv[4]))
nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                        resources={"metadata": {"path": str(chapter.parent)}}).execute()
colab = [c for c in nb.cells if c.get("id") == "colab-install"]
out.write_text(json.dumps({
    "missing": missing,
    "colab_outputs": [c.outputs for c in colab],
    "unexecuted": [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.execution_count is None],
    "probe": nb.cells[-1].outputs[0]["text"].split(),
}))
'''


def repo2docker_python():
    version = (BINDER / "runtime.txt").read_text().strip().removeprefix("python-")
    found = shutil.which(f"python{version}")
    if found is None and f"{sys.version_info[0]}.{sys.version_info[1]}" == version:
        found = getattr(sys, "_base_executable", sys.executable)
    assert found, f"binder/runtime.txt asks for Python {version}, which this machine does not have"
    return found


def test_binder_environment_runs_a_chapter():
    """pip install -r binder/requirements.txt, then binder/postBuild, in a fresh venv (as repo2docker
    does, from a copy of the repository), gives the locked versions and pglib, and chapter 1 runs."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    with tempfile.TemporaryDirectory(prefix="pglib-binder-") as tmp:
        tmp = Path(tmp)
        repo, venv = tmp / "repo", tmp / "venv"
        for name in filter(None, files):
            if (ROOT / name).is_file():
                (repo / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, repo / name)
        env = {k: v for k, v in os.environ.items()
               if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "MPLBACKEND", "PYTHONHASHSEED")}
        env["PATH"] = os.pathsep.join([str(venv / "bin")] + [p for p in env.get("PATH", "").split(os.pathsep)
                                                             if not p.startswith(str(ROOT))])
        env["VIRTUAL_ENV"] = str(venv)
        t0 = time.perf_counter()
        subprocess.run([repo2docker_python(), "-m", "venv", str(venv)], check=True)

        def run(*cmd):
            result = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True)
            assert result.returncode == 0, f"{cmd}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            return result.stdout

        # repo2docker: `${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir -r "binder/requirements.txt"`
        # from the repository root (here with pip's cache), then ./binder/postBuild.
        run(str(venv / "bin" / "pip"), "install", "--quiet", "-r", "binder/requirements.txt")
        run("./binder/postBuild")
        t_install = time.perf_counter() - t0
        run(str(venv / "bin" / "python"), "-m", "pip", "check")
        installed = {canonicalize_name(d["name"]): d for d in json.loads(
            run(str(venv / "bin" / "python"), "-m", "pip", "list", "--format=json", "-v"))}
        pglib = installed.pop("pglib")
        assert Path(pglib.get("editable_project_location", "")) == repo, pglib
        lock = lock_entries()
        wrong = {name: (d["version"], lock.get(name)) for name, d in installed.items() if lock.get(name) != d["version"]}
        assert not wrong, f"installed (version, locked version) outside the lock: {wrong}"

        (tmp / "run_chapter.py").write_text(RUN_CHAPTER)
        t0 = time.perf_counter()
        run("./binder/start", str(venv / "bin" / "python"), str(tmp / "run_chapter.py"), str(repo),
            str(repo / "book" / "01_trajectories.ipynb"), str(tmp / "result.json"), PROBE)
        t_run = time.perf_counter() - t0
        result = json.loads((tmp / "result.json").read_text())
        print(f"binder environment: {len(installed) + 1} distributions installed in {t_install:.0f} s; "
              f"chapter 1 executed in {t_run:.0f} s")
    assert result["missing"] == {}, f"chapters import modules that binder/requirements.txt does not install: {result['missing']}"
    assert result["colab_outputs"] == [[]], "the Colab cell runs, silently, off Colab"
    assert result["unexecuted"] == []
    prefix, pglib_file, hashseed = result["probe"]
    assert Path(prefix) == venv and Path(pglib_file) == repo / "pglib" / "__init__.py"
    assert hashseed == "0", "binder/start sets the environment of `make lab`"
