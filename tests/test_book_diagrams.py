"""Every numbered chapter draws at least one conceptual diagram with code, with alt text.

The diagrams come from coursekit.plots (draw_network, draw_tlu, draw_blocks,
draw_sliding_window, draw_channels, draw_flow), which make them readable in the book's light
and dark themes (tests/test_plots.py checks that).
"""

import re

import pytest
import yaml

from coursekit import course

ROOT = course.REPO_ROOT
CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```\s*$", re.M | re.S)


def _numbered_chapters():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [
        chapter["file"]
        for part in toc["parts"]
        if part.get("numbered")
        for chapter in part["chapters"]
    ]


@pytest.mark.parametrize("chapter", _numbered_chapters())
def test_chapter_draws_a_diagram_with_alt_text(chapter):
    text = (ROOT / f"{chapter}.md").read_text(encoding="utf-8")
    diagrams = [cell for cell in CELL.findall(text) if re.search(r"\bdraw_\w+\(", cell)]
    assert diagrams, f"{chapter} draws no diagram"
    for cell in diagrams:
        header = re.match(r"---\n(.*?)\n---\n", cell, re.S)
        assert header, f"{chapter}: a diagram cell has no figure metadata"
        meta = yaml.safe_load(header.group(1))["mystnb"]
        assert meta["image"]["alt"].strip(), f"{chapter}: a diagram has no alt text"
        assert meta["figure"]["caption"].strip() and meta["figure"]["name"]
