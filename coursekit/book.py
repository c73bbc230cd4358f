"""Building the book: jupyter-book with warnings as errors, cached execution, local MathJax.

``coursekit book`` (and so ``make book``) calls :func:`build_book`. Chapters are executed
through jupyter-cache (``_build/.jupyter_cache``), so an unchanged chapter is not run again.
MathJax is served from the book itself rather than a CDN, so the book renders its formulas
on a hub without internet access.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .course import GRADING_ENV, REPO_ROOT

__all__ = ["MATHJAX_VERSION", "build_book", "ensure_mathjax"]

MATHJAX_VERSION = "3.2.2"
# What the book needs of the MathJax package: the TeX-to-HTML bundle and what it loads lazily.
_MATHJAX_PARTS = ("tex-chtml.js", "input", "output/chtml", "output/chtml.js", "ui", "a11y", "sre")
_MATHJAX_STATIC = Path("_build") / "mathjax_static"  # named in _config.yml html_static_path


def ensure_mathjax(root=REPO_ROOT):
    """Install MathJax (from npm) into ``_build/mathjax_static/mathjax`` unless it is there.

    Returns
    -------
    pathlib.Path
        The folder holding ``tex-chtml.js``.
    """
    target = Path(root) / _MATHJAX_STATIC / "mathjax"
    stamp = target / f".version-{MATHJAX_VERSION}"
    if stamp.is_file():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "The book serves MathJax itself and installs it with npm, but npm was not found. "
            "Install Node.js and npm (Debian: `apt-get install npm`) and build again."
        )
    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                scratch,
                "--no-audit",
                "--no-fund",
                "--silent",
                f"mathjax@{MATHJAX_VERSION}",
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"npm could not install mathjax@{MATHJAX_VERSION}:\n{done.stderr}")
        source = Path(scratch) / "node_modules" / "mathjax" / "es5"
        if target.exists():
            shutil.rmtree(target)
        for part in _MATHJAX_PARTS:
            origin = source / part
            if origin.is_dir():
                shutil.copytree(origin, target / part)
            elif origin.is_file():
                (target / part).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, target / part)
    stamp.touch()
    return target


def build_book(*, rebuild_all=False, root=REPO_ROOT):
    """Build the book into ``_build/html`` and return jupyter-book's exit status.

    Parameters
    ----------
    rebuild_all : bool
        Rebuild every page (cached notebook outputs are still reused when unchanged).
    root : path-like
        The book's root folder (where ``_config.yml`` and ``_toc.yml`` are).
    """
    ensure_mathjax(root)
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book), "build", str(root), "--warningiserror", "--keep-going"]
    if rebuild_all:
        command.append("--all")
    env = {**os.environ, **GRADING_ENV, "COURSEKIT_GRADING": "0"}
    # Chapters show their figures through the notebook's inline backend; a non-interactive
    # MPLBACKEND (Agg, as grading and tests use) would leave figure cells without an image.
    env.pop("MPLBACKEND", None)
    env["PATH"] = os.pathsep.join([str(jupyter_book.parent), env.get("PATH", "")])
    return subprocess.run(command, env=env, cwd=root).returncode
