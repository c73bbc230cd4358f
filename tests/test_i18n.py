"""The Hungarian edition: complete catalogs, one rendering per term, no English left, both
editions built with a switcher between them, Hungarian assignments that grade as English ones.

The catalog checks read the ``.po`` files only (fast); the page checks use the book that
``make book`` built (the session's ``built_book`` fixture, as tests/test_book.py).
"""

import json
import re
import shutil

import nbformat
import pytest
from babel.messages.pofile import read_po

from coursekit import course, i18n
from coursekit.grader import engine
from coursekit.grader.feedback import generate_feedback
from coursekit.sphinxext import language_links

ROOT = course.REPO_ROOT
HTML = ROOT / "_build" / "html"
CATALOGS = sorted((ROOT / "locales" / "hu" / "LC_MESSAGES").rglob("*.po")) + [
    i18n.MESSAGES / "hu" / "LC_MESSAGES" / "coursekit.po"
]


# -- the catalogs -------------------------------------------------------------------------------
@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_entry_is_translated_and_none_is_fuzzy(po):
    with po.open("rb") as handle:
        catalog = read_po(handle)
    missing = [m.id for m in catalog if m.id and (m.fuzzy or not m.string)]
    assert not missing, f"{len(missing)} untranslated or fuzzy entries, e.g. {missing[:3]}"


def test_every_book_page_has_a_catalog():
    pages = {p.stem for p in (ROOT / "book").glob("*.md")}
    catalogs = {p.stem for p in (ROOT / "locales" / "hu" / "LC_MESSAGES" / "book").glob("*.po")}
    assert pages <= catalogs, f"pages without a Hungarian catalog: {sorted(pages - catalogs)}"


def test_each_glossary_term_is_rendered_as_the_glossary_says():
    problems = i18n.terminology_problems("hu")
    assert not problems, "\n".join(problems[:30])


def test_no_translated_entry_is_left_in_english():
    problems = i18n.english_leftovers("hu") + i18n.english_leftovers("hu", part="notebooks")
    assert not problems, "\n".join(problems[:30])


def _markup(text):
    """Inline code, math, link targets and role targets (a role's shown title may change)."""
    roles = re.findall(r"\{([\w:-]+)\}`([^`]*)`", text)
    target = re.compile(r"(?s).*<(.*)>$")
    # (a translation may use a glued value's translated twin, NAME_hu, computed beside it)
    targets = sorted(
        role + ":" + re.sub(r"_hu\b", "", target.sub(r"\1", body)) for role, body in roles
    )
    plain = re.sub(r"\{[\w:-]+\}`[^`]*`", " ", text)
    code = sorted(re.findall(r"`[^`]*`", plain))
    math = sorted(re.findall(r"\$[^$]+\$", plain))
    links = sorted(re.findall(r"\]\(([^)]*)\)", text))
    return code, math, links, targets


@pytest.mark.parametrize("po", CATALOGS[:-1], ids=lambda p: str(p.relative_to(ROOT)))
def test_translations_keep_code_math_links_and_glossary_targets(po):
    with po.open("rb") as handle:
        catalog = read_po(handle)
    broken = [
        m.id[:70] for m in catalog if m.id and m.string and _markup(m.id) != _markup(m.string)
    ]
    assert not broken, f"markup differs from the English in: {broken[:5]}"


def test_message_templates_keep_their_placeholders():
    with (i18n.MESSAGES / "hu" / "LC_MESSAGES" / "coursekit.po").open("rb") as handle:
        catalog = read_po(handle)
    fields = re.compile(r"\{[^{}]*\}")
    broken = [
        m.id
        for m in catalog
        if m.id and sorted(fields.findall(m.id)) != sorted(fields.findall(m.string))
    ]
    assert not broken, f"placeholders differ in: {broken[:5]}"


def test_catalogs_are_in_step_with_the_english_sources(tmp_path):
    """Every message of the notebooks and of the checks has an entry (nothing new untranslated)."""
    templates = i18n.message_templates()
    with (i18n.MESSAGES / "hu" / "LC_MESSAGES" / "coursekit.po").open("rb") as handle:
        known = {m.id for m in read_po(handle)}
    assert set(templates) <= known, sorted(set(templates) - known)[:5]
    for notebook in sorted((ROOT / "exercises").glob("*/*.ipynb")):
        i18n.translate_notebook(nbformat.read(notebook, as_version=4), "hu")  # raises if not


# -- Markdown pieces ---------------------------------------------------------------------------
def test_markdown_pieces_round_trip_on_every_notebook():
    """Replacing every piece by itself gives the cell back: each piece is found in place."""
    for notebook in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        for cell in nbformat.read(notebook, as_version=4).cells:
            if cell.cell_type == "markdown":
                pieces = i18n.markdown_messages(cell.source)
                marked = i18n.translate_markdown(cell.source, {p: f"<<{p}>>" for p in pieces})
                assert marked.count("<<") == len(pieces), (notebook.name, cell.source[:80])
                assert i18n.translate_markdown(cell.source, {p: p for p in pieces}) == cell.source


def test_translate_markdown_keeps_list_indentation():
    text = "- first line\n  continues here\n- second\n"
    table = {"first line\ncontinues here": "első sor\nfolytatás", "second": "második"}
    assert i18n.translate_markdown(text, table) == "- első sor\n  folytatás\n- második\n"


def test_translate_notebook_names_a_missing_piece():
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("A sentence no catalog has.")]
    )
    with pytest.raises(ValueError, match="A sentence no catalog has"):
        i18n.translate_notebook(notebook, "hu")


def test_unknown_language_is_refused_with_the_choices():
    with pytest.raises(ValueError, match=r"got 'de'.*coursekit.i18n.LANGUAGES"):
        i18n.read_catalogs("de")
    with pytest.raises(ValueError, match="got 'xx'"):
        i18n.set_language("xx")


def test_messages_follow_the_chosen_language():
    from coursekit.grading import CheckFailed, check_array

    try:
        i18n.set_language("hu")
        with pytest.raises(CheckFailed) as failed:
            check_array([1.0, 2.0], [1.0, 2.0, 3.0], name="sigmoid(z)")
        hungarian = failed.value.message
    finally:
        i18n.set_language(None)
    with pytest.raises(CheckFailed) as failed:
        check_array([1.0, 2.0], [1.0, 2.0, 3.0], name="sigmoid(z)")
    english = failed.value.message
    assert "wrong shape" in english and "wrong shape" not in hungarian
    assert "(3,)" in hungarian and "(2,)" in hungarian and "sigmoid(z)" in hungarian


# -- the Hungarian release grades as the English one -----------------------------------------
@pytest.mark.slow
def test_hungarian_release_grades_exactly_as_the_english_one(tmp_path):
    """`coursekit release --language hu`: Markdown in Hungarian, the same code cells; the
    reference gets full marks, the untouched release zero, a half-done one the English
    score; the feedback speaks Hungarian."""
    name = "a01_perceptron"
    scores = {}
    for language in ("en", "hu"):
        folder = tmp_path / language
        folder.mkdir()
        config = (ROOT / "nbgrader_config.py").read_text()
        (folder / "nbgrader_config.py").write_text(
            config + f'\nc.CourseKit.language = "{language}"\n'
        )
        shutil.copytree(ROOT / "solutions" / name, folder / "solutions" / name)
        assert course.course_language(folder) == language
        [released] = course.release(name, course_dir=folder, release_dir=folder / "exercises")
        blank = nbformat.read(released / f"{name}.ipynb", as_version=4)
        reference = nbformat.read(folder / "solutions" / name / f"{name}.ipynb", as_version=4)
        if language == "hu":
            english = nbformat.read(ROOT / "exercises" / name / f"{name}.ipynb", as_version=4)
            code = [c.source for c in blank.cells if c.cell_type == "code"]
            assert code == [c.source for c in english.cells if c.cell_type == "code"]
            text = "\n".join(c.source for c in blank.cells if c.cell_type == "markdown")
            assert "Feladat" in text or "feladat" in text
            english = [
                c.source
                for c in blank.cells
                if c.cell_type == "markdown" and i18n.reads_as_english(c.source)
            ]
            assert not english, english[:2]
            reference = i18n.translate_notebook(reference, "hu")
        half = nbformat.read(released / f"{name}.ipynb", as_version=4)
        solved = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in reference.cells}
        solutions = [c for c in half.cells if c.metadata.get("nbgrader", {}).get("solution")]
        for cell in solutions[: len(solutions) // 2]:
            cell.source = solved[cell.metadata["nbgrader"]["grade_id"]]
        for student, notebook in {"ref": reference, "blank": blank, "half": half}.items():
            target = folder / "submitted" / student / name
            target.mkdir(parents=True)
            nbformat.write(notebook, target / f"{name}.ipynb")
        results, _ = engine.autograde(name, course_dir=folder, jobs=2)
        scores[language] = {r.student: (r.score, r.max_score, r.flagged) for r in results}
        generate_feedback(name, course_dir=folder)
        page = next((folder / "feedback" / "half" / name).glob("*.html")).read_text()
        heading = {"en": "Your results", "hu": "Az eredményed"}
        assert heading[language] in page, language
        assert heading["hu" if language == "en" else "en"] not in page, language
    assert scores["en"] == scores["hu"], scores
    ref, blank, half = scores["hu"]["ref"], scores["hu"]["blank"], scores["hu"]["half"]
    assert ref[0] == ref[1] and not ref[2]
    assert blank[0] == 0
    assert 0 < half[0] < half[1]


# -- the built editions ---------------------------------------------------------------------------
@pytest.mark.slow
def test_book_catalogs_hold_every_message_of_the_english_sources(built_book, tmp_path):
    """Extract the book's messages afresh (the gettext builder, on the English execution cache):
    a paragraph, heading or figure alt text written in English since the catalogs were last
    updated would otherwise show in English in the Hungarian edition."""
    from coursekit import book

    assert book._sphinx(ROOT, "gettext", tmp_path / "gettext", tmp_path / "doctrees") == 0
    templates = sorted((tmp_path / "gettext").rglob("*.pot"))
    assert templates, "the gettext build wrote no templates"
    missing = []
    for template in templates:
        relative = template.relative_to(tmp_path / "gettext").with_suffix(".po")
        with template.open("rb") as handle:
            wanted = {message.id for message in read_po(handle) if message.id}
        catalog = ROOT / "locales" / "hu" / "LC_MESSAGES" / relative
        known = set()
        if catalog.is_file():
            with catalog.open("rb") as handle:
                known = {message.id for message in read_po(handle)}
        missing += [f"{relative}: {text[:70]!r}" for text in sorted(wanted - known)]
    assert not missing, "run `coursekit book --update-catalogs` and translate:\n" + "\n".join(
        missing[:20]
    )


def _pages():
    return sorted(p for p in (HTML / "book").rglob("*.html"))


@pytest.mark.slow
def test_both_editions_are_built_with_a_switcher_to_the_same_page(built_book):
    english = _pages()
    assert english, "no English pages"
    for page in english:
        relative = page.relative_to(HTML)
        hungarian = HTML / "hu" / relative
        assert hungarian.is_file(), f"no Hungarian edition of {relative}"
        hu_text = hungarian.read_text(encoding="utf-8")
        en_text = page.read_text(encoding="utf-8")
        assert '<html lang="hu"' in hu_text and '<html lang="en"' in en_text
        pagename = str(relative.with_suffix(""))
        for text, language in ((en_text, "en"), (hu_text, "hu")):
            for _code, _, href, current in language_links(pagename, language):
                if not current:
                    assert f'href="{href}"' in text, (relative, language, href)
                    target = (page if language == "en" else hungarian).parent / href
                    assert target.resolve().is_file(), (relative, href)


@pytest.mark.slow
def test_hungarian_pages_paste_every_value_the_english_ones_glue(built_book):
    # A translated paragraph is parsed on its own; its {glue:text} roles must still find the
    # values the chapter glued (coursekit.sphinxext keeps the page's notebook renderer).
    glued = re.compile(r'class="[^"]*(?:pasted-text|text_plain)')
    for page in sorted((HTML / "book").glob("ch*.html")):
        hungarian = HTML / "hu" / page.relative_to(HTML)
        english_count = len(glued.findall(page.read_text(encoding="utf-8")))
        hungarian_count = len(glued.findall(hungarian.read_text(encoding="utf-8")))
        assert hungarian_count == english_count, (page.name, english_count, hungarian_count)


@pytest.mark.slow
def test_hungarian_sidebar_shows_the_parts_in_hungarian(built_book):
    # The part captions come from _toc.yml through sphinx-external-toc, which inserts them
    # after Sphinx translated the page (coursekit.sphinxext translates them afterwards).
    with (ROOT / "locales" / "hu" / "LC_MESSAGES" / "book" / "index.po").open("rb") as handle:
        captions = {m.id: m.string for m in read_po(handle) if m.id.startswith("Part ")}
    assert len(captions) == 4, captions
    for page in ("book/ch05_convolution.html", "book/guide_student.html"):
        html = (HTML / "hu" / page).read_text(encoding="utf-8")
        sidebar = html[html.find("bd-docs-nav") : html.find("</nav>", html.find("bd-docs-nav"))]
        for english, hungarian in captions.items():
            assert hungarian in sidebar and english not in sidebar, (page, english)


@pytest.mark.slow
def test_hungarian_search_index_stems_hungarian_words(built_book):
    index = (HTML / "hu" / "searchindex.js").read_text(encoding="utf-8")
    data = json.loads(index[index.index("(") + 1 : index.rindex(")")])
    terms = data["terms"]
    from snowballstemmer import stemmer

    hungarian = stemmer("hungarian")
    for word in ("konvolúciós", "túltanulást", "neuronháló"):
        assert hungarian.stemWord(word) in terms, word


@pytest.mark.slow
def test_no_hungarian_page_has_a_paragraph_left_in_english(built_book):
    english_words = re.compile(r"\b(the|and|of|with|that|this|which|from|are|your)\b")
    leftovers = []
    for page in sorted((HTML / "hu" / "book").rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        article = html[html.find('<article class="bd-article"') : html.find("</article>")]
        article = re.sub(r"<(pre|code|script|style|math)[^>]*>.*?</\1>", " ", article, flags=re.S)
        article = re.sub(r'<div class="cell_output.*?</div>\s*</div>', " ", article, flags=re.S)
        # The bibliography's entries, and the citations that point to them, keep the authors
        # and titles the works were published under.
        article = re.sub(r'<div class="citation".*?</div>', " ", article, flags=re.S)
        article = re.sub(r'<span class="bibtex-citation".*?</span>', " ", article, flags=re.S)
        for paragraph in re.findall(r"<p>(.*?)</p>", article, flags=re.S):
            text = re.sub(r"<[^>]+>", " ", paragraph)
            text = re.sub(r"\\\(.*?\\\)|\$.*?\$", " ", text)
            if len(english_words.findall(text.lower())) >= 3:
                leftovers.append(f"{page.relative_to(HTML)}: {' '.join(text.split())[:100]}")
    assert not leftovers, "\n".join(leftovers[:20])
