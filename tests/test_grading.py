"""Tests of coursekit.grading: messages, hidden blocks, the NumPy-only check, real kernels."""

from pathlib import Path

import nbformat
import numpy as np
import pytest

from coursekit.grading import (
    CheckFailed,
    check_array,
    check_equal,
    check_raises,
    hidden,
    numpy_only,
)

REPO = Path(__file__).resolve().parents[1]


def failure_message(func, *args, **kwargs):
    """Run a check that must fail and return its message."""
    with pytest.raises(CheckFailed) as info:
        func(*args, **kwargs)
    return str(info.value)


# -- CheckFailed ------------------------------------------------------------------------------
def test_check_failed_is_an_assertion_error_with_a_short_rendering():
    error = CheckFailed("relu(-1) should be 0.")
    assert isinstance(error, AssertionError)
    assert error.message == "relu(-1) should be 0."
    assert error._render_traceback_() == ["CheckFailed: relu(-1) should be 0."]


# -- check_array -------------------------------------------------------------------------------
def test_check_array_passes_close_values_scalars_and_lists():
    check_array([0.5, 1.0 + 1e-9], np.array([0.5, 1.0]))
    check_array(0.25, 0.25)
    check_array(np.float32(0.1), 0.1, rtol=1e-6)
    check_array(np.array([0, 1]), np.array([0, 1]))


def test_check_array_reports_received_value_but_hides_expected_by_default():
    expected = np.array([0.1234567, 0.7654321, 0.5])
    message = failure_message(check_array, [0.1234567, 0.9, 0.5], expected, name="sigmoid(z)")
    assert "sigmoid(z) has wrong values" in message
    assert "1 of 3 entries differ" in message
    assert "index (1,)" in message
    assert "received 0.9" in message
    # Neither the expected value nor the difference (received - difference = expected).
    assert "0.765432" not in message and "0.7654321" not in message
    assert "difference:" not in message and "0.134568" not in message


def test_check_array_shows_expected_values_when_asked():
    message = failure_message(
        check_array, [1.0, 2.0], [1.0, 3.0], name="relu(z)", show_expected=True, hint="np.maximum"
    )
    assert "received 2.0, expected 3.0" in message
    assert "expected: array of shape (2,)" in message
    assert message.endswith("Hint: np.maximum")


def test_check_array_shape_message_names_both_shapes():
    message = failure_message(check_array, np.zeros((3, 1)), np.zeros(3), name="tanh(z)")
    assert "expected (3,), received (3, 1)" in message


@pytest.mark.parametrize(
    ("received", "fragment"),
    [
        (None, "is None. Did the function forget to `return`"),
        (["a", "b"], "should be numeric"),
        ([[1.0], [2.0, 3.0]], "could not be converted"),
    ],
)
def test_check_array_rejects_non_arrays(received, fragment):
    assert fragment in failure_message(check_array, received, [1.0, 2.0])


def test_check_array_reports_nan_and_inf():
    message = failure_message(check_array, [0.0, np.nan, 1.0], [0.0, 1.0, 1.0], name="sigmoid(z)")
    assert "contains nan or inf" in message
    assert "index (1,)" in message and "received nan" in message
    check_array([np.nan, np.inf], [np.nan, np.inf])  # non-finite where expected: fine


def test_check_array_requires_integers_when_integers_are_expected():
    message = failure_message(check_array, np.array([0.0, 1.0]), np.array([0, 1]), name="labels")
    assert "should hold integers" in message and "float64" in message
    check_array(np.array([0, 1], dtype=np.int8), np.array([0, 1]))


# -- check_equal -------------------------------------------------------------------------------
def test_check_equal():
    check_equal(3, 3, name="n")
    check_equal(np.int64(2), 2, name="n")
    check_equal((1, 2), (1, 2), name="shape")
    message = failure_message(check_equal, (2, 1), (1, 2), name="the shape")
    assert message == "the shape is wrong: received (2, 1)."
    message = failure_message(check_equal, [1, 2], (1, 2), name="the shape", show_expected=True)
    assert message == "the shape is wrong: received [1, 2], expected (1, 2)."
    message = failure_message(check_equal, np.array([1, 2]), 3, name="the count", hint="sum")
    assert "received array of shape (2,)" in message and message.endswith("Hint: sum")


# -- check_raises ------------------------------------------------------------------------------
def _needs_positive(x, *, scale=1.0):
    if x <= 0:
        raise ValueError(f"x must be positive. Received: x={x}.")
    if x > 100:
        raise TypeError("too large")
    return x * scale


def test_check_raises_returns_the_exception():
    error = check_raises(_needs_positive, -3, match=["x=-3", "positive"])
    assert isinstance(error, ValueError)
    check_raises(_needs_positive, 0, match=r"Received: x=0\.")
    check_raises(_needs_positive, 1000, exception=TypeError)


def test_check_raises_when_nothing_is_raised():
    message = failure_message(check_raises, _needs_positive, 2, scale=3.0)
    assert message == "_needs_positive(2, scale=3.0) should raise ValueError, but it returned 6.0."


def test_check_raises_when_another_type_is_raised():
    message = failure_message(check_raises, _needs_positive, 101)
    assert "should raise ValueError, but it raised TypeError: too large" in message


def test_check_raises_when_the_message_lacks_the_received_value():
    message = failure_message(check_raises, _needs_positive, -1, match=["x=-1", "(2, 3)"])
    assert "does not contain '(2, 3)'" in message
    assert "'x=-1'" not in message.split("Received message")[0]
    assert "Received message: 'x must be positive. Received: x=-1.'" in message
    message = failure_message(check_raises, _needs_positive, -1, match=r"shape \(\d+,\)")
    assert "does not contain a match for" in message


def test_check_raises_describes_large_arrays_by_shape_and_small_ones_on_one_line():
    message = failure_message(check_raises, np.sum, np.ones((4, 3)))
    assert "sum(<array of shape (4, 3)>) should raise ValueError" in message
    message = failure_message(check_raises, np.transpose, np.ones((3, 1)))
    assert message.startswith("transpose(array([[1.], [1.], [1.]])) should raise ValueError")
    assert "returned array of shape (1, 3) and dtype float64: [[1., 1., 1.]]." in message


# -- hidden ------------------------------------------------------------------------------------
def _student_function(x):
    return x + "1"  # TypeError for numbers


def _not_implemented(x):
    raise NotImplementedError()


def test_hidden_prefixes_check_failures():
    with pytest.raises(CheckFailed) as info, hidden("relu of a 2-D array"):
        check_array([1.0], [2.0], name="relu(z)")
    assert str(info.value).startswith("relu of a 2-D array: relu(z) has wrong values")
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_hidden_turns_student_errors_into_check_failures():
    with pytest.raises(CheckFailed) as info, hidden("sigmoid of an int"):
        _student_function(3)
    message = str(info.value)
    assert message.startswith("sigmoid of an int: your code raised TypeError: unsupported operand")
    assert info.value.__suppress_context__


def test_hidden_gives_a_hint_for_not_implemented():
    with pytest.raises(CheckFailed) as info, hidden("step"):
        _not_implemented(1)
    assert str(info.value) == (
        "step: your code raised NotImplementedError\n"
        "Hint: replace the `raise NotImplementedError()` line with your solution."
    )


def test_hidden_blames_the_test_for_errors_in_its_own_lines():
    with pytest.raises(CheckFailed) as info, hidden("a test"):
        {}["key"]
    assert str(info.value) == "a test: the test raised KeyError: 'key'"


def test_hidden_lets_passing_blocks_and_interrupts_through():
    with hidden("fine"):
        check_equal(1, 1, name="one")
    with pytest.raises(KeyboardInterrupt), hidden("interrupted"):
        raise KeyboardInterrupt


# -- numpy_only --------------------------------------------------------------------------------
# The rule itself is a property of the grading sandbox (a NumPy-only student process has no
# SciPy, Keras, ... to import): tests/test_grader.py grades submissions that break it. Here:
# how the check turns the failure into a message, and the route the grader installs.


def test_numpy_only_runs_the_block_unchanged_outside_grading():
    with numpy_only(name="sigmoid"):
        result = 1 / (1 + np.exp(-np.linspace(-5, 5, 11)))
    assert result.shape == (11,)


@pytest.mark.parametrize(
    "error",
    [ModuleNotFoundError("No module named 'scipy'"), NameError("name 'keras' is not defined")],
)
def test_numpy_only_names_the_forbidden_package(error):
    with pytest.raises(CheckFailed) as info, numpy_only(name="sigmoid"):
        raise error
    message = str(info.value)
    assert message.startswith("sigmoid (or code it calls) must use NumPy only, but it uses ")
    assert ("scipy" in message) or ("keras" in message)


def test_numpy_only_leaves_other_errors_alone():
    with pytest.raises(NameError, match="signoid"), numpy_only(name="sigmoid"):
        raise NameError("name 'signoid' is not defined")


def test_numpy_only_enters_the_graders_route_and_blames_what_the_cells_could_not_import():
    import contextlib

    from coursekit import grading

    entered = []

    @contextlib.contextmanager
    def route():
        entered.append(True)
        yield ["scipy"]  # a cell of the student's failed to import scipy

    grading._numpy_only_route = route
    try:
        with pytest.raises(CheckFailed, match="but it uses scipy"), numpy_only(name="tanh"):
            raise NameError("name 'sigmoid' is not defined")  # defined by that cell
    finally:
        grading._numpy_only_route = None
    assert entered == [True]


# -- a real kernel -----------------------------------------------------------------------------
_KERNEL_CELL = """\
from coursekit.grading import check_array, hidden
def sigmoid(z):
    return z
with hidden("sigmoid of other inputs"):
    secret_expected = [0.2689414213699951, 0.7310585786300049]  # HIDDEN LINE
    check_array(sigmoid([-1.0, 1.0]), secret_expected, name="sigmoid(z)")
"""

_KERNEL_CELL_ERROR = """\
from coursekit.grading import hidden
def sigmoid(z):
    return z + "1"
with hidden("sigmoid of an int"):
    sigmoid(3)  # HIDDEN CALL
"""


@pytest.mark.slow
def test_kernel_shows_only_the_message_of_a_hidden_failure():
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(_KERNEL_CELL),
        nbformat.v4.new_code_cell(_KERNEL_CELL_ERROR),
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    client = NotebookClient(
        notebook, timeout=120, allow_errors=True, resources={"metadata": {"path": str(REPO)}}
    )
    client.execute()

    (error,) = notebook.cells[0].outputs
    assert error.output_type == "error" and error.ename == "CheckFailed"
    text = "\n".join(error.traceback)
    assert error.traceback[0].startswith("CheckFailed: sigmoid of other inputs: sigmoid(z) has")
    assert "received -1.0" in text
    assert "HIDDEN LINE" not in text and "secret_expected" not in text
    assert "0.268941" not in text and "0.731058" not in text

    (error,) = notebook.cells[1].outputs
    text = "\n".join(error.traceback)
    assert "your code raised TypeError" in text
    assert "HIDDEN CALL" not in text
