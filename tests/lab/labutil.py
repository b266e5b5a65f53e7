"""What tests/lab shares: paths, Chromium's flags, the README's plain commands."""
from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
README = ROOT / "README.md"
BOOK = Path(os.environ.get("LAB_BOOK", ROOT / "book")).resolve()
CHROMIUM = "/usr/bin/chromium"
# The launch flags of tests/browser (headless Chromium in a container, no network).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECTION = "## Run the notebooks locally"


def readme_commands() -> list[str]:
    """The commands of the first ```bash block in the README's "Run the notebooks locally" section."""
    text = README.read_text(encoding="utf-8")
    assert SECTION in text, f"README.md has no section {SECTION!r}"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, f"no ```bash block in the README section {SECTION!r}"
    lines = [line.split(" #", 1)[0].strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line]


def lab_command() -> list[str]:
    """The README's JupyterLab start command (its last command), split into arguments."""
    return shlex.split(readme_commands()[-1])
