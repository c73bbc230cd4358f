"""The course directory and its nbgrader workflow: the assignments, their release, nbgrader.

The repository root is an nbgrader course directory: ``solutions/`` is nbgrader's source
directory (instructor version) and ``exercises/`` its release directory (student version,
generated, never edited by hand). Grading is :mod:`coursekit.grader`'s; chapter 0 explains
the workflow.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["GRADING_ENV", "REPO_ROOT", "list_assignments", "nbgrader_command", "release"]

REPO_ROOT = Path(__file__).resolve().parent.parent

# The environment every nbgrader run (and so every kernel it starts) gets: TensorFlow's C++
# start-up logging off, no GPU probing noise, deterministic CPU kernels, Agg plots.
GRADING_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "KERAS_BACKEND": "tensorflow",
    "MPLBACKEND": "Agg",
    "PYTHONHASHSEED": "0",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "COURSEKIT_GRADING": "1",
}


def _course_dir(course_dir):
    path = Path(REPO_ROOT if course_dir is None else course_dir).resolve()
    if not (path / "nbgrader_config.py").is_file():
        raise FileNotFoundError(
            f"{path} is not a course directory: it has no nbgrader_config.py. "
            "Run coursekit from the course repository or pass course_dir=."
        )
    return path


def list_assignments(course_dir=None):
    """Names of the assignments in ``solutions/``, sorted.

    Examples
    --------
    >>> "a01_perceptron" in list_assignments()
    True
    """
    source = _course_dir(course_dir) / "solutions"
    return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def _check_assignment(name, course_dir):
    known = list_assignments(course_dir)
    if name not in known:
        raise ValueError(f"Unknown assignment {name!r}. Known assignments: {', '.join(known)}.")


def nbgrader_command(args, *, course_dir=None, db_url=None, check=True, capture=True):
    """Run ``nbgrader ARGS`` in the course directory with the grading environment.

    Parameters
    ----------
    args : list of str
        The nbgrader sub-command and its arguments, e.g. ``["autograde", "a01_perceptron"]``.
    course_dir : path-like, optional
        The course directory (default: the repository root).
    db_url : str, optional
        Gradebook URL; overrides ``nbgrader_config.py`` (e.g. a temporary SQLite file).
    check : bool
        Raise ``RuntimeError`` with nbgrader's log when it exits non-zero.
    capture : bool
        Capture nbgrader's output instead of letting it print.

    Returns
    -------
    subprocess.CompletedProcess
    """
    course = _course_dir(course_dir)
    command = [sys.executable, "-m", "nbgrader", *args]
    if db_url is not None:
        command.append(f"--CourseDirectory.db_url={db_url}")
    env = {**os.environ, **GRADING_ENV}
    # nbgrader shells out to tools installed beside it (alembic), so its bin folder goes first.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    done = subprocess.run(command, cwd=course, env=env, capture_output=capture, text=True)
    if check and done.returncode != 0:
        log = (done.stdout or "") + (done.stderr or "")
        raise RuntimeError(
            f"nbgrader {' '.join(args)} failed with exit code {done.returncode}:\n{log[-4000:]}"
        )
    return done


def release(assignment=None, *, course_dir=None, release_dir=None, db_url=None, language=None):
    """Generate the student version of one or all assignments from ``solutions/``.

    Runs ``nbgrader generate_assignment``: solutions become ``# YOUR CODE HERE`` stubs, hidden
    tests are removed, outputs cleared and cell checksums recorded in the gradebook. In another
    language than English, the Markdown cells are then translated through the catalogs
    ``locales/<language>/LC_MESSAGES/notebooks/`` (:func:`coursekit.i18n.translate_notebook`);
    code cells stay as they are, so a translated release grades exactly as the English one.

    Parameters
    ----------
    assignment : str, optional
        One assignment name; all assignments when omitted.
    course_dir : path-like, optional
        The course directory (default: the repository root).
    release_dir : path-like, optional
        Where to write the student version (default: ``exercises/``). Tests use a temporary
        directory to compare with what is committed.
    db_url : str, optional
        Gradebook URL (default: the course's gradebook).
    language : str, optional
        ``"en"`` or ``"hu"`` (default: ``c.CourseKit.language`` of the course's
        ``nbgrader_config.py``, else English).

    Returns
    -------
    list of pathlib.Path
        The generated assignment folders.
    """
    import nbformat

    from . import i18n

    course = _course_dir(course_dir)
    names = list_assignments(course) if assignment is None else [assignment]
    for name in names:
        _check_assignment(name, course)
    language = language or course_language(course)
    if language not in i18n.LANGUAGES:
        raise ValueError(
            f"language must be one of {sorted(i18n.LANGUAGES)}, got {language!r}; "
            "choose it with --language or c.CourseKit.language in nbgrader_config.py."
        )
    target_root = Path(release_dir).resolve() if release_dir else course / "exercises"
    written = []
    for name in names:
        args = ["generate_assignment", name, "--force"]
        args.append(f"--CourseDirectory.release_directory={target_root}")
        nbgrader_command(args, course_dir=course, db_url=db_url)
        folder = target_root / name
        for junk in folder.rglob(".ipynb_checkpoints"):
            shutil.rmtree(junk)
        if language != i18n.SOURCE_LANGUAGE:
            for path in sorted(folder.glob("*.ipynb")):
                notebook = nbformat.read(path, as_version=4)
                nbformat.write(i18n.translate_notebook(notebook, language, root=REPO_ROOT), path)
        written.append(folder)
    return written


def course_language(course_dir=None):
    """``c.CourseKit.language`` of the course's ``nbgrader_config.py`` (default ``"en"``)."""
    from traitlets.config import PyFileConfigLoader

    from .i18n import SOURCE_LANGUAGE, configured_language

    folder = _course_dir(course_dir)
    try:
        config = PyFileConfigLoader("nbgrader_config.py", path=str(folder)).load_config()
    except Exception:  # noqa: BLE001  (no or unreadable configuration: the source language)
        return SOURCE_LANGUAGE
    return configured_language(config) or SOURCE_LANGUAGE
