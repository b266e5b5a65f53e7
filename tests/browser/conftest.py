"""Keep the browser test out of pglib's test run.

`pytest tests` (pglib's tests) deselects everything under tests/browser; the
browser test runs only when this folder (or a file in it) is named on the
command line, as `make test` does after building the book:
`.venv/bin/pytest tests/browser`.
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent


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
