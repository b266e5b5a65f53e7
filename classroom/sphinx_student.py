"""Sphinx extension for the student edition (``make book-student`` adds it to the student config only).

With ``hide_solutions`` on, it

* replaces the teacher's guide (``book/teachers-guide``: rubrics, hidden-test policy)
  by a one-paragraph page, on the page and in its ``_sources`` download;
* makes every chapter's download button serve the **release** notebook of the
  classroom edition (no solution code, answer stubs) instead of the authors'
  notebook: sphinx-book-theme links the ``.ipynb`` button to
  ``_sources/<docname>.ipynb``, the copy of the page's source that Sphinx writes,
  and this extension overwrites that copy when the build has finished;
* removes the launch buttons (Binder, Colab), which would open the authors'
  notebooks from the repository.

The release notebooks are read from ``$CLASSROOM_COURSE/release`` (default
``_build/course``), written by ``python -m classroom.make_source``; a chapter
listed in its ``exercises.json`` without a release fails the build.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from sphinx.util import logging

TEACHER_PAGES = ("book/teachers-guide",)
NOTICE = """# Teacher's guide

The teacher's guide (workflow, points, rubrics) is part of the web book, not of the
student edition.
"""


def _student(app):
    return bool(getattr(app.config, "hide_solutions", False))


def _course(app):
    return Path(os.environ.get("CLASSROOM_COURSE", Path(app.srcdir) / "_build" / "course")).resolve()


def _source_read(app, docname, source):
    if _student(app) and docname in TEACHER_PAGES:
        source[0] = NOTICE


def _config_inited(app, config):
    if not _student(app):
        return
    options = dict(config.html_theme_options or {})
    options["launch_buttons"] = {}
    config.html_theme_options = options


def _build_finished(app, exception):
    if exception is not None or not _student(app) or app.builder.format != "html":
        return
    out = Path(app.outdir) / "_sources"
    for doc in TEACHER_PAGES:
        for copy in out.glob(f"{doc}.*"):
            copy.write_text(NOTICE, encoding="utf-8")
    course = _course(app)
    listing = course / "exercises.json"
    if not listing.exists():
        raise RuntimeError(f"{listing} not found: run `python -m classroom.make_source --course {course}` "
                           "before building the student edition")
    chapters = sorted({ex["chapter"] for ex in json.loads(listing.read_text(encoding="utf-8"))})
    replaced = 0
    for chapter in chapters:
        target = out / "book" / f"{chapter}.ipynb"
        if not target.exists():
            continue                     # not a page of this build's toc
        release = course / "release" / chapter / f"{chapter}.ipynb"
        if not release.exists():
            raise RuntimeError(f"{release} not found: the student edition's download of {chapter} "
                               "must be its release notebook (run make assignments)")
        shutil.copyfile(release, target)
        replaced += 1
    logging.getLogger(__name__).info(f"classroom: {replaced} chapter downloads replaced by their release notebooks")


def setup(app):
    app.connect("config-inited", _config_inited)
    app.connect("source-read", _source_read)
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
