"""Sphinx extension: drop duplicate inline <script> tags from every HTML page.

Why: with Sphinx 7.4, a body-only script (``app.add_js_file(None, body=...)``)
added after the builder is initialised is registered twice, once as filename
``None`` and once as ``''``, so the two copies do not compare equal and both are
written into the page. sphinx-thebe (loaded by Jupyter Book) adds
``const THEBE_JS_URL = ...`` that way, and the second copy throws
"Identifier 'THEBE_JS_URL' has already been declared" in every page's console.
This keeps the first of any identical scripts (same file or same body, same
attributes) and leaves everything else untouched.
"""

from __future__ import annotations


def _key(asset):
    filename = getattr(asset, "filename", asset) or ""
    attributes = getattr(asset, "attributes", {}) or {}
    return (str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items() if k != "priority")))


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    unique = []
    for asset in scripts:
        key = _key(asset)
        if key not in seen:
            seen.add(key)
            unique.append(asset)
    scripts[:] = unique


def setup(app):
    # Late priority: run after the themes and extensions have added their assets.
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
