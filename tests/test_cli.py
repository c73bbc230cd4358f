"""The `coursekit` command line as a user runs it (a real subprocess)."""

import subprocess
import sys

import pytest


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "coursekit", *args], capture_output=True, text=True, timeout=300
    )


def test_help_lists_every_command():
    done = run_cli("--help")
    assert done.returncode == 0
    for command in ("data", "doctor", "release", "autograde", "book"):
        assert command in done.stdout


def test_data_lists_every_data_set():
    done = run_cli("data")
    assert done.returncode == 0, done.stderr
    for name in ("fashion_mnist", "digits", "faces", "photos", "fashion_scenes"):
        assert name in done.stdout
    assert "/usr/share/datasets/fashion-mnist" in done.stdout or "COURSEKIT" in done.stdout


def test_data_check_fashion_mnist():
    done = run_cli("data", "--check", "fashion_mnist")
    assert done.returncode == 0, done.stderr


def test_data_check_rejects_unknown_name():
    done = run_cli("data", "--check", "imagenet")
    assert done.returncode != 0
    assert "'imagenet'" in done.stdout + done.stderr


@pytest.mark.slow
def test_doctor_reports_versions_gpu_data_and_nbgrader():
    done = run_cli("doctor")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for expected in (
        "tensorflow",
        "keras",
        "nbgrader",
        "GPUs seen by TensorFlow",
        "fashion_mnist",
        "source directory",
        "solutions",
        "exercises",
        "a01_perceptron",
        "grading sandbox: ",
    ):
        assert expected in out, f"doctor output lacks {expected!r}:\n{out}"
    assert "absl::InitializeLog" not in done.stderr


def test_autograde_unknown_assignment_is_a_clear_error():
    done = run_cli("autograde", "a99_nothing")
    assert done.returncode == 2
    assert "Unknown assignment 'a99_nothing'" in done.stderr
    assert "a01_perceptron" in done.stderr
    assert "Traceback" not in done.stderr


def test_release_unknown_assignment_is_a_clear_error():
    done = run_cli("release", "a99_nothing")
    assert done.returncode == 2
    assert "Unknown assignment 'a99_nothing'" in done.stderr


def test_importing_coursekit_does_not_import_tensorflow():
    code = "import sys, coursekit; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["False", "False"], done.stdout + done.stderr


@pytest.mark.slow
def test_autograde_creates_a_new_gradebook_without_an_activated_venv(tmp_path):
    """`.venv/bin/coursekit autograde` in a plain shell: nbgrader's Gradebook runs `alembic`
    when it creates a gradebook, and the venv's bin folder is not on PATH there."""
    import os
    import shutil
    from pathlib import Path

    from conftest import make_course_copy

    root = make_course_copy(tmp_path / "course")
    assignment = "a01_perceptron"
    shutil.copytree(root / "solutions" / assignment, root / "submitted" / "ref" / assignment)
    bin_dir = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != bin_dir)
    code = (
        "from coursekit.grader import engine; "
        f"print([(r.score, r.max_score) for r in engine.autograde({assignment!r}, "
        f"course_dir={str(root)!r})[0]])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PATH": path},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "[(36.0, 36.0)]", done.stdout
