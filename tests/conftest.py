"""Shared fixtures: a throw-away copy of the course directory for nbgrader runs."""

import os
import shutil
import subprocess
import sys

import pytest

from coursekit import course

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def make_course_copy(destination):
    """Copy what nbgrader needs (config and solutions/) into ``destination``."""
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy(course.REPO_ROOT / "nbgrader_config.py", destination)
    shutil.copytree(course.REPO_ROOT / "solutions", destination / "solutions")
    return destination


@pytest.fixture(scope="session")
def course_copy(tmp_path_factory):
    """A course directory in a temporary folder, with its own SQLite gradebook."""
    return make_course_copy(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="session")
def built_book():
    """Build the book once per test session, as `make book` does; return the build log."""
    done = subprocess.run(
        [sys.executable, "-m", "coursekit", "book"], capture_output=True, text=True
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, f"book build failed:\n{log[-6000:]}"
    return log
