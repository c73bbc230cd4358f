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


def english_leftovers(language, root=REPO_ROOT, *, at_least=3):
    """Translated entries that still read as English prose.

    An entry counts as English when its prose (without code, math and links) has
    ``at_least`` English function words ("the", "and", "of", "with", ...), which Hungarian
    text does not have. Entries marked ``# keep-english`` are skipped.

    Returns
    -------
    list of str
        ``path: msgstr`` for each entry left in English.
    """
    problems = []
    for where, catalog in read_catalogs(language, root).items():
        for message in _messages(catalog):
            if not message.string or KEEP_ENGLISH in " ".join(message.user_comments):
                continue
            words = re.findall(r"[A-Za-z]+", _prose(str(message.string)))
            english = sum(word.lower() in _ENGLISH_WORDS for word in words)
            if english >= at_least:
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
