"""Every assignment has a page in the book, made from the student release only.

The pages are generated at build time (coursekit.book.write_assignment_pages) from
exercises/NAME/NAME.ipynb. They must never show a line of a reference solution or of a hidden
test: these tests compare every page with the BEGIN SOLUTION and BEGIN HIDDEN TESTS regions of
solutions/.
"""

import json
import re

import pytest
import yaml

from coursekit import course
from coursekit.book import ASSIGNMENT_PAGES, assignment_page

ROOT = course.REPO_ROOT
EXERCISES = sorted(nb for nb in (ROOT / "exercises").glob("*/*.ipynb") if nb.stem == nb.parent.name)
NAMES = [nb.stem for nb in EXERCISES]
REGIONS = re.compile(
    r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END (?:SOLUTION|HIDDEN TESTS)", re.S
)


def _cells(notebook):
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return [
        (cell, "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"])
        for cell in cells
    ]


def _secret_lines(name):
    """Lines of the solution and hidden-test regions that the student release does not have."""
    release = "\n".join(text for _, text in _cells(ROOT / "exercises" / name / f"{name}.ipynb"))
    public = {line.strip() for line in release.splitlines()}
    secrets = set()
    for _, text in _cells(ROOT / "solutions" / name / f"{name}.ipynb"):
        for _, region in REGIONS.findall(text):
            for line in region.splitlines():
                line = line.strip()
                # A whole statement, not a bare name such as "conv2d_multi(" of a call that
                # spans lines (the function's name is on the page, rightly).
                substantial = len(line) >= 12 and re.search(r"[\s=,]", line)
                # A call such as "mean_iou(y_true, y_pred, num_classes)," repeats the public
                # signature: text the release shows is no secret.
                shown = line.rstrip(",;:") in release
                if substantial and not line.startswith("#") and line not in public and not shown:
                    secrets.add(line)
    return secrets


def _leaks(page, name):
    return sorted(line for line in _secret_lines(name) if line in page)


@pytest.fixture(scope="module")
def pages():
    return {nb.stem: assignment_page(nb) for nb in EXERCISES}


def test_every_assignment_has_a_page_in_the_toc():
    assert NAMES, "no assignment in exercises/"
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    for name in NAMES:
        assert f"file: {ASSIGNMENT_PAGES.as_posix()}/{name}\n" in toc, name


@pytest.mark.parametrize("name", NAMES)
def test_page_shows_no_solution_and_no_hidden_test(pages, name):
    assert _secret_lines(name), f"{name}: no solution region found to compare with"
    assert _leaks(pages[name], name) == []


@pytest.mark.parametrize("name", NAMES)
def test_built_page_shows_no_solution_and_no_hidden_test(name):
    html = ROOT / "_build" / "html" / ASSIGNMENT_PAGES / f"{name}.html"
    if not html.is_file():
        pytest.skip("the book has not been built")
    text = html.read_text(encoding="utf-8")
    import html as html_module

    plain = html_module.unescape(re.sub(r"<[^>]+>", "", text))
    assert _leaks(plain, name) == []


def test_the_leak_check_finds_a_leak(pages):
    name = NAMES[0]
    secret = sorted(_secret_lines(name))[0]
    assert _leaks(pages[name] + "\n" + secret, name) == [secret]


@pytest.mark.parametrize("name", NAMES)
def test_page_lists_every_graded_cell_with_its_points(pages, name):
    page = pages[name]
    total = 0
    for cell, text in _cells(ROOT / "exercises" / name / f"{name}.ipynb"):
        meta = cell["metadata"].get("nbgrader", {})
        if not meta.get("grade"):
            continue
        total += meta["points"]
        row = re.search(
            rf"^\| [^|\n]* \| `{re.escape(meta['grade_id'])}`: ([^\n]*) \| (\S+) \|$", page, re.M
        )
        assert row, f"{name}: {meta['grade_id']} is missing"
        assert float(row.group(2)) == meta["points"]
        if row.group(1) == "hidden tests":
            body = re.sub(r'^\s*""".*?"""', "", text, count=1, flags=re.S)
            assert not body.strip(), f"{name}: {meta['grade_id']} has visible code"
    assert f"**{total:g}**" in page


@pytest.mark.parametrize("name", NAMES)
def test_page_opens_and_downloads_the_student_notebook(pages, name):
    page = pages[name]
    assert "solutions/" not in page
    student = f"exercises/{name}/{name}.ipynb"
    assert f"<../../{student}>" in page  # the download link
    for service in ("mybinder.org", "colab.research.google.com"):
        links = re.findall(rf"button-link\}} (https://{re.escape(service)}\S+)", page)
        assert links and all(link.endswith(student) for link in links), service
    assert re.search(rf"button-link\}} \S+/hub/user-redirect/lab/tree/{name}/{name}.ipynb", page)


def test_a_page_is_never_made_from_solutions():
    with pytest.raises(ValueError, match="student release"):
        assignment_page(ROOT / "solutions" / NAMES[0] / f"{NAMES[0]}.ipynb")


def test_hidden_test_cells_show_only_their_points(tmp_path):
    notebook = tmp_path / "exercises" / "a99_demo" / "a99_demo.ipynb"
    notebook.parent.mkdir(parents=True)
    hidden = '"""Hidden tests: the secret inputs."""\n'
    visible = '"""demo: one worked example."""\nassert 1 + 1 == 2\n'
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# Assignment 99: Demo\n\nHello."},
        {
            "cell_type": "code",
            "metadata": {"nbgrader": {"grade": True, "grade_id": "shown", "points": 2}},
            "source": visible,
        },
        {
            "cell_type": "code",
            "metadata": {"nbgrader": {"grade": True, "grade_id": "secret", "points": 3}},
            "source": hidden,
        },
    ]
    notebook.write_text(json.dumps({"cells": cells}), encoding="utf-8")
    launch = {"jupyterhub_url": "https://hub.example", "org_repo": "", "branch": "main"}
    page = assignment_page(notebook, launch=launch, root=tmp_path)
    assert "| `secret`: hidden tests | 3 |" in page
    assert "the secret inputs" not in page
    assert "`shown`: visible test, demo: one worked example." in page
    assert "3 of the points come from hidden tests | **5**" in page


def _chapter_links():
    links = {}
    for chapter in sorted((ROOT / "book").glob("ch*.md")):
        links[chapter.stem] = set(re.findall(r"<assignment-(a\d\d_\w+)>`", chapter.read_text()))
    return links


def test_every_numbered_chapter_links_its_assignment_or_says_there_is_none():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    numbered = [
        chapter["file"].rsplit("/", 1)[-1]
        for part in toc["parts"]
        if part.get("numbered")
        for chapter in part["chapters"]
        if "/ch" in chapter["file"]
    ]
    links = _chapter_links()
    for stem in numbered:
        text = (ROOT / "book" / f"{stem}.md").read_text(encoding="utf-8")
        assert re.search(r"^## Assignments?$", text, re.M), f"{stem} has no Assignment section"
        assert links[stem] or "has no assignment" in text, f"{stem} links no assignment page"
        assert links[stem] <= set(NAMES), f"{stem} links an unknown assignment"


def test_chapters_an_assignment_builds_on_link_back_to_it():
    links = _chapter_links()
    for name in NAMES:
        intro = _cells(ROOT / "exercises" / name / f"{name}.ipynb")[0][1]
        for chapter in re.findall(r"\.\./\.\./book/(ch\d\d_\w+)\.md", intro):
            assert name in links[chapter], f"{chapter} does not link {name}, which builds on it"
