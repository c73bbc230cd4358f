"""The nbgrader pipeline end to end: release is up to date, and autograding is trustworthy.

For every assignment in solutions/, graded in one ``coursekit autograde`` batch each: the
committed student version equals a fresh release, the reference solution gets full marks
and no review flag, and the untouched exercise gets zero. A copy with one function broken
loses exactly that function's points, with a teaching message and no hidden-test code in
what the student sees. The feedback of every submission (a perturbed reference among them,
whose every test fails) shows scores and failure messages, never hidden-test code or the
expected values of hidden tests.
"""

import html
import json
import re
import shutil

import nbformat
import pytest
from perturb import perturbed_notebook

from coursekit import course
from coursekit.grader import engine as autograde
from coursekit.grader import feedback

pytestmark = pytest.mark.slow

ASSIGNMENTS = course.list_assignments()


def _notebooks(folder):
    return sorted(p.relative_to(folder) for p in folder.rglob("*.ipynb"))


def _normalised(path):
    """The notebook as JSON, minus what may legitimately differ between runs."""
    nb = json.loads(path.read_text())
    nb.get("metadata", {}).pop("widgets", None)
    return nb


@pytest.fixture(scope="module")
def released(course_copy, tmp_path_factory):
    target = tmp_path_factory.mktemp("release")
    course.release(course_dir=course_copy, release_dir=target)
    return target


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercises_are_up_to_date(released, assignment):
    committed = course.REPO_ROOT / "exercises" / assignment
    fresh = released / assignment
    assert committed.is_dir(), f"exercises/{assignment} is missing: run `make release`."
    assert _notebooks(committed) == _notebooks(fresh), (
        f"exercises/{assignment} has other notebooks than a fresh release: run `make release`."
    )
    for name in _notebooks(fresh):
        assert _normalised(committed / name) == _normalised(fresh / name), (
            f"exercises/{assignment}/{name} differs from a fresh release of solutions/: "
            "exercises/ is generated, never edited by hand. Run `make release` and commit."
        )


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_has_no_solutions_or_hidden_tests(released, assignment):
    for path in (released / assignment).rglob("*.ipynb"):
        text = path.read_text()
        for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert marker not in text, f"{path.name} still contains {marker!r}"
        nb = nbformat.read(path, as_version=4)
        assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")


def _break_function(source, function_name, wrong_body):
    """Make ``function_name`` in a solution cell return ``wrong_body`` (a realistic bug)."""
    pattern = re.compile(rf"def {function_name}\(.*?\):\n(?:[ \t]+\"\"\"[\s\S]*?\"\"\"\n)?")
    match = pattern.search(source)
    assert match, f"cannot find def {function_name} to break"
    return source[: match.end()] + f"    return {wrong_body}\n" + source[match.end() :]


# assignment -> (function, wrong return expression): one classic mistake per assignment.
BROKEN = {
    # relu without the clipping at zero; (sigmoid would also fail tanh, which is built on it)
    "a01_perceptron": ("relu", "np.abs(np.asarray(z, dtype=float))"),
    # cross-entropy summed over classes but divided by the number of entries, not samples
    "a02_mlp": ("categorical_crossentropy", "-np.mean(y_true * np.log(y_pred))"),
    # pooling that just subsamples the window's first element instead of taking its maximum
    "a03_convolution": ("pool2d", "np.asarray(x, dtype=float)[::size, ::size]"),
    # feature maps of the last requested layer only, instead of one output per layer
    "a04_cnn": (
        "feature_map_model",
        "keras.Model(inputs=model.inputs[0], outputs=[model.get_layer(layer_names[-1]).output])",
    ),
    # freeze_layers that forgets to freeze: returns the model unchanged
    "a05_transfer": ("freeze_layers", "model"),
    # mean IoU replaced by pixel accuracy (the background dominates it)
    "a06_segmentation": ("mean_iou", "np.mean(y_true == y_pred)"),
    # accuracy without matching clusters to labels: wrong whenever cluster ids are permuted
    "a07_clustering": (
        "cluster_accuracy",
        "float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))",
    ),
    # one mean over the whole set instead of one error per example
    "a08_autoencoders": (
        "reconstruction_errors",
        "np.mean((model.predict(X, verbose=0) - X) ** 2)",
    ),
}


@pytest.fixture(scope="module")
def graded(course_copy, released):
    """Autograde reference, blank (untouched), broken and perturbed submissions.

    One ``coursekit autograde`` batch per assignment (two workers), as an instructor runs it.
    """
    submitted = course_copy / "submitted"
    for assignment in ASSIGNMENTS:
        shutil.copytree(
            course_copy / "solutions" / assignment, submitted / "reference" / assignment
        )
        shutil.copytree(released / assignment, submitted / "blank" / assignment)
        if assignment in BROKEN:
            target = submitted / "broken" / assignment
            shutil.copytree(course_copy / "solutions" / assignment, target)
            for path in target.glob("*.ipynb"):
                nb = nbformat.read(path, as_version=4)
                function, wrong_body = BROKEN[assignment]
                for cell in nb.cells:
                    if f"def {function}(" in cell.source:
                        cell.source = _break_function(cell.source, function, wrong_body)
                nbformat.write(nb, path)
        target = submitted / "perturbed" / assignment
        target.mkdir(parents=True)
        for path in (course_copy / "solutions" / assignment).glob("*.ipynb"):
            nb = perturbed_notebook(path, released / assignment / path.name)
            nbformat.write(nb, target / path.name)
    results = {}
    for assignment in ASSIGNMENTS:
        batch, _ = autograde.autograde(assignment, course_dir=course_copy, jobs=2)
        for result in batch:
            results[(assignment, result.student)] = result
    return results


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_gets_full_marks(graded, assignment):
    result = graded[(assignment, "reference")]
    assert result.max_score > 0
    assert result.score == result.max_score, f"reference solution of {assignment}: {result}"
    assert result.status == "graded" and not result.flags, f"{assignment}: {result.flags}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_exercise_gets_zero(graded, assignment):
    result = graded[(assignment, "blank")]
    assert result.score == 0, f"untouched exercise of {assignment} earned points: {result}"


def _grade_cells(notebook_path):
    nb = nbformat.read(notebook_path, as_version=4)
    return {
        c.metadata["nbgrader"]["grade_id"]: c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    }


def _solution_sources(assignment):
    sources = []
    for path in (course.REPO_ROOT / "solutions" / assignment).glob("*.ipynb"):
        sources += [c.source for c in nbformat.read(path, as_version=4).cells]
    return sources


@pytest.mark.parametrize("assignment", sorted(BROKEN))
def test_broken_function_loses_only_its_points(graded, course_copy, assignment):
    from nbgrader.api import Gradebook

    function, _ = BROKEN[assignment]
    url = f"sqlite:///{course_copy / 'gradebook.db'}"
    with Gradebook(url, "deep-learning-in-practice") as gradebook:
        submission = gradebook.find_submission(assignment, "broken")
        lost = {
            grade.name
            for notebook in submission.notebooks
            for grade in notebook.grades
            if grade.score < grade.max_score
        }
    assert lost, "breaking a function cost no points"
    assert all(function in name for name in lost), (
        f"breaking {function} also failed unrelated tests: {sorted(lost)}"
    )

    hidden = feedback.hidden_test_lines(_solution_sources(assignment))
    assert hidden, "the assignment has no hidden tests"
    graded_dir = course_copy / "autograded" / "broken" / assignment
    for path in graded_dir.glob("*.ipynb"):
        for grade_id, cell in _grade_cells(path).items():
            errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
            if grade_id not in lost:
                continue
            assert errors, f"{grade_id} lost points without an error output"
            shown = "\n".join("\n".join(o.traceback) + o.evalue for o in errors)
            assert len(errors[0].evalue) > 20, f"{grade_id}: failure message too terse: {shown}"
            leaked = [line for line in hidden if line in shown]
            assert not leaked, f"{grade_id} shows hidden-test code to the student: {leaked}"


@pytest.fixture(scope="module")
def feedback_pages(graded, course_copy):
    """``coursekit feedback`` for every assignment: {assignment: generate_feedback's report}."""
    return {a: feedback.generate_feedback(a, course_dir=course_copy) for a in ASSIGNMENTS}


def _records(text):
    """The values a perturbed function printed (``CKREC [...]`` lines) in a cell's output."""
    return {r for line in re.findall(r"^CKREC (.*)$", text, flags=re.M) for r in json.loads(line)}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_feedback_shows_scores_and_messages_but_never_hidden_tests(
    graded, feedback_pages, course_copy, assignment
):
    done = feedback_pages[assignment]
    assert not done["leaks"], f"hidden-test lines in the feedback: {done['leaks']}"
    assert not done["missing"], f"no feedback for {done['missing']}"
    hidden_lines = feedback.hidden_test_lines(_solution_sources(assignment))
    assert hidden_lines, f"{assignment} has no hidden tests"

    # What the reference returned in hidden tests (their expected values), read from the
    # instructor's autograded notebook, minus what visible cells show anyway.
    hidden_records, visible_records = set(), set()
    for path in (course_copy / "autograded" / "perturbed" / assignment).glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            text = "".join(o.get("text", "") for o in cell.get("outputs", []) if "text" in o)
            if "BEGIN HIDDEN TESTS" in cell.source:
                hidden_records |= _records(text)
            else:
                visible_records |= _records(text)
    secrets = hidden_records - visible_records

    for student in ("reference", "blank", "broken", "perturbed"):
        if (assignment, student) not in graded:
            continue
        result = graded[(assignment, student)]
        pages = [p for p in done["files"] if p.suffix == ".html" and student in p.parts]
        assert pages, f"no feedback written for {student}'s {assignment}"
        failed = [t for t, (score, points) in result.tests.items() if score < points]
        if student == "perturbed":
            assert failed, "the perturbed reference failed no test"
        for page in pages:
            plain = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
            assert "Your results" in plain
            assert "BEGIN HIDDEN TESTS" not in plain
            shown = {line.strip() for line in plain.splitlines()}
            assert not shown & hidden_lines, f"{student}: hidden-test code in the feedback"
            leaked = sorted(s for s in secrets if s in plain)
            assert not leaked, f"{student}: expected values of hidden tests shown: {leaked[:5]}"
            for test in failed:
                assert test in plain, f"{student}: failing test {test} is not listed"
