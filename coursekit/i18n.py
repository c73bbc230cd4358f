"""The course in more than one language: message catalogs and the checks that keep them whole.

English is the source language. Every other language lives in gettext catalogs (``.po``
files) that translators edit with Poedit, Weblate or a text editor:

* ``locales/<language>/LC_MESSAGES/book/**/*.po``: the book, one catalog per page, extracted by
  Sphinx's ``gettext`` builder and kept in step with ``coursekit book --update-catalogs``
  (sphinx-intl); the assignment pages' catalogs also translate the assignment notebooks.

The checks here are what the build and the tests ask of a translation: every entry translated
and none fuzzy (:func:`catalog_problems`), each glossary term rendered with the glossary's own
translation wherever the English uses it (:func:`terminology_problems`), and no paragraph left
in English (:func:`english_leftovers`).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from .course import REPO_ROOT

__all__ = [
    "LANGUAGES",
    "LOCALES",
    "SOURCE_LANGUAGE",
    "catalog_problems",
    "english_leftovers",
    "glossary_terms",
    "read_catalogs",
    "reads_as_english",
    "terminology_problems",
]

LANGUAGES = {"en": "English", "hu": "Magyar"}
SOURCE_LANGUAGE = "en"
LOCALES = Path("locales")
# A translator marks an entry that stays in English on purpose (a quotation, a title, a
# command's output) with this translator comment: "# keep-english".
KEEP_ENGLISH = "keep-english"


def _check_language(language):
    if language not in LANGUAGES or language == SOURCE_LANGUAGE:
        others = sorted(set(LANGUAGES) - {SOURCE_LANGUAGE})
        raise ValueError(
            f"language must be one of the translations {others}, got {language!r}; "
            "a new language needs an entry in coursekit.i18n.LANGUAGES and catalogs under "
            "locales/<language>/LC_MESSAGES/."
        )


def read_catalogs(language, root=REPO_ROOT, part="book"):
    """Read the catalogs of ``language`` under ``locales/<language>/LC_MESSAGES/<part>``.

    Returns
    -------
    dict
        ``{path relative to root: babel Catalog}``, sorted by path.
    """
    from babel.messages.pofile import read_po

    _check_language(language)
    folder = Path(root) / LOCALES / language / "LC_MESSAGES" / part
    catalogs = {}
    for po in sorted(folder.rglob("*.po")):
        with po.open("rb") as handle:
            catalogs[str(po.relative_to(root))] = read_po(handle)
    return catalogs


def _messages(catalog):
    return [message for message in catalog if message.id]


def catalog_problems(language, root=REPO_ROOT):
    """The entries of ``language``'s book catalogs that are untranslated or fuzzy.

    Returns
    -------
    list of str
        One line per problem, ``path: what: msgid`` (empty when the edition is complete).
    """
    catalogs = read_catalogs(language, root)
    if not catalogs:
        return [f"{LOCALES / language}: no catalogs (run `coursekit book --update-catalogs`)"]
    problems = []
    for where, catalog in catalogs.items():
        for message in _messages(catalog):
            first = str(message.id)[:70].replace("\n", " ")
            if message.fuzzy:
                problems.append(f"{where}: fuzzy: {first!r}")
            elif not message.string:
                problems.append(f"{where}: untranslated: {first!r}")
    return problems


_GLOSSARY_ENTRY = re.compile(r"^(\S[^\n]*)\n  \*\*HU:\*\* \*([^*]+)\*", re.M)


def glossary_terms(root=REPO_ROOT):
    """The glossary's terms and their Hungarian renderings, from ``book/glossary.md``.

    Returns
    -------
    dict
        ``{English term: [Hungarian forms]}``; the forms are the comma-separated renderings
        and what the glossary gives in parentheses, e.g. ``"padding": ["kitöltés", "padding"]``.
    """
    text = (Path(root) / "book" / "glossary.md").read_text(encoding="utf-8")
    terms = {}
    for term, rendering in _GLOSSARY_ENTRY.findall(text):
        forms = []
        for part in re.split(r",|\(|\)", rendering):
            part = part.strip(' "')
            if part:
                forms.append(part)
        terms[term.strip()] = forms
    return terms


# Words whose English use in the book is wider than the glossary sense (program code, an
# operating-system kernel, the bias of a data set or of a neuron): not checked.
_AMBIGUOUS_TERMS = {"code", "bias", "kernel", "feature", "label", "channel", "weight", "parameter"}
_CODE = re.compile(
    r"`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|\{[a-z:-]+\}|<[^>]*>|\]\([^)]*\)|https?://\S+", re.S
)


def _prose(text):
    """``text`` without inline code, math, role names, link targets and URLs."""
    return _CODE.sub(" ", text)


def _stem(word):
    # Hungarian adds suffixes (and lengthens a final a/e): compare all but the last letter.
    return word[: max(3, len(word) - 1)].lower()


def _renders(text, form):
    lowered = text.lower()
    return all(_stem(word) in lowered for word in form.split())


def terminology_problems(language, root=REPO_ROOT):
    """Entries where a glossary term is not rendered with one of the glossary's translations.

    For every entry whose English (outside code and math) uses a glossary term, the
    translation must contain one of the glossary's Hungarian forms of that term (or the
    English term itself, where the glossary keeps it, e.g. *dropout*), inflected as Hungarian
    inflects it.

    Returns
    -------
    list of str
        ``path: term: msgid`` for each entry that renders a term another way.
    """
    terms = {
        term: forms
        for term, forms in glossary_terms(root).items()
        if term.lower() not in _AMBIGUOUS_TERMS
    }
    patterns = {
        term: re.compile(rf"(?<![\w-]){re.escape(term)}(?:s|es)?(?![\w-])", re.I) for term in terms
    }
    problems = []
    for where, catalog in read_catalogs(language, root).items():
        for message in _messages(catalog):
            if not message.string or KEEP_ENGLISH in " ".join(message.user_comments):
                continue
            source = _prose(str(message.id))
            target = str(message.string)
            for term, pattern in patterns.items():
                if not pattern.search(source):
                    continue
                # A longer glossary term that contains this one is checked on its own.
                if any(
                    other != term
                    and term.lower() in other.lower()
                    and patterns[other].search(source)
                    for other in terms
                ):
                    continue
                if not any(_renders(target, form) for form in [*terms[term], term]):
                    first = str(message.id)[:60].replace("\n", " ")
                    problems.append(f"{where}: {term!r} should be one of {terms[term]}: {first!r}")
    return problems


_ENGLISH_WORDS = {
    "the",
    "and",
    "of",
    "with",
    "that",
    "this",
    "which",
    "from",
    "for",
    "you",
    "your",
    "are",
    "was",
    "were",
    "when",
    "where",
    "into",
    "than",
    "then",
    "each",
    "every",
    "its",
    "their",
}


def reads_as_english(text, *, at_least=3):
    """Whether ``text`` (Markdown) reads as English prose.

    It does when its prose (without code, math and links) has ``at_least`` English function
    words ("the", "and", "of", "with", ...), which Hungarian text does not have.

    Examples
    --------
    >>> reads_as_english("The weights of the network and `np.exp`")
    True
    >>> reads_as_english("A háló súlyai és az `np.exp` (the exponential)")
    False
    """
    words = re.findall(r"[^\W\d_]+", _prose(text))
    return sum(word.lower() in _ENGLISH_WORDS for word in words) >= at_least


def english_leftovers(language, root=REPO_ROOT, *, at_least=3, part="book"):
    """Translated entries that still read as English prose (:func:`reads_as_english`).

    Entries marked ``# keep-english`` are skipped.

    Returns
    -------
    list of str
        ``path: msgstr`` for each entry left in English.
    """
    problems = []
    for where, catalog in read_catalogs(language, root, part=part).items():
        for message in _messages(catalog):
            if not message.string or KEEP_ENGLISH in " ".join(message.user_comments):
                continue
            if reads_as_english(str(message.string), at_least=at_least):
                first = str(message.string)[:70].replace("\n", " ")
                problems.append(f"{where}: {first!r}")
    return problems


def _main(argv=None):
    """``python -m coursekit.i18n LANGUAGE [PO ...]``: print every problem of the catalogs."""
    import sys

    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments:
        print("usage: python -m coursekit.i18n LANGUAGE [catalog.po ...]")
        return 2
    language, only = arguments[0], {str(Path(path)) for path in arguments[1:]}
    problems = [
        *catalog_problems(language),
        *terminology_problems(language),
        *english_leftovers(language),
    ]
    if only:
        problems = [line for line in problems if line.split(":", 1)[0] in only]
    print("\n".join(problems) if problems else "no problems")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(_main())


# -- the messages students see: coursekit.grading's checks and the test cells' hints ----------
# One catalog per language, coursekit/locales/<language>/LC_MESSAGES/coursekit.po (shipped in
# the package, so the grader and the students' kernels have it). Its entries are the message
# templates of coursekit.grading and feedback (``translate("{name} is wrong", name=...)``) and
# the literal hints, names and descriptions that the assignments' test cells pass to them
# (extracted by :func:`update_message_catalogs`). English needs no catalog.
MESSAGES = Path(__file__).with_name("locales")
LANGUAGE_ENV = "COURSEKIT_LANGUAGE"
_language = None
_catalogs = {}


def set_language(language):
    """Choose the language of the messages students see (this process).

    ``None`` goes back to ``$COURSEKIT_LANGUAGE`` (default English). The grader sets it from
    ``c.CourseKit.language`` in the course's ``nbgrader_config.py``; a hub sets
    ``COURSEKIT_LANGUAGE`` in the students' environment for their own test runs.
    """
    global _language
    if language is not None and language not in LANGUAGES:
        raise ValueError(
            f"language must be one of {sorted(LANGUAGES)}, got {language!r}; set "
            "c.CourseKit.language in nbgrader_config.py (or COURSEKIT_LANGUAGE) to one of them."
        )
    _language = language


def language():
    """The language of the messages students see in this process."""
    import os

    chosen = _language or os.environ.get(LANGUAGE_ENV) or SOURCE_LANGUAGE
    return chosen if chosen in LANGUAGES else SOURCE_LANGUAGE


def _message_catalog(code):
    if code not in _catalogs:
        path = MESSAGES / code / "LC_MESSAGES" / "coursekit.po"
        table = {}
        if path.is_file():
            from babel.messages.pofile import read_po

            with path.open("rb") as handle:
                for message in read_po(handle):
                    if message.id and message.string and not message.fuzzy:
                        table[str(message.id)] = str(message.string)
        _catalogs[code] = table
    return _catalogs[code]


def translate(text, /, **values):
    """``text`` in the current :func:`language`, then ``str.format(**values)``.

    ``text`` is the English message (or template); it is its own translation when the
    catalog has none, so English never needs a catalog.

    Examples
    --------
    >>> translate("{name} is wrong", name="tlu_predict(x)")
    'tlu_predict(x) is wrong'
    """
    if text is None:
        return None
    code = language()
    if code != SOURCE_LANGUAGE:
        text = _message_catalog(code).get(text, text)
    return text.format(**values) if values else text


def configured_language(config):
    """``c.CourseKit.language`` of an nbgrader configuration (``None`` when not set)."""
    try:
        value = config.get("CourseKit", {}).get("language")
    except AttributeError:
        return None
    return value if isinstance(value, str) and value else None


# -- extracting the catalogs of the notebooks and of the messages -----------------------------
_CHECKS = {"check_array", "check_equal", "check_raises", "hidden", "numpy_only"}


def _constant(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_prose(text):
    """Whether a name or hint has words to translate (not only code such as ``f(x, 2)``).

    Examples
    --------
    >>> [_is_prose(t) for t in ["sigmoid(z)", "f(X, w, b)", "the shape of w", "LeNet-5's maps"]]
    [False, False, True, True]
    """
    if re.search(r"[A-Za-z]{3,} [A-Za-z]{2,}", text):  # e.g. "mean_iou with num_classes=2.5"
        return True
    stripped = text
    for pattern in (r"'[^']*'", r'"[^"]*"', r"\([^()]*\)", r"\([^()]*\)"):
        stripped = re.sub(pattern, " ", stripped)
    words = re.findall(r"(?<![\w.])[A-Za-z]{2,}(?![\w(.])", stripped)
    return len(words) >= 2


def message_templates(root=REPO_ROOT):
    """The English messages students can see, in the order they first appear.

    The literal first arguments of ``translate(...)`` (imported as ``_t``) in coursekit's
    modules, and the literal ``hint=``/``name=`` arguments and ``hidden("...")`` descriptions
    in the test cells of the assignments (``solutions/``).
    """
    found = {}
    package = Path(__file__).parent
    for module in sorted([*package.glob("*.py"), *package.glob("grader/*.py")]):
        where = f"coursekit/{module.relative_to(package)}"
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in {"_t", "translate"}:
                text = _constant(node.args[0]) if node.args else None
                if text:
                    found.setdefault(text, where)
            elif isinstance(node, ast.FunctionDef) and module.name == "grading.py":
                # the default names of the checks ("the result", "your code")
                for argument, default in zip(
                    node.args.kwonlyargs, node.args.kw_defaults, strict=True
                ):
                    text = _constant(default) if default is not None else None
                    if argument.arg in {"name", "description"} and text:
                        found.setdefault(text, where)
    for notebook in sorted(Path(root).glob("solutions/*/*.ipynb")):
        import json

        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] != "code" or not meta.get("grade") or meta.get("solution"):
                continue
            source = "".join(cell["source"])
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name not in _CHECKS:
                    continue
                texts = [_constant(k.value) for k in node.keywords if k.arg in {"hint", "name"}]
                if name == "hidden" and node.args:
                    texts.append(_constant(node.args[0]))
                for text in texts:
                    if text and _is_prose(text):
                        found.setdefault(text, str(notebook.relative_to(root)))
    return found


def _update_catalog(path, template, language):
    """Merge ``template`` (a babel Catalog) into the catalog at ``path`` as sphinx-intl does."""
    from sphinx_intl.catalog import dump_po, load_po

    if path.is_file():
        catalog = load_po(str(path))
        catalog.update(template)
    else:
        from babel.messages.catalog import Catalog

        catalog = Catalog(locale=language, project="Deep Learning in Practice")
        for message in template:
            if message.id:
                catalog.add(message.id, locations=message.locations)
    path.parent.mkdir(parents=True, exist_ok=True)
    dump_po(str(path), catalog)
    return catalog


def _markdown_parser():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    return MarkdownIt("commonmark").enable("table").use(dollarmath_plugin)


def markdown_messages(text):
    """The translatable pieces of a Markdown text: the raw source of each heading, paragraph,
    list item and table cell (as Sphinx's gettext builder cuts them), display math excluded.

    Examples
    --------
    >>> markdown_messages("# Title\\n\\nOne line\\nand another.\\n\\n- an item\\n\\n$$x^2$$")
    ['Title', 'One line\\nand another.', 'an item']
    """
    return [
        token.content
        for token in _markdown_parser().parse(text)
        if token.type == "inline" and re.search(r"[A-Za-z]", token.content)
    ]


def translate_markdown(text, table):
    """``text`` with each piece of :func:`markdown_messages` replaced by ``table[piece]``.

    Continuation lines keep the indentation (or ``>`` quoting) they have in ``text``.

    Raises
    ------
    KeyError
        Naming the first piece that ``table`` does not translate.
    """
    position, out = 0, []
    for piece in markdown_messages(text):
        if piece not in table:
            raise KeyError(piece)
        lines = piece.split("\n")
        pattern = re.compile(r"\n([ \t>]*)".join(re.escape(line) for line in lines))
        found = pattern.search(text, position)
        if found is None:  # (markdown-it normalised something: leave the piece as it is)
            continue
        indent = found.group(1) if len(lines) > 1 else ""
        translated = ("\n" + indent).join(table[piece].split("\n"))
        out += [text[position : found.start()], translated]
        position = found.end()
    out.append(text[position:])
    return "".join(out)


def _notebook_markdown(notebook):
    import json

    cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    return [
        "".join(cell["source"])
        for cell in cells
        if cell["cell_type"] == "markdown"
        and not cell.get("metadata", {}).get("nbgrader", {}).get("solution")
    ]


def update_message_catalogs(root=REPO_ROOT, languages=None):
    """Update the notebooks' and the messages' catalogs of every translation.

    * ``locales/<lang>/LC_MESSAGES/notebooks/<assignment>.po``: the Markdown cells of each
      assignment notebook (an entry the book's assignment page already translates starts
      with that translation);
    * ``coursekit/locales/<lang>/LC_MESSAGES/coursekit.po``: :func:`message_templates`.
    """
    from babel.messages.catalog import Catalog

    languages = languages or [code for code in LANGUAGES if code != SOURCE_LANGUAGE]
    for language in languages:
        book = {}
        for catalog in read_catalogs(language, root, part="book/assignments").values():
            book.update({m.id: m.string for m in _messages(catalog) if m.string and not m.fuzzy})
        for notebook in sorted(Path(root).glob("solutions/*/*.ipynb")):
            template = Catalog(locale=language)
            for markdown in _notebook_markdown(notebook):
                for piece in markdown_messages(markdown):
                    template.add(piece, locations=[(str(notebook.relative_to(root)), 0)])
            path = (
                Path(root)
                / LOCALES
                / language
                / "LC_MESSAGES"
                / "notebooks"
                / f"{notebook.stem}.po"
            )
            catalog = _update_catalog(path, template, language)
            changed = False
            for message in _messages(catalog):
                if not message.string and message.id in book:
                    message.string, changed = book[message.id], True
            if changed:
                from sphinx_intl.catalog import dump_po

                dump_po(str(path), catalog)
        template = Catalog(locale=language)
        for text, where in message_templates(root).items():
            template.add(text, locations=[(where, 0)])
        _update_catalog(MESSAGES / language / "LC_MESSAGES" / "coursekit.po", template, language)


def translate_notebook(notebook, language, root=REPO_ROOT):
    """A copy of ``notebook`` (an nbformat node) with its Markdown cells in ``language``.

    Code cells, metadata and outputs are untouched, so a translated notebook grades exactly
    as the English one.

    Raises
    ------
    ValueError
        When the notebook's catalog lacks a translation (naming the first missing piece and
        the catalog to complete).
    """
    import copy

    _check_language(language)
    name = notebook.metadata.get("coursekit", {}).get("name") or ""
    catalogs = read_catalogs(language, root, part="notebooks")
    table = {}
    for catalog in catalogs.values():
        table.update({m.id: m.string for m in _messages(catalog) if m.string and not m.fuzzy})
    translated = copy.deepcopy(notebook)
    for cell in translated.cells:
        if cell.cell_type != "markdown" or cell.metadata.get("nbgrader", {}).get("solution"):
            continue
        try:
            cell.source = translate_markdown(cell.source, table)
        except KeyError as missing:
            raise ValueError(
                f"The {LANGUAGES[language]} catalogs under {LOCALES / language}/LC_MESSAGES/"
                f"notebooks have no translation of {str(missing.args[0])[:80]!r} {name}. "
                "Run `coursekit release --update-catalogs`, translate the new entries and "
                "release again."
            ) from None
    translated.metadata.setdefault("coursekit", {})["language"] = language
    return translated
