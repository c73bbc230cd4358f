"""Every assignment notebook follows one layout (issue 15, item 5).

One setup cell: NumPy and ``coursekit`` imported, the checks from ``coursekit.grading`` with
``passed`` among them, Keras (where the notebook uses it) through ``coursekit.quiet_tensorflow``
and one seeding idiom, ``coursekit.set_seed(SEED)`` with ``SEED = 0``. No other way of seeding
anywhere, validation data named ``x_val``/``y_val`` everywhere, and every visible test cell
ends by telling the student it passed.
"""

import re

import nbformat
import pytest

from coursekit import course

ASSIGNMENTS = course.list_assignments()
KERAS_LINE = "keras = coursekit.quiet_tensorflow()  # TensorFlow and Keras, without start-up noise"
SEED_LINES = (
    "SEED = 0\ncoursekit.set_seed(SEED)  # Python, NumPy and Keras start from the same random state"
)
OTHER_SEEDING = re.compile(
    r"keras\.utils\.set_random_seed|coursekit\.device\.set_seed|np\.random\.seed|"
    r"tf\.random\.set_seed|random\.seed\("
)


def _cells(assignment):
    path = course.REPO_ROOT / "solutions" / assignment / f"{assignment}.ipynb"
    return nbformat.read(path, as_version=4).cells


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_one_canonical_setup_cell(assignment):
    cells = _cells(assignment)
    setups = [cell for cell in cells if _grade_id(cell) == "setup"]
    assert len(setups) == 1, f"{assignment}: {len(setups)} cells with grade_id 'setup'"
    source = setups[0].source
    assert re.search(r"^import numpy as np$", source, re.M), f"{assignment}: import numpy as np"
    assert re.search(r"^import coursekit$", source, re.M), f"{assignment}: import coursekit"
    checks = re.search(r"^from coursekit\.grading import (.+)$", source, re.M)
    assert checks, f"{assignment}: the checks come from coursekit.grading"
    names = [name.strip() for name in checks.group(1).split(",")]
    assert "passed" in names and names == sorted(names), f"{assignment}: {names}"
    uses_keras = any("keras." in cell.source for cell in cells if cell.cell_type == "code")
    if uses_keras:
        assert KERAS_LINE in source, f"{assignment}: Keras through coursekit.quiet_tensorflow()"
        assert source.index(KERAS_LINE) < source.index(SEED_LINES)
    assert SEED_LINES in source, f"{assignment}: the setup cell must seed with\n{SEED_LINES}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_one_seeding_idiom_and_one_name_for_validation_data(assignment):
    for cell in _cells(assignment):
        where = f"{assignment}, cell {_grade_id(cell) or cell.source[:40]!r}"
        if cell.cell_type == "code":
            assert not OTHER_SEEDING.search(cell.source), f"{where}: seed with coursekit.set_seed"
        assert not re.search(r"\b[xy]_valid\b", cell.source), f"{where}: name it x_val / y_val"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_visible_test_cell_says_it_passed(assignment):
    for cell in _cells(assignment):
        nbgrader = cell.get("metadata", {}).get("nbgrader", {})
        if not nbgrader.get("grade") or nbgrader.get("solution"):
            continue
        if "### BEGIN HIDDEN TESTS" in cell.source:
            continue
        last = cell.source.rstrip().splitlines()[-1]
        assert re.fullmatch(r"passed\(.+\)", last), (
            f"{assignment}: visible test {nbgrader.get('grade_id')} must end with passed(...)"
        )
