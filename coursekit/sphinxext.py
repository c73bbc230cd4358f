"""A small Sphinx extension for the book (listed in ``_config.yml``, ``extra_extensions``).

It writes the assignment pages (``book/assignments/``, from the student release in
``exercises/``) before Sphinx looks for its sources, so that a plain ``jupyter-book build``
has them as well as ``coursekit book``; and it removes script tags that Sphinx would write
twice: jupyter-book 1.0 ends up registering sphinx-thebe's inline configuration twice, which
declares ``const THEBE_JS_URL`` twice and is a JavaScript error on every page.

It also puts the language switcher in every page's header: a link to the same page in each
other edition of the book (English at the site root, a translation under ``<language>/``), and
lets a translated paragraph paste the values its chapter glued (see :func:`_glue_in_translations`).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["language_links", "setup"]


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


_TEMPLATES = Path(__file__).with_name("sphinx_templates")


_STATIC = Path(__file__).with_name("sphinx_static")


def _add_language_switcher(app, config):
    config.templates_path = [*config.templates_path, str(_TEMPLATES)]
    config.html_static_path = [*config.html_static_path, str(_STATIC)]
    app.add_css_file("coursekit.css")
    options = dict(config.html_theme_options or {})
    header = options.get("article_header_end") or ["article-header-buttons.html"]
    if isinstance(header, str):
        header = [part.strip() for part in header.split(",")]
    if "language-switcher.html" not in header:
        options["article_header_end"] = ["language-switcher.html", *header]
    config.html_theme_options = options


def language_links(pagename, language):
    """The switcher's entries for ``pagename`` in the edition of ``language``.

    Returns
    -------
    list of tuple
        ``(code, name, href, current)`` for every edition, ``href`` relative to the page.
    """
    from .i18n import LANGUAGES, SOURCE_LANGUAGE

    language = language or SOURCE_LANGUAGE
    up = "../" * pagename.count("/")
    root = up if language == SOURCE_LANGUAGE else up + "../"  # the English site's root
    links = []
    for code, name in LANGUAGES.items():
        edition = "" if code == SOURCE_LANGUAGE else f"{code}/"
        links.append((code, name, f"{root}{edition}{pagename}.html", code == language))
    return links


def _language_context(app, pagename, templatename, context, doctree):
    context["coursekit_languages"] = language_links(pagename, app.config.language)


def _images_for_gettext(app, config):
    """Let the gettext builder see executed figures as the HTML builder does.

    myst-nb picks an output's MIME type per builder and knows none for ``gettext``, so the
    figures of code cells (and their ``mystnb.image.alt`` text) never reached the catalogs.
    """
    from myst_nb.core.render import base_render_priority

    html = base_render_priority()["html"]
    overrides = list(config.nb_mime_priority_overrides or [])
    overrides += [("gettext", mime, priority) for mime, priority in html.items()]
    config.nb_mime_priority_overrides = overrides


def _translated_image_alt(app, doctree, docname):
    """Translate the alt text of executed figures (a translated edition only).

    Sphinx translates a document while reading it, before myst-nb turns a code cell's output
    into an image; so the alt text of those images is looked up here, once they exist, in the
    page's own catalog.
    """
    from docutils import nodes

    catalog = _page_catalog(app, docname)
    if catalog is None:
        return
    for image in doctree.findall(nodes.image):
        alt = image.get("alt")
        if alt:
            image["alt"] = catalog.gettext(alt)


class _KeptRenderer:
    """The notebook renderer of the page being read, kept for its translated paragraphs."""

    docname = None
    renderer = None


class _Attributes(dict):
    """A document's attributes that keep the notebook renderer myst-nb drops after parsing."""

    def pop(self, key, *default):
        value = super().pop(key, *default)
        if key == "nb_renderer":
            _KeptRenderer.renderer = value
        return value


def _glue_in_translations(app, config):
    """Parse the book's pages with a myst-nb parser whose translations can paste glued values.

    Sphinx translates a page while reading it: each translated paragraph is parsed on its
    own, as plain MyST, after myst-nb has parsed the notebook and dropped the renderer that
    holds the glued values; so every ``{glue:text}`` role of a translation found nothing.
    This parser keeps the page's renderer until the page's translations have been parsed.
    """
    from myst_nb.sphinx_ import Parser

    class CourseParser(Parser):
        def parse(self, inputstring, document):
            env = document.settings.env
            if document.current_source.endswith("<translated>"):
                if _KeptRenderer.docname == env.docname and _KeptRenderer.renderer:
                    document.attributes["nb_renderer"] = _KeptRenderer.renderer
                try:
                    return super().parse(inputstring, document)
                finally:
                    document.attributes.pop("nb_renderer", None)
            _KeptRenderer.docname, _KeptRenderer.renderer = env.docname, None
            document.attributes = _Attributes(document.attributes)
            return super().parse(inputstring, document)

    app.add_source_parser(CourseParser, override=True)


def _translate_toctree_captions(app, doctree):
    """Translate the captions of the toctrees sphinx-external-toc inserts (a translation only).

    The captions (``Part I: ...``) are in the catalogs, but the toctrees are inserted after
    Sphinx has translated the page, so the sidebar of a translated edition kept them in English.
    This runs on ``doctree-read``, before the sidebar's table of contents is collected.
    """
    from sphinx import addnodes

    catalog = _page_catalog(app, app.env.docname)
    if catalog is None:
        return
    for toctree in doctree.findall(addnodes.toctree):
        if toctree.get("caption"):
            toctree["caption"] = catalog.gettext(toctree["caption"])


def _page_catalog(app, docname):
    """The translation of ``docname``'s own catalog, or None for the source language."""
    from sphinx.locale import init as init_locale
    from sphinx.util.i18n import docname_to_domain

    from .i18n import SOURCE_LANGUAGE

    config = app.config
    if not config.language or config.language == SOURCE_LANGUAGE:
        return None
    domain = docname_to_domain(docname, config.gettext_compact)
    folders = [str(Path(app.srcdir, folder)) for folder in config.locale_dirs]
    catalog, found = init_locale(folders, config.language, domain)
    return catalog if found else None


def _write_assignment_pages(app, config):
    from .book import write_assignment_pages

    write_assignment_pages(app.srcdir)


def setup(app):
    """Register the extension with Sphinx."""
    app.connect("config-inited", _write_assignment_pages, priority=100)
    app.connect("config-inited", _add_language_switcher, priority=100)
    app.connect("config-inited", _images_for_gettext, priority=100)
    app.connect("config-inited", _glue_in_translations, priority=100)
    app.connect("doctree-resolved", _translated_image_alt)
    app.connect("doctree-read", _translate_toctree_captions, priority=100)
    app.connect("html-page-context", _language_context)
    app.connect("html-page-context", _deduplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
