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


def release(assignment=None, *, course_dir=None, release_dir=None, db_url=None):
    """Generate the student version of one or all assignments from ``solutions/``.

    Runs ``nbgrader generate_assignment``: solutions become ``# YOUR CODE HERE`` stubs, hidden
    tests are removed, outputs cleared and cell checksums recorded in the gradebook.

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

    Returns
    -------
    list of pathlib.Path
        The generated assignment folders.
    """
    course = _course_dir(course_dir)
    names = list_assignments(course) if assignment is None else [assignment]
    for name in names:
        _check_assignment(name, course)
    target_root = Path(release_dir).resolve() if release_dir else course / "exercises"
    written = []
    for name in names:
        args = ["generate_assignment", name, "--force"]
        args.append(f"--CourseDirectory.release_directory={target_root}")
        nbgrader_command(args, course_dir=course, db_url=db_url)
        folder = target_root / name
        for junk in folder.rglob(".ipynb_checkpoints"):
            shutil.rmtree(junk)
        written.append(folder)
    return written
