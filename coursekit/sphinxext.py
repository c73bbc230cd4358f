"""A small Sphinx extension for the book (listed in ``_config.yml``, ``extra_extensions``).

It writes the assignment pages (``book/assignments/``, from the student release in
``exercises/``) before Sphinx looks for its sources, so that a plain ``jupyter-book build``
has them as well as ``coursekit book``; and it removes script tags that Sphinx would write
twice: jupyter-book 1.0 ends up registering sphinx-thebe's inline configuration twice, which
declares ``const THEBE_JS_URL`` twice and is a JavaScript error on every page.
"""

from __future__ import annotations

__all__ = ["setup"]


def _script_key(script):
    # An inline script is registered once with filename None and once with "" (same body).
    filename = getattr(script, "filename", script) or ""
    attributes = tuple(sorted((k, str(v)) for k, v in getattr(script, "attributes", {}).items()))
    return (str(filename), attributes)


def _deduplicate_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def _write_assignment_pages(app, config):
    from .book import write_assignment_pages

    write_assignment_pages(app.srcdir)


def setup(app):
    """Register the extension with Sphinx."""
    app.connect("config-inited", _write_assignment_pages, priority=100)
    app.connect("html-page-context", _deduplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
