"""The book builds with every chapter executed, no cell error and no Sphinx warning.

This runs the same command as `make book` (`coursekit book`: jupyter-book with warnings as
errors), so it reuses the jupyter-cache in _build/ and an unchanged chapter is not run again.
"""

import re

import pytest
import yaml

from coursekit import course

pytestmark = pytest.mark.slow

HTML = course.REPO_ROOT / "_build" / "html"


def _toc_files():
    toc = yaml.safe_load((course.REPO_ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part.get("chapters", [])]
    return files


def test_build_has_no_warnings(built_book):
    # Sphinx's own warnings ("file:line: WARNING: ..."), not log lines of the kernels it runs.
    warnings = [line for line in built_book.splitlines() if re.search(r": (WARNING|ERROR):", line)]
    assert not warnings, "\n".join(warnings)


@pytest.mark.parametrize("page", _toc_files())
def test_every_page_is_rendered(built_book, page):
    html = HTML / f"{page}.html"
    assert html.is_file(), f"{page} was not rendered"
    text = html.read_text()
    assert "Traceback (most recent call last)" not in text


def test_chapters_show_executed_figures(built_book):
    for page in _toc_files():
        if not re.search(r"/ch\d\d_", page) or page.endswith("ch00_preface"):
            continue
        text = (HTML / f"{page}.html").read_text()
        images = re.findall(r'<img[^>]+src="([^"]+\.png)"', text)
        assert images, f"{page} shows no executed figure"
        for src in images:
            assert (HTML / page).parent.joinpath(src).resolve().is_file(), f"{page}: {src} missing"
