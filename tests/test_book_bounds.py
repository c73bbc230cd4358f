"""Every bound the book's prose puts on a measured (glued) value is checked by its code.

A glued number is rounded when it is rendered, so "at most {glue:text}`err:.0e`" can print
"at most 1e-06" next to a measured 1.3e-06. The convention (coursekit.book.check_glued_bounds):
a bound is a literal number that an ``assert`` (or the threshold of the count it describes)
in the chapter's code checks, and `coursekit book` refuses to build when one is not.
"""

import re
from pathlib import Path

import pytest

from coursekit import course
from coursekit.book import check_glued_bounds

CHAPTERS = sorted((course.REPO_ROOT / "book").glob("ch*.md"))

CELL = "```{code-cell} ipython3\n%s\n```\n"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_every_prose_bound_is_asserted(chapter: Path):
    assert check_glued_bounds(chapter.read_text(encoding="utf-8"), chapter.name) == []


@pytest.mark.parametrize(
    "prose",
    [
        # the glued value itself used as the bound: rounding can put it in place
        "Both agree to at most {glue:text}`gradient_check:.0e`.",
        "The two never differ by more than {glue:text}`largest:.1f` points.",
        "The three lie within\n{glue:text}`spread:.1f` points of each other.",
        "Each class gets at least {glue:text}`lowest:.1f` % probability.",
    ],
)
def test_a_glued_value_used_as_a_bound_fails(prose):
    chapter = prose + "\n\n" + CELL % 'glue("x", 1.3e-6, display=False)'
    problems = check_glued_bounds(chapter, "synthetic.md")
    assert len(problems) == 1 and "rounded glued value" in problems[0], problems


def test_a_literal_bound_without_an_assert_fails():
    chapter = (
        CELL % "worst = 1.3e-6\nglue('worst', worst, display=False)"
        + "\nThe differences stay below 1e-6 (largest: {glue:text}`worst:.1e`).\n"
    )
    problems = check_glued_bounds(chapter, "synthetic.md")
    assert len(problems) == 1 and "no assert" in problems[0] and "1e-6" in problems[0]


def test_a_broken_bound_with_a_wrong_assert_fails():
    # The assert checks another number than the prose states: still an error.
    chapter = (
        CELL % "worst = 1.3e-6\nassert worst < 1e-5\nglue('worst', worst, display=False)"
        + "\nThe differences stay below 1e-6 (largest: {glue:text}`worst:.1e`).\n"
    )
    assert check_glued_bounds(chapter, "synthetic.md")


@pytest.mark.parametrize(
    "code, prose",
    [
        ("assert worst < 1e-5, worst", "below $10^{-5}$ and below 1e-5 ({glue:text}`w:.1e`)"),
        ("assert max(d) < 1.5", "never differ by more than 1.5 points ({glue:text}`d:.2f`)"),
        # a multi-line assert
        ("assert (\n    spread\n    < 1\n)", "within 1 point of each other ({glue:text}`s:.2f`)"),
        # the prose describes the threshold of what the code counts, in per cent
        ("share = np.mean(recall >= 0.9)", "At least 90 % of the digits {glue:text}`good` do."),
        # a bound far from any glued value is not about a measurement
        ("x = 1", "Networks with more than 3 layers are deep.\n\nNo glue here."),
    ],
)
def test_checked_bounds_pass(code, prose):
    chapter = CELL % code + "\n" + prose + "\n"
    assert check_glued_bounds(chapter, "synthetic.md") == []


def test_the_build_refuses_a_chapter_with_a_broken_bound(tmp_path, capsys):
    from coursekit.book import build_book

    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "ch01_broken.md").write_text(
        "Agrees to at most {glue:text}`err:.0e`.\n", encoding="utf-8"
    )
    assert build_book(root=tmp_path) == 1
    assert "ch01_broken.md" in capsys.readouterr().out


@pytest.mark.parametrize(
    "page", sorted((course.REPO_ROOT / "book").glob("*.md")), ids=lambda path: path.stem
)
def test_no_prose_line_is_swallowed_by_markdown(page: Path):
    """Two MyST traps that silently drop or misplace prose (both once found in the book):
    a paragraph line that begins with ``%`` is a comment, and a directive option continued
    on an indented line ends up in the directive's body (a cut ``:alt:`` text and a stray
    caption line)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    problems, fence = [], None
    for number, line in enumerate(lines[1:-1], start=2):
        before, after = lines[number - 2], lines[number]
        if line.startswith(("```", "~~~", ":::")):
            fence = None if fence else line[:3]
        if fence in ("```", "~~~") and not before.startswith(":"):
            continue
        if line.startswith("%") and before.strip() and not before.startswith("%") and after.strip():
            problems.append(f"{page.name}:{number}: a comment line inside a paragraph: {line!r}")
        if re.match(r"^:\w+: ", before) and re.match(r"^  \S", line):
            problems.append(f"{page.name}:{number}: a directive option continued: {line!r}")
    assert not problems, "\n".join(problems)
