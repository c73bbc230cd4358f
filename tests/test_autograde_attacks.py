"""The attack suite: submissions that try to cheat or break autograding, on a01_perceptron.

Every attack in ``tests/attacks`` is graded by ``coursekit autograde`` (student code in the
sandbox, tests in the grader) in one batch (the ones that must be killed, in a second batch
with short limits) and must get exactly the outcome written down for it: the score its code
deserves, the status and reason, the review flags, what its own cells found. The controls
(reference, untouched, wrong-but-well-formed) are graded beside them, so the batch is seen to
go on. Then: no process an attack started outlives grading, nothing is left in /dev/shm,
feedback is generated for everyone and shows no hidden-test line, re-grading is idempotent
and keeps manual scores, and the reference scores the same again.
"""

import json
import shutil
from pathlib import Path

import pytest
from attacks import ASSIGNMENT, ATTACKS, write_submissions

from coursekit import course
from coursekit.grader import engine as autograde
from coursekit.grader import feedback

pytestmark = pytest.mark.slow

BY_NAME = {attack.name: attack for attack in ATTACKS}
CONTROLS = ("reference", "blank", "wrong")


def _course(folder):
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(course.REPO_ROOT / "nbgrader_config.py", folder)
    shutil.copytree(course.REPO_ROOT / "solutions" / ASSIGNMENT, folder / "solutions" / ASSIGNMENT)
    return folder


@pytest.fixture(scope="module")
def attack_run(tmp_path_factory):
    course_dir = _course(tmp_path_factory.mktemp("attack_course"))
    write_submissions(course_dir, ATTACKS)
    shutil.copytree(
        course_dir / "submitted" / "reference", course_dir / "submitted" / "reference_beside"
    )
    first = [a.name for a in ATTACKS if a.batch == 1]
    second = [a.name for a in ATTACKS if a.batch == 2] + ["reference_beside"]
    results, isolation = autograde.autograde(
        ASSIGNMENT,
        course_dir=course_dir,
        students=first,
        jobs=2,
        timeout=600,
        memory=3 * 1024**3,
        cell_timeout=30,  # XOR training takes seconds; more than 10 on a busy machine
    )
    killed, _ = autograde.autograde(
        ASSIGNMENT,
        course_dir=course_dir,
        students=second,
        jobs=2,
        timeout=90,  # (the reference beside needs about 20 s; 60 on a loaded machine)
        memory=2 * 1024**3,
        cell_timeout=30,
    )
    by_student = {r.student: r for r in results + killed}
    return course_dir, by_student, isolation


def _expected_score(expect, results):
    score = expect.get("score")
    if isinstance(score, str):
        control = results[score.removeprefix("<=")].score
        return control, score.startswith("<=")
    return score, False


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_attack_gets_exactly_what_its_code_deserves(attack_run, attack):
    course_dir, results, _ = attack_run
    result = results[attack.name]
    expect = dict(attack.expect)
    summary = f"{attack.name} ({attack.description}): {result}"
    if "status" in expect:
        assert result.status == expect["status"], summary
    expected, at_most = _expected_score(expect, results)
    if expected is not None:
        if at_most:
            assert result.score <= expected, summary
        else:
            assert result.score == expected, summary
    for text in expect.get("flags", []):
        assert any(text in flag for flag in result.flags), f"no flag with {text!r}: {summary}"
    if expect.get("reason"):
        assert expect["reason"] in result.reason, summary
    if expect.get("no_flags"):
        assert not result.flags, summary
    if attack.category != "control":
        assert result.score <= results["reference"].score
    assert result.max_score == 36.0
    notebooks = course_dir / "autograded" / attack.name / ASSIGNMENT
    text = "".join(p.read_text() for p in notebooks.glob("*.ipynb")) if notebooks.is_dir() else ""
    for shown in expect.get("output", []):
        assert shown in text, f"{attack.name}: its output lacks {shown!r}"
    for hidden_text in expect.get("absent", []):
        assert hidden_text not in text, f"{attack.name}: {hidden_text!r} reached the notebook"


def test_no_process_outlives_grading_and_no_shared_memory_is_left(attack_run):
    import psutil

    sleepers = [
        p.info
        for p in psutil.process_iter(["pid", "cmdline"])
        if (p.info.get("cmdline") or [None])[-1] in ("4242", "4243")
    ]
    assert not sleepers, sleepers
    assert not list(Path("/dev/shm").glob("coursekit-attack*"))


def test_hidden_tests_never_reach_the_student_process(attack_run):
    """No file or output the student side produced holds a line of a hidden test."""
    from coursekit.grader.feedback import hidden_test_lines

    course_dir, results, _ = attack_run
    source = course_dir / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    cells = json.loads(source.read_text())["cells"]
    lines = hidden_test_lines("".join(cell["source"]) for cell in cells)
    for name in results:
        notebook = course_dir / "autograded" / name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        if not notebook.is_file():
            continue
        for cell in json.loads(notebook.read_text())["cells"]:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
                continue  # the test cells themselves (the grader's, restored by nbgrader)
            shown = json.dumps(cell.get("outputs", []))
            leaked = [line for line in lines if len(line) >= 20 and line in shown]
            assert not leaked, f"{name}: a student cell's output shows {leaked[0]!r}"


def test_controls_and_the_rest_of_the_batch(attack_run):
    _, results, _ = attack_run
    assert results["reference"].score == 36.0
    assert results["reference_beside"].score == 36.0  # graded next to the killed ones
    assert results["blank"].score == 0.0
    assert 0.0 < results["wrong"].score < 36.0, "the 'wrong' control should earn some points"
    assert set(results) == {a.name for a in ATTACKS} | {"reference_beside"}


def test_gradebook_marks_flagged_and_failed_submissions(attack_run):
    from nbgrader.api import Gradebook

    course_dir, results, _ = attack_run
    url = f"sqlite:///{course_dir / 'gradebook.db'}"
    with Gradebook(url, "deep-learning-in-practice") as gradebook:
        for name, result in results.items():
            submission = gradebook.find_submission(ASSIGNMENT, name)
            flagged = any(notebook.flagged for notebook in submission.notebooks)
            assert flagged == result.flagged, name
            if result.status != "graded":
                assert all(g.needs_manual_grade for n in submission.notebooks for g in n.grades)
            assert submission.score == result.score


def test_feedback_never_shows_hidden_tests(attack_run):
    course_dir, results, _ = attack_run
    done = feedback.generate_feedback(ASSIGNMENT, course_dir=course_dir)
    assert not done["leaks"], done["leaks"]
    written = {path.parts[-3] for path in done["files"] if path.suffix == ".html"}
    graded = {name for name, r in results.items() if r.status == "graded"}
    assert graded <= written | set(done["missing"])
    assert not done["failed"], done["failed"]  # the feedback breaker broke nobody's
    text = course_dir / "feedback" / "read_hidden_tests" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    page = text.read_text()
    assert "refused" in page  # the reads failed, and the student sees that they did
    assert "BEGIN HIDDEN TESTS" not in page
    breaker = course_dir / "feedback" / "feedback_breaker" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    assert "HIDDEN-TESTS (as typed)" in breaker.read_text()


def test_regrading_is_idempotent_and_keeps_manual_scores(attack_run):
    import sqlalchemy
    from nbgrader.api import Gradebook

    course_dir, results, _ = attack_run
    url = f"sqlite:///{course_dir / 'gradebook.db'}"
    with Gradebook(url, "deep-learning-in-practice") as gradebook:
        grade = gradebook.find_grade("step_values", ASSIGNMENT, ASSIGNMENT, "blank")
        grade.manual_score = 1.0  # the instructor overrides one test by hand
        gradebook.db.commit()
        before = gradebook.db.execute(sqlalchemy.text("select count(*) from grade")).scalar()
    again, _ = autograde.autograde(
        ASSIGNMENT, course_dir=course_dir, students=["blank", "reference"], jobs=2
    )
    by_student = {r.student: r for r in again}
    assert by_student["reference"].tests == results["reference"].tests  # same run to run
    assert by_student["reference"].score == 36.0
    assert by_student["blank"].score == 1.0  # the manual score stands
    with Gradebook(url, "deep-learning-in-practice") as gradebook:
        after = gradebook.db.execute(sqlalchemy.text("select count(*) from grade")).scalar()
        assert after == before, "re-grading added grade rows"
        assert len(gradebook.find_assignment(ASSIGNMENT).submissions) == len(results)
        grade = gradebook.find_grade("step_values", ASSIGNMENT, ASSIGNMENT, "blank")
        assert grade.manual_score == 1.0 and grade.auto_score == 0.0


# -- the same classes of attack on a training assignment (a02) and a NumPy-only one (a07) -----

IN_PROCESS_TRICKS = """
# every in-process trick at once: rebind the helpers, patch NumPy and Keras, fake the data the
# visible tests use, take over the grading interface
import numpy
import coursekit.grader.student as _bridge
check_array = check_equal = check_raises = lambda *args, **kwargs: None
numpy.isclose = lambda a, b, **k: numpy.ones(numpy.broadcast(a, b).shape, dtype=bool)
numpy.allclose = numpy.array_equal = lambda *a, **k: True
_real = _bridge.handle
_bridge.handle = lambda namespace, path: _real(namespace, path)
"""

REACH_OUT = """
import glob, os, subprocess
subprocess.Popen(["sleep", "4244"], start_new_session=True)
found = []
for top in ("/tmp", "/home", "/root", "/srv", "/work", "/var", "/opt", "/mnt"):
    found += glob.glob(f"{top}/**/solutions", recursive=True)
print("FOUND", sorted(found)[:5])
"""


def _with_cell(path, source):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    index = next(
        i
        for i, cell in enumerate(nb.cells)
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "setup"
    )
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell(source))
    return nb


@pytest.mark.parametrize("assignment", ["a02_mlp", "a07_clustering"])
def test_attacks_on_a_training_and_a_numpy_only_assignment(tmp_path, assignment):
    """Untouched + every in-process trick earns what untouched earns (0); the reference that
    reaches for files and processes earns full marks, finds nothing and leaves nothing."""
    import nbformat
    import psutil

    root = course.REPO_ROOT
    course_dir = tmp_path / "course"
    course_dir.mkdir()
    shutil.copy(root / "nbgrader_config.py", course_dir)
    shutil.copytree(root / "solutions" / assignment, course_dir / "solutions" / assignment)
    notebook = f"{assignment}.ipynb"
    for student, origin, source in (
        ("tricks", root / "exercises" / assignment / notebook, IN_PROCESS_TRICKS),
        ("reacher", root / "solutions" / assignment / notebook, REACH_OUT),
    ):
        folder = course_dir / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(_with_cell(origin, source), folder / notebook)
    results, isolation = autograde.autograde(assignment, course_dir=course_dir, jobs=2)
    by_student = {r.student: r for r in results}
    assert isolation["sandbox"] == "bwrap"
    assert by_student["tricks"].score == 0.0, by_student["tricks"]
    reacher = by_student["reacher"]
    assert reacher.score == reacher.max_score and reacher.status == "graded", reacher
    graded = course_dir / "autograded" / "reacher" / assignment / notebook
    assert "FOUND []" in graded.read_text()
    leftovers = [p for p in psutil.process_iter(["cmdline"]) if "4244" in (p.info["cmdline"] or [])]
    assert not leftovers
