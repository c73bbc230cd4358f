"""Checks that the test cells of the assignments use.

A failing check raises :class:`CheckFailed` with a message that teaches: what was expected,
what was received and a hint. Checks inside hidden tests pass ``show_expected=False`` (the
default) so that the message names the received value but never the expected one, and wrap
their body in :func:`hidden` so that no line of hidden-test code reaches the student.
:func:`numpy_only` checks that a NumPy-only task really uses NumPy only.

Introduced in assignment ``a01_perceptron``; every assignment's setup cell imports it.
"""

from __future__ import annotations

import re

import numpy as np

from .i18n import translate as _t

__all__ = [
    "CheckFailed",
    "check_array",
    "check_equal",
    "check_raises",
    "hidden",
    "numpy_only",
    "passed",
    "shares_layer",
]

# Packages a NumPy-only task must not use (top-level module names).
_FORBIDDEN = frozenset(
    {"tensorflow", "tf_keras", "keras", "scipy", "sklearn", "torch", "jax", "jaxlib"}
)


class CheckFailed(AssertionError):
    """A failed check of a test cell, with a message meant for the student.

    In IPython and Jupyter the error shows only ``CheckFailed: <message>``: no traceback,
    so the lines of a (possibly hidden) test cell never appear in the notebook's output.

    Parameters
    ----------
    message : str
        What was expected, what was received and a hint.

    Examples
    --------
    >>> error = CheckFailed("sigmoid(0) should be 0.5. Received: 1.0.")
    >>> error._render_traceback_()
    ['CheckFailed: sigmoid(0) should be 0.5. Received: 1.0.']
    """

    def __init__(self, message):
        super().__init__(message)
        self.message = str(message)

    def _render_traceback_(self):
        """Return the lines IPython shows instead of a traceback."""
        return [f"CheckFailed: {self.message}"]


def _fail(message, hint, **values):
    """Raise CheckFailed with the message and, if given, the hint on its own line.

    ``values`` fill the placeholders of ``message`` (a translated template), as in ``_t``.
    """
    if values:
        message = message.format(**values)
    if hint:
        message = _t("{message}\nHint: {hint}", message=message, hint=_t(hint))
    raise CheckFailed(message)


def _describe(value, *, limit=200):
    """Return a short, readable description of a received or expected value."""
    if isinstance(value, np.ndarray):
        text = " ".join(np.array2string(value, threshold=20, precision=6, separator=", ").split())
        return _t(
            "array of shape {shape} and dtype {dtype}: {text}",
            shape=value.shape,
            dtype=value.dtype,
            text=text,
        )
    if isinstance(value, np.generic):
        value = value.item()
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 5] + " ...)"


def _scalar(value):
    """Format one array entry."""
    return repr(value.item()) if isinstance(value, np.generic) else repr(value)


def check_array(
    received, expected, *, name="the result", rtol=1e-6, atol=1e-8, hint=None, show_expected=False
):
    """Check that an array (or number) matches the expected one.

    The checks run in order and the first failure raises: the value is array-like and not
    ``None``; it has the expected shape; integer (bool) results hold integers (bools); it
    is finite where the expected array is finite; its values are close,
    ``|received - expected| <= atol + rtol * |expected|``.

    Parameters
    ----------
    received : array_like
        What the student's code returned.
    expected : array_like
        The correct result.
    name : str, default="the result"
        How the message refers to ``received``, e.g. ``"sigmoid(z)"``.
    rtol, atol : float, default=1e-6, 1e-8
        Relative and absolute tolerance.
    hint : str, optional
        Added to the message when the check fails.
    show_expected : bool, default=False
        Put the expected values in the message, with the largest absolute difference (which,
        beside the received value, would give the expected one away). Visible tests may;
        hidden tests must not.

    Raises
    ------
    CheckFailed
        With the number of mismatching entries, the first mismatching index and the
        received value there (and, with ``show_expected``, what was expected).

    Examples
    --------
    >>> check_array([0.5, 0.75], np.array([0.5, 0.75]), name="sigmoid(z)")
    >>> check_array([0.5, 0.7], [0.5, 0.75], name="sigmoid(z)", hint="Use np.exp.")
    Traceback (most recent call last):
    ...
    coursekit.grading.CheckFailed: sigmoid(z) has wrong values: 1 of 2 entries differ...
      first difference at index (1,): received 0.7
    Hint: Use np.exp.
    >>> check_array([0.5, 0.7], [0.5, 0.75], name="sigmoid(z)", show_expected=True)
    Traceback (most recent call last):
    ...
    coursekit.grading.CheckFailed: sigmoid(z) has wrong values: 1 of 2 entries differ...
      first difference at index (1,): received 0.7, expected 0.75
      largest absolute difference: 0.05
      expected: array of shape (2,) and dtype float64: [0.5 , 0.75]
    >>> check_array(np.zeros((2, 1)), np.zeros(2), name="relu(z)")
    Traceback (most recent call last):
    ...
    coursekit.grading.CheckFailed: relu(z) has the wrong shape: expected (2,), received (2, 1).
    """
    name = _t(name)
    if received is None:
        _fail(
            _t("{name} is None. Did the function forget to `return` its result?"), hint, name=name
        )
    expected = np.asarray(expected)
    try:
        array = np.asarray(received)
    except (TypeError, ValueError) as error:
        _fail(
            _t("{name} could not be converted to a NumPy array ({error})."),
            hint,
            name=name,
            error=error,
        )
    if array.dtype.kind not in "biuf":
        _fail(
            _t("{name} should be numeric, but it has dtype {dtype}. Received: {received}"),
            hint,
            name=name,
            dtype=array.dtype,
            received=_describe(received),
        )
    if array.shape != expected.shape:
        _fail(
            _t("{name} has the wrong shape: expected {expected}, received {received}."),
            hint,
            name=name,
            expected=expected.shape,
            received=array.shape,
        )
    if expected.dtype.kind in "iu" and array.dtype.kind not in "iu":
        _fail(
            _t(
                "{name} should hold integers, but its dtype is {dtype}. "
                "Convert it with `.astype(int)`."
            ),
            hint,
            name=name,
            dtype=array.dtype,
        )
    if expected.dtype.kind == "b" and array.dtype.kind != "b":
        _fail(
            _t("{name} should hold booleans, but its dtype is {dtype}."),
            hint,
            name=name,
            dtype=array.dtype,
        )
    array = array.astype(float)
    expected = expected.astype(float)
    not_finite = np.isfinite(expected) & ~np.isfinite(array)
    if not_finite.any():
        index = tuple(int(i) for i in np.argwhere(not_finite)[0])
        _fail(
            _t(
                "{name} contains nan or inf where a finite number was expected: "
                "{count} of {size} entries, the first at index {index} (received {received})."
            ),
            hint,
            name=name,
            count=int(not_finite.sum()),
            size=array.size,
            index=index,
            received=_scalar(array[index]),
        )
    close = np.isclose(array, expected, rtol=rtol, atol=atol, equal_nan=True)
    if not close.all():
        index = tuple(int(i) for i in np.argwhere(~close)[0])
        difference = np.abs(array - expected)
        finite = difference[~close & np.isfinite(difference)]
        largest = f"{finite.max():.6g}" if finite.size else _t("not finite")
        lines = [
            _t(
                "{name} has wrong values: {count} of {size} entries differ "
                "(rtol={rtol:g}, atol={atol:g}).",
                name=name,
                count=int((~close).sum()),
                size=array.size,
                rtol=rtol,
                atol=atol,
            ),
            _t(
                "  first difference at index {index}: received {received}",
                index=index,
                received=_scalar(array[index]),
            ),
        ]
        if show_expected:
            lines[1] += _t(", expected {expected}", expected=_scalar(expected[index]))
            lines.append(_t("  largest absolute difference: {largest}", largest=largest))
            if expected.size <= 100:
                lines.append(_t("  expected: {expected}", expected=_describe(expected)))
        _fail("\n".join(lines), hint)


def check_equal(received, expected, *, name, hint=None, show_expected=False):
    """Check that a scalar, tuple, list or string equals the expected value exactly.

    For floating-point numbers and arrays use :func:`check_array`.

    Parameters
    ----------
    received : object
        What the student's code returned.
    expected : object
        The correct value; ``received == expected`` must be true.
    name : str
        How the message refers to ``received``.
    hint : str, optional
        Added to the message when the check fails.
    show_expected : bool, default=False
        Put the expected value in the message. Visible tests may; hidden tests must not.

    Raises
    ------
    CheckFailed
        With the received value (and the expected one if ``show_expected``).

    Examples
    --------
    >>> check_equal(len([1, 0, 1]), 3, name="the number of epochs")
    >>> check_equal("or", "and", name="the gate", show_expected=True)
    Traceback (most recent call last):
    ...
    coursekit.grading.CheckFailed: the gate is wrong: received 'or', expected 'and'.
    """
    try:
        same = bool(received == expected)
    except (TypeError, ValueError):  # e.g. an array where a scalar was expected
        same = False
    if isinstance(expected, str | tuple | list) and not isinstance(received, type(expected)):
        same = False
    if not same:
        message = _t(
            "{name} is wrong: received {received}", name=_t(name), received=_describe(received)
        )
        if show_expected:
            message += _t(", expected {expected}", expected=_describe(expected))
        _fail(message + ".", hint)


def _exception_text(error):
    """'TypeError: message', or just 'NotImplementedError' when the message is empty."""
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _describe_call(func, args, kwargs):
    """Describe a call compactly: arrays by shape, other values by repr."""

    def short(value):
        if isinstance(value, np.ndarray) and value.size > 6:
            return f"<array of shape {value.shape}>"
        if isinstance(value, np.ndarray):
            return "array(" + " ".join(np.array2string(value, separator=", ").split()) + ")"
        return _describe(value, limit=60)

    parts = [short(value) for value in args]
    parts += [f"{key}={short(value)}" for key, value in kwargs.items()]
    return f"{getattr(func, '__name__', repr(func))}({', '.join(parts)})"


def check_raises(func, *args, exception=ValueError, match=None, hint=None, **kwargs):
    """Check that ``func(*args, **kwargs)`` raises ``exception`` with a helpful message.

    Parameters
    ----------
    func : callable
        The student's function.
    *args, **kwargs
        Its arguments.
    exception : type, default=ValueError
        The exception class it must raise (a subclass also counts).
    match : str or list of str, optional
        A regular expression the error message must match (``re.search``), or a list of
        substrings it must all contain, e.g. the received value that was wrong.
    hint : str, optional
        Added to the message when the check fails.

    Returns
    -------
    Exception
        The exception that was raised.

    Raises
    ------
    CheckFailed
        If the call returned normally, raised another type, or its message does not match.

    Examples
    --------
    >>> def positive(x):
    ...     if x <= 0:
    ...         raise ValueError(f"x must be positive. Received: x={x}.")
    ...     return x
    >>> error = check_raises(positive, -2, match=["x=-2"])
    >>> check_raises(positive, 3)
    Traceback (most recent call last):
    ...
    coursekit.grading.CheckFailed: positive(3) should raise ValueError, but it returned 3.
    """
    call = _describe_call(func, args, kwargs)
    try:
        result = func(*args, **kwargs)
    except exception as error:
        text = str(error)
        if isinstance(match, str):
            missing = [] if re.search(match, text) else [_t("a match for {match!r}", match=match)]
        else:
            missing = [repr(part) for part in (match or []) if part not in text]
        if missing:
            _fail(
                _t(
                    "{call} raised {type} as it should, but its message does not contain "
                    "{missing}. Received message: {text!r}"
                ),
                hint,
                call=call,
                type=type(error).__name__,
                missing=", ".join(missing),
                text=text,
            )
        return error
    except Exception as error:  # noqa: BLE001  (any other type is the student's mistake)
        _fail(
            _t("{call} should raise {expected}, but it raised {raised}"),
            hint,
            call=call,
            expected=exception.__name__,
            raised=_exception_text(error),
        )
    _fail(
        _t("{call} should raise {expected}, but it returned {received}."),
        hint,
        call=call,
        expected=exception.__name__,
        received=_describe(result),
    )


def passed(what):
    """Print the line a visible test cell ends with: its checks passed.

    Without it a passing test cell shows nothing, and silence is easy to misread.

    Parameters
    ----------
    what : str
        What the cell checked, e.g. ``"step"`` or ``"the shapes of the model"``.

    Examples
    --------
    >>> passed("step")
    ✓ step: the visible tests passed
    """
    print(_t("✓ {what}: the visible tests passed", what=_t(what)))


class hidden:  # noqa: N801  (used like a function: `with hidden("..."):`)
    """Context manager for a block of hidden tests.

    A :class:`CheckFailed` raised in the block passes through with ``description`` in
    front. Any other exception (raised by the student's code) becomes a
    :class:`CheckFailed` naming its type and message, with the original traceback
    suppressed, so that no line of the hidden test is shown.

    Parameters
    ----------
    description : str
        What the block checks, e.g. ``"sigmoid is stable for large |z|"``.

    Examples
    --------
    >>> with hidden("sigmoid of a 2-D array"):
    ...     check_array([[0.5]], [[0.5]])
    >>> with hidden("sigmoid of a 2-D array"):
    ...     {}["missing"]
    Traceback (most recent call last):
    ...
    coursekit.grading.CheckFailed: sigmoid of a 2-D array: the test raised KeyError: 'missing'
    """

    def __init__(self, description):
        self.description = description

    def __enter__(self):
        return self

    def __exit__(self, exc_type, error, traceback):
        if error is None or not isinstance(error, Exception):
            return False  # nothing raised, or KeyboardInterrupt/SystemExit: pass through
        description = _t(self.description)
        if isinstance(error, CheckFailed):
            raise CheckFailed(f"{description}: {error.message}") from None
        innermost = traceback
        while innermost.tb_next is not None:
            innermost = innermost.tb_next
        if innermost.tb_frame is traceback.tb_frame:
            message = _t("{description}: the test raised {raised}")
        else:
            message = _t("{description}: your code raised {raised}")
        message = message.format(description=description, raised=_exception_text(error))
        if isinstance(error, NotImplementedError):
            message += _t(
                "\nHint: replace the `raise NotImplementedError()` line with your solution."
            )
        raise CheckFailed(message) from None


def shares_layer(model, other, layer):
    """Whether ``model``'s layer ``layer`` (a name or an index in ``model``) is one of ``other``'s.

    In one process this is ``model.get_layer(name) is other.get_layer(name)``. When graded,
    the models a test holds are copies of the student's, and the student process reports
    which layers its models share; that report is used.

    Examples
    --------
    >>> import coursekit.device
    >>> keras = coursekit.device.quiet_tensorflow()
    >>> base = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, name="d")])
    >>> head = keras.Model(base.inputs, keras.layers.Dense(1)(base.outputs[0]))
    >>> shares_layer(head, base, "d"), shares_layer(keras.models.clone_model(base), base, "d")
    (True, False)
    """
    mine = model.layers[layer] if isinstance(layer, int) else model.get_layer(layer)
    theirs = next((candidate for candidate in other.layers if candidate.name == mine.name), None)
    if theirs is None:
        return False
    if mine is theirs:
        return True
    link = getattr(model, "__dict__", {}).get("_coursekit_shared", {}).get(mine.name)
    return link is not None and link[0] is other and link[1] == theirs.name


# Set by the grader (coursekit.grader.execute) while it runs test cells: a context manager
# factory under which calls of the student's functions go to a NumPy-only student process.
_numpy_only_route = None
_MISSING_MODULE = re.compile(r"No module named '([\w.]+)'|name '(\w+)' is not defined")


class numpy_only:  # noqa: N801  (used like a function: `with numpy_only():`)
    """Context manager: the student's code called in the block must use NumPy only.

    When a notebook is graded, the calls inside the block run in a student process whose
    sandbox has no TensorFlow, Keras, SciPy, scikit-learn, PyTorch or JAX at all (they are
    not installed there), so code that uses them fails to import them; the check turns that
    failure into a :class:`CheckFailed` that names the package. Outside grading (a notebook
    run by hand) the block runs as it is: the rule is a property of the grading sandbox, not
    something checked inside the student's own process.

    Parameters
    ----------
    name : str, default="your code"
        How the message refers to the code under test, e.g. ``"sigmoid"``.

    Raises
    ------
    CheckFailed
        On exit, if the block failed because a package other than NumPy was missing.

    Examples
    --------
    >>> with numpy_only(name="sigmoid"):
    ...     result = 1 / (1 + np.exp(-np.arange(3.0)))
    >>> with numpy_only(name="sigmoid"):
    ...     raise ModuleNotFoundError("No module named 'scipy'")
    Traceback (most recent call last):
    ...
    coursekit.grading.CheckFailed: sigmoid (or code it calls) must use NumPy only, but it uses scipy, ...
    """

    def __init__(self, *, name="your code"):
        self.name = name
        self._route = None
        self._missing = ()  # packages the student's cells failed to import in that process

    def __enter__(self):
        if _numpy_only_route is not None:
            self._route = _numpy_only_route()
            self._missing = self._route.__enter__() or ()
        return self

    def __exit__(self, exc_type, error, traceback):
        if self._route is not None:
            self._route.__exit__(exc_type, error, traceback)
            self._route = None
        if isinstance(error, (ImportError, NameError)):
            match = _MISSING_MODULE.search(str(error))
            module = next((g for g in (match.groups() if match else ()) if g), "")
            package = module.partition(".")[0]  # its top-level package
            if package not in _FORBIDDEN:
                package = next((p for p in self._missing if p in _FORBIDDEN), package)
            if package in _FORBIDDEN:
                raise CheckFailed(
                    _t(
                        "{name} (or code it calls) must use NumPy only, but it uses {package}, "
                        "which is not available when this task is graded. Hint: write it with "
                        "NumPy functions (np.exp, np.maximum, np.where, ...).",
                        name=_t(self.name),
                        package=package,
                    )
                ) from None
        return False
